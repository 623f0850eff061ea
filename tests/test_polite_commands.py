"""Every command that touches the network is as polite as `kronika crawl`, seen at the
server: `kronika check --live` and `kronika fixtures capture` read robots.txt first and
keep the Crawl-delay it asks for (their own components are merged into the crawl's, no
longer replacing the politeness middleware)."""

from __future__ import annotations

import subprocess
import sys
from collections import defaultdict

import pytest

from crawler.components.settings import crawl_settings, fetch_settings
from crawler.devtools.mirror import Mirror, MirrorServer

# Seconds: Scrapy spaces the starts of downloads, the server logs their arrivals, which
# a loaded machine may delay unevenly. Without the politeness middleware the gaps here
# are a few milliseconds.
SLACK = 0.25


def kronika(*args):
    return subprocess.run([sys.executable, "-m", "crawler.run.cli", *args],
                          capture_output=True, text=True, timeout=300)


def crawl_delay(page, body):
    """robots.txt asking for a second between requests (the mirror's own has none)."""
    return body + b"\nCrawl-delay: 1\n" if page["kind"] == "robots" else body


def per_host(requests) -> dict[str, list[dict]]:
    hosts = defaultdict(list)
    for request in requests:
        hosts[request["host"].split(":")[0]].append(request)
    return hosts


def assert_polite(requests, min_requests: int) -> None:
    """robots.txt first on every host, then a second at least between its requests.
    (--delay 0 asked for none: the second is the robots.txt's Crawl-delay.)"""
    hosts = per_host(requests)
    assert sum(len(r) for r in hosts.values()) >= min_requests
    for host, seen in hosts.items():
        assert seen[0]["path"] == "/robots.txt", (host, [r["path"] for r in seen])
        times = [r["time"] for r in seen]
        gaps = [round(b - a, 3) for a, b in zip(times, times[1:], strict=False)]
        assert all(gap >= 1 - SLACK for gap in gaps), (host, gaps)
    assert all("kronika/" in (r["user_agent"] or "") for r in requests)


@pytest.mark.parametrize("slug", [
    "policja_walbrzych",
    # Several hosts and several requests queued per host: AutoThrottle lowers a
    # slot's delay on every response, and the floor must hold against it.
    "rops_krakow",
])
def test_check_live_keeps_robots_crawl_delay(slug):
    with MirrorServer(Mirror.load(slug), transform=crawl_delay) as server:
        result = kronika("check", "--live", slug, "--base-url", server.base_url,
                         "--articles", "2", "--delay", "0")
        requests = list(server.requests)
    assert result.returncode == 0, result.stdout + result.stderr
    assert_polite(requests, min_requests=4)


def test_fixtures_capture_keeps_robots_crawl_delay(tmp_path):
    with MirrorServer(Mirror.load("policja_walbrzych"), transform=crawl_delay) as server:
        result = kronika("fixtures", "capture", "policja_walbrzych", "--base-url",
                         server.base_url, "--fixtures", str(tmp_path), "--articles", "2",
                         "--delay", "0")
        requests = list(server.requests)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "captured page(s)" in result.stdout
    assert_polite(requests, min_requests=4)


def test_commands_get_every_politeness_component_of_the_crawl():
    """A command's own components are merged into the crawl's: none can drop one."""
    crawl = crawl_settings()
    for settings in (fetch_settings("crawler.monitor.canary.ProbePipeline"),
                     fetch_settings("crawler.devtools.capture.CapturePipeline",
                                    DOWNLOADER_MIDDLEWARES={"x.Mine": 700})):
        assert crawl["DOWNLOADER_MIDDLEWARES"].items() <= settings["DOWNLOADER_MIDDLEWARES"].items()
        assert settings["ROBOTSTXT_OBEY"] and settings["CONCURRENT_REQUESTS_PER_DOMAIN"] == 1
        assert settings["DOWNLOAD_DELAY"] == crawl["DOWNLOAD_DELAY"] > 0
        assert list(settings["ITEM_PIPELINES"]) != list(crawl["ITEM_PIPELINES"])
        assert settings["KRONIKA_OUT"] is None  # no bare-scrapy harvest opened for them
    merged = crawl_settings(DOWNLOADER_MIDDLEWARES={"x.Mine": 700})["DOWNLOADER_MIDDLEWARES"]
    assert merged["crawler.components.politeness.PolitenessMiddleware"] == 560
    assert merged["x.Mine"] == 700
