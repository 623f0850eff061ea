"""Every fixture mirror, offline: listings parse as recorded, articles equal their goldens.

One harness for all sites (adding a site adds fixtures, not test code): for each
``tests/fixtures/<slug>/meta.json`` the spider's listing callback must find the recorded
article URLs and next page, and each article page must extract to its golden JSON,
contain its required snippets, contain none of its chrome, and validate. A page rebuilt
from one of the seed pages (docs/seeds/README.md) must also read as the seed's text.

What one page must show goes in its meta.json entry: ``must_contain`` (snippets of the
record's JSON: body text, markup, media URLs) and ``must_not_contain`` (chrome, never in
title, text, html, lead, author or source); every field's exact value is in its golden.
"""

from __future__ import annotations

import json

import pytest
from scrapy.http import HtmlResponse, Request

from crawler.extract.chrome import CHROME_PHRASES, is_chrome_text
from crawler.extract.validation import schema_errors
from crawler.spider.sites import spider_class
from tests.harness import MIRRORS, Mirror, extract_page, seed_lines, stable


def _pages(kind, having=None):
    for slug in MIRRORS:
        mirror = Mirror.load(slug)
        for page in mirror.meta["pages"]:
            if page["kind"] == kind and (having is None or page.get(having)):
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
    for url, shown in zip(articles, dated, strict=True):
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


def _run_in(lines: list[str], seed: list[str]) -> bool:
    """Whether ``lines`` occur in ``seed`` one after another."""
    return any(seed[i:i + len(lines)] == lines for i in range(len(seed) - len(lines) + 1))


@pytest.mark.parametrize(("mirror", "page"), list(_pages("article", having="seed")))
def test_a_seed_page_reads_as_the_seed_text(mirror, page):
    """docs/seeds/README.md: the body is the seed's text, line for line (blank lines
    and whitespace aside), from its first body line to its last, and the title is not
    repeated in it."""
    record = extract_page(mirror, page)
    seed = [line for line in seed_lines(page["seed"]) if line]
    body = [line for line in record["text"].split("\n") if line]
    assert body and _run_in(body, seed), body
    assert record["title"] not in record["text"]


@pytest.mark.parametrize(("mirror", "page"), list(_pages("article", having="cross_post_of")))
def test_a_cross_post_quotes_the_seed_text(mirror, page):
    """A republication of a seed page opens with the seed's body lines, in order."""
    record = extract_page(mirror, page)
    seed = [line for line in seed_lines(page["cross_post_of"]) if line]
    body = [line for line in record["text"].split("\n") if line]
    quoted = body[:next((i for i, line in enumerate(body) if line not in seed), len(body))]
    assert quoted and _run_in(quoted, seed), body
