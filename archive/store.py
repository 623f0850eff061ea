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
import sqlite3
from contextlib import contextmanager
from pathlib import Path

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


class Store(SqlStore):
    """A harvest's SQLite store. Writes commit at once: a killed run loses nothing."""

    # CROSS JOIN keeps SQLite looping over an article's LSH keys and searching the bucket
    # index for each (a row-value IN scanned the whole table).
    KEYS_JOIN = "CROSS JOIN"

    def __init__(self, path: Path):
        self.path = Path(path)
        # Autocommit (isolation_level None): transactions are only those of transaction().
        self.db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        self.db.execute("PRAGMA journal_mode=WAL")
        # In WAL mode NORMAL still survives a killed process (committed transactions are
        # in the WAL); only a power cut can lose the last ones. FULL syncs every commit.
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.execute("PRAGMA foreign_keys=ON")
        self._prepare(SCHEMA)

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
        return json.loads(stored)

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
