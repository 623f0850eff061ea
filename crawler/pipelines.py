"""Item pipelines: validate each Article against the schema, then store it.

A record that fails validation is not dropped silently: it is stored as a failure of
its page (and so retried and reported) and logged with the schema error.
"""

from __future__ import annotations

from scrapy.exceptions import DropItem

from archive.harvest import harvest_of

from .base import PageFailure, Unchanged
from .drift import DriftSample
from .validation import schema_errors


class _HarvestPipeline:
    def __init__(self, harvest):
        self.harvest = harvest

    @classmethod
    def from_crawler(cls, crawler):
        return cls(harvest_of(crawler))


class ValidatePipeline(_HarvestPipeline):
    """Reject (as a recorded failure) any Article that does not match the schema."""

    def process_item(self, item, spider=None):
        if not isinstance(item, dict):  # PageFailure, DriftSample
            return item
        errors = schema_errors(item)
        if errors:
            h = self.harvest
            h.store.save_failure(h.run_id, item.get("site", "?"), item.get("url", "?"),
                                 "invalid record: " + "; ".join(errors[:3]), None)
            h.counts[item.get("site", "?")]["failed"] += 1
            raise DropItem(f"invalid Article {item.get('url')}: {errors[0]}")
        return item


class StorePipeline(_HarvestPipeline):
    """Save Articles (new / changed / unchanged) and PageFailures in the store."""

    def process_item(self, item, spider=None):
        h = self.harvest
        if isinstance(item, PageFailure):
            h.store.save_failure(h.run_id, item.site, item.url, item.error, item.status,
                                 item.kind)
            h.counts[item.site]["failed"] += 1
        elif isinstance(item, DriftSample):
            h.drift[item.site].append(item)
        elif isinstance(item, Unchanged):
            h.counts[item.site]["unchanged"] += 1
        else:
            outcome = h.store.save_article(item, h.run_id)
            h.counts[item["site"]][outcome] += 1
            h.counts[item["site"]][f"method_{item['extraction']['method']}"] += 1
            if item.get("capture"):
                h.warc.write_metadata(item["url"], item["capture"]["record_id"],
                                      article_link_fields(item))
        return item


def article_link_fields(record: dict) -> dict:
    """The metadata record that ties a capture to its Article, with what re-extraction
    needs besides the page itself (the listing's date)."""
    return {
        "kronika-article-id": record["id"],
        "kronika-site": record["site"],
        "kronika-canonical-url": record["canonical_url"],
        "kronika-schema-version": record["schema_version"],
        "kronika-extraction": f"{record['extraction']['method']} "
                              f"{record['extraction']['profile'] or ''}".strip(),
        "kronika-listing-date": record["published_raw"]
        if record["published_source"] == "listing" else None,
    }
