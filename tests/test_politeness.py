"""Politeness beyond Scrapy's defaults, measured at the mirror: Crawl-delay honoured,
Retry-After waited for, a host that refuses us (403) not hammered."""

from __future__ import annotations

import json
import threading
import urllib.request
from urllib.parse import urlsplit

from crawler import __version__
from crawler.components.politeness import retry_after_seconds
from tests.harness import Mirror, MirrorServer, crawl, slowly, stored, wait_until


def gaps(requests):
    times = [r["time"] for r in requests]
    return [b - a for a, b in zip(times, times[1:], strict=False)]


def test_robots_crawl_delay_spaces_the_requests(tmp_path):
    def crawl_delay(page, body):
        return body + b"Crawl-delay: 1\n" if page["kind"] == "robots" else body

    with MirrorServer(Mirror.load("policja_walbrzych"), transform=crawl_delay) as server:
        result = crawl(server.base_url, tmp_path, "--no-media", "--max-pages", "1",
                       slug="policja_walbrzych")
        pages = [r for r in server.requests if r["path"] != "/robots.txt"]
    assert result.returncode == 0, result.stdout + result.stderr
    assert len(pages) >= 3
    assert min(gaps(pages)) >= 0.9, gaps(pages)  # --delay 0 asked for none


def test_retry_after_is_waited_for(tmp_path):
    mirror = Mirror.load("rops_krakow")
    article = urlsplit(next(p for p in mirror.articles() if "dzien-wolny" in p["url"])["url"]).path
    with MirrorServer(mirror) as server:
        server.faults_once[article] = (429, {"Retry-After": "2"})
        result = crawl(server.base_url, tmp_path, "--no-media")
        tries = [r for r in server.requests if r["path"] == article]
    assert result.returncode == 0, result.stdout + result.stderr
    assert len(tries) == 2
    assert tries[1]["time"] - tries[0]["time"] >= 1.9
    assert any("dzien-wolny" in a["url"] for a in stored(tmp_path))


def test_a_refusing_host_is_reported_not_hammered(tmp_path):
    mirror = Mirror.load("rops_krakow")
    with MirrorServer(mirror) as server:
        for page in mirror.articles():
            server.faults[urlsplit(page["url"]).path] = 403
        # A real delay, as operators run: with none, Scrapy starts the next download the
        # moment a transfer ends, before any middleware has seen the 403.
        result = crawl(server.base_url, tmp_path, "--no-media", "--delay", "0.2")
        refused = [r for r in server.requests
                   if r["host"] == "rops.krakow.pl" and r["path"].startswith("/aktualnosci/")]
    assert result.returncode == 3, result.stdout + result.stderr
    assert len(refused) == 3  # four articles there; the fourth was never asked for
    manifest = json.loads((tmp_path / "runs" / "run-00001.json").read_text())
    errors = [f["error"] for f in manifest["failures"]]
    assert len(errors) == 9  # every article recorded, to be retried next run
    assert any(e.startswith("HostRefused: rops.krakow.pl answered 403 3 times") for e in errors)


def test_one_forbidden_page_on_a_good_host_does_not_stop_the_crawl(tmp_path):
    mirror = Mirror.load("rops_krakow")
    forbidden = [urlsplit(p["url"]).path for p in mirror.articles()
                 if p["url"].startswith("https://rops.krakow.pl/")][:3]
    with MirrorServer(mirror) as server:
        for path in forbidden[:1]:
            server.faults[path] = 403
        result = crawl(server.base_url, tmp_path, "--no-media")
    assert result.returncode == 1  # one failed page, reported
    assert len(stored(tmp_path)) == 8


def test_retry_after_header_forms():
    assert retry_after_seconds("120") == 120.0
    assert retry_after_seconds("Wed, 21 Oct 2015 07:28:00 GMT", now=1445412470.0) == 10.0
    assert retry_after_seconds("soon") is None and retry_after_seconds(None) is None


def test_one_request_at_a_time_and_a_user_agent_with_a_contact(tmp_path, monkeypatch):
    monkeypatch.setenv("KRONIKA_CONTACT", "archiwum@example.org")
    with MirrorServer(Mirror.load("rops_krakow")) as server:
        # First, that the count can see an overlap: each answer is held until the
        # server has counted two requests in flight at once.
        server.transform = lambda page, body: wait_until(
            lambda: server.max_in_flight >= 2, 10, "two requests in flight") and body
        both = [threading.Thread(target=lambda: urllib.request.urlopen(
            f"{server.base_url}/robots.txt", timeout=20).read()) for _ in range(2)]
        for thread in both:
            thread.start()
        for thread in both:
            thread.join()
        assert server.max_in_flight == 2
        server.max_in_flight = 0
        server.requests.clear()
        # Slow on purpose: each answer takes 0.05 s, long enough for overlapping
        # requests of the crawl to show in that count.
        server.transform = slowly(0.05)
        result = crawl(server.base_url, tmp_path)
        agents = {r["user_agent"] for r in server.requests}
    assert result.returncode == 0
    assert len(server.requests) > 20 and server.max_in_flight == 1
    assert agents == {f"Mozilla/5.0 (compatible; kronika/{__version__}; archival crawler; "
                      "+archiwum@example.org)"}
