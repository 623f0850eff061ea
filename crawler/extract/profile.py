"""Declarative site knowledge: where a listing's articles are and what an article page holds.

A spider declares ``listings`` (how to walk the site) and ``profiles`` (how to read an
article, one per layout generation) as data; the shared engine in ``crawler.spider.base`` and
``crawler.extract`` does the rest. Selectors are CSS, evaluated on the whole page.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Listing:
    """One listing (news index) of a site and how to page through it."""

    start_url: str
    item_css: str                    # one element per article on the listing page
    link_css: str = "a::attr(href)"  # relative to the item
    date_css: str | None = None      # relative to the item: the date as displayed
    next_css: str | None = None      # the next listing page's href, on the whole page
    layout: str = "default"          # the article profile these items use
    # A listing that only an archive still has (a site's previous CMS): walked with --full
    # or from a mirror/replay (--base-url), never in nightly runs against the live site,
    # where it would only fail.
    archive: bool = False


@dataclass(frozen=True)
class Profile:
    """How to read an article page of one layout generation."""

    layout: str                          # e.g. "current", "legacy-2009": recorded on articles
    url_pattern: str = ""                # regex (search) on the URL; "" matches every URL
    content_css: str = "article"         # the article container: title, date, body, media
    body_css: str | None = None          # the body inside it; default: the container itself
    title_css: str | None = "h1"
    title_strip: str | None = None       # regex removed from the title (" - MCPS" suffixes)
    date_css: str | None = None
    modified_css: str | None = None
    lead_css: str | None = None
    author_css: str | None = None
    source_css: str | None = None
    category_css: str | None = None
    category: str | None = None          # a fixed section name when the page shows none
    gallery_css: str | None = None       # gallery container(s): images, removed from body
    attachments_css: str | None = None   # attachment block(s): documents, removed from body
    exclude_css: tuple[str, ...] = field(default_factory=tuple)  # site chrome in the body

    def matches(self, url: str) -> bool:
        """True when this layout applies to ``url``."""
        return not self.url_pattern or re.search(self.url_pattern, url) is not None


def choose_profile(profiles, url: str) -> Profile | None:
    """The first profile whose ``url_pattern`` matches ``url``, or None."""
    return next((p for p in profiles if p.matches(url)), None)
