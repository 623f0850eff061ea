"""Indexes and packages of a harvest's WARC files: CDXJ (cdxj-indexer) and WACZ (py-wacz)."""

from __future__ import annotations

import sys
from pathlib import Path

SORT_BUFFER = 4 * 1024 * 1024  # characters of CDXJ lines sorted in memory at once


def write_cdxj(harvest_dir: Path, warcs: list[Path] | None = None,
               name: str = "index.cdxj") -> Path:
    """indexes/<name> over the given WARC files, by default every WARC file of the
    harvest (cdxj-indexer, sorted)."""
    from cdxj_indexer.main import CDXJIndexer

    index = harvest_dir / "indexes" / name
    index.parent.mkdir(exist_ok=True)
    inputs = sorted(str(p) for p in (warcs if warcs is not None
                                     else (harvest_dir / "warc").glob("*.warc.gz")))
    with open(index, "w", encoding="utf-8") as out:
        # A small sort buffer: cdxj-indexer then sorts in runs on disk and merges them,
        # instead of holding the whole index in memory (32 MB of lines by default, which
        # made a 50,000-article harvest's peak memory grow with the harvest).
        CDXJIndexer(output=out, inputs=inputs, sort=True, dir_root=str(harvest_dir),
                    max_sort_buff_size=SORT_BUFFER).process_all()
    return index


def write_wacz(harvest_dir: Path, collection: str) -> Path:
    """<collection>.wacz of the harvest's WARC files (py-wacz)."""
    import subprocess

    target = harvest_dir / f"{collection}.wacz"
    warcs = sorted(str(p) for p in (harvest_dir / "warc").glob("*.warc.gz"))
    subprocess.run([sys.executable, "-m", "wacz", "create", "-o", str(target), *warcs],
                   check=True, capture_output=True)
    return target
