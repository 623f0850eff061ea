"""Read a harvest's WARC files back: captures by record id, payloads by digest, and the
metadata records that tie captures to Articles. Used by ``kronika reextract``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from warcio.archiveiterator import ArchiveIterator


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


class WarcArchive:
    """An index over the WARC files of one harvest directory."""

    def __init__(self, harvest_dir: Path):
        self.dir = Path(harvest_dir)
        self.files = sorted((self.dir / "warc").glob("*.warc.gz"))
        self.captures: dict[str, Capture] = {}
        self.by_digest: dict[str, Capture] = {}
        self.links: list[tuple[str, dict]] = []  # (capture record id, metadata fields)
        for path in self.files:
            self._index(path)

    def _index(self, path: Path) -> None:
        name = f"warc/{path.name}"
        with open(path, "rb") as fh:
            records = ArchiveIterator(fh)
            for record in records:
                headers = record.rec_headers
                kind = headers.get_header("WARC-Type")
                if kind in ("response", "revisit"):
                    http = record.http_headers
                    capture = Capture(
                        name, records.get_record_offset(), kind,
                        headers.get_header("WARC-Target-URI"), headers.get_header("WARC-Date"),
                        headers.get_header("WARC-Payload-Digest"),
                        http.get_header("Content-Type") if http else None)
                    self.captures[headers.get_header("WARC-Record-ID")] = capture
                    if kind == "response" and capture.digest:
                        self.by_digest.setdefault(capture.digest, capture)
                elif kind == "metadata":
                    fields = _warc_fields(record.content_stream().read())
                    if "kronika-article-id" in fields:
                        self.links.append((headers.get_header("WARC-Concurrent-To"), fields))

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


def _warc_fields(data: bytes) -> dict:
    fields = {}
    for line in data.decode("utf-8").splitlines():
        name, sep, value = line.partition(":")
        if sep:
            fields[name.strip()] = value.strip()
    return fields
