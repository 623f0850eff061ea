"""Canonical URLs: one article, one URL, whatever address it was reached by."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from scrapy.http import HtmlResponse, Request, XmlResponse

from crawler.extract.urls import article_id, canonicalize
from crawler.spider.platforms.joomla import menu_path_rewrite
from crawler.spider.sites import spider_class
from tests.harness import Mirror, extract_page

ALIASES = {"malopolska.mw.gov.pl": "malopolska.pl", "last.mcps.com.pl": "mcps.com.pl",
           "rcps-lodz.pl": "rcpslodz.pl", "2023.rops.krakow.pl": "rops.krakow.pl"}


@pytest.mark.parametrize(("variants", "canonical"), [
    (["http://www.malopolska.mw.gov.pl/aktualnosci/sprawy-spoleczne-i-rodzina/konferencja",
      "https://www.malopolska.pl/aktualnosci/sprawy-spoleczne-i-rodzina/konferencja",
      "https://malopolska.pl/aktualnosci/sprawy-spoleczne-i-rodzina/konferencja#galeria"],
     "https://malopolska.pl/aktualnosci/sprawy-spoleczne-i-rodzina/konferencja"),
    (["http://last.mcps.com.pl/775-skutecznosc-pieczy", "http://www.mcps.com.pl/775-skutecznosc-pieczy",
      "https://mcps.com.pl/775-skutecznosc-pieczy?utm_source=facebook&utm_medium=social"],
     "https://mcps.com.pl/775-skutecznosc-pieczy"),
    (["http://radomsko.policja.gov.pl/era/informacje/55902%2CKomunikat.html",
      "https://radomsko.policja.gov.pl/era/informacje/55902,Komunikat.html?fbclid=IwAR0x"],
     "https://radomsko.policja.gov.pl/era/informacje/55902,Komunikat.html"),
    (["http://mops-radomsko.pl/art,923,jubileuszowa-x-konferencja",
      "http://www.mops-radomsko.pl/art%2C923%2Cjubileuszowa-x-konferencja"],
     "https://mops-radomsko.pl/art,923,jubileuszowa-x-konferencja"),
    (["http://www.szkoleniapokl.rops.krakow.pl/Podsumowanie;s,aktualnosci,id,311",
      "http://szkoleniapokl.rops.krakow.pl/Podsumowanie%3Bs%2Caktualnosci%2Cid%2C311"],
     "https://szkoleniapokl.rops.krakow.pl/Podsumowanie;s,aktualnosci,id,311"),
    (["https://2023.rops.krakow.pl/aktualnosci/nakrec-sie-na-rodzine",
      "https://rops.krakow.pl/aktualnosci/nakrec-sie-na-rodzine;jsessionid=0A1B2C"],
     "https://rops.krakow.pl/aktualnosci/nakrec-sie-na-rodzine"),
])
def test_aliases_fold_to_one_canonical_url_and_id(variants, canonical):
    results = {canonicalize(v, ALIASES) for v in variants}
    assert results == {canonical}
    assert len({article_id(r) for r in results}) == 1


def test_joomla_menu_paths_fold_and_real_parameters_stay():
    rewrite = [menu_path_rewrite()]
    paths = ["http://rcpslodz.pl/index.php/2-aktualnosci/332-spotkanie",
             "http://www.rcpslodz.pl/index.php/dziecko-i-rodzina/adopcja/2-aktualnosci/332-spotkanie",
             "http://rcps-lodz.pl/index.php/o-nas/2-aktualnosci/332-spotkanie?Itemid=12"]
    assert {canonicalize(p, ALIASES, ["Itemid"], rewrite) for p in paths} == {
        "https://rcpslodz.pl/index.php/2-aktualnosci/332-spotkanie"}
    # Pagination and ids in the query select content: kept, and sorted.
    assert canonicalize("http://mcps.com.pl/?start=20&x=1") == "https://mcps.com.pl/?start=20&x=1"
    assert canonicalize("http://www.rops-bialystok.pl/rops/?p=14470") == \
        "https://rops-bialystok.pl/rops/?p=14470"
    # Different articles stay different.
    assert canonicalize("http://mcps.com.pl/362-a") != canonicalize("http://mcps.com.pl/363-a")


# -- the mirrored sites' own hosts -------------------------------------------------------
@pytest.mark.parametrize(("slug", "url_part", "other_host"), [
    # seed 000: the old site's archive host serves the same article
    ("mcps", "/362-z-wizyta-u-naszych-sasiadow", "http://last.mcps.com.pl"),
    # seed 004: the mirror serves the old alias host; the portal's own address
    ("malopolska", "/konferencja-wspolne-dzialanie", "https://www.malopolska.pl"),
    # listing items link through www.; the bare host is the same article
    ("mops_radomsko", "/art,596,", "http://mops-radomsko.pl"),
])
def test_an_article_reached_through_another_of_its_sites_hosts_is_one_record(
        slug, url_part, other_host):
    mirror = Mirror.load(slug)
    page = next(p for p in mirror.articles() if url_part in p["url"])
    record = extract_page(mirror, page)
    elsewhere = extract_page(mirror, dict(page, url=other_host + urlsplit(page["url"]).path))
    assert elsewhere["url"] != record["url"]
    assert (elsewhere["id"], elsewhere["canonical_url"]) == (record["id"],
                                                             record["canonical_url"])
    assert record["id"] == article_id(record["canonical_url"])


def test_the_www_and_bare_host_of_mops_radomsko_are_one_request():
    """Listing items may link through http://www.mops-radomsko.pl/: one request."""
    mirror = Mirror.load("mops_radomsko")
    page = next(p for p in mirror.articles() if "/art,596," in p["url"])
    assert page["url"].startswith("http://www.mops-radomsko.pl/")
    spider = spider_class("mops_radomsko")()
    assert spider.covers_host("www.mops-radomsko.pl")
    assert spider._article_request(page["url"], None, None) is not None
    bare = page["url"].replace("//www.", "//")
    assert spider._article_request(bare, None, None) is None  # already queued


def test_a_percent_encoded_comma_is_the_same_policja_article():
    """The listing writes one article's "<id>,<Slug>" comma as %2C, the feed does not: one
    canonical URL, one id, one request."""
    mirror = Mirror.load("policja_radomsko")
    spider = spider_class("policja_radomsko")()
    feed = next(p for p in mirror.meta["pages"] if p["url"].endswith(".rss"))
    listing = next(p for p in mirror.meta["pages"] if p["kind"] == "listing")
    encoded = next(u for u in listing["article_urls"] if "%2C" in u)
    plain = encoded.replace("%2C", ",")
    assert plain in feed["article_urls"]
    assert canonicalize(encoded) == canonicalize(plain)

    feed_response = XmlResponse(feed["url"], body=mirror.body(feed),
                                headers={"Content-Type": feed["content_type"]},
                                request=Request(feed["url"]))
    from_feed = [r.url for r in spider.parse_feed(feed_response)]
    assert plain in from_feed
    listing_response = HtmlResponse(listing["url"], body=mirror.body(listing),
                                    headers={"Content-Type": listing["content_type"]},
                                    request=Request(listing["url"]))
    from_listing = [r.url for r in spider.parse_listing(listing_response,
                                                        listing=spider.listings[0], page=1)
                    if r.callback == spider.parse_article]
    assert encoded not in from_listing  # already queued through the feed
    assert from_listing == []  # page 1 holds only the feed's four articles

    records = [extract_page(mirror, p) for p in mirror.articles() if p["url"] == encoded]
    by_plain = next(p for p in mirror.meta["pages"] if p["url"] == plain)
    assert by_plain["file"] == next(p for p in mirror.articles() if p["url"] == encoded)["file"]
    assert records[0]["canonical_url"] == canonicalize(plain)
