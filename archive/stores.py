"""Which store a harvest writes to: the SQLite file in the harvest directory (the default)
or a PostgreSQL database shared by the workers of a scaled-out crawl (``--store``).

Both stores have the same public methods and meaning (archive.store.Store,
archive.pgstore.PgStore); everything above this module works with either.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

from .store import STORE_NAME, Store

POSTGRES_SCHEMES = ("postgresql", "postgres")


class StoreSpecError(ValueError):
    """A --store value that names no store kronika can open (a one-line message)."""


def check_spec(spec: str | None) -> str | None:
    """Validate a --store value without connecting: None (SQLite in the harvest
    directory) or a postgresql:// URL with a host and a database."""
    if spec is None:
        return None
    parts = urlsplit(spec)
    if parts.scheme not in POSTGRES_SCHEMES:
        raise StoreSpecError(f"bad --store {spec!r}: expected postgresql://USER@HOST[:PORT]/DB "
                             "(leave it out for the SQLite file in --out)")
    if not parts.path.strip("/"):
        raise StoreSpecError(f"bad --store {spec!r}: name the database "
                             "(postgresql://USER@HOST[:PORT]/DB)")
    return spec


def is_shared(spec: str | None) -> bool:
    """True for a store other workers can write too (PostgreSQL)."""
    return spec is not None and urlsplit(spec).scheme in POSTGRES_SCHEMES


def open_store(spec: str | None, harvest_dir: Path):
    """The store named by ``spec`` (see ``check_spec``); SQLite in ``harvest_dir`` when
    None. A PostgreSQL server that cannot be reached raises StoreSpecError."""
    if check_spec(spec) is None:
        return Store(Path(harvest_dir) / STORE_NAME)
    import psycopg

    from .pgstore import PgStore

    try:
        return PgStore(spec)
    except psycopg.OperationalError as exc:
        reason = " ".join(str(exc).split()) or type(exc).__name__
        raise StoreSpecError(f"cannot open --store {redact(spec)!r}: {reason}") from None


def redact(spec: str) -> str:
    """The URL without its password, for messages and manifests."""
    parts = urlsplit(spec)
    if parts.password is None:
        return spec
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return parts._replace(netloc=netloc).geturl()
