"""SiteSpider: the shared crawl logic every site spider inherits.

A site spider only declares data (identity, ``listings``, ``profiles``, host aliases);
this class walks the listings newest first, follows pagination, carries each listing's
date to the article, hands article pages to the extraction cascade and turns every
failed request into a recorded ``PageFailure`` instead of a log line.

Every run's first requests come from ``start()`` here and nowhere else: retries, re-checks,
then the ``discovery_requests()`` hook, which a platform mixin (or the generic spider)
overrides when its CMS has an index of its own to ask first.
"""

from __future__ import annotations

import email.utils
import re
from datetime import UTC, date, datetime, timedelta

import scrapy
import scrapy.exceptions
from scrapy.spidermiddlewares.httperror import HttpError

from archive.meta import (
    KNOWN,
    LISTING_DATE,
    LISTING_URL,
    MEDIA,
    WARC_CAPTURE,
    WARC_DATE,
    origin_url,
    real_url,
)
from crawler.extract import ExtractionError, SiteRules, extract
from crawler.extract.dates import parse_machine_date
from crawler.extract.encoding import sniff
from crawler.extract.profile import Listing, Profile
from crawler.extract.site import SiteMemory
from crawler.extract.text import normalize_space
from crawler.extract.urls import article_id, canonicalize
from crawler.items import OffSiteLink, OutOfScope, PageFailure, Unchanged
from crawler.monitor.drift import compare_this, measure

# Where an article request came from ("feed", "sitemap", "listing", "retry", "recheck"),
# counted per article in the stats as ``kronika/found_by/<source>`` for the run summary.
FOUND_BY = "kronika_found_by"


class SiteSpider(scrapy.Spider):
    """Base class of the per-site spiders (see any module in ``spiders/``)."""

    # Identity, read by `kronika sites` and the contract tests.
    institution: str = ""
    website: str = ""
    platform: str = ""
    voivodeship: str = ""
    # Navigation and extraction, declared by each site.
    allowed_domains: list[str] = []
    host_aliases: dict[str, str] = {}
    drop_params: tuple[str, ...] = ()
    url_rewrites: tuple[tuple[str, str], ...] = ()  # canonical URL folding, see urls.py
    feeds: tuple[str, ...] = ()                      # RSS/Atom feeds listing articles
    listings: tuple[Listing, ...] = ()
    profiles: tuple[Profile, ...] = ()

    def __init__(self, *args, base_url: str | None = None, since: date | None = None,
                 until: date | None = None, max_pages: int | None = None,
                 max_articles: int | None = None, retry_urls: tuple[str, ...] = (),
                 media: bool = True, known: dict | None = None, recheck_days: int = 7,
                 overlap: int = 1, full: bool = False, requisites: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        self.base_url = base_url
        self.since, self.until = since, until
        self.max_pages = max_pages
        self.max_articles = max_articles  # per listing or feed: the newest N only
        self.media = media  # fetch (and so archive) gallery images and attachments
        self.requisites = requisites  # fetch (and so archive) what each page loads to render
        # The site's template, as its pages repeat it: site-wide <title>s and images.
        self.site_memory = SiteMemory()
        # Incremental runs: id -> what the store knows (None: walk and fetch everything).
        self.known = known
        self.recheck_since = date.today() - timedelta(days=recheck_days)
        self.overlap = overlap  # all-known listing pages read before paging stops
        self.full = full
        self._known_pages: dict[str, int] = {}
        self._taken: dict[str, int] = {}
        self.retry_urls = tuple(retry_urls)
        self._queued: set[str] = set()
        self._articles_done = 0
        # Scrapy's offsite filter reads only allowed_domains; an alias host that is not a
        # subdomain (malopolska.mw.gov.pl for malopolska.pl) must be listed there too.
        self.allowed_domains = list(dict.fromkeys([*self.allowed_domains, *self.host_aliases]))

    @classmethod
    def rules(cls) -> SiteRules:
        """The extraction rules of this site."""
        return SiteRules(cls.name, tuple(cls.profiles), dict(cls.host_aliases),
                         tuple(cls.drop_params), tuple(cls.url_rewrites))

    def covers_host(self, host: str) -> bool:
        """True when ``host`` is one of this site's hosts (aliases included)."""
        host = host.lower()
        return any(host == h or host.endswith("." + h)
                   for h in (*self.allowed_domains, *self.host_aliases))

    # -- the start: every spider's first requests are made here, and only here ----
    async def start(self):
        """Retries of the URLs that failed last run, re-checks of recent known articles,
        then ``discovery_requests()``: where this site's articles are found."""
        for url in self.retry_urls:
            yield self._article_request(url, None, None, found_by="retry")
        for request in self.recheck_requests():
            yield request
        for request in self.discovery_requests():
            yield request

    def discovery_requests(self):
        """Hook: the requests that find the articles. By default the feeds, then the
        listings this run walks; a platform overrides it to ask its own index first
        (WordPress: the REST API) and falls back to ``source_requests()``."""
        return self.source_requests()

    def source_requests(self):
        """Requests for every feed, then for the first page of every listing this run
        walks (``active_listings()``)."""
        for feed in self.feeds:
            yield scrapy.Request(feed, callback=self.parse_feed, errback=self.on_error)
        for listing in self.active_listings():
            yield self.listing_request(listing, listing.start_url, page=1)

    def listing_request(self, listing: Listing, url: str, page: int) -> scrapy.Request:
        """A request for page ``page`` of ``listing``."""
        # Later pages go below the articles (and their media) the page before listed:
        # the queue drains page by page instead of holding every article of the site.
        return scrapy.Request(url, callback=self.parse_listing, errback=self.on_error,
                              priority=-2 if page > 1 else 0,
                              cb_kwargs={"listing": listing, "page": page})

    def active_listings(self) -> tuple[Listing, ...]:
        """The listings this run walks: archive-only ones just with --full or a mirror."""
        return tuple(lst for lst in self.listings
                     if not lst.archive or self.full or self.base_url)

    def parse_feed(self, response):
        """Article requests for the items of an RSS 2.0 or Atom feed, with their dates."""
        response.selector.remove_namespaces()
        for item in response.xpath("//item | //entry"):
            link = (item.xpath("link/text()").get() or item.xpath("link/@href").get() or "").strip()
            if not link:
                continue
            raw = (item.xpath("pubDate/text() | published/text() | updated/text()").get()
                   or "").strip()
            day = _feed_date(raw)
            if day and self.until and date.fromisoformat(day[:10]) > self.until:
                continue
            if day and self.since and date.fromisoformat(day[:10]) < self.since:
                continue
            if not self._take(response.url):
                return
            request = self._article_request(response.urljoin(link), day, response.url,
                                            found_by="feed")
            if request is not None:
                yield request

    def recheck_requests(self):
        """Conditional requests for the known articles published inside the re-check
        window, wherever they now sit in the listings (which may not be read that far)."""
        for known in (self.known or {}).values():
            day = _day(known["published"])
            if day and day >= self.recheck_since:
                request = self._article_request(known["url"], None, None, found_by="recheck")
                if isinstance(request, scrapy.Request):
                    yield request

    def is_known(self, url: str) -> bool:
        """True in an incremental run for an article the store already holds."""
        return self.known is not None and article_id(canonicalize(
            url, self.host_aliases, self.drop_params, self.url_rewrites)) in self.known

    def _take(self, source: str) -> bool:
        """Count one more article from ``source``; False once max_articles are taken."""
        taken = self._taken.get(source, 0)
        if self.max_articles is not None and taken >= self.max_articles:
            return False
        self._taken[source] = taken + 1
        return True

    def listing_entries(self, response, listing: Listing) -> list[tuple[str, str | None]]:
        """(article URL, date as displayed) for each item of a listing page, in order."""
        entries = []
        for item in response.css(listing.item_css):
            href = item.css(listing.link_css).get()
            if not href:
                continue
            raw = None
            if listing.date_css:
                # The first match only: themes print "published" and "updated" dates.
                raw = normalize_space(" ".join(
                    item.css(listing.date_css)[:1].xpath("string()").getall())) or None
            entries.append((response.urljoin(href.strip()), raw))
        return entries

    def next_listing_url(self, response, listing: Listing) -> str | None:
        """The next listing page's URL, or None on the last page."""
        href = response.css(listing.next_css).get() if listing.next_css else None
        return response.urljoin(href.strip()) if href else None

    def parse_listing(self, response, listing: Listing, page: int):
        """Article requests for each listing item, then the next listing page."""
        response = with_sniffed_encoding(response)
        self.observe(response)
        entries = self.listing_entries(response, listing)
        older_than_window = known = 0
        for url, raw in entries:
            day = _day(raw)
            if day and self.until and day > self.until:
                continue
            if day and self.since and day < self.since:
                older_than_window += 1
                continue
            if not self._take(listing.start_url):
                return
            known += self.is_known(url)
            request = self._article_request(url, raw, response.url)
            if request is not None:
                yield request
        next_url = self.next_listing_url(response, listing)
        # Listings run newest first: once a whole page is older than --since, stop; in an
        # incremental run, once `overlap` pages held nothing new, stop too.
        window_passed = entries and older_than_window == len(entries)
        if self.known is not None and entries and known == len(entries):
            seen = self._known_pages[listing.start_url] = (
                self._known_pages.get(listing.start_url, 0) + 1)
            window_passed = window_passed or seen >= self.overlap
        if next_url and not window_passed and (not self.max_pages or page < self.max_pages):
            yield self.listing_request(listing, next_url, page + 1)

    def _article_request(self, url: str, listing_date: str | None, listing_url: str | None,
                         found_by: str | None = None):
        """A Request for a new article; for a known one in an incremental run, a
        conditional Request if it is recent enough to re-check, else Unchanged; None for
        an article already queued this run. ``found_by`` names the source (default:
        "listing" when there is a listing page, else "other"), counted once an article."""
        key = article_id(canonicalize(url, self.host_aliases, self.drop_params,
                                      self.url_rewrites))
        if key in self._queued:  # the same article under an alias host or twice listed
            return None
        self._queued.add(key)
        found_by = found_by or ("listing" if listing_url else "other")
        self._inc(f"kronika/found_by/{found_by}")
        meta = {LISTING_DATE: listing_date, LISTING_URL: listing_url, FOUND_BY: found_by}
        known = self.known.get(key) if self.known is not None else None
        if known is not None:
            day = _day(listing_date) or _day(known["published"])
            if day is None or day < self.recheck_since:
                return Unchanged(self.name, url)
            headers = {k: v for k, v in (("If-None-Match", known["etag"]),
                                         ("If-Modified-Since", known["last_modified"])) if v}
            return scrapy.Request(url, callback=self.parse_article, errback=self.on_error,
                                  headers=headers, meta={**meta, KNOWN: True,
                                                         "handle_httpstatus_list": [304]})
        return scrapy.Request(url, callback=self.parse_article, errback=self.on_error,
                              meta=meta)

    def site_rules(self) -> SiteRules:
        """The extraction rules this spider's articles are read with (the class's
        ``rules()``; the generic spider names its own site)."""
        return self.rules()

    def build_record(self, response) -> dict:
        """The Article of an article page (extraction errors propagate)."""
        return extract(
            response.body, response.url, self.site_rules(),
            content_type=response.headers.get("Content-Type", b"").decode("latin-1") or None,
            listing_date=response.meta.get(LISTING_DATE),
            # The capture's own WARC-Date, so that re-extraction from the WARC agrees.
            fetched_at=response.meta.get(WARC_DATE)
            or datetime.now(UTC).isoformat(timespec="seconds"),
            capture=response.meta.get(WARC_CAPTURE), site=self.site_memory)

    def observe(self, response) -> None:
        """Show a listing page to the site's memory (article pages are shown by their
        extraction)."""
        if isinstance(response, scrapy.http.HtmlResponse):
            try:
                self.site_memory.observe(response.url, response.selector.root, listing=True)
            except ValueError:  # a page parsel cannot read gives no evidence
                pass

    def parse_article(self, response):
        """One Article record from an article page (a PageFailure if extraction breaks)."""
        if response.status == 304:  # a conditional re-check: the page has not changed
            yield Unchanged(self.name, response.url)
            return
        try:
            record = self.build_record(response)
        except ExtractionError as exc:  # not an article page: recorded, no traceback
            self.logger.warning("extraction failed: %s: %s", response.url, exc)
            yield PageFailure(self.name, response.url, f"extraction error: {exc}"[:500])
            return
        except Exception as exc:  # noqa: BLE001 - a page must never vanish into the log
            self.logger.exception("extraction failed: %s", response.url)
            yield PageFailure(self.name, response.url, f"extraction error: {exc!r}"[:500])
            return
        published = _day(record["published"])
        if published and ((self.since and published < self.since)
                          or (self.until and published > self.until)):
            self.crawler.stats.inc_value("kronika/out_of_window")
            return
        yield record
        self.count_fields(record)
        if self.media:
            yield from self.media_requests(record)
        try:
            compare = compare_this(self._articles_done)
            self._articles_done += 1
            yield measure(record, response.body,
                          response.headers.get("Content-Type", b"").decode("latin-1") or None,
                          compare=compare)
        except Exception:  # noqa: BLE001 - the drift probe must never cost the article
            self.logger.exception("drift measurement failed: %s", response.url)

    def count_fields(self, record: dict) -> None:
        """Count, for the run summary, the articles extracted and those with a date, a
        title from the page (not made up from the text) and images."""
        self._inc("kronika/extracted")
        warnings = record["extraction"]["warnings"] or ()
        for name, present in (("with_date", record["published"]),
                              ("title_from_page", "no title found" not in warnings),
                              ("with_images", record["images"])):
            self._inc(f"kronika/{name}", 1 if present else 0)

    def _inc(self, key: str, count: int = 1) -> None:
        # A spider read outside a crawl (a test, `kronika discover`'s helpers) has no
        # stats to count into.
        crawler = getattr(self, "crawler", None)
        if crawler is not None and crawler.stats is not None:
            crawler.stats.inc_value(key, count)

    def media_requests(self, record: dict):
        """Requests for the article's full-size images and attachments: the recorder
        archives their original bytes; nothing else is done with them."""
        urls = [i["url"] for i in record["images"]] + [a["url"] for a in record["attachments"]]
        for url in dict.fromkeys(urls):
            # After the articles, before the next listing page; the dupefilter drops a
            # file shared by articles.
            yield scrapy.Request(url, callback=self.parse_media, errback=self.on_error,
                                 priority=-1, meta={MEDIA: True})

    def parse_media(self, response):
        """Nothing to extract: the WARC record is the point."""
        self.crawler.stats.inc_value("kronika/media")
        return ()

    def parse_requisite(self, response):
        """Nothing to extract: the WARC record is the point (a stylesheet's own
        references are asked for by crawler.components.requisites)."""
        self._inc("kronika/requisites")
        return ()

    def on_requisite_error(self, failure):
        """A requisite that could not be fetched: counted and logged, not a failed page
        (the page was read; replay lacks a style or a picture until the next run)."""
        robots = (failure.check(scrapy.exceptions.IgnoreRequest) and not failure.check(HttpError)
                  and "robots.txt" in str(failure.value))
        self._inc("kronika/requisites_robots" if robots else "kronika/requisites_failed")
        self.logger.info("requisite not fetched (%s): %s", failure.value,
                         real_url(failure.request))
        return ()

    def on_error(self, failure):
        """Every failed request becomes a PageFailure item (robots.txt refusals and the
        site's own links to other sites excepted)."""
        request = failure.request
        url = real_url(request)
        status = failure.value.response.status if failure.check(HttpError) else None
        if failure.check(OffSiteLink):  # the site links elsewhere: not ours to fetch
            self.logger.debug("not followed (%s)", failure.value)
            return
        if failure.check(OutOfScope):
            # Refused by the scope check (crawler.components.scope): recorded against
            # the page the spider asked for, with the reason and the refused URL.
            url = origin_url(request)
        # robots.txt refusals are the site's wish, not a failure; every other refusal
        # (a redirect loop past the redirect limit, an off-site redirect) is recorded.
        elif (failure.check(scrapy.exceptions.IgnoreRequest) and not failure.check(HttpError)
                and "robots.txt" in str(failure.value)):
            self.crawler.stats.inc_value("kronika/ignored")
            self.logger.info("not fetched (%s): %s", failure.value, url)
            return
        error = f"HTTP {status}" if status else f"{failure.type.__name__}: {failure.value}"
        kind = ("media" if request.meta.get(MEDIA) else
                "listing" if request.callback == self.parse_listing else "article")
        yield PageFailure(site=self.name, url=url, error=error, status=status, kind=kind)


def with_sniffed_encoding(response):
    """The response decoded as crawler.extract.encoding reads it (a mislabelled Polish
    page would otherwise give the listing's dates and titles as mojibake)."""
    if not isinstance(response, scrapy.http.TextResponse):
        return response
    encoding = sniff(response.body, response.headers.get("Content-Type", b"").decode("latin-1"))
    return response if encoding == response.encoding else response.replace(encoding=encoding)


def _feed_date(raw: str) -> str | None:
    """An RSS pubDate (RFC 822) or Atom date as ISO 8601, None when unreadable."""
    if not raw:
        return None
    try:
        return email.utils.parsedate_to_datetime(raw).isoformat()
    except (TypeError, ValueError):
        return raw if re.match(r"\d{4}-\d{2}-\d{2}", raw) else None


def _day(raw: str | None) -> date | None:
    parsed = parse_machine_date(raw) if raw else None
    return date.fromisoformat(parsed.value[:10]) if parsed else None
