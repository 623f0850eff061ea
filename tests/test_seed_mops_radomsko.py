"""MOPS Radomsko: seed 002 against shared/seeds/README.md, plus the site's special cases
(the www. host folding, the cross-post of seed 001, the article page without a date)."""

from __future__ import annotations

from pathlib import Path

from scrapy.http import HtmlResponse, Request

from crawler.spider.sites import spider_class
from tests.goldens import extract_page
from crawler.devtools.mirror import Mirror

SEEDS = Path(__file__).parent / "fixtures" / "seeds"
SEED_002 = SEEDS / "002_45b78486a828049e.txt"
SEED_001 = SEEDS / "001_0b4d5f827957e2af.txt"
SEED_URL = ("http://mops-radomsko.pl/art,923,jubileuszowa-x-konferencja-organizowana-pod-"
            "haslem-oczekiwania-na-nowe-w-pomocy-spolecznej")


def _mirror() -> Mirror:
    return Mirror.load("mops_radomsko")


def _page(mirror: Mirror, url_part: str) -> dict:
    return next(p for p in mirror.articles() if url_part in p["url"])


def _paragraphs(seed: Path, first: str, last: str) -> list[str]:
    lines = [" ".join(line.split()) for line in seed.read_text(encoding="utf-8").splitlines()]
    start = next(i for i, line in enumerate(lines) if line.startswith(first))
    end = next(i for i, line in enumerate(lines) if line.endswith(last))
    return [line for line in lines[start:end + 1] if line]


def test_seed_002_record_matches_the_seed_readme():
    """README 002: the title; "28 czerwca 2024" -> 2024-06-28 from the page; the two body
    paragraphs; "Autor: Andrzej Barszcz" as author; four gallery images with full-size
    links and no captions; the print/PDF toolbar, "Galeria" and "Powiększ zdjęcie" gone."""
    mirror = _mirror()
    page = next(p for p in mirror.articles() if "002_" in p.get("seed", ""))
    assert page["url"] == SEED_URL
    record = extract_page(mirror, page)

    assert record["title"] == ("Jubileuszowa X Konferencja organizowana pod hasłem "
                               "„Oczekiwania na NOWE w pomocy społecznej”")
    assert record["category"] is None  # the page shows no section label
    assert record["author"] == "Andrzej Barszcz"
    assert record["source"] is None
    assert record["published"] == "2024-06-28"
    assert record["published_raw"] == "28 czerwca 2024"
    assert record["published_source"] == "page"
    assert record["lead"] is None
    expected = _paragraphs(SEED_002, "W dniach 13-15 czerwca 2024", "rozdanie certyfikatów.")
    assert len(expected) == 2
    assert record["text"].split("\n\n") == expected
    assert record["html"].count("<p>") == 2

    images = record["images"]
    assert len(images) == 4
    for n, image in enumerate(images, 1):
        assert image["url"] == f"http://mops-radomsko.pl/files/pl/konferencja-zakopane-2024-{n}.jpg"
        assert image["thumbnail_url"] == (
            f"http://mops-radomsko.pl/files/pl/mini/konferencja-zakopane-2024-{n}.jpg")
        assert image["caption"] is None  # "Powiększ zdjęcie" is link/alt text, not a caption
        assert image["alt"] is None
    assert record["attachments"] == []
    assert record["extraction"] == {"method": "site", "profile": "mops_radomsko/padcms",
                                    "warnings": []}

    for chrome in ("Drukuj zawartość bieżącej strony", "Zapisz tekst bieżącej strony do PDF",
                   "•", "28 czerwca 2024", "Autor:", "Autor: Andrzej Barszcz", "Galeria",
                   "Powiększ zdjęcie"):
        for field in ("title", "text", "html"):
            assert chrome not in record[field], (chrome, field)


def test_www_host_folds_into_one_record():
    """Listing items may link through http://www.mops-radomsko.pl/: same id, one request."""
    mirror = _mirror()
    page = _page(mirror, "art,596,")
    assert page["url"].startswith("http://www.mops-radomsko.pl/")
    via_www = extract_page(mirror, page)
    bare = dict(page, url=page["url"].replace("//www.", "//"))
    via_bare = extract_page(mirror, bare)
    assert via_www["canonical_url"] == via_bare["canonical_url"] == (
        "https://mops-radomsko.pl/art,596,wojewodzka-karta-rodzin-wielodzietnych")
    assert via_www["id"] == via_bare["id"]
    assert via_www["author"] == "MOPS w Radomsku" and via_www["published"] == "2020-05-19"

    spider = spider_class("mops_radomsko")()
    assert spider.covers_host("www.mops-radomsko.pl")
    assert spider._article_request(page["url"], None, None) is not None
    assert spider._article_request(bare["url"], None, None) is None  # already queued


def test_cross_post_of_seed_001_is_the_original_mops_report():
    """MOPS's own report of the 11 May 2018 conference: seed 001's body verbatim."""
    mirror = _mirror()
    record = extract_page(mirror, _page(mirror, "art,431,"))
    assert record["url"] == ("http://mops-radomsko.pl/art,431,konferencja-otwierajaca-projekt-"
                             "socjalny-mamo-tato-bycie-z-toba-daje-moc")
    assert record["title"] == ("Konferencja otwierająca projekt socjalny "
                               "„Mamo, Tato – bycie z Tobą daje moc!”")
    assert record["text"].split("\n\n") == _paragraphs(
        SEED_001, "11 maja 2018roku", "Jarosława Ferenca.")
    assert record["author"] == "MOPS w Radomsku" and record["source"] is None
    assert (record["published"], record["published_source"]) == ("2018-05-14", "page")


def test_article_without_a_date_line_takes_the_listing_date():
    mirror = _mirror()
    page = _page(mirror, "art,937,")
    assert page.get("page_shows_date") is False
    listing = next(p for p in mirror.meta["pages"] if p["kind"] == "listing")
    spider = spider_class("mops_radomsko")()
    response = HtmlResponse(listing["url"], body=mirror.body(listing),
                            headers={"Content-Type": listing["content_type"]},
                            request=Request(listing["url"]))
    out = list(spider.parse_listing(response, listing=spider.listings[0], page=1))
    shown = next(r.meta["listing_date"] for r in out if r.url == page["url"])
    assert shown == page["listing_date"] == "24 lipca 2024"
    record = extract_page(mirror, page)
    assert (record["published"], record["published_raw"], record["published_source"]) == (
        "2024-07-24", "24 lipca 2024", "listing")
