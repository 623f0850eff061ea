"""What spiders yield besides Articles, and the refusals components report back to them.

The Article itself is a plain dict (``crawler.extract``, schema ``crawler/schema``);
these two small records travel the same way to the pipelines, the progress display, the
canary and the shared frontier.
"""

from __future__ import annotations

from dataclasses import dataclass

from scrapy.exceptions import IgnoreRequest


@dataclass
class Unchanged:
    """A known article this run did not need to download again (or that answered 304)."""

    site: str
    url: str


@dataclass
class PageFailure:
    """A page that could not be fetched; stored, reported and retried next run (a
    request the scope check refused, kind "refused", is recorded once and not retried)."""

    site: str
    url: str
    error: str
    status: int | None = None
    kind: str = "article"  # or "listing": listings are re-walked, not retried as articles


class OutOfScope(IgnoreRequest):
    """A request outside the site (scheme, host, port or length): never sent, recorded
    as a failure (crawler.components.scope)."""


class OffSiteLink(IgnoreRequest):
    """A link the site itself gives to another host (no redirect involved): not followed
    and not a failure, as Scrapy's offsite filter (which the scope check replaces) did."""
