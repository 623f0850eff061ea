"""A harvest directory and the state one run shares between Scrapy components.

Layout of ``DIR`` (``--out``, default ``./harvest``)::

    kronika.sqlite        articles, versions, captures, runs, failures (unless the
                          store is PostgreSQL: --store, archive/stores.py)
    warc/*.warc.gz        WARC/1.1 captures of every response
    indexes/*.cdxj        CDXJ indexes of the WARC files (archive/indexes.py)
    runs/run-NNNNN.json   one manifest per run (counts, failures, versions, WARC fixity)
    logs/run-NNNNN.log    the run's full log

Everything a run writes to disk goes through here: WARC records and the store's capture
and payload index (``archive_exchange``), an Article and its metadata record
(``keep_article``), failures (``record_failure``). So this is where a write that fails
(a full disk, a file-size limit, an I/O error) is caught: the WARC record being written
is cut back off, so every file ends on a whole record; the harvest takes no more writes
(each raises ``HarvestWriteFailed``); and the ``on_write_error`` callbacks stop the crawl.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
from collections import Counter, defaultdict
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit

from scrapy.exceptions import NotConfigured

from archive.store import STORE_NAME, Store
from archive.warc import (
    DEFAULT_MAX_SIZE,
    WarcFile,
    article_link_fields,
    capture_source,
    payload_digest,
    warc_prefix,
    warcinfo,
)


class HarvestWriteFailed(Exception):
    """The harvest could not be written (a full disk, a file-size limit, an I/O error).
    The message names the file and the reason, in one line."""

    def __init__(self, path: Path, reason: str):
        self.path, self.reason = Path(path), reason
        super().__init__(f"cannot write {path}: {reason}")


# SQLite's result codes for a write the disk refused (the low byte of an extended code).
_SQLITE_FULL, _SQLITE_IOERR = 13, 10


def disk_refused(exc: sqlite3.Error) -> bool:
    """Whether an sqlite3 error says the disk refused a write (full, or an I/O error)."""
    code = getattr(exc, "sqlite_errorcode", None)
    return code is not None and code & 0xFF in (_SQLITE_FULL, _SQLITE_IOERR)


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
        self.settings = settings or {}
        # The real scheme://host of the sites a mirror (--base-url) stood in for, as the
        # recorder sees them: named in the warcinfo of every WARC file opened after.
        self.mirrored: list[str] = []
        self.counts: dict[str, Counter] = defaultdict(Counter)
        # site -> this run's drift tally; the crawler says what a tally is (the archive
        # only keeps it for the run), so nothing here depends on the crawler.
        self.drift: dict = defaultdict(tally)
        # Called once with the HarvestWriteFailed when a write fails (to stop the crawl).
        self.on_write_error: list[Callable[[HarvestWriteFailed], object]] = []
        self.write_error: HarvestWriteFailed | None = None

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
                         protocol: str = "HTTP/1.1", truncated: str | None = None,
                         ip_address: str | None = None, fetched_from: str | None = None) -> dict:
        """Write one response and its request to the WARC files (a revisit when the
        payload was archived before, or when it is a 304 to a capture the store holds)
        and index the capture in the store. Returns the capture: file, record id,
        payload digest, date, type. ``truncated``: the body was cut (WARC-Truncated's
        reason): never a revisit nor the original of one (its digest is not the page's),
        and indexed without its validators, so that the next run fetches the page whole
        instead of asking whether it changed. ``ip_address``: where the bytes came from;
        ``fetched_from``: the URL they came from when it is not ``url`` (a mirror)."""
        with self._writing():
            self._note_mirror(url, fetched_from)
            return self._archive_exchange(url, request_line, request_headers, status,
                                          status_line, response_headers, body, protocol,
                                          truncated, ip_address)

    def _note_mirror(self, url: str, fetched_from: str | None) -> None:
        real = _origin(url)
        if not fetched_from or _origin(fetched_from) == real or real in self.mirrored:
            return
        self.mirrored.append(real)
        self.warc.info["kronika-capture-source"] = capture_source(
            self.settings.get("base_url") or _origin(fetched_from),
            self.settings.get("sites") or [], self.mirrored)

    def validated_capture(self, url: str) -> dict | None:
        """The capture a conditional request for ``url`` took its validator from (the
        store's known_articles reads the last 200 capture's ETag and Last-Modified), as
        the record a 304 refers to: the response record that holds its payload (the
        capture itself may be a revisit), else the capture. None if there is none."""
        capture = self.store.last_ok_capture(url)
        if capture is None:
            return None
        original = self.store.find_payload(capture["payload_digest"]) \
            if capture["payload_digest"] else None
        if original is None:
            return {**capture, "date": None}
        return {**original, "payload_digest": capture["payload_digest"]}

    def _archive_exchange(self, url, request_line, request_headers, status, status_line,
                          response_headers, body, protocol, truncated, ip_address) -> dict:
        # Only payloads worth pointing at: an empty body or an error page is kept whole.
        worth_pointing_at = bool(body) and status < 400 and not truncated
        original = self.store.find_payload(payload_digest(body)) if worth_pointing_at else None
        # A 304 whose original the store does not hold stays a response record.
        not_modified = self.validated_capture(url) if status == 304 else None
        capture = self.warc.write_exchange(url, request_line, request_headers, status_line,
                                           response_headers, body, protocol=protocol,
                                           original=original, truncated=truncated,
                                           not_modified=not_modified, ip_address=ip_address)
        if capture["type"] == "response" and worth_pointing_at:
            self.store.save_payload(capture["payload_digest"], url, capture["warc_file"],
                                    capture["record_id"], capture["date"])
        headers = {k.lower(): v for k, v in response_headers}
        validators = {} if truncated else {"etag": headers.get("etag") or None,
                                           "last_modified": headers.get("last-modified") or None}
        self.store.save_capture(self.run_id, url, status, headers.get("content-type") or None,
                                capture["warc_file"], capture["record_id"],
                                capture["payload_digest"], **validators)
        return capture

    def keep_article(self, record: dict) -> str:
        """Store an Article and tie it to its capture with a metadata record. Returns the
        store's outcome: new, changed or unchanged."""
        with self._writing():
            outcome = self.store.save_article(record, self.run_id)
            if record.get("capture"):
                self.warc.write_metadata(record["url"], record["capture"]["record_id"],
                                         article_link_fields(record))
        return outcome

    def record_failure(self, site: str, url: str, error: str, status: int | None = None,
                       kind: str = "article") -> None:
        """A page that failed: kept until a later run fetches it."""
        with self._writing():
            self.store.save_failure(self.run_id, site, url, error, status, kind)
        self.counts[site]["failed"] += 1

    @contextlib.contextmanager
    def _writing(self):
        """Around every write of a run: after a failed write, none is tried (the crawl is
        stopping); a write that fails cuts the WARC files back to their last whole
        record and raises HarvestWriteFailed, once the ``on_write_error`` callbacks ran."""
        if self.write_error is not None:
            raise self.write_error
        mark = self._warc_mark()
        try:
            yield
        except OSError as exc:
            self._write_failed(Path(exc.filename or self.warc.path), exc.strerror or str(exc),
                               mark, exc)
        except sqlite3.Error as exc:
            if not disk_refused(exc):
                raise
            where = self.store.path or "the store"
            self._write_failed(Path(where), str(exc), mark, exc)

    def _warc_mark(self) -> tuple[int, int]:
        """Where the WARC files end now: how many there are, and the last one's size (the
        writer flushes after every record, so that is the end of a whole record)."""
        count = len(self.warc.files)
        try:
            size = self.warc.path.stat().st_size if count else 0
        except OSError:
            size = 0
        return count, size

    def _write_failed(self, path: Path, reason: str, mark: tuple[int, int], exc: Exception):
        self.write_error = HarvestWriteFailed(path, reason)
        self._cut_back(mark)
        for callback in self.on_write_error:
            callback(self.write_error)
        raise self.write_error from exc

    def _cut_back(self, mark: tuple[int, int]) -> None:
        """Cut the WARC files back to ``mark``: the record being written is dropped (a
        gzip member cut short would pass `warcio check`, yet hold half a record), and so is
        a file opened for it. Truncating frees space; it works on a full disk."""
        count, size = mark
        warc = self.warc
        with contextlib.suppress(OSError, ValueError):
            warc.close()  # its buffer cannot be flushed: the bytes go with the cut
        # A close whose flush failed still closes the file, but leaves it referenced.
        warc._fh = warc._writer = None
        for name in warc.files[count:]:
            with contextlib.suppress(OSError):
                (warc.directory / name).unlink()
        del warc.files[count:]
        if count:
            with contextlib.suppress(OSError):
                os.truncate(warc.directory / warc.files[-1], size)

    def close(self) -> None:
        if self.write_error is None:
            self.warc.close()
            self.store.close()
            return
        # After a failed write: close what can be closed; the disk may refuse the rest.
        with contextlib.suppress(OSError, ValueError):
            self.warc.close()
        with contextlib.suppress(sqlite3.Error, OSError):
            self.store.close()


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


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
