"""`kronika fixtures capture`: the mirror served as if it were the live site is captured,
and the captured pages re-extract to exactly the goldens of the pages they came from."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

from crawler import __version__
from crawler.devtools.mirror import FIXTURES, Mirror, MirrorServer


def kronika(*args):
    return subprocess.run([sys.executable, "-m", "crawler.run.cli", *args], capture_output=True,
                          text=True, timeout=300)


def test_capture_then_regen_reproduces_the_goldens(tmp_path):
    mirror = Mirror.load("rops_krakow")
    with MirrorServer(mirror) as server:
        result = kronika("fixtures", "capture", "rops_krakow", "--base-url", server.base_url,
                         "--fixtures", str(tmp_path), "--articles", "2", "--delay", "0")
        requests = list(server.requests)
    assert result.returncode == 0, result.stdout + result.stderr
    meta = json.loads((tmp_path / "rops_krakow" / "meta.json").read_text())
    assert meta["provenance"] == "captured"
    pages = {p["url"]: p for p in meta["pages"]}
    listings = [p for p in pages.values() if p["kind"] == "listing"]
    articles = [p for p in pages.values() if p["kind"] == "article"]
    assert sorted(p["url"] for p in listings) == sorted(
        lst.start_url for lst in __import__("crawler.spider.sites", fromlist=["x"]).spider_class(
            "rops_krakow").listings)
    assert len(articles) == 5  # two newest per listing; the training subsite's page 1 has one
    for url, page in pages.items():
        source = next(p for p in mirror.meta["pages"] if p["url"] == url)
        assert (tmp_path / "rops_krakow" / page["file"]).read_bytes() == mirror.body(source)
        assert page["status"] == 200 and page["content_type"] == source["content_type"]
        assert page["headers"]["Content-Type"] == source["content_type"]
        assert page["provenance"] == "captured" and page["tool"] == f"kronika/{__version__}"
        assert page["captured_at"].startswith("20")
        if page["kind"] == "listing":
            assert page["article_urls"] == source["article_urls"]
            assert page["next_url"] == source["next_url"]
    assert {r["path"] for r in requests} >= {"/robots.txt"}
    assert all("kronika/" in r["user_agent"] for r in requests)

    regen = kronika("fixtures", "regen", "rops_krakow", "--fixtures", str(tmp_path))
    assert regen.returncode == 0 and "5 golden(s) rewritten" in regen.stdout
    for page in articles:
        source = next(p for p in mirror.articles() if p["url"] == page["url"])
        captured = json.loads((tmp_path / "rops_krakow" / page["expected"]).read_text())
        assert captured == json.loads((mirror.root / source["expected"]).read_text()), page["url"]


def test_capturing_one_url_into_an_existing_folder_replaces_only_that_page(tmp_path):
    shutil.copytree(FIXTURES / "rops_krakow", tmp_path / "rops_krakow")
    url = "https://rops.krakow.pl/aktualnosci/dzien-wolny-od-pracy-w-rops"
    with MirrorServer(Mirror.load("rops_krakow")) as server:
        result = kronika("fixtures", "capture", "rops_krakow", url, "--base-url",
                         server.base_url, "--fixtures", str(tmp_path), "--delay", "0")
        fetched = [r["path"] for r in server.requests if r["path"] != "/robots.txt"]
    assert result.returncode == 0, result.stderr
    assert fetched == ["/aktualnosci/dzien-wolny-od-pracy-w-rops"]
    meta = json.loads((tmp_path / "rops_krakow" / "meta.json").read_text())
    assert meta["provenance"] == "mixed"
    captured = [p for p in meta["pages"] if p.get("provenance") == "captured"]
    assert [p["url"] for p in captured] == [url]
    original = json.loads((FIXTURES / "rops_krakow" / "meta.json").read_text())
    assert len(meta["pages"]) == len(original["pages"])
    # The page keeps its file and golden; it is now marked as a capture.
    before = next(p for p in original["pages"] if p["url"] == url)
    assert captured[0]["file"] == before["file"] and captured[0]["expected"] == before["expected"]
    check = kronika("fixtures", "regen", "rops_krakow", "--check", "--fixtures", str(tmp_path))
    assert check.returncode == 0, check.stdout  # same bytes, same record


def test_capture_usage_errors():
    for args, fragment in ((["fixtures", "capture", "nie_ma"], "unknown site"),
                           (["fixtures", "capture", "rops_krakow", "not-a-url"], "bad URL"),
                           (["fixtures", "capture", "rops_krakow", "--articles", "0"],
                            "at least 1")):
        result = kronika(*args)
        assert result.returncode == 2 and fragment in result.stderr, result.stderr
