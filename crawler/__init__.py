"""kronika's shared engine: extraction cascade, Polish dates, settings, CLI.

Public API: ``extract_article(html, url, site=None)`` returns the Article record (a
JSON-ready dict, schema ``crawler/schema/article-1.0.json``) for one saved page.
"""

from __future__ import annotations

__version__ = "0.1.0"
__all__ = ["__version__", "extract_article", "ARTICLE_SCHEMA_PATH"]

from pathlib import Path

ARTICLE_SCHEMA_PATH = Path(__file__).parent / "schema" / "article-1.0.json"


def extract_article(html: bytes | str, url: str, site: str | None = None, **options) -> dict:
    """Extract the Article from one page, with no network.

    ``site`` is a slug (see ``kronika sites``); without it the site is chosen by the URL's
    host, and an unknown host gets the generic extractor. ``options`` go to
    ``crawler.extract.extract`` (``content_type``, ``listing_date``, ``fetched_at``...).
    Raises ``crawler.spider.sites.UnknownSite`` for a slug that names no site.
    """
    from crawler.extract import extract
    from crawler.spider.sites import rules_for, site_for_url

    slug = site or site_for_url(url)
    return extract(html, url, rules_for(slug) if slug else None, **options)
