"""Shared test setup: no network beyond loopback, a fixed clock. The shared helpers are
in tests/harness.py."""

from __future__ import annotations

import os
import socket

import pytest

from crawler.components.settings import keep_offline
from tests import harness

# The Redis and PostgreSQL fixtures (tests/services.py), for every test module that
# names them as arguments; a server starts only when a test asks for it.
from tests.services import (  # noqa: F401 (fixtures)
    postgres_dsn,
    postgres_server,
    redis_server,
    redis_url,
)

keep_offline()
# Every Article built during the tests, here or in a crawl subprocess, is validated
# against the schema as it is built (crawler/validation.py).
os.environ["KRONIKA_STRICT"] = "1"

_real_connect = socket.socket.connect


def _loopback_only(self, address):
    host = address[0] if isinstance(address, tuple) else address
    if isinstance(host, str) and not (host.startswith("127.") or host in ("::1", "localhost")
                                      or self.family == socket.AF_UNIX):
        raise RuntimeError(f"test tried to reach {address!r}: only loopback is allowed")
    return _real_connect(self, address)


@pytest.fixture(autouse=True)
def _no_network(monkeypatch):
    monkeypatch.setattr(socket.socket, "connect", _loopback_only)


@pytest.fixture
def now():
    return harness.NOW
