"""What spiders yield besides Articles: pages that failed, and known pages left alone.

The Article itself is a plain dict (``crawler.extract``, schema ``crawler/schema``);
these two small records travel the same way to the pipelines, the progress display, the
canary and the shared frontier.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class Unchanged:
    """A known article this run did not need to download again (or that answered 304)."""

    site: str
    url: str


@dataclass
class PageFailure:
    """A page that could not be fetched; stored, reported and retried next run."""

    site: str
    url: str
    error: str
    status: int | None = None
    kind: str = "article"  # or "listing": listings are re-walked, not retried as articles
