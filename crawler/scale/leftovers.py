"""Indexes for the WARC files of workers that died.

A worker indexes its own WARC files when its run ends (``indexes/<prefix>.cdxj``); one
killed before that leaves files that no index covers, and a collection gathered from the
workers' directories would replay none of their captures. At the end of its run each
worker therefore indexes every such file in its harvest directory that belongs to a
worker not running now: its own previous lives (a worker restarted under its name in
the same --out) and, where workers share one --out, the others that died. A worker is
running while it holds its lock file (``kronika-<worker>.lock``, an flock the kernel
drops when the process dies), so a live worker's files are never touched.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import re
from pathlib import Path

logger = logging.getLogger(__name__)

# kronika-<time>-run<id>-<worker>-<pid>-NNNNN.warc.gz (archive.warc.warc_prefix)
_WORKER_FILE = re.compile(r"(kronika-\d{14}-run\d+-(?P<worker>.+)-\d+)-\d{5}\.warc\.gz")


def _running(harvest_dir: Path, worker: str) -> bool:
    """Whether ``worker`` holds its lock in ``harvest_dir`` now (another process)."""
    path = harvest_dir / f"kronika-{worker}.lock"
    try:
        fd = os.open(path, os.O_RDONLY)
    except FileNotFoundError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)  # closing drops the lock we may have taken
    return False


def unindexed(harvest_dir: Path, own_prefix: str, own_worker: str) -> dict[str, list[Path]]:
    """Each dead run's prefix -> its WARC files: the runs of workers not running now
    whose files no index covers (this run's own files excepted: it indexes them)."""
    runs: dict[str, list[Path]] = {}
    workers: dict[str, str] = {}
    for path in sorted((harvest_dir / "warc").glob("kronika-*.warc.gz")):
        match = _WORKER_FILE.fullmatch(path.name)
        if match is None or match[1] == own_prefix:
            continue
        runs.setdefault(match[1], []).append(path)
        workers[match[1]] = match["worker"]
    indexes = harvest_dir / "indexes"
    return {prefix: files for prefix, files in runs.items()
            if not (indexes / f"{prefix}.cdxj").exists()
            and (workers[prefix] == own_worker  # our lock is ours: a previous life
                 or not _running(harvest_dir, workers[prefix]))}


def index_leftovers(harvest_dir: Path, own_prefix: str, own_worker: str) -> list[Path]:
    """Write ``indexes/<prefix>.cdxj`` for every dead worker's run left without one (see
    ``unindexed``); the indexes written. A file cut short by the kill is indexed up to
    its last whole record; one that cannot be read at all is left, with a log line."""
    from archive.indexes import write_cdxj

    written = []
    for prefix, files in unindexed(harvest_dir, own_prefix, own_worker).items():
        target = harvest_dir / "indexes" / f"{prefix}.cdxj"
        try:
            written.append(write_cdxj(harvest_dir, _whole(files), f"{prefix}.cdxj"))
        except Exception as exc:  # noqa: BLE001 - a damaged file must not fail the run
            with contextlib.suppress(OSError):
                target.unlink()
            logger.warning("could not index %s, left by a worker that died: %s", prefix,
                           " ".join(str(exc).split()))
            continue
        logger.info("indexed %d WARC file(s) of %s, left by a worker that died",
                    len(files), prefix)
    return written


def _whole(files: list[Path]) -> list[Path]:
    """The files, each cut back to its last whole gzip member if the kill left a partial
    one at its end (a WARC record is one member: the cut loses no whole record). Read
    as a stream: a WARC file may be a gigabyte."""
    for path in files:
        good = _whole_length(path)
        if good < path.stat().st_size:
            logger.warning("%s ends in a partial record (the worker died writing it): "
                           "cut back to its last whole record", path.name)
            os.truncate(path, good)
    return files


def _whole_length(path: Path) -> int:
    """The length of the whole gzip members at the start of ``path``."""
    import zlib

    good = consumed = 0
    inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
    with open(path, "rb") as fh:
        while chunk := fh.read(1 << 20):
            while chunk:
                try:
                    inflater.decompress(chunk, 1 << 16)
                    while inflater.unconsumed_tail and not inflater.eof:
                        inflater.decompress(inflater.unconsumed_tail, 1 << 16)
                except zlib.error:
                    return good
                if not inflater.eof:
                    consumed += len(chunk)
                    break
                rest = inflater.unused_data
                consumed += len(chunk) - len(rest)
                good = consumed
                chunk = rest
                inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
    return good
