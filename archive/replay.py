"""Read a harvest's WARC files back: captures by record id, payloads by digest, and the
metadata records that tie captures to Articles. Used by ``kronika reextract``.

A damaged WARC file (its last gzip member cut short by a full disk or a killed copy, or
bytes that are no WARC record) is read up to the damage: the records before it are
indexed, the partial one is not, and ``WarcArchive.damaged`` says what was skipped.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from pathlib import Path

from warcio.archiveiterator import ArchiveIterator
from warcio.exceptions import ArchiveLoadFailed

CHUNK = 1 << 16


@dataclass
class Capture:
    """Where one response or revisit record lies, and what it says."""

    warc_file: str          # relative to the harvest directory: "warc/<name>"
    offset: int
    record_type: str
    url: str
    date: str
    digest: str | None
    content_type: str | None
    # What the store's capture table keeps besides (reextract's restore_captures):
    status: int = 0
    etag: str | None = None
    last_modified: str | None = None
    truncated: bool = False
    has_body: bool = False  # a response with at least one byte of payload


class WarcArchive:
    """An index over the WARC files of one harvest directory."""

    def __init__(self, harvest_dir: Path):
        self.dir = Path(harvest_dir)
        self.files = sorted((self.dir / "warc").glob("*.warc.gz"))
        self.captures: dict[str, Capture] = {}
        self.by_digest: dict[str, Capture] = {}
        self.links: list[tuple[str, dict]] = []  # (capture record id, metadata fields)
        # One line per damaged file: what was skipped, from which byte.
        self.damaged: list[str] = []
        for path in self.files:
            self._index(path)

    def _index(self, path: Path) -> None:
        name = f"warc/{path.name}"
        captures: list[tuple[str, Capture]] = []
        links: list[tuple[int, str, dict]] = []
        last = 0  # offset of the last record read
        failure = None
        with open(path, "rb") as fh:
            records = ArchiveIterator(fh)
            try:
                for record in records:
                    headers = record.rec_headers
                    kind = headers.get_header("WARC-Type")
                    # Read before the offset: warcio finds the offset by reading the
                    # record to its end.
                    content = record.content_stream().read() if kind == "metadata" else b""
                    body = kind == "response" and bool(record.raw_stream.read(1))
                    last = records.get_record_offset()
                    if kind in ("response", "revisit"):
                        http = record.http_headers
                        captures.append((headers.get_header("WARC-Record-ID"), Capture(
                            name, last, kind, headers.get_header("WARC-Target-URI"),
                            headers.get_header("WARC-Date"),
                            headers.get_header("WARC-Payload-Digest"),
                            (http.get_header("Content-Type") or None) if http else None,
                            status=int(http.get_statuscode()) if http else 0,
                            etag=(http.get_header("ETag") or None) if http else None,
                            last_modified=(http.get_header("Last-Modified") or None)
                            if http else None,
                            truncated=bool(headers.get_header("WARC-Truncated")),
                            has_body=body)))
                    elif kind == "metadata":
                        fields = _warc_fields(content)
                        if "kronika-article-id" in fields:
                            links.append((last, headers.get_header("WARC-Concurrent-To"),
                                          fields))
            except (ArchiveLoadFailed, EOFError, OSError, ValueError, zlib.error) as exc:
                failure = " ".join(str(exc).split())[:120] or type(exc).__name__
        cut = last if failure else _partial_member(path, last)
        if cut is not None:
            what = (f"unreadable from byte {cut} ({failure})" if failure else
                    f"its last record (from byte {cut}) is cut short")
            self.damaged.append(f"{name}: {what}; skipped, the records before it were read")
            captures = [c for c in captures if c[1].offset < cut]
            links = [link for link in links if link[0] < cut]
        for record_id, capture in captures:
            self.captures[record_id] = capture
            if capture.record_type == "response" and capture.digest:
                self.by_digest.setdefault(capture.digest, capture)
        self.links.extend((record_id, fields) for _, record_id, fields in links)

    def payload(self, capture: Capture) -> bytes:
        """The body of a capture as served (transfer and content encodings undone);
        a revisit's body comes from the response it refers to."""
        if capture.record_type == "revisit":
            original = self.by_digest.get(capture.digest) if capture.digest else None
            if original is None:
                raise LookupError(f"revisit of {capture.url}: original payload "
                                  f"{capture.digest} is not in these WARC files")
            capture = original
        with open(self.dir / capture.warc_file, "rb") as fh:
            fh.seek(capture.offset)
            record = next(iter(ArchiveIterator(fh)))
            return record.content_stream().read()


def _partial_member(path: Path, offset: int) -> int | None:
    """Where the gzip member that does not end lies in ``path``, from ``offset`` (the
    last record warcio read) on; None when the file ends with whole members. warcio reads
    a member cut short without a word, as a shorter record (or none): this finds it."""
    with open(path, "rb") as fh:
        fh.seek(offset)
        start = offset
        while True:
            member = zlib.decompressobj(wbits=31)
            try:
                while not member.eof:
                    chunk = fh.read(CHUNK)
                    if not chunk:
                        return start
                    member.decompress(chunk, CHUNK)
                    while member.unconsumed_tail and not member.eof:
                        member.decompress(member.unconsumed_tail, CHUNK)
            except zlib.error:
                return start
            start = fh.tell() - len(member.unused_data)
            if not member.unused_data and not fh.read(1):
                return None
            fh.seek(start)


def _warc_fields(data: bytes) -> dict:
    fields = {}
    for line in data.decode("utf-8").splitlines():
        name, sep, value = line.partition(":")
        if sep:
            fields[name.strip()] = value.strip()
    return fields
