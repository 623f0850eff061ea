"""WARC files of a run: the writer, its warcinfo, response/revisit/request and metadata records.

Files are WARC/1.1, gzipped per record, rotated by size, each opening with a warcinfo
record. A payload seen before is written as a revisit record (identical-payload-digest
profile) pointing at the original. A ``304 Not Modified`` answer to a conditional
re-check is written as a revisit record (server-not-modified profile) pointing at the
capture its validator came from, with the 304's own status line and headers in a
metadata record next to it. An Article's metadata record (``article_link_fields``) ties
it to its capture with what re-extraction needs besides the page itself.

What the HTTP header blocks are: Scrapy (over Twisted) parses a response and the
recorder writes it back out, so the status line and headers are rebuilt, not the bytes
the server sent (``REBUILT_HTTP_HEADERS``, said in every warcinfo record).
"""

from __future__ import annotations

import base64
import hashlib
import importlib.metadata
import io
import json
import os
import platform
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO

from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

DEFAULT_MAX_SIZE = 1_000_000_000  # bytes per WARC file before a new one is started
NOT_MODIFIED_PROFILE = "http://netpreserve.org/warc/1.1/revisit/server-not-modified"
# What Scrapy's HTTP/1.1 download handler (over Twisted) keeps of a response's head, so
# what every response record's HTTP block can and cannot be trusted for. Twisted parses
# the head into a Headers object (names folded to one case; Content-Length,
# Transfer-Encoding, Connection, Keep-Alive kept apart and not handed on) and Scrapy
# keeps the status code only (Twisted's reason phrase is dropped); keeping the raw head
# would take a download handler of our own.
REBUILT_HTTP_HEADERS = (
    "reconstructed by Scrapy from the parsed response, not the bytes received: reason "
    "phrase is the standard one for the status code; header names in canonical case; "
    "same-name headers grouped in first-seen order; Transfer-Encoding, Connection and "
    "Keep-Alive dropped (the body is de-chunked); Content-Length set by Scrapy when the "
    "length was known, first; header values and the body (still content-encoded) as "
    "received")
# The operator of a run whose User-Agent names no contact: the crawler's placeholder
# (crawler.components.settings.DEFAULT_CONTACT, which archive/ cannot import; a test
# checks they agree) is not a contact.
NO_CONTACT = "no contact given"
_PLACEHOLDER_CONTACTS = {"", "set KRONIKA_CONTACT"}


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
                       truncated: str | None = None, not_modified: dict | None = None,
                       ip_address: str | None = None) -> dict:
        """Write a response (or, for a payload seen before, a revisit to ``original``)
        and its request. Returns the capture: file, record id, digest, date, type.

        ``truncated``: the body is not the whole payload the server sent; the reason
        ("length", "time", "disconnect", "unspecified") goes in ``WARC-Truncated`` so that
        indexers and replay tools do not take it for the page.
        ``not_modified``: the response is a 304 and this is the capture (url, date,
        record id, payload digest) the request's validator came from: written as a
        server-not-modified revisit to it (``_not_modified``).
        ``ip_address``: the address the bytes came from (``WARC-IP-Address``)."""
        writer = self._open()
        extra = {"WARC-Protocol": protocol.lower()}
        if ip_address:
            extra["WARC-IP-Address"] = ip_address
        if not_modified:
            return self._not_modified(writer, url, request_line, request_headers,
                                      status_line, response_headers, protocol,
                                      not_modified, extra)
        http = StatusAndHeaders(status_line, response_headers, protocol=protocol)
        digest = payload_digest(body)
        if original:
            record = writer.create_revisit_record(
                url, digest, original["url"], original["date"], http_headers=http,
                warc_headers_dict={"WARC-Refers-To": original["record_id"], **extra})
        else:
            if truncated:
                extra["WARC-Truncated"] = truncated
            record = writer.create_warc_record(
                url, "response", payload=io.BytesIO(body), http_headers=http,
                warc_headers_dict=extra)
        record_id = self._write_with_request(writer, record, url, request_line,
                                             request_headers)
        return {"warc_file": f"warc/{self.name}", "record_id": record_id,
                "payload_digest": record.rec_headers.get_header("WARC-Payload-Digest") or digest,
                "date": record.rec_headers.get_header("WARC-Date"),
                "type": "revisit" if original else "response"}

    def _not_modified(self, writer: WARCWriter, url: str, request_line: str,
                      request_headers: list, status_line: str, response_headers: list,
                      protocol: str, original: dict, extra: dict) -> dict:
        """A 304 as a revisit (server-not-modified profile) to the capture the validator
        came from, with no HTTP block of its own: pywb serves a revisit whose HTTP block
        holds a 3xx status as that status with no body (a blank page as the latest
        capture), and takes the status, headers and payload of the capture referred to
        when the revisit has none. Its ``WARC-Payload-Digest`` is the original's: the
        server said the payload is unchanged, and replay tools find the original by it.
        The 304's own status line and headers (its Date, ETag, caching headers) are kept
        in a metadata record tied to the revisit."""
        headers = {"WARC-Profile": NOT_MODIFIED_PROFILE,
                   "WARC-Refers-To-Target-URI": original["url"], **extra}
        if original.get("date"):
            headers["WARC-Refers-To-Date"] = original["date"]
        if original.get("record_id"):
            headers["WARC-Refers-To"] = original["record_id"]
        if original.get("payload_digest"):
            headers["WARC-Payload-Digest"] = original["payload_digest"]
        record = writer.create_warc_record(url, "revisit", payload=io.BytesIO(b""), length=0,
                                           warc_headers_dict=headers)
        # An empty block is no HTTP message: no Content-Type (WARC 1.1, 5.6), where
        # warcio would write its default for revisits, application/http.
        record.content_type = None
        record_id = self._write_with_request(writer, record, url, request_line,
                                             request_headers)
        self._metadata(writer, url, record_id,
                       [("kronika-http-status-line", f"{protocol} {status_line}")]
                       + [("kronika-http-header", f"{k}: {v}") for k, v in response_headers])
        return {"warc_file": f"warc/{self.name}", "record_id": record_id,
                "payload_digest": original.get("payload_digest"),
                "date": record.rec_headers.get_header("WARC-Date"), "type": "revisit"}

    def _write_with_request(self, writer: WARCWriter, record, url: str, request_line: str,
                            request_headers: list) -> str:
        writer.write_record(record)
        record_id = record.rec_headers.get_header("WARC-Record-ID")
        request = writer.create_warc_record(
            url, "request", payload=io.BytesIO(b""),
            http_headers=StatusAndHeaders(request_line, request_headers, is_http_request=True),
            warc_headers_dict={"WARC-Concurrent-To": record_id})
        writer.write_record(request)
        self._flush()  # a killed crawl keeps every complete record
        return record_id

    def write_metadata(self, url: str, concurrent_to: str, fields: dict) -> str:
        """A metadata record (application/warc-fields) tied to a capture."""
        return self._metadata(self._open(), url, concurrent_to,
                              [(k, v) for k, v in fields.items() if v is not None])

    def _metadata(self, writer: WARCWriter, url: str, concurrent_to: str,
                  fields: list[tuple[str, str]]) -> str:
        payload = "".join(f"{k}: {v}\r\n" for k, v in fields)
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
    """The warcinfo fields: who captured what, from where, with which software and rules.

    ``software`` names the crawler and its version; the libraries that write the
    records are added here. A run pointed at a mirror or a replay (``base_url`` in
    ``settings``, from ``--base-url``) says so: its records carry the sites' real URLs,
    but the bytes came from the base URL (``capture_source``).
    """
    settings = settings or {}
    info = {
        "software": f"{software}, warcio {_version('warcio')}, "
                    f"Python {platform.python_version()}",
        "format": "WARC File Format 1.1",
        "conformsTo": "https://iipc.github.io/warc-specifications/specifications/warc-format/warc-1.1/",
        "operator": NO_CONTACT if operator.strip() in _PLACEHOLDER_CONTACTS else operator,
        "http-header-user-agent": user_agent,
        "http-headers": REBUILT_HTTP_HEADERS,
        "robots": "obey",
        "isPartOf": collection,
        "kronika-capture-source": capture_source(settings.get("base_url"),
                                                 settings.get("sites") or []),
        "kronika-settings-hash": settings_hash(settings),
        "hostname": platform.node(),
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    if settings.get("base_url"):
        info["kronika-base-url"] = settings["base_url"]
    return info


def capture_source(base_url: str | None, sites: Sequence[str],
                   origins: Sequence[str] = ()) -> str:
    """Where a run's bytes came from: the live sites, or a mirror or replay at
    ``base_url`` standing in for ``sites``; ``origins``: the sites' real scheme://host
    the run had fetched from the mirror by the time the WARC file was opened."""
    if not base_url:
        return "live"
    of = ", ".join(sites) or "the sites crawled"
    if origins:
        of += f" ({', '.join(origins)}{', ...' if sites else ''})"
    return (f"mirror at {base_url} of {of} (--base-url): not a live capture; "
            "WARC-Target-URI is the site's URL, WARC-IP-Address the mirror's")


def _version(package: str) -> str:
    try:
        return importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError:
        return "unknown"


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
