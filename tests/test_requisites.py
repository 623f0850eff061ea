"""Page requisites: what a browser loads to show an archived page is archived with it.

The styled-site mirror (tests/fixtures/unknown/styled_site) serves real requisites:
stylesheets, one @import-ed, naming background pictures and the Open Sans web font only
in CSS; a script; template PNGs; a favicon; a lead image with a srcset; gallery
thumbnails linking to the full files; a lazy-loaded poster with a <noscript> copy; a
visitor counter robots.txt forbids. It is crawled with `kronika crawl --url` over real
HTTP on 127.0.0.1, twice, as cron would.
"""

from __future__ import annotations

import collections
import json
import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

import lxml.html
import pytest
from scrapy.settings import Settings
from warcio.archiveiterator import ArchiveIterator

from crawler.components.requisites import css_destinations, css_references, page_requisites
from crawler.devtools.unknown import UNKNOWN, start_url
from tests.harness import Mirror, MirrorServer, assert_warcs_valid

HOST = "https://www.mopr-jasnagorka.pl"


def crawl(mirror: Mirror, out: Path, base_url: str | None, *extra: str,
          start: str | None = None) -> subprocess.CompletedProcess:
    mirrored = ["--base-url", base_url] if base_url else []
    result = subprocess.run(
        [sys.executable, "-m", "crawler.run.cli", "crawl", "--url", start or start_url(mirror),
         *mirrored, "--out", str(out), "--delay", "0", *extra],
        capture_output=True, text=True, timeout=180, check=False,
        env={**os.environ, "KRONIKA_CONTACT": "test@example.invalid"})
    assert result.returncode == 0, result.stdout + result.stderr
    assert_warcs_valid(out)
    return result


def records(out: Path, run: int) -> dict[str, str]:
    """Target URI -> WARC-Type of the responses and revisits of run ``run``'s files."""
    found = {}
    for path in sorted((out / "warc").glob(f"*-run{run:05d}-*.warc.gz")):
        with open(path, "rb") as fh:
            for record in ArchiveIterator(fh):
                if record.rec_type in ("response", "revisit"):
                    found[record.rec_headers.get_header("WARC-Target-URI")] = record.rec_type
    return found


def manifest(out: Path, run: int) -> dict:
    data = json.loads((out / "runs" / f"run-{run:05d}.json").read_text("utf-8"))
    site, = data["sites"].values()
    return site["discovery"]["requisites"]


@pytest.fixture(scope="module")
def styled() -> Mirror:
    return Mirror.load("styled_site", UNKNOWN)


@pytest.fixture(scope="module")
def nightly(styled, tmp_path_factory):
    """Two runs, the second incremental (only the listing page is read again)."""
    out = tmp_path_factory.mktemp("styled")
    runs = []
    with MirrorServer(styled) as server:
        for _ in range(2):
            before = len(server.requests)
            crawl(styled, out, server.base_url)
            runs.append(server.requests[before:])
    return out, runs


def requisite_urls(mirror: Mirror) -> set[str]:
    """Every file of the mirror a page loads to render: all but pages, robots.txt and
    the full-size gallery files (fetched as the articles' images anyway)."""
    return {p["url"] for p in mirror.meta["pages"]
            if p["kind"] in ("requisite", "image")}


def test_every_requisite_is_archived_once_by_the_first_run(styled, nightly):
    out, (first, _) = nightly
    archived = records(out, 1)
    wanted = requisite_urls(styled)
    assert wanted - set(archived) == set()
    # Named only inside CSS: the @import-ed stylesheet, its fonts, background pictures.
    for path in ("/assets/css/fonts.css", "/assets/fonts/open-sans-regular.woff2",
                 "/assets/fonts/open-sans-700.woff2", "/assets/img/tlo.png",
                 "/assets/img/pdf.png"):
        assert archived[HOST + path] == "response", path
    # A srcset's other size, a gallery thumbnail, a lazy image, a style attribute's
    # picture, a print stylesheet, the favicon.
    for path in ("/uploads/2024/11/dzien-seniora-w-klubie-senior-300x200.jpg",
                 "/uploads/2024/11/dzien-seniora-w-klubie-senior-galeria-1-150x150.jpg",
                 "/uploads/2024/11/dzien-seniora-w-klubie-senior-plakat.jpg",
                 "/assets/img/baner-ue.png", "/assets/css/druk.css", "/favicon.ico"):
        assert HOST + path in archived, path
    asked = collections.Counter((r["method"], r["path"]) for r in first)
    assert [key for key, n in asked.items() if n > 1] == []
    counts = manifest(out, 1)
    # Every template file at least (an article's images may come first as its media).
    assert counts["archived"] >= sum(p["kind"] == "requisite" for p in styled.meta["pages"])
    assert counts["failed"] == 0


def test_a_requisite_robots_txt_forbids_is_never_asked_for(nightly):
    out, runs = nightly
    assert not [r for run in runs for r in run if r["path"].startswith("/cgi-bin/")]
    assert not [u for u in records(out, 1) if "/cgi-bin/" in u]
    assert manifest(out, 1)["robots_forbidden"] == 1


def test_the_nightly_run_asks_once_and_archives_unchanged_requisites_as_revisits(styled,
                                                                                 nightly):
    out, (_, second) = nightly
    archived = records(out, 2)
    css = HOST + "/assets/css/style.css?ver=2019.4"
    # The listing page is read again, and with it what it loads: unchanged, so revisits.
    for url in (css, HOST + "/assets/css/fonts.css", HOST + "/assets/fonts/open-sans-700.woff2",
                HOST + "/assets/img/logo.png", HOST + "/assets/js/main.js?ver=2019.4"):
        assert archived.get(url) == "revisit", url
    assert "response" not in {archived[u] for u in archived if u in requisite_urls(styled)}
    asked = collections.Counter(r["path"] for r in second)
    assert [p for p, n in asked.items() if n > 1] == []


def test_no_requisites_fetches_none(styled, tmp_path):
    with MirrorServer(styled) as server:
        crawl(styled, tmp_path, server.base_url, "--no-requisites")
        asked = {r["path"] for r in server.requests}
    assert not [p for p in asked if p.startswith("/assets/") or p == "/favicon.ico"]
    # The articles' own images are media, fetched as before.
    assert "/uploads/2024/11/dzien-seniora-w-klubie-senior-galeria-1.jpg" in asked
    assert manifest(tmp_path, 1)["archived"] == 0


def test_a_stylesheet_on_another_host_is_archived_and_a_link_there_is_not_followed(
        styled, tmp_path):
    """The page loads its stylesheet from another host (a CDN: here `localhost` on the
    same port, the site being 127.0.0.1) and links to a page there: the stylesheet and
    what it names are archived under that host, the link is not followed."""
    server = MirrorServer(styled)
    port = server.httpd.server_address[1]
    cdn = f"http://localhost:{port}"

    def from_cdn(page: dict, body: bytes) -> bytes:
        if page["kind"] not in ("listing", "article"):
            return body
        # The site is 127.0.0.1 alone: its canonical links name no other host. The page
        # also names a counter on the CDN host that the CDN's robots.txt forbids.
        body = body.replace(HOST.encode(), f"http://127.0.0.1:{port}".encode())
        body = body.replace(b"</footer>", f'<img src="{cdn}/cgi-bin/licznik.cgi?cdn=1"></footer>'
                            .encode())
        return body.replace(b'href="/assets/css/style.css', f'href="{cdn}/assets/css/style.css'
                            .encode()).replace(b'href="/o-nas/"', f'href="{cdn}/o-nas/"'.encode())

    server.transform = from_cdn
    with server:
        crawl(styled, tmp_path, None,
              start=f"http://127.0.0.1:{port}{urlsplit(start_url(styled)).path}")
        by_host = collections.defaultdict(set)
        for r in server.requests:
            by_host[r["host"].split(":")[0]].add(r["path"])
    assert "/assets/css/style.css?ver=2019.4" in by_host["localhost"]
    assert "/assets/css/fonts.css" in by_host["localhost"]  # named by the CDN's stylesheet
    assert "/o-nas/" not in by_host["localhost"]
    # The CDN's own robots.txt was read, and obeyed.
    assert "/robots.txt" in by_host["localhost"]
    assert not [p for p in by_host["localhost"] if p.startswith("/cgi-bin/")]
    archived = records(tmp_path, 1)
    assert archived[f"{cdn}/assets/css/style.css?ver=2019.4"] == "response"
    assert archived[f"{cdn}/assets/fonts/open-sans-regular.woff2"] == "response"


def test_what_a_page_names_is_read_as_a_browser_reads_it():
    """srcset candidates as the HTML standard reads them (a data: URI's comma is its
    own, no request for its base64), <picture> sources and a video's poster but not
    the video, <noscript> copies, background attributes and style url()s; never the
    page a prefetch names (it may be an article the spider still has to read)."""
    page = lxml.html.fromstring("""<html><head><base href="https://cdn.example.pl/s/">
<link rel="stylesheet" href="a.css"><link rel="prefetch" href="/aktualnosci/nastepny">
<link rel="icon" href="/favicon.ico"><script src="app.js"></script>
<style>body { background: url('tlo.png') }</style></head>
<body background="bg.gif"><img src="data:image/gif;base64,R0lGOD,lhAQ" srcset="data:image/png;base64,iVBO,Rw0 1x, big.jpg 2x">
<picture><source srcset="p-800.webp 800w, p-400.webp 400w"><img src="p.jpg"></picture>
<video src="film.mp4" poster="film.jpg"><source src="film.webm"></video>
<noscript><img src="lazy.jpg"></noscript><div style="background-image:url(&quot;box.png&quot;)"></div>
</body></html>""")
    found = dict(page_requisites(page, "https://www.example.pl/aktualnosci/x"))
    base = "https://cdn.example.pl/s/"
    assert found == {
        base + "a.css": "style", "https://cdn.example.pl/favicon.ico": "image",
        base + "app.js": "script", base + "tlo.png": "image", base + "bg.gif": "image",
        base + "big.jpg": "image", base + "p-800.webp": "image", base + "p-400.webp": "image",
        base + "p.jpg": "image", base + "film.jpg": "image", base + "lazy.jpg": "image",
        base + "box.png": "image"}


def test_a_stylesheet_names_its_imports_fonts_and_pictures():
    css = """@import url("print.css") print; @import 'theme.css';
@font-face { src: url(../f/os.woff2) format("woff2"), url('../f/os.woff') format("woff"); }
.a { background: url( "i/a.png" ) } .b { background: url(data:image/png;base64,AAA=) }"""
    assert css_destinations(css_references(css)) == [
        ("print.css", "style"), ("theme.css", "style"), ("../f/os.woff2", "font"),
        ("../f/os.woff", "font"), ("i/a.png", "image")]



def test_hostile_markup_names_no_page_and_breaks_nothing():
    """A link's or a frame's data-src names a page (a lightbox's, an article the spider
    must still read itself), not a picture; a preload of a document is no requisite; one
    unparseable URL costs only itself; a stray parenthesis in a srcset ends nothing."""
    page = lxml.html.fromstring("""<html><head>
<link rel="preload" href="/aktualnosci/nastepny" as="document"><link rel="preload" href="/f.woff2" as="font">
</head><body><a data-fancybox data-src="/aktualnosci/art-3.html" href="#">Więcej</a>
<iframe data-src="/mapa.html"></iframe><img src="http://[::1"><img src="/ok.png">
<img srcset="a.jpg 1x), b.jpg 2x, c.jpg 3x"></body></html>""")
    found = [url for url, _ in page_requisites(page, "https://www.example.pl/x")]
    assert found == ["https://www.example.pl/f.woff2", "https://www.example.pl/ok.png",
                     "https://www.example.pl/a.jpg", "https://www.example.pl/b.jpg",
                     "https://www.example.pl/c.jpg"]
    assert css_references("a { background: url(http://[::1) } b { background: url(b.png) }") \
        == ["http://[::1", "b.png"]


def test_a_public_sites_page_cannot_send_a_requisite_inside_the_network():
    """A requisite may come from any host, but a public site's page naming a private,
    loopback or link-local address (a cloud metadata service) is refused; a site on a
    private network may load from its neighbours."""
    from crawler.components.scope import ScopeMiddleware

    class Site:
        allowed_domains = ["rops.example.pl"]
        start_url = "https://rops.example.pl/aktualnosci"
        host_aliases: dict = {}

    scope = ScopeMiddleware(type("Crawler", (), {"settings": Settings()})())
    for url in ("http://169.254.169.254/latest/meta-data/", "http://127.0.0.1/admin",
                "http://[::1]/x", "http://10.0.0.5/a.css", "http://intranet/a.css"):
        assert scope.why_not(Site(), url, any_host=True), url
    assert scope.why_not(Site(), "https://cdn.example.com/a.css", any_host=True) is None
    Site.allowed_domains, Site.start_url = ["10.0.0.2"], "http://10.0.0.2/aktualnosci"
    assert scope.why_not(Site(), "http://10.0.0.5/a.css", any_host=True) is None
