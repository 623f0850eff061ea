"""The generic spider: harvest a site that has no profile, from one start URL.

Discovery, in order: the RSS/Atom feeds the start page advertises, the site's
``/sitemap.xml`` (only URLs under the start page's path), then the start page itself as
a listing: its links are grouped by URL shape and the largest group of title-like links
is taken for the articles; the next page is found by ``rel=next``, a "Następna"/"»"-style
link, or the page number in the URL. Articles go through the generic extraction cascade.
It stays on the start URL's host and keeps the usual politeness.
"""

from __future__ import annotations

import re
from collections import defaultdict
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import scrapy

from crawler.extract import SiteRules
from crawler.extract.chrome import CHROME_CLASS_TOKENS, CHROME_TAGS
from crawler.extract.text import normalize_space
from crawler.items import OutOfScope
from crawler.spider.base import SiteSpider

_FILE = re.compile(r"\.(?:pdf|docx?|xlsx?|odt|ods|zip|rar|7z|jpe?g|png|gif|webp|mp[34]|avi)$",
                   re.I)
_NEXT_TEXTS = {"następna", "następna strona", "następne", "dalej", "»", "›", ">", "next",
               "starsze wpisy", "starsze", "kolejna", "kolejna strona", "następna »", "»»"}
_PAGE_PARAMS = ("page", "strona", "paged", "start", "s", "p", "pg", "limitstart")
_PAGE_PATH = re.compile(r"/(?:page|strona)/(\d+)/?$")
_NOT_IN_LISTING = ", ".join(t for t in CHROME_TAGS if t in ("nav", "header", "footer", "form"))
# Containers of menus and footers that lack semantic tags: a class or id token says so.
_LINK_CHROME_TOKENS = CHROME_CLASS_TOKENS | {"footer", "stopka", "header", "topmenu", "mainmenu"}
_TOKEN_SPLIT = re.compile(r"[\s_\-]+")


def same_host(a: str | None, b: str) -> bool:
    """Hosts equal up to a leading "www."."""
    return (a or "").removeprefix("www.") == b.removeprefix("www.")


def _in_chrome(anchor) -> bool:
    for el in anchor.root.iterancestors():
        value = f"{el.get('class', '')} {el.get('id', '')}".lower()
        if set(_TOKEN_SPLIT.split(value)) & _LINK_CHROME_TOKENS:
            return True
    return False


def url_shape(url: str) -> tuple:
    """What article URLs of one listing share: numeric segments and the final slug
    abstracted (``/2021/10/01/<slug>``, ``/art<slug>``), section names kept."""
    parts = urlsplit(url)
    segments = parts.path.strip("/").split("/")
    shape = ["<n>" if re.fullmatch(r"\d+", s) else s.lower() for s in segments[:-1]]
    last = segments[-1]
    if re.search(r"[-_,\d]", last) or len(last) >= 12:
        prefix = re.match(r"[a-z]+(?=[,_-]\d)", last)  # art,923,... / a-1600-...
        shape.append(f"{prefix.group(0) if prefix else ''}<slug>")
    else:
        shape.append(last.lower())
    keys = tuple(sorted(k for k, _ in parse_qsl(parts.query) if k not in _PAGE_PARAMS))
    return tuple(shape), keys


def article_links(response, host: str,
                  shape: tuple | None = None) -> tuple[list[str], tuple | None]:
    """The article links of a listing page, in order, and their URL shape.

    The largest group of same-shape links with headline-length anchor texts wins; on later
    pages of the same listing the first page's ``shape`` is kept, so a short last page
    cannot lose to its footer links."""
    excluded: set[Any] = set()  # lxml elements
    for chrome in response.css(_NOT_IN_LISTING):
        excluded.update(a.root for a in chrome.css("a"))
    groups: dict[tuple, list[tuple[str, str]]] = defaultdict(list)
    start = response.url.split("#")[0]
    for anchor in response.css("body a[href]"):
        if anchor.root in excluded or _in_chrome(anchor):
            continue
        url = response.urljoin(anchor.attrib["href"].strip()).split("#")[0]
        parts = urlsplit(url)
        if (parts.scheme not in ("http", "https") or not same_host(parts.hostname, host)
                or url == start or _FILE.search(parts.path)):
            continue
        text = normalize_space(" ".join(anchor.css("::text").getall()))
        groups[url_shape(url)].append((url, text))
    if shape is not None:  # a later page: the first page's kind of link, or nothing
        return list(dict.fromkeys(u for u, _ in groups.get(shape, []))), shape
    best, best_shape, best_score = [], None, 1.0
    for key, links in groups.items():
        urls = list(dict.fromkeys(u for u, _ in links))
        # Distinct URLs with a headline-length anchor text: articles, not menu entries.
        score = len({u for u, t in links if len(t) >= 20}) + len(urls) / 1000
        if score > best_score:
            best, best_shape, best_score = urls, key, score
    return best, best_shape


def next_page(response, host: str) -> str | None:
    """The next listing page: rel=next, a "next" link text, or page number + 1."""
    href = response.css("a[rel~=next]::attr(href), link[rel=next]::attr(href)").get()
    if href:
        return response.urljoin(href)
    for anchor in response.css("body a[href]"):
        label = normalize_space(" ".join(
            [*anchor.css("::text").getall(), anchor.attrib.get("title", ""),
             anchor.attrib.get("aria-label", "")])).casefold()
        if label in _NEXT_TEXTS or label.startswith(("następna", "dalej")):
            return response.urljoin(anchor.attrib["href"])
    current = _page_number(response.url)
    for href in response.css("body a[href]::attr(href)").getall():
        url = response.urljoin(href)
        if same_host(urlsplit(url).hostname, host) and _page_number(url) == current + 1 and (
                _strip_page(url) == _strip_page(response.url)):
            return url
    return None


def _page_number(url: str) -> int:
    parts = urlsplit(url)
    match = _PAGE_PATH.search(parts.path)
    if match:
        return int(match.group(1))
    query = dict(parse_qsl(parts.query))
    for key in ("page", "strona", "paged", "pg"):
        if query.get(key, "").isdigit():
            return int(query[key])
    return 1


def _strip_page(url: str) -> tuple:
    parts = urlsplit(url)
    query = tuple(sorted((k, v) for k, v in parse_qsl(parts.query) if k not in _PAGE_PARAMS))
    return _PAGE_PATH.sub("/", parts.path.rstrip("/") + "/"), query


class GenericSpider(SiteSpider):
    """Any site, from one start URL (no profile: the generic extraction cascade)."""

    name = "generic"
    institution = "(a site without a profile)"
    platform = "generic"

    def __init__(self, *args, start_url: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.start_url = start_url
        self.host = urlsplit(start_url).hostname or ""
        self.website = start_url
        self.allowed_domains = [self.host]
        self._scope = urlsplit(start_url).path.rsplit("/", 1)[0] or "/"

    @classmethod
    def rules(cls) -> SiteRules:
        return SiteRules("generic")

    def discovery_requests(self):
        """The start page, read by ``parse_start`` (no listings or feeds are declared)."""
        yield scrapy.Request(self.start_url, callback=self.parse_start, errback=self.on_error)

    def parse_start(self, response):
        """Feeds, then the sitemap, then the start page read as a listing."""
        for href in response.css('link[rel=alternate][type*="rss"]::attr(href), '
                                 'link[rel=alternate][type*="atom"]::attr(href)').getall():
            feed = response.urljoin(href)
            if same_host(urlsplit(feed).hostname, self.host):
                yield scrapy.Request(feed, callback=self.parse_feed, errback=self._optional)
        origin = f"{urlsplit(response.url).scheme}://{urlsplit(response.url).netloc}"
        yield scrapy.Request(f"{origin}/sitemap.xml", callback=self.parse_sitemap,
                             errback=self._optional)
        yield from self.parse_generic_listing(response, page=1)

    def parse_generic_listing(self, response, page: int, shape: tuple | None = None):
        """Article requests for the page's article links, then its next page."""
        links, shape = article_links(response, self.host, shape)
        for url in links:
            if not self._take(self.start_url):
                return
            request = self._article_request(url, None, response.url)
            if request is not None:
                yield request
        following = next_page(response, self.host)
        if following and page >= self._page_cap():
            if self.max_pages is None:  # the default cap, not the operator's --max-pages
                self.crawler.stats.set_value("kronika/listing_cap_reached", page)
                self.logger.warning(
                    "listing page cap reached: %d pages read from %s, not following %s "
                    "(KRONIKA_GENERIC_MAX_PAGES; --max-pages sets another)",
                    page, self.start_url, following)
            following = None
        if following:
            yield scrapy.Request(following, callback=self.parse_generic_listing,
                                 errback=self.on_error,
                                 cb_kwargs={"page": page + 1, "shape": shape})

    def _page_cap(self) -> int:
        """Listing pages read at most: --max-pages, else KRONIKA_GENERIC_MAX_PAGES (a
        pagination trap, a "next" link that never ends, must end)."""
        if self.max_pages:
            return self.max_pages
        return self.crawler.settings.getint("KRONIKA_GENERIC_MAX_PAGES", 200)

    def parse_sitemap(self, response):
        """Sitemap URLs under the start page's path (sitemap indexes are followed)."""
        response.selector.remove_namespaces()
        for loc in response.xpath("//sitemap/loc/text()").getall():
            yield scrapy.Request(loc.strip(), callback=self.parse_sitemap, errback=self._optional)
        for url in response.xpath("//url/loc/text()").getall():
            url = url.strip()
            parts = urlsplit(url)
            if (same_host(parts.hostname, self.host) and parts.path.startswith(self._scope)
                    and url != self.start_url and self._take(self.start_url)):
                request = self._article_request(url, None, response.url)
                if request is not None:
                    yield request

    def _optional(self, failure):
        """Feeds and sitemaps are guesses: their absence is no failure (a refusal by the
        scope check is: a hostile site pointed us outside it)."""
        if failure.check(OutOfScope):
            yield from self.on_error(failure)
            return
        self.logger.info("optional source unavailable: %s", failure.request.url)
