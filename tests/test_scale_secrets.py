"""Passwords stay secret in a shared crawl: the PostgreSQL one comes from a pgpass file
(libpq's), the Redis one from the environment or a file, and a password put in a URL
anyway (against the advice) is masked everywhere kronika writes or prints the URL: the
store's runs table, the lock files (readable by their owner only), the manifests, the
logs, the WARC files and indexes, and every message, the exit-4 one included.

Runs against a PostgreSQL cluster that demands passwords (scram-sha-256) and a Redis
with requirepass, both on 127.0.0.1.
"""

from __future__ import annotations

import gzip
import os
import pwd
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
from pathlib import Path

import psycopg
import pytest

from tests.harness import MirrorServer, slowly, wait_until
from tests.services import _stop, _wait_until_up, free_port, postgres_bindir, unavailable
from tests.synthetic import synthetic_mirror
from tests.test_scale_outages import RestartableRedis

PG_SECRET = "pg-Secret-2x"
REDIS_SECRET = "redis-Secret-1x"


class PasswordPostgres:
    """A throwaway cluster whose TCP connections must give a password (scram-sha-256)."""

    USER = "kronika"

    def __init__(self, bindir: Path):
        self.dir = tempfile.mkdtemp(prefix="kronika-pgpw-")
        self.port = free_port()
        as_user = {}
        if os.geteuid() == 0:
            try:
                user = pwd.getpwnam("postgres")
            except KeyError:
                unavailable("running as root and there is no `postgres` user")
            os.chown(self.dir, user.pw_uid, user.pw_gid)
            as_user = {"user": user.pw_uid, "group": user.pw_gid, "extra_groups": []}
        pwfile = os.path.join(self.dir, "pw")
        with open(pwfile, "w") as fh:
            fh.write(PG_SECRET + "\n")
        if as_user:
            os.chown(pwfile, as_user["user"], as_user["group"])
        data = os.path.join(self.dir, "data")
        subprocess.run([str(bindir / "initdb"), "-D", data, "-U", self.USER,
                        "--auth-host=scram-sha-256", "--auth-local=trust", "--pwfile", pwfile,
                        "-E", "UTF8", "--locale=C.UTF-8", "--no-sync"],
                       check=True, capture_output=True, cwd=self.dir, **as_user)
        os.unlink(pwfile)
        self.process = subprocess.Popen(
            [str(bindir / "postgres"), "-D", data, "-h", "127.0.0.1", "-p", str(self.port),
             "-k", self.dir, "-c", "fsync=off", "-c", "synchronous_commit=off"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=self.dir, **as_user)
        _wait_until_up(self, lambda: psycopg.connect(self.dsn(), password=PG_SECRET,
                                                     connect_timeout=1).close(),
                       psycopg.OperationalError, "postgres", 0.1)

    def dsn(self, dbname: str = "postgres") -> str:
        return f"postgresql://{self.USER}@127.0.0.1:{self.port}/{dbname}"

    def stop(self) -> None:
        _stop(self.process, signal.SIGINT)
        shutil.rmtree(self.dir, ignore_errors=True)


@pytest.fixture(scope="module")
def pg_with_password():
    bindir = postgres_bindir()
    if bindir is None:
        unavailable("the PostgreSQL server binaries (initdb, postgres) are not installed")
    server = PasswordPostgres(bindir)
    yield server
    server.stop()


def everything_written(out: Path) -> str:
    """Every file under ``out`` as text, gzip members (WARC files) decompressed."""
    texts = []
    for path in out.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            if path.name.endswith(".gz"):
                data = gzip.decompress(data)
            texts.append(data.decode("utf-8", "replace"))
    return "\n".join(texts)


def test_no_password_is_written_or_printed(tmp_path, pg_with_password):
    server_redis = RestartableRedis(persist=False, password=REDIS_SECRET)
    pgpass = tmp_path / "pgpass"
    pgpass.write_text(f"127.0.0.1:{pg_with_password.port}:*:kronika:{PG_SECRET}\n")
    pgpass.chmod(0o600)
    secret_file = tmp_path / "redis-password"
    secret_file.write_text(REDIS_SECRET + "\n")
    # The database is made with the password from pgpass too: none is in any URL.
    env = {**os.environ, "PGPASSFILE": str(pgpass), "KRONIKA_CONTACT": "a@example.org"}
    for name in ("KRONIKA_REDIS_PASSWORD", "REDISCLI_AUTH", "PGPASSWORD"):
        env.pop(name, None)
    with psycopg.connect(pg_with_password.dsn(), autocommit=True,
                         passfile=str(pgpass)) as db:
        db.execute("CREATE DATABASE harvest")
    dsn = pg_with_password.dsn("harvest")
    in_url = f"redis://:{REDIS_SECRET}@127.0.0.1:{server_redis.port}/0"
    mirror = synthetic_mirror(30, seed=11)
    outputs = []

    def crawl(worker: str, frontier: str, out: Path, **extra) -> subprocess.Popen:
        return subprocess.Popen(
            [sys.executable, "-m", "crawler.run.cli", "crawl", "rops_torun", "--base-url",
             server.base_url, "--delay", "0", "--out", str(out), "--frontier", frontier,
             "--store", dsn, "--worker", worker],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env={**env, **extra})

    try:
        with MirrorServer(mirror) as server:
            server.transform = slowly(0.05, kind="article")
            # w0: the Redis password in the URL, where `ps` shows it: kronika masks it in
            # everything it writes. w1: the password from a file, as docs/SCALING.md says.
            w0 = crawl("w0", in_url, tmp_path / "w0")
            w1 = crawl("w1", server_redis.url, tmp_path / "w1",
                       KRONIKA_REDIS_PASSWORD_FILE=str(secret_file))
            wait_until(lambda: (tmp_path / "w0" / "kronika-w0.lock").exists()
                       and list((tmp_path / "w0").glob("logs/*.log")), 60,
                       "w0 to start", running=[w0])
            # A second run of w0 in its directory is refused (exit 4) with the holder's
            # command line in the message: masked.
            second = crawl("w0", in_url, tmp_path / "w0")
            outputs.append(second.communicate(timeout=120))
            assert second.returncode == 4, outputs[-1]
            assert "redis://:***@127.0.0.1" in outputs[-1][1]
            for process in (w0, w1):
                outputs.append(process.communicate(timeout=180))
                assert process.returncode == 0, outputs[-1]
            # Without any password Redis refuses: one line, not a traceback, not exit 2.
            refused = crawl("w2", server_redis.url, tmp_path / "w2")
            outputs.append(refused.communicate(timeout=120))
            assert refused.returncode == 7 and outputs[-1][1].count("\n") == 1, outputs[-1]
    finally:
        server_redis.close()
    for worker in ("w0", "w1"):
        lock = tmp_path / worker / f"kronika-{worker}.lock"
        assert stat.S_IMODE(lock.stat().st_mode) == 0o600
    with psycopg.connect(dsn, passfile=str(pgpass)) as db:
        commands = dict(db.execute("SELECT worker, command FROM runs").fetchall())
        summaries = [str(r[0]) for r in db.execute("SELECT summary FROM runs").fetchall()]
    assert f"--frontier redis://:***@127.0.0.1:{server_redis.port}/0" in commands["w0"]
    written = "\n".join([everything_written(tmp_path / w) for w in ("w0", "w1", "w2")]
                        + [o for pair in outputs for o in pair]
                        + list(commands.values()) + summaries)
    assert "kronika crawl rops_torun" in written  # the check below reads real text
    assert REDIS_SECRET not in written and PG_SECRET not in written
