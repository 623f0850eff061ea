"""WARC capture of everything a crawl fetches: a downloader middleware and its writer.

The middleware sits next to the downloader (priority 950, above HttpCompression's 590),
so it records the body as received, still compressed if the server compressed it, with
every header value and the real URL the mirror router restored. Files are WARC/1.1,
gzipped per record, rotated by size, each opening with a warcinfo record. A payload seen
before (in this run or an earlier one: the store keeps a digest index) is written as a
revisit record, identical-payload-digest profile, pointing at the original. Each
response's record id, payload digest and WARC-Date go into ``request.meta``, from where
they reach the Article (``capture``, ``fetched_at``) and the store's ``captures``.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import os
import platform
from datetime import datetime, timezone
from http import HTTPStatus
from pathlib import Path
from urllib.parse import urlsplit

from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from crawler import __version__

REAL_URL = "kronika_real_url"
DEFAULT_MAX_SIZE = 1_000_000_000  # bytes per WARC file before a new one is started
# Twisted hands over the body de-chunked: a Transfer-Encoding header kept as is would
# make replay tools de-chunk it again. The original value stays, under another name.
_RENAMED = {"transfer-encoding": "X-Archive-Orig-Transfer-Encoding"}


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
        self._fh = None
        self._writer = None

    @property
    def name(self) -> str:
        """The file being written (the last one)."""
        return self.files[-1] if self.files else f"{self.prefix}-00000.warc.gz"

    @property
    def path(self) -> Path:
        return self.directory / self.name

    def _open(self) -> WARCWriter:
        if self._writer is not None and self._fh.tell() >= self.max_size:
            self.close()
        if self._writer is None:
            self.directory.mkdir(parents=True, exist_ok=True)
            self.files.append(f"{self.prefix}-{len(self.files):05d}.warc.gz")
            self._fh = open(self.directory / self.name, "ab")
            self._writer = WARCWriter(self._fh, gzip=True, warc_version="1.1")
            self._writer.write_record(self._writer.create_warcinfo_record(self.name, self.info))
        return self._writer

    def write_exchange(self, url: str, request_line: str, request_headers: list,
                       status_line: str, response_headers: list, body: bytes,
                       protocol: str = "HTTP/1.1", original: dict | None = None) -> dict:
        """Write a response (or, for a payload seen before, a revisit to ``original``)
        and its request. Returns the capture: file, record id, digest, date, type."""
        writer = self._open()
        http = StatusAndHeaders(status_line, response_headers, protocol=protocol)
        digest = payload_digest(body)
        if original:
            record = writer.create_revisit_record(
                url, digest, original["url"], original["date"], http_headers=http,
                warc_headers_dict={"WARC-Refers-To": original["record_id"]})
        else:
            record = writer.create_warc_record(url, "response", payload=io.BytesIO(body),
                                               http_headers=http)
        writer.write_record(record)
        record_id = record.rec_headers.get_header("WARC-Record-ID")
        request = writer.create_warc_record(
            url, "request", payload=io.BytesIO(b""),
            http_headers=StatusAndHeaders(request_line, request_headers, is_http_request=True),
            warc_headers_dict={"WARC-Concurrent-To": record_id})
        writer.write_record(request)
        self._fh.flush()  # a killed crawl keeps every complete record
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
        self._fh.flush()
        return record.rec_headers.get_header("WARC-Record-ID")

    def close(self) -> None:
        if self._fh:
            self._fh.close()
            self._fh = self._writer = None


def warcinfo(operator: str, user_agent: str, collection: str = "kronika",
             settings: dict | None = None) -> dict:
    """The warcinfo fields: who captured what, with which software and rules."""
    import scrapy
    import warcio

    return {
        "software": f"kronika/{__version__} (Scrapy {scrapy.__version__}, "
                    f"warcio {getattr(warcio, '__version__', '?')}, "
                    f"Python {platform.python_version()})",
        "format": "WARC File Format 1.1",
        "conformsTo": "https://iipc.github.io/warc-specifications/specifications/warc-format/warc-1.1/",
        "operator": operator,
        "http-header-user-agent": user_agent,
        "robots": "obey",
        "isPartOf": collection,
        "kronika-settings-hash": settings_hash(settings or {}),
        "hostname": platform.node(),
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
    }


def _header_list(headers) -> list[tuple[str, str]]:
    return [(_RENAMED.get(k.decode("latin-1").lower(), k.decode("latin-1")), v.decode("latin-1"))
            for k, values in headers.items() for v in values]


class WarcRecorderMiddleware:
    """Write every downloaded response (and its request) to the harvest's WARC files."""

    def __init__(self, harvest):
        self.harvest = harvest

    @classmethod
    def from_crawler(cls, crawler):
        from .harvest import harvest_of  # harvest imports this module

        return cls(harvest_of(crawler))

    def process_response(self, request, response):
        url = request.meta.get(REAL_URL, request.url)
        parts = urlsplit(url)
        path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        request_headers = _header_list(request.headers)
        if not any(k.lower() == "host" for k, _ in request_headers):
            request_headers.insert(0, ("Host", parts.netloc))
        try:
            reason = HTTPStatus(response.status).phrase
        except ValueError:
            reason = ""
        h = self.harvest
        body = response.body
        # Only payloads worth pointing at: an empty body or an error page is kept whole.
        original = (h.store.find_payload(payload_digest(body))
                    if body and response.status < 400 else None)
        capture = h.warc.write_exchange(
            url, f"{request.method} {path} HTTP/1.1", request_headers,
            f"{response.status} {reason}".strip(), _header_list(response.headers), body,
            protocol=getattr(response, "protocol", None) or "HTTP/1.1", original=original)
        if capture["type"] == "response" and body and response.status < 400:
            h.store.save_payload(capture["payload_digest"], url, capture["warc_file"],
                                 capture["record_id"], capture["date"])
        request.meta["warc_capture"] = {k: capture[k] for k in
                                        ("warc_file", "record_id", "payload_digest")}
        request.meta["warc_date"] = capture["date"]
        content_type = response.headers.get("Content-Type", b"").decode("latin-1") or None
        h.store.save_capture(h.run_id, url, response.status, content_type,
                             capture["warc_file"], capture["record_id"],
                             capture["payload_digest"],
                             etag=response.headers.get("ETag", b"").decode("latin-1") or None,
                             last_modified=response.headers.get(
                                 "Last-Modified", b"").decode("latin-1") or None)
        return response


def warc_prefix(run_id: int, worker: str | None = None) -> str:
    """Prefix of a run's WARC files: sortable, unique per run and process. The workers of
    a shared crawl (--frontier) add their name, so that the files of all machines can be
    gathered into one collection without a clash."""
    stamp = datetime.now(timezone.utc).strftime("%Y%m%d%H%M%S")
    who = f"{worker}-{os.getpid()}" if worker else str(os.getpid())
    return f"kronika-{stamp}-run{run_id:05d}-{who}"
