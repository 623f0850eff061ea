"""What the generic spider would do on a site, found with a handful of requests.

``DiscoverySpider`` is the generic spider (crawler.spider.generic) stopped after its
first look: it reads the start page with the generic spider's own functions (the hosts
the page declares, the feeds it advertises, the sitemap guess, the article-link group and
its URL shape, each link's listing date, the next-page link), asks each feed and the
sitemap how many articles they hold, and extracts the first ``SAMPLE_ARTICLES`` articles
to see where their dates and titles come from. Nothing is stored: the findings are left
in ``findings`` for ``kronika discover`` (crawler.run.discover) to print.
"""

from __future__ import annotations

from typing import Any

import scrapy
import scrapy.exceptions
from scrapy.spidermiddlewares.httperror import HttpError

from archive.meta import LISTING_DATE
from crawler.extract.text import normalize_space
from crawler.spider.base import _day
from crawler.spider.generic import (
    GenericSpider,
    article_links,
    feed_urls,
    listing_dates,
    listing_titles,
    next_page,
    sitemap_entries,
    sitemap_url,
)

SAMPLE_TITLES = 5    # listing links shown with their titles and dates
SAMPLE_ARTICLES = 2  # article pages fetched to see where dates and titles come from


def shape_text(shape: tuple | None) -> str | None:
    """A URL shape (crawler.spider.generic.url_shape) as a path: ``/art<slug>``,
    ``/aktualnosci/<n>/<slug>?id=…``."""
    if shape is None:
        return None
    segments, keys = shape
    path = "/" + "/".join(segments)
    return path + ("?" + "&".join(f"{k}=…" for k in keys) if keys else "")


def failure_text(failure) -> str:
    """A failed request in a few words."""
    if failure.check(HttpError):
        return f"HTTP {failure.value.response.status}"
    if failure.check(scrapy.exceptions.IgnoreRequest) and "robots.txt" in str(failure.value):
        return "refused by robots.txt"
    return f"{failure.type.__name__}: {failure.value}"


class DiscoverySpider(GenericSpider):
    """The generic spider's first look at a site, with no crawl after it."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, media=False, **kwargs)
        self.findings: dict[str, Any] = {
            "start_url": self.start_url, "site": self.name, "start_error": None,
            "feeds": [], "sitemap": None, "listing": None, "articles": []}

    def discovery_requests(self):
        yield scrapy.Request(self.start_url, callback=self.parse_start,
                             errback=self.start_failed)

    def start_failed(self, failure):
        self.findings["start_error"] = failure_text(failure)

    def parse_start(self, response):
        """The start page read as the generic spider reads it; then the feeds, the
        sitemap and the sample articles."""
        response = self.declare_hosts(response)
        found = self.findings
        found["read_as"] = response.url
        found["hosts"] = sorted(self.site_hosts)
        found["mirror"] = self.base_url
        for feed in feed_urls(response, self.is_site):
            found["feeds"].append({"url": feed, "items": None, "error": None})
            yield scrapy.Request(feed, callback=self.parse_feed_probe,
                                 errback=self.probe_failed, cb_kwargs={"url": feed})
        found["sitemap"] = {"url": sitemap_url(response), "articles": None, "error": None}
        yield scrapy.Request(sitemap_url(response), callback=self.parse_sitemap_probe,
                             errback=self.probe_failed, cb_kwargs={"url": sitemap_url(response)})
        offsite: set[str] = set()
        links, shape = article_links(response, self.is_site, None, offsite, self.article_key)
        dates = listing_dates(response, links, self.article_key)
        titles = listing_titles(response, links, self.article_key)
        samples = []
        for url, _ in links[:SAMPLE_TITLES]:
            day = _day(dates.get(url))
            samples.append({"url": url, "title": titles[url],
                            "date_raw": dates.get(url),
                            "date": day.isoformat() if day else None})
        found["listing"] = {"shape": shape_text(shape), "links": len(links),
                            "dated": sum(1 for url, _ in links if _day(dates.get(url))),
                            "samples": samples, "next_page": next_page(response, self.is_site)}
        found["offsite_dropped"] = len(offsite)
        for url, _ in links[:SAMPLE_ARTICLES]:
            yield scrapy.Request(url, callback=self.parse_sample, errback=self.probe_failed,
                                 cb_kwargs={"url": url, "listing_title": titles[url]},
                                 meta={LISTING_DATE: dates.get(url)})

    def _entry(self, url: str) -> dict:
        feeds = {f["url"]: f for f in self.findings["feeds"]}
        if url in feeds:
            return feeds[url]
        if self.findings["sitemap"] and url == self.findings["sitemap"]["url"]:
            return self.findings["sitemap"]
        entry = {"url": url, "error": None}
        self.findings["articles"].append(entry)
        return entry

    def probe_failed(self, failure):
        url = failure.request.cb_kwargs.get("url", failure.request.url)
        self._entry(url)["error"] = failure_text(failure)

    def parse_feed_probe(self, response, url: str):
        """How many items the feed lists, and how many of them no feed read before
        listed (as the generic spider reads it: its own ``parse_feed``)."""
        new = list(self.parse_feed(response))
        entry = self._entry(url)
        entry["items"] = len(response.xpath("//item | //entry"))
        entry["new"] = len(new)

    def parse_sitemap_probe(self, response, url: str):
        """How many of the sitemap's URLs the generic spider would take for articles
        (a sitemap index: how many sitemaps it names; they are not fetched)."""
        sitemaps, urls = sitemap_entries(response)
        entry = self._entry(url)
        entry["sitemaps"] = len(sitemaps)
        entry["articles"] = sum(1 for u in urls if self.in_sitemap_scope(u))

    def parse_sample(self, response, url: str, listing_title: str):
        """Where an article's date and title come from, as the extraction reads it."""
        entry = self._entry(url)
        try:
            record = self.build_record(response)
        except Exception as exc:  # noqa: BLE001 - reported, as the crawl would record it
            entry["error"] = f"extraction error: {exc}"[:300]
            return
        warnings = record["extraction"]["warnings"] or ()
        headings = {normalize_space(h.xpath("string()").get() or ""): h.root.tag
                    for h in response.xpath("//h1 | //h2")}
        if "no title found" in warnings:
            title_source = "text (no headline found)"
        elif record["title"] in headings:
            title_source = f"page <{headings[record['title']]}>"
        else:
            title_source = "page <title> or og:title"
        entry.update(title=record["title"], title_source=title_source,
                     same_as_listing=record["title"] == listing_title,
                     date=record["published"], date_raw=record["published_raw"],
                     date_source=record["published_source"],
                     method=record["extraction"]["method"], images=len(record["images"]))
