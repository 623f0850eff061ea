"""`kronika verify`: check a harvest's fixity, reading it only.

Each run's manifest (``runs/run-NNNNN.json``) records the name, size and SHA-256 of the
WARC files that run wrote (``fixity.files``; a manifest from before that keeps them in
``outputs`` as ``"sha256:..."``, beside stale hashes of the harvest-level files, which are
skipped). ``verify`` recomputes every WARC file's size and hash against the manifest that
recorded it, and reads every WARC record with warcio's digest check (``warcio check``'s
logic: each record's ``WARC-Block-Digest`` and ``WARC-Payload-Digest``), in one pass
over each file. The harvest-level files that every run rewrites (the store, the CDXJ
index, the WACZ) have no recorded hash; the SQLite store is checked with SQLite's
``PRAGMA quick_check`` instead, opened read-only.

Nothing is opened for writing, so a harvest on read-only storage verifies.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from warcio.archiveiterator import ArchiveIterator

from archive.store import STORE_NAME, Store, StoreDamaged, is_damage

# Read in pieces of this size, for the hash and for warcio alike.
CHUNK = 1 << 20


class HarvestUnreadable(Exception):
    """No harvest to verify at the directory given, or a store too damaged to check (a
    usage error or a damaged harvest: exit 2, one line)."""


@dataclass
class Recorded:
    """A WARC file as one manifest recorded it."""

    name: str  # relative to the harvest directory: warc/<file>
    sha256: str  # hex
    size: int | None  # None in a manifest from before sizes were recorded
    manifest: str  # runs/run-NNNNN.json


@dataclass
class Report:
    """What ``verify`` found: the problems (one line each) and what it checked."""

    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    manifests: int = 0
    files: int = 0  # WARC files read
    hashed: int = 0  # of those, checked against a manifest's hash
    records: int = 0  # WARC records whose digests were checked (or found none to check)
    digests: int = 0  # of those, with a digest warcio recomputed

    def lines(self) -> list[str]:
        """The report's last lines: what was checked, then the verdict."""
        summary = (f"checked {self.files} WARC file(s) ({self.hashed} against the SHA-256 "
                   f"of {self.manifests} run manifest(s)), {self.records} record(s) "
                   f"({self.digests} digest(s) recomputed)")
        verdict = (f"{len(self.problems)} problem(s) found" if self.problems
                   else "fixity ok")
        return [*self.notes, summary, verdict]


class _HashingReader:
    """A file read through: every byte read is hashed and counted. warcio reads it as a
    stream (``read`` and ``tell`` only), so one pass serves the hash and the records."""

    def __init__(self, fh):
        self.fh = fh
        self.digest = hashlib.sha256()
        self.size = 0

    def read(self, size: int = -1) -> bytes:
        data = self.fh.read(size)
        self.digest.update(data)
        self.size += len(data)
        return data

    def tell(self) -> int:
        return self.size

    def drain(self) -> None:
        """Read what warcio left (after a damaged record), so the hash covers it all."""
        while self.read(CHUNK):
            pass


def recorded_files(out: Path, report: Report) -> dict[str, list[Recorded]]:
    """Every WARC file the run manifests in ``out/runs`` recorded (name -> records of it).
    A manifest that cannot be read is a problem of its own."""
    recorded: dict[str, list[Recorded]] = {}
    for path in sorted((out / "runs").glob("*.json")):
        manifest = str(path.relative_to(out))
        try:
            summary = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            report.problems.append(f"{manifest}: cannot be read ({exc})")
            continue
        try:
            entries = list(_entries(summary))
        except (KeyError, TypeError, AttributeError, ValueError) as exc:
            report.problems.append(f"{manifest}: a fixity entry cannot be read "
                                   f"({type(exc).__name__}: {exc})")
            continue
        report.manifests += 1
        for entry in entries:
            recorded.setdefault(entry[0], []).append(Recorded(*entry, manifest))
    return recorded


def _entries(summary) -> Iterator[tuple[str, str, int | None]]:
    """(name, sha256 hex, size or None) of the WARC files in one manifest."""
    if not isinstance(summary, dict):
        return
    fixity = summary.get("fixity")
    if isinstance(fixity, dict):
        for f in fixity.get("files") or []:
            size = f.get("size")
            yield str(f["name"]), str(f["sha256"]), None if size is None else int(size)
        return
    # An older manifest: its hashes of the store, index and WACZ went stale by design.
    for name, value in (summary.get("outputs") or {}).items():
        if name.startswith("warc/") and str(value).startswith("sha256:"):
            yield name, value.removeprefix("sha256:"), None


def check_warc(path: Path, name: str, report: Report) -> tuple[int, str]:
    """Read one WARC file's records with warcio's digest check, adding each mismatch (and
    a record that cannot be read) to ``report``. Returns the file's size and SHA-256."""
    with open(path, "rb") as fh:
        reader = _HashingReader(fh)
        iterator = ArchiveIterator(reader, check_digests=True)
        try:
            for record in iterator:
                stream = record.content_stream()
                while stream.read(CHUNK):
                    pass
                report.records += 1
                checker = record.digest_checker
                if checker.passed is not None:
                    report.digests += 1
                if checker.passed is False:
                    record_id = record.rec_headers.get_header("WARC-Record-ID")
                    for problem in checker.problems:
                        report.problems.append(
                            f"{name}: record {record_id} at offset "
                            f"{iterator.get_record_offset()}: {problem}")
        except Exception as exc:  # noqa: BLE001 - any damage warcio meets ends the file
            report.problems.append(f"{name}: the record at offset {iterator.offset} cannot "
                                   f"be read, nor the rest of the file: {_one_line(exc)}")
        reader.drain()
    return reader.size, reader.digest.hexdigest()


def _one_line(exc: Exception, limit: int = 160) -> str:
    """An error as one short printable line: warcio quotes the damaged bytes it met."""
    text = " ".join(f"{type(exc).__name__}: {exc}".split())
    text = text.encode("ascii", "backslashreplace").decode("ascii")
    return text if len(text) <= limit else text[:limit] + "..."


def check_store(out: Path, report: Report) -> None:
    """The SQLite store (not hashed: every run writes it), checked with ``PRAGMA
    quick_check``, read-only. A damaged store raises StoreDamaged."""
    import sqlite3

    path = out / STORE_NAME
    if not path.exists():
        report.notes.append(f"{STORE_NAME}: none here (a PostgreSQL store, or no run yet)")
        return
    store = Store(path, readonly=True)
    try:
        rows = store.db.execute("PRAGMA quick_check").fetchall()
    except sqlite3.DatabaseError as exc:
        if not is_damage(exc):
            raise
        raise StoreDamaged(path, str(exc)) from None
    finally:
        store.close()
    result = " ".join(str(r[0]) for r in rows)
    if result != "ok":
        raise StoreDamaged(path, " ".join(result.split()))
    report.notes.append(f"{STORE_NAME}: PRAGMA quick_check ok (not hashed: every run "
                        "writes it)")


def verify(out: Path) -> Report:
    """Check the harvest ``out``: every recorded WARC file present, of the recorded size
    and SHA-256, and every record's digests; the store's integrity. Raises
    HarvestUnreadable when ``out`` holds no harvest, StoreDamaged for a damaged store."""
    if not (out / "runs").is_dir() and not (out / "warc").is_dir():
        raise HarvestUnreadable(f"no harvest at {str(out)!r} (no runs/ or warc/ in it)")
    report = Report()
    recorded = recorded_files(out, report)
    on_disk = {f"warc/{p.name}": p for p in sorted((out / "warc").glob("*.warc*"))
               if p.is_file()}
    for name in sorted(set(recorded) - set(on_disk)):
        by = ", ".join(r.manifest for r in recorded[name])
        report.problems.append(f"{name}: missing (recorded by {by})")
    unrecorded = []
    for name, path in on_disk.items():
        try:
            size, hexdigest = check_warc(path, name, report)
        except OSError as exc:
            report.problems.append(f"{name}: cannot be read ({exc.strerror or exc})")
            continue
        report.files += 1
        if name not in recorded:
            unrecorded.append(name)
            continue
        report.hashed += 1
        for entry in recorded[name]:
            if entry.sha256 != hexdigest or entry.size not in (None, size):
                sizes = ("" if entry.size in (None, size)
                         else f", {size} bytes where {entry.size} were recorded")
                report.problems.append(f"{name}: SHA-256 mismatch{sizes}: {hexdigest}, "
                                       f"{entry.manifest} recorded {entry.sha256}")
    if unrecorded:
        # A run killed before its manifest (or a worker's files gathered here): its
        # records' digests are checked, its file hashes cannot be.
        report.notes.append(f"{len(unrecorded)} WARC file(s) in no run manifest (a run that "
                            f"did not finish?), records checked only: {', '.join(unrecorded)}")
    check_store(out, report)
    return report
