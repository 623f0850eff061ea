"""Template families no site profile knows, read by the generic path.

Each folder of ``tests/fixtures/unseen/<family>/`` is a fixture mirror (docs/MIRRORS.md:
meta.json, pages/, expected/) of one article page of a template family found on Polish
public-sector sites: a BIP bulletin with its metadata table, an old nested-table layout,
a Liferay asset page, a page with ``<base href>`` and an EU logo strip, a page dated in a
block after its text. They sit one level down, under ``unseen/``, so that the per-site
harness (tests/test_sites.py, ``kronika fixtures regen``) does not take them for sites:
they have no spider and no profile. Every page is extracted as an unknown host would be
(``extract_article(html, url)``) and must equal its golden, state the fields its meta.json
names under ``expect``, hold its ``must_contain`` snippets and none of its
``must_not_contain`` chrome.

``python -m tests.test_unseen_templates --write`` rewrites the goldens (review the diff).
"""

from __future__ import annotations

import json
import sys

import lxml.html
import pytest

from crawler import extract_article
from crawler.devtools.fixtures import DEFAULT_DIR, FixtureSite, dump, stable
from crawler.extract.generic import generic_date, generic_title
from crawler.extract.media import collect_attachments, collect_images, full_size
from crawler.extract.validation import schema_errors
from tests.harness import NOW

UNSEEN = DEFAULT_DIR / "unseen"
FAMILIES = sorted(p.parent.name for p in UNSEEN.glob("*/meta.json"))
FIELDS = ("title", "text", "html", "lead", "author", "source")


def _pages():
    for family in FAMILIES:
        site = FixtureSite.load(family, UNSEEN)
        for page in site.articles():
            yield pytest.param(site, page, id=family)


def extract(site, page) -> dict:
    return extract_article(site.body(page), page["url"], content_type=page.get("content_type"),
                           listing_date=page.get("listing_date"))


def test_the_families_are_there_and_say_they_are_reconstructions():
    assert len(FAMILIES) >= 5, FAMILIES
    for family in FAMILIES:
        meta = FixtureSite.load(family, UNSEEN).meta
        assert meta["provenance"] == "reconstruction"
        assert "not captured" in meta["reconstruction_note"]


@pytest.mark.parametrize(("site", "page"), list(_pages()))
def test_unseen_template_reads_as_its_golden_without_chrome(site, page):
    record = extract(site, page)
    assert record["site"] == "generic" and record["extraction"]["method"] == "generic"
    assert schema_errors(record) == []
    for field, value in page.get("expect", {}).items():
        assert record[field] == value, (field, record[field])
    whole = json.dumps(record, ensure_ascii=False)
    for snippet in page["must_contain"]:
        assert snippet in whole, snippet
    for chrome in page["must_not_contain"]:
        for field in FIELDS:
            assert chrome not in (record[field] or ""), (chrome, field)
    for image in record["images"]:
        for chrome in page["must_not_contain"]:
            assert chrome not in image["url"], (chrome, image["url"])
    golden = json.loads(site.golden_path(page).read_text(encoding="utf-8"))
    assert stable(record) == golden


# -- the shared rules, one page each ------------------------------------------------------
def _doc(html: str):
    return lxml.html.document_fromstring(html)


def test_publication_label_beats_creation_event_and_modification_labels():
    doc = _doc("""<html><body><h1>Komunikat w sprawie naboru</h1>
        <dl><dt>Data wydarzenia:</dt><dd>20 marca 2024 r.</dd>
        <dt>Data wytworzenia:</dt><dd>1 marca 2024 r.</dd></dl>
        <p>Treść komunikatu, dość długa, aby była treścią, a nie metryczką strony.</p>
        <table><tr><th>Data modyfikacji:</th><td>2024-03-09</td></tr>
        <tr><th>Data publikacji:</th><td>2024-03-04</td></tr></table></body></html>""")
    date, where = generic_date(doc, "Komunikat w sprawie naboru", NOW)
    assert (date.value, where) == ("2024-03-04", "page")


def test_creation_date_when_no_publication_date_and_never_an_event_date():
    doc = _doc("""<html><body><h2>Spotkanie informacyjne dla seniorów</h2>
        <p>Data wydarzenia: 20 marca 2024 r.</p><p>Zapraszamy wszystkich chętnych.</p>
        <p>Data wytworzenia: 2 marca 2024 r.</p></body></html>""")
    assert generic_date(doc, "Spotkanie informacyjne dla seniorów", NOW)[0].value == "2024-03-02"
    doc = _doc("""<html><body><h2>Spotkanie informacyjne dla seniorów</h2>
        <p>Data wydarzenia: 20 marca 2024 r.</p><p>Zapraszamy wszystkich chętnych.</p>
        </body></html>""")
    assert generic_date(doc, "Spotkanie informacyjne dla seniorów", NOW)[0] is None


def test_a_date_beside_a_link_to_another_article_is_not_the_page_date():
    doc = _doc("""<html><body><ul class="asset-list"><li><span class="publish-date">07.10.2019
        </span> <a href="/inny">Otwarty konkurs ofert na realizację zadań</a></li></ul>
        <h2>Nasz artykuł o czymś ważnym</h2><p>Tekst.</p></body></html>""")
    assert generic_date(doc, "Nasz artykuł o czymś ważnym", NOW)[0] is None


def test_the_heading_that_leads_the_text_beats_a_site_wide_title():
    doc = _doc("""<html><head><title>Ośrodek Pomocy Społecznej w Gminie</title></head><body>
        <div class="menu"><h3>Na skróty do najważniejszych spraw</h3></div>
        <td><span class="tytul">Dzień otwarty w Ośrodku</span><br>""" + "<p>" + "Zdanie o dniu "
               "otwartym, które jest wystarczająco długie. " * 8 + "</p></td></body></html>")
    assert generic_title(doc) == "Dzień otwarty w Ośrodku"


@pytest.mark.parametrize(("link", "full"), [
    ("https://x.pl/documents/1/2/a.jpg/9e6c6f3a-52b1-4c0e-8f0b-2d7a1c3e5f10?t=1&imageThumbnail=2",
     "https://x.pl/documents/1/2/a.jpg/9e6c6f3a-52b1-4c0e-8f0b-2d7a1c3e5f10?t=1"),
    ("https://x.pl/wp-content/uploads/2023/05/foto-1024x683.jpg",
     "https://x.pl/wp-content/uploads/2023/05/foto.jpg"),
    ("https://x.pl/galeria/male/foto.jpg", "https://x.pl/galeria/duze/foto.jpg"),
    ("https://x.pl/files/pl/mini/foto.jpg", "https://x.pl/files/pl/foto.jpg"),
    ("https://x.pl/foto.jpg?id=3", "https://x.pl/foto.jpg?id=3"),
])
def test_thumbnail_variants_map_to_their_full_size_file(link, full):
    assert full_size(link) == full


def test_base_href_resolves_images_and_attachments():
    doc = _doc("""<html><head><base href="https://www.x.pl/"></head><body><div>
        <a href="up/a.jpg"><img src="up/a-150x150.jpg" alt="Uczestnicy" width="150"
        height="150"></a><a href="up/b.pdf">Regulamin</a></div></body></html>""")
    body = doc.find("body")
    images = collect_images([body], "https://www.x.pl/aktualnosci/2023/wpis.html")
    files = collect_attachments([body], "https://www.x.pl/aktualnosci/2023/wpis.html")
    assert images[0]["url"] == "https://www.x.pl/up/a.jpg"
    assert images[0]["thumbnail_url"] == "https://www.x.pl/up/a-150x150.jpg"
    assert files[0]["url"] == "https://www.x.pl/up/b.pdf"


def test_base_href_resolves_the_site_paths_images_attachments_and_body_links():
    # The site path cuts the body from a copy of <body> alone: the <base href> in the
    # <head> must still be what its relative links resolve against.
    from crawler.extract import SiteRules, extract
    from crawler.extract.profile import Profile

    html = """<html><head><title>Wpis</title><base href="https://www.x.pl/"></head><body>
        <div class="news-item"><h1 class="news-title">Spotkanie z mieszkańcami</h1>
        <div class="news-body"><p>Zapraszamy na spotkanie z mieszkańcami w sprawie planu,
        <a href="up/plan.html">projekt planu</a> jest już dostępny do wglądu w urzędzie.</p>
        <p><a href="up/a.jpg"><img src="up/a-150x150.jpg" alt="Uczestnicy spotkania"
        width="150" height="150"></a> <a href="up/b.pdf">Regulamin</a></p></div></div>
        </body></html>"""
    profile = Profile(layout="t", content_css="div.news-item", body_css="div.news-body",
                      title_css="h1.news-title")
    record = extract(html, "https://www.x.pl/aktualnosci/2023/wpis.html",
                     SiteRules("x", (profile,)), now=NOW)
    assert record["extraction"]["method"] == "site"
    assert record["images"][0]["url"] == "https://www.x.pl/up/a.jpg"
    assert record["attachments"][0]["url"] == "https://www.x.pl/up/b.pdf"
    assert 'href="https://www.x.pl/up/plan.html"' in record["html"]


@pytest.mark.parametrize("img", [
    '<img src="/img/fe-ue-efs-poziom.jpg" alt="" width="700" height="200">',  # file name
    '<img src="/up/pasek.jpg" alt="Fundusze Europejskie, Unia Europejska">',  # alt text
    '<div class="logotypy"><img src="/up/a.jpg" alt="" width="300" height="200"></div>',
    '<img src="/up/pasek.jpg" alt="" width="760" height="90">',  # a strip of logos
    '<img src="/szablon/grafika/obraz.jpg" alt="">',  # a template folder
])
def test_template_pictures_are_not_article_images(img):
    doc = _doc(f"<html><body><div><p>Tekst.</p>{img}</div></body></html>")
    assert collect_images([doc.find("body")], "https://x.pl/a") == []


def write_goldens() -> None:
    for family in FAMILIES:
        site = FixtureSite.load(family, UNSEEN)
        for page in site.articles():
            path = site.golden_path(page)
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(dump(extract(site, page)), encoding="utf-8")
            print(path)


if __name__ == "__main__":
    if "--write" in sys.argv[1:]:
        write_goldens()
