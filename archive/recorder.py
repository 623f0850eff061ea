"""The WARC recorder: a downloader middleware that archives every response Scrapy downloads.

It sits next to the downloader (priority 950, above HttpCompression's 590), so it
records the body as received, still compressed if the server compressed it, every
header value, the real URL the mirror router restored, and the address the bytes came
from (``WARC-IP-Address``). The status line and header block are not the bytes the
server sent: Scrapy hands over a parsed response, so they are rebuilt here (the
standard reason phrase; header names in Scrapy's case; no Transfer-Encoding, Connection
or Keep-Alive, which Twisted keeps apart; Content-Length as Scrapy sets it). Every
warcinfo record says so (``archive.warc.REBUILT_HTTP_HEADERS``); keeping the raw head
would take a download handler of our own. The run's Harvest writes the records
(``archive.warc``) and the capture index; the capture's record id, payload digest and
WARC-Date go into ``request.meta``, from where they reach the Article (``capture``,
``fetched_at``). A 304 to a conditional re-check becomes a server-not-modified revisit
(``Harvest.validated_capture``).

Bodies past the download limit (``DOWNLOAD_MAXSIZE``, or ``download_maxsize`` in the
request's meta) are never archived as if whole:

* a body that grows past the limit on the wire is cut there (``BodyCut``, raised from
  the ``bytes_received`` signal, so Scrapy hands over what it has instead of discarding
  it): its first ``limit`` bytes are archived with ``WARC-Truncated: length``, and the
  page fails with the reason;
* a body that decodes (Content-Encoding gzip, deflate, br, zstd) to more than the limit,
  a compression bomb, is not archived at all (``BodyTooLarge``): indexers and replay
  tools decompress what they find, and 5 MB of gzip can hold 5 GB. Decoding here is
  counted, never kept, and stops one chunk past the limit.

A response Scrapy passes on with the ``dataloss`` flag (DOWNLOAD_FAIL_ON_DATALOSS off: the
connection closed before Content-Length was reached) is archived with
``WARC-Truncated: disconnect``.
"""

from __future__ import annotations

import logging
import weakref
import zlib
from collections.abc import Iterable, Iterator
from http import HTTPStatus
from urllib.parse import urlsplit

from scrapy import signals
from scrapy.exceptions import IgnoreRequest, StopDownload

# The brotli and zstd modules Scrapy's HttpCompressionMiddleware decodes with (brotli or
# brotlicffi; compression.zstd or backports.zstd), so that the size measured here is the
# size Scrapy would decode to.
from scrapy.utils import _compression as scrapy_codecs

from archive.harvest import harvest_of
from archive.meta import WARC_CAPTURE, WARC_DATE, real_url

logger = logging.getLogger(__name__)

# A Transfer-Encoding header kept as is would make replay tools de-chunk the (already
# de-chunked) body again, so one is kept under another name. Scrapy's HTTP/1.1 handler
# never hands one over (Twisted keeps it with the connection headers, apart from
# response.headers): this guards other download handlers, and the warcinfo says that
# Transfer-Encoding is dropped (REBUILT_HTTP_HEADERS).
_RENAMED = {"transfer-encoding": "X-Archive-Orig-Transfer-Encoding"}
_CHUNK = 64 * 1024  # decoded bytes produced per step when measuring a body


class BodyCut(StopDownload):
    """The body grew past the download limit: cut there (archived truncated)."""

    def __init__(self, limit: int):
        super().__init__(fail=True)
        self.limit = limit

    def __str__(self) -> str:
        return (f"body larger than the download limit ({self.limit} bytes, "
                "DOWNLOAD_MAXSIZE): cut there and archived with WARC-Truncated: length")


class BodyTooLarge(IgnoreRequest):
    """The body decodes to more than the download limit (a compression bomb)."""


def _header_list(headers) -> list[tuple[str, str]]:
    return [(_RENAMED.get(k.decode("latin-1").lower(), k.decode("latin-1")), v.decode("latin-1"))
            for k, values in headers.items() for v in values]


def _pieces(data: bytes) -> Iterator[bytes]:
    for start in range(0, len(data), _CHUNK):
        yield data[start:start + _CHUNK]


def _zlib(chunks: Iterable[bytes], wbits: int) -> Iterator[bytes]:
    # max_length bounds each step's output: one 16 KB gzip block of zeros decodes to
    # 16 MB. Concatenated gzip members are all decoded, as Scrapy's gunzip does.
    decoder = zlib.decompressobj(wbits)
    for data in chunks:
        while data:
            out = decoder.decompress(data, _CHUNK)
            yield out
            data = decoder.unconsumed_tail
            if decoder.eof:
                # What follows the member is in unused_data (and unconsumed_tail too).
                data = decoder.unused_data
                decoder = zlib.decompressobj(wbits)
                if not data.strip(b"\0"):
                    return


def _deflate(chunks: Iterable[bytes]) -> Iterator[bytes]:
    # "deflate" is zlib-wrapped by the standard, raw in some servers' hands (Scrapy
    # accepts both): the first bytes tell which.
    chunks = iter(chunks)
    first = next(chunks, b"")
    try:
        zlib.decompressobj().decompress(first[:64])
        wbits = zlib.MAX_WBITS
    except zlib.error:
        wbits = -zlib.MAX_WBITS
    yield from _zlib(_chain(first, chunks), wbits)


def _chain(first: bytes, rest: Iterable[bytes]) -> Iterator[bytes]:
    yield first
    yield from rest


def _brotli(chunks: Iterable[bytes]) -> Iterator[bytes]:
    decoder = scrapy_codecs.brotli.Decompressor()
    for data in chunks:
        out = decoder.process(data, output_buffer_limit=_CHUNK)
        yield out
        # Drain the output held back by the limit before giving more input.
        while out and not decoder.is_finished():
            out = decoder.process(b"", output_buffer_limit=_CHUNK)
            yield out


def _zstd(chunks: Iterable[bytes]) -> Iterator[bytes]:
    decoder = scrapy_codecs.zstd.ZstdDecompressor()
    for data in chunks:
        while not decoder.eof:
            out = decoder.decompress(data, _CHUNK)
            yield out
            data = b""
            if decoder.needs_input:
                break


_DECODERS = {"gzip": lambda c: _zlib(c, 16 + zlib.MAX_WBITS),
             "x-gzip": lambda c: _zlib(c, 16 + zlib.MAX_WBITS),
             "deflate": _deflate, "br": _brotli, "zstd": _zstd}


def decoded_size(body: bytes, content_encoding: str, limit: int) -> int:
    """How many bytes ``body`` decodes to under ``content_encoding`` (the codings
    Scrapy's HttpCompressionMiddleware decodes, outermost last), counting no further
    than one chunk past ``limit``. A damaged stream counts what decoded before the damage
    (Scrapy then fails or keeps the page as it does). Nothing decoded is kept: the
    decoders are written here because Scrapy's (private) helpers hold the whole output;
    only the brotli and zstd modules are Scrapy's."""
    codings = [c.strip().lower() for c in content_encoding.split(",") if c.strip()]
    stream: Iterable[bytes] = _pieces(body)
    decoding = False
    for coding in reversed(codings):
        if coding not in _DECODERS:  # left encoded by Scrapy too: what follows is opaque
            break
        stream = _DECODERS[coding](stream)
        decoding = True
    if not decoding:
        return len(body)
    size = 0
    try:
        for out in stream:
            size += len(out)
            if size > limit:
                break
    except Exception as exc:  # noqa: BLE001 - zlib.error, brotli.error, ZstdError...
        logger.debug("damaged %s body after %d decoded bytes: %s", content_encoding, size, exc)
    return size


class WarcRecorderMiddleware:
    """Hand every downloaded response (and its request) to the harvest to archive."""

    def __init__(self, harvest, max_size: int = 0):
        self.harvest = harvest
        self.max_size = max_size
        # request -> body bytes received so far (a retry is a new Request object)
        self.received: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()

    @classmethod
    def from_crawler(cls, crawler):
        recorder = cls(harvest_of(crawler), crawler.settings.getint("DOWNLOAD_MAXSIZE"))
        crawler.signals.connect(recorder.bytes_received, signal=signals.bytes_received)
        return recorder

    def limit(self, request) -> int:
        return int(request.meta.get("download_maxsize", self.max_size) or 0)

    def bytes_received(self, data: bytes, request, spider=None) -> None:
        """Cut a body at the limit, before Scrapy's own check would discard it whole."""
        limit = self.limit(request)
        received = self.received[request] = self.received.get(request, 0) + len(data)
        if limit and received > limit:
            raise BodyCut(limit)

    def process_response(self, request, response):
        self.received.pop(request, None)
        truncated = "disconnect" if "dataloss" in response.flags else None
        self._archive(request, response, response.body, truncated)
        return response

    def process_exception(self, request, exception):
        self.received.pop(request, None)
        if isinstance(exception, BodyCut) and exception.response is not None:
            response = exception.response
            self._archive(request, response, response.body[:exception.limit], "length")
        return None  # the page fails with the exception's reason

    def _archive(self, request, response, body: bytes, truncated: str | None) -> None:
        url = real_url(request)
        limit = self.limit(request)
        # Every Content-Encoding header line, as HttpCompressionMiddleware reads them.
        encoding = b",".join(response.headers.getlist("Content-Encoding")).decode("latin-1")
        if limit and encoding and request.method != "HEAD":
            size = decoded_size(body, encoding, limit)
            if size > limit:
                reason = (f"body of {len(body)} bytes ({encoding}) decodes to more than the "
                          f"download limit ({limit} bytes, DOWNLOAD_MAXSIZE): a compression "
                          "bomb, not archived")
                logger.warning("%s: %s", url, reason)
                raise BodyTooLarge(reason)
        parts = urlsplit(url)
        path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        request_headers = _header_list(request.headers)
        if not any(k.lower() == "host" for k, _ in request_headers):
            request_headers.insert(0, ("Host", parts.netloc))
        try:
            reason = HTTPStatus(response.status).phrase
        except ValueError:
            reason = ""
        args = (url, f"{request.method} {path} HTTP/1.1", request_headers, response.status,
                f"{response.status} {reason}".strip(), _header_list(response.headers), body)
        protocol = getattr(response, "protocol", None) or "HTTP/1.1"
        ip_address = getattr(response, "ip_address", None)
        capture = self.harvest.archive_exchange(
            *args, protocol=protocol, truncated=truncated,
            ip_address=str(ip_address) if ip_address else None,
            fetched_from=request.url if request.url != url else None)
        request.meta[WARC_CAPTURE] = {k: capture[k] for k in
                                      ("warc_file", "record_id", "payload_digest")}
        request.meta[WARC_DATE] = capture["date"]
