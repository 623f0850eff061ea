"""The PostgreSQL store: the SQLite store's tables and meaning, shared by many workers.

``kronika crawl --store postgresql://...`` keeps articles, versions, captures, runs,
failures, near-duplicates and the payload-digest index here, so that crawl workers on
several machines write one harvest. What a store does is written once, in archive/sql.py
(shared with the SQLite store); this module holds what PostgreSQL and concurrency need:

* run and capture ids come from sequences, so they are unique across workers (WARC file
  names and manifests use them);
* ``save_article`` locks the article row (``SELECT ... FOR NO KEY UPDATE``) before
  deciding new / changed / unchanged, so two workers saving the same article at once give
  one "new" and one "unchanged", never two rows or two versions; workers indexing texts
  in the same LSH buckets take turns, so no pair of near-duplicates is missed;
* a transaction that PostgreSQL aborts as a deadlock or serialization failure (possible
  when two workers re-index near-duplicates of each other) is retried;
* full-text search uses a ``tsvector`` column instead of FTS5, over text with diacritics
  folded in Python (``pomoc spoleczna`` finds ``pomoc społeczna``; unlike SQLite's
  tokenizer it folds ``ł`` too), so no server extension is needed;
* exports stream through a server-side cursor;
* a connection lost (the server restarted, the backend terminated, the network down) is
  made again with backoff and the call run again, so a page fetched while the server
  was away is stored when it returns; past the outage budget the call raises
  StoreUnreachable (one line) and the ``on_lost`` callbacks stop the crawl. Passwords
  come from libpq (``~/.pgpass``, ``PGPASSFILE``, ``PGPASSWORD``), never from the URL;
* each run row says which worker ran it and which crawl generation it belonged to
  (``runs.worker``, ``runs.crawl``), so that whether a generation finished is read from
  all its runs (``last_crawl_state``), not from the last one.

Each call commits at once (autocommit, or one transaction per method), as in SQLite: a
killed worker loses nothing it has stored.
"""

from __future__ import annotations

import functools
import logging
import re
import time
import unicodedata
from contextlib import contextmanager

import psycopg
from psycopg import errors
from psycopg.pq import TransactionStatus
from psycopg.types.json import Jsonb

from archive.sql import SCHEMA as TABLES
from archive.sql import SqlStore
from archive.stores import StoreUnreachable, redact

logger = logging.getLogger(__name__)

SCHEMA = TABLES.format(serial="BIGSERIAL", json="JSONB", blob="BYTEA", c=' COLLATE "C"',
                       search=",\n    search TSVECTOR") + """
CREATE INDEX IF NOT EXISTS articles_search ON articles USING GIN (search);
ALTER TABLE runs ADD COLUMN IF NOT EXISTS worker TEXT, ADD COLUMN IF NOT EXISTS crawl TEXT;
CREATE INDEX IF NOT EXISTS runs_crawl ON runs (crawl);
"""
# Any constant: serializes schema creation when several workers open a new database at
# once (concurrent CREATE TABLE IF NOT EXISTS can still collide in the catalogs).
_SCHEMA_LOCK = 0x6B726F6E
_RETRIES = 5
# As crawler.scale.frontier's: how long a lost server is waited for before giving up.
DEFAULT_OUTAGE_BUDGET = 120.0
BACKOFF_FIRST, BACKOFF_MAX = 0.1, 5.0
CONNECT_TIMEOUT = 10  # libpq waits forever for a host that does not answer

# Folded like the search text: NFKD without combining marks, plus the letters Unicode
# does not decompose (ł, đ, ø...).
_FOLD = str.maketrans({"ł": "l", "Ł": "L", "đ": "d", "Đ": "D", "ø": "o", "Ø": "O",
                       "ß": "ss"})
_QUERY_TOKEN = re.compile(r'"([^"]*)"|(\()|(\))|([^\s()"]+)')


def fold(text: str) -> str:
    """Lower-case text with diacritics removed, for indexing and querying alike."""
    decomposed = unicodedata.normalize("NFKD", (text or "").translate(_FOLD))
    return "".join(c for c in decomposed if not unicodedata.combining(c)).lower()


def _words(text: str) -> list[str]:
    return re.findall(r"\w+", fold(text))


def to_tsquery(query: str) -> str:
    """An FTS5-style query (words, "phrases", AND, OR, NOT, parentheses, implicit AND) as
    a PostgreSQL tsquery over folded words, so callers of ``search`` need not care which
    store they have."""
    parts: list[str] = []

    def operand_expected() -> bool:
        return not parts or parts[-1] in ("&", "|", "!", "(", "& !")

    for phrase, opening, closing, word in _QUERY_TOKEN.findall(query):
        if word in ("AND", "OR", "NOT"):
            if parts and not operand_expected():
                parts.append({"AND": "&", "OR": "|", "NOT": "& !"}[word])
            continue
        if closing:
            if parts and parts[-1] not in ("&", "|", "& !"):
                parts.append(")")
            continue
        words = [opening] if opening else _words(phrase if phrase else word)
        if not words:
            continue
        if not operand_expected():
            parts.append("&")
        parts.append("(" if opening else " <-> ".join(f"'{w}'" for w in words))
    while parts and parts[-1] in ("&", "|", "& !", "("):
        parts.pop()
    text = " ".join(parts)
    # Unbalanced parentheses from user input: close them rather than fail.
    return " ".join([text] + [")"] * max(0, text.count("(") - text.count(")")))


def _as_written(value):
    """A record read back from jsonb, which keeps keys in an order of its own (shortest
    first), with its keys sorted at every level, as the SQLite store writes them: an
    export is the same bytes from either store."""
    if isinstance(value, dict):
        return {key: _as_written(value[key]) for key in sorted(value)}
    if isinstance(value, list):
        return [_as_written(item) for item in value]
    return value


def _retrying(method):
    """Run a write transaction again when PostgreSQL aborted it to break a deadlock or
    a serialization conflict between workers (it is safe: nothing of it was kept). Not
    within a caller's transaction(): that one still holds its locks, and is the caller's
    to run again."""
    @functools.wraps(method)
    def wrapper(self, *args, **kwargs):
        own_transaction = self.db.info.transaction_status == TransactionStatus.IDLE
        for attempt in range(1, _RETRIES + 1):
            try:
                return method(self, *args, **kwargs)
            except (errors.DeadlockDetected, errors.SerializationFailure):
                if not own_transaction or attempt == _RETRIES:
                    raise
                time.sleep(0.05 * attempt)
    return wrapper


def _one_line(exc: Exception) -> str:
    return " ".join(str(exc).split()) or type(exc).__name__


def _reconnecting(method):
    """Run a call again on a new connection when the old one was lost, with backoff, for
    up to the store's outage budget (then StoreUnreachable). Only at the top: within a
    caller's transaction the whole transaction is what must be run again."""
    @functools.wraps(method)
    def wrapper(self, *args, **kwargs):
        if not self._lost_connection() and \
                self.db.info.transaction_status != TransactionStatus.IDLE:
            return method(self, *args, **kwargs)
        pause = BACKOFF_FIRST
        while True:
            try:
                if self._lost_connection():
                    self.db = self._connect()
                result = method(self, *args, **kwargs)
            except psycopg.OperationalError as exc:
                if not self._lost_connection():
                    raise  # an answer of the server (a timeout, a cancel), not an outage
                left = self._unreachable(exc)
                time.sleep(min(pause, left))
                pause = min(pause * 2, BACKOFF_MAX)
                continue
            self._reachable()
            return result
    return wrapper


class PgStore(SqlStore):
    """A harvest store in PostgreSQL, shared by the workers of a scaled-out crawl."""

    # The row lock makes a concurrent save of the same article wait, and then see this
    # one's content hash. NO KEY: other workers' near-duplicate links to this article
    # (foreign keys) need not wait for it.
    LOCK_ROW = " FOR NO KEY UPDATE"

    def __init__(self, dsn: str, budget: float = DEFAULT_OUTAGE_BUDGET):
        self.dsn = dsn
        self.path = None  # not a file: nothing to checksum into the run manifest
        self.budget = budget
        self.on_lost: list = []       # called once with the message when the budget is spent
        self.lost: str | None = None
        self._down_since: float | None = None
        self.db = self._connect()
        self._prepare(SCHEMA)

    def _connect(self) -> psycopg.Connection:
        timeout = {} if "connect_timeout" in psycopg.conninfo.conninfo_to_dict(self.dsn) \
            else {"connect_timeout": CONNECT_TIMEOUT}
        db = psycopg.connect(psycopg.conninfo.make_conninfo(self.dsn, **timeout),
                             autocommit=True)
        # psycopg prepares a statement run five times, and PostgreSQL then may plan it
        # once for any parameters: for the LSH bucket lookup (a VALUES list joined to
        # lsh_bands) that generic plan read the whole table, so indexing an article
        # slowed as the store grew (8.6 ms at 5,000 articles, 0.5 ms planned each time).
        db.execute("SET plan_cache_mode = force_custom_plan")
        return db

    def _lost_connection(self) -> bool:
        return self.db.closed or self.db.broken

    def _unreachable(self, exc: Exception) -> float:
        """Note a lost connection; the seconds left of the budget, or StoreUnreachable
        (once lost for good, every later call fails at once)."""
        now = time.monotonic()
        if self._down_since is None:
            self._down_since = now
            logger.warning("store: PostgreSQL at %s is unreachable (%s); retrying for up to "
                           "%g s", redact(self.dsn), _one_line(exc), self.budget)
        left = self._down_since + self.budget - now
        if left <= 0 or self.lost:
            if self.lost is None:
                self.lost = (f"the store at {redact(self.dsn)} was unreachable for "
                             f"{self.budget:g} s ({_one_line(exc)})")
                for callback in self.on_lost:
                    callback(self.lost)
            raise StoreUnreachable(self.lost)
        return left

    def _reachable(self) -> None:
        if self._down_since is not None:
            logger.warning("store: PostgreSQL at %s answers again after %.1f s",
                           redact(self.dsn), time.monotonic() - self._down_since)
            self._down_since = None

    def close(self) -> None:
        if not self.db.closed:
            self.db.close()

    def tag_run(self, run_id: int, worker: str, crawl: str) -> None:
        """Record which worker ran ``run_id``, in which crawl generation."""
        self._execute("UPDATE runs SET worker=?, crawl=? WHERE id=?", (worker, crawl, run_id))

    def last_crawl_state(self) -> str | None:
        """How the last crawl ended, as ``last_run_state`` says of a run: for a shared
        crawl, judged on every run of its generation (a worker killed, interrupted,
        drained or cut off makes the whole generation unfinished, however the last
        worker to end fared); for a run of one process, on that run."""
        row = self._one("SELECT crawl FROM runs ORDER BY id DESC LIMIT 1")
        if row is None:
            return None
        if row[0] is None:
            return self.last_run_state(2 ** 62)
        state = "finished"
        for finished, summary in self._execute(
                "SELECT finished_at, summary FROM runs WHERE crawl=?", (row[0],)).fetchall():
            if finished is None:
                return "unfinished"
            summary = summary or {}
            if summary.get("interrupted") or \
                    summary.get("finish_reason", "finished") != "finished":
                state = "interrupted"
        return state

    def __repr__(self) -> str:
        return f"PgStore({redact(self.dsn)!r})"

    # Whole transactions, so they can be run again (see _retrying).
    save_article = _retrying(SqlStore.save_article)
    save_capture = _retrying(SqlStore.save_capture)

    def _sql(self, sql: str) -> str:
        # Every ? of the shared SQL is a parameter (none uses jsonb's ? operator).
        return sql.replace("?", "%s")

    @contextmanager
    def transaction(self):
        # psycopg's: outside a transaction it opens one; inside, it is a savepoint.
        with self.db.transaction():
            yield self.db

    @contextmanager
    def _opening(self):
        with self.transaction():
            self._execute("SELECT pg_advisory_xact_lock(?)", (_SCHEMA_LOCK,))
            yield

    def _script(self, ddl: str) -> None:
        self.db.execute(ddl)

    def _to_db(self, value: dict) -> Jsonb:
        return Jsonb(value)

    def _from_db(self, stored: dict) -> dict:
        return _as_written(stored)

    def _stream(self, sql: str, args: list):
        # A named (server-side) cursor streams the rows instead of loading them all. It
        # lives in a transaction: on a connection of its own, so that this one's writes
        # still commit at once.
        # A stream half read cannot be run again: a lost server ends it in one line.
        try:
            with psycopg.connect(self.dsn) as db, db.cursor(name="iter_articles") as cursor:
                cursor.execute(self._sql(sql), args)
                yield from cursor
        except psycopg.OperationalError as exc:
            raise StoreUnreachable(f"the store at {redact(self.dsn)} went away while it was "
                                   f"read: {_one_line(exc)}") from None

    def _lock_buckets(self, keys: list[tuple[int, int]]) -> None:
        # Two workers indexing texts that share an LSH bucket at the same moment would
        # not see each other's uncommitted bands, and the pair would never be linked. A
        # transaction lock per bucket (taken in one order, so no deadlock among them)
        # makes the second wait for the first to commit and then find it. One round
        # trip for all of them (32 were most of an article's indexing time): unnest
        # yields the sorted array's elements in order.
        locks = sorted({(band << 56) ^ bucket for band, bucket in keys})
        if locks:
            self._execute("SELECT count(pg_advisory_xact_lock(lock))"
                          " FROM unnest(?::bigint[]) AS lock", (locks,)).fetchall()

    def _index_search(self, record: dict) -> None:
        # Titles weigh more than bodies; both folded as queries are (to_tsquery).
        self._execute("UPDATE articles SET search = setweight(to_tsvector('simple', ?), 'A')"
                      " || to_tsvector('simple', ?) WHERE id=?",
                      (fold(record["title"]), fold(record["text"]), record["id"]))

    def search(self, query: str, limit: int = 20) -> list[dict]:
        tsquery = to_tsquery(query)
        if not tsquery:
            return []
        rows = self._execute(
            "SELECT id, site, title FROM articles, to_tsquery('simple', ?) q"
            " WHERE search @@ q ORDER BY ts_rank(search, q) DESC, id LIMIT ?",
            (tsquery, limit))
        return [dict(zip(("id", "site", "title"), r, strict=True)) for r in rows]


# Every call that talks to the server survives a lost connection (see _reconnecting).
# Not iter_articles: a stream half read cannot be run again from the start.
for _name in ("start_run", "finish_run", "last_summary", "last_run_state",
              "last_run_finished", "save_article", "save_articles", "near_duplicates",
              "articles", "versions", "save_capture", "known_articles", "last_ok_capture",
              "find_payload", "save_payload", "restore_captures", "save_failure",
              "pending_failures", "failures", "search", "tag_run", "last_crawl_state"):
    setattr(PgStore, _name, _reconnecting(getattr(PgStore, _name)))
