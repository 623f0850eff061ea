"""The SQLite store of a harvest: articles by id, their versions, captures, runs, failures.

One file, ``<harvest>/kronika.sqlite``. An article row holds the latest record; a new
``versions`` row is written only when ``content_hash`` changes, so the history of an
edited article stays queryable. Failed pages stay in ``failures`` until a later run
fetches them, so nothing that failed is forgotten.
"""

from __future__ import annotations

import json
import sqlite3
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path

from . import neardup

STORE_NAME = "kronika.sqlite"
SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    id INTEGER PRIMARY KEY,
    started_at TEXT NOT NULL,
    finished_at TEXT,
    command TEXT NOT NULL,
    exit_code INTEGER,
    summary TEXT
);
CREATE TABLE IF NOT EXISTS articles (
    id TEXT PRIMARY KEY,
    site TEXT NOT NULL,
    canonical_url TEXT NOT NULL UNIQUE,
    url TEXT NOT NULL,
    title TEXT NOT NULL,
    published TEXT,
    content_hash TEXT NOT NULL,
    version INTEGER NOT NULL,
    first_run INTEGER NOT NULL REFERENCES runs(id),
    last_run INTEGER NOT NULL REFERENCES runs(id),
    record TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS articles_site_published ON articles(site, published);
CREATE TABLE IF NOT EXISTS versions (
    article_id TEXT NOT NULL REFERENCES articles(id),
    version INTEGER NOT NULL,
    content_hash TEXT NOT NULL,
    run_id INTEGER NOT NULL REFERENCES runs(id),
    fetched_at TEXT,
    record TEXT NOT NULL,
    PRIMARY KEY (article_id, version)
);
CREATE TABLE IF NOT EXISTS shingles (
    article_id TEXT PRIMARY KEY REFERENCES articles(id),
    shingles BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS store_meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS lsh_bands (
    band INTEGER NOT NULL,
    bucket INTEGER NOT NULL,
    article_id TEXT NOT NULL REFERENCES articles(id)
);
CREATE INDEX IF NOT EXISTS lsh_bands_bucket ON lsh_bands(band, bucket);
CREATE INDEX IF NOT EXISTS lsh_bands_article ON lsh_bands(article_id);
-- Pairs of articles (a < b) carrying the same text in whole or in part: cross-posts.
CREATE TABLE IF NOT EXISTS near_duplicates (
    a TEXT NOT NULL REFERENCES articles(id),
    b TEXT NOT NULL REFERENCES articles(id),
    containment REAL NOT NULL,
    PRIMARY KEY (a, b)
);
-- Full-text search over titles and bodies; diacritics folded ("pomoc spoleczna" finds
-- "pomoc społeczna"). Kept in step with `articles` by save_article.
CREATE VIRTUAL TABLE IF NOT EXISTS articles_fts USING fts5(
    id UNINDEXED, site UNINDEXED, title, text, tokenize='unicode61 remove_diacritics 2'
);
CREATE TABLE IF NOT EXISTS captures (
    id INTEGER PRIMARY KEY,
    run_id INTEGER NOT NULL REFERENCES runs(id),
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
-- Payload digests already archived as full response records: a later identical payload
-- is written as a revisit record pointing here (deduplication across runs).
CREATE TABLE IF NOT EXISTS payloads (
    digest TEXT PRIMARY KEY,
    url TEXT NOT NULL,
    warc_file TEXT NOT NULL,
    record_id TEXT NOT NULL,
    date TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS failures (
    site TEXT NOT NULL,
    url TEXT NOT NULL,
    error TEXT NOT NULL,
    status INTEGER,
    kind TEXT NOT NULL DEFAULT 'article',
    attempts INTEGER NOT NULL DEFAULT 1,
    first_run INTEGER NOT NULL,
    last_run INTEGER NOT NULL,
    resolved_run INTEGER,
    PRIMARY KEY (site, url)
);
"""


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


class Store:
    """A harvest's SQLite store. Writes commit at once: a killed run loses nothing."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self.db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        self.db.execute("PRAGMA journal_mode=WAL")
        # In WAL mode NORMAL still survives a killed process (committed transactions are
        # in the WAL); only a power cut can lose the last ones. FULL syncs every commit.
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.execute("PRAGMA foreign_keys=ON")
        self.db.executescript(SCHEMA)
        self._migrate()
        self._backfill_fts()
        self._reindex_lsh()

    def _migrate(self) -> None:
        # Columns added after the first release of the schema.
        columns = {r[1] for r in self.db.execute("PRAGMA table_info(captures)")}
        for name in ("etag", "last_modified"):
            if name not in columns:
                self.db.execute(f"ALTER TABLE captures ADD COLUMN {name} TEXT")

    def _backfill_fts(self) -> None:
        # Stores written before the search index existed, or before it was keyed by the
        # articles' rowids (see _index_fts), get it rebuilt once.
        row = self.db.execute("SELECT value FROM store_meta WHERE key='fts_key'").fetchone()
        if row and row[0] == "articles.rowid":
            return
        with self.transaction():
            self.db.execute("DELETE FROM articles_fts")
            self.db.execute("INSERT INTO articles_fts (rowid, id, site, title, text)"
                            " SELECT rowid, id, site, title, json_extract(record, '$.text')"
                            " FROM articles")
            self.db.execute("INSERT OR REPLACE INTO store_meta VALUES ('fts_key',"
                            " 'articles.rowid')")

    def _reindex_lsh(self) -> None:
        # The LSH index made another way (neardup.SCHEME) would never pair new articles
        # with old ones: rebuild it from the stored shingles. Found pairs stay valid.
        row = self.db.execute("SELECT value FROM store_meta WHERE key='lsh_scheme'").fetchone()
        if row and row[0] == neardup.SCHEME:
            return
        with self.transaction():
            self.db.execute("DELETE FROM lsh_bands")
            for article, blob in self.db.execute(
                    "SELECT article_id, shingles FROM shingles").fetchall():
                self.db.executemany("INSERT INTO lsh_bands VALUES (?, ?, ?)", [
                    (band, bucket, article)
                    for band, bucket in neardup.band_keys(neardup.unpack(blob))])
            self.db.execute("INSERT OR REPLACE INTO store_meta VALUES ('lsh_scheme', ?)",
                            (neardup.SCHEME,))

    def close(self) -> None:
        self.db.close()

    @contextmanager
    def transaction(self):
        """One transaction: the connection is in autocommit mode (isolation_level None),
        where ``with self.db`` opens none, and every statement of an article (its
        versions, shingles, LSH bands) was committed, and synced, on its own."""
        self.db.execute("BEGIN")
        try:
            yield self.db
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        self.db.execute("COMMIT")

    # -- runs ------------------------------------------------------------------
    def start_run(self, command: str) -> int:
        cur = self.db.execute("INSERT INTO runs (started_at, command) VALUES (?, ?)",
                              (_now(), command))
        return cur.lastrowid

    def finish_run(self, run_id: int, exit_code: int, summary: dict) -> None:
        self.db.execute("UPDATE runs SET finished_at=?, exit_code=?, summary=? WHERE id=?",
                        (_now(), exit_code, json.dumps(summary, ensure_ascii=False), run_id))

    def last_summary(self, before_run: int) -> dict | None:
        """The summary of the last finished run before ``before_run`` (None if none)."""
        row = self.db.execute(
            "SELECT summary FROM runs WHERE id < ? AND summary IS NOT NULL ORDER BY id DESC"
            " LIMIT 1", (before_run,)).fetchone()
        return json.loads(row[0]) if row else None

    # -- articles --------------------------------------------------------------
    def save_article(self, record: dict, run_id: int) -> str:
        """Insert or update one article; returns "new", "changed" or "unchanged"."""
        data = json.dumps(record, ensure_ascii=False, sort_keys=True)
        with self.transaction():
            row = self.db.execute("SELECT content_hash, version FROM articles WHERE id=?",
                                  (record["id"],)).fetchone()
            if row is None:
                self.db.execute(
                    "INSERT INTO articles (id, site, canonical_url, url, title, published,"
                    " content_hash, version, first_run, last_run, record)"
                    " VALUES (?,?,?,?,?,?,?,1,?,?,?)",
                    (record["id"], record["site"], record["canonical_url"], record["url"],
                     record["title"], record["published"], record["content_hash"], run_id,
                     run_id, data))
                self._add_version(record, 1, run_id, data)
                self._index_text(record)
                self._index_fts(record)
                outcome = "new"
            elif row[0] != record["content_hash"]:
                version = row[1] + 1
                self.db.execute(
                    "UPDATE articles SET url=?, title=?, published=?, content_hash=?,"
                    " version=?, last_run=?, record=? WHERE id=?",
                    (record["url"], record["title"], record["published"],
                     record["content_hash"], version, run_id, data, record["id"]))
                self._add_version(record, version, run_id, data)
                self._index_text(record)
                self._index_fts(record)
                outcome = "changed"
            else:
                self.db.execute("UPDATE articles SET last_run=? WHERE id=?",
                                (run_id, record["id"]))
                outcome = "unchanged"
            self.db.execute(
                "UPDATE failures SET resolved_run=? WHERE url=? AND resolved_run IS NULL",
                (run_id, record["url"]))
        return outcome

    def _index_fts(self, record: dict) -> None:
        # Keyed by the article's rowid: FTS5 cannot index its "id" column, and a DELETE
        # by id scanned the whole index for every article stored.
        (rowid,) = self.db.execute("SELECT rowid FROM articles WHERE id=?",
                                   (record["id"],)).fetchone()
        self.db.execute("DELETE FROM articles_fts WHERE rowid=?", (rowid,))
        self.db.execute("INSERT INTO articles_fts (rowid, id, site, title, text)"
                        " VALUES (?,?,?,?,?)",
                        (rowid, record["id"], record["site"], record["title"], record["text"]))

    def search(self, query: str, limit: int = 20) -> list[dict]:
        """Articles matching an FTS5 query, best first: {"id", "site", "title"}."""
        rows = self.db.execute(
            "SELECT id, site, title FROM articles_fts WHERE articles_fts MATCH ?"
            " ORDER BY rank LIMIT ?", (query, limit))
        return [dict(zip(("id", "site", "title"), r)) for r in rows]

    def iter_articles(self, site: str | None = None, since: str | None = None,
                      until: str | None = None):
        """Current records one at a time (for streaming exports), newest first; undated
        articles last. ``since``/``until`` are ISO dates on ``published``."""
        clauses, args = [], []
        if site:
            clauses.append("site=?")
            args.append(site)
        if since:
            clauses.append("substr(published, 1, 10) >= ?")
            args.append(since)
        if until:
            clauses.append("substr(published, 1, 10) <= ?")
            args.append(until)
        where = f" WHERE {' AND '.join(clauses)}" if clauses else ""
        cursor = self.db.execute(
            f"SELECT record FROM articles{where} ORDER BY published IS NULL, published DESC, id",
            args)
        for (data,) in cursor:
            yield json.loads(data)

    def _index_text(self, record: dict) -> None:
        """(Re)index an article's text and record its near-duplicates."""
        article = record["id"]
        own = neardup.shingles(record["text"])
        keys = neardup.band_keys(own)
        self.db.execute("DELETE FROM lsh_bands WHERE article_id=?", (article,))
        self.db.execute("DELETE FROM near_duplicates WHERE a=? OR b=?", (article, article))
        self.db.execute("INSERT OR REPLACE INTO shingles VALUES (?, ?)",
                        (article, neardup.pack(own)))
        self.db.executemany("INSERT INTO lsh_bands VALUES (?, ?, ?)",
                            [(band, bucket, article) for band, bucket in keys])
        # One query for all bands (32 round trips were a fifth of a crawl's store time);
        # CROSS JOIN keeps SQLite looping over the keys and searching the bucket index
        # (a row-value IN scanned the whole table).
        candidates = {row[0] for row in self.db.execute(
            "SELECT DISTINCT l.article_id FROM (VALUES "
            + ", ".join(["(?, ?)"] * len(keys)) + ") AS k CROSS JOIN lsh_bands AS l"
            " ON l.band = k.column1 AND l.bucket = k.column2 WHERE l.article_id <> ?",
            (*(x for key in keys for x in key), article))} if keys else set()
        for other in sorted(candidates):
            blob = self.db.execute("SELECT shingles FROM shingles WHERE article_id=?",
                                   (other,)).fetchone()
            score = neardup.containment(own, neardup.unpack(blob[0]))
            if score >= neardup.CONTAINMENT_THRESHOLD:
                self.db.execute("INSERT OR REPLACE INTO near_duplicates VALUES (?, ?, ?)",
                                (*sorted((article, other)), round(score, 3)))

    def near_duplicates(self, article_id: str) -> list[dict]:
        """Articles carrying the same text as ``article_id`` in whole or part, most
        similar first: ``{"id", "site", "url", "containment"}``."""
        rows = self.db.execute(
            "SELECT art.id, art.site, art.url, nd.containment FROM near_duplicates nd"
            " JOIN articles art ON art.id = CASE WHEN nd.a=? THEN nd.b ELSE nd.a END"
            " WHERE nd.a=? OR nd.b=? ORDER BY nd.containment DESC, art.id",
            (article_id, article_id, article_id))
        return [dict(zip(("id", "site", "url", "containment"), r)) for r in rows]

    def _add_version(self, record: dict, version: int, run_id: int, data: str) -> None:
        self.db.execute(
            "INSERT INTO versions (article_id, version, content_hash, run_id, fetched_at, record)"
            " VALUES (?,?,?,?,?,?)",
            (record["id"], version, record["content_hash"], run_id, record["fetched_at"], data))

    def articles(self, site: str | None = None) -> list[dict]:
        """Current records, oldest publication first (undated last), optionally one site's."""
        sql = "SELECT record FROM articles"
        args: tuple = ()
        if site:
            sql, args = sql + " WHERE site=?", (site,)
        sql += " ORDER BY published IS NULL, published, id"
        return [json.loads(r[0]) for r in self.db.execute(sql, args)]

    def versions(self, article_id: str) -> list[dict]:
        """Every stored version of one article, oldest first."""
        rows = self.db.execute(
            "SELECT record FROM versions WHERE article_id=? ORDER BY version", (article_id,))
        return [json.loads(r[0]) for r in rows]

    # -- captures and failures -------------------------------------------------
    def save_capture(self, run_id: int, url: str, status: int, content_type: str | None,
                     warc_file: str, record_id: str, payload_digest: str | None,
                     etag: str | None = None, last_modified: str | None = None) -> None:
        """Record one WARC capture; a successful fetch resolves an earlier failure of the
        URL (a failure of its processing, recorded after this, re-opens it)."""
        if status < 400:
            self.db.execute(
                "UPDATE failures SET resolved_run=? WHERE url=? AND resolved_run IS NULL",
                (run_id, url))
        self.db.execute(
            "INSERT INTO captures (run_id, url, status, content_type, warc_file, record_id,"
            " payload_digest, fetched_at, etag, last_modified) VALUES (?,?,?,?,?,?,?,?,?,?)",
            (run_id, url, status, content_type, warc_file, record_id, payload_digest, _now(),
             etag, last_modified))

    def known_articles(self, site: str) -> dict:
        """id -> {"url", "published", "etag", "last_modified"} of a site's stored articles,
        with the validators of their latest successful capture (for conditional GET)."""
        rows = self.db.execute(
            "SELECT a.id, a.url, a.published, c.etag, c.last_modified FROM articles a"
            " LEFT JOIN captures c ON c.id = (SELECT max(id) FROM captures WHERE url = a.url"
            " AND status = 200) WHERE a.site = ?", (site,))
        keys = ("url", "published", "etag", "last_modified")
        return {r[0]: dict(zip(keys, r[1:])) for r in rows}

    def last_run_finished(self, before_run: int) -> bool:
        """Whether the run before ``before_run`` finished (False: it was killed)."""
        row = self.db.execute("SELECT finished_at FROM runs WHERE id < ? ORDER BY id DESC"
                              " LIMIT 1", (before_run,)).fetchone()
        return row is None or row[0] is not None

    def find_payload(self, digest: str) -> dict | None:
        """Where a payload was first archived: {"url", "warc_file", "record_id", "date"}."""
        row = self.db.execute(
            "SELECT url, warc_file, record_id, date FROM payloads WHERE digest=?",
            (digest,)).fetchone()
        return dict(zip(("url", "warc_file", "record_id", "date"), row)) if row else None

    def save_payload(self, digest: str, url: str, warc_file: str, record_id: str,
                     date: str) -> None:
        self.db.execute("INSERT OR IGNORE INTO payloads VALUES (?,?,?,?,?)",
                        (digest, url, warc_file, record_id, date))

    def save_failure(self, run_id: int, site: str, url: str, error: str,
                     status: int | None, kind: str = "article") -> None:
        self.db.execute(
            "INSERT INTO failures (site, url, error, status, kind, first_run, last_run)"
            " VALUES (?,?,?,?,?,?,?) ON CONFLICT (site, url) DO UPDATE SET"
            " error=excluded.error, status=excluded.status, attempts=attempts+1,"
            " last_run=excluded.last_run, resolved_run=NULL",
            (site, url, error, status, kind, run_id, run_id))

    def pending_failures(self, site: str) -> list[str]:
        """Article URLs of ``site`` that failed and were not fetched since: the next run
        asks for them again. (Failed listings need no list: every run walks them.)"""
        rows = self.db.execute(
            "SELECT url FROM failures WHERE site=? AND kind='article' AND resolved_run IS NULL"
            " ORDER BY url", (site,))
        return [r[0] for r in rows]

    def failures(self, run_id: int | None = None) -> list[dict]:
        """Unresolved failures (of one run when given)."""
        sql = ("SELECT site, url, error, status, attempts FROM failures"
               " WHERE resolved_run IS NULL")
        args: tuple = ()
        if run_id is not None:
            sql, args = sql + " AND last_run=?", (run_id,)
        keys = ("site", "url", "error", "status", "attempts")
        return [dict(zip(keys, r)) for r in self.db.execute(sql + " ORDER BY site, url", args)]
