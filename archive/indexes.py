"""Indexes and packages of a harvest's WARC files: CDXJ (cdxj-indexer) and WACZ (py-wacz).

Both read every record of every WARC file, old ones included, so both are bounded
against records no crawl should have kept (a compression bomb archived before the
recorder refused them): cdxj-indexer, when it pairs requests with responses (always,
under py-wacz), copies each record's *decoded* content into a temporary file, and 5 MB
of gzip can decode to 5 GB. Here at most ``max_decoded`` bytes of a record are decoded
(``bounded_buffering``); the index line of such a record is unchanged, since it comes from
the headers and the raw bytes, never from the decoded content.
"""

from __future__ import annotations

import contextlib
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

SORT_BUFFER = 4 * 1024 * 1024  # characters of CDXJ lines sorted in memory at once
# Decoded bytes of one record that indexing may read: the crawl's DOWNLOAD_MAXSIZE
# default, so that no record a crawl keeps is cut.
MAX_DECODED = 64 * 1024 * 1024


@contextlib.contextmanager
def bounded_buffering(max_decoded: int = MAX_DECODED) -> Iterator[list[str]]:
    """While open, cdxj-indexer buffers at most ``max_decoded`` decoded bytes of a record;
    yields the list of the URLs of records cut so. (cdxj-indexer has no option for
    this, and py-wacz builds its indexer itself, so the one function that copies a
    record's content is replaced for the duration.)"""
    from cdxj_indexer import bufferiter

    cut: list[str] = []

    def buffer_record_content(record) -> None:
        spool = tempfile.SpooledTemporaryFile(bufferiter.BUFF_SIZE)
        stream = record.content_stream()
        copied = 0
        while copied <= max_decoded:
            chunk = stream.read(min(bufferiter.BUFF_SIZE, max_decoded + 1 - copied))
            if not chunk:
                break
            spool.write(chunk)
            copied += len(chunk)
        if copied > max_decoded:
            # The rest of the record is skipped raw by the WARC reader, undecoded.
            spool.truncate(max_decoded)
            cut.append(record.rec_headers.get_header("WARC-Target-URI") or "?")
        spool.seek(0)
        record.buffered_stream = spool

    original = bufferiter.buffer_record_content
    bufferiter.buffer_record_content = buffer_record_content
    try:
        yield cut
    finally:
        bufferiter.buffer_record_content = original


def write_cdxj(harvest_dir: Path, warcs: list[Path] | None = None,
               name: str = "index.cdxj", max_decoded: int = MAX_DECODED) -> Path:
    """indexes/<name> over the given WARC files, by default every WARC file of the
    harvest (cdxj-indexer, sorted; at most ``max_decoded`` bytes of a record decoded)."""
    from cdxj_indexer.main import CDXJIndexer

    index = harvest_dir / "indexes" / name
    index.parent.mkdir(exist_ok=True)
    inputs = sorted(str(p) for p in (warcs if warcs is not None
                                     else (harvest_dir / "warc").glob("*.warc.gz")))
    with open(index, "w", encoding="utf-8") as out, bounded_buffering(max_decoded):
        # A small sort buffer: cdxj-indexer then sorts in runs on disk and merges them,
        # instead of holding the whole index in memory (32 MB of lines by default, which
        # made a 50,000-article harvest's peak memory grow with the harvest).
        CDXJIndexer(output=out, inputs=inputs, sort=True, dir_root=str(harvest_dir),
                    max_sort_buff_size=SORT_BUFFER).process_all()
    return index


def write_wacz(harvest_dir: Path, collection: str, max_decoded: int = MAX_DECODED) -> Path:
    """<collection>.wacz of the harvest's WARC files (py-wacz, in a process of its own,
    with at most ``max_decoded`` bytes of a record decoded)."""
    import subprocess

    target = harvest_dir / f"{collection}.wacz"
    warcs = sorted(str(p) for p in (harvest_dir / "warc").glob("*.warc.gz"))
    subprocess.run([sys.executable, "-m", "archive.indexes", str(max_decoded), "create",
                    "-o", str(target), *warcs], check=True, capture_output=True)
    return target


def _wacz_main(argv: list[str]) -> int:
    """``python -m archive.indexes MAX_DECODED ARGS...``: py-wacz's command line with the
    decoding bound."""
    from wacz.main import main

    with bounded_buffering(int(argv[0])) as cut:
        code = main(argv[1:])
    for url in cut:
        print(f"indexed without decoding past {argv[0]} bytes: {url}", file=sys.stderr)
    return code or 0


if __name__ == "__main__":
    sys.exit(_wacz_main(sys.argv[1:]))
