"""The PostgreSQL store: the SQLite store's tables and meaning, shared by many workers.

``kronika crawl --store postgresql://...`` keeps articles, versions, captures, runs,
failures, near-duplicates and the payload-digest index here, so that crawl workers on
several machines write one harvest. Every public method of ``archive.store.Store`` exists
with the same arguments and results; what differs is only what concurrency needs:

* run ids come from a sequence, so they are unique across workers (WARC file names and
  manifests use them);
* ``save_article`` inserts with ``ON CONFLICT DO NOTHING`` and then locks the article row
  (``SELECT ... FOR UPDATE``) before deciding new / changed / unchanged, so two workers
  saving the same article at once give one "new" and one "unchanged", never two rows or
  two versions; ``save_failure`` counts attempts with one atomic upsert;
* a transaction that PostgreSQL aborts as a deadlock or serialization failure (possible
  when two workers re-index near-duplicates of each other) is retried;
* full-text search uses a ``tsvector`` column instead of FTS5, over text with diacritics
  folded in Python (``pomoc spoleczna`` finds ``pomoc społeczna``; unlike SQLite's
  tokenizer it folds ``ł`` too), so no server extension is needed.

Each call commits at once (autocommit, or one transaction per method), as in SQLite: a
killed worker loses nothing it has stored.
"""

from __future__ import annotations

import re
import time
import unicodedata
from datetime import datetime, timezone

import psycopg
from psycopg import errors
from psycopg.types.json import Jsonb

from . import neardup

# Ordering must match SQLite's byte order (ISO dates, ids): every sortable text column
# uses the "C" collation whatever the database's default is.
SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    id BIGSERIAL PRIMARY KEY,
    started_at TEXT NOT NULL,
    finished_at TEXT,
    command TEXT NOT NULL,
    exit_code INTEGER,
    summary JSONB
);
CREATE TABLE IF NOT EXISTS articles (
    id TEXT COLLATE "C" PRIMARY KEY,
    site TEXT COLLATE "C" NOT NULL,
    canonical_url TEXT NOT NULL UNIQUE,
    url TEXT COLLATE "C" NOT NULL,
    title TEXT NOT NULL,
    published TEXT COLLATE "C",
    content_hash TEXT NOT NULL,
    version INTEGER NOT NULL,
    first_run BIGINT NOT NULL REFERENCES runs(id),
    last_run BIGINT NOT NULL REFERENCES runs(id),
    record JSONB NOT NULL,
    search TSVECTOR
);
CREATE INDEX IF NOT EXISTS articles_site_published ON articles(site, published);
CREATE INDEX IF NOT EXISTS articles_url ON articles(url);
CREATE INDEX IF NOT EXISTS articles_search ON articles USING GIN (search);
CREATE TABLE IF NOT EXISTS versions (
    article_id TEXT NOT NULL REFERENCES articles(id),
    version INTEGER NOT NULL,
    content_hash TEXT NOT NULL,
    run_id BIGINT NOT NULL REFERENCES runs(id),
    fetched_at TEXT,
    record JSONB NOT NULL,
    PRIMARY KEY (article_id, version)
);
CREATE TABLE IF NOT EXISTS shingles (
    article_id TEXT PRIMARY KEY REFERENCES articles(id),
    shingles BYTEA NOT NULL
);
CREATE TABLE IF NOT EXISTS store_meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS lsh_bands (
    band INTEGER NOT NULL,
    bucket BIGINT NOT NULL,
    article_id TEXT NOT NULL REFERENCES articles(id)
);
CREATE INDEX IF NOT EXISTS lsh_bands_bucket ON lsh_bands(band, bucket);
CREATE INDEX IF NOT EXISTS lsh_bands_article ON lsh_bands(article_id);
CREATE TABLE IF NOT EXISTS near_duplicates (
    a TEXT COLLATE "C" NOT NULL REFERENCES articles(id),
    b TEXT COLLATE "C" NOT NULL REFERENCES articles(id),
    containment REAL NOT NULL,
    PRIMARY KEY (a, b)
);
CREATE TABLE IF NOT EXISTS captures (
    id BIGSERIAL PRIMARY KEY,
    run_id BIGINT NOT NULL REFERENCES runs(id),
    url TEXT NOT NULL,
    status INTEGER,
    content_type TEXT,
    warc_file TEXT NOT NULL,
    record_id TEXT NOT NULL,
    payload_digest TEXT,
    fetched_at TEXT NOT NULL,
    etag TEXT,
    last_modified TEXT
);
CREATE INDEX IF NOT EXISTS captures_url ON captures(url);
CREATE TABLE IF NOT EXISTS payloads (
    digest TEXT PRIMARY KEY,
    url TEXT NOT NULL,
    warc_file TEXT NOT NULL,
    record_id TEXT NOT NULL,
    date TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS failures (
    site TEXT COLLATE "C" NOT NULL,
    url TEXT COLLATE "C" NOT NULL,
    error TEXT NOT NULL,
    status INTEGER,
    kind TEXT NOT NULL DEFAULT 'article',
    attempts INTEGER NOT NULL DEFAULT 1,
    first_run BIGINT NOT NULL,
    last_run BIGINT NOT NULL,
    resolved_run BIGINT,
    PRIMARY KEY (site, url)
);
CREATE INDEX IF NOT EXISTS failures_url ON failures(url);
"""
# Any constant: serializes schema creation when several workers open a new database at
# once (concurrent CREATE TABLE IF NOT EXISTS can still collide in the catalogs).
_SCHEMA_LOCK = 0x6B726F6E
_RETRIES = 5

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


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def _retrying(method):
    """Run a write transaction again when PostgreSQL aborted it to break a deadlock or
    a serialization conflict between workers (it is safe: nothing of it was kept)."""
    def wrapper(self, *args, **kwargs):
        for attempt in range(_RETRIES):
            try:
                return method(self, *args, **kwargs)
            except (errors.DeadlockDetected, errors.SerializationFailure):
                if attempt == _RETRIES - 1:
                    raise
                time.sleep(0.05 * (attempt + 1))
    wrapper.__name__, wrapper.__doc__ = method.__name__, method.__doc__
    return wrapper


class PgStore:
    """A harvest store in PostgreSQL, shared by the workers of a scaled-out crawl."""

    def __init__(self, dsn: str):
        self.dsn = dsn
        self.path = None  # not a file: nothing to checksum into the run manifest
        self.db = psycopg.connect(dsn, autocommit=True)
        with self.db.transaction():
            self.db.execute("SELECT pg_advisory_xact_lock(%s)", (_SCHEMA_LOCK,))
            self.db.execute(SCHEMA)
            self._reindex_lsh()

    def _reindex_lsh(self) -> None:
        # As in the SQLite store: an LSH index made another way (neardup.SCHEME) is
        # rebuilt from the stored shingles (under the schema lock: one worker does it).
        row = self._one("SELECT value FROM store_meta WHERE key='lsh_scheme'")
        if row and row[0] == neardup.SCHEME:
            return
        self.db.execute("DELETE FROM lsh_bands")
        rows = self.db.execute("SELECT article_id, shingles FROM shingles").fetchall()
        with self.db.cursor() as cur:
            for article, blob in rows:
                cur.executemany("INSERT INTO lsh_bands VALUES (%s, %s, %s)", [
                    (band, bucket, article)
                    for band, bucket in neardup.band_keys(neardup.unpack(bytes(blob)))])
        self.db.execute("INSERT INTO store_meta VALUES ('lsh_scheme', %s) ON CONFLICT (key)"
                        " DO UPDATE SET value = EXCLUDED.value", (neardup.SCHEME,))

    def __repr__(self) -> str:
        return f"PgStore({self.db.info.dsn!r})"

    def close(self) -> None:
        self.db.close()

    def _one(self, sql: str, args=()):
        return self.db.execute(sql, args).fetchone()

    # -- runs ------------------------------------------------------------------
    def start_run(self, command: str) -> int:
        return self._one("INSERT INTO runs (started_at, command) VALUES (%s, %s) RETURNING id",
                         (_now(), command))[0]

    def finish_run(self, run_id: int, exit_code: int, summary: dict) -> None:
        self.db.execute("UPDATE runs SET finished_at=%s, exit_code=%s, summary=%s WHERE id=%s",
                        (_now(), exit_code, Jsonb(summary), run_id))

    def last_summary(self, before_run: int) -> dict | None:
        """The summary of the last finished run before ``before_run`` (None if none)."""
        row = self._one("SELECT summary FROM runs WHERE id < %s AND summary IS NOT NULL"
                        " ORDER BY id DESC LIMIT 1", (before_run,))
        return row[0] if row else None

    def last_run_finished(self, before_run: int) -> bool:
        """Whether the run before ``before_run`` finished (False: it was killed)."""
        row = self._one("SELECT finished_at FROM runs WHERE id < %s ORDER BY id DESC LIMIT 1",
                        (before_run,))
        return row is None or row[0] is not None

    # -- articles --------------------------------------------------------------
    @_retrying
    def save_article(self, record: dict, run_id: int) -> str:
        """Insert or update one article; returns "new", "changed" or "unchanged"."""
        data = Jsonb(record)
        with self.db.transaction():
            inserted = self._one(
                "INSERT INTO articles (id, site, canonical_url, url, title, published,"
                " content_hash, version, first_run, last_run, record, search)"
                " VALUES (%s,%s,%s,%s,%s,%s,%s,1,%s,%s,%s,"
                " setweight(to_tsvector('simple', %s), 'A') || to_tsvector('simple', %s))"
                " ON CONFLICT DO NOTHING RETURNING version",
                (record["id"], record["site"], record["canonical_url"], record["url"],
                 record["title"], record["published"], record["content_hash"], run_id, run_id,
                 data, fold(record["title"]), fold(record["text"])))
            if inserted:
                self._add_version(record, 1, run_id, data)
                self._index_text(record)
                outcome = "new"
            else:
                # The row lock makes a concurrent save of the same article wait here, and
                # then see this one's content hash. NO KEY: other workers' near-duplicate
                # links to this article (foreign keys) need not wait for it.
                row = self._one("SELECT content_hash, version FROM articles WHERE id=%s"
                                " FOR NO KEY UPDATE", (record["id"],))
                if row is None:  # as SQLite would: one canonical URL, one id
                    raise errors.UniqueViolation(
                        f"{record['canonical_url']} is stored under another id")
                content_hash, version = row
                if content_hash != record["content_hash"]:
                    version += 1
                    self.db.execute(
                        "UPDATE articles SET url=%s, title=%s, published=%s, content_hash=%s,"
                        " version=%s, last_run=%s, record=%s, search="
                        " setweight(to_tsvector('simple', %s), 'A') || to_tsvector('simple', %s)"
                        " WHERE id=%s",
                        (record["url"], record["title"], record["published"],
                         record["content_hash"], version, run_id, data, fold(record["title"]),
                         fold(record["text"]), record["id"]))
                    self._add_version(record, version, run_id, data)
                    self._index_text(record)
                    outcome = "changed"
                else:
                    self.db.execute("UPDATE articles SET last_run=%s WHERE id=%s",
                                    (run_id, record["id"]))
                    outcome = "unchanged"
            self.db.execute(
                "UPDATE failures SET resolved_run=%s WHERE url=%s AND resolved_run IS NULL",
                (run_id, record["url"]))
        return outcome

    def _add_version(self, record: dict, version: int, run_id: int, data) -> None:
        self.db.execute(
            "INSERT INTO versions (article_id, version, content_hash, run_id, fetched_at,"
            " record) VALUES (%s,%s,%s,%s,%s,%s)",
            (record["id"], version, record["content_hash"], run_id, record["fetched_at"], data))

    def _index_text(self, record: dict) -> None:
        """(Re)index an article's text and record its near-duplicates."""
        article = record["id"]
        own = neardup.shingles(record["text"])
        keys = neardup.band_keys(own)
        # Two workers indexing texts that share an LSH bucket at the same moment would
        # not see each other's uncommitted bands, and the pair would never be linked. A
        # transaction lock per bucket (taken in one order, so no deadlock among them)
        # makes the second wait for the first to commit and then find it.
        for lock in sorted({(band << 56) ^ bucket for band, bucket in keys}):
            self.db.execute("SELECT pg_advisory_xact_lock(%s)", (lock,))
        self.db.execute("DELETE FROM lsh_bands WHERE article_id=%s", (article,))
        self.db.execute("DELETE FROM near_duplicates WHERE a=%s OR b=%s", (article, article))
        self.db.execute("INSERT INTO shingles VALUES (%s, %s) ON CONFLICT (article_id)"
                        " DO UPDATE SET shingles=excluded.shingles",
                        (article, neardup.pack(own)))
        if not keys:
            return
        with self.db.cursor() as cur:
            cur.executemany("INSERT INTO lsh_bands VALUES (%s, %s, %s)",
                            [(band, bucket, article) for band, bucket in keys])
        rows = self.db.execute(
            "SELECT DISTINCT l.article_id, s.shingles FROM lsh_bands l"
            " JOIN unnest(%s::int[], %s::bigint[]) AS k(band, bucket)"
            " ON l.band = k.band AND l.bucket = k.bucket"
            " JOIN shingles s ON s.article_id = l.article_id"
            " WHERE l.article_id <> %s ORDER BY l.article_id",
            ([b for b, _ in keys], [k for _, k in keys], article)).fetchall()
        for other, blob in rows:
            score = neardup.containment(own, neardup.unpack(bytes(blob)))
            if score >= neardup.CONTAINMENT_THRESHOLD:
                self.db.execute(
                    "INSERT INTO near_duplicates VALUES (%s, %s, %s) ON CONFLICT (a, b)"
                    " DO UPDATE SET containment=excluded.containment",
                    (*sorted((article, other)), round(score, 3)))

    def near_duplicates(self, article_id: str) -> list[dict]:
        """Articles carrying the same text as ``article_id`` in whole or part, most
        similar first: ``{"id", "site", "url", "containment"}``."""
        rows = self.db.execute(
            "SELECT art.id, art.site, art.url, nd.containment FROM near_duplicates nd"
            " JOIN articles art ON art.id = CASE WHEN nd.a=%s THEN nd.b ELSE nd.a END"
            " WHERE nd.a=%s OR nd.b=%s ORDER BY nd.containment DESC, art.id",
            (article_id, article_id, article_id))
        return [dict(zip(("id", "site", "url", "containment"), r)) for r in rows]

    def search(self, query: str, limit: int = 20) -> list[dict]:
        """Articles matching a query (FTS5 syntax: words, "phrases", AND, OR, NOT), best
        first: {"id", "site", "title"}."""
        tsquery = to_tsquery(query)
        if not tsquery:
            return []
        rows = self.db.execute(
            "SELECT id, site, title FROM articles, to_tsquery('simple', %s) q"
            " WHERE search @@ q ORDER BY ts_rank(search, q) DESC, id LIMIT %s",
            (tsquery, limit))
        return [dict(zip(("id", "site", "title"), r)) for r in rows]

    def iter_articles(self, site: str | None = None, since: str | None = None,
                      until: str | None = None):
        """Current records one at a time (for streaming exports), newest first; undated
        articles last. ``since``/``until`` are ISO dates on ``published``."""
        clauses, args = [], []
        if site:
            clauses.append("site=%s")
            args.append(site)
        if since:
            clauses.append("substr(published, 1, 10) >= %s")
            args.append(since)
        if until:
            clauses.append("substr(published, 1, 10) <= %s")
            args.append(until)
        where = f" WHERE {' AND '.join(clauses)}" if clauses else ""
        # A named (server-side) cursor streams the rows instead of loading them all.
        with psycopg.connect(self.dsn) as db, db.cursor(name="iter_articles") as cursor:
            cursor.execute(f"SELECT record FROM articles{where}"
                           " ORDER BY published IS NULL, published DESC, id", args)
            for (record,) in cursor:
                yield _as_written(record)

    def articles(self, site: str | None = None) -> list[dict]:
        """Current records, oldest publication first (undated last), optionally one site's."""
        sql, args = "SELECT record FROM articles", ()
        if site:
            sql, args = sql + " WHERE site=%s", (site,)
        sql += " ORDER BY published IS NULL, published, id"
        return [_as_written(r[0]) for r in self.db.execute(sql, args)]

    def versions(self, article_id: str) -> list[dict]:
        """Every stored version of one article, oldest first."""
        rows = self.db.execute("SELECT record FROM versions WHERE article_id=%s ORDER BY"
                               " version", (article_id,))
        return [_as_written(r[0]) for r in rows]

    # -- captures and failures -------------------------------------------------
    def save_capture(self, run_id: int, url: str, status: int, content_type: str | None,
                     warc_file: str, record_id: str, payload_digest: str | None,
                     etag: str | None = None, last_modified: str | None = None) -> None:
        """Record one WARC capture; a successful fetch resolves an earlier failure of the
        URL (a failure of its processing, recorded after this, re-opens it)."""
        with self.db.transaction():
            if status < 400:
                self.db.execute("UPDATE failures SET resolved_run=%s WHERE url=%s AND"
                                " resolved_run IS NULL", (run_id, url))
            self.db.execute(
                "INSERT INTO captures (run_id, url, status, content_type, warc_file, record_id,"
                " payload_digest, fetched_at, etag, last_modified)"
                " VALUES (%s,%s,%s,%s,%s,%s,%s,%s,%s,%s)",
                (run_id, url, status, content_type, warc_file, record_id, payload_digest,
                 _now(), etag, last_modified))

    def known_articles(self, site: str) -> dict:
        """id -> {"url", "published", "etag", "last_modified"} of a site's stored articles,
        with the validators of their latest successful capture (for conditional GET)."""
        rows = self.db.execute(
            "SELECT a.id, a.url, a.published, c.etag, c.last_modified FROM articles a"
            " LEFT JOIN captures c ON c.id = (SELECT max(id) FROM captures WHERE url = a.url"
            " AND status = 200) WHERE a.site = %s", (site,))
        keys = ("url", "published", "etag", "last_modified")
        return {r[0]: dict(zip(keys, r[1:])) for r in rows}

    def find_payload(self, digest: str) -> dict | None:
        """Where a payload was first archived: {"url", "warc_file", "record_id", "date"}."""
        row = self._one("SELECT url, warc_file, record_id, date FROM payloads WHERE digest=%s",
                        (digest,))
        return dict(zip(("url", "warc_file", "record_id", "date"), row)) if row else None

    def save_payload(self, digest: str, url: str, warc_file: str, record_id: str,
                     date: str) -> None:
        self.db.execute("INSERT INTO payloads VALUES (%s,%s,%s,%s,%s) ON CONFLICT DO NOTHING",
                        (digest, url, warc_file, record_id, date))

    def save_failure(self, run_id: int, site: str, url: str, error: str,
                     status: int | None, kind: str = "article") -> None:
        self.db.execute(
            "INSERT INTO failures (site, url, error, status, kind, first_run, last_run)"
            " VALUES (%s,%s,%s,%s,%s,%s,%s) ON CONFLICT (site, url) DO UPDATE SET"
            " error=excluded.error, status=excluded.status, attempts=failures.attempts+1,"
            " last_run=excluded.last_run, resolved_run=NULL",
            (site, url, error, status, kind, run_id, run_id))

    def pending_failures(self, site: str) -> list[str]:
        """Article URLs of ``site`` that failed and were not fetched since: the next run
        asks for them again. (Failed listings need no list: every run walks them.)"""
        rows = self.db.execute(
            "SELECT url FROM failures WHERE site=%s AND kind='article' AND resolved_run IS NULL"
            " ORDER BY url", (site,))
        return [r[0] for r in rows]

    def failures(self, run_id: int | None = None) -> list[dict]:
        """Unresolved failures (of one run when given)."""
        sql = ("SELECT site, url, error, status, attempts FROM failures"
               " WHERE resolved_run IS NULL")
        args: tuple = ()
        if run_id is not None:
            sql, args = sql + " AND last_run=%s", (run_id,)
        keys = ("site", "url", "error", "status", "attempts")
        return [dict(zip(keys, r)) for r in self.db.execute(sql + " ORDER BY site, url", args)]
