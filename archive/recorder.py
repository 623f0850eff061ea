"""WARC capture of everything a crawl fetches: a downloader middleware and its file writer.

The middleware sits next to the downloader (priority 950, above HttpCompression's 590),
so it records the body as received, still compressed if the server compressed it, with
the real URL the mirror router restored. Each response's WARC record id and payload
digest go into ``request.meta["warc_capture"]``, from where they reach the Article's
``capture`` field and the store's ``captures`` table.
"""

from __future__ import annotations

import io
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


class WarcFile:
    """One gzipped WARC/1.1 file per run, opened lazily, starting with a warcinfo record."""

    def __init__(self, directory: Path, name: str, info: dict):
        self.directory = Path(directory)
        self.name = name
        self.info = info
        self._fh = None
        self._writer = None

    @property
    def path(self) -> Path:
        return self.directory / self.name

    def _open(self) -> WARCWriter:
        if self._writer is None:
            self.directory.mkdir(parents=True, exist_ok=True)
            self._fh = open(self.path, "ab")
            self._writer = WARCWriter(self._fh, gzip=True, warc_version="1.1")
            self._writer.write_record(self._writer.create_warcinfo_record(self.name, self.info))
        return self._writer

    def write_exchange(self, url: str, request_line: str, request_headers: list,
                       status_line: str, response_headers: list, body: bytes,
                       protocol: str = "HTTP/1.1") -> tuple[str, str | None]:
        """Write a response and its request; return (record id, payload digest)."""
        writer = self._open()
        response = writer.create_warc_record(
            url, "response", payload=io.BytesIO(body),
            http_headers=StatusAndHeaders(status_line, response_headers, protocol=protocol))
        writer.write_record(response)
        record_id = response.rec_headers.get_header("WARC-Record-ID")
        request = writer.create_warc_record(
            url, "request", payload=io.BytesIO(b""),
            http_headers=StatusAndHeaders(request_line, request_headers, is_http_request=True),
            warc_headers_dict={"WARC-Concurrent-To": record_id})
        writer.write_record(request)
        self._fh.flush()  # a killed crawl keeps every complete record
        return record_id, response.rec_headers.get_header("WARC-Payload-Digest")

    def close(self) -> None:
        if self._fh:
            self._fh.close()
            self._fh = self._writer = None


def warcinfo(operator: str, user_agent: str) -> dict:
    """The warcinfo fields that say who captured what, with which software and rules."""
    import scrapy
    import warcio

    return {
        "software": f"kronika/{__version__} (Scrapy {scrapy.__version__}, "
                    f"warcio {warcio.__version__ if hasattr(warcio, '__version__') else '?'}, "
                    f"Python {platform.python_version()})",
        "format": "WARC File Format 1.1",
        "conformsTo": "https://iipc.github.io/warc-specifications/specifications/warc-format/warc-1.1/",
        "operator": operator,
        "http-header-user-agent": user_agent,
        "robots": "obey",
        "hostname": platform.node(),
        "isPartOf": "kronika",
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
    }


def _header_list(headers) -> list[tuple[str, str]]:
    return [(k.decode("latin-1"), v.decode("latin-1"))
            for k, values in headers.items() for v in values]


class WarcRecorderMiddleware:
    """Write every downloaded response (and its request) to the harvest's WARC file."""

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
        protocol = getattr(response, "protocol", None) or "HTTP/1.1"
        record_id, digest = self.harvest.warc.write_exchange(
            url, f"{request.method} {path} HTTP/1.1", request_headers,
            f"{response.status} {reason}".strip(), _header_list(response.headers),
            response.body, protocol=protocol)
        capture = {"warc_file": f"warc/{self.harvest.warc.name}", "record_id": record_id,
                   "payload_digest": digest}
        request.meta["warc_capture"] = capture
        content_type = response.headers.get("Content-Type", b"").decode("latin-1") or None
        self.harvest.store.save_capture(self.harvest.run_id, url, response.status,
                                        content_type, capture["warc_file"], record_id, digest)
        return response


def warc_name(run_id: int) -> str:
    """File name of a run's WARC: sortable, unique per run and process."""
    stamp = datetime.now(timezone.utc).strftime("%Y%m%d%H%M%S")
    return f"kronika-{stamp}-run{run_id:05d}-{os.getpid()}.warc.gz"
