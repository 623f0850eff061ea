"""Three crawl workers share one crawl through a real Redis frontier and a real
PostgreSQL store, against a 300-article mirror on 127.0.0.1.

What a user checks: every article stored exactly once; no article fetched twice (the
mirror's request log); never more requests at once to the host than allowed, and the
delay kept between them, counted by the server itself; a worker killed mid-crawl loses
nothing, because the others finish its share.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter
from pathlib import Path

import psycopg
import redis

from archive.pgstore import PgStore
from tests.harness import MirrorServer, assert_warcs_valid, kill, slowly, wait_until
from tests.synthetic import synthetic_mirror

ARTICLES = 300
WORKERS = 3


def start_worker(n: int, server, frontier: str, store: str, out: Path, delay: str):
    return subprocess.Popen(
        [sys.executable, "-m", "crawler.run.cli", "crawl", "rops_torun", "--base-url",
         server.base_url, "--delay", delay, "--out", str(out / f"w{n}"), "--frontier",
         frontier, "--store", store, "--worker", f"w{n}"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def finish(process) -> tuple[int, str]:
    out, err = process.communicate(timeout=180)
    return process.returncode, out + err


def stored(dsn: str) -> list[tuple[str, int]]:
    """(url, number of versions) of every stored article."""
    with psycopg.connect(dsn) as db:
        return db.execute("SELECT a.url, count(v.version) FROM articles a JOIN versions v"
                          " ON v.article_id = a.id GROUP BY a.url").fetchall()


def article_fetches(server) -> Counter:
    return Counter(r["path"] for r in server.requests if r["path"].count("/") == 2
                   and r["path"].startswith("/40-archiwum-2021/"))


def test_three_workers_share_one_crawl_politely(tmp_path, redis_url, postgres_dsn):
    mirror = synthetic_mirror(ARTICLES)
    delay = 0.05
    with MirrorServer(mirror) as server:
        workers = [start_worker(n, server, redis_url, postgres_dsn, tmp_path, str(delay))
                   for n in range(WORKERS)]
        results = [finish(w) for w in workers]
        requests = list(server.requests)
        max_in_flight = server.max_in_flight
    for code, output in results:
        assert code == 0, output
    # Every article stored exactly once: one row, one version, counted "new" once.
    rows = stored(postgres_dsn)
    assert sorted(url for url, _ in rows) == sorted(mirror.article_urls)
    assert all(versions == 1 for _, versions in rows)
    manifests = [json.loads(p.read_text()) for p in sorted(tmp_path.glob("w*/runs/*.json"))]
    shares = [m["sites"]["rops_torun"]["new"] for m in manifests]
    assert sum(shares) == ARTICLES and all(share > 0 for share in shares), shares
    assert {m["sites"]["rops_torun"]["crawl_articles"] for m in manifests} == {ARTICLES}
    # No article URL fetched twice, and every one fetched, across all workers.
    fetched = article_fetches(server)
    assert len(fetched) == ARTICLES and set(fetched.values()) == {1}
    # The host saw one request at a time, and the delay between request starts across
    # workers: Scrapy's delay with its +-50% jitter, so 0.5 to 1.5 times --delay, about
    # --delay in the middle. Three workers each keeping only their own delay would start
    # a request every delay/3 on average.
    assert max_in_flight == 1
    starts = sorted(r["time"] for r in requests)
    gaps = sorted(b - a for a, b in zip(starts, starts[1:], strict=False))
    assert gaps[len(gaps) // 2] >= delay * 0.9, gaps[::20]
    assert sum(gap < delay * 0.45 for gap in gaps) <= len(gaps) // 50, gaps[:20]
    # Worker-unique WARC files, each valid, and per-worker indexes that merge into one
    # index holding every article capture once.
    names = [p.name for p in tmp_path.glob("w*/warc/*.warc.gz")]
    assert len(set(names)) == len(names) >= WORKERS
    assert all(f"-w{n}-" in " ".join(names) for n in range(WORKERS))
    for n in range(WORKERS):
        assert_warcs_valid(tmp_path / f"w{n}")
    merged = sorted(line for p in tmp_path.glob("w*/indexes/*.cdxj")
                    for line in p.read_text().splitlines())
    captured = Counter(json.loads(line.split(" ", 2)[2])["url"] for line in merged
                       if '"status": "200"' in line and "/40-archiwum-2021/" in line
                       and '"mime": "text/html"' in line)
    assert {url: n for url, n in captured.items() if "?start=" not in url
            and url.count("/") == 4} == {url: 1 for url in mirror.article_urls}


def test_a_worker_killed_mid_crawl_loses_nothing(tmp_path, redis_url, postgres_dsn):
    mirror = synthetic_mirror(ARTICLES, seed=1)
    frontier = redis_url + "?lease=2"  # a dead worker is noticed within 2 s
    client = redis.Redis.from_url(redis_url)
    PgStore(postgres_dsn).close()  # the tables, so that progress can be watched at once
    with MirrorServer(mirror) as server:
        workers = [start_worker(n, server, frontier, postgres_dsn, tmp_path, "0")
                   for n in range(WORKERS)]
        wait_until(lambda: len(stored(postgres_dsn)) >= ARTICLES // 4, 120,
                   f"{ARTICLES // 4} of {ARTICLES} articles stored", running=workers,
                   interval=0.1)
        victim, inflight = workers[1], "kronika:g1:rops_torun:inflight:w1"
        # Slow answers, on purpose, keep a claimed request in flight long enough to kill
        # the worker while it holds one (between two requests it holds none, and nothing
        # is proved).
        server.transform = slowly(1.0, kind="article")
        wait_until(lambda: client.hlen(inflight), 60, "w1 to hold a claimed request",
                   running=[victim], interval=0.01)
        kill(victim)
        server.transform = None
        # What it had taken from the queue and not finished: lost, unless the others
        # take it back. (Nothing can touch this hash until its lease runs out.)
        claimed = client.hgetall(inflight)
        assert claimed, "the killed worker held no requests: nothing was proved"
        results = [finish(w) for n, w in enumerate(workers) if n != 1]
        fetched = article_fetches(server)
    for code, output in results:
        assert code == 0, output
    rows = stored(postgres_dsn)
    assert sorted(url for url, _ in rows) == sorted(mirror.article_urls)
    assert all(versions == 1 for _, versions in rows)
    assert len(fetched) == ARTICLES
    # Only what the killed worker had claimed may have been fetched a second time.
    assert sum(n - 1 for n in fetched.values()) <= len(claimed)
    assert client.hlen("kronika:g1:rops_torun:inflight:w1") == 0
    assert client.zcard("kronika:g1:rops_torun:requests") == 0
    assert client.smembers("kronika:workers") <= {b"w1"}  # the others left cleanly
    for n in (0, 2):
        assert_warcs_valid(tmp_path / f"w{n}")
