"""The site registry: spider classes found by Scrapy's loader, looked up by slug or host."""

from __future__ import annotations

from functools import cache

from crawler.extract import SiteRules
from crawler.extract.urls import host_of

SPIDER_MODULES = ["spiders"]


class UnknownSite(LookupError):
    """A slug that names no spider."""


@cache
def spider_classes() -> dict:
    """Slug -> spider class, for every site with a profile."""
    from scrapy.settings import Settings
    from scrapy.spiderloader import SpiderLoader

    loader = SpiderLoader.from_settings(Settings({"SPIDER_MODULES": SPIDER_MODULES}))
    return {name: loader.load(name) for name in sorted(loader.list())}


def spider_class(slug: str):
    """The spider class of ``slug``; raises UnknownSite with the known slugs listed."""
    try:
        return spider_classes()[slug]
    except KeyError:
        known = ", ".join(spider_classes()) or "none"
        raise UnknownSite(f"unknown site {slug!r} (known: {known})") from None


def rules_for(slug: str) -> SiteRules:
    """The extraction rules declared by ``slug``'s spider."""
    return spider_class(slug).rules()


def site_for_url(url: str) -> str | None:
    """The slug whose spider covers the URL's host (www. and aliases included), or None."""
    host = host_of(url)
    bare = host[4:] if host.startswith("www.") else host
    for slug, cls in spider_classes().items():
        hosts = set(cls.allowed_domains) | set(cls.host_aliases)
        if host in hosts or bare in hosts or any(host.endswith("." + h) for h in hosts):
            return slug
    return None
