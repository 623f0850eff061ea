"""Which store a harvest writes to: the SQLite file in the harvest directory (the default)
or a PostgreSQL database shared by the workers of a scaled-out crawl (``--store``), and
what every store offers (``ArticleStore``).

Both stores (archive.store.Store, archive.pgstore.PgStore) are ``ArticleStore``s, made by
one SQL implementation (archive/sql.py); everything above this module works with either.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Protocol
from urllib.parse import urlsplit

from archive.store import STORE_NAME, Store

POSTGRES_SCHEMES = ("postgresql", "postgres")


class ArticleStore(Protocol):
    """A harvest's store: articles by id with their versions, near-duplicates, runs,
    captures, the payload index and failures. Each call commits at once (a killed run
    loses nothing it stored) unless it is made inside ``transaction()``."""

    path: Path | None  # the store's file, checksummed into a run's manifest (None: a server)

    def close(self) -> None:
        """Close the connection; the store is unusable afterwards."""

    def transaction(self):
        """A context manager: the calls inside commit together or not at all (nested:
        only the inner part is undone). Yields the connection."""

    def start_run(self, command: str) -> int:
        """Record the start of a run of ``command``; its id, greater than any before."""

    def finish_run(self, run_id: int, exit_code: int, summary: dict) -> None:
        """Record that a run finished, with its exit code and summary."""

    def last_summary(self, before_run: int) -> dict | None:
        """The summary of the last finished run before ``before_run`` (None if none)."""

    def last_run_finished(self, before_run: int) -> bool:
        """Whether the run before ``before_run`` finished (False: it was killed)."""

    def save_article(self, record: dict, run_id: int) -> str:
        """Insert or update one article; returns "new", "changed" or "unchanged". A new
        or changed one gets a version, its near-duplicates and its search entry, and
        resolves an earlier failure of its URL. Concurrent saves of one article store it
        once: one "new", the rest "unchanged" (or "changed", each a version of its own)."""

    def save_articles(self, records: list[tuple[dict, tuple | None]],
                      run_id: int) -> list[str]:
        """``save_article`` for many articles in one transaction; each comes with its
        text's (``neardup.shingles``, ``neardup.band_keys`` of them) computed elsewhere,
        or None.
        Returns the outcomes in order."""

    def search(self, query: str, limit: int = 20) -> list[dict]:
        """Articles matching a query in FTS5 syntax (words, "phrases", AND, OR, NOT,
        parentheses), diacritics folded, best first: {"id", "site", "title"}."""

    def iter_articles(self, site: str | None = None, since: str | None = None,
                      until: str | None = None) -> Iterator[dict]:
        """Current records one at a time (for streaming exports), newest first; undated
        articles last. ``since``/``until`` are ISO dates on ``published``."""

    def articles(self, site: str | None = None) -> list[dict]:
        """Current records, oldest publication first (undated last), optionally one site's."""

    def versions(self, article_id: str) -> list[dict]:
        """Every stored version of one article, oldest first."""

    def near_duplicates(self, article_id: str) -> list[dict]:
        """Articles carrying the same text as ``article_id`` in whole or part, most
        similar first: ``{"id", "site", "url", "containment"}``. An article stored is
        linked to at most ``neardup.MAX_LINKS`` of them (the most similar it finds), so
        among many copies of one text it sees the earliest ones and those that, stored
        later, linked to it."""

    def save_capture(self, run_id: int, url: str, status: int, content_type: str | None,
                     warc_file: str, record_id: str, payload_digest: str | None,
                     etag: str | None = None, last_modified: str | None = None) -> None:
        """Record one WARC capture; a successful fetch resolves an earlier failure of the
        URL (a failure of its processing, recorded after this, re-opens it)."""

    def known_articles(self, site: str) -> dict:
        """Id -> {"url", "published", "etag", "last_modified"} of a site's stored articles,
        with the validators of their latest successful capture (for conditional GET)."""

    def last_ok_capture(self, url: str) -> dict | None:
        """The latest 200 capture of ``url``, whose validators a conditional request
        sends: {"url", "warc_file", "record_id", "payload_digest"}, or None."""

    def find_payload(self, digest: str) -> dict | None:
        """Where a payload was first archived: {"url", "warc_file", "record_id", "date"}."""

    def save_payload(self, digest: str, url: str, warc_file: str, record_id: str,
                     date: str) -> None:
        """Remember where a payload was archived in full; the first place is kept."""

    def restore_captures(self, run_id: int, captures: list[dict]) -> int:
        """Add captures read back from WARC records ({"url", "status", "content_type",
        "warc_file", "record_id", "payload_digest", "date", "etag", "last_modified",
        "full_payload"}), in order, skipping record ids already held; a "full_payload"
        one is its digest's first place unless one is known. Returns how many were added."""

    def save_failure(self, run_id: int, site: str, url: str, error: str,
                     status: int | None, kind: str = "article") -> None:
        """Record a failed page (``kind`` "article" or "listing"), counting attempts; it
        stays unresolved until the URL is fetched or its article stored."""

    def pending_failures(self, site: str) -> list[str]:
        """Article URLs of ``site`` that failed and were not fetched since: the next run
        asks for them again. (Failed listings need no list: every run walks them.)"""

    def failures(self, run_id: int | None = None) -> list[dict]:
        """Unresolved failures, by site and URL (of one run when given): {"site", "url",
        "error", "status", "attempts"}."""


class StoreSpecError(ValueError):
    """A --store value that names no store kronika can open (a one-line message)."""


class StoreUnreachable(StoreSpecError):
    """The PostgreSQL server did not answer (at start-up, or for longer than the outage
    budget): not a usage error, the run's exit status says so (a one-line message)."""


def check_spec(spec: str | None) -> str | None:
    """Validate a --store value without connecting: None (SQLite in the harvest
    directory) or a postgresql:// URL with a host and a database."""
    if spec is None:
        return None
    parts = urlsplit(spec)
    if parts.scheme not in POSTGRES_SCHEMES:
        raise StoreSpecError(f"bad --store {redact(spec)!r}: expected "
                             "postgresql://USER@HOST[:PORT]/DB "
                             "(leave it out for the SQLite file in --out)")
    if not parts.path.strip("/"):
        raise StoreSpecError(f"bad --store {redact(spec)!r}: name the database "
                             "(postgresql://USER@HOST[:PORT]/DB)")
    return spec


def is_shared(spec: str | None) -> bool:
    """True for a store other workers can write too (PostgreSQL)."""
    return spec is not None and urlsplit(spec).scheme in POSTGRES_SCHEMES


def open_store(spec: str | None, harvest_dir: Path, readonly: bool = False,
               budget: float | None = None) -> ArticleStore:
    """The store named by ``spec`` (see ``check_spec``); SQLite in ``harvest_dir`` when
    None. A PostgreSQL server that cannot be reached raises StoreUnreachable (it is
    tried once: cron hears of it at once), one lost later is waited for up to ``budget``
    seconds; a damaged
    SQLite file StoreDamaged (before anything is written to it). ``readonly``: a reader
    (exports) that writes nothing, so a read-only harvest can be read."""
    spec = check_spec(spec)
    if spec is None:
        return Store(Path(harvest_dir) / STORE_NAME, readonly=readonly)
    import psycopg

    from archive.pgstore import PgStore

    try:
        return PgStore(spec) if budget is None else PgStore(spec, budget)
    except psycopg.Error as exc:
        # libpq's messages may quote the connection string: no password in them either.
        reason = redact_command(" ".join(str(exc).split()) or type(exc).__name__)
        # A server that does not answer is an outage; one that answers no (no such
        # database, no privilege to create the tables) is the operator's to fix.
        # (Class 08 is a connection failure, 57 a server shutting down or starting up;
        # no SQLSTATE at all: the server never answered.)
        state = getattr(exc, "sqlstate", None)
        error = StoreUnreachable if isinstance(exc, psycopg.OperationalError) and (
            state is None or state[:2] in ("08", "57")) else StoreSpecError
        raise error(f"cannot open --store {redact(spec)!r}: {reason}") from None


def redact(spec: str) -> str:
    """The URL without its password, for messages and manifests."""
    try:
        parts = urlsplit(spec)
        password = parts.password
    except ValueError:  # not a URL urlsplit can read (a bad port): mask it as text
        return redact_command(spec)
    if password is None:
        return redact_command(spec)  # a password=... query parameter, if any
    netloc = parts.netloc.replace(f":{password}@", ":***@", 1)
    return redact_command(parts._replace(netloc=netloc).geturl())


# The password of any URL in a text (scheme://user:PASSWORD@host), and libpq's
# password=... keyword or query parameter.
_URL_PASSWORD = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*://[^\s:/@]*:)[^\s/]*@")
_PASSWORD_PARAM = re.compile(r"(\bpassword=)[^\s&']*", re.IGNORECASE)


def redact_command(text: str) -> str:
    """``text`` (a command line, a message) with every password in it masked: what is
    recorded in the store's runs table, the lock file and the manifest."""
    return _PASSWORD_PARAM.sub(r"\1***", _URL_PASSWORD.sub(r"\1***@", text))
