"""A shared crawl survives its own servers: Redis and PostgreSQL stopped and started again
(by PID) in the middle of a crawl, a backend terminated, an outage longer than the
budget, SIGTERM to a worker, a drain; and the night after an unfinished crawl is a full
one. Real redis-server and PostgreSQL processes on 127.0.0.1, a synthetic mirror, and
the workers as `kronika crawl` subprocesses; every crawl is checked against the mirror's
article list: each article stored exactly once.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

import psycopg
import pytest
import redis

from archive.pgstore import PgStore
from crawler.scale.frontier import EXIT_UNREACHABLE
from tests.harness import MirrorServer, assert_warcs_valid, slowly, wait_until
from tests.services import (
    PostgresServer,
    _stop,
    _wait_until_up,
    free_port,
    postgres_bindir,
    unavailable,
)
from tests.synthetic import synthetic_mirror

ARTICLES = 120
EXIT_INTERRUPTED = 5


class RestartableRedis:
    """A redis-server on a fixed loopback port that a test stops and starts again by PID;
    with ``persist`` its data survives (AOF, fsync always), without it a restart forgets
    everything."""

    def __init__(self, persist: bool, password: str | None = None):
        self.binary = shutil.which("redis-server") or "/usr/bin/redis-server"
        if not os.path.exists(self.binary):
            unavailable("redis-server is not installed")
        self.dir = tempfile.mkdtemp(prefix="kronika-redis-")
        self.port = free_port()
        self.persist, self.password = persist, password
        self.start()

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def client(self) -> redis.Redis:
        return redis.Redis(port=self.port, password=self.password, socket_connect_timeout=1)

    def start(self) -> None:
        args = [self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
                "--appendonly", "yes" if self.persist else "no", "--appendfsync", "always",
                "--daemonize", "no", "--dir", self.dir,
                "--logfile", os.path.join(self.dir, "redis.log")]
        if self.password:
            args += ["--requirepass", self.password]
        self.process = subprocess.Popen(args, stdout=subprocess.DEVNULL,
                                        stderr=subprocess.DEVNULL)
        _wait_until_up(self, self.client().ping, redis.ConnectionError, "redis-server", 0.05)

    def stop(self) -> None:
        _stop(self.process)

    def close(self) -> None:
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


class RestartablePostgres(PostgresServer):
    """tests.services' throwaway cluster, which a test can also stop (fast shutdown, by
    PID) and start again on the same data and port."""

    def __init__(self, bindir: Path):
        self.bindir = bindir
        super().__init__(bindir)

    def pause(self) -> None:
        _stop(self.process, signal.SIGINT)

    def resume(self) -> None:
        import pwd

        as_user = {}
        if os.geteuid() == 0:
            user = pwd.getpwnam("postgres")
            as_user = {"user": user.pw_uid, "group": user.pw_gid, "extra_groups": []}
        self.process = subprocess.Popen(
            [str(self.bindir / "postgres"), "-D", os.path.join(self.dir, "data"), "-h",
             "127.0.0.1", "-p", str(self.port), "-k", self.dir, "-c", "fsync=off",
             "-c", "synchronous_commit=off", "-c", "full_page_writes=off",
             "-c", "max_connections=100"],
            stdout=subprocess.DEVNULL,
            stderr=open(os.path.join(self.dir, "server.log"), "ab"),  # noqa: SIM115
            cwd=self.dir, **as_user)
        self._wait()


@pytest.fixture(scope="module")
def pg():
    bindir = postgres_bindir()
    if bindir is None:
        unavailable("the PostgreSQL server binaries (initdb, postgres) are not installed")
    server = RestartablePostgres(bindir)
    yield server
    server.stop()


@pytest.fixture
def make_redis():
    made: list[RestartableRedis] = []

    def make(persist: bool = True, password: str | None = None) -> RestartableRedis:
        made.append(RestartableRedis(persist, password))
        return made[-1]

    yield make
    for server in made:
        server.close()


def a_quarter_stored(dsn: str, processes: list) -> None:
    """Wait until a quarter of the site is stored: the crawl is under way."""
    wait_until(lambda: count_stored(dsn) >= ARTICLES // 4, 120, "a quarter stored",
               running=processes)


def two_workers(server, frontier: str, dsn: str, out: Path, **env) -> list:
    """Workers 0 and 1 of a shared crawl, once a quarter of the site is stored."""
    workers = [start_worker(n, server, frontier, dsn, out, **env) for n in (0, 1)]
    a_quarter_stored(dsn, workers)
    return workers


def start_worker(n: int, server, frontier: str, store: str, out: Path, **env):
    return subprocess.Popen(
        [sys.executable, "-m", "crawler.run.cli", "crawl", "rops_torun", "--base-url",
         server.base_url, "--delay", "0", "--out", str(out / f"w{n}"), "--frontier",
         frontier, "--store", store, "--worker", f"w{n}"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "KRONIKA_CONTACT": "archiwum@example.org", **env})


def finish(process) -> tuple[int, str, str]:
    out, err = process.communicate(timeout=240)
    return process.returncode, out, err


def stored(dsn: str) -> list[tuple[str, int]]:
    """(url, number of versions) of every stored article."""
    with psycopg.connect(dsn) as db:
        return db.execute("SELECT a.url, count(v.version) FROM articles a JOIN versions v"
                          " ON v.article_id = a.id GROUP BY a.url").fetchall()


def count_stored(dsn: str) -> int:
    with psycopg.connect(dsn) as db:
        return db.execute("SELECT count(*) FROM articles").fetchone()[0]


def assert_each_article_once(dsn: str, mirror) -> None:
    rows = stored(dsn)
    assert sorted(url for url, _ in rows) == sorted(mirror.article_urls)
    assert all(versions == 1 for _, versions in rows), [r for r in rows if r[1] != 1]


def logged(out: Path, text: str) -> bool:
    return any(text in p.read_text(errors="replace") for p in out.glob("logs/*.log"))


def manifests(out: Path) -> list[dict]:
    return [json.loads(p.read_text()) for p in sorted(out.glob("runs/*.json"))]


def run_states(dsn: str) -> list[tuple]:
    with psycopg.connect(dsn) as db:
        return db.execute("SELECT worker, exit_code, summary->>'finish_reason' FROM runs"
                          " ORDER BY id").fetchall()


def next_night(server, frontier: str, dsn: str, out: Path, mirror) -> dict:
    """One worker's crawl after the one under test: it must be a full one, and leave
    every article of the mirror stored exactly once. Its manifest."""
    code, stdout, stderr = finish(start_worker(9, server, frontier, dsn, out))
    assert code == 0, stdout + stderr
    manifest = manifests(out / "w9")[-1]
    assert manifest["full"] and manifest["full_reason"] == "the last crawl did not finish"
    assert manifest["frontier"]["founder"] and not manifest["frontier"]["incremental"]
    assert_each_article_once(dsn, mirror)
    return manifest


def test_redis_restarted_mid_crawl_loses_nothing(tmp_path, pg, make_redis):
    server_redis = make_redis(persist=True)
    dsn = pg.create_database()
    PgStore(dsn).close()
    mirror = synthetic_mirror(ARTICLES, seed=3)
    with MirrorServer(mirror) as server:
        server.transform = slowly(0.03, kind="article")  # a crawl long enough to cut
        workers = two_workers(server, server_redis.url, dsn, tmp_path)
        server_redis.stop()
        # The outage lasts until every worker has met it (and said so, once).
        wait_until(lambda: all(logged(tmp_path / f"w{n}", "does not answer") for n in (0, 1)),
                   60, "both workers to notice the outage", running=workers, interval=0.1)
        assert count_stored(dsn) < ARTICLES, "the crawl ended before the outage"
        server_redis.start()
        results = [finish(w) for w in workers]
    for code, out, err in results:
        assert code == 0, out + err
        assert "Traceback" not in err
    assert all(logged(tmp_path / f"w{n}", "answers again") for n in (0, 1))
    assert_each_article_once(dsn, mirror)
    client = server_redis.client()
    assert client.zcard("kronika:g1:rops_torun:requests") == 0
    assert client.keys("kronika:g1:rops_torun:inflight:*") == []
    for n in (0, 1):
        assert_warcs_valid(tmp_path / f"w{n}")


def test_redis_restarted_without_its_data_stops_the_crawl_and_the_next_is_full(
        tmp_path, pg, make_redis):
    server_redis = make_redis(persist=False)
    dsn = pg.create_database()
    PgStore(dsn).close()
    mirror = synthetic_mirror(ARTICLES, seed=4)
    with MirrorServer(mirror) as server:
        server.transform = slowly(0.03, kind="article")
        workers = two_workers(server, server_redis.url, dsn, tmp_path)
        server_redis.stop()
        wait_until(lambda: all(logged(tmp_path / f"w{n}", "does not answer") for n in (0, 1)),
                   60, "both workers to notice the outage", running=workers, interval=0.1)
        server_redis.start()  # empty: the queue, the fingerprints, the claims are gone
        results = [finish(w) for w in workers]
        # An empty queue is not a finished crawl: each worker stops, says why, and
        # neither run passes for a success.
        for code, out, err in results:
            assert code == EXIT_UNREACHABLE, out + err
            assert "lost generation 1" in err and "Traceback" not in err
            assert err.strip().count("\n") == 0, err
        assert {state[1:] for state in run_states(dsn)} == {(7, "frontier unreachable")}
        assert count_stored(dsn) < ARTICLES
        server.transform = None
        next_night(server, server_redis.url, dsn, tmp_path, mirror)


def test_postgres_restarted_mid_crawl_loses_nothing(tmp_path, pg, make_redis):
    server_redis = make_redis(persist=False)
    dsn = pg.create_database()
    PgStore(dsn).close()
    mirror = synthetic_mirror(ARTICLES, seed=5)
    with MirrorServer(mirror) as server:
        server.transform = slowly(0.03, kind="article")
        workers = two_workers(server, server_redis.url, dsn, tmp_path)
        pg.pause()
        wait_until(lambda: all(logged(tmp_path / f"w{n}", "store: PostgreSQL") for n in (0, 1)),
                   60, "both workers to notice the outage", running=workers, interval=0.1)
        pg.resume()
        assert count_stored(dsn) < ARTICLES, "the crawl ended before the outage"
        results = [finish(w) for w in workers]
    for code, out, err in results:
        assert code == 0, out + err
        assert "Traceback" not in err and "psycopg" not in err
    assert all(logged(tmp_path / f"w{n}", "answers again") for n in (0, 1))
    assert_each_article_once(dsn, mirror)
    assert {state[1:] for state in run_states(dsn)} == {(0, "finished")}


def test_a_terminated_backend_is_replaced(tmp_path, pg, make_redis):
    server_redis = make_redis(persist=False)
    dsn = pg.create_database()
    PgStore(dsn).close()
    mirror = synthetic_mirror(ARTICLES, seed=6)
    with MirrorServer(mirror) as server:
        server.transform = slowly(0.03, kind="article")
        workers = two_workers(server, server_redis.url, dsn, tmp_path)
        with psycopg.connect(dsn, autocommit=True) as db:
            terminated = db.execute(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE"
                " datname = current_database() AND pid <> pg_backend_pid()").fetchone()[0]
        assert terminated >= 2
        results = [finish(w) for w in workers]
    for code, out, err in results:
        assert code == 0, out + err
        assert "Traceback" not in err
    assert any(logged(tmp_path / f"w{n}", "answers again") for n in (0, 1))
    assert_each_article_once(dsn, mirror)


def test_an_outage_longer_than_the_budget_stops_the_worker_with_exit_7(
        tmp_path, pg, make_redis):
    server_redis = make_redis(persist=True)
    frontier = server_redis.url + "?lease=2"  # the stopped worker's claims free in 2 s
    dsn = pg.create_database()
    PgStore(dsn).close()
    mirror = synthetic_mirror(ARTICLES, seed=7)
    with MirrorServer(mirror) as server:
        server.transform = slowly(0.03, kind="article")
        worker = start_worker(0, server, frontier, dsn, tmp_path, KRONIKA_OUTAGE_BUDGET="3")
        a_quarter_stored(dsn, [worker])
        server_redis.stop()
        code, out, err = finish(worker)  # Redis stays away: the worker gives up
        assert code == EXIT_UNREACHABLE, out + err
        assert "Traceback" not in err and err.strip().count("\n") == 0, err
        assert f"the frontier at {frontier} did not answer for 3 s" in err
        manifest = manifests(tmp_path / "w0")[-1]
        assert manifest["exit_code"] == EXIT_UNREACHABLE and manifest["interrupted"]
        assert manifest["finish_reason"] == "frontier unreachable"
        server_redis.start()
        server.transform = None
        next_night(server, frontier, dsn, tmp_path, mirror)


def test_sigterm_to_a_worker_is_never_a_success_and_the_next_night_is_full(
        tmp_path, pg, make_redis):
    server_redis = make_redis(persist=False)
    dsn = pg.create_database()
    PgStore(dsn).close()
    mirror = synthetic_mirror(ARTICLES, seed=8)
    with MirrorServer(mirror) as server:
        server.transform = slowly(0.03, kind="article")
        workers = two_workers(server, server_redis.url, dsn, tmp_path)
        workers[1].send_signal(signal.SIGTERM)
        (code1, out1, err1), (code0, out0, err0) = finish(workers[1]), finish(workers[0])
        assert code1 == EXIT_INTERRUPTED, out1 + err1
        assert code0 == 0, out0 + err0  # the other finished the crawl, w1's share too
        assert_each_article_once(dsn, mirror)
        assert sorted(run_states(dsn)) == [("w0", 0, "finished"), ("w1", 5, "shutdown")]
        assert server_redis.client().hget("kronika:crawl", "unfinished") == b"w1: shutdown"
        server.transform = None
        next_night(server, server_redis.url, dsn, tmp_path, mirror)


def kronika(*args, **env):
    return subprocess.run([sys.executable, "-m", "crawler.run.cli", *args],
                          capture_output=True, text=True, timeout=120,
                          env={**os.environ, **env})


def test_status_and_drain(tmp_path, pg, make_redis):
    server_redis = make_redis(persist=False, password="s3cret-redis")
    env = {"KRONIKA_REDIS_PASSWORD": "s3cret-redis"}
    dsn = pg.create_database()
    PgStore(dsn).close()
    mirror = synthetic_mirror(ARTICLES, seed=9)
    with MirrorServer(mirror) as server:
        # Slower: the status commands take their time, and the drain must come mid-crawl.
        server.transform = slowly(0.2, kind="article")
        workers = [start_worker(n, server, server_redis.url, dsn, tmp_path, **env)
                   for n in (0, 1)]
        a_quarter_stored(dsn, workers)
        status = kronika("frontier", "status", "--frontier", server_redis.url, "--json", **env)
        assert status.returncode == 0, status.stderr
        report = json.loads(status.stdout)
        assert report["generation"]["number"] == 1 and not report["generation"]["draining"]
        assert {n: w["alive"] for n, w in report["workers"].items()} == {"w0": True,
                                                                         "w1": True}
        site = report["sites"]["rops_torun"]
        assert site["queued"] + site["in_flight"] > 0 and site["articles"] > 0
        drained = kronika("frontier", "drain", "--frontier", server_redis.url, "--wait", "60",
                          **env)
        assert drained.returncode == 0, drained.stdout + drained.stderr
        assert "2 live worker(s) asked to drain" in drained.stdout
        results = [finish(w) for w in workers]
        for code, out, err in results:
            assert code == EXIT_INTERRUPTED, out + err
            assert err.startswith("kronika: drained") and "Traceback" not in err, err
        assert {state[1:] for state in run_states(dsn)} == {(5, "drained")}
        report = json.loads(kronika("frontier", "status", "--frontier", server_redis.url,
                                    "--json", **env).stdout)
        assert report["generation"]["draining"]
        assert not any(w["alive"] for w in report["workers"].values())
        text = kronika("frontier", "status", "--frontier", server_redis.url, **env)
        assert text.returncode == 0, text.stderr
        assert "generation 1: incremental" in text.stdout and "draining" in text.stdout
        # Without the password Redis refuses: one line, no traceback, not a usage error.
        refused = kronika("frontier", "status", "--frontier", server_redis.url)
        assert refused.returncode == EXIT_UNREACHABLE, refused.stderr
        assert refused.stderr.count("\n") == 1 and "Traceback" not in refused.stderr
        # Nothing claimed is left behind: what the workers did not finish is queued.
        assert report["sites"]["rops_torun"]["in_flight"] == 0
        assert count_stored(dsn) < ARTICLES
        server.transform = None
        code, out, err = finish(start_worker(9, server, server_redis.url, dsn, tmp_path,
                                             **env))
        assert code == 0, out + err
        assert manifests(tmp_path / "w9")[-1]["full_reason"] == "the last crawl did not finish"
        assert_each_article_once(dsn, mirror)


def test_one_process_whose_store_is_gone_exits_7_and_the_next_run_is_full(tmp_path, pg):
    # --store alone (one machine, PostgreSQL instead of SQLite): the same budget, the same
    # exit status, no psycopg traceback, and the next run makes up for it.
    dsn = pg.create_database()
    PgStore(dsn).close()
    mirror = synthetic_mirror(ARTICLES, seed=10)
    args = [sys.executable, "-m", "crawler.run.cli", "crawl", "rops_torun", "--delay", "0",
            "--out", str(tmp_path / "h"), "--store", dsn]
    env = {**os.environ, "KRONIKA_CONTACT": "archiwum@example.org"}
    with MirrorServer(mirror) as server:
        server.transform = slowly(0.03, kind="article")
        process = subprocess.Popen([*args, "--base-url", server.base_url],
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                   env={**env, "KRONIKA_OUTAGE_BUDGET": "2"})
        a_quarter_stored(dsn, [process])
        pg.pause()
        try:
            code, out, err = finish(process)
        finally:
            pg.resume()
        assert code == EXIT_UNREACHABLE, out + err
        assert "Traceback" not in err and "psycopg" not in err, err
        assert err.strip().count("\n") == 0 and "was unreachable for 2 s" in err, err
        manifest = manifests(tmp_path / "h")[-1]
        assert manifest["finish_reason"] == "store unreachable" and manifest["interrupted"]
        server.transform = None
        code, out, err = finish(subprocess.Popen(
            [*args, "--base-url", server.base_url], stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, text=True, env=env))
    assert code == 0, out + err
    assert manifests(tmp_path / "h")[-1]["full_reason"] in ("the last run did not finish",
                                                           "the last run was interrupted")
    assert_each_article_once(dsn, mirror)


def test_an_export_from_a_store_that_is_down_is_one_line_exit_7(tmp_path, pg):
    dsn = pg.create_database()
    PgStore(dsn).close()
    pg.pause()
    try:
        result = kronika("export", "--out", str(tmp_path), "--store", dsn, "--format", "jsonl")
    finally:
        pg.resume()
    assert result.returncode == EXIT_UNREACHABLE, result.stderr
    assert result.stderr.startswith("kronika: error: cannot open --store")
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
