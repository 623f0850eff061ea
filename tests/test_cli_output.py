"""Contradictory options are usage errors, and a live run without a contact
says so once."""

from __future__ import annotations

import os
import subprocess
import sys

from tests.harness import Mirror, MirrorServer

WARNING = ('kronika: set KRONIKA_CONTACT to your e-mail or URL; sites see "+set '
           'KRONIKA_CONTACT" in the User-Agent')


def _kronika(*args, env=None):
    return subprocess.run([sys.executable, "-m", "crawler.run.cli", *args], capture_output=True,
                          text=True, timeout=120, check=False, env=env)


def _env(**changes):
    env = {k: v for k, v in os.environ.items()
           if k not in ("KRONIKA_CONTACT", "KRONIKA_USER_AGENT")}
    env.update(changes)
    return env


def test_since_later_than_until_is_a_usage_error(tmp_path):
    for command in (["crawl", "rops_krakow", "--out", str(tmp_path)],
                    ["export", "--out", str(tmp_path), "--format", "jsonl"]):
        result = _kronika(*command, "--since", "2024-05-02", "--until", "2024-05-01")
        assert result.returncode == 2, result.stderr
        assert result.stderr.splitlines() == [
            "kronika: error: --since 2024-05-02 is later than --until 2024-05-01: no date "
            "is in both"]
        assert not (tmp_path / "kronika.sqlite").exists()


def test_a_live_run_without_a_contact_warns_once(tmp_path):
    with MirrorServer(Mirror.load("rops_krakow")) as server:
        # A run with no profile and no --base-url is a live run (here on loopback).
        live = ["crawl", "--url", server.base_url + "/aktualnosci", "--max-pages", "1",
                "--delay", "0"]
        result = _kronika(*live, "--out", str(tmp_path / "a"), env=_env())
        assert result.stderr.splitlines().count(WARNING) == 1, result.stderr
        for env, extra in ((_env(KRONIKA_CONTACT="ops@example.org"), ()),
                           (_env(KRONIKA_USER_AGENT="kronika-test"), ()),
                           (_env(), ("--user-agent", "kronika-test (+ops@example.org)"))):
            result = _kronika(*live, *extra, "--out", str(tmp_path / "b"), env=env)
            assert "KRONIKA_CONTACT" not in result.stderr, result.stderr
        # Against a --base-url mirror no site sees the User-Agent.
        mirrored = _kronika("crawl", "rops_krakow", "--base-url", server.base_url, "--delay",
                            "0", "--max-pages", "1", "--out", str(tmp_path / "c"), env=_env())
        assert "KRONIKA_CONTACT" not in mirrored.stderr, mirrored.stderr
