"""RCPS Łódź: one article however it is reached, and the team's seed-001 cross-post.

The Joomla generation serves an article under every menu path that shows its category,
and the site answers under rcpslodz.pl, www.rcpslodz.pl and rcps-lodz.pl; all of these
must give one canonical URL and one id. Article 148 is RCPS's repost of the seed-001
conference (docs/seeds/README.md, 001): the first three body paragraphs of the seed
verbatim, then one sentence of its own.
"""

from __future__ import annotations

from pathlib import Path

import lxml.html
import pytest

from crawler.devtools.mirror import Mirror
from crawler.extract.urls import article_id, canonicalize
from crawler.spider.sites import rules_for, site_for_url, spider_class
from tests.harness import extract_page

SEED_001 = Path(__file__).parent / "fixtures" / "seeds" / "001_0b4d5f827957e2af.txt"
A332 = "332-szkolenie-dla-kandydatow-na-rodzicow-adopcyjnych"
A383 = "383-posiedzenie-spolecznej-rady-seniorow-wojewodztwa-lodzkiego"
A87 = "87-konf-wspieranie-rodziny-w-wojewodztwie-lodzkim"
CANONICAL_332 = f"https://rcpslodz.pl/index.php/2-aktualnosci/{A332}"
MENU_PATHS_332 = (
    f"https://rcpslodz.pl/index.php/2-aktualnosci/{A332}",
    f"https://rcpslodz.pl/index.php/dziecko-i-rodzina/adopcja/2-aktualnosci/{A332}",
    f"https://rcpslodz.pl/index.php/o-nas/2-aktualnosci/{A332}",
)


@pytest.fixture(scope="module")
def mirror():
    return Mirror.load("rcps_lodz")


def _page(mirror, url):
    return next(p for p in mirror.meta["pages"] if p["url"] == url)


def _links(mirror, url):
    page = _page(mirror, url)
    doc = lxml.html.document_fromstring(mirror.body(page))
    doc.make_links_absolute(url)
    return {href for _, _, href, _ in doc.iterlinks()}


def test_joomla_menu_paths_of_one_article_fold_to_one_canonical_url_and_id(mirror):
    records = [extract_page(mirror, _page(mirror, url)) for url in MENU_PATHS_332]
    assert [r["url"] for r in records] == list(MENU_PATHS_332)
    assert {r["canonical_url"] for r in records} == {CANONICAL_332}
    assert {r["id"] for r in records} == {article_id(CANONICAL_332)}
    # The same article, not just the same address: identical content.
    assert len({r["content_hash"] for r in records}) == 1
    assert {r["title"] for r in records} == {"Szkolenie dla kandydatów na rodziców adopcyjnych"}


def test_each_menu_path_is_linked_from_a_different_page(mirror):
    linking = {
        MENU_PATHS_332[0]: "https://rcpslodz.pl/",  # featured view of the home item
        MENU_PATHS_332[1]: "https://rcpslodz.pl/index.php/dziecko-i-rodzina/adopcja",
        MENU_PATHS_332[2]: "https://rcpslodz.pl/index.php/o-nas/2-aktualnosci",  # the listing
    }
    for target, source in linking.items():
        assert target in _links(mirror, source), (source, target)
    listing = _page(mirror, MENU_PATHS_332[2].rsplit("/", 1)[0])
    assert listing["kind"] == "listing" and MENU_PATHS_332[2] in listing["article_urls"]


def test_the_spider_requests_an_article_once_whatever_its_path_or_host():
    spider = spider_class("rcps_lodz")()
    urls = [*MENU_PATHS_332, f"https://www.rcpslodz.pl/index.php/2-aktualnosci/{A332}",
            f"http://rcps-lodz.pl/index.php/o-nas/2-aktualnosci/{A332}"]
    requests = [spider._article_request(url, None, None) for url in urls]
    assert [r is not None for r in requests] == [True, False, False, False, False]


@pytest.mark.parametrize("host", ["rcpslodz.pl", "www.rcpslodz.pl", "rcps-lodz.pl",
                                  "www.rcps-lodz.pl"])
@pytest.mark.parametrize("scheme", ["http", "https"])
def test_hosts_fold_to_one_canonical_host(host, scheme):
    rules = rules_for("rcps_lodz")
    url = f"{scheme}://{host}/index.php/2-aktualnosci/{A87}"
    canonical = canonicalize(url, rules.host_aliases, rules.drop_params, rules.url_rewrites)
    assert canonical == f"https://rcpslodz.pl/index.php/2-aktualnosci/{A87}"
    assert site_for_url(url) == "rcps_lodz"


@pytest.mark.parametrize(("alias_url", "listed_url"), [
    (f"https://www.rcpslodz.pl/index.php/2-aktualnosci/{A383}",
     f"https://rcpslodz.pl/index.php/o-nas/2-aktualnosci/{A383}"),
    (f"http://rcps-lodz.pl/index.php/2-aktualnosci/{A87}",
     f"https://rcpslodz.pl/index.php/o-nas/2-aktualnosci/{A87}"),
])
def test_pages_served_under_other_hosts_are_the_same_record(mirror, alias_url, listed_url):
    alias, listed = (extract_page(mirror, _page(mirror, u)) for u in (alias_url, listed_url))
    assert alias["canonical_url"] == listed["canonical_url"]
    assert alias["canonical_url"].startswith("https://rcpslodz.pl/index.php/2-aktualnosci/")
    assert alias["id"] == listed["id"]
    assert alias["text"] == listed["text"] and alias["source"] == listed["source"]


def test_current_cms_menu_slug_variant_folds(mirror):
    page = next(p for p in mirror.articles() if p["url"].endswith("-r63"))
    record = extract_page(mirror, page)
    assert page["url"].startswith("https://rcpslodz.pl/o-rcps-lodz-t20/")
    assert record["canonical_url"] == ("https://rcpslodz.pl/rcps-lodz-t20/aktualnosci-a26/"
                                       "spoleczna-rada-seniorow-wojewodztwa-lodzkiego-r63")


def test_cross_post_of_seed_001(mirror):
    """README 001: the body runs from "11 maja 2018roku ..."; RCPS reposts the first three
    paragraphs verbatim and adds one sentence. The page prints no date and the Joomla
    listing shows none, so published is null; no Autor:/Źródło: line."""
    page = next(p for p in mirror.articles() if p.get("cross_post_of", "").endswith(SEED_001.name))
    assert page["url"] == ("https://rcpslodz.pl/index.php/o-nas/2-aktualnosci/"
                           "148-konferencja-mamo-tato-w-radomsku")
    record = extract_page(mirror, page)
    lines = [" ".join(line.split()) for line in SEED_001.read_text(encoding="utf-8").splitlines()]
    first = next(i for i, line in enumerate(lines) if line.startswith("11 maja 2018roku"))
    seed_paragraphs = [line for line in lines[first:] if line][:3]
    assert seed_paragraphs[-1].endswith("kto może takim asystentem rodziny zostać .")
    expected = [*seed_paragraphs,
                "Gratulujemy organizatorom i życzymy powodzenia w realizacji projektu."]
    assert record["text"].split("\n\n") == expected
    assert record["title"] == "Konferencja „Mamo, Tato – bycie z Tobą daje moc!” w Radomsku"
    assert record["canonical_url"] == ("https://rcpslodz.pl/index.php/2-aktualnosci/"
                                       "148-konferencja-mamo-tato-w-radomsku")
    assert record["category"] == "Aktualności"
    assert record["published"] is None and record["published_source"] is None
    assert record["author"] is None and record["source"] is None
    assert record["images"] == [] and record["attachments"] == []
    assert record["extraction"]["method"] == "site" and record["extraction"]["warnings"] == []
    for chrome in ("Aktywność dzielnicowych", "Źródło: MOPS w Radomsku", "Powrót na górę",
                   "Kategoria: Aktualności", "Odsłony", "Drukuj", "Jesteś tutaj",
                   "Ten adres pocztowy jest chroniony przed spamowaniem"):
        assert chrome not in record["text"]


def test_joomla_records_keep_file_name_labels_out_of_dates_and_captions(mirror):
    page = _page(mirror, f"https://rcpslodz.pl/index.php/o-nas/2-aktualnosci/{A383}")
    record = extract_page(mirror, page)
    assert record["source"] == "UMWŁ" and "źródło" not in record["text"]
    assert record["published"] is None  # "2019 12 19 rada seniorow ef 02" is a file name
    assert len(record["images"]) == 4
    for n, image in enumerate(record["images"], 1):
        name = f"2019_12_19_rada_seniorow_ef_{n:02d}.jpg"
        assert image["url"] == f"https://rcpslodz.pl/images/aktualnosci/2019/rada_seniorow/{name}"
        assert image["thumbnail_url"].endswith(f"/thumbnails/thumb_{name}")
        assert image["caption"] is None and image["alt"] is None
    assert "rada seniorow ef" not in record["text"]
