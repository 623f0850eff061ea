"""Seed 000 (mcps, older MCPS site) against shared/seeds/README.md, field by field.

The mirror article marked with "seed" in tests/fixtures/mcps/meta.json is the reconstruction
of the seed page; its record must be what the README says: the title from the page's
address (the page prints it only in <title>), no date (the "6 października 2017" inside the
text is the event, and the old listing shows no dates), the one long paragraph with "(…)"
kept, and five gallery photos whose file-name labels "1 0910" … "5 0910" are not captions.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.goldens import extract_page
from crawler.devtools.mirror import Mirror

SEED = Path(__file__).parent / "fixtures" / "seeds" / "000_e4f96cc795418694.txt"
URL = ("http://www.mcps.com.pl/362-z-wizyta-u-naszych-sasiadow-poznajemy-system-wsparcia-"
       "rodzin-w-wojewodztwie-lodzkim")
TITLE = ("Z wizytą u naszych sąsiadów - poznajemy system wsparcia rodzin w województwie "
         "łódzkim")
GALLERY = "http://www.mcps.com.pl/images/aktualnosci/2017/10"
LABELS = [f"{n} 0910" for n in range(1, 6)]


@pytest.fixture(scope="module")
def mirror():
    return Mirror.load("mcps")


@pytest.fixture(scope="module")
def page(mirror):
    return next(p for p in mirror.articles() if "000_" in p.get("seed", ""))


@pytest.fixture(scope="module")
def record(mirror, page):
    return extract_page(mirror, page)


def seed_lines():
    return [" ".join(line.split()) for line in SEED.read_text(encoding="utf-8").splitlines()]


def test_the_seed_page_is_the_documented_address(page):
    assert page["url"] == URL
    assert page["seed"] == "shared/seeds/000_e4f96cc795418694.txt"
    assert "listing_date" not in page  # the old listing shows no dates


def test_title_is_the_headline_once_without_the_site_name(record):
    assert record["title"] == TITLE
    assert "Mazowieckie Centrum Polityki Społecznej" not in record["title"]
    assert TITLE not in record["text"]


def test_no_publication_date_the_event_date_is_not_one(record):
    assert record["published"] is None
    assert record["published_raw"] is None and record["published_source"] is None
    assert record["modified"] is None
    assert "W dniu 6 października 2017 roku" in record["text"]


def test_no_author_or_source_and_the_section(record):
    assert record["author"] is None and record["source"] is None
    assert record["category"] == "Aktualności"  # the listing the old site's articles live in
    assert record["lead"] is None


def test_body_is_the_one_long_paragraph_with_the_ellipsis_kept(record):
    lines = seed_lines()
    first = next(i for i, line in enumerate(lines) if line.startswith("W dniu 6 października"))
    last = next(i for i, line in enumerate(lines) if line.endswith("wymianie doświadczeń."))
    expected_paragraphs = [line for line in lines[first:last + 1] if line]
    assert len(expected_paragraphs) == 1
    assert record["text"].split("\n\n") == expected_paragraphs
    assert "Kierownik Wydziału ds. Wspierania Rodziny (…) - Agnieszka Patrzałek" in record["text"]
    assert record["html"].count("<p>") == 1


def test_five_gallery_photos_full_size_with_thumbnails_and_no_captions(record):
    images = record["images"]
    assert len(images) == 5
    assert [i["url"] for i in images] == [f"{GALLERY}/{n}_0910.jpg" for n in range(1, 6)]
    assert [i["thumbnail_url"] for i in images] == [
        f"{GALLERY}/thumbs/{n}_0910.jpg" for n in range(1, 6)]
    assert all(i["caption"] is None and i["alt"] is None for i in images)
    assert record["attachments"] == []


def test_gallery_labels_and_page_chrome_are_not_text(record, page):
    for label in LABELS:
        assert label not in record["text"] and label not in record["html"]
    assert set(LABELS) <= set(seed_lines())  # they are in the seed text, as labels
    for chrome in page["must_not_contain"]:
        for field in ("title", "text", "html"):
            assert chrome not in (record[field] or ""), (chrome, field)
    assert "……" not in record["text"] and "p.o. dyrektora MCPS" not in record["text"]


def test_extracted_by_the_site_profile_under_one_canonical_id(record):
    assert record["extraction"] == {"method": "site", "profile": "mcps/joomla-2017",
                                    "warnings": []}
    assert record["canonical_url"] == URL.replace("http://www.", "https://")
    # The archive host is an alias: the same article there is the same record.
    from crawler import extract_article
    mirror = Mirror.load("mcps")
    body = mirror.body(next(p for p in mirror.articles() if p["url"] == URL))
    alias = extract_article(body, URL.replace("www.", "last."), "mcps")
    assert alias["id"] == record["id"] and alias["canonical_url"] == record["canonical_url"]
