"""Seed 004 (malopolska.pl, "Sprawy społeczne i rodzina"): the mirror's copy of the seed
page must extract to the record shared/seeds/README.md describes.

The seed text is a naive text extraction of the page. The mirror models its lines this way:
- every blank-line-separated group of lines is one or more body blocks; the record joins
  blocks with one blank line;
- a group's lines that are not laureates stay together in one block, joined by "\\n" (the
  laureate title and name are one <p> split by <br>);
- the laureate lines "- Anita Misiek – …" are <ul><li> items without the dash in the
  markup; kronika renders ul items as "- item", so each run of dash lines is one block, and a
  label line right above it ("Honorowe wyróżnienia:") is a block of its own;
- the attribution "- powiedziała Marta Malec-Lech …" is a paragraph whose hyphen is the
  site's own text (not a list): as a one-line group it is one block either way.
No-break spaces of the seed (the CMS's &nbsp; after one-letter words) become plain spaces.
"""

from __future__ import annotations

from pathlib import Path

from crawler.spider.sites import rules_for
from crawler.extract.urls import article_id, canonicalize
from tests.goldens import extract_page
from crawler.devtools.mirror import Mirror

SEED_004 = Path(__file__).parent / "fixtures" / "seeds" / "004_f18bd6ec9abbd157.txt"
SEED_URL = ("https://www.malopolska.pl/aktualnosci/sprawy-spoleczne-i-rodzina/"
            "konferencja-wspolne-dzialanie-wzajemne-korzysci-wyzwania-dla-polityki-spolecznej")
GALLERY = ("http://www.malopolska.mw.gov.pl/_upload/galerie/2019/12/"
           "konferencja-wspolne-dzialanie/")
SEED_CHROME = ("Przejdź do informacji o dostępności", "Przejdź do strony głównej",
               "Przeskocz do menu", "Przeskocz za menu", "Przeskocz do głównej treści",
               "Przejdź do mapy strony", "Sprawy społeczne i rodzina", "10 grudnia 2019",
               "Galeria zdjęć")


def _seed_lines() -> list[str]:
    return [" ".join(line.split()) for line in SEED_004.read_text(encoding="utf-8").splitlines()]


def _expected_blocks(lines: list[str]) -> list[str]:
    """The record's blocks, derived from the seed's body lines (see the module docstring)."""
    first = next(i for i, line in enumerate(lines) if line.startswith("We wtorek, 10 grudnia"))
    last = next(i for i, line in enumerate(lines)
                if line.endswith("Komendą Wojewódzką Policji w Krakowie."))
    groups, current = [], []
    for line in lines[first:last + 1] + [""]:
        if line:
            current.append(line)
        elif current:
            groups.append(current)
            current = []
    blocks = []
    for group in groups:
        run, run_is_list = [], None
        for line in group:
            is_list = line.startswith("- ")
            if run and is_list != run_is_list:
                blocks.append("\n".join(run))
                run = []
            run.append(line)
            run_is_list = is_list
        blocks.append("\n".join(run))
    return blocks


def _seed_record():
    mirror = Mirror.load("malopolska")
    page = next(p for p in mirror.articles() if "004_" in p.get("seed", ""))
    return page, extract_page(mirror, page)


def test_seed_004_is_served_from_the_alias_host_and_folds_to_the_portal():
    page, record = _seed_record()
    assert record["url"] == SEED_URL.replace("https://www.malopolska.pl",
                                             "http://www.malopolska.mw.gov.pl")
    assert record["canonical_url"] == SEED_URL.replace("://www.", "://")
    aliases = rules_for("malopolska").host_aliases
    assert record["id"] == article_id(canonicalize(SEED_URL, aliases))
    assert record["extraction"] == {"method": "site", "profile": "malopolska/portal",
                                    "warnings": []}


def test_seed_004_record_matches_the_seed_readme():
    """shared/seeds/README.md, 004: skip links are chrome; the title; "Sprawy społeczne i
    rodzina" is the category; "10 grudnia 2019" is the date; the body runs from "We wtorek,
    10 grudnia" to "Komendą Wojewódzką Policji w Krakowie." with the quote, its attribution
    and the laureate lists; "Galeria zdjęć" is the gallery heading, its photos are images."""
    _, record = _seed_record()
    lines = _seed_lines()
    assert record["title"] == ("Konferencja „Wspólne działanie – wzajemne korzyści. "
                               "Wyzwania dla polityki społecznej\"")
    assert record["title"] == lines[2]
    assert record["category"] == "Sprawy społeczne i rodzina"
    assert (record["published"], record["published_raw"], record["published_source"]) == \
        ("2019-12-10", "10 grudnia 2019", "page")
    assert record["author"] is None and record["source"] is None
    # The first paragraph stays in the body (the README counts it there): no lead.
    assert record["lead"] is None
    assert record["text"].split("\n\n") == _expected_blocks(lines)
    # Line for line, the body is the seed's text.
    first = lines.index(record["text"].split("\n")[0])
    seed_body = [line for line in lines[first:] if line and line != "Galeria zdjęć"]
    assert record["text"].replace("\n\n", "\n").split("\n") == seed_body


def test_seed_004_quote_attribution_and_lists_are_marked_up_as_on_the_page():
    _, record = _seed_record()
    # The html keeps the page's no-break spaces as characters; compare with plain spaces.
    html = record["html"].replace("\xa0", " ")
    assert "<blockquote><p><em>Wsparcie Małopolan i ich rodzin" in html
    assert "<p>- powiedziała Marta Malec-Lech z zarządu województwa.</p>" in html
    assert html.count("<ul>") == 3 and html.count("<li>") == 8
    assert "<li>Anita Misiek – Ośrodek Pomocy Społecznej Andrychów</li>" in html
    assert "<li>- " not in html  # the dash is the renderer's, never the markup's
    assert ("Tytuł Małopolskiego Pracownika Socjalnego Roku:\n"
            "Krystyna Pawełek - Miejski Ośrodek Pomocy Społecznej w Krakowie") in record["text"]


def test_seed_004_gallery_photos_are_images_without_captions():
    _, record = _seed_record()
    names = ["DSC_4521", "DSC_4534", "DSC_4560", "DSC_4587", "DSC_4602", "DSC_4633"]
    assert [i["url"] for i in record["images"]] == [f"{GALLERY}{n}.jpg" for n in names]
    assert [i["thumbnail_url"] for i in record["images"]] == \
        [f"{GALLERY}thumbs/{n}.jpg" for n in names]
    # The photos' labels are camera file names: not captions, not alt texts.
    assert all(i["caption"] is None and i["alt"] is None for i in record["images"])
    assert record["attachments"] == []


def test_seed_004_chrome_is_not_in_the_record():
    _, record = _seed_record()
    for chrome in SEED_CHROME:
        for field in ("title", "text", "html", "lead", "author", "source"):
            assert chrome not in (record[field] or ""), (chrome, field)
