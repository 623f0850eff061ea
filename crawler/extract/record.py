"""The Article record: what a site tells the extractor, and the dict it gets back.

``SiteRules`` is everything the extractor knows about a site (taken from its spider);
``article_record`` puts the cascade's findings into the shape of the shipped schema
(``crawler/schema/article-1.0.json``): the id derived from the canonical URL, the
text's hash, validation in strict mode.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

from crawler.extract.profile import Profile
from crawler.extract.text import Block, blocks_html
from crawler.extract.urls import article_id, canonicalize
from crawler.extract.validation import check

SCHEMA_VERSION = "1.0"


@dataclass(frozen=True)
class SiteRules:
    """What the extractor needs to know about a site (taken from its spider)."""

    slug: str
    profiles: tuple[Profile, ...] = ()
    host_aliases: dict = field(default_factory=dict)
    drop_params: tuple[str, ...] = ()
    url_rewrites: tuple[tuple[str, str], ...] = ()


def canonical_url(url: str, rules: SiteRules | None) -> str:
    """The URL the article is known by: the site's host aliases, dropped parameters and
    rewrites applied (the generic canonical form without rules)."""
    if rules is None:
        return canonicalize(url, None, (), ())
    return canonicalize(url, rules.host_aliases, rules.drop_params, rules.url_rewrites)


def article_record(*, url: str, rules: SiteRules | None, profile: Profile | None,
                   title: str, published: tuple, modified: str | None,
                   author: str | None, source: str | None, category: str | None,
                   lead: str | None, text: str, blocks: list[Block], images: list[dict],
                   attachments: list[dict], language: str, fetched_at: str | None,
                   method: str, warnings: list[str], capture: dict | None) -> dict:
    """The Article as a JSON-ready dict. ``published`` is (date, raw text, source).
    Raises ValueError in strict mode (KRONIKA_STRICT=1) if it breaks the schema."""
    canonical = canonical_url(url, rules)
    record = {
        "schema_version": SCHEMA_VERSION,
        "id": article_id(canonical),
        "site": rules.slug if rules else "generic",
        "url": url,
        "canonical_url": canonical,
        "title": title,
        "published": published[0],
        "published_raw": published[1],
        "published_source": published[2],
        "modified": modified,
        "author": author,
        "source": source,
        "category": category,
        "lead": lead,
        "text": text,
        "html": blocks_html(blocks),
        "images": images,
        "attachments": attachments,
        "language": language,
        "content_hash": "sha256:" + hashlib.sha256(text.encode("utf-8")).hexdigest(),
        "fetched_at": fetched_at,
        "extraction": {
            "method": method,
            # Which layout read the page, so a re-extraction can be compared with it.
            "profile": f"{rules.slug}/{profile.layout}" if rules and profile else None,
            "warnings": warnings,
        },
        "capture": capture,
    }
    return check(record)
