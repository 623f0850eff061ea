"""`kronika crawl --url` as a nightly crawler of sites no profile knows.

Three unknown-site mirrors (tests/fixtures/unknown/: a comma-URL home-grown CMS, a Joomla
category blog, a WordPress site with feeds) are crawled from their first listing page
over real HTTP on 127.0.0.1: every article once, with its title, date and images; the
nightly re-run after new articles asks the server for nothing but what it must; the
rops.krakow.pl mirror is one site under its public and its mirror host; pagination traps
and listings that repeat themselves end.
"""

from __future__ import annotations

import ast
import json
import os
import re
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import pytest

from crawler.devtools.unknown import FAMILIES, before_newest, load, newest, start_url
from tests.harness import Mirror, MirrorServer, assert_warcs_valid, stored, without_requisites

NEW = 2  # articles published between two nightly runs


def crawl(url: str, out: Path, *extra: str, **env: str) -> subprocess.CompletedProcess:
    """One `kronika crawl --url` in a subprocess; it must not crash."""
    result = subprocess.run(
        [sys.executable, "-m", "crawler.run.cli", "crawl", "--url", url, "--out", str(out),
         "--delay", "0", *extra],
        capture_output=True, text=True, timeout=120, check=False,
        env={**os.environ, "KRONIKA_CONTACT": "test@example.invalid", **env})
    assert "Traceback" not in result.stderr, result.stderr
    assert_warcs_valid(out)
    return result


def stats(out: Path) -> dict:
    """The kronika/ crawler stats of the last run, as its log's stats dump shows them."""
    log = sorted((out / "logs").glob("*.log"))[-1].read_text("utf-8")
    return {name: ast.literal_eval(value) for name, value in re.findall(
        r"'kronika/([a-z_]+)': ('[^']*'|\d+)", log)}


def paths(requests: list[dict]) -> list[str]:
    return [r["path"] for r in requests]


def _target(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


@pytest.fixture(scope="module", params=FAMILIES)
def nightly(request, tmp_path_factory):
    """One family harvested twice, as cron would: first the site as it was before its
    NEW newest articles, then the site with them. For the comma CMS two more runs follow:
    one re-checking every known article, one with --full."""
    family = request.param
    mirror = load(family)
    out = tmp_path_factory.mktemp(family)
    start = start_url(mirror)
    runs = {}
    with MirrorServer(mirror, transform=before_newest(mirror, NEW)) as server:
        def run(name, *extra, transform=None):
            server.transform = transform
            split = len(server.requests)
            result = crawl(start, out, "--base-url", server.base_url, *extra)
            assert result.returncode == 0, result.stdout + result.stderr
            manifest = sorted((out / "runs").glob("run-*.json"))[-1]
            # One site per run; its slug is the generic spider's to choose.
            counts, = json.loads(manifest.read_text("utf-8"))["sites"].values()
            runs[name] = {"result": result, "requests": server.requests[split:],
                          "stats": stats(out), "stored": stored(out), "counts": counts}

        run("first", transform=before_newest(mirror, NEW))
        run("second")
        if family == "comma_cms":
            # Every known article is recent enough to re-check: conditional GETs.
            run("recheck", "--no-media", "--recheck-days", "100000")
            run("full", "--no-media", "--full")
    return family, mirror, runs


def test_every_article_once_with_its_title_date_and_images(nightly):
    family, mirror, runs = nightly
    expected = {p["url"]: p for p in mirror.articles()}
    records = runs["second"]["stored"]
    assert sorted(r["url"] for r in records) == sorted(expected)
    asked = paths(runs["first"]["requests"] + runs["second"]["requests"])
    for url in expected:  # each article page fetched exactly once over both runs
        assert asked.count(_target(url)) == 1, (url, asked.count(_target(url)))
    for record in records:
        want = expected[record["url"]]["expect"]
        assert record["title"] == want["title"], record["url"]
        assert (record["published"] or "")[:10] == want["published"], (
            record["url"], record["published_raw"], record["published_source"])
        assert len(record["images"]) == want["images"], record["url"]
        if "published_source" in want:
            assert record["published_source"] == want["published_source"], record["url"]
    # Gallery sub-pages are not articles: never fetched as one, their dates never used.
    assert not [p for p in asked if p.startswith("/galeria,")]
    first = runs["first"]["stats"]
    assert first["listing_pages"] == len(mirror.pages("listing"))
    assert first["listing_stop"] == "last page"
    # Links to other sites where articles could be are counted: the comma CMS's
    # "Przydatne linki" box (gov.pl, Emp@tia, ePUAP); the other two have none.
    assert first["offsite_dropped"] == (3 if family == "comma_cms" else 0)
    # ... and named: in the manifest, and by host in the printed summary.
    discovery = runs["first"]["counts"]["discovery"]
    if family == "comma_cms":
        assert discovery["offsite_urls"] == ["https://empatia.mpips.gov.pl/",
                                             "https://epuap.gov.pl/",
                                             "https://www.gov.pl/web/rodzina"]
        assert ("3 off-site link(s) dropped (to empatia.mpips.gov.pl, epuap.gov.pl, "
                "www.gov.pl)") in runs["first"]["result"].stdout
    else:
        assert discovery["offsite_urls"] == []


@pytest.mark.parametrize("nightly", [
    "comma_cms",
    "joomla_blog", "wordpress_feed"], indirect=True)
def test_the_text_holds_the_article_and_no_page_chrome(nightly):
    _, mirror, runs = nightly
    pages = {p["url"]: p for p in mirror.articles()}
    wrong = {}
    for record in runs["second"]["stored"]:
        page = pages[record["url"]]
        # The article is its standfirst (the lead, a field of its own) and its body.
        article = "\n\n".join(filter(None, (record["lead"], record["text"])))
        missing = [s for s in page["must_contain"] if s not in article]
        chrome = [s for s in page["must_not_contain"] if s in article]
        if missing or chrome:
            wrong[record["url"]] = {"missing": missing, "chrome": chrome}
    assert not wrong, wrong


def test_the_nightly_rerun_asks_only_for_what_is_new(nightly):
    family, mirror, runs = nightly
    fresh = newest(mirror, NEW)
    assert len(runs["first"]["stored"]) == len(mirror.articles()) - NEW
    asked = paths(without_requisites(runs["second"]["requests"]))
    # The ideal (page requisites aside: tests/test_requisites.py): robots.txt, the discovery probes (the feeds the start page advertises,
    # the sitemap guess), listing pages 1 and 2 (page 2: the overlap, all known), the new
    # articles and their photos.
    listings = sorted(mirror.pages("listing"), key=lambda p: p["page"])
    feeds = [p for p in mirror.pages("other") if "xml" in p["content_type"]]
    photos = {"comma_cms": "/foto/", "joomla_blog": "/images/galerie/",
              "wordpress_feed": "/wp-content/uploads/"}[family]
    ideal = ["/robots.txt", "/sitemap.xml", *(_target(p["url"]) for p in feeds),
             *(_target(p["url"]) for p in listings[:2]),
             *(_target(p["url"]) for p in fresh)]
    media = [p for p in asked if p.startswith(photos)]
    assert sorted(p for p in asked if p not in media) == sorted(ideal)
    assert len(media) == sum(p["expect"]["images"] for p in fresh)
    assert runs["second"]["stats"]["listing_stop"] == "overlap"


@pytest.mark.parametrize("nightly", ["comma_cms"], indirect=True)
def test_known_articles_are_rechecked_and_full_rewalks(nightly):
    _, mirror, runs = nightly
    rechecks = [r for r in runs["recheck"]["requests"] if r["path"].startswith("/art,")]
    assert len(rechecks) == len(mirror.articles())
    assert all(r["if_none_match"] and r["status"] == 304 for r in rechecks)
    counts = runs["recheck"]["counts"]
    assert (counts["new"], counts["changed"], counts["unchanged"]) == (0, 0, 14)
    walked = paths(runs["full"]["requests"])
    assert sorted(p for p in walked if p.startswith("/aktualnosci")) == sorted(
        _target(p["url"]) for p in mirror.pages("listing"))


# -- one site, many hosts ------------------------------------------------------------------
def test_the_public_host_and_its_mirror_are_one_site(tmp_path):
    mirror = Mirror.load("rops_krakow")
    current = [p["url"] for p in mirror.articles() if p["url"].startswith(
        "https://rops.krakow.pl/aktualnosci/")]
    with MirrorServer(mirror) as server:
        # The mirror's own address: its pages declare rops.krakow.pl (canonical, og:url)
        # and link to it with absolute URLs.
        by_mirror = crawl(f"{server.base_url}/aktualnosci", tmp_path / "mirror", "--no-media")
        by_public = crawl("https://rops.krakow.pl/aktualnosci", tmp_path / "public",
                          "--base-url", server.base_url, "--no-media")
    for run, out in ((by_mirror, tmp_path / "mirror"), (by_public, tmp_path / "public")):
        assert run.returncode == 0, run.stdout + run.stderr
        # Every article, under the public host the records name.
        assert sorted(r["url"] for r in stored(out)) == sorted(current)
        assert stats(out)["offsite_dropped"] == 0


# -- traps ---------------------------------------------------------------------------------
class TrapSite:
    """A server whose listing never ends: ``calendar`` pages each list two articles of an
    earlier month, forever; ``repeat`` pages list the same three articles, forever."""

    def __init__(self, kind: str):
        self.kind = kind
        self.requests: list[str] = []
        site = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 (http.server naming)
                site.requests.append(self.path)
                body = site.page(self.path).encode("utf-8")
                self.send_response(200 if body else 404)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def __enter__(self):
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()

    def page(self, path: str) -> str:
        parts = urlsplit(path)
        query = dict(parse_qsl(parts.query))
        if parts.path.startswith("/art,"):
            ident = parts.path.split(",")[1]
            return (f"<html><body><h1>Komunikat numer {ident} ośrodka</h1><p>Treść komunikatu "
                    f"{ident}: ośrodek informuje mieszkańców o zmianach w pracy działu "
                    "świadczeń i zaprasza do kontaktu.</p><p>Data publikacji: 03.02.2024 r."
                    "</p></body></html>")
        if parts.path != "/aktualnosci.html":
            return ""
        if self.kind == "calendar":
            month = int(query.get("miesiac", "0"))
            ids = (1000 + 2 * month, 1001 + 2 * month)
            more = f'<div class="kal"><a href="?miesiac={month + 1}">»</a></div>'
        else:
            ids = (11, 12, 13)
            more = f'<a href="?strona={int(query.get("strona", "1")) + 1}">Następna</a>'
        items = "".join(f'<div class="news"><span>03.02.2024</span><h3><a href="/art,{i},'
                        f'komunikat.html">Komunikat numer {i} dla mieszkańców gminy</a></h3>'
                        "</div>" for i in ids)
        return f"<html><body><div id='tresc'>{items}{more}</div></body></html>"


def test_a_calendar_trap_ends_at_the_listing_cap(tmp_path):
    with TrapSite("calendar") as site:
        crawl(f"{site.url}/aktualnosci.html", tmp_path, "--no-media",
              KRONIKA_GENERIC_MAX_PAGES="4")
    assert len([p for p in site.requests if p.startswith("/aktualnosci")]) == 4
    found = stats(tmp_path)
    assert found["listing_cap_reached"] == 4
    assert found["listing_traps"] == 1
    assert found["listing_stop"] == "cap"


def test_a_listing_that_repeats_itself_stops_at_the_overlap(tmp_path):
    with TrapSite("repeat") as site:
        crawl(f"{site.url}/aktualnosci.html", tmp_path, "--no-media")
    # Page 1, then page 2 with nothing it had not shown: the overlap (1 page) is reached.
    assert [p for p in site.requests if p.startswith("/aktualnosci")] == [
        "/aktualnosci.html", "/aktualnosci.html?strona=2"]
    assert stats(tmp_path)["listing_stop"] == "repeated listing"
    assert len(stored(tmp_path)) == 3
