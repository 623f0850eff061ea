"""What a person sees: live progress on a terminal, a summary from cron, silence with
--quiet unless something failed; and --since/--until bounding a harvest."""

from __future__ import annotations

import os
import pty
import select
import subprocess
import sys
from urllib.parse import urlsplit

from tests.harness import Mirror, MirrorServer, crawl, stored


def crawl_on_a_terminal(base_url, out) -> tuple[int, str]:
    master, slave = pty.openpty()
    process = subprocess.Popen(
        [sys.executable, "-m", "crawler.run.cli", "crawl", "rops_krakow", "--base-url", base_url,
         "--out", str(out), "--delay", "0", "--no-media"],
        stdin=slave, stdout=slave, stderr=slave, close_fds=True)
    os.close(slave)
    data = b""
    while True:
        assert select.select([master], [], [], 60)[0], (
            f"the crawl wrote nothing to its terminal for 60 s: {data[-300:]!r}")
        try:
            chunk = os.read(master, 65536)
        except OSError:  # the child closed the terminal
            break
        if not chunk:
            break
        data += chunk
    process.wait(timeout=60)
    os.close(master)
    return process.returncode, data.decode("utf-8", errors="replace")


def test_a_terminal_gets_live_progress_per_site(tmp_path):
    with MirrorServer(Mirror.load("rops_krakow")) as server:
        code, screen = crawl_on_a_terminal(server.base_url, tmp_path)
    assert code == 0
    assert "rops_krakow" in screen and "9 articles" in screen and "0 errors" in screen
    assert "rops_krakow: 9 new, 0 changed, 0 unchanged, 0 failed" in screen


def test_cron_gets_only_the_summary(tmp_path):
    with MirrorServer(Mirror.load("rops_krakow")) as server:
        result = crawl(server.base_url, tmp_path, "--no-media")
    assert result.stderr == ""
    assert result.stdout.splitlines()[0] == "rops_krakow: 9 new, 0 changed, 0 unchanged, 0 failed"
    assert "pages" not in result.stdout
    assert (tmp_path / "logs" / "run-00001.log").read_text()  # the detail is in the log


def test_quiet_says_nothing_unless_something_failed(tmp_path):
    mirror = Mirror.load("rops_krakow")
    with MirrorServer(mirror) as server:
        calm = crawl(server.base_url, tmp_path / "a", "--no-media", "--quiet")
        broken = urlsplit(next(p for p in mirror.articles() if "dzien" in p["url"])["url"]).path
        server.faults[broken] = 500
        noisy = crawl(server.base_url, tmp_path / "b", "--no-media", "--quiet")
    assert calm.returncode == 0 and calm.stdout == ""
    assert noisy.returncode == 1
    assert "failed: https://rops.krakow.pl/aktualnosci/dzien-wolny-od-pracy-w-rops" in noisy.stdout
    assert "exit 1" in noisy.stdout and "new," not in noisy.stdout


def test_since_and_until_bound_the_harvest_by_publication_date(tmp_path):
    with MirrorServer(Mirror.load("rops_krakow")) as server:
        result = crawl(server.base_url, tmp_path, "--no-media", "--since", "2017-01-01",
                       "--until", "2022-12-31")
    assert result.returncode == 0, result.stdout
    records = stored(tmp_path)
    dated = sorted(r["published"][:10] for r in records if r["published"])
    assert dated == ["2017-11-22", "2019-04-03", "2021-12-16", "2022-06-07"]
    # Undated articles cannot be placed outside the window: they are kept.
    assert len([r for r in records if not r["published"]]) == 2
