"""What a site's other pages say about one of its pages: the template's repetition.

One page alone cannot tell a site-wide ``<title>`` ("Miejski Ośrodek Pomocy Społecznej w
X" on every page of an old table layout) from a headline, nor the EU-funding logo strip
in the content column from a photograph of the event. The site's other pages can: what
the template prints, it prints on every page. A crawl keeps one ``SiteMemory`` per site,
shows it every listing and article page it reads (``observe``), and extraction asks it
(``site_titles``, ``template_images``, ``template_blocks``) with the page's own
observation left out. Body blocks are compared between articles only: a listing page's
text is the articles' teasers.

Evidence is counted per page URL, so a page read twice (a retry, a re-check) is one
witness. An image inside a link to another page of the site (a listing's or a "latest
news" box's thumbnail of an article) is no evidence: it repeats because articles are
listed, not because the template shows it. Memory is bounded: past ``MAX_KEYS`` titles
or images, new ones are not remembered (the template's own show up on the first pages).
"""

from __future__ import annotations

from urllib.parse import urlsplit

from crawler.extract.text import element_text, normalize_space
from crawler.extract.urls import document_base, join

# A declared title a listing page of the site shows too, or two other pages, is the
# site's: a listing page's title is never an article's headline, but two notices may
# share one ("Komunikat").
TITLE_OTHER_PAGES = 2
# An image needs two other pages: a listing may show an article's photo unlinked, and
# two articles may share a poster; a template's image is on every page. So the first
# article a crawl reads, with one listing page seen, keeps such an image.
IMAGE_OTHER_PAGES = 2
# A short block of body text that two other articles' bodies hold too is the template's
# (a project's funding line under every page's content, a standing notice); a longer one
# is text, repeated or not.
BLOCK_OTHER_PAGES = 2
MAX_TEMPLATE_BLOCK = 300
MAX_KEYS = 20_000
_MAX_KEY = 2_000  # characters: a longer title or image URL is no template's
# Witnesses kept per key: enough to answer for any one page.
_WITNESSES = max(TITLE_OTHER_PAGES, IMAGE_OTHER_PAGES, BLOCK_OTHER_PAGES) + 1
_SOURCE_ATTRIBUTES = ("src", "data-src", "data-lazy-src", "data-original")


class SiteMemory:
    """The titles and images seen on a site's pages, by page URL (see the module)."""

    def __init__(self) -> None:
        self._titles: dict[str, set[str]] = {}
        self._images: dict[str, set[str]] = {}
        self._blocks: dict[str, set[str]] = {}
        self._listings: set[str] = set()  # the listing pages seen (bounded by MAX_KEYS)

    def observe(self, url: str, doc, listing: bool = False) -> None:
        """Remember the <title>, og:title and template-placed images of the parsed page
        ``doc`` (an lxml document, Scrapy's ``response.selector.root`` too) at ``url``;
        ``listing``: a listing page (its title alone marks a title as the site's)."""
        page = _page_key(url)
        if listing and len(self._listings) < MAX_KEYS:
            self._listings.add(page)
        for title in page_titles(doc):
            if len(title) <= _MAX_KEY:
                _witness(self._titles, title, page)
        base = document_base(doc, url)
        for img in doc.iter("img"):
            if _in_link_to_page(img, base):
                continue
            for name in _SOURCE_ATTRIBUTES:
                value = (img.get(name) or "").strip()
                source = join(base, value) if value and not value.startswith("data:") else None
                if source and len(source) <= _MAX_KEY:
                    _witness(self._images, source, page)

    def site_titles(self, url: str, doc) -> frozenset[str]:
        """Those of the page's declared titles (``page_titles``) shown on a listing page
        or on at least TITLE_OTHER_PAGES pages besides ``url``: the site's, not the
        page's."""
        page = _page_key(url)
        return frozenset(t for t in page_titles(doc)
                         if _repeated(self._titles, t, page, TITLE_OTHER_PAGES)
                         or self._titles.get(t, set()) & self._listings - {page})

    def template_images(self, url: str, images: list[dict]) -> list[dict]:
        """``images`` (collect_images entries) without those shown, outside links to
        other pages, on at least IMAGE_OTHER_PAGES pages besides ``url``, by full-size
        or thumbnail URL."""
        page = _page_key(url)
        return [image for image in images
                if not any(_repeated(self._images, u, page, IMAGE_OTHER_PAGES)
                           for u in (image["url"], image.get("thumbnail_url")) if u)]


    def template_blocks(self, url: str, blocks: list) -> list:
        """``blocks`` (text.Block) without the short ones (MAX_TEMPLATE_BLOCK) that
        BLOCK_OTHER_PAGES other articles' bodies held too; all of ``blocks`` are
        remembered as this page's. Never empties a body."""
        page = _page_key(url)
        short = [b for b in blocks if len(b.text) <= MAX_TEMPLATE_BLOCK]
        for block in short:
            _witness(self._blocks, block.text, page)  # short: at most MAX_TEMPLATE_BLOCK
        kept = [b for b in blocks if len(b.text) > MAX_TEMPLATE_BLOCK
                or not _repeated(self._blocks, b.text, page, BLOCK_OTHER_PAGES)]
        return kept or blocks


def page_titles(doc) -> list[str]:
    """The page's declared titles: og:title and <title>, normalized, without blanks."""
    titles = [normalize_space(value) for value in doc.xpath(
        "//meta[@property='og:title']/@content")]
    titles.append(element_text(doc.find(".//title")))
    return list(dict.fromkeys(t for t in titles if t))


def _witness(table: dict[str, set[str]], key: str, page: str) -> None:
    pages = table.get(key)
    if pages is None:
        if len(table) >= MAX_KEYS:
            return
        pages = table[key] = set()
    if len(pages) < _WITNESSES:
        pages.add(page)


def _repeated(table: dict[str, set[str]], key: str, page: str, needed: int) -> bool:
    pages = table.get(key)
    return pages is not None and len(pages - {page}) >= needed


def _page_key(url: str) -> str:
    # The fragment never names another page.
    return url.split("#", 1)[0]


def _in_link_to_page(img, base: str) -> bool:
    """True when ``img`` sits in a link to a page of the same host other than its home
    page (an article's thumbnail); a logo's link home or a funder's link away is not."""
    anchor = next((a for a in img.iterancestors("a") if a.get("href")), None)
    if anchor is None:
        return False
    joined = join(base, anchor.get("href").strip())
    if joined is None:
        return False
    try:
        target, home = urlsplit(joined), urlsplit(base)
    except ValueError:
        return False
    same_host = target.hostname == home.hostname
    return same_host and (target.path.strip("/") not in ("", "index.php", "index.html")
                          or bool(target.query))
