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
import json
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import TextIO

SORT_BUFFER = 4 * 1024 * 1024  # characters of CDXJ lines sorted in memory at once
# Decoded bytes of one record that indexing may read: the crawl's DOWNLOAD_MAXSIZE
# default, so that no record a crawl keeps is cut.
MAX_DECODED = 64 * 1024 * 1024
# Newest articles tried as the WACZ's main page (each try scans the captures table).
MAIN_PAGE_CANDIDATES = 20


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
    with at most ``max_decoded`` bytes of a record decoded), with a page list of the
    harvest's articles and a described datapackage.json (see ``wacz_metadata``).

    py-wacz writes the zip in place of the previous package (truncated, not written
    beside it) and stores the WARC files, which are gzip already, undeflated; a zip
    cannot refer to files outside itself, so the package holds a second copy of every
    WARC file: the harvest's peak on disk is its WARC files twice (docs in README)."""
    import subprocess

    target = harvest_dir / f"{collection}.wacz"
    warcs = sorted((harvest_dir / "warc").glob("*.warc.gz"))
    packaged = {f"warc/{p.name}" for p in warcs}
    # The page list is a few kilobytes an article, streamed from the store; it lives
    # beside the harvest only while py-wacz copies it in.
    with tempfile.TemporaryDirectory(dir=harvest_dir, prefix=".wacz-") as tmp:
        pages = Path(tmp) / "pages.jsonl"
        with open(pages, "w", encoding="utf-8") as out:
            meta = wacz_metadata(harvest_dir, packaged, out)
        # --copy-pages: py-wacz copies our pages.jsonl as it is. Without it py-wacz
        # re-serializes the list it matched against the records and drops the header's
        # hasText (it sets that only for text it extracted itself, with boilerpy3), and
        # ReplayWeb.page builds its full-text index only when the header says hasText.
        # It also loses a page whose capture time it does not match to the second.
        args = ["create", "-o", str(target), "--pages", str(pages), "--copy-pages",
                "--title", meta["title"], "--desc", meta["description"]]
        if meta.get("main_url"):
            # --date, not --ts: py-wacz fails the whole package when --ts does not
            # equal a record's WARC-Date to the second; with the URL alone it only
            # checks that the URL was captured (chosen so by wacz_metadata).
            args += ["--url", meta["main_url"], "--date", meta["main_date"]]
        subprocess.run([sys.executable, "-m", "archive.indexes", str(max_decoded), *args,
                        *map(str, warcs)], check=True, capture_output=True)
    return target


def wacz_metadata(harvest_dir: Path, packaged: set[str], pages: TextIO) -> dict:
    """Writes the WACZ's page list to ``pages`` (pages.jsonl: a header, then one entry
    per article whose capture is in one of the ``packaged`` WARC files, newest first,
    with its URL, capture time, title and text for ReplayWeb.page's full-text search)
    and returns what datapackage.json says of the harvest: ``title``, ``description``
    (sites, dates, runs, the mirror a run read from) and the main page (the newest
    article whose capture is in the package: ``main_url``, ``main_date``). Reads the
    store read-only, one article at a time."""
    from archive.store import STORE_NAME, Store

    pages.write(json.dumps({"format": "json-pages-1.0", "id": "pages", "title": "Articles",
                            "hasText": True}) + "\n")
    sites: dict[str, int] = {}
    published: list[str] = []  # the first and last date seen
    captured: list[str] = []
    runs: list[tuple] = []
    main: dict | None = None
    tried = 0
    path = harvest_dir / STORE_NAME
    if path.exists():
        store = Store(path, readonly=True)
        try:
            for record in store.iter_articles():  # newest published first
                capture = record.get("capture") or {}
                if capture.get("warc_file") not in packaged:
                    continue
                pages.write(json.dumps(_page(record), ensure_ascii=False) + "\n")
                sites[record["site"]] = sites.get(record["site"], 0) + 1
                published = _span(published, (record.get("published") or "")[:10])
                captured = _span(captured, (record.get("fetched_at") or "")[:10])
                # py-wacz refuses a main page it finds no record of: the capture the
                # store names must be of this URL. (captures has no index by record
                # id: a few of the newest articles are tried, not every one.)
                tried += 1
                if main is None and tried <= MAIN_PAGE_CANDIDATES and store.db.execute(
                        "SELECT 1 FROM captures WHERE record_id=? AND url=? LIMIT 1",
                        (capture.get("record_id"), record["url"])).fetchone():
                    main = record
            runs = store.db.execute("SELECT id, started_at, summary FROM runs"
                                    " ORDER BY id").fetchall()
        finally:
            store.close()
    names = ", ".join(sorted(sites)) or "no sites yet"
    meta: dict = {"title": f"kronika harvest of {names}",
                  "description": _description(sites, published, captured, runs)}
    if main is not None:
        meta["main_url"], meta["main_date"] = main["url"], main["fetched_at"]
    return meta


def _span(span: list[str], value: str) -> list[str]:
    """[first, last] of the values seen so far, with ``value`` (ignored if empty)."""
    if not value:
        return span
    return [min(span[0], value), max(span[1], value)] if span else [value, value]


def _page(record: dict) -> dict:
    """The pages.jsonl entry of an article: the lead is part of what a reader searches."""
    text = "\n\n".join(part for part in (record.get("lead"), record.get("text")) if part)
    entry = {"id": record["id"], "url": record["url"], "ts": record["fetched_at"],
             "title": record["title"]}
    if text:
        entry["text"] = text
    if record.get("published"):
        entry["published"] = record["published"]
    return entry


def _description(sites: dict[str, int], published: list[str], captured: list[str],
                 runs: list[tuple]) -> str:
    """One paragraph: what was harvested, when it was published and captured, by which
    runs, and from which mirror or replay (``--base-url``) if a run read from one."""
    count = sum(sites.values())
    several = len(sites) > 1
    parts = [f"{count} article{'s' if count != 1 else ''} of "
             + (", ".join(f"{s} ({n})" if several else s for s, n in sorted(sites.items()))
                or "no site")
             + " harvested by kronika"]
    if published:
        parts.append(f"published {published[0]} to {published[1]}")
    if captured:
        parts.append(f"captured {captured[0]} to {captured[1]}")
    if runs:
        first, last = runs[0], runs[-1]
        span = f"run {last[0]}" if first[0] == last[0] else f"runs {first[0]} to {last[0]}"
        parts.append(f"{span} (last started {last[1]})")
    mirrors = set()
    for run in runs:
        with contextlib.suppress(TypeError, ValueError, AttributeError):
            base = (json.loads(run[2] or "{}").get("options") or {}).get("base_url")
            if base:
                mirrors.add(base)
    text = "; ".join(parts) + "."
    if mirrors:
        text += (" Captured from a mirror or replay, not the live sites: "
                 + ", ".join(sorted(mirrors)) + ".")
    return text


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
