"""Item pipelines: validate each Article against the schema, then store it.

A record that fails validation is not dropped silently: it is stored as a failure of
its page (and so retried and reported) and logged with the schema error.

A refusal by the scope check (crawler.components.scope) is permanent: it is stored as a
failure of kind "refused", which is never retried, and once a URL has been refused, the
same refusal in a later run (the site still links it) is only counted
(``refused_before``), not recorded as a failure of that run again.
"""

from __future__ import annotations

from scrapy.exceptions import DropItem

from archive.harvest import HarvestWriteFailed, harvest_of
from crawler.components.finish import is_refusal
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

    def __init__(self, harvest):
        super().__init__(harvest)
        self._refused: set[tuple[str, str]] | None = None

    def refused_before(self, site: str, url: str) -> bool:
        """Whether an earlier run recorded a refusal of ``url`` by the scope check."""
        if self._refused is None:
            store = self.harvest.store

            def refusals(failures):
                return {(f["site"], f["url"]) for f in failures if is_refusal(f["error"])}

            # Those this run recorded are new ones: a URL refused before is not recorded.
            self._refused = refusals(store.failures()) - refusals(
                store.failures(self.harvest.run_id))
        return (site, url) in self._refused

    def process_item(self, item, spider=None):
        try:
            return self._store(item)
        except HarvestWriteFailed as exc:
            # The crawl is stopping (RunStops): the item cannot be kept, and one line
            # says so at the end; no traceback per item in the log.
            raise DropItem(f"not stored: {exc}") from None

    def _store(self, item):
        h = self.harvest
        if isinstance(item, PageFailure):
            if is_refusal(item.error):
                if self.refused_before(item.site, item.url):
                    h.counts[item.site]["refused_before"] += 1
                    return item
                h.record_failure(item.site, item.url, item.error, item.status, "refused")
            else:
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
