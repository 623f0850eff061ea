"""Hostile servers cannot steer, exhaust or crash the crawl (issue 16).

Small servers on loopback addresses play the hostile site: a retry answered with a
redirect to another host (127.0.0.2 standing in for an internal one), a redirect to
another port of the site's host, feed links to ``file://`` URLs and an over-long URL, a
cookie flood, a Crawl-delay of 100000 s and a pagination trap. Every assertion is made at
the servers (what was asked) or in the harvest (what was recorded).
"""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

TITLES = ["Konferencja o pomocy społecznej w regionie", "Szkolenie dla pracowników socjalnych",
          "Nowy program wsparcia rodzin zastępczych"]
ARTICLE = ("<html><head><title>{t}</title></head><body><article><h1>{t}</h1>"
           "<time datetime='2024-05-0{n}'>0{n}.05.2024</time>" + "<p>{t}. Treść artykułu, "
           "zdanie o pomocy społecznej i wsparciu rodzin w województwie.</p>" * 8
           + "</article></body></html>")


class Site:
    """A threaded HTTP server on ``host`` answering from ``routes`` (path -> callable
    returning (status, headers, body)), logging every request it gets."""

    def __init__(self, host: str = "127.0.0.1", routes: dict | None = None):
        self.routes = routes or {}
        self.requests: list[dict] = []
        site = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self):  # noqa: N802 (http.server naming)
                site.requests.append({"path": self.path, "time": time.monotonic(),
                                      "cookie": self.headers.get("Cookie", "")})
                route = site.routes.get(self.path)
                status, headers, body = route(site) if route else (404, [], b"nie ma")
                self.send_response(status)
                for name, value in headers:
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer((host, 0), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host}:{port}"

    def __enter__(self) -> Site:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def asked(self, path: str) -> int:
        return sum(r["path"] == path for r in self.requests)


def html(body: str, *headers) -> tuple:
    return 200, [("Content-Type", "text/html; charset=utf-8"), *headers], body.encode()


def article(n: int):
    return lambda site: html(ARTICLE.format(t=TITLES[n - 1], n=n))


def listing(feed: bool = True) -> str:
    links = "".join(f"<li><a href='/news/artykul-{n}-2024'>{t}</a></li>"
                    for n, t in enumerate(TITLES, 1))
    alternate = ("<link rel='alternate' type='application/rss+xml' href='/feed.xml'>"
                 if feed else "")
    return f"<html><head>{alternate}</head><body><main><ul>{links}</ul></main></body></html>"


def run_crawl(start: str, out: Path, *extra: str, **env: str) -> subprocess.CompletedProcess:
    result = subprocess.run(
        [sys.executable, "-m", "crawler.run.cli", "crawl", "--url", start, "--out", str(out),
         "--delay", "0", "--timeout", "5", *extra],
        capture_output=True, text=True, timeout=60, check=False,
        env={**os.environ, "KRONIKA_CONTACT": "test@example.invalid", **env})
    assert "Traceback" not in result.stderr, result.stderr
    return result


def manifest(out: Path) -> dict:
    return json.loads(next((out / "runs").glob("run-*.json")).read_text(encoding="utf-8"))


def log(out: Path) -> str:
    return "\n".join(p.read_text(encoding="utf-8") for p in (out / "logs").glob("*.log"))


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    """One crawl of a site that tries every way out of itself, and floods cookies."""
    out = tmp_path_factory.mktemp("hostile")
    internal = Site("127.0.0.2")        # an internal host
    other_port = Site("127.0.0.1")      # the site's host, another port
    site = Site("127.0.0.1")
    with internal, other_port, site:
        long_url = f"{site.url}/news/{'a' * 2100}"
        feed = ("<?xml version='1.0'?><rss version='2.0'><channel><title>f</title>"
                + "".join(f"<item><title>x</title><link>{link}</link>"
                          "<pubDate>Wed, 01 May 2024 10:00:00 +0200</pubDate></item>"
                          for link in ("file:///etc/passwd",
                                       f"file://127.0.0.1{'/etc/passwd'}", long_url))
                + "</channel></rss>")
        flood = [("Set-Cookie", f"c{i}=v{i}; Path=/") for i in range(200)]
        flood.append(("Set-Cookie", "big=" + "x" * 5000 + "; Path=/"))
        answers = iter([(503, [("Retry-After", "0")], b"przeciazenie")])

        def retry_then_away(_site):
            # 503 first; the retry is sent off the site.
            return next(answers, (302, [("Location", f"{internal.url}/admin")], b""))

        site.routes.update({
            "/robots.txt": lambda s: (200, [("Content-Type", "text/plain")],
                                      b"User-agent: *\nAllow: /\n"),
            "/start": lambda s: html(listing(), *flood),
            "/feed.xml": lambda s: (200, [("Content-Type", "application/rss+xml")],
                                    feed.encode()),
            "/news/artykul-1-2024": retry_then_away,
            "/news/artykul-2-2024": lambda s: (302, [("Location", f"{other_port.url}/x")], b""),
            "/news/artykul-3-2024": article(3),
        })
        started = time.monotonic()
        result = run_crawl(f"{site.url}/start", out)
        elapsed = time.monotonic() - started
    return {"out": out, "site": site, "internal": internal, "other_port": other_port,
            "result": result, "elapsed": elapsed}


def failures(hostile) -> dict[str, str]:
    return {f["url"]: f["error"] for f in manifest(hostile["out"])["failures"]}


def test_a_retry_redirected_to_another_host_is_refused_and_recorded(hostile):
    site = hostile["site"]
    assert site.asked("/news/artykul-1-2024") == 2  # the 503, then the retry
    assert hostile["internal"].requests == []      # never contacted
    error = failures(hostile)[f"{site.url}/news/artykul-1-2024"]
    assert "out of scope" in error and "127.0.0.2" in error and "not the site's" in error


def test_a_redirect_to_another_port_of_the_host_is_refused(hostile):
    site = hostile["site"]
    assert site.asked("/news/artykul-2-2024") == 1
    assert hostile["other_port"].requests == []
    error = failures(hostile)[f"{site.url}/news/artykul-2-2024"]
    assert "out of scope" in error and "port" in error


def test_file_links_and_overlong_urls_are_never_fetched_but_recorded(hostile):
    failed = failures(hostile)
    assert "scheme file" in failed["file:///etc/passwd"]
    assert "scheme file" in failed["file://127.0.0.1/etc/passwd"]
    long_ones = [e for u, e in failed.items() if len(u) > 2083]
    assert len(long_ones) == 1 and "longer than 2083" in long_ones[0]
    assert all(len(r["path"]) < 2083 for r in hostile["site"].requests)
    for p in (hostile["out"] / "warc").glob("*.warc.gz"):
        assert b"root:x:0:0" not in gzip.decompress(p.read_bytes())
    # The one good article is still harvested.
    assert hostile["site"].asked("/news/artykul-3-2024") == 1


def test_a_cookie_flood_is_capped(hostile):
    later = [r for r in hostile["site"].requests if r["path"].startswith("/news/")]
    assert later
    for request in later:
        cookies = [c for c in request["cookie"].split("; ") if c]
        assert len(cookies) <= 50, len(cookies)
        assert not any(c.startswith("big=") for c in cookies)
    assert "kronika/cookies_dropped" in log(hostile["out"])


def test_a_huge_crawl_delay_is_capped(tmp_path):
    with Site() as site:
        site.routes.update({
            "/robots.txt": lambda s: (200, [("Content-Type", "text/plain")],
                                      b"User-agent: *\nCrawl-delay: 100000\n"),
            "/start": lambda s: html(listing(feed=False)),
            **{f"/news/artykul-{n}-2024": article(n) for n in (1, 2, 3)},
        })
        started = time.monotonic()
        run_crawl(f"{site.url}/start", tmp_path, "--no-media", KRONIKA_MAX_CRAWL_DELAY="0.5")
        elapsed = time.monotonic() - started
    asked = [r for r in site.requests if r["path"] != "/robots.txt"]
    # The start page, the sitemap guess and the three articles: the crawl went on.
    assert {r["path"] for r in asked} == {"/start", "/sitemap.xml", *(
        f"/news/artykul-{n}-2024" for n in (1, 2, 3))}
    pages = [r["time"] for r in asked]
    gaps = [b - a for a, b in zip(pages, pages[1:], strict=False)]
    assert min(gaps) >= 0.4, gaps  # the capped delay is still honoured
    assert elapsed < 30
    assert "Crawl-delay 100000.0 s: capped at 0.5 s" in log(tmp_path)


def test_a_pagination_trap_ends_at_the_listing_page_cap(tmp_path):
    def page(n):
        links = "".join(f"<li><a href='/news/p{n}-artykul-{i}-2024'>{t}</a></li>"
                        for i, t in enumerate(TITLES))
        return html(f"<html><body><main><ul>{links}</ul>"
                    f"<a rel='next' href='/lista?page={n + 1}'>Następna</a></main></body></html>")

    class Trap(dict):
        def get(self, path, default=None):
            if path.startswith("/lista"):
                n = int(path.rsplit("=", 1)[-1]) if "=" in path else 1
                return lambda s: page(n)
            return super().get(path, default)

    with Site() as site:
        site.routes = Trap({"/robots.txt": lambda s: (200, [], b"")})
        run_crawl(f"{site.url}/lista", tmp_path, "--no-media", KRONIKA_GENERIC_MAX_PAGES="3")
    listings = [r for r in site.requests if r["path"].startswith("/lista")]
    assert len(listings) == 3
    text = log(tmp_path)
    assert "listing page cap reached: 3 pages" in text
    assert "kronika/listing_cap_reached" in text
