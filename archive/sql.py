"""The one SQL implementation of ``ArticleStore`` (archive/stores.py) that the SQLite
store (archive/store.py) and the PostgreSQL store (archive/pgstore.py) share.

Everything a store means is written once here, in SQL both engines accept with ``?``
placeholders: new / changed / unchanged articles and their versions, near-duplicates,
runs, captures, the payload index, failures and exports. An engine's subclass supplies
only what differs (the hooks at the top of ``SqlStore``): connecting and transactions,
column types (``SCHEMA`` is a template), locking for concurrent writers, full-text
search, how JSON is stored, how an export streams its rows.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from contextlib import closing, nullcontext
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from archive import neardup

# The tables, with the engine's words for {serial} (an id numbered by the database),
# {json} (a JSON document), {blob} (bytes), {c} (ordering by bytes, as SQLite always does:
# PostgreSQL says COLLATE "C" so that ISO dates and ids sort the same whatever the
# database's default) and {search} (the articles' full-text column, where there is one).
SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    id {serial} PRIMARY KEY,
    started_at TEXT NOT NULL,
    finished_at TEXT,
    command TEXT NOT NULL,
    exit_code INTEGER,
    summary {json}
);
CREATE TABLE IF NOT EXISTS articles (
    id TEXT{c} PRIMARY KEY,
    site TEXT{c} NOT NULL,
    canonical_url TEXT NOT NULL UNIQUE,
    url TEXT{c} NOT NULL,
    title TEXT NOT NULL,
    published TEXT{c},
    content_hash TEXT NOT NULL,
    version INTEGER NOT NULL,
    first_run BIGINT NOT NULL REFERENCES runs(id),
    last_run BIGINT NOT NULL REFERENCES runs(id),
    record {json} NOT NULL{search}
);
CREATE INDEX IF NOT EXISTS articles_site_published ON articles(site, published);
CREATE INDEX IF NOT EXISTS articles_url ON articles(url);
CREATE TABLE IF NOT EXISTS versions (
    article_id TEXT NOT NULL REFERENCES articles(id),
    version INTEGER NOT NULL,
    content_hash TEXT NOT NULL,
    run_id BIGINT NOT NULL REFERENCES runs(id),
    fetched_at TEXT,
    record {json} NOT NULL,
    PRIMARY KEY (article_id, version)
);
CREATE TABLE IF NOT EXISTS shingles (
    article_id TEXT PRIMARY KEY REFERENCES articles(id),
    shingles {blob} NOT NULL
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
-- Pairs of articles (a < b) carrying the same text in whole or in part: cross-posts.
-- An article stored links to at most neardup.MAX_LINKS others (the most similar of its
-- bounded candidates), so copies of one text do not make every pair a row.
CREATE TABLE IF NOT EXISTS near_duplicates (
    a TEXT{c} NOT NULL REFERENCES articles(id),
    b TEXT{c} NOT NULL REFERENCES articles(id),
    containment REAL NOT NULL,
    PRIMARY KEY (a, b)
);
-- An article's links are found by a (the primary key) or b: without this, re-indexing
-- an article scanned the whole table.
CREATE INDEX IF NOT EXISTS near_duplicates_b ON near_duplicates(b);
CREATE TABLE IF NOT EXISTS captures (
    id {serial} PRIMARY KEY,
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
    site TEXT{c} NOT NULL,
    url TEXT{c} NOT NULL,
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


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _dicts(keys: tuple[str, ...], rows) -> list[dict]:
    return [dict(zip(keys, row, strict=True)) for row in rows]


class SqlStore:
    """An ``ArticleStore`` (archive/stores.py documents its methods) over a DB-API
    connection ``self.db`` whose ``execute`` returns a cursor. The engine's subclass
    connects, then calls ``_prepare`` with its schema."""

    db: Any
    path: Path | None = None
    LOCK_ROW = ""  # ends the SELECT that decides whether a saved article changed
    KEYS_JOIN = "JOIN"  # joins the LSH keys of an article to the bucket index

    # -- what an engine provides -------------------------------------------------
    # Shingles and band keys computed elsewhere, by article id (see save_articles).
    _prepared: dict[str, tuple] = {}

    def _sql(self, sql: str) -> str:
        """The statement in the engine's placeholder style (written with ``?``)."""
        return sql

    def transaction(self):
        raise NotImplementedError

    def _script(self, ddl: str) -> None:
        """Run several DDL statements."""
        raise NotImplementedError

    def _opening(self):
        """A context around creating and upgrading the schema."""
        return nullcontext()

    def _upgrade(self) -> None:
        """Bring tables written by an older release up to date."""

    def _to_db(self, value: dict):
        """A record or summary as the engine stores JSON."""
        raise NotImplementedError

    def _from_db(self, stored) -> dict:
        """A stored JSON document back, its keys sorted as the SQLite store writes them."""
        raise NotImplementedError

    def _lock_buckets(self, keys: list[tuple[int, int]]) -> None:
        """Make concurrent writers indexing the same LSH buckets take turns."""

    def _index_search(self, record: dict) -> None:
        """(Re)index a new or changed article for ``search``."""
        raise NotImplementedError

    def _stream(self, sql: str, args: list) -> Iterator[tuple]:
        """The rows of a query, read as they are consumed (exports)."""
        return self._execute(sql, args)

    # -- plumbing ----------------------------------------------------------------
    def _execute(self, sql: str, args=()):
        return self.db.execute(self._sql(sql), args)

    def _one(self, sql: str, args=()):
        # Read to the end: SQLite does not commit while a RETURNING statement is unread.
        rows = self._execute(sql, args).fetchall()
        return rows[0] if rows else None

    def _executemany(self, sql: str, rows: list) -> None:
        with closing(self.db.cursor()) as cursor:
            cursor.executemany(self._sql(sql), rows)

    def _set_meta(self, key: str, value: str) -> None:
        self._execute("INSERT INTO store_meta VALUES (?, ?) ON CONFLICT (key)"
                      " DO UPDATE SET value=excluded.value", (key, value))

    def _prepare(self, ddl: str) -> None:
        """Create the tables, then bring a store written by an older release up to date."""
        with self._opening():
            self._script(ddl)
            self._upgrade()
            self._reindex_lsh()

    def _reindex_lsh(self) -> None:
        # An LSH index made another way (neardup.SCHEME) would never pair new articles
        # with old ones: rebuild it from the stored shingles. Found pairs stay valid.
        row = self._one("SELECT value FROM store_meta WHERE key='lsh_scheme'")
        cap = self._one("SELECT value FROM store_meta WHERE key='lsh_bucket_cap'")
        rebuild = not row or row[0] != neardup.SCHEME
        if not rebuild and cap == (str(neardup.BUCKET_CAP),):
            return
        with self.transaction():
            if rebuild:
                self._execute("DELETE FROM lsh_bands")
                for article, blob in self._execute(
                        "SELECT article_id, shingles FROM shingles").fetchall():
                    self._executemany("INSERT INTO lsh_bands VALUES (?, ?, ?)", [
                        (band, bucket, article)
                        for band, bucket in neardup.band_keys(neardup.unpack(bytes(blob)))])
            # Buckets filled before they were capped (or with another cap) keep their
            # earliest articles, as if the cap had always held.
            self._execute(
                "DELETE FROM lsh_bands WHERE (band, bucket, article_id) IN"
                " (SELECT band, bucket, article_id FROM (SELECT l.band, l.bucket, l.article_id,"
                " row_number() OVER (PARTITION BY l.band, l.bucket"
                " ORDER BY a.first_run, l.article_id) AS n"
                " FROM lsh_bands l JOIN articles a ON a.id = l.article_id) AS ranked"
                " WHERE n > ?)", (neardup.BUCKET_CAP,))
            self._set_meta("lsh_scheme", neardup.SCHEME)
            self._set_meta("lsh_bucket_cap", str(neardup.BUCKET_CAP))

    def close(self) -> None:
        self.db.close()

    # -- runs ----------------------------------------------------------------------
    def start_run(self, command: str) -> int:
        return self._one("INSERT INTO runs (started_at, command) VALUES (?, ?) RETURNING id",
                         (_now(), command))[0]

    def finish_run(self, run_id: int, exit_code: int, summary: dict) -> None:
        self._execute("UPDATE runs SET finished_at=?, exit_code=?, summary=? WHERE id=?",
                      (_now(), exit_code, self._to_db(summary), run_id))

    def last_summary(self, before_run: int) -> dict | None:
        row = self._one("SELECT summary FROM runs WHERE id < ? AND summary IS NOT NULL"
                        " ORDER BY id DESC LIMIT 1", (before_run,))
        return self._from_db(row[0]) if row else None

    def last_run_state(self, before_run: int) -> str | None:
        """How the run before ``before_run`` ended: "finished"; "interrupted" (stopped
        by a signal: its summary says ``"interrupted": true``, or, from a bare ``scrapy
        crawl``, a ``finish_reason`` other than "finished"); "unfinished" (killed: it
        never recorded an end); None when there was no run before."""
        row = self._one("SELECT finished_at, summary FROM runs WHERE id < ?"
                        " ORDER BY id DESC LIMIT 1", (before_run,))
        if row is None:
            return None
        if row[0] is None:
            return "unfinished"
        summary = self._from_db(row[1]) if row[1] is not None else {}
        if summary.get("interrupted") or summary.get("finish_reason", "finished") != "finished":
            return "interrupted"
        return "finished"

    def last_run_finished(self, before_run: int) -> bool:
        """Whether the run before ``before_run`` ran to its end (False: it was killed or
        interrupted, so the next run walks everything)."""
        return self.last_run_state(before_run) in (None, "finished")

    # -- articles ------------------------------------------------------------------
    def save_article(self, record: dict, run_id: int) -> str:
        data = self._to_db(record)
        with self.transaction():
            # On a conflict of ids only: another id with the same canonical URL stays an
            # error, as the UNIQUE constraint says.
            inserted = self._one(
                "INSERT INTO articles (id, site, canonical_url, url, title, published,"
                " content_hash, version, first_run, last_run, record)"
                " VALUES (?,?,?,?,?,?,?,1,?,?,?) ON CONFLICT (id) DO NOTHING RETURNING version",
                (record["id"], record["site"], record["canonical_url"], record["url"],
                 record["title"], record["published"], record["content_hash"], run_id, run_id,
                 data))
            if inserted:
                outcome, version = "new", 1
            else:
                # LOCK_ROW makes a concurrent save of the same article wait here, and
                # then see this one's content hash.
                content_hash, version = self._one(
                    "SELECT content_hash, version FROM articles WHERE id=?" + self.LOCK_ROW,
                    (record["id"],))
                if content_hash == record["content_hash"]:
                    outcome = "unchanged"
                    self._execute("UPDATE articles SET last_run=? WHERE id=?",
                                  (run_id, record["id"]))
                else:
                    outcome, version = "changed", version + 1
                    self._execute(
                        "UPDATE articles SET url=?, title=?, published=?, content_hash=?,"
                        " version=?, last_run=?, record=? WHERE id=?",
                        (record["url"], record["title"], record["published"],
                         record["content_hash"], version, run_id, data, record["id"]))
            if outcome != "unchanged":
                self._execute(
                    "INSERT INTO versions (article_id, version, content_hash, run_id,"
                    " fetched_at, record) VALUES (?,?,?,?,?,?)",
                    (record["id"], version, record["content_hash"], run_id,
                     record["fetched_at"], data))
                self._index_text(record)
                self._index_search(record)
            self._execute(
                "UPDATE failures SET resolved_run=? WHERE url=? AND resolved_run IS NULL",
                (run_id, record["url"]))
        return outcome

    def save_articles(self, records: list[tuple[dict, tuple | None]],
                      run_id: int) -> list[str]:
        """Save many articles in one transaction, each as ``save_article`` does; each
        comes with its text's (``neardup.shingles``, ``neardup.band_keys`` of them), or
        None to compute them here. Returns the outcomes in order."""
        outcomes = []
        with self.transaction():
            for record, prepared in records:
                self._prepared = {record["id"]: prepared} if prepared else {}
                outcomes.append(self.save_article(record, run_id))
            self._prepared = {}
        return outcomes

    def _index_text(self, record: dict) -> None:
        """(Re)index an article's text and record its near-duplicates. The work is
        bounded (neardup: capped buckets, at most MAX_LINKS links), not the store's size."""
        article = record["id"]
        # save_articles may bring the text's shingles and band keys computed elsewhere
        # (reextract's worker processes): the same values, not computed twice.
        prepared = self._prepared.pop(article, None)
        own, keys = prepared or (None, None)
        if own is None:
            own = neardup.shingles(record["text"])
            keys = neardup.band_keys(own)
        self._lock_buckets(keys)
        self._execute("DELETE FROM lsh_bands WHERE article_id=?", (article,))
        self._execute("DELETE FROM near_duplicates WHERE a=? OR b=?", (article, article))
        self._execute("INSERT INTO shingles VALUES (?, ?) ON CONFLICT (article_id)"
                      " DO UPDATE SET shingles=excluded.shingles", (article, neardup.pack(own)))
        if not keys:
            return
        # One query for all bands (32 round trips were a fifth of a crawl's store time):
        # the members of the article's buckets, at most BUCKET_CAP each.
        members = self._execute(
            "SELECT l.band, l.bucket, l.article_id FROM (VALUES "
            + ", ".join(["(?, ?)"] * len(keys))
            + f") AS k {self.KEYS_JOIN} lsh_bands AS l"
            " ON l.band = k.column1 AND l.bucket = k.column2",
            [x for key in keys for x in key]).fetchall()
        filled = Counter((band, bucket) for band, bucket, _ in members)
        self._executemany("INSERT INTO lsh_bands VALUES (?, ?, ?)",
                          [(band, bucket, article) for band, bucket in keys
                           if filled[band, bucket] < neardup.BUCKET_CAP])
        candidates = sorted({other for _, _, other in members})
        if not candidates:
            return
        rows = self._execute(
            "SELECT article_id, shingles FROM shingles WHERE article_id IN ("
            + ", ".join(["?"] * len(candidates)) + ")", candidates).fetchall()
        links = neardup.best_links(
            own, [(other, neardup.unpack(bytes(blob))) for other, blob in rows])
        self._executemany("INSERT INTO near_duplicates VALUES (?, ?, ?) ON CONFLICT (a, b)"
                          " DO UPDATE SET containment=excluded.containment",
                          [(*sorted((article, other)), score) for other, score in links])

    def near_duplicates(self, article_id: str) -> list[dict]:
        return _dicts(("id", "site", "url", "containment"), self._execute(
            "SELECT art.id, art.site, art.url, nd.containment FROM near_duplicates nd"
            " JOIN articles art ON art.id = CASE WHEN nd.a=? THEN nd.b ELSE nd.a END"
            " WHERE nd.a=? OR nd.b=? ORDER BY nd.containment DESC, art.id",
            (article_id, article_id, article_id)))

    def iter_articles(self, site: str | None = None, since: str | None = None,
                      until: str | None = None) -> Iterator[dict]:
        clauses, args = [], []
        for clause, value in (("site=?", site), ("substr(published, 1, 10) >= ?", since),
                              ("substr(published, 1, 10) <= ?", until)):
            if value:
                clauses.append(clause)
                args.append(value)
        where = f" WHERE {' AND '.join(clauses)}" if clauses else ""
        for (data,) in self._stream(f"SELECT record FROM articles{where}"
                                    " ORDER BY published IS NULL, published DESC, id", args):
            yield self._from_db(data)

    def articles(self, site: str | None = None) -> list[dict]:
        where, args = (" WHERE site=?", (site,)) if site else ("", ())
        return [self._from_db(r[0]) for r in self._execute(
            f"SELECT record FROM articles{where} ORDER BY published IS NULL, published, id",
            args)]

    def versions(self, article_id: str) -> list[dict]:
        rows = self._execute("SELECT record FROM versions WHERE article_id=? ORDER BY version",
                             (article_id,))
        return [self._from_db(r[0]) for r in rows]

    # -- captures, payloads and failures -----------------------------------------
    def save_capture(self, run_id: int, url: str, status: int, content_type: str | None,
                     warc_file: str, record_id: str, payload_digest: str | None,
                     etag: str | None = None, last_modified: str | None = None) -> None:
        with self.transaction():
            if status < 400:
                self._execute("UPDATE failures SET resolved_run=? WHERE url=?"
                              " AND resolved_run IS NULL", (run_id, url))
            self._execute(
                "INSERT INTO captures (run_id, url, status, content_type, warc_file, record_id,"
                " payload_digest, fetched_at, etag, last_modified) VALUES (?,?,?,?,?,?,?,?,?,?)",
                (run_id, url, status, content_type, warc_file, record_id, payload_digest,
                 _now(), etag, last_modified))

    def known_articles(self, site: str) -> dict:
        rows = self._execute(
            "SELECT a.id, a.url, a.published, c.etag, c.last_modified FROM articles a"
            " LEFT JOIN captures c ON c.id = (SELECT max(id) FROM captures WHERE url = a.url"
            " AND status = 200) WHERE a.site = ?", (site,))
        keys = ("url", "published", "etag", "last_modified")
        return {r[0]: dict(zip(keys, r[1:], strict=True)) for r in rows}

    def last_ok_capture(self, url: str) -> dict | None:
        """The latest 200 capture of ``url`` (the one whose ETag and Last-Modified a
        conditional request sends): url, warc_file, record_id, payload_digest."""
        found = _dicts(("url", "warc_file", "record_id", "payload_digest"), self._execute(
            "SELECT url, warc_file, record_id, payload_digest FROM captures"
            " WHERE url=? AND status=200 ORDER BY id DESC LIMIT 1", (url,)))
        return found[0] if found else None

    def find_payload(self, digest: str) -> dict | None:
        found = _dicts(("url", "warc_file", "record_id", "date"), self._execute(
            "SELECT url, warc_file, record_id, date FROM payloads WHERE digest=?", (digest,)))
        return found[0] if found else None

    def save_payload(self, digest: str, url: str, warc_file: str, record_id: str,
                     date: str) -> None:
        self._execute("INSERT INTO payloads VALUES (?,?,?,?,?) ON CONFLICT DO NOTHING",
                      (digest, url, warc_file, record_id, date))

    def restore_captures(self, run_id: int, captures: list[dict]) -> int:
        """Add the captures read back from WARC records (``kronika reextract``), in the
        order given, skipping record ids the store already holds; each full response
        worth pointing at is remembered as its payload's first place. Returns how many
        captures were added."""
        with self.transaction():
            held = {r[0] for r in self._execute("SELECT record_id FROM captures")}
            rows = [c for c in captures if c["record_id"] not in held]
            self._executemany(
                "INSERT INTO captures (run_id, url, status, content_type, warc_file, record_id,"
                " payload_digest, fetched_at, etag, last_modified) VALUES (?,?,?,?,?,?,?,?,?,?)",
                [(run_id, c["url"], c["status"], c["content_type"], c["warc_file"],
                  c["record_id"], c["payload_digest"], c["date"], c["etag"],
                  c["last_modified"]) for c in rows])
            self._executemany(
                "INSERT INTO payloads VALUES (?,?,?,?,?) ON CONFLICT DO NOTHING",
                [(c["payload_digest"], c["url"], c["warc_file"], c["record_id"], c["date"])
                 for c in captures if c.get("full_payload")])
        return len(rows)

    def save_failure(self, run_id: int, site: str, url: str, error: str,
                     status: int | None, kind: str = "article") -> None:
        # One upsert: concurrent writers each count their attempt.
        self._execute(
            "INSERT INTO failures (site, url, error, status, kind, first_run, last_run)"
            " VALUES (?,?,?,?,?,?,?) ON CONFLICT (site, url) DO UPDATE SET"
            " error=excluded.error, status=excluded.status, attempts=failures.attempts+1,"
            " last_run=excluded.last_run, resolved_run=NULL",
            (site, url, error, status, kind, run_id, run_id))

    def pending_failures(self, site: str) -> list[str]:
        rows = self._execute(
            "SELECT url FROM failures WHERE site=? AND kind='article' AND resolved_run IS NULL"
            " ORDER BY url", (site,))
        return [r[0] for r in rows]

    def failures(self, run_id: int | None = None) -> list[dict]:
        sql = ("SELECT site, url, error, status, attempts FROM failures"
               " WHERE resolved_run IS NULL")
        args: tuple = ()
        if run_id is not None:
            sql, args = sql + " AND last_run=?", (run_id,)
        return _dicts(("site", "url", "error", "status", "attempts"),
                      self._execute(sql + " ORDER BY site, url", args))
