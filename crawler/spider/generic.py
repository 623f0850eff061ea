"""The generic spider: harvest a site that has no profile, from one start URL.

Discovery, in order: the RSS/Atom feeds the start page advertises, the site's
``/sitemap.xml`` (only URLs under the start page's path), then the start page itself as
a listing: its links are grouped by URL shape and the largest group of title-like links
is taken for the articles, each paired with the date its listing item shows; the next
page is found by ``rel=next``, a "Następna"/"»"-style link, or the page number in the
URL. Articles go through the generic extraction cascade.

The site is the start URL's host, with or without ``www.``, over http or https, plus the
hosts the start page declares itself on (its canonical link and ``og:url``). A start page
on a loopback address that declares a public host is a mirror of that host: the crawl
carries on as under ``--base-url``, and the records name the public host. Links to any
other host are dropped and counted (``kronika/offsite_dropped``).

The spider's ``name`` is the site's slug (from its host, or ``--name``: see
crawler.spider.saved), so its records, failures and counts are the site's own, never
"generic". Each article request says where it was found (``found_by``: feed, sitemap or
listing), counted in the stats as ``kronika/found_by/<source>`` for the run summary.

Incremental like the profiled spiders: paging stops after ``--overlap`` listing pages
that bring nothing new (every article known to the store or already listed this run: a
listing that repeats itself stops the same way), and at ``KRONIKA_GENERIC_MAX_PAGES``
pages whatever happens (a pagination or calendar trap). How the walk ended is in the
stats: ``kronika/listing_pages``, ``kronika/listing_stop`` and, for a trap,
``kronika/listing_cap_reached``.
"""

from __future__ import annotations

import ipaddress
import re
from collections import defaultdict
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import scrapy

from crawler.extract import SiteRules
from crawler.extract.chrome import CHROME_CLASS_TOKENS
from crawler.extract.dates import parse_date, parse_machine_date
from crawler.extract.text import normalize_space
from crawler.extract.urls import article_id, canonicalize
from crawler.items import OutOfScope
from crawler.spider.base import SiteSpider, _day

_FILE = re.compile(r"\.(?:pdf|docx?|xlsx?|odt|ods|zip|rar|7z|jpe?g|png|gif|webp|mp[34]|avi)$",
                   re.I)
_NEXT_TEXTS = {"następna", "następna strona", "następne", "następny", "dalej", "»", "›", ">",
               "next", "starsze wpisy", "starsze", "kolejna", "kolejna strona", "następna »",
               "»»"}
_PAGE_PARAMS = ("page", "strona", "paged", "start", "s", "p", "pg", "limitstart")
_OFFSET_PARAMS = ("start", "limitstart")  # Joomla counts items, not pages
_PAGE_PATH = re.compile(r"/(?:page|strona)/(\d+)/?$")
# Menus, search forms: never listing items. A header or footer is chrome only outside an
# article (WordPress puts each post's title link in the post's own <header>).
_NEVER_IN_LISTING = "nav, form"
_CHROME_OUTSIDE_ARTICLES = "header, footer"
# Containers of menus and footers that lack semantic tags: a class or id token says so.
_LINK_CHROME_TOKENS = CHROME_CLASS_TOKENS | {"footer", "stopka", "header", "topmenu", "mainmenu"}
_REGION_TOKENS = {"header", "footer", "stopka"}
_TOKEN_SPLIT = re.compile(r"[\s_\-]+")
# A listing item's date is a short text of its own, not a sentence of the teaser.
_DATE_TEXT_MAX = 80


def bare_host(host: str | None) -> str:
    """The host without a leading "www.", lowercased."""
    return (host or "").lower().rstrip(".").removeprefix("www.")


def same_host(a: str | None, b: str) -> bool:
    """Hosts equal up to a leading "www."."""
    return bare_host(a) == bare_host(b)


def is_loopback(host: str) -> bool:
    """True for localhost and loopback addresses: never a public site's host."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _is_address(host: str) -> bool:
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return True


def _in_chrome(anchor) -> bool:
    ancestors = list(anchor.root.iterancestors())
    # Below an <article>, "entry-header" and "entry-footer" are the post's own parts.
    article = next((i for i, el in enumerate(ancestors) if el.tag == "article"), -1)
    for i, el in enumerate(ancestors):
        value = f"{el.get('class', '')} {el.get('id', '')}".lower()
        tokens = set(_TOKEN_SPLIT.split(value))
        if i < article:
            tokens -= _REGION_TOKENS
        if tokens & _LINK_CHROME_TOKENS:
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


def site_anchors(response, is_site, offsite: set[str] | None = None):
    """(element, URL, anchor text) of every link on ``response`` that may be a listing
    item: on the site, outside menus and page chrome, not a file. The URLs of links to
    other hosts go into ``offsite``."""
    excluded: set[Any] = set()  # lxml elements
    for chrome in response.css(_NEVER_IN_LISTING):
        excluded.update(a.root for a in chrome.css("a"))
    for chrome in response.css(_CHROME_OUTSIDE_ARTICLES):
        if not chrome.xpath("ancestor::article"):
            excluded.update(a.root for a in chrome.css("a"))
    start = response.url.split("#")[0]
    for anchor in response.css("body a[href]"):
        url = response.urljoin(anchor.attrib["href"].strip()).split("#")[0]
        parts = urlsplit(url)
        if (parts.scheme not in ("http", "https") or anchor.root in excluded
                or _in_chrome(anchor) or url == start or _FILE.search(parts.path)):
            continue
        if not is_site(url):
            # Counted only where an article link could be: a menu's or a footer's
            # links to other institutions are no loss.
            if offsite is not None:
                offsite.add(url)
            continue
        yield anchor.root, url, normalize_space(" ".join(anchor.css("::text").getall()))


def article_links(response, is_site, shape: tuple | None = None,
                  offsite: set[str] | None = None,
                  key=lambda url: url) -> tuple[list[tuple[str, Any]], tuple | None]:
    """The article links of a listing page, in order, each with its first anchor
    element, and their URL shape; one link per article (``key``: the URLs of one
    article, http and https, www or not, give one key).

    The largest group of same-shape links with headline-length anchor texts wins; on later
    pages of the same listing the first page's ``shape`` is kept, so a short last page
    cannot lose to its footer links."""
    groups: dict[tuple, list[tuple[str, str, Any]]] = defaultdict(list)
    for element, url, text in site_anchors(response, is_site, offsite):
        groups[url_shape(url)].append((url, text, element))

    def firsts(links) -> list[tuple[str, Any]]:
        seen: dict[str, tuple[str, Any]] = {}
        for url, _, element in links:
            seen.setdefault(key(url), (url, element))
        return list(seen.values())

    if shape is not None:  # a later page: the first page's kind of link, or nothing
        return firsts(groups.get(shape, [])), shape
    best: list = []
    best_shape, best_score = None, 1.0
    for group, links in groups.items():
        urls = {u for u, _, _ in links}
        # Distinct URLs with a headline-length anchor text: articles, not menu entries.
        score = len({u for u, t, _ in links if len(t) >= 20}) + len(urls) / 1000
        if score > best_score:
            best, best_shape, best_score = links, group, score
    return firsts(best), best_shape


def listing_dates(response, links: list[tuple[str, Any]],
                  key=lambda url: url) -> dict[str, str | None]:
    """The date each article link's listing item shows, as displayed (None: no date).

    An item is the largest element around a link that holds no other article of the
    page (``key`` says which URLs are one article: http and https, www or not); its date
    is the first ``<time>`` in it, else its first short text that reads as a date,
    outside the article's own links first."""
    keys = {key(url) for url, _ in links}
    owners: dict[Any, set[str]] = defaultdict(set)
    anchors = []
    for anchor in response.css("body a[href]"):
        article = key(response.urljoin(anchor.attrib["href"].strip()).split("#")[0])
        if article in keys:
            anchors.append((anchor.root, article))
            for el in (anchor.root, *anchor.root.iterancestors()):
                owners[el].add(article)
    dates: dict[str, str | None] = {}
    for element, article in anchors:
        if dates.get(article):
            continue
        item = element
        for ancestor in element.iterancestors():
            if owners[ancestor] != {article}:
                break
            item = ancestor
        dates[article] = _item_date(item)
    return {url: dates.get(key(url)) for url, _ in links}


def listing_titles(response, links: list[tuple[str, Any]],
                   key=lambda url: url) -> dict[str, str]:
    """The headline each article link shows on the listing page: the longest text (or
    ``title`` attribute) of the links to it (its first link may be a thumbnail)."""
    keys = {key(url) for url, _ in links}
    best: dict[str, str] = {}
    for anchor in response.css("body a[href]"):
        article = key(response.urljoin(anchor.attrib["href"].strip()).split("#")[0])
        if article in keys:
            text = normalize_space(" ".join(anchor.css("::text").getall())) or \
                normalize_space(anchor.attrib.get("title", ""))
            if len(text) > len(best.get(article, "")):
                best[article] = text
    return {url: best.get(key(url), "") for url, _ in links}


def _item_date(item) -> str | None:
    for time in item.iter("time"):
        text = normalize_space(time.text_content())
        if text and parse_date(text):
            return text
        if time.get("datetime") and parse_machine_date(time.get("datetime")):
            return time.get("datetime")
    outside: list[str] = []
    inside: list[str] = []
    for el in item.iter():
        if not isinstance(el.tag, str):
            continue
        in_link = el.tag == "a" or any(a.tag == "a" for a in el.iterancestors())
        for text in (el.text, *(c.tail for c in el)):
            text = normalize_space(text or "")
            if 6 <= len(text) <= _DATE_TEXT_MAX:
                (inside if in_link else outside).append(text)
    for text in (*outside, *inside):
        if parse_date(text):
            return text
    return None


def feed_urls(response, is_site) -> list[str]:
    """The RSS/Atom feeds a page advertises (``<link rel=alternate>``) on the site."""
    found = [response.urljoin(href) for href in response.css(
        'link[rel=alternate][type*="rss"]::attr(href), '
        'link[rel=alternate][type*="atom"]::attr(href)').getall()]
    return [url for url in dict.fromkeys(found) if is_site(url)]


def sitemap_url(response) -> str:
    """Where the site's sitemap is looked for: ``/sitemap.xml`` on the page's host."""
    parts = urlsplit(response.url)
    return f"{parts.scheme}://{parts.netloc}/sitemap.xml"


def sitemap_entries(response) -> tuple[list[str], list[str]]:
    """(sitemaps, page URLs) a sitemap or sitemap index lists."""
    response.selector.remove_namespaces()
    return ([loc.strip() for loc in response.xpath("//sitemap/loc/text()").getall()],
            [url.strip() for url in response.xpath("//url/loc/text()").getall()])


def next_page(response, is_site) -> str | None:
    """The next listing page: rel=next, a "next" link text (one of the same listing
    first, so a calendar's "»" loses to the pagination's), or page number + 1."""
    href = response.css("a[rel~=next]::attr(href), link[rel=next]::attr(href)").get()
    if href:
        return response.urljoin(href)
    labelled = []
    for anchor in response.css("body a[href]"):
        label = normalize_space(" ".join(
            [*anchor.css("::text").getall(), anchor.attrib.get("title", ""),
             anchor.attrib.get("aria-label", "")])).casefold()
        if label in _NEXT_TEXTS or label.startswith(("następn", "dalej")):
            labelled.append(response.urljoin(anchor.attrib["href"]))
    same_listing = [u for u in labelled if _strip_page(u) == _strip_page(response.url)]
    if same_listing or labelled:
        return (same_listing or labelled)[0]
    current = _page_number(response.url)
    for href in response.css("body a[href]::attr(href)").getall():
        url = response.urljoin(href)
        if is_site(url) and _page_number(url) == current + 1 and (
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
        self.site_hosts = {bare_host(self.host)}
        self.allowed_domains = [self.host] if _is_address(self.host) else list(dict.fromkeys(
            [self.host, bare_host(self.host), f"www.{bare_host(self.host)}"]))
        self._scope = urlsplit(start_url).path.rsplit("/", 1)[0] or "/"
        self._listed: set[str] = set()   # article ids the listing walk has shown
        self._quiet_pages = 0            # listing pages that brought nothing new
        self._offsite: set[str] = set()  # links to other sites, not followed

    @classmethod
    def rules(cls) -> SiteRules:
        return SiteRules("generic")

    def site_rules(self) -> SiteRules:
        """No profile; the records name this site's slug (``name``, given by the runner:
        crawler.spider.saved)."""
        return SiteRules(self.name)

    def is_site(self, url: str) -> bool:
        """True for an http(s) URL on one of the site's hosts (``www.`` or not)."""
        parts = urlsplit(url)
        return parts.scheme in ("http", "https") and bare_host(parts.hostname) in self.site_hosts

    def declare_hosts(self, response):
        """Take the hosts the start page declares itself on (canonical link, og:url) as
        the site's; return the response to read the start page from (re-addressed to its
        public URL when it came from a loopback mirror of it)."""
        declared = [response.urljoin(u.strip()) for u in response.css(
            'link[rel=canonical]::attr(href), meta[property="og:url"]::attr(content)'
        ).getall() if u.strip()]
        public = None
        for url in declared:
            parts = urlsplit(url)
            if parts.scheme not in ("http", "https") or not parts.hostname:
                continue
            host = parts.hostname.lower()
            if bare_host(host) not in self.site_hosts:
                self.site_hosts.add(bare_host(host))
                self.logger.info("the start page declares %s as its own host", host)
            self.allowed_domains = list(dict.fromkeys(
                [*self.allowed_domains, host, bare_host(host), f"www.{bare_host(host)}"]))
            if public is None and not is_loopback(host):
                public = url
        if (public and not self.base_url and is_loopback(self.host)
                and not same_host(urlsplit(public).hostname, self.host)):
            # A mirror on this machine of a public site: fetch the public host's pages
            # from it, as --base-url would, so the records name the public host.
            start = urlsplit(response.url)
            self.base_url = f"{start.scheme}://{start.netloc}"
            self.logger.info("%s serves %s: reading it as a mirror of that site",
                             self.base_url, urlsplit(public).hostname)
            return response.replace(url=public)
        return response

    def discovery_requests(self):
        """The start page, read by ``parse_start`` (no listings or feeds are declared)."""
        yield scrapy.Request(self.start_url, callback=self.parse_start, errback=self.on_error)

    def parse_start(self, response):
        """Feeds, then the sitemap, then the start page read as a listing."""
        response = self.declare_hosts(response)
        for feed in feed_urls(response, self.is_site):
            yield scrapy.Request(feed, callback=self.parse_feed, errback=self._optional)
        yield scrapy.Request(sitemap_url(response), callback=self.parse_sitemap,
                             errback=self._optional)
        yield from self.parse_generic_listing(response, page=1)

    def parse_generic_listing(self, response, page: int, shape: tuple | None = None):
        """Article requests for the page's article links (with the dates their items
        show), then its next page, unless the walk should end here."""
        stats = self.crawler.stats
        stats.set_value("kronika/listing_pages", page)
        self.observe(response)
        links, shape = article_links(response, self.is_site, shape, self._offsite,
                                     self.article_key)
        stats.set_value("kronika/offsite_dropped", len(self._offsite))
        # Named in the manifest (the first hundred) and, by host, in the summary.
        stats.set_value("kronika/offsite_urls", sorted(self._offsite)[:100])
        dates = listing_dates(response, links, self.article_key)
        brought_new = older_than_window = repeated = 0
        for url, _ in links:
            raw = dates.get(url)
            day = _day(raw)
            if day and self.until and day > self.until:
                continue
            if day and self.since and day < self.since:
                older_than_window += 1
                continue
            key = self.article_key(url)
            if key in self._listed:
                repeated += 1
            elif not self.is_known(url):
                brought_new += 1
            self._listed.add(key)
            if not self._take(self.start_url):
                return
            request = self._article_request(url, raw, response.url)
            if request is not None:
                yield request
        stop = self._stop_reason(page, links, brought_new, older_than_window, repeated)
        following = next_page(response, self.is_site) if stop is None else None
        if following and page >= self._page_cap():
            if self.max_pages is None:  # the default cap, not the operator's --max-pages
                stats.set_value("kronika/listing_cap_reached", page)
                stats.inc_value("kronika/listing_traps")
                self.logger.warning(
                    "listing page cap reached: %d pages read from %s, not following %s "
                    "(KRONIKA_GENERIC_MAX_PAGES; --max-pages sets another)",
                    page, self.start_url, following)
            stop, following = "cap", None
        if following:
            yield scrapy.Request(following, callback=self.parse_generic_listing,
                                 errback=self.on_error, priority=-2,
                                 cb_kwargs={"page": page + 1, "shape": shape})
        else:
            stats.set_value("kronika/listing_stop", stop or "last page")

    def _stop_reason(self, page: int, links: list, brought_new: int,
                     older_than_window: int, repeated: int) -> str | None:
        """Why the listing walk ends at this page (None: it goes on)."""
        if not links:
            # Past the end of a listing, or a calendar month with nothing in it.
            return "empty page" if page > 1 else None
        if older_than_window == len(links):
            return "older than --since"
        if brought_new == 0:
            self._quiet_pages += 1
            if self._quiet_pages >= self.overlap:
                # This run's own earlier pages again (a listing that repeats itself),
                # or articles the store knows (an incremental run caught up).
                return "repeated listing" if repeated == len(links) else "overlap"
        return None

    def article_key(self, url: str) -> str:
        """The stable id of an article URL (the store's key)."""
        return article_id(canonicalize(url, self.host_aliases, self.drop_params,
                                       self.url_rewrites))

    def _page_cap(self) -> int:
        """Listing pages read at most: --max-pages, else KRONIKA_GENERIC_MAX_PAGES (a
        pagination trap, a "next" link that never ends, must end)."""
        if self.max_pages:
            return self.max_pages
        return self.crawler.settings.getint("KRONIKA_GENERIC_MAX_PAGES", 200)

    def parse_sitemap(self, response):
        """Sitemap URLs under the start page's path (sitemap indexes are followed)."""
        sitemaps, urls = sitemap_entries(response)
        for loc in sitemaps:
            yield scrapy.Request(loc, callback=self.parse_sitemap, errback=self._optional)
        for url in urls:
            if self.in_sitemap_scope(url) and self._take(self.start_url):
                request = self._article_request(url, None, response.url, found_by="sitemap")
                if request is not None:
                    yield request

    def in_sitemap_scope(self, url: str) -> bool:
        """A sitemap URL taken for an article: on the site, under the start page's path."""
        return (self.is_site(url) and urlsplit(url).path.startswith(self._scope)
                and url != self.start_url)

    def _optional(self, failure):
        """Feeds and sitemaps are guesses: their absence is no failure (a refusal by the
        scope check is: a hostile site pointed us outside it)."""
        if failure.check(OutOfScope):
            yield from self.on_error(failure)
            return
        self.logger.info("optional source unavailable: %s", failure.request.url)
