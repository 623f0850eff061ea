"""Seed 001 against its mirror page: KPP Radomsko's republication of MOPS Radomsko's report
on the 11 May 2018 conference "Mamo, Tato – bycie z Tobą daje moc!" (one of the three
cross-posts of that event; the others live in the mops_radomsko and rcps_lodz mirrors)."""

from __future__ import annotations

from pathlib import Path

from scrapy.http import HtmlResponse, Request, XmlResponse

from crawler.spider.sites import spider_class
from crawler.extract.urls import canonicalize
from tests.goldens import extract_page
from crawler.devtools.mirror import Mirror

SEED_001 = Path(__file__).parent / "fixtures" / "seeds" / "001_0b4d5f827957e2af.txt"
SEED_URL = ("http://radomsko.policja.gov.pl/era/prewencja/aktywnosc-dzielnicowy/26359,"
            "Konferencja-otwierajaca-projekt-socjalny-Mamo-Tato-bycie-z-Toba-daje-moc.html")
# What seeds/README.md calls chrome or metadata in seed 001: never part of the body.
SEED_CHROME = ("Aktywność dzielnicowych", "Źródło:", "Źródło: MOPS w Radomsku",
               "Powrót na górę strony")


def _seed_paragraphs() -> list[str]:
    lines = [" ".join(line.split()) for line in SEED_001.read_text(encoding="utf-8").splitlines()]
    first = next(i for i, line in enumerate(lines) if line.startswith("11 maja 2018roku"))
    last = next(i for i, line in enumerate(lines) if line.endswith("Jarosława Ferenca."))
    return [line for line in lines[first:last + 1] if line]


def _seed_record():
    mirror = Mirror.load("policja_radomsko")
    page = next(p for p in mirror.articles() if "001_" in p.get("seed", ""))
    return page, extract_page(mirror, page)


def test_seed_001_record_matches_the_seed_readme():
    """seeds/README.md, 001: "Aktywność dzielnicowych" is the category; the title once; the
    body from "11 maja 2018roku" to "... rodzinie." plus the patronage sentence; "Źródło: MOPS
    w Radomsku" is `source`; no date on the page, so the listing's "Dodano:" date."""
    page, record = _seed_record()
    assert page["url"] == record["url"] == SEED_URL
    assert record["title"] == ("Konferencja otwierająca projekt socjalny "
                               "„Mamo, Tato – bycie z Tobą daje moc!”")
    assert record["category"] == "Aktywność dzielnicowych"
    assert record["source"] == "MOPS w Radomsku"
    assert record["author"] is None
    assert page["listing_date"] == "Dodano: 15.05.2018"
    assert (record["published"], record["published_raw"], record["published_source"]) == \
        ("2018-05-15", "15.05.2018", "listing")
    assert record["lead"] is None

    paragraphs = record["text"].split("\n\n")
    assert paragraphs == _seed_paragraphs()
    assert len(paragraphs) == 6
    assert paragraphs[0].startswith("11 maja 2018roku w Urzędzie Miasta Radomska")
    assert "w jego środowisku naturalnym - rodzinie. Projekt socjalny" in paragraphs[-1]
    assert paragraphs[-1].endswith("honorowym patronatem Prezydenta Miasta Radomsko "
                                   "Jarosława Ferenca.")
    assert "kto może takim asystentem rodziny zostać ." in record["text"]  # the site's own space

    base = "http://radomsko.policja.gov.pl/dokumenty/zalaczniki/238/"
    assert [i["url"] for i in record["images"]] == [
        f"{base}238-{n}_g.jpg" for n in (41873, 41874, 41875)]
    assert [i["thumbnail_url"] for i in record["images"]] == [
        f"{base}mini/238-{n}_mo14.jpg" for n in (41873, 41874, 41875)]
    # The photos carry no caption and camera file names as alt texts: placeholders, not text.
    assert all(i["caption"] is None and i["alt"] is None for i in record["images"])
    assert record["attachments"] == []

    for chrome in (*SEED_CHROME, record["title"]):
        for field in ("text", "html", "lead", "author"):
            assert chrome not in (record[field] or ""), (chrome, field)
    assert record["extraction"] == {"method": "site", "warnings": [],
                                    "profile": "policja_radomsko/webadministrator"}


def test_seed_001_listing_entry_carries_the_date():
    """The seed's date comes from the listing: the spider hands "Dodano: 15.05.2018" on."""
    mirror = Mirror.load("policja_radomsko")
    listing_page = next(p for p in mirror.meta["pages"]
                        if p["kind"] == "listing" and SEED_URL in p["article_urls"])
    spider = spider_class("policja_radomsko")()
    response = HtmlResponse(listing_page["url"], body=mirror.body(listing_page),
                            headers={"Content-Type": listing_page["content_type"]},
                            request=Request(listing_page["url"]))
    out = [r for r in spider.parse_listing(response, listing=spider.listings[0], page=2)
           if r.callback == spider.parse_article]
    seed = next(r for r in out if r.url == SEED_URL)
    assert seed.meta["listing_date"] == "Dodano: 15.05.2018"


def test_percent_encoded_comma_is_the_same_article():
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
