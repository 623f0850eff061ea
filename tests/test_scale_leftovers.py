"""The WARC files of a worker killed mid-crawl get their index: from the other worker's
closing step where the workers share one --out, and from the worker's own next run.
Without it a gathered collection would replay none of the dead worker's captures.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import psycopg

from archive.pgstore import PgStore
from tests.harness import MirrorServer, assert_warcs_valid, kill, slowly, wait_until
from tests.synthetic import synthetic_mirror

ARTICLES = 90


def start_worker(n: int, server, frontier: str, store: str, out: Path):
    return subprocess.Popen(
        [sys.executable, "-m", "crawler.run.cli", "crawl", "rops_torun", "--base-url",
         server.base_url, "--delay", "0", "--out", str(out), "--frontier", frontier,
         "--store", store, "--worker", f"w{n}"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "KRONIKA_CONTACT": "archiwum@example.org"})


def indexed_articles(out: Path) -> set[str]:
    """Article URLs with a 200 HTML capture in any of the harvest's CDXJ indexes."""
    urls = set()
    for index in out.glob("indexes/*.cdxj"):
        for line in index.read_text().splitlines():
            fields = json.loads(line.split(" ", 2)[2])
            if fields.get("status") == "200" and fields.get("mime") == "text/html":
                urls.add(fields["url"])
    return urls


def runs_of(out: Path, worker: str) -> set[str]:
    """The prefixes of ``worker``'s runs that left WARC files in ``out``."""
    return {p.name.rsplit("-", 1)[0] for p in out.glob(f"warc/*-{worker}-*.warc.gz")}


def test_a_dead_workers_warc_files_are_indexed(tmp_path, redis_url, postgres_dsn):
    frontier = redis_url + "?lease=2"
    out = tmp_path / "shared"  # both workers of this machine in one --out
    PgStore(postgres_dsn).close()
    mirror = synthetic_mirror(ARTICLES, seed=12)
    with MirrorServer(mirror) as server:
        server.transform = slowly(0.03, kind="article")
        w0, w1 = (start_worker(n, server, frontier, postgres_dsn, out) for n in (0, 1))
        wait_until(lambda: sum(p.stat().st_size for p in out.glob("warc/*-w1-*.warc.gz"))
                   > 50_000, 120, "w1 to archive some pages", running=[w1])
        kill(w1)
        dead = runs_of(out, "w1")
        assert dead and not any((out / "indexes" / f"{p}.cdxj").exists() for p in dead)
        stdout, stderr = w0.communicate(timeout=240)
        assert w0.returncode == 0, stdout + stderr
        # w0's closing step indexed the dead worker's files: the harvest's indexes cover
        # every file and every article.
        assert all((out / "indexes" / f"{p}.cdxj").exists() for p in dead)
        assert indexed_articles(out) >= set(mirror.article_urls)
        assert_warcs_valid(out)
        # A worker whose directory nobody shared indexes its previous life's files at
        # the end of its next run.
        for prefix in dead:
            (out / "indexes" / f"{prefix}.cdxj").unlink()
        server.transform = None
        again = start_worker(1, server, frontier, postgres_dsn, out)
        stdout, stderr = again.communicate(timeout=240)
        assert again.returncode == 0, stdout + stderr
        assert all((out / "indexes" / f"{p}.cdxj").exists() for p in dead)
    # A generation with a killed worker did not finish, whatever the others did: the next
    # night walked everything, and every article is stored once.
    manifest = json.loads(sorted(out.glob("runs/*.json"))[-1].read_text())
    assert manifest["frontier"]["worker"] == "w1"
    assert manifest["full_reason"] == "the last crawl did not finish"
    with psycopg.connect(postgres_dsn) as db:
        rows = db.execute("SELECT a.url, count(v.version) FROM articles a JOIN versions v"
                          " ON v.article_id = a.id GROUP BY a.url").fetchall()
    assert sorted(url for url, _ in rows) == sorted(mirror.article_urls)
    assert {versions for _, versions in rows} == {1}
