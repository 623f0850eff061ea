"""WARC files of a run: the writer, its warcinfo, response/revisit/request and metadata records.

Files are WARC/1.1, gzipped per record, rotated by size, each opening with a warcinfo
record. A payload seen before is written as a revisit record (identical-payload-digest
profile) pointing at the original. An Article's metadata record (``article_link_fields``)
ties it to its capture with what re-extraction needs besides the page itself.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import os
import platform
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO

from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

DEFAULT_MAX_SIZE = 1_000_000_000  # bytes per WARC file before a new one is started


def payload_digest(body: bytes) -> str:
    """The WARC payload digest of a body, as warcio writes it (sha1, base32)."""
    return "sha1:" + base64.b32encode(hashlib.sha1(body).digest()).decode("ascii")


def settings_hash(settings: dict) -> str:
    """sha256 of the settings that shape a capture, for the warcinfo record."""
    data = json.dumps(settings, sort_keys=True, default=str).encode("utf-8")
    return "sha256:" + hashlib.sha256(data).hexdigest()


class WarcFile:
    """The run's WARC files: opened lazily, rotated by size, each led by a warcinfo."""

    def __init__(self, directory: Path, prefix: str, info: dict,
                 max_size: int = DEFAULT_MAX_SIZE):
        self.directory = Path(directory)
        self.prefix = prefix
        self.info = info
        self.max_size = max_size
        self.files: list[str] = []
        self._fh: BinaryIO | None = None
        self._writer: WARCWriter | None = None

    @property
    def name(self) -> str:
        """The file being written (the last one)."""
        return self.files[-1] if self.files else f"{self.prefix}-00000.warc.gz"

    @property
    def path(self) -> Path:
        return self.directory / self.name

    def _open(self) -> WARCWriter:
        if self._fh is not None and self._fh.tell() >= self.max_size:
            self.close()
        if self._writer is None:
            self.directory.mkdir(parents=True, exist_ok=True)
            self.files.append(f"{self.prefix}-{len(self.files):05d}.warc.gz")
            self._fh = open(self.directory / self.name, "ab")
            self._writer = WARCWriter(self._fh, gzip=True, warc_version="1.1")
            self._writer.write_record(self._writer.create_warcinfo_record(self.name, self.info))
        return self._writer

    def _flush(self) -> None:
        # Only called after _open(), which opens the file.
        assert self._fh is not None
        self._fh.flush()

    def write_exchange(self, url: str, request_line: str, request_headers: list,
                       status_line: str, response_headers: list, body: bytes,
                       protocol: str = "HTTP/1.1", original: dict | None = None,
                       truncated: str | None = None) -> dict:
        """Write a response (or, for a payload seen before, a revisit to ``original``)
        and its request. Returns the capture: file, record id, digest, date, type.

        ``truncated``: the body is not the whole payload the server sent; the reason
        ("length", "time", "disconnect", "unspecified") goes in ``WARC-Truncated`` so that
        indexers and replay tools do not take it for the page."""
        writer = self._open()
        http = StatusAndHeaders(status_line, response_headers, protocol=protocol)
        digest = payload_digest(body)
        if original:
            record = writer.create_revisit_record(
                url, digest, original["url"], original["date"], http_headers=http,
                warc_headers_dict={"WARC-Refers-To": original["record_id"]})
        else:
            record = writer.create_warc_record(
                url, "response", payload=io.BytesIO(body), http_headers=http,
                warc_headers_dict={"WARC-Truncated": truncated} if truncated else None)
        writer.write_record(record)
        record_id = record.rec_headers.get_header("WARC-Record-ID")
        request = writer.create_warc_record(
            url, "request", payload=io.BytesIO(b""),
            http_headers=StatusAndHeaders(request_line, request_headers, is_http_request=True),
            warc_headers_dict={"WARC-Concurrent-To": record_id})
        writer.write_record(request)
        self._flush()  # a killed crawl keeps every complete record
        return {"warc_file": f"warc/{self.name}", "record_id": record_id,
                "payload_digest": record.rec_headers.get_header("WARC-Payload-Digest") or digest,
                "date": record.rec_headers.get_header("WARC-Date"),
                "type": "revisit" if original else "response"}

    def write_metadata(self, url: str, concurrent_to: str, fields: dict) -> str:
        """A metadata record (application/warc-fields) tied to a capture."""
        writer = self._open()
        payload = "".join(f"{k}: {v}\r\n" for k, v in fields.items() if v is not None)
        record = writer.create_warc_record(
            url, "metadata", payload=io.BytesIO(payload.encode("utf-8")),
            warc_content_type="application/warc-fields",
            warc_headers_dict={"WARC-Concurrent-To": concurrent_to})
        writer.write_record(record)
        self._flush()
        return record.rec_headers.get_header("WARC-Record-ID")

    def close(self) -> None:
        if self._fh:
            self._fh.close()
            self._fh = self._writer = None


def warcinfo(software: str, operator: str, user_agent: str, collection: str = "kronika",
             settings: dict | None = None) -> dict:
    """The warcinfo fields: who captured what, with which software and rules.

    ``software`` names the crawler and its version; the libraries that write the
    records are added here.
    """
    import warcio

    return {
        "software": f"{software}, warcio {getattr(warcio, '__version__', '?')}, "
                    f"Python {platform.python_version()}",
        "format": "WARC File Format 1.1",
        "conformsTo": "https://iipc.github.io/warc-specifications/specifications/warc-format/warc-1.1/",
        "operator": operator,
        "http-header-user-agent": user_agent,
        "robots": "obey",
        "isPartOf": collection,
        "kronika-settings-hash": settings_hash(settings or {}),
        "hostname": platform.node(),
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
    }


def warc_prefix(run_id: int, worker: str | None = None) -> str:
    """Prefix of a run's WARC files: sortable, unique per run and process. The workers of
    a shared crawl (--frontier) add their name, so that the files of all machines can be
    gathered into one collection without a clash."""
    stamp = datetime.now(UTC).strftime("%Y%m%d%H%M%S")
    who = f"{worker}-{os.getpid()}" if worker else str(os.getpid())
    return f"kronika-{stamp}-run{run_id:05d}-{who}"


def article_link_fields(record: dict) -> dict:
    """The metadata record that ties a capture to its Article, with what re-extraction
    needs besides the page itself (the listing's date)."""
    return {
        "kronika-article-id": record["id"],
        "kronika-site": record["site"],
        "kronika-canonical-url": record["canonical_url"],
        "kronika-schema-version": record["schema_version"],
        "kronika-extraction": f"{record['extraction']['method']} "
                              f"{record['extraction']['profile'] or ''}".strip(),
        "kronika-listing-date": record["published_raw"]
        if record["published_source"] == "listing" else None,
    }
