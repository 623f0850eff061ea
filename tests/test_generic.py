"""`kronika crawl --url`: the generic spider on mirrors of sites it was not tuned on.

Each site's mirror is crawled from its listing with no profile at all; what comes out
must be articles only (every stored URL is one of the mirror's article pages), most of
the listing's articles, and bodies close to the profile goldens.
"""

from __future__ import annotations

import json
import re
import sqlite3
import subprocess
import sys
from urllib.parse import urlsplit

import pytest

from crawler.devtools.mirror import Mirror, MirrorServer
from crawler.spider.saved import slug_for_url
from crawler.spider.sites import spider_classes
from tests.harness import assert_warcs_valid

STARTS = {
    "malopolska": "https://www.malopolska.pl/aktualnosci/sprawy-spoleczne-i-rodzina",
    "mops_radomsko": "http://mops-radomsko.pl/index.php?c=page&id=12",
    "mcps": "https://mcps.com.pl/aktualnosci/",
    "rops_krakow": "https://rops.krakow.pl/aktualnosci",
}


def words(text):
    return re.findall(r"\w+", text.lower())


def f1(found: str, expected: str) -> float:
    a, b = words(found), words(expected)
    common = sum(min(a.count(w), b.count(w)) for w in set(a) & set(b))
    return 2 * common / (len(a) + len(b)) if a and b else 0.0


def listing_chain(mirror, start):
    """Article URLs of the listing at ``start`` and its next pages, on the start's host."""
    pages = {p["url"]: p for p in mirror.meta["pages"] if p["kind"] == "listing"}
    urls, url = [], start
    while url in pages:
        urls += pages[url]["article_urls"]
        url = pages[url].get("next_url")
    host = urlsplit(start).hostname.removeprefix("www.")
    return [u for u in urls if urlsplit(u).hostname.removeprefix("www.") == host]


@pytest.mark.parametrize("slug", sorted(STARTS))
def test_generic_spider_finds_the_articles_of_a_site_it_does_not_know(slug, tmp_path):
    mirror = Mirror.load(slug)
    with MirrorServer(mirror) as server:
        result = subprocess.run(
            [sys.executable, "-m", "crawler.run.cli", "crawl", "--url", STARTS[slug],
             "--base-url", server.base_url, "--out", str(tmp_path), "--delay", "0"],
            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    assert_warcs_valid(tmp_path)
    db = sqlite3.connect(tmp_path / "kronika.sqlite")
    records = [json.loads(r[0]) for r in db.execute("SELECT record FROM articles")]
    goldens = {p["url"]: json.loads((mirror.root / p["expected"]).read_text())
               for p in mirror.articles()}
    found = {r["url"] for r in records}
    assert found <= set(goldens), found - set(goldens)  # nothing but articles
    expected = listing_chain(mirror, STARTS[slug])
    recall = len(found & set(expected)) / len(expected)
    assert recall >= 0.75, (recall, set(expected) - found)
    # The site's own slug, from its host, never the profiled site's (crawler.spider.saved).
    site = slug_for_url(STARTS[slug], spider_classes())
    assert site != slug
    assert all(r["site"] == site and r["extraction"]["method"] == "generic"
               for r in records)
    scores = [f1(r["text"], goldens[r["url"]]["text"]) for r in records]
    assert sum(scores) / len(scores) >= 0.85, scores
    titles = sum(r["title"] == goldens[r["url"]]["title"] for r in records)
    assert titles / len(records) >= 0.75


# -- the listing, read without a crawl ------------------------------------------------------
def _listing_pages(family):
    from scrapy.http import HtmlResponse

    from crawler.devtools.unknown import load

    mirror = load(family)
    for page in mirror.pages("listing"):
        yield mirror, page, HtmlResponse(page["url"], body=mirror.body(page),
                                         encoding="utf-8")


@pytest.mark.parametrize("family", ["comma_cms", "joomla_blog", "wordpress_feed"])
def test_each_listing_link_gets_the_date_its_item_shows(family):
    from crawler.extract.urls import canonicalize
    from crawler.spider.generic import article_links, listing_dates, next_page

    def on_site(url):
        return (urlsplit(url).hostname or "").removeprefix("www.") in {
            h.removeprefix("www.") for h in mirror.hosts}

    for mirror, page, response in _listing_pages(family):
        links, _ = article_links(response, on_site, key=canonicalize)
        assert [u for u, _ in links] == page["article_urls"], page["url"]
        shown = {p["url"]: p["listing_date"] for p in mirror.articles()}
        dates = listing_dates(response, links, canonicalize)
        assert dates == {u: shown[u] for u in page["article_urls"]}, page["url"]
        assert next_page(response, on_site) == page["next_url"]


def test_the_pages_own_labelled_date_wins_over_the_listings():
    from crawler import extract_article
    from crawler.devtools.unknown import load

    mirror = load("comma_cms")
    page = mirror.articles()[0]
    record = extract_article(mirror.body(page), page["url"], listing_date="01.02.2020")
    assert record["published"] == page["expect"]["published"]
    assert record["published_source"] != "listing"


def test_a_calendars_next_link_loses_to_the_listings_own():
    from scrapy.http import HtmlResponse

    from crawler.spider.generic import next_page

    body = ("<html><body><div class='kal'><a href='/aktualnosci.html?miesiac=2024-12'>»</a>"
            "</div><div id='tresc'><a href='/aktualnosci.html?strona=2'>Następna »</a>"
            "</div></body></html>")
    response = HtmlResponse("https://www.gops.example.pl/aktualnosci.html", body=body,
                            encoding="utf-8")
    assert next_page(response, lambda url: True) == (
        "https://www.gops.example.pl/aktualnosci.html?strona=2")
