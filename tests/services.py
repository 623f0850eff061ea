"""Real Redis and PostgreSQL servers for the scale-out tests, on 127.0.0.1 only.

tests/conftest.py imports the fixtures, so a test names the one it needs as an argument
(``redis_url``, ``postgres_dsn``) without importing it. Each server is started once per test session as a child process of the
tests, listens on a free loopback port, keeps its files in a temporary directory, and is
stopped by its PID at the end. Nothing is persisted and no system service is touched.

When ``redis-server`` or the PostgreSQL server binaries are missing, the tests that need
them are skipped, unless ``KRONIKA_REQUIRE_SERVICES=1`` (CI) turns that into a failure:
a CI machine that silently skipped the scale-out proof would prove nothing.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import uuid
from pathlib import Path

import pytest

STARTUP_TIMEOUT = 30.0


def unavailable(what: str) -> None:
    """Skip for a missing tool or server, or fail under KRONIKA_REQUIRE_SERVICES=1."""
    if os.environ.get("KRONIKA_REQUIRE_SERVICES") == "1":
        pytest.fail(f"{what} (KRONIKA_REQUIRE_SERVICES=1)")
    pytest.skip(what)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _stop(process: subprocess.Popen, sig: int = signal.SIGTERM) -> None:
    """Stop a server we started, by its PID, and reap it."""
    if process.poll() is None:
        os.kill(process.pid, sig)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.kill(process.pid, signal.SIGKILL)
            process.wait()


def _wait_until_up(server, probe, refused: type[Exception], name: str, pause: float) -> None:
    """Call ``probe`` until it stops raising ``refused``; a server that exits or misses
    the deadline is stopped and reported."""
    deadline = time.monotonic() + STARTUP_TIMEOUT
    while True:
        try:
            probe()
            return
        except refused:
            if server.process.poll() is not None or time.monotonic() > deadline:
                server.stop()
                raise RuntimeError(f"{name} did not start") from None
            time.sleep(pause)


class RedisServer:
    """``redis-server`` with no persistence on a free loopback port."""

    def __init__(self, binary: str):
        self.dir = tempfile.mkdtemp(prefix="kronika-redis-")
        self.port = free_port()
        self.process = subprocess.Popen(
            [binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--daemonize", "no", "--dir", self.dir,
             "--logfile", os.path.join(self.dir, "redis.log")],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self._wait()

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}"

    def _wait(self) -> None:
        import redis

        _wait_until_up(self, redis.Redis(port=self.port, socket_connect_timeout=1).ping,
                       redis.ConnectionError, "redis-server", 0.05)

    def stop(self) -> None:
        _stop(self.process)
        shutil.rmtree(self.dir, ignore_errors=True)


def postgres_bindir() -> Path | None:
    """The newest PostgreSQL server binaries: Debian's versioned dirs, else on PATH."""
    dirs = sorted(glob.glob("/usr/lib/postgresql/*/bin"),
                  key=lambda d: int(Path(d).parent.name) if Path(d).parent.name.isdigit() else 0)
    for candidate in [*reversed(dirs), *(str(Path(p).parent) for p in
                                         filter(None, [shutil.which("initdb")]))]:
        if (Path(candidate) / "initdb").exists() and (Path(candidate) / "postgres").exists():
            return Path(candidate)
    return None


class PostgresServer:
    """A throwaway PostgreSQL cluster: initdb into a temporary directory, trust
    authentication, loopback only, fsync off (the data dies with the test session).

    PostgreSQL refuses to run as root, so under root the cluster belongs to the
    ``postgres`` user and the server runs as that user (``Popen(user=...)``, so the PID
    we hold is the server's own)."""

    USER = "kronika"

    def __init__(self, bindir: Path):
        self.dir = tempfile.mkdtemp(prefix="kronika-pg-")
        self.port = free_port()
        run_as = None
        if os.geteuid() == 0:
            run_as = pwd.getpwnam("postgres")
            os.chown(self.dir, run_as.pw_uid, run_as.pw_gid)
        as_user = {"user": run_as.pw_uid, "group": run_as.pw_gid, "extra_groups": []} \
            if run_as else {}
        data = os.path.join(self.dir, "data")
        subprocess.run([str(bindir / "initdb"), "-D", data, "-U", self.USER, "--auth=trust",
                        "-E", "UTF8", "--locale=C.UTF-8", "--no-sync"],
                       check=True, capture_output=True, cwd=self.dir, **as_user)
        self.process = subprocess.Popen(
            [str(bindir / "postgres"), "-D", data, "-h", "127.0.0.1", "-p", str(self.port),
             "-k", self.dir, "-c", "fsync=off", "-c", "synchronous_commit=off",
             "-c", "full_page_writes=off", "-c", "max_connections=100"],
            stdout=subprocess.DEVNULL, stderr=open(os.path.join(self.dir, "server.log"), "wb"),
            cwd=self.dir, **as_user)
        self._wait()

    def dsn(self, dbname: str = "postgres") -> str:
        return f"postgresql://{self.USER}@127.0.0.1:{self.port}/{dbname}"

    def _wait(self) -> None:
        import psycopg

        _wait_until_up(self, lambda: psycopg.connect(self.dsn(), connect_timeout=1).close(),
                       psycopg.OperationalError, "postgres", 0.1)

    def create_database(self) -> str:
        """A new empty database; its DSN."""
        import psycopg

        name = "t_" + uuid.uuid4().hex[:12]
        with psycopg.connect(self.dsn(), autocommit=True) as db:
            db.execute(f"CREATE DATABASE {name}")
        return self.dsn(name)

    def stop(self) -> None:
        _stop(self.process, signal.SIGINT)  # SIGINT: "fast shutdown", clients cut off
        shutil.rmtree(self.dir, ignore_errors=True)


@pytest.fixture(scope="session")
def redis_server():
    binary = shutil.which("redis-server") or (
        "/usr/bin/redis-server" if os.path.exists("/usr/bin/redis-server") else None)
    if binary is None:
        unavailable("redis-server is not installed")
    server = RedisServer(binary)
    yield server
    server.stop()


@pytest.fixture
def redis_url(redis_server):
    """The URL of an empty Redis database (flushed for each test)."""
    import redis

    client = redis.Redis.from_url(redis_server.url + "/0")
    client.flushdb()
    client.close()
    return redis_server.url + "/0"


@pytest.fixture(scope="session")
def postgres_server():
    bindir = postgres_bindir()
    if bindir is None:
        unavailable("the PostgreSQL server binaries (initdb, postgres) are not installed")
    if os.geteuid() == 0:
        try:
            pwd.getpwnam("postgres")
        except KeyError:
            unavailable("running as root and there is no `postgres` user to run PostgreSQL")
    server = PostgresServer(bindir)
    yield server
    server.stop()


@pytest.fixture
def postgres_dsn(postgres_server):
    """The DSN of a new, empty PostgreSQL database."""
    return postgres_server.create_database()
