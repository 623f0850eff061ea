"""A harvest directory and the state one run shares between Scrapy components.

Layout of ``DIR`` (``--out``, default ``./harvest``)::

    kronika.sqlite        articles, versions, captures, runs, failures (unless the
                          store is PostgreSQL: --store, archive/stores.py)
    warc/*.warc.gz        WARC/1.1 captures of every response
    indexes/*.cdxj        CDXJ indexes of the WARC files (archive/indexes.py)
    runs/run-NNNNN.json   one manifest per run (counts, failures, versions, checksums)
    logs/run-NNNNN.log    the run's full log

Everything a run writes to disk goes through here: WARC records and the store's capture
and payload index (``archive_exchange``), an Article and its metadata record
(``keep_article``), failures (``record_failure``).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable
from pathlib import Path

from scrapy.exceptions import NotConfigured

from archive.store import STORE_NAME, Store
from archive.warc import (
    DEFAULT_MAX_SIZE,
    WarcFile,
    article_link_fields,
    payload_digest,
    warc_prefix,
    warcinfo,
)


class Harvest:
    """Open (creating if needed) a harvest directory for one run."""

    def __init__(self, out_dir: Path, command: str, operator: str, user_agent: str,
                 software: str, collection: str = "kronika", settings: dict | None = None,
                 warc_max_size: int = DEFAULT_MAX_SIZE, store=None, worker: str | None = None,
                 tally: Callable[[], object] = list):
        self.dir = Path(out_dir)
        for sub in ("warc", "runs", "logs"):
            (self.dir / sub).mkdir(parents=True, exist_ok=True)
        # ``store``: an open store (archive.stores.open_store, e.g. PostgreSQL shared by
        # the workers of a crawl); by default the SQLite file of this directory.
        self.store = store if store is not None else Store(self.dir / STORE_NAME)
        self.run_id = self.store.start_run(command)
        self.worker = worker  # a shared crawl's worker name, in its WARC file names
        self.warc = WarcFile(self.dir / "warc", warc_prefix(self.run_id, worker),
                             warcinfo(software, operator, user_agent, collection, settings),
                             max_size=warc_max_size)
        self.counts: dict[str, Counter] = defaultdict(Counter)
        # site -> this run's drift tally; the crawler says what a tally is (the archive
        # only keeps it for the run), so nothing here depends on the crawler.
        self.drift: dict = defaultdict(tally)

    def __deepcopy__(self, memo):
        # Scrapy deep-copies its settings, where the runner puts the harvest for the
        # middleware and pipelines to find; it is one shared run, never to be cloned.
        return self

    @property
    def log_path(self) -> Path:
        return self.dir / "logs" / f"run-{self.run_id:05d}.log"

    @property
    def manifest_path(self) -> Path:
        return self.dir / "runs" / f"run-{self.run_id:05d}.json"

    def archive_exchange(self, url: str, request_line: str, request_headers: list,
                         status: int, status_line: str, response_headers: list, body: bytes,
                         protocol: str = "HTTP/1.1") -> dict:
        """Write one response and its request to the WARC files (a revisit when the
        payload was archived before) and index the capture in the store. Returns the
        capture: file, record id, payload digest, date, type."""
        # Only payloads worth pointing at: an empty body or an error page is kept whole.
        worth_pointing_at = bool(body) and status < 400
        original = self.store.find_payload(payload_digest(body)) if worth_pointing_at else None
        capture = self.warc.write_exchange(url, request_line, request_headers, status_line,
                                           response_headers, body, protocol=protocol,
                                           original=original)
        if capture["type"] == "response" and worth_pointing_at:
            self.store.save_payload(capture["payload_digest"], url, capture["warc_file"],
                                    capture["record_id"], capture["date"])
        headers = {k.lower(): v for k, v in response_headers}
        self.store.save_capture(self.run_id, url, status, headers.get("content-type") or None,
                                capture["warc_file"], capture["record_id"],
                                capture["payload_digest"], etag=headers.get("etag") or None,
                                last_modified=headers.get("last-modified") or None)
        return capture

    def keep_article(self, record: dict) -> str:
        """Store an Article and tie it to its capture with a metadata record. Returns the
        store's outcome: new, changed or unchanged."""
        outcome = self.store.save_article(record, self.run_id)
        if record.get("capture"):
            self.warc.write_metadata(record["url"], record["capture"]["record_id"],
                                     article_link_fields(record))
        return outcome

    def record_failure(self, site: str, url: str, error: str, status: int | None = None,
                       kind: str = "article") -> None:
        """A page that failed: kept until a later run fetches it."""
        self.store.save_failure(self.run_id, site, url, error, status, kind)
        self.counts[site]["failed"] += 1

    def close(self) -> None:
        self.warc.close()
        self.store.close()


def harvest_of(crawler) -> Harvest:
    """The run's Harvest: the one ``kronika crawl`` puts in the settings, else the one
    a bare ``scrapy crawl`` opened and hung on the crawler (an extension of the crawler's,
    built before the components that need it). Those components are switched off
    (NotConfigured) in a process that keeps no harvest (``kronika check``, ``fixtures
    capture``)."""
    harvest = crawler.settings.get("KRONIKA_HARVEST")
    if harvest is None:
        harvest = getattr(crawler, "kronika_harvest", None)
    if harvest is None:
        raise NotConfigured("no harvest directory")
    return harvest
