"""An interrupted crawl (SIGINT, SIGTERM) is a failure that loses nothing, and a
crawl opens no port.

Each test runs a real `kronika crawl` subprocess against the rops_krakow mirror. The
mirror serves the first ``SERVED`` article pages and then holds every other article
response on an Event, so when the test signals, the crawl is provably mid-run (no fixed
sleeps: the test polls, with a deadline, for the held request).
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from tests.harness import (
    Mirror,
    MirrorServer,
    assert_warcs_valid,
    crawl,
    goldens,
    stored,
    wait_until,
)

SERVED = 2  # article pages answered before the mirror starts holding them
EXIT_INTERRUPTED = 5


class HoldArticles:
    """A mirror transform: the first ``served`` article pages are answered, the rest wait
    until ``release`` is set (or ``patience`` seconds, so a failing test cannot hang)."""

    def __init__(self, served: int, patience: float = 30):
        self.served, self.patience = served, patience
        self.answered = 0
        self.held = 0
        self.release = threading.Event()
        self._lock = threading.Lock()

    def __call__(self, page: dict, body: bytes) -> bytes:
        if page.get("kind") != "article":
            return body
        with self._lock:
            hold = self.answered >= self.served
            if hold:
                self.held += 1
            else:
                self.answered += 1
        if hold:
            self.release.wait(self.patience)
        return body


def _start(base_url: str, out: Path, env: dict | None = None) -> subprocess.Popen:
    args = [sys.executable, "-m", "crawler.run.cli", "crawl", "rops_krakow", "--base-url",
            base_url, "--out", str(out), "--delay", "0"]
    return subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=env)


def _manifest(out: Path, run: int) -> dict:
    return json.loads((out / "runs" / f"run-{run:05d}.json").read_text(encoding="utf-8"))


def _log(out: Path, run: int) -> str:
    path = out / "logs" / f"run-{run:05d}.log"
    return path.read_text(encoding="utf-8", errors="replace") if path.exists() else ""


def _wait_held(hold, process) -> None:
    """Until the crawl, provably mid-run, waits for a held article page."""
    wait_until(lambda: hold.held, 30, "the crawl to ask for a held article page",
               running=[process])


@pytest.mark.parametrize("signals", [(signal.SIGINT,), (signal.SIGTERM,),
                                     (signal.SIGINT, signal.SIGINT)],
                         ids=["SIGINT", "SIGTERM", "double-SIGINT"])
def test_an_interrupted_crawl_exits_5_and_the_next_run_rewalks_everything(tmp_path, signals):
    mirror = Mirror.load("rops_krakow")
    hold = HoldArticles(SERVED)
    out = tmp_path / "harvest"
    with MirrorServer(mirror, transform=hold) as server:
        process = _start(server.base_url, out)
        try:
            _wait_held(hold, process)
            assert hold.answered == SERVED < len(mirror.articles())
            process.send_signal(signals[0])
            name = signals[0].name
            if len(signals) > 1:
                # The second signal only counts as one once the first was handled (two
                # signals before Python runs its handler are one).
                wait_until(lambda: f"Received {name}, shutting down gracefully" in _log(out, 1),
                           10, "the crawl to log the first signal", running=[process])
                process.send_signal(signals[1])
            else:
                # The page being fetched when the signal came is answered, and archived.
                hold.release.set()
            stdout, stderr = process.communicate(timeout=15)
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()
            hold.release.set()
        assert process.returncode == EXIT_INTERRUPTED, stdout + stderr
        assert "Traceback" not in stderr, stderr
        lines = [line for line in stderr.splitlines() if "interrupted" in line]
        assert lines == [f"kronika: interrupted by {name}; the next run re-walks what this "
                         "one had not finished"], stderr
        first = _manifest(out, 1)
        assert first["interrupted"] is True
        assert first["finish_reason"] == "shutdown" and first["signal"] == name
        assert first["forced"] is (len(signals) > 1)
        assert first["exit_code"] == EXIT_INTERRUPTED
        assert first["full"] is False and first["full_reason"] is None
        assert_warcs_valid(out)
        assert len(stored(out)) < len(goldens(mirror))  # it really stopped mid-run

        # The next plain run, against the whole mirror, stores every article.
        result = crawl(server.base_url, out)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "interrupted" not in result.stderr
    expected = {g["canonical_url"] for g in goldens(mirror).values()}
    assert expected <= {a["canonical_url"] for a in stored(out)}
    second = _manifest(out, 2)
    assert second["interrupted"] is False and second["finish_reason"] == "finished"
    assert second["full"] is True
    assert second["full_reason"] == "the last run was interrupted"


def test_the_run_after_a_killed_run_says_it_is_full(tmp_path):
    mirror = Mirror.load("rops_krakow")
    hold = HoldArticles(SERVED)
    out = tmp_path / "harvest"
    with MirrorServer(mirror, transform=hold) as server:
        process = _start(server.base_url, out)
        try:
            _wait_held(hold, process)
        finally:
            process.kill()
            process.communicate()
            hold.release.set()
        result = crawl(server.base_url, out)
    assert result.returncode == 0, result.stdout + result.stderr
    manifest = _manifest(out, 2)
    assert manifest["full"] is True
    assert manifest["full_reason"] == "the last run did not finish"
    assert manifest["options"]["full"] is False  # not asked for: promoted


# -- no listening socket ----------------------------------------------------------------------
def _socket_inodes(pid: int) -> set[str]:
    inodes = set()
    fd_dir = Path(f"/proc/{pid}/fd")
    for fd in fd_dir.iterdir():
        try:
            target = os.readlink(fd)
        except OSError:  # closed meanwhile
            continue
        found = re.fullmatch(r"socket:\[(\d+)\]", target)
        if found:
            inodes.add(found.group(1))
    return inodes


def _listening_inodes(pid: int) -> dict[str, str]:
    """inode -> local address of every TCP socket in LISTEN state that ``pid`` can see."""
    listening = {}
    for table in ("tcp", "tcp6"):
        path = Path(f"/proc/{pid}/net/{table}")
        if not path.exists():
            continue
        for line in path.read_text().splitlines()[1:]:
            fields = line.split()
            if fields[3] == "0A":  # TCP_LISTEN
                listening[fields[9]] = f"{table} {fields[1]}"
    return listening


@pytest.mark.skipif(not Path("/proc/self/net/tcp").exists(), reason="needs Linux /proc")
def test_a_crawl_opens_no_listening_socket_and_writes_no_job_file(tmp_path):
    mirror = Mirror.load("rops_krakow")
    hold = HoldArticles(SERVED)
    out = tmp_path / "harvest"
    # Scrapy's RemoteControl would leave its job file under the user's state directory.
    state = tmp_path / "state"
    env = {**os.environ, "XDG_STATE_HOME": str(state), "HOME": str(tmp_path / "home")}
    with MirrorServer(mirror, transform=hold) as server:
        process = _start(server.base_url, out, env)
        try:
            _wait_held(hold, process)
            # Mid-crawl: the engine, its extensions and the downloader are all up.
            sockets = _socket_inodes(process.pid)
            assert sockets, "the crawl has a connection to the mirror open"
            listening = _listening_inodes(process.pid)
            assert {i: listening[i] for i in sockets if i in listening} == {}
            hold.release.set()
            stdout, stderr = process.communicate(timeout=30)
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()
            hold.release.set()
    assert process.returncode == 0, stdout + stderr
    assert not state.exists() or not any(state.rglob("*")), list(state.rglob("*"))
    assert not (tmp_path / "home").exists()
    assert "Remote control" not in _log(out, 1) and "Telnet" not in _log(out, 1)


# -- a bare `scrapy crawl` in the checkout ----------------------------------------------------
def test_a_bare_scrapy_crawl_that_is_interrupted_is_marked_as_kronika_crawl_marks_it(tmp_path):
    """The run's end is the runner's own (crawler.components.finish): interrupted, the
    signal, exit_code 5 in the manifest; the next `kronika crawl` walks everything."""
    root = Path(__file__).resolve().parents[1]  # scrapy.cfg: kronika's settings
    mirror = Mirror.load("rops_krakow")
    hold = HoldArticles(SERVED)
    out = tmp_path / "harvest"
    with MirrorServer(mirror, transform=hold) as server:
        process = subprocess.Popen(
            [str(Path(sys.executable).with_name("scrapy")), "crawl", "rops_krakow", "-a",
             f"base_url={server.base_url}", "-s", f"KRONIKA_OUT={out}", "-s",
             "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_START_DELAY=0", "-s",
             "DOWNLOAD_DELAY_JITTER=0"], cwd=root, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, text=True)
        try:
            _wait_held(hold, process)
            process.send_signal(signal.SIGINT)
            hold.release.set()
            _stdout, stderr = process.communicate(timeout=15)
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()
            hold.release.set()
        assert "Traceback" not in stderr, stderr[-3000:]
        first = _manifest(out, 1)
        assert first["interrupted"] is True and first["signal"] == "SIGINT"
        assert first["finish_reason"] == "shutdown"
        assert first["exit_code"] == EXIT_INTERRUPTED
        assert "caps" in first and first["options"]["standalone"] is True
        assert "interrupted by SIGINT; the next run re-walks what this one had not " \
               "finished" in stderr
        result = crawl(server.base_url, out)
    assert result.returncode == 0, result.stdout + result.stderr
    second = _manifest(out, 2)
    assert second["full"] is True and second["full_reason"] == "the last run was interrupted"
    expected = {g["canonical_url"] for g in goldens(mirror).values()}
    assert expected <= {a["canonical_url"] for a in stored(out)}
