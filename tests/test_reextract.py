"""`kronika reextract`: the store rebuilt from the WARC files alone behaves as the
crawl's (the next crawl sends conditional requests and writes revisits), extraction over
several processes gives the records one process gives, and a partial WARC set is
re-extracted as far as it goes."""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from warcio.archiveiterator import ArchiveIterator

from crawler.run.reextract import run_reextract
from tests.harness import Mirror, MirrorServer, crawl, stored


@pytest.fixture(scope="module")
def server():
    with MirrorServer(Mirror.load("rops_krakow")) as running:
        yield running


@pytest.fixture(scope="module")
def original(server, tmp_path_factory):
    out = tmp_path_factory.mktemp("original")
    result = crawl(server.base_url, out, "--no-media")
    assert result.returncode == 0, result.stderr
    return out


def kronika(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "crawler.run.cli", *args],
                          capture_output=True, text=True, timeout=120, check=False)


def without_store(original: Path, to: Path) -> Path:
    shutil.copytree(original, to)
    for name in ("kronika.sqlite", "kronika.sqlite-wal", "kronika.sqlite-shm"):
        (to / name).unlink(missing_ok=True)
    return to


def next_crawl_records(server, out: Path) -> Counter:
    """WARC record types of one more crawl's new WARC files (with the HTTP status, and
    conditional requests apart)."""
    before = set(out.glob("warc/*.warc.gz"))
    result = crawl(server.base_url, out, "--no-media")
    assert result.returncode == 0, result.stderr
    kinds: Counter = Counter()
    for path in sorted(set(out.glob("warc/*.warc.gz")) - before):
        with open(path, "rb") as fh:
            for record in ArchiveIterator(fh):
                kind = record.rec_headers.get_header("WARC-Type")
                http = record.http_headers
                if kind in ("response", "revisit") and http:
                    kind += f" {http.get_statuscode()}"
                elif kind == "request" and http and (http.get_header("If-None-Match")
                                                     or http.get_header("If-Modified-Since")):
                    kind += " conditional"
                kinds[kind] += 1
    return kinds


def test_a_crawl_after_reextract_of_a_lost_store_is_a_crawl_after_the_crawl(
        server, original, tmp_path):
    as_crawled = tmp_path / "as_crawled"
    shutil.copytree(original, as_crawled)
    rebuilt = without_store(original, tmp_path / "rebuilt")
    result = kronika("reextract", "--out", str(rebuilt))
    assert result.returncode == 0, result.stderr
    assert sorted(r["id"] for r in stored(rebuilt)) == sorted(r["id"] for r in stored(original))

    expected = next_crawl_records(server, as_crawled)
    got = next_crawl_records(server, rebuilt)
    # The crawl after the crawl archives no payload again: revisits only.
    assert expected["response 200"] == 0
    assert expected["revisit 200"] + expected["revisit 304"] > 0
    assert got == expected
    # With the store lost and not rebuilt, the same crawl archives everything again.
    lost = without_store(original, tmp_path / "lost")
    assert next_crawl_records(server, lost)["response 200"] > 0


def test_the_capture_and_payload_tables_come_back(original, tmp_path):
    rebuilt = without_store(original, tmp_path / "rebuilt")
    run_reextract(rebuilt, workers=1)

    def tables(out: Path) -> tuple:
        db = sqlite3.connect(out / "kronika.sqlite")
        try:
            return (sorted(db.execute(
                        "SELECT url, status, content_type, warc_file, record_id,"
                        " payload_digest, etag, last_modified FROM captures")),
                    sorted(db.execute("SELECT digest, url, warc_file, record_id FROM payloads")))
        finally:
            db.close()

    assert tables(rebuilt) == tables(original)


def test_several_processes_give_the_records_one_process_gives(original, tmp_path):
    one = without_store(original, tmp_path / "one")
    two = without_store(original, tmp_path / "two")
    first = run_reextract(one, workers=1)
    # Chunks of two captures: several tasks per worker, finishing in any order.
    second = run_reextract(two, workers=2, chunk=2)
    assert first["sites"] == second["sites"]
    assert first["sites"]["rops_krakow"]["new"] == len(stored(original))
    assert stored(one) == stored(two)
    # The same records the crawl stored, captures included.
    by_id = {r["id"]: r for r in stored(original)}
    assert {r["id"]: r["capture"] for r in stored(two)} == \
        {i: r["capture"] for i, r in by_id.items()}


def test_reextract_of_an_intact_store_adds_no_captures(original, tmp_path):
    out = tmp_path / "again"
    shutil.copytree(original, out)
    summary = run_reextract(out, workers=2)
    assert summary["captures_restored"] == 0
    assert summary["problems"] == []
    assert set(summary["sites"]["rops_krakow"]) == {"unchanged"}
