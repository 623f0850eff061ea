"""The contract every spider keeps, checked over all of them (adding a site adds no test).

slug == spider name == module name; a docstring naming institution, website and platform;
a fixture mirror; listings and profiles that cover the mirror's pages; every start request
made by SiteSpider.start; no work at import.
"""

from __future__ import annotations

import asyncio
import importlib
import re
import sys
from urllib.parse import urlsplit

import pytest

from crawler.devtools.mirror import FIXTURES, Mirror
from crawler.spider.base import SiteSpider
from crawler.spider.generic import GenericSpider
from crawler.spider.platforms.wordpress import WordPressMixin
from crawler.spider.sites import spider_classes

SPIDERS = sorted(spider_classes().items())


def test_there_are_spiders():
    assert "rops_krakow" in dict(SPIDERS)


@pytest.mark.parametrize(("slug", "cls"), SPIDERS, ids=[s for s, _ in SPIDERS])
def test_identity(slug, cls):
    assert issubclass(cls, SiteSpider)
    assert cls.name == slug
    assert cls.__module__ == f"spiders.{slug}"
    assert re.fullmatch(r"[a-z][a-z0-9_]*", slug)
    doc = cls.__doc__ or ""
    for heading in ("Institution:", "Website:", "Platform:"):
        assert heading in doc, f"{slug}: docstring lacks {heading}"
    assert cls.institution and cls.website and cls.platform
    assert urlsplit(cls.website).scheme in ("http", "https")
    host = urlsplit(cls.website).hostname
    assert any(host == d or host.endswith("." + d) for d in cls.allowed_domains), host
    assert (sys.modules[cls.__module__].__doc__ or "").strip(), f"{slug}: no module docstring"


@pytest.mark.parametrize(("slug", "cls"), SPIDERS, ids=[s for s, _ in SPIDERS])
def test_listings_and_profiles_cover_the_fixture_mirror(slug, cls):
    assert (FIXTURES / slug / "meta.json").exists(), f"{slug}: no fixture mirror"
    check_coverage(slug, cls, Mirror.load(slug))


def check_coverage(slug, cls, mirror):
    """The listings start on mirrored listing pages; every profile has an article page
    and every article page a profile; no listing page reads as an article."""
    listing_urls = {p["url"] for p in mirror.meta["pages"] if p["kind"] == "listing"}
    assert cls.listings or cls.feeds, f"{slug}: nothing to start from"
    for listing in cls.listings:
        assert listing.start_url in listing_urls, f"{slug}: {listing.start_url} not mirrored"
    articles = mirror.articles()
    assert articles, f"{slug}: no article fixtures"
    for page in articles:
        assert any(p.matches(page["url"]) for p in cls.profiles), \
            f"{slug}: no profile for {page['url']}"
    for profile in cls.profiles:
        assert any(profile.matches(p["url"]) for p in articles), \
            f"{slug}: profile {profile.layout!r} has no article fixture"
    for page in mirror.meta["pages"]:
        if page["kind"] == "listing":
            assert not any(p.url_pattern and p.matches(page["url"]) for p in cls.profiles), \
                f"{slug}: listing {page['url']} would be read as an article"


@pytest.mark.parametrize(("slug", "cls"), SPIDERS, ids=[s for s, _ in SPIDERS])
def test_start_requests_every_listing_and_feed(slug, cls):
    spider = cls()
    requests = asyncio.run(_collect(spider))
    if issubclass(cls, WordPressMixin) and cls.wp_rest:
        # WordPress: the REST listing first; feeds and listings are its fallback.
        assert [r.url for r in requests] == [spider.wp_rest_url(1)]
        assert requests[0].errback == spider.wp_rest_unavailable
        return
    live = [lst.start_url for lst in cls.listings if not lst.archive]
    assert [r.url for r in requests] == [*cls.feeds, *live]
    assert all(r.errback == spider.on_error for r in requests)
    # Archive-only listings are walked from a mirror or replay, or with --full.
    for spider in (cls(base_url="http://127.0.0.1:1"), cls(full=True)):
        walked = [r.url for r in asyncio.run(_collect(spider))]
        assert walked == [*cls.feeds, *(lst.start_url for lst in cls.listings)]


@pytest.mark.parametrize(("slug", "cls"), [*SPIDERS, ("generic", GenericSpider)],
                         ids=[*(s for s, _ in SPIDERS), "generic"])
def test_every_run_starts_in_site_spider_start(slug, cls):
    # One start path: spiders and mixins supply data or the discovery_requests hook.
    above = cls.__mro__[:cls.__mro__.index(SiteSpider)]  # the spider and its mixins
    assert not [c for c in above if "start" in vars(c)], slug
    kwargs = {"start_url": "https://example.pl/aktualnosci"} if cls is GenericSpider else {}
    retry = f"{cls.website or 'https://example.pl'}/failed-last-run"
    spider = cls(retry_urls=(retry,), **kwargs)
    urls = [r.url for r in asyncio.run(_collect(spider))]
    # Retries first, then discovery, whatever the platform.
    assert urls == [retry, *(r.url for r in spider.discovery_requests())]


async def _collect(spider):
    return [r async for r in spider.start()]


@pytest.mark.parametrize(("slug", "cls"), SPIDERS, ids=[s for s, _ in SPIDERS])
def test_module_import_does_no_io(slug, cls, monkeypatch):
    def forbidden(*args, **kwargs):
        raise AssertionError(f"{slug} did I/O at import")

    monkeypatch.setattr("builtins.open", forbidden)
    monkeypatch.setattr("socket.socket.connect", forbidden)
    importlib.reload(sys.modules[cls.__module__])
