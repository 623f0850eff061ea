"""The ``request.meta`` keys that Scrapy components, spiders and the WARC recorder share.

They live at the bottom of the layers (``archive``, which imports nothing of the
crawler) so that every side imports one name instead of restating a string literal.
"""

from __future__ import annotations

# The site's real URL of a request the mirror router sent to a mirror (--base-url);
# everything that names the page (WARC records, failures, politeness) reads it first.
REAL_URL = "kronika_real_url"
# Written by the WARC recorder: the capture (file, record id, payload digest) and its
# WARC-Date, which reach the Article as ``capture`` and ``fetched_at``.
WARC_CAPTURE = "warc_capture"
WARC_DATE = "warc_date"
# Set by the spiders: the date and page of the listing an article was found on.
LISTING_DATE = "listing_date"
LISTING_URL = "listing_url"
# A conditional re-check of an article the store already holds.
KNOWN = "kronika_known"
# A gallery image or attachment: archived, not extracted.
MEDIA = "media"
# The per-host gate a shared crawl's worker holds for a request (crawler.scale).
GATE = "kronika_gate"
# The URL the spider asked for, kept through retries and redirects (Scrapy copies meta),
# so that a refused redirect is recorded against the page that led to it.
ORIGIN_URL = "kronika_origin_url"


def real_url(request) -> str:
    """The site's URL of ``request``, wherever it was sent."""
    return request.meta.get(REAL_URL, request.url)


def origin_url(request) -> str:
    """The site's URL the spider asked for, before any redirect."""
    return request.meta.get(ORIGIN_URL) or real_url(request)
