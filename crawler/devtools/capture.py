"""`kronika fixtures capture`: turn a site's live pages into fixtures, politely.

The site's own spider walks its first listing page(s) (or only the URLs given) and a few
of the newest articles, with the usual politeness (robots.txt, User-Agent with contact,
delay). Every page is written to ``<fixtures>/<slug>/pages/<host>/...`` exactly as
received (after transfer decompression) and entered in ``meta.json`` with its URL,
capture time, HTTP status and headers, the tool version and ``"provenance": "captured"``,
replacing any reconstructed page of the same URL. Goldens are not written here: run
``kronika fixtures regen`` and review the diff.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import unquote, urlsplit

from archive.meta import LISTING_DATE
from crawler import __version__
from crawler.devtools.fixtures import FixtureSite
from crawler.extract.profile import choose_profile

# Headers that describe the transfer, not the page: the mirror sets its own.
_HOP_HEADERS = {"connection", "keep-alive", "transfer-encoding", "content-encoding",
                "content-length", "date", "set-cookie"}


@dataclass
class CapturedPage:
    """One fetched page, ready to be written into a fixture folder."""

    site: str
    url: str
    status: int
    headers: dict
    body: bytes
    kind: str
    layout: str | None
    listing_date: str | None = None
    article_urls: list = field(default_factory=list)
    next_url: str | None = None


def _page(spider, response, kind, layout, **extra) -> CapturedPage:
    headers = {k.decode("latin-1"): b", ".join(v).decode("latin-1")
               for k, v in response.headers.items()
               if k.decode("latin-1").lower() not in _HOP_HEADERS}
    return CapturedPage(spider.name, response.url, response.status, headers, response.body,
                        kind, layout, **extra)


class CaptureMixin:
    """Turns a site spider into its fixture capturer."""

    def parse_listing(self, response, listing, page):
        entries = self.listing_entries(response, listing)
        seen, article_urls = set(), []
        for url, _ in entries:  # as the harness expects: one URL per article
            if url not in seen:
                seen.add(url)
                article_urls.append(url)
        yield _page(self, response, "listing", listing.layout, article_urls=article_urls,
                    next_url=self.next_listing_url(response, listing))
        yield from super().parse_listing(response, listing, page)

    def parse_article(self, response):
        profile = choose_profile(self.profiles, response.url)
        yield _page(self, response, "article", profile.layout if profile else None,
                    listing_date=response.meta.get(LISTING_DATE))


def _slug_of(url: str, limit: int) -> str:
    """The readable part of a URL for a file name: path (and query), odd characters folded."""
    parts = urlsplit(url)
    path = re.sub(r"\.html?$", "", unquote(parts.path).strip("/")) or "index"
    stem = re.sub(r"[^\w-]+", "_", path + (f"_{parts.query}" if parts.query else ""))
    return stem.strip("_")[-limit:].lstrip("_-")


def _file_name(url: str, kind: str) -> str:
    """pages/<host>/<readable part>-<hash>.html: the short hash keeps two URLs from ever
    sharing a file."""
    digest = hashlib.sha1(url.encode()).hexdigest()[:8]
    suffix = ".html" if kind in ("listing", "article") else ""
    return f"pages/{urlsplit(url).hostname}/{_slug_of(url, 100)}-{digest}{suffix}"


class CaptureSink:
    """Writes captured pages into a fixture folder; shared, never copied."""

    def __init__(self, base: Path, slug: str, hosts: list[str]):
        self.base, self.slug, self.hosts = Path(base), slug, hosts
        self.pages: list[CapturedPage] = []

    def __deepcopy__(self, memo):
        return self

    def write(self) -> FixtureSite:
        root = self.base / self.slug
        root.mkdir(parents=True, exist_ok=True)
        meta_path = root / "meta.json"
        site = FixtureSite.load(self.slug, self.base) if meta_path.exists() else FixtureSite(
            self.slug, root, {"site": self.slug, "provenance": "captured", "hosts": [],
                              "pages": []})
        now = datetime.now(UTC).isoformat(timespec="seconds")
        by_url = {p["url"]: p for p in site.meta["pages"]}
        for page in self.pages:
            old = by_url.get(page.url, {})
            # Over the old entry: its curated fields (must_contain, seed, a listing date
            # when only the article was captured) stay; what was fetched is replaced.
            entry = {**old, "url": page.url,
                     "file": old.get("file") or _file_name(page.url, page.kind),
                     "content_type": page.headers.get("Content-Type", "application/octet-stream"),
                     "status": page.status, "headers": page.headers, "kind": page.kind,
                     "layout": page.layout, "provenance": "captured", "captured_at": now,
                     "tool": f"kronika/{__version__}"}
            if page.kind == "article":
                segment = unquote(urlsplit(page.url).path).rstrip("/").rsplit("/", 1)[-1]
                last = _slug_of(f"http://x/{segment}", 80) if segment else _slug_of(page.url, 80)
                entry["expected"] = old.get("expected") or f"expected/{last}.json"
                if page.listing_date:
                    entry["listing_date"] = page.listing_date
            if page.kind == "listing":
                entry.update(article_urls=page.article_urls, next_url=page.next_url)
            path = root / entry["file"]
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(page.body)
            by_url[page.url] = entry
        site.meta["pages"] = list(by_url.values())
        for host in [*self.hosts, *(urlsplit(p.url).hostname for p in self.pages)]:
            if host not in site.meta["hosts"]:
                site.meta["hosts"].append(host)
        kinds = {p.get("provenance", site.meta.get("provenance")) for p in site.meta["pages"]}
        site.meta["provenance"] = "captured" if kinds == {"captured"} else "mixed"
        site.save_meta()
        return site


class CapturePipeline:
    """Collects CapturedPages (and logs failures) for the sink."""

    def __init__(self, sink: CaptureSink, stats):
        self.sink, self.stats = sink, stats

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler.settings.get("KRONIKA_CAPTURE"), crawler.stats)

    def process_item(self, item, spider=None):
        if isinstance(item, CapturedPage):
            self.sink.pages.append(item)
        else:  # a PageFailure
            self.stats.inc_value("kronika/capture_failed")
            self.sink.failures = [*getattr(self.sink, "failures", []), item]
        return item


def run_capture(slug: str, base: Path, urls: list[str], base_url: str | None,
                articles: int, settings: dict | None = None) -> tuple[FixtureSite, list]:
    """Capture ``slug``'s first listing page(s) and newest articles, or just ``urls``."""
    from scrapy.crawler import CrawlerProcess

    from crawler.components.settings import fetch_settings, keep_offline
    from crawler.spider.sites import spider_class

    keep_offline()
    cls = spider_class(slug)
    sink = CaptureSink(base, slug, list(cls.allowed_domains))
    # The crawl's politeness (robots.txt, Crawl-delay, Retry-After, the 403 brake), the
    # pages written into the fixture folder instead of the store.
    process = CrawlerProcess(fetch_settings(
        "crawler.devtools.capture.CapturePipeline", KRONIKA_CAPTURE=sink, LOG_LEVEL="ERROR",
        **(settings or {})))
    attributes = {"__module__": cls.__module__}
    if urls:  # only the pages asked for
        attributes.update(listings=(), feeds=())
    capturer = type(f"{cls.__name__}Capture", (CaptureMixin, cls), attributes)
    process.crawl(capturer, base_url=base_url, max_pages=1, max_articles=articles,
                  retry_urls=tuple(urls))
    process.start()
    return sink.write(), getattr(sink, "failures", [])
