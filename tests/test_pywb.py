"""Replay in pywb: a harvest's WARCs, added to a pywb collection, serve every article
byte for byte as the site (here: its mirror) served it, revisits included.

pywb lives in its own virtualenv (it pins an old redis; shared/research/env.md): the
README's install command and .ci/run create ``.venv-pywb``; KRONIKA_PYWB_VENV overrides.
"""

from __future__ import annotations

import os
import subprocess
import urllib.request
from pathlib import Path

import pytest

from tests.harness import Mirror, MirrorServer, crawl, wait_until
from tests.services import free_port

VENV = Path(os.environ.get("KRONIKA_PYWB_VENV", Path(__file__).parents[1] / ".venv-pywb"))


def answers(url: str) -> bool:
    try:
        urllib.request.urlopen(url, timeout=2).close()
        return True
    except OSError:
        return False


@pytest.fixture
def pywb(tmp_path):
    wb_manager, wayback = VENV / "bin" / "wb-manager", VENV / "bin" / "wayback"
    assert wayback.exists(), (f"pywb is not installed in {VENV}: run the README's install "
                              "command (it creates .venv-pywb)")
    root = tmp_path / "pywb"
    root.mkdir()
    subprocess.run([str(wb_manager), "init", "kronika"], cwd=root, check=True,
                   capture_output=True)
    port = free_port()

    def start(warcs):
        subprocess.run([str(wb_manager), "add", "kronika", *map(str, warcs)], cwd=root,
                       check=True, capture_output=True)
        server = subprocess.Popen([str(wayback), "-b", "127.0.0.1", "-p", str(port)],
                                  cwd=root, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        servers.append(server)
        wait_until(lambda: answers(f"http://127.0.0.1:{port}/kronika/cdx?url=x"), 60,
                   "pywb to answer", running=[server], interval=0.2)
        return f"http://127.0.0.1:{port}/kronika"

    servers: list = []
    yield start
    for server in servers:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()


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
