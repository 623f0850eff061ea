"""The WACZ of a harvest (``kronika crawl --wacz``) as ReplayWeb.page reads it: a page
list of the articles with their titles and text (pages/pages.jsonl), a datapackage.json
with a title, a description and the main page, the WARC files stored as they are, and
py-wacz's own ``wacz validate`` passing. A real crawl of the rops_krakow mirror over
127.0.0.1, run twice (the second run incremental) to see the package rebuilt."""

from __future__ import annotations

import json
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tests.harness import Mirror, MirrorServer, crawl, stored

WACZ = Path(sys.executable).with_name("wacz")


@pytest.fixture(scope="module")
def harvest(tmp_path_factory) -> dict:
    out = tmp_path_factory.mktemp("wacz")
    with MirrorServer(Mirror.load("rops_krakow")) as server:
        first = crawl(server.base_url, out, "--wacz")
        assert first.returncode == 0, first.stderr
        with zipfile.ZipFile(out / "kronika.wacz") as package:
            after_first = {i.filename for i in package.infolist()}
        second = crawl(server.base_url, out, "--wacz")
        assert second.returncode == 0, second.stderr
    return {"out": out, "base_url": server.base_url, "after_first": after_first}


def read(harvest: dict, name: str) -> bytes:
    with zipfile.ZipFile(harvest["out"] / "kronika.wacz") as package:
        return package.read(name)


def pages(harvest: dict) -> list[dict]:
    return [json.loads(line) for line in read(harvest, "pages/pages.jsonl").splitlines()]


def test_pages_list_every_article_with_its_capture_time_title_and_text(harvest):
    header, *entries = pages(harvest)
    assert header["format"] == "json-pages-1.0" and header["id"] == "pages"
    assert header["hasText"] is True  # ReplayWeb.page's full-text search reads `text`
    articles = {a["url"]: a for a in stored(harvest["out"])}
    assert len(articles) >= 9
    assert len(entries) == len(articles)  # one entry per article, none twice after run 2
    for entry in entries:
        article = articles[entry["url"]]
        assert entry["ts"] == article["fetched_at"]
        assert entry["title"] == article["title"]
        assert article["text"] in entry["text"]
    assert len({e["id"] for e in entries}) == len(entries)
    kongres = next(e for e in entries if "kongresu-polityki" in e["url"])
    assert kongres["title"] == "Podsumowanie Małopolskiego Kongresu Polityki Społecznej"
    assert "Kongres" in kongres["text"]


def test_datapackage_has_a_title_a_description_and_the_newest_article_as_main_page(harvest):
    package = json.loads(read(harvest, "datapackage.json"))
    assert package["title"] == "kronika harvest of rops_krakow"
    description = package["description"]
    articles = stored(harvest["out"])
    dates = sorted(a["published"][:10] for a in articles if a["published"])
    assert f"{len(articles)} articles of rops_krakow" in description
    assert f"published {dates[0]} to {dates[-1]}" in description
    assert "runs 1 to 2" in description
    assert harvest["base_url"] in description  # a mirror's capture says it is one
    newest = max((a for a in articles if a["published"]), key=lambda a: a["published"])
    assert package["mainPageURL"] == newest["url"]
    assert package["mainPageDate"] == newest["fetched_at"]
    assert "pages/pages.jsonl" in {r["path"] for r in package["resources"]}


def test_the_warc_files_are_stored_as_they_are_and_nothing_is_left_beside_them(harvest):
    out = harvest["out"]
    warcs = sorted((out / "warc").glob("*.warc.gz"))
    assert len(warcs) == 2
    with zipfile.ZipFile(out / "kronika.wacz") as package:
        archived = {i.filename: i for i in package.infolist()
                    if i.filename.startswith("archive/")}
        assert set(archived) == {f"archive/{p.name}" for p in warcs}
        for path in warcs:
            info = archived[f"archive/{path.name}"]
            assert info.compress_type == zipfile.ZIP_STORED  # gzip already: not deflated
            assert package.read(info) == path.read_bytes()
    assert not list(out.glob(".wacz-*"))  # the page list's temporary directory is gone
    assert "pages/pages.jsonl" in harvest["after_first"]


def test_wacz_validate_passes(harvest):
    result = subprocess.run([str(WACZ), "validate", "-f", str(harvest["out"] / "kronika.wacz")],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "the passed WACZ is valid" in result.stdout
