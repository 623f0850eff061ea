"""Page requisites: what a browser loads to show a page, fetched so that replay shows it.

An archived page without its stylesheets, scripts, fonts and template images replays as
a bare list of links, and a gallery without its thumbnails as broken images. For every
HTML page the spiders read (listing and article pages), ``RequisitesMiddleware`` asks for
what the page names: stylesheets, scripts, icons, preloads, images (``src``, lazy-load
attributes, every ``srcset`` candidate, ``<noscript>`` copies, ``background``
attributes of old table layouts), media posters, ``url()`` and ``@import`` references in
``<style>`` blocks and ``style`` attributes, and, from each stylesheet it fetched, the
stylesheet's own ``url()`` and ``@import`` references (fonts, background images, other
stylesheets). The same politeness holds as for pages (robots.txt, delays, one request
at a time per host): they go through the same downloader.

They are archived like every response (the recorder writes each once a run, and a
payload archived before becomes a revisit, so nightly runs stay cheap); nothing is
extracted from them. A requisite that fails is counted (``kronika/requisites_failed``)
and logged, not recorded as a failed page: the page itself was read, and the next run
asks again. Hosts other than the site's (a CDN) are asked too, except under
``--base-url``, where only the site's hosts have a mirror. ``--no-requisites`` (the
spider's ``requisites=False``) turns it off. Written here because Scrapy's link
extractors find anchors only; the CSS references are read with two regular expressions
rather than a CSS parser: the grammar of ``url()`` and ``@import`` is small, and a
broken stylesheet must not stop the crawl.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import lxml.html
import scrapy
from scrapy.http import HtmlResponse, TextResponse

from archive.meta import MEDIA, real_url
from crawler.extract.urls import document_base, join

# Marks a requisite's request (archived, never extracted); its value is the destination.
REQUISITE = "kronika_requisite"
# At most this many requisites a page (a page naming thousands is hostile or a sprite
# sheet gone wrong), this many a site in a run, and stylesheets imported this deep; the
# rest are counted as skipped.
MAX_PER_PAGE = 300
MAX_PER_SITE = 20_000
MAX_IMPORT_DEPTH = 4
# A stylesheet (or <style> block) is read this far for references; a page this big is
# not read for requisites at all (the extraction budget's page size).
MAX_CSS_CHARACTERS = 2_000_000
MAX_PAGE_BYTES = 4 * 1024 * 1024
_DEPTH = "kronika_requisite_depth"

# Not "prefetch" (the next page, perhaps an article, for later) nor "next": a page asked
# for as a requisite would be taken by the duplicate filter from the spider.
_REL = frozenset({"stylesheet", "icon", "shortcut", "apple-touch-icon", "preload",
                  "modulepreload", "manifest", "mask-icon"})
# Lazy-loading attributes, read on images only: a link's or a frame's data-src names a
# page (a lightbox's, an article), which the spider may still have to read itself.
_LAZY = ("data-src", "data-lazy-src", "data-original", "data-srcset", "data-lazy-srcset",
         "data-bg", "data-background")
_BACKGROUNDS = ("data-bg", "data-background")
# url(...) in its three spellings, or an @import of a bare string, in document order.
_CSS_REFERENCE = re.compile(
    r"""url\(\s*(?:"([^"]*)"|'([^']*)'|([^()'"\s]*))\s*\)|@import\s+(?:"([^"]*)"|'([^']*)')""",
    re.I)


def css_references(css: str) -> list[str]:
    """The URLs a stylesheet's text refers to (``url()`` and ``@import "..."``), as
    written (relative to the stylesheet), in order, without data: URIs. Only the first
    MAX_CSS_CHARACTERS are read."""
    found = [next(g for g in m.groups() if g is not None)
             for m in _CSS_REFERENCE.finditer(css, 0, MAX_CSS_CHARACTERS)]
    return list(dict.fromkeys(u.strip() for u in found
                              if u.strip() and not u.strip().lower().startswith("data:")))


def _srcset(value: str) -> list[str]:
    """The URLs of a srcset ("a.jpg 1x, b.jpg 2x", "a.jpg 320w"), read as the HTML
    standard does: a URL runs to whitespace (a comma inside it, as in a data: URI, is
    its own), a comma ending it ends the candidate, else descriptors run to a comma."""
    urls, position, end = [], 0, len(value)
    while position < end:
        while position < end and (value[position].isspace() or value[position] == ","):
            position += 1
        start = position
        while position < end and not value[position].isspace():
            position += 1
        url = value[start:position]
        if url.endswith(","):
            url = url.rstrip(",")
        else:
            depth = 0  # descriptors, to the next comma outside parentheses
            while position < end and (value[position] != "," or depth):
                depth = max(depth + {"(": 1, ")": -1}.get(value[position], 0), 0)
                position += 1
        if url and not url.lower().startswith("data:"):
            urls.append(url)
    return urls


# What a browser sends as Accept for each kind of requisite (its fetch destination):
# servers that negotiate (WebP for images) answer as they would to a visitor.
ACCEPT = {
    "style": "text/css,*/*;q=0.1",
    "image": "image/avif,image/webp,image/apng,image/svg+xml,image/*,*/*;q=0.8",
    "script": "*/*", "font": "*/*", "other": "*/*",
}
_FONT_EXTENSIONS = ("woff2", "woff", "ttf", "otf", "eot")


def page_requisites(root, page_url: str) -> list[tuple[str, str]]:
    """(absolute URL, destination) of what the parsed page ``root`` loads to render (see
    the module), resolved against its <base href>, in document order, de-duplicated by
    URL. The destination is a key of ACCEPT."""
    base = document_base(root, page_url)
    found: list[tuple[str, str]] = []
    for el in root.iter():
        if not isinstance(el.tag, str):
            continue
        tag = el.tag.lower()
        if tag == "link":
            rel = set((el.get("rel") or "").lower().split())
            if rel & _REL and el.get("href") and not (
                    "preload" in rel and (el.get("as") or "").lower() in ("", "document",
                                                                          "fetch")):
                found.append((el.get("href"), _link_destination(el, rel)))
        elif tag == "script" and el.get("src"):
            found.append((el.get("src"), "script"))
        elif tag == "input" and el.get("src") and (el.get("type") or "").lower() == "image":
            found.append((el.get("src"), "image"))
        elif tag == "source" and el.get("srcset"):  # a <picture>'s; a video's files are not
            found += [(u, "image") for u in _srcset(el.get("srcset"))]  # fetched whole
        elif tag == "video" and el.get("poster"):
            found.append((el.get("poster"), "image"))
        elif tag == "img":
            if el.get("src"):
                found.append((el.get("src"), "image"))
            if el.get("srcset"):
                found += [(u, "image") for u in _srcset(el.get("srcset"))]
        elif tag == "style" and el.text:
            found += css_destinations(css_references(el.text))
        elif tag == "noscript" and el.text and "<" in el.text:
            # Parsed as text by libxml2: its markup is read as a fragment of its own.
            try:
                fragment = lxml.html.fragment_fromstring(el.text, create_parent="div")
            except (lxml.etree.ParserError, ValueError):
                fragment = None
            if fragment is not None:
                found += page_requisites(fragment, base)
        for name in _LAZY if tag in ("img", "source", "video") else _BACKGROUNDS:
            value = el.get(name)
            if value:
                found += [(u, "image") for u in (_srcset(value) if "srcset" in name else [value])]
        if el.get("background"):
            found.append((el.get("background"), "image"))
        if el.get("style") and "url(" in el.get("style"):
            found += css_destinations(css_references(el.get("style")))
    urls: dict[str, str] = {}
    for value, destination in found:
        value = value.strip()
        if not value or value.lower().startswith(("data:", "javascript:", "about:", "#")):
            continue
        url = _http_url(base, value)
        if url:
            urls.setdefault(url, destination)
    return list(urls.items())


def _http_url(base: str, value: str) -> str | None:
    """``value`` resolved against ``base``, without its fragment, when it is an http(s)
    URL Python can parse; else None (an unclosed IPv6 bracket is one bad link, not a
    reason to drop the page's others)."""
    url = join(base, value)
    if not url:
        return None
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError for a port that is no number
    except ValueError:
        return None
    return url.split("#", 1)[0] if parts.scheme in ("http", "https") and parts.hostname else None


def css_destinations(references: list[str]) -> list[tuple[str, str]]:
    """A stylesheet's references with their destinations: an @import-ed stylesheet, a
    font, else an image (what url() names in practice)."""
    def destination(url: str) -> str:
        path = url.split("?", 1)[0].split("#", 1)[0].lower()
        if path.endswith(".css"):
            return "style"
        return "font" if path.rsplit(".", 1)[-1] in _FONT_EXTENSIONS else "image"

    return [(url, destination(url)) for url in references]


def _link_destination(link, rel: set[str]) -> str:
    if "stylesheet" in rel:
        return "style"
    kind = (link.get("as") or "").lower()
    if kind in ("style", "script", "font", "image"):
        return kind
    return "script" if "modulepreload" in rel else "image" if rel & {
        "icon", "shortcut", "apple-touch-icon", "mask-icon"} else "other"


def _is_css(response) -> bool:
    kind = response.headers.get("Content-Type", b"").decode("latin-1").lower()
    return "text/css" in kind or (not kind and response.url.lower().split("?")[0]
                                  .endswith(".css"))


class RequisitesMiddleware:
    """A spider middleware: after a page's own output, the requests for its requisites
    (see the module). Off for a spider whose ``requisites`` is False."""

    def __init__(self, crawler):
        self.crawler = crawler
        settings = crawler.settings
        self.max_per_page = settings.getint("KRONIKA_MAX_REQUISITES", MAX_PER_PAGE)
        self.max_per_site = settings.getint("KRONIKA_MAX_REQUISITES_PER_SITE", MAX_PER_SITE)
        # The URLs asked for as requisites, and those the spider fetches as an article's
        # media, this run. Requisites skip Scrapy's duplicate filter (dont_filter), so
        # that one can never take the place of a page the spider still has to read: a
        # link's data-src or a listing's <img> naming an article's full-size file.
        self.seen: set[str] = set()

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    async def process_spider_output(self, response, result, spider=None):
        async for item in result:
            if isinstance(item, dict) and "images" in item and "attachments" in item:
                # An Article: its media requests follow; they are not requisites.
                self.seen.update(i["url"] for i in item["images"])
                self.seen.update(a["url"] for a in item["attachments"])
            yield item
        for request in self.requests(response, self.crawler.spider):
            yield request

    def requests(self, response, spider) -> list[scrapy.Request]:
        """The requisite requests of ``response``: a page's, or a stylesheet's."""
        if not getattr(spider, "requisites", False) or response.meta.get(MEDIA):
            return []
        stats = self.crawler.stats
        depth = response.meta.get(_DEPTH, 0)
        if response.meta.get(REQUISITE) is not None:
            if not (isinstance(response, TextResponse) and _is_css(response)):
                return []
            if depth >= MAX_IMPORT_DEPTH:
                stats.inc_value("kronika/requisites_skipped")
                return []
            # A stylesheet's references are relative to the stylesheet.
            here = real_url(response.request) if response.request else response.url
            urls = [(url, kind) for ref, kind in css_destinations(css_references(response.text))
                    if (url := _http_url(here, ref))]
        elif isinstance(response, HtmlResponse):
            if len(response.body) > MAX_PAGE_BYTES:
                stats.inc_value("kronika/requisites_page_too_big")
                return []
            try:
                urls = page_requisites(response.selector.root, real_url(response.request)
                                       if response.request else response.url)
            except ValueError:  # a body parsel cannot read names nothing
                return []
        else:
            return []
        urls = [(url, kind) for url, kind in urls if url not in self.seen]
        room = min(self.max_per_page, self.max_per_site - len(self.seen))
        if len(urls) > room:
            stats.inc_value("kronika/requisites_skipped", len(urls) - max(room, 0))
            urls = urls[:max(room, 0)]
        requests = []
        mirrored = bool(getattr(spider, "base_url", None))
        for url, destination in urls:
            self.seen.add(url)
            if mirrored and not spider.covers_host(urlsplit(url).hostname or ""):
                # Under --base-url only the site's hosts have a mirror: another host
                # would be the live internet.
                stats.inc_value("kronika/requisites_offsite_skipped")
                continue
            requests.append(scrapy.Request(
                url, callback=spider.parse_requisite, errback=spider.on_requisite_error,
                priority=-1, headers={"Accept": ACCEPT[destination]}, dont_filter=True,
                meta={REQUISITE: destination, _DEPTH: depth + 1}))
        return requests
