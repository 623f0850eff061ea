"""Every fixture mirror, offline: listings parse as recorded, articles equal their goldens.

One harness for all sites (adding a site adds fixtures, not test code): for each
``tests/fixtures/<slug>/meta.json`` the spider's listing callback must find the recorded
article URLs and next page, and each article page must extract to its golden JSON,
contain its required snippets, contain none of its chrome, and validate.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from scrapy.http import HtmlResponse, Request

from crawler.extract.chrome import CHROME_PHRASES, is_chrome_text
from crawler.spider.sites import spider_class
from crawler.extract.validation import schema_errors
from tests.goldens import extract_page, stable
from crawler.devtools.mirror import FIXTURES, Mirror

MIRRORS = sorted(p.parent.name for p in FIXTURES.glob("*/meta.json"))


def _pages(kind):
    for slug in MIRRORS:
        mirror = Mirror.load(slug)
        for page in mirror.meta["pages"]:
            if page["kind"] == kind:
                yield pytest.param(mirror, page, id=f"{slug}:{page['url'].split('/')[-1]}")


def test_every_mirror_says_it_is_a_reconstruction_or_a_capture():
    assert MIRRORS, "no fixture mirrors found"
    for slug in MIRRORS:
        meta = Mirror.load(slug).meta
        assert meta["provenance"] in ("reconstruction", "captured", "mixed"), slug
        if meta["provenance"] == "reconstruction":
            assert "not captured" in meta["reconstruction_note"], slug


@pytest.mark.parametrize(("mirror", "page"), list(_pages("listing")))
def test_listing_yields_the_recorded_articles_and_next_page(mirror, page):
    spider = spider_class(mirror.slug)()
    listing = next(lst for lst in spider.listings if lst.layout == page["layout"])
    response = HtmlResponse(page["url"], body=mirror.body(page),
                            headers={"Content-Type": page["content_type"]},
                            request=Request(page["url"]))
    out = list(spider.parse_listing(response, listing=listing, page=1))
    articles = [r.url for r in out if r.callback == spider.parse_article]
    pages = [r.url for r in out if r.callback == spider.parse_listing]
    assert articles == page["article_urls"]
    assert pages == ([page["next_url"]] if page.get("next_url") else [])
    dated = [r.meta["listing_date"] for r in out if r.callback == spider.parse_article]
    for url, shown in zip(articles, dated):
        article = next(p for p in mirror.articles() if p["url"] == url)
        assert shown == article.get("listing_date"), url


@pytest.mark.parametrize(("mirror", "page"), list(_pages("article")))
def test_article_matches_golden_and_has_no_chrome(mirror, page):
    record = extract_page(mirror, page)
    golden = json.loads((mirror.root / page["expected"]).read_text(encoding="utf-8"))
    assert stable(record) == golden
    assert schema_errors(record) == []
    assert record["extraction"]["method"] == "site", record["extraction"]
    whole = json.dumps(record, ensure_ascii=False)
    for snippet in page.get("must_contain", []):
        assert snippet in whole, snippet
    for chrome in page.get("must_not_contain", []):
        for field in ("title", "text", "html", "lead", "author", "source"):
            assert chrome not in (record[field] or ""), (chrome, field)


# Long vocabulary entries are distinctive enough to be absent even inside sentences.
DISTINCTIVE_CHROME = sorted(p for p in CHROME_PHRASES if len(p) >= 20)


@pytest.mark.parametrize(("mirror", "page"), list(_pages("article")))
def test_no_section_9_chrome_in_any_body(mirror, page):
    record = extract_page(mirror, page)
    for line in record["text"].split("\n"):
        assert not is_chrome_text(line.removeprefix("- ")), line
    folded = record["text"].casefold()
    for phrase in DISTINCTIVE_CHROME:
        assert phrase not in folded, phrase


SEED_003 = Path(__file__).parent / "fixtures" / "seeds" / "003_7311ffc120dae5db.txt"


def test_seed_003_record_matches_the_seed_readme():
    """shared/seeds/README.md, 003: title once, no date, the body from "18 listopada
    odbyło się" to "współpraca z sądami.", none of the menu, breadcrumb, section heading,
    EU footer, logo strip or vendor credit."""
    mirror = Mirror.load("rops_krakow")
    page = next(p for p in mirror.articles() if "003_" in p.get("seed", ""))
    record = extract_page(mirror, page)
    lines = [" ".join(line.split()) for line in SEED_003.read_text(encoding="utf-8").splitlines()]
    first = next(i for i, line in enumerate(lines) if line.startswith("18 listopada odbyło się"))
    last = next(i for i, line in enumerate(lines) if line.endswith("współpraca z sądami."))
    expected_paragraphs = [line for line in lines[first:last + 1] if line]
    assert record["title"] == "Podsumowanie spotkania grupy ds. pieczy"
    assert record["text"].split("\n\n") == expected_paragraphs
    assert "zastępczej.W tym roku" in record["text"]  # the site's own missing space, kept
    assert record["published"] is None and record["published_source"] is None
    assert record["author"] is None and record["source"] is None
    assert record["images"] == [] and record["attachments"] == []
    for chrome in ("AktualnościSzkolenia", "Sprawdź ofertę szkoleń", "Jesteś tutaj",
                   "Projekt współfinansowany", "Kapitał Ludzki", "Opracowanie Prekursor",
                   "Podsumowanie spotkania grupy ds. pieczy"):
        assert chrome not in record["text"]
