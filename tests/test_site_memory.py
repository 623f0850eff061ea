"""What only a site's other pages reveal: the site-wide <title> and template images.

The table site (tests/fixtures/unknown/table_site, an old nested-table layout) prints the
institution's name as the <title> of every page and ends every page's content column in
the same project strip, an image nothing on one page tells from a photo. A crawl shows
each page it reads to the site's memory (crawler.extract.site): no article is titled with
the institution's name, the strip is nobody's image, and the articles' own photos (also
shown, inside links, in every page's "newest articles" column) stay theirs.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import lxml.html
import pytest

from crawler.devtools.unknown import UNKNOWN, start_url
from crawler.extract import extract
from crawler.extract.site import SiteMemory
from tests.harness import Mirror, MirrorServer, assert_warcs_valid, stored

INSTITUTION = "Miejski Ośrodek Pomocy Społecznej w Zielonym Dworze"
STRIP = "/grafika/dol2.jpg"
FUNDING = "współfinansowany"


@pytest.fixture(scope="module")
def table_site() -> Mirror:
    return Mirror.load("table_site", UNKNOWN)


@pytest.fixture(scope="module")
def harvest_dir(table_site, tmp_path_factory) -> Path:
    """The table site crawled once with `kronika crawl --url`."""
    out = tmp_path_factory.mktemp("table_site")
    with MirrorServer(table_site) as server:
        result = subprocess.run(
            [sys.executable, "-m", "crawler.run.cli", "crawl", "--url", start_url(table_site),
             "--base-url", server.base_url, "--out", str(out), "--delay", "0"],
            capture_output=True, text=True, timeout=120, check=False,
            env={**os.environ, "KRONIKA_CONTACT": "test@example.invalid"})
    assert result.returncode == 0, result.stdout + result.stderr
    assert_warcs_valid(out)
    return out


@pytest.fixture(scope="module")
def harvest(harvest_dir) -> dict[str, dict]:
    """The crawl's articles by URL."""
    return {r["url"]: r for r in stored(harvest_dir)}


@pytest.fixture(scope="module")
def reextracted(harvest_dir, tmp_path_factory) -> dict[str, dict]:
    """The harvest's WARC files (linked into a new harvest) re-extracted into a new
    store: its articles by URL."""
    out = tmp_path_factory.mktemp("reextracted")
    (out / "warc").mkdir()
    for path in harvest_dir.glob("warc/*.warc.gz"):
        (out / "warc" / path.name).symlink_to(path)
    result = subprocess.run([sys.executable, "-m", "crawler.run.cli", "reextract", "--out",
                             str(out)], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    return {r["url"]: r for r in stored(out)}


def test_every_article_is_titled_with_its_own_headline(table_site, harvest):
    pages = table_site.articles()
    assert len(harvest) == len(pages) == 6
    for page in pages:
        record = harvest[page["url"]]
        assert record["title"] == page["expect"]["title"], page["url"]
        assert "no title found" not in record["extraction"]["warnings"]
        assert not record["text"].startswith(page["expect"]["title"])


def test_the_template_strip_is_no_articles_image_and_the_photos_are(table_site, harvest):
    """Every article keeps its photos. The strip is dropped from every article read after
    two other pages of the site: all but the first, read when one listing page was. The
    project's funding line under the strip is dropped once two other articles' bodies
    held it: from all but the first two."""
    with_strip, with_funding = [], []
    for page in table_site.articles():
        record = harvest[page["url"]]
        urls = [image["url"] for image in record["images"]]
        if any(url.endswith(STRIP) for url in urls):
            with_strip.append(page["url"])
            urls = [url for url in urls if not url.endswith(STRIP)]
        assert len(urls) == page["expect"]["images"], (page["url"], urls)
        assert record["published"].startswith(page["expect"]["published"])
        for snippet in page["must_contain"]:
            assert snippet in record["text"]
        if FUNDING in record["text"]:
            with_funding.append(page["url"])
        for chrome in page["must_not_contain"]:
            if chrome != FUNDING:
                assert chrome not in record["text"], (page["url"], chrome)
    assert len(with_strip) <= 1, with_strip
    assert len(with_funding) <= 2, with_funding


def test_one_page_alone_cannot_tell_and_the_sites_other_pages_can(table_site):
    """The evidence, page by page: read alone, the first article takes the site's name
    for its headline and the strip for a photo. A listing page showing the same <title>
    tells the title; the strip needs two other pages; two other articles tell both
    (one is not enough: two notices may share a title)."""
    first, *others = table_site.articles()
    listing = table_site.pages("listing")[0]

    def read(memory):
        return extract(table_site.body(first), first["url"],
                       content_type=first["content_type"],
                       listing_date=first["listing_date"], site=memory)

    alone = read(None)
    assert alone["title"] == INSTITUTION
    assert any(i["url"].endswith(STRIP) for i in alone["images"])
    memory = SiteMemory()
    memory.observe(listing["url"], lxml.html.fromstring(table_site.body(listing)), listing=True)
    record = read(memory)
    assert record["title"] == first["expect"]["title"]
    assert any(i["url"].endswith(STRIP) for i in record["images"])
    memory = SiteMemory()
    for seen, page in enumerate(others[:2], 1):
        memory.observe(page["url"], lxml.html.fromstring(table_site.body(page)))
        record = read(memory)
        assert (record["title"] == first["expect"]["title"]) == (seen == 2)
        assert any(i["url"].endswith(STRIP) for i in record["images"]) == (seen < 2)
    assert [i["url"] for i in record["images"]] == [
        i["url"] for i in alone["images"] if not i["url"].endswith(STRIP)]


def test_a_thumbnail_linked_to_its_article_is_no_evidence(table_site):
    """The newest articles' column shows each one's first photo on every page, inside a
    link to the article: that repetition is the listing's, and the photo stays the
    article's however many pages were seen."""
    pages = table_site.articles()
    newest = pages[0]
    memory = SiteMemory()
    for page in pages[1:]:
        memory.observe(page["url"], lxml.html.fromstring(table_site.body(page)))
    record = extract(table_site.body(newest), newest["url"],
                     content_type=newest["content_type"], listing_date=newest["listing_date"],
                     site=memory)
    assert len(record["images"]) == newest["expect"]["images"] > 0


def test_a_line_every_article_ends_with_is_the_templates(table_site):
    """The funding line each article's body ends with is dropped once two other
    articles' bodies held it; the articles' own paragraphs, however alike, are not."""
    pages = table_site.articles()
    memory = SiteMemory()
    records = [extract(table_site.body(page), page["url"], content_type=page["content_type"],
                       listing_date=page["listing_date"], site=memory) for page in pages]
    assert [FUNDING in r["text"] for r in records] == [True, True] + [False] * (len(pages) - 2)
    for page, record in zip(pages, records, strict=True):
        for snippet in page["must_contain"]:
            assert snippet in record["text"]


def test_reextract_reads_the_template_as_well_as_the_crawl(table_site, reextracted):
    """Re-extraction shows each site's pages, in WARC order, to one memory too, and reads
    the first ones again once the others were seen: every title is the article's own,
    the strip and the funding line are nobody's, the photos everybody's."""
    for page in table_site.articles():
        record = reextracted[page["url"]]
        assert record["title"] == page["expect"]["title"]
        urls = [i["url"] for i in record["images"]]
        assert len(urls) == page["expect"]["images"] and not any(
            u.endswith(STRIP) for u in urls), urls
        assert FUNDING not in record["text"]


@pytest.mark.parametrize("chunk", [1, 2, 5])
def test_reextract_in_small_chunks_knows_the_template_at_every_chunk_edge(
        table_site, harvest_dir, tmp_path, chunk):
    """Each chunk's worker first reads two of the site's pages from outside the chunk:
    however the captures are cut into chunks, every title is the article's own."""
    from crawler.run.reextract import run_reextract

    (tmp_path / "warc").mkdir()
    for path in harvest_dir.glob("warc/*.warc.gz"):
        (tmp_path / "warc" / path.name).symlink_to(path)
    run_reextract(tmp_path, workers=1, chunk=chunk)
    records = {r["url"]: r for r in stored(tmp_path)}
    for page in table_site.articles():
        assert records[page["url"]]["title"] == page["expect"]["title"], (chunk, page["url"])
        assert not any(i["url"].endswith(STRIP) for i in records[page["url"]]["images"])
