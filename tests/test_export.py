"""`kronika export` (JSON Lines, CSV, Atom; filters; streaming) and full-text search."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
import xml.etree.ElementTree as ET

import pytest

from archive.store import Store
from tests.harness import Mirror, MirrorServer, crawl, stored

ATOM = "{http://www.w3.org/2005/Atom}"


@pytest.fixture(scope="module")
def harvest(tmp_path_factory):
    out = tmp_path_factory.mktemp("harvest")
    for slug in ("rops_krakow", "mops_radomsko"):
        with MirrorServer(Mirror.load(slug)) as server:
            assert crawl(server.base_url, out, "--no-media", slug=slug).returncode == 0
    return out


def export(out, *args):
    result = subprocess.run([sys.executable, "-m", "crawler.run.cli", "export", "--out", str(out),
                             *args], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_jsonl_is_the_stored_records_newest_first(harvest):
    lines = [json.loads(line) for line in export(harvest, "--format", "jsonl").splitlines()]
    assert sorted(r["id"] for r in lines) == sorted(r["id"] for r in stored(harvest))
    dated = [r["published"][:10] for r in lines if r["published"]]
    assert dated == sorted(dated, reverse=True)
    assert lines[-1]["published"] is None  # undated articles come last


def test_filters_by_site_and_date(harvest):
    mops = [json.loads(x) for x in export(harvest, "--format", "jsonl", "--site",
                                          "mops_radomsko").splitlines()]
    assert mops and {r["site"] for r in mops} == {"mops_radomsko"}
    window = [json.loads(x) for x in export(harvest, "--format", "jsonl", "--since",
                                            "2020-01-01", "--until", "2023-12-31").splitlines()]
    assert window and all("2020-01-01" <= r["published"][:10] <= "2023-12-31" for r in window)


def test_csv_has_one_row_per_article_with_media_as_json(harvest, tmp_path):
    target = tmp_path / "articles.csv"
    export(harvest, "--format", "csv", "--output", str(target))
    rows = list(csv.DictReader(io.StringIO(target.read_text(encoding="utf-8"))))
    assert len(rows) == len(stored(harvest))
    gallery = next(r for r in rows if "jubileuszowa" in r["url"])
    assert len(json.loads(gallery["images"])) == 4
    assert "\n\n" in gallery["text"]  # paragraphs survive CSV quoting


def test_atom_feed_parses_with_one_entry_per_article(harvest):
    feed = ET.fromstring(export(harvest, "--format", "atom", "--site", "rops_krakow"))
    entries = feed.findall(f"{ATOM}entry")
    assert len(entries) == 9
    first = entries[0]
    assert first.find(f"{ATOM}title").text == "Podsumowanie Małopolskiego Kongresu Polityki Społecznej"
    assert first.find(f"{ATOM}content").attrib["type"] == "html"
    assert first.find(f"{ATOM}content").text.startswith("<p>Za nami")
    assert feed.find(f"{ATOM}id").text == "urn:kronika:feed:rops_krakow"


def test_full_text_search_folds_diacritics(harvest):
    store = Store(harvest / "kronika.sqlite")
    hits = store.search("konferencja AND pomocy")
    assert any("Jubileuszowa" in h["title"] for h in hits)
    assert store.search("pieczy zastepczej") == store.search("pieczy zastępczej") != []


def test_export_usage_errors(tmp_path):
    for args, fragment in ((["--format", "jsonl"], "no store"),
                           (["--format", "xml"], "invalid choice")):
        result = subprocess.run([sys.executable, "-m", "crawler.run.cli", "export", "--out",
                                 str(tmp_path), *args], capture_output=True, text=True)
        assert result.returncode == 2 and fragment in result.stderr
