"""The SQLite store of a harvest: articles by id, their versions, captures, runs, failures.

One file, ``<harvest>/kronika.sqlite``. An article row holds the latest record; a new
``versions`` row is written only when ``content_hash`` changes, so the history of an
edited article stays queryable. Failed pages stay in ``failures`` until a later run
fetches them, so nothing that failed is forgotten.

What a store does is archive/sql.py's (shared with the PostgreSQL store); this module
holds what is SQLite's own: the connection, transactions as savepoints, the FTS5 search
index, and the upgrades of files written by older releases.
"""

from __future__ import annotations

import json
import os
import shlex
import sqlite3
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

from archive.sql import SCHEMA as TABLES
from archive.sql import SqlStore

STORE_NAME = "kronika.sqlite"
SCHEMA = TABLES.format(serial="INTEGER", json="TEXT", blob="BLOB", c="", search="") + """
-- Full-text search over titles and bodies; diacritics folded ("pomoc spoleczna" finds
-- "pomoc społeczna"). Kept in step with `articles` by save_article.
CREATE VIRTUAL TABLE IF NOT EXISTS articles_fts USING fts5(
    id UNINDEXED, site UNINDEXED, title, text, tokenize='unicode61 remove_diacritics 2'
);
"""


# A writer runs PRAGMA quick_check on stores up to this size (about 0.05 s per 10 MB,
# read from the page cache; a 10,000-article store is ~300 MB and would take 0.5 s or,
# cold, seconds). Bigger stores get the bounded checks only: the header (magic, page size,
# page count against the file's size) and a read of the schema.
QUICK_CHECK_MAX_BYTES = 64 * 1024 * 1024
_DAMAGE_ERRORS = ("SQLITE_CORRUPT", "SQLITE_NOTADB")


class StoreDamaged(Exception):
    """The store's file is not a whole SQLite database. Its one-line message names the
    file and says how to rebuild it from the WARC files; nothing was written to it."""

    def __init__(self, path: Path, reason: str):
        self.path = Path(path)
        self.reason = reason
        aside = f"{path}.damaged"
        super().__init__(
            f"the store {str(path)!r} is damaged ({reason}); nothing was written to it. "
            f"Rebuild it from the WARC files: mv {shlex.quote(str(path))} "
            f"{shlex.quote(aside)} && kronika reextract --out {shlex.quote(str(path.parent))}")


def is_damage(exc: sqlite3.Error) -> bool:
    """Whether an sqlite3 error says the file is damaged (not busy, locked, read-only)."""
    return (getattr(exc, "sqlite_errorname", None) in _DAMAGE_ERRORS
            or type(exc) is sqlite3.DatabaseError)


def header_damage(path: Path) -> str | None:
    """What is wrong with the SQLite header of ``path`` (None: nothing seen). Reads 100
    bytes and the file's size; an empty or missing file is a store not yet written."""
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        return None
    if size == 0:
        return None
    with open(path, "rb") as fh:
        head = fh.read(100)
    if len(head) < 100:
        return f"{size} bytes, shorter than an SQLite header"
    if not head.startswith(b"SQLite format 3\x00"):
        return "not an SQLite database file"
    page_size = int.from_bytes(head[16:18], "big")
    page_size = 65536 if page_size == 1 else page_size
    if page_size < 512 or page_size & (page_size - 1):
        return f"bad page size {page_size} in its header"
    pages = int.from_bytes(head[28:32], "big")
    # The page count is valid when the change counter matches "version-valid-for"; a
    # -wal or hot -journal beside the file may still hold pages not yet written back.
    settled = not any(Path(f"{path}{s}").exists() for s in ("-wal", "-journal"))
    if settled and head[24:28] == head[92:96] and pages * page_size > size:
        return f"truncated: {size} of {pages * page_size} bytes"
    return None


class Store(SqlStore):
    """A harvest's SQLite store. Writes commit at once: a killed run loses nothing.

    ``readonly``: open with ``mode=ro`` (exports, readers): nothing is written, not even
    the journal mode, so a read-only directory or file can be read (``immutable=1`` when
    the directory cannot hold SQLite's lock files). A damaged file raises StoreDamaged
    before anything is written to it.
    """

    # CROSS JOIN keeps SQLite looping over an article's LSH keys and searching the bucket
    # index for each (a row-value IN scanned the whole table).
    KEYS_JOIN = "CROSS JOIN"

    def __init__(self, path: Path, readonly: bool = False):
        self.path = Path(path)
        self.readonly = readonly
        reason = header_damage(self.path)
        if reason:
            raise StoreDamaged(self.path, reason)
        try:
            self.db = self._connect(self.path)
        except sqlite3.DatabaseError as exc:
            if is_damage(exc):
                raise StoreDamaged(self.path, str(exc)) from None
            raise
        if readonly:
            return
        try:
            self.db.execute("PRAGMA journal_mode=WAL")
            # In WAL mode NORMAL still survives a killed process (committed transactions
            # are in the WAL); only a power cut can lose the last ones. FULL syncs every
            # commit.
            self.db.execute("PRAGMA synchronous=NORMAL")
            self.db.execute("PRAGMA foreign_keys=ON")
            self._prepare(SCHEMA)
        except sqlite3.DatabaseError as exc:
            if is_damage(exc):
                self.db.close()
                raise StoreDamaged(self.path, str(exc)) from None
            raise

    def _connect(self, path: Path) -> sqlite3.Connection:
        """The connection, after the checks that read without writing: the schema (and,
        for a writer of a store of bounded size, PRAGMA quick_check)."""
        # Autocommit (isolation_level None): transactions are only those of transaction().
        if self.readonly:
            uri = f"file:{quote(str(path.resolve()))}?mode=ro"
            try:
                db = sqlite3.connect(uri, uri=True, isolation_level=None,
                                     check_same_thread=False)
                db.execute("SELECT count(*) FROM sqlite_master").fetchall()
                return db
            except sqlite3.OperationalError as exc:
                # A WAL-mode file in a directory where SQLite cannot make its -shm file
                # (left by a writer that could not switch back): read it as it is on disk.
                if is_damage(exc) or os.access(path.parent, os.W_OK):
                    raise
                db = sqlite3.connect(uri + "&immutable=1", uri=True, isolation_level=None,
                                     check_same_thread=False)
        else:
            db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        try:
            db.execute("SELECT count(*) FROM sqlite_master").fetchall()
            if not self.readonly and path.exists() \
                    and path.stat().st_size <= QUICK_CHECK_MAX_BYTES:
                (result,) = db.execute("PRAGMA quick_check(1)").fetchone()
                if result != "ok":
                    raise StoreDamaged(path, " ".join(str(result).split()))
        except BaseException:
            db.close()
            raise
        return db

    def close(self) -> None:
        # A writer leaves the file self-contained (rollback-journal mode, no -wal or
        # -shm beside it), so that a read-only reader (the sqlite3 shell too) can open
        # it where it cannot create files. Another connection still open keeps WAL.
        if not self.readonly:
            try:
                self.db.execute("PRAGMA busy_timeout=0")
                self.db.execute("PRAGMA journal_mode=DELETE")
            except sqlite3.Error:
                pass
        self.db.close()

    @contextmanager
    def transaction(self):
        # A savepoint: outside a transaction it opens one (as BEGIN would), inside one it
        # nests, and undoing it undoes only the inner part, as psycopg's transaction() does.
        self.db.execute("SAVEPOINT store")
        try:
            yield self.db
        except BaseException:
            self.db.execute("ROLLBACK TO store")
            self.db.execute("RELEASE store")
            raise
        self.db.execute("RELEASE store")

    def _script(self, ddl: str) -> None:
        self.db.executescript(ddl)

    def _upgrade(self) -> None:
        # Columns added after the first release of the schema.
        columns = {r[1] for r in self.db.execute("PRAGMA table_info(captures)")}
        for name in ("etag", "last_modified"):
            if name not in columns:
                self.db.execute(f"ALTER TABLE captures ADD COLUMN {name} TEXT")
        # Stores written before the search index existed, or before it was keyed by the
        # articles' rowids (see _index_search), get it rebuilt once.
        if self._one("SELECT value FROM store_meta WHERE key='fts_key'") == ("articles.rowid",):
            return
        with self.transaction():
            self.db.execute("DELETE FROM articles_fts")
            self.db.execute("INSERT INTO articles_fts (rowid, id, site, title, text)"
                            " SELECT rowid, id, site, title, json_extract(record, '$.text')"
                            " FROM articles")
            self._set_meta("fts_key", "articles.rowid")

    def _to_db(self, value: dict) -> str:
        return json.dumps(value, ensure_ascii=False, sort_keys=True)

    def _from_db(self, stored: str) -> dict:
        try:
            return json.loads(stored)
        except ValueError as exc:
            # The b-tree checks pass over a record's own bytes: a page of it overwritten
            # shows here, and is the file's damage, said in one line like the others.
            raise sqlite3.DatabaseError(f"a stored article does not read back: {exc}") from None

    def _index_search(self, record: dict) -> None:
        # Keyed by the article's rowid: FTS5 cannot index its "id" column, and a DELETE
        # by id scanned the whole index for every article stored.
        (rowid,) = self._one("SELECT rowid FROM articles WHERE id=?", (record["id"],))
        self.db.execute("DELETE FROM articles_fts WHERE rowid=?", (rowid,))
        self.db.execute("INSERT INTO articles_fts (rowid, id, site, title, text)"
                        " VALUES (?,?,?,?,?)",
                        (rowid, record["id"], record["site"], record["title"], record["text"]))

    def search(self, query: str, limit: int = 20) -> list[dict]:
        rows = self.db.execute(
            "SELECT id, site, title FROM articles_fts WHERE articles_fts MATCH ?"
            " ORDER BY rank LIMIT ?", (query, limit))
        return [dict(zip(("id", "site", "title"), r, strict=True)) for r in rows]
