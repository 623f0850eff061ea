"""Shared test setup: no network beyond loopback, a fixed clock, fixture mirrors."""

from __future__ import annotations

import os
import socket
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from crawler.components.settings import keep_offline

# Dates are judged against this instant, never against today.
NOW = datetime(2026, 11, 22, 12, 0, tzinfo=ZoneInfo("Europe/Warsaw"))

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
    return NOW
