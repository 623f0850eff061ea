"""Replay in pywb: a harvest's WARCs, added to a pywb collection, serve every article
byte for byte as the site (here: its mirror) served it, revisits included (pywb itself:
tests/replay_tools.py)."""

from __future__ import annotations

import urllib.request

import pytest

from tests.harness import Mirror, MirrorServer, crawl
from tests.replay_tools import Pywb


@pytest.fixture
def pywb(tmp_path):
    collection = Pywb(tmp_path / "pywb")
    yield collection.start
    collection.stop()


def test_pywb_replays_every_article_byte_identical(tmp_path, pywb):
    mirror = Mirror.load("rops_krakow")
    out = tmp_path / "harvest"
    with MirrorServer(mirror) as server:
        assert crawl(server.base_url, out).returncode == 0
        assert crawl(server.base_url, out, "--full").returncode == 0  # a second run: revisits
    replay = pywb(sorted((out / "warc").glob("*.warc.gz")))
    for page in mirror.articles():
        with urllib.request.urlopen(f"{replay}/2026id_/{page['url']}", timeout=30) as r:
            assert r.status == 200
            assert r.read() == mirror.body(page), page["url"]
