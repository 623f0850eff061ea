"""Declarative site knowledge: where a listing's articles are and what an article page holds.

A spider declares ``listings`` (how to walk the site) and ``profiles`` (how to read an
article, one per layout generation) as data; the shared engine in ``crawler.spider.base`` and
``crawler.extract`` does the rest. Selectors are CSS, evaluated on the whole page.

Layouts are versioned by date: a profile may say when its layout was live
(``live_from``/``live_until``), and a page is read with the layout that was live on the
day it was captured. A redesign gets a new profile beside the old one, which goes on
reading the old captures when a harvest is re-extracted from its WARC files.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime

from crawler.extract.dates import WARSAW


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
    # The days this layout was live on the site, both included; None leaves that end open.
    # ISO date strings or dates (stored as dates).
    live_from: date | str | None = None
    live_until: date | str | None = None

    def __post_init__(self):
        for name in ("live_from", "live_until"):
            value = getattr(self, name)
            if isinstance(value, datetime):  # a datetime is a date, but does not compare
                value = value.date()         # with one
            elif isinstance(value, str):
                value = date.fromisoformat(value)
            object.__setattr__(self, name, value)
        if self.live_from and self.live_until and self.live_from > self.live_until:
            raise ValueError(f"profile {self.layout!r}: live_from {self.live_from} is after "
                             f"live_until {self.live_until}")

    @property
    def dated(self) -> bool:
        """True when the profile says when its layout was live."""
        return self.live_from is not None or self.live_until is not None

    def matches(self, url: str) -> bool:
        """True when this layout applies to ``url``."""
        return not self.url_pattern or re.search(self.url_pattern, url) is not None

    def live_on(self, day: date) -> bool:
        """True when this layout was live on ``day`` (always, for an undated profile)."""
        # __post_init__ stored both ends as dates.
        start, end = self.live_from, self.live_until
        assert not isinstance(start, str) and not isinstance(end, str)
        return (start is None or start <= day) and (end is None or day <= end)


def capture_day(when: date | datetime | str | None) -> date | None:
    """The day of a capture time in Warsaw, where the sites are and change their
    layouts: from a date, a datetime or an ISO string such as a WARC-Date
    ("2019-03-05T23:30:00Z" is 6 March there). None for None or a string that is no
    ISO date."""
    if when is None or (isinstance(when, date) and not isinstance(when, datetime)):
        return when
    if isinstance(when, str):
        try:
            when = datetime.fromisoformat(when.strip())
        except ValueError:
            return None
    return when.astimezone(WARSAW).date() if when.tzinfo else when.date()


def choose_profile(profiles, url: str, when: date | datetime | str | None = None
                   ) -> Profile | None:
    """The profile to read a page at ``url`` captured at ``when`` (see capture_day) with:
    among the profiles whose ``url_pattern`` matches, the first whose layout was live
    that day. Without a capture date, or when no dated profile matches, the first that
    matches (undated profiles are live every day). When the day falls outside every
    matching window, still the first that matches: a page is better read with a layout
    of its site than with none (the cascade warns). None when no pattern matches."""
    matching = [p for p in profiles if p.matches(url)]
    if not matching:
        return None
    day = capture_day(when) if any(p.dated for p in matching) else None
    if day is None:
        return matching[0]
    return next((p for p in matching if p.live_on(day)), matching[0])
