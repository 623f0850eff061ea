"""Item pipelines: validate each Article against the schema, then store it.

A record that fails validation is not dropped silently: it is stored as a failure of
its page (and so retried and reported) and logged with the schema error.
"""

from __future__ import annotations

from scrapy.exceptions import DropItem

from archive.harvest import harvest_of
from crawler.extract.validation import schema_errors
from crawler.items import PageFailure, Unchanged
from crawler.monitor.drift import DriftSample


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
            self.harvest.record_failure(item.get("site", "?"), item.get("url", "?"),
                                        "invalid record: " + "; ".join(errors[:3]))
            raise DropItem(f"invalid Article {item.get('url')}: {errors[0]}")
        return item


class StorePipeline(_HarvestPipeline):
    """Save Articles (new / changed / unchanged) and PageFailures in the store."""

    def process_item(self, item, spider=None):
        h = self.harvest
        if isinstance(item, PageFailure):
            h.record_failure(item.site, item.url, item.error, item.status, item.kind)
        elif isinstance(item, DriftSample):
            h.drift[item.site].append(item)
        elif isinstance(item, Unchanged):
            h.counts[item.site]["unchanged"] += 1
        else:
            outcome = h.keep_article(item)
            h.counts[item["site"]][outcome] += 1
            h.counts[item["site"]][f"method_{item['extraction']['method']}"] += 1
        return item
