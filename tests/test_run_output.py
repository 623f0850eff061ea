"""What a run tells cron, and how it ends when the machine fails it: an offline run is one
line, the caps in force are in the manifest, a full disk stops the crawl in one line and
loses nothing, and a link the scope check refused is not asked for again.

Every crawl is a real `kronika crawl` subprocess against the rops_krakow mirror on
loopback (or a closed loopback port, for "offline"). The full disk is real: a tmpfs of a
few hundred KB in a private mount namespace (`unshare`), or a file-size limit
(RLIMIT_FSIZE, which makes a write fail with EFBIG) on the crawl process.
"""

from __future__ import annotations

import base64
import gzip
import json
import random
import resource
import shutil
import socket
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from tests.harness import Mirror, MirrorServer, assert_warcs_valid, crawl, goldens, stored

OFFLINE = "kronika: no site was reachable: is this machine offline?"
EXIT_SITE_EMPTY, EXIT_WRITE_FAILED = 3, 6
BIG = "podsumowanie-malopolskiego-kongresu-polityki-spolecznej"


def _kronika(*args, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "crawler.run.cli", *args], capture_output=True,
                          text=True, timeout=120, check=False, **kwargs)


def _manifest(out: Path, run: int) -> dict:
    return json.loads((out / "runs" / f"run-{run:05d}.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def closed_port() -> str:
    """A loopback address where nothing listens (every connection is refused)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


# -- offline: one line ----------------------------------------------------------------------
def test_check_live_offline_is_one_line_on_stderr(closed_port, tmp_path):
    log = tmp_path / "check.log"
    result = _kronika("check", "--live", "rops_krakow", "--base-url", closed_port,
                      "--delay", "0", "--log", str(log))
    assert result.returncode == EXIT_SITE_EMPTY, result.stderr
    assert result.stderr.splitlines() == [OFFLINE]
    assert result.stdout.startswith("rops_krakow: FAILED: ") and result.stdout.count("\n") == 1
    assert "Connection was refused" in log.read_text(encoding="utf-8")  # the log has it all


def test_crawl_offline_is_one_line_and_records_the_caps(closed_port, tmp_path):
    out = tmp_path / "harvest"
    result = _kronika("crawl", "rops_krakow", "--base-url", closed_port, "--delay", "0",
                      "--out", str(out))
    assert result.returncode == EXIT_SITE_EMPTY, result.stderr
    assert result.stderr.splitlines() == [OFFLINE]
    manifest = _manifest(out, 1)
    assert manifest["unreachable"] is True and manifest["exit_code"] == EXIT_SITE_EMPTY
    assert "Connection was refused" in (out / "logs" / "run-00001.log").read_text("utf-8")
    # The caps in force, as the crawl applied them (Scrapy's defaults too).
    caps = manifest["caps"]
    assert caps["KRONIKA_MAX_CRAWL_DELAY"] == 60 and caps["KRONIKA_MAX_BACKOFF"] == 300
    assert caps["KRONIKA_MAX_COOKIES"] == 50 and caps["KRONIKA_MAX_COOKIE_BYTES"] == 4096
    assert caps["KRONIKA_GENERIC_MAX_PAGES"] == 200
    assert caps["DOWNLOAD_MAXSIZE"] == 64 * 1024 * 1024 and "DOWNLOAD_WARNSIZE" in caps
    from crawler.components import settings

    assert set(getattr(settings, "cap_names", ())) <= set(caps)  # every cap it names


# -- a full disk ----------------------------------------------------------------------------
def _big_page(page: dict, body: bytes) -> bytes:
    """One article page grown by 6 MB of incompressible comment: its WARC record cannot
    fit under the limits below, while everything else of the crawl does (the store's
    write-ahead log peaks between 1 and 2 MB, half the limit)."""
    if not page["url"].endswith(BIG):
        return body
    noise = base64.b64encode(random.Random(16).randbytes(6 << 20))
    return body.replace(b"</body>", b"<!-- " + noise + b" --></body>")


def _file_size_limit(limit: int):
    def limit_writes():  # in the child: a write past ``limit`` bytes fails with EFBIG
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
    return limit_writes


def _can_mount_tmpfs() -> bool:
    if not shutil.which("unshare"):
        return False
    probe = subprocess.run(["unshare", "--mount", "--map-root-user", "sh", "-c",
                            "mount -t tmpfs -o size=64k tmpfs /mnt"], capture_output=True,
                           check=False)
    return probe.returncode == 0


def _crawl_on_tmpfs(base_url: str, out: Path, size: str) -> subprocess.CompletedProcess:
    """A crawl into a tmpfs of ``size`` mounted at ``out`` in a mount namespace of its
    own; what it left is copied back into ``out`` (the tmpfs goes with the namespace)."""
    work = out.with_name(out.name + "-mnt")
    work.mkdir()
    out.mkdir()
    script = (f'mount -t tmpfs -o size={size} tmpfs "{work}" && "{sys.executable}" -m '
              f'crawler.run.cli crawl rops_krakow --base-url {base_url} --out "{work}" '
              f'--delay 0; rc=$?; cp -a "{work}/." "{out}/"; exit $rc')
    return subprocess.run(["unshare", "--mount", "--map-root-user", "sh", "-c", script],
                          capture_output=True, text=True, timeout=120, check=False)


def _assert_whole_gzip_members(out: Path) -> None:
    """Every WARC file decompresses to its end: no gzip member cut short (which `warcio
    check` would let pass)."""
    for path in out.glob("warc/*.warc.gz"):
        with gzip.open(path) as fh:
            while fh.read(1 << 20):
                pass


@pytest.mark.parametrize("full", ["warc-file-size-limit", "store-tmpfs"])
def test_a_full_disk_stops_the_run_in_one_line_and_the_next_run_makes_up_for_it(
        tmp_path, full):
    if full == "store-tmpfs" and not _can_mount_tmpfs():
        pytest.skip("cannot mount a tmpfs in a private mount namespace here")
    mirror = Mirror.load("rops_krakow")
    out = tmp_path / "harvest"
    transform = None if full == "store-tmpfs" else _big_page
    with MirrorServer(mirror, transform=transform) as server:
        if full == "store-tmpfs":  # every file on a disk too small for the run
            result = _crawl_on_tmpfs(server.base_url, out, "600k")
        else:  # the big page's WARC record passes the limit; the rest stays under it
            result = subprocess.run(
                [sys.executable, "-m", "crawler.run.cli", "crawl", "rops_krakow",
                 "--base-url", server.base_url, "--out", str(out), "--delay", "0"],
                capture_output=True, text=True, timeout=120, check=False,
                preexec_fn=_file_size_limit(4 << 20))
        assert result.returncode == EXIT_WRITE_FAILED, result.stdout + result.stderr
        assert "Traceback" not in result.stderr
        (line,) = result.stderr.splitlines()
        assert line.startswith("kronika: cannot write ") and line.endswith(
            "the run stopped. Free some space (or give another --out) and run again: the "
            "next run re-walks what this one missed")
        if full == "store-tmpfs":  # whichever file the disk refused first
            assert "database or disk is full" in line or "No space left on device" in line
        else:
            assert "/warc/" in line and "File too large" in line
        _assert_whole_gzip_members(out)
        assert_warcs_valid(out)
        db = sqlite3.connect(out / "kronika.sqlite")
        (finished, summary), = db.execute("SELECT finished_at, summary FROM runs")
        db.close()
        # Either the store took the run's end (marked as a failed write) or it stays
        # unfinished: both make the next run a full one.
        assert finished is None or json.loads(summary)["finish_reason"] == "harvest write failed"
        assert len(stored(out)) < len(goldens(mirror))
        if full == "store-tmpfs":
            return  # the next run's catching up is the same as after the size limit

        # Space again: the next plain run walks everything and stores every article.
        again = crawl(server.base_url, out)
    assert again.returncode == 0, again.stdout + again.stderr
    manifest = _manifest(out, 2)
    assert manifest["full"] is True
    assert manifest["full_reason"] in ("the last run could not write its harvest",
                                       "the last run did not finish")
    expected = {g["canonical_url"] for g in goldens(mirror).values()}
    assert expected <= {a["canonical_url"] for a in stored(out)}
    _assert_whole_gzip_members(out)


# -- a refusal is permanent -----------------------------------------------------------------
FILE_LINK = (b'<div class="news-list">\n<article class="news-item"><div class="news-item__content">'
             b'<p class="news-item__date">18 marca 2024</p><h2 class="news-item__title">'
             b'<a href="file://rops.krakow.pl/etc/passwd">Hasla</a></h2></div></article>')


def _file_link(page: dict, body: bytes) -> bytes:
    """The first listing page also lists a file:// link on the site's own host."""
    if page["url"] != "https://rops.krakow.pl/aktualnosci":
        return body
    return body.replace(b'<div class="news-list">', FILE_LINK, 1)


def test_a_refused_link_is_recorded_once_and_never_retried(tmp_path):
    out = tmp_path / "harvest"
    with MirrorServer(Mirror.load("rops_krakow"), transform=_file_link) as server:
        first = crawl(server.base_url, out, "--no-media")
        second = crawl(server.base_url, out, "--no-media")
    refused = "file://rops.krakow.pl/etc/passwd"
    assert first.returncode == 1, first.stdout + first.stderr
    (line,) = [x for x in first.stdout.splitlines() if refused in x]
    assert line.startswith(f"  refused: {refused} (OutOfScope: out of scope: ")
    assert line.endswith("; not retried)")
    assert _manifest(out, 1)["sites"]["rops_krakow"]["refused"] == 1
    # The next run does not ask for it as a retry; the listing still gives it, and the
    # same refusal is counted, not recorded as a failure of that run.
    assert second.returncode == 0, second.stdout + second.stderr
    assert "rops_krakow: 1 link(s) refused again by the scope check, as in an earlier run " \
           "(not failures of this run)" in second.stdout
    site = _manifest(out, 2)["sites"]["rops_krakow"]
    assert site["refused"] == 0 and site["refused_before"] == 1
    db = sqlite3.connect(out / "kronika.sqlite")
    rows = db.execute("SELECT kind, attempts, last_run FROM failures WHERE url=?",
                      (refused,)).fetchall()
    db.close()
    assert rows == [("refused", 1, 1)]
