"""Selection helpers: selectors led by an id look it up in libxml2's index instead of
walking the page, and must find exactly what the plain walk finds."""

from __future__ import annotations

import copy

import lxml.html
import pytest

from crawler.devtools.fixtures import FixtureSite, available
from crawler.devtools.mirror import FIXTURES
from crawler.extract import SiteRules, extract, parse_document
from crawler.extract.profile import Profile
from crawler.extract.select import select, select_unedited
from crawler.spider.sites import rules_for
from tests.harness import NOW

SELECTOR_FIELDS = ("content_css", "body_css", "title_css", "date_css", "lead_css", "author_css",
                   "source_css", "category_css", "modified_css", "gallery_css",
                   "attachments_css")


def every_profile_selector() -> list[str]:
    found = set()
    for slug in available(FIXTURES):
        for profile in rules_for(slug).profiles:
            found.update(filter(None, (getattr(profile, f) for f in SELECTOR_FIELDS)))
            found.update(profile.exclude_css)
    return sorted(found)


@pytest.mark.parametrize("slug", available(FIXTURES))
def test_the_id_index_finds_what_the_walk_finds_on_every_fixture_page(slug):
    # Every site's selectors on every other site's pages too: most find nothing there,
    # which exercises the fallback from a missing id.
    selectors = every_profile_selector()
    assert any(css.startswith("#") for css in selectors)
    site = FixtureSite.load(slug, FIXTURES)
    for page in site.articles():
        doc = parse_document(site.body(page).decode("utf-8", "replace"))
        for css in selectors:
            expected = select(doc, css)
            assert select_unedited(doc, css) == expected, (page["url"], css)
            # The site path selects in a copy of the page's <body>: the copy has its own
            # id index.
            work = copy.deepcopy(doc.find("body"))
            assert [w.sourceline for w in select_unedited(work, css)] == [
                e.sourceline for e in select(doc.find("body"), css)]


PAGE = """<html><head><title>T</title></head><body>
<a name="tresc"></a>{before}
<div id="tresc"><h2 class="tytul">Zmiana godzin pracy kasy</h2>
<p>Informujemy, że od 1 sierpnia kasa ośrodka jest czynna w godzinach 8:00–14:00,
a w piątki do 13:00. Prosimy o wcześniejsze przygotowanie dokumentów.</p></div>
</body></html>"""


@pytest.mark.parametrize("before", ["", '<div id="menu"><a href="/">Start</a></div>'])
def test_an_anchor_named_like_the_content_id_does_not_hide_the_content(before):
    # In HTML libxml2 indexes <a name> as an id, and the skip link's anchor comes first.
    doc = lxml.html.document_fromstring(PAGE.format(before=before))
    assert [e.tag for e in select_unedited(doc, "#tresc")] == ["div"]
    assert [e.text for e in select_unedited(doc, "#tresc > h2.tytul, div#tresc h3")] == [
        "Zmiana godzin pracy kasy"]
    assert select_unedited(doc, "#brak p") == [] == select(doc, "#brak p")
    assert select_unedited(doc, "span#tresc") == []

    rules = SiteRules("t", (Profile(layout="t", content_css="#tresc", title_css="#tresc h2"),))
    record = extract(PAGE.format(before=before), "https://mops.example.pl/art,1", rules, now=NOW)
    assert record["extraction"]["method"] == "site"
    assert record["title"] == "Zmiana godzin pracy kasy"
    assert record["text"].startswith("Informujemy, że od 1 sierpnia")


SIMPLE = [
    "[role=navigation]", ".sr-only", "a[href='#top']", "div", "#wtxt", "div#wtxt",
    "p.lead.intro", "[data-x]", "[lang|=pl]", "a[href^='http']", "a[href$='.pdf']",
    "[class*=share]", "[class~=box]", "span[title='']", "img[alt]",
]


def test_simple_selectors_match_what_css_matches():
    # The chrome rules are matched in Python in the cleaner's walk; the same selectors
    # through cssselect's XPath must find the same elements, on every fixture page and
    # on a page of edge cases.
    from crawler.extract.chrome import CHROME_SELECTORS
    from crawler.extract.select import SimpleSelectors

    edge = lxml.html.document_fromstring(
        '<html lang="pl-PL"><body><div id="wtxt" class="box  wide"><p class="lead intro">a</p>'
        '<p class="lead">b</p><a href="#top">c</a><a href="https://x.pl/f.pdf">d</a>'
        '<span title="">e</span><span class="sr-only hidden">f</span>'
        '<ul role="navigation" data-x><li class="share-bar">g</li></ul><img alt=""></div>'
        "</body></html>")
    pages = [edge] + [parse_document(site.body(page).decode("utf-8", "replace"))
                      for slug in available(FIXTURES)
                      for site in [FixtureSite.load(slug, FIXTURES)]
                      for page in site.articles()[:2]]
    for selectors in [tuple(CHROME_SELECTORS), tuple(SIMPLE)]:
        rules = SimpleSelectors(selectors)
        assert rules.rest is None  # all of them simple: no XPath left
        for doc in pages:
            expected = {el for css in selectors for el in select(doc, css)}
            found = {el for el in doc.iter() if isinstance(el.tag, str)
                     and rules.matches(el, el.tag)}
            assert found == expected


def test_selectors_with_combinators_are_left_to_xpath():
    from crawler.extract.select import SimpleSelectors

    rules = SimpleSelectors(("div.a > p", "p:first-child", ".b"))
    doc = lxml.html.document_fromstring(
        '<html><body><div class="a"><p>1</p><p class="b">2</p></div><p>3</p></body></html>')
    assert [el.text for el in rules.rest(doc)] == ["1", "2"]
    assert [el.text for el in doc.iter("p") if rules.matches(el, "p")] == ["2"]
