"""Hostile bodies and slow drips (issue 16): nothing archived as if whole, no disk blown up,
no page holding a host for four full timeouts.

One server on 127.0.0.1 plays a site whose article pages are: a gzip bomb and a brotli
bomb (small on the wire, far past the download limit once decoded), a body that grows
past the limit with no Content-Length, one that declares a Content-Length past it, a page
that drips its body a byte at a time, and one good article. The crawl runs with a 1 MB
limit (KRONIKA_DOWNLOAD_MAXSIZE), a 1.2 s timeout per attempt and a 3 s cap per page
(KRONIKA_PAGE_TIMEOUT), and packages the harvest (``--wacz``) with a WARC file of an
older run already in it that holds a 512 MiB gzip bomb, under a 128 MiB limit on the size
of any file the crawl writes (RLIMIT_FSIZE): decoding that record into a temporary file,
as py-wacz does unbounded, fails the packaging.
"""

from __future__ import annotations

import gzip
import io
import json
import os
import resource
import subprocess
import sys
import threading
import time
import zipfile
import zlib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import brotli
import pytest
from warcio.archiveiterator import ArchiveIterator
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from tests.harness import assert_warcs_valid

LIMIT = 1_000_000          # KRONIKA_DOWNLOAD_MAXSIZE in the crawl
TIMEOUT = 1.2              # --timeout: one attempt
PAGE_CAP = 3.0             # KRONIKA_PAGE_TIMEOUT: all attempts of a page
FILE_LIMIT = 128 * 1024 * 1024   # RLIMIT_FSIZE of the crawl process
OLD_BOMB = 512 * 1024 * 1024     # decoded size of the old WARC's bomb
TITLE = "Konferencja o pomocy społecznej w regionie"
ARTICLE = (f"<html><head><title>{TITLE}</title></head><body><article><h1>{TITLE}</h1>"
           "<time datetime='2024-05-02'>02.05.2024</time>" + "<p>Treść artykułu, zdanie o "
           "pomocy społecznej i wsparciu rodzin w województwie.</p>" * 8
           + "</article></body></html>").encode()
PAGES = {1: "good", 2: "gzip bomb", 3: "brotli bomb", 4: "too long", 5: "declared too long",
         6: "drip"}


def zeros(size: int, compressor) -> bytes:
    chunk = b"\0" * (1 << 20)
    return b"".join(compressor.process(chunk) if hasattr(compressor, "process")
                    else compressor.compress(chunk) for _ in range(size >> 20)) + (
        compressor.finish() if hasattr(compressor, "finish") else compressor.flush())


class _Server(ThreadingHTTPServer):
    def handle_error(self, request, client_address):
        # The crawler hangs up on a drip or a cut body by design: no traceback for that.
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


class HostileSite:
    """A threaded HTTP/1.1 server on 127.0.0.1 that answers each article path in its own
    hostile way (``PAGES``), counting the requests per path."""

    def __init__(self):
        self.asked: dict[str, int] = {}
        self.gzip_bomb = zeros(50 << 20, zlib.compressobj(9, zlib.DEFLATED, 31))
        self.br_bomb = zeros(50 << 20, brotli.Compressor(quality=5))
        site = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self):  # noqa: N802 (http.server naming)
                site.asked[self.path] = site.asked.get(self.path, 0) + 1
                kind = site.kind(self.path)
                try:
                    site.answer(self, kind)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the crawler hung up: what a drip or a cut body expects

            def log_message(self, *args):
                pass

        self.httpd = _Server(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def page(self, n: int) -> str:
        return f"{self.url}/news/artykul-{n}-2024"

    @staticmethod
    def kind(path: str) -> str | None:
        if path == "/start":
            return "listing"
        for n, kind in PAGES.items():
            if path == f"/news/artykul-{n}-2024":
                return kind
        return None

    def answer(self, handler, kind: str | None) -> None:
        def send(body: bytes, *headers, length: int | None = None):
            handler.send_response(200)
            handler.send_header("Content-Type", "text/html; charset=utf-8")
            for name, value in headers:
                handler.send_header(name, value)
            handler.send_header("Content-Length", str(len(body) if length is None else length))
            handler.end_headers()
            handler.wfile.write(body)

        if kind == "listing":
            links = "".join(f"<li><a href='/news/artykul-{n}-2024'>{TITLE} {n}</a></li>"
                            for n in PAGES)
            send(f"<html><body><main><ul>{links}</ul></main></body></html>".encode())
        elif kind == "good":
            send(gzip.compress(ARTICLE), ("Content-Encoding", "gzip"))
        elif kind == "gzip bomb":
            send(self.gzip_bomb, ("Content-Encoding", "gzip"))
        elif kind == "brotli bomb":
            send(self.br_bomb, ("Content-Encoding", "br"))
        elif kind == "declared too long":
            send(b"", length=5 * LIMIT)
        elif kind == "too long":
            # No Content-Length: the end of the body is the end of the connection.
            handler.send_response(200)
            handler.send_header("Content-Type", "text/html; charset=utf-8")
            handler.send_header("Connection", "close")
            handler.end_headers()
            for _ in range(3):
                handler.wfile.write(ARTICLE * (LIMIT // len(ARTICLE)))
            handler.close_connection = True
        elif kind == "drip":
            handler.send_response(200)
            handler.send_header("Content-Type", "text/html; charset=utf-8")
            handler.send_header("Content-Length", str(len(ARTICLE)))
            handler.end_headers()
            for byte in ARTICLE[:100]:  # at most 20 s, long after every attempt gave up
                handler.wfile.write(bytes([byte]))
                handler.wfile.flush()
                time.sleep(0.2)  # the behaviour under test: a slow drip, not a wait
            handler.close_connection = True
        else:
            handler.send_error(404)

    def __enter__(self) -> HostileSite:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def write_old_bomb(warc_dir: Path, url: str) -> None:
    """A WARC file as an older kronika (or any crawler) may have left: a gzip bomb archived
    as a whole 200 response, with its request."""
    body = zeros(OLD_BOMB, zlib.compressobj(1, zlib.DEFLATED, 31))
    warc_dir.mkdir(parents=True)
    with open(warc_dir / "kronika-20240101000000-run00000-1-00000.warc.gz", "wb") as fh:
        writer = WARCWriter(fh, gzip=True, warc_version="1.1")
        http = StatusAndHeaders("200 OK", [("Content-Type", "text/html"),
                                           ("Content-Encoding", "gzip"),
                                           ("Content-Length", str(len(body)))],
                                protocol="HTTP/1.1")
        response = writer.create_warc_record(url, "response", payload=io.BytesIO(body),
                                             http_headers=http)
        writer.write_record(response)
        writer.write_record(writer.create_warc_record(
            url, "request", payload=io.BytesIO(b""),
            http_headers=StatusAndHeaders("GET /old-bomb HTTP/1.1", [("Host", "127.0.0.1")],
                                          is_http_request=True),
            warc_headers_dict={"WARC-Concurrent-To":
                               response.rec_headers.get_header("WARC-Record-ID")}))


def _limit_file_size() -> None:
    resource.setrlimit(resource.RLIMIT_FSIZE, (FILE_LIMIT, FILE_LIMIT))


@pytest.fixture(scope="module")
def crawl(tmp_path_factory):
    out = tmp_path_factory.mktemp("bodies")
    old_url = "http://127.0.0.1:9/old-bomb"
    write_old_bomb(out / "warc", old_url)
    with HostileSite() as site:
        started = time.monotonic()
        result = subprocess.run(
            [sys.executable, "-m", "crawler.run.cli", "crawl", "--url", f"{site.url}/start",
             "--out", str(out), "--delay", "0", "--timeout", str(TIMEOUT), "--no-media",
             "--wacz"],
            capture_output=True, text=True, timeout=90, check=False,
            preexec_fn=_limit_file_size,
            env={**os.environ, "KRONIKA_CONTACT": "test@example.invalid",
                 "KRONIKA_DOWNLOAD_MAXSIZE": str(LIMIT), "KRONIKA_PAGE_TIMEOUT": str(PAGE_CAP),
                 "TMPDIR": str(tmp_path_factory.mktemp("tmp"))})
        elapsed = time.monotonic() - started
    assert "Traceback" not in result.stderr, result.stderr
    manifest = json.loads(next((out / "runs").glob("run-*.json")).read_text(encoding="utf-8"))
    records = {}
    for path in sorted((out / "warc").glob("*.warc.gz")):
        with open(path, "rb") as fh:
            for record in ArchiveIterator(fh):
                if record.rec_type == "response":
                    records[record.rec_headers.get_header("WARC-Target-URI")] = (
                        dict(record.rec_headers.headers), len(record.raw_stream.read()))
    return {"out": out, "site": site, "result": result, "elapsed": elapsed,
            "sites": manifest["sites"],
            "failures": {f["url"]: f["error"] for f in manifest["failures"]},
            "records": records, "old_url": old_url}


def test_compression_bombs_are_refused_unarchived_with_their_reason(crawl):
    site = crawl["site"]
    for n, encoding in ((2, "gzip"), (3, "br")):
        url = site.page(n)
        error = crawl["failures"][url]
        assert f"({encoding}) decodes to more than the download limit ({LIMIT} bytes" in error
        assert "not archived" in error
        assert url not in crawl["records"]
        assert site.asked[f"/news/artykul-{n}-2024"] == 1  # the same bomb is not asked again


def test_a_body_past_the_limit_is_archived_truncated_and_fails(crawl):
    url = crawl["site"].page(4)
    headers, _ = crawl["records"][url]
    assert headers["WARC-Truncated"] == "length"
    assert "cut there and archived with WARC-Truncated: length" in crawl["failures"][url]
    with open(next(p for p in (crawl["out"] / "warc").glob("*.warc.gz")
                   if "run00000" not in p.name), "rb") as fh:
        bodies = [r.content_stream().read() for r in ArchiveIterator(fh)
                  if r.rec_headers.get_header("WARC-Target-URI") == url
                  and r.rec_type == "response"]
    assert len(bodies) == 1 and len(bodies[0]) == LIMIT


def test_a_body_declared_past_the_limit_is_never_read(crawl):
    url = crawl["site"].page(5)
    assert url not in crawl["records"]
    assert "larger than download max size" in crawl["failures"][url]


def test_the_good_article_is_kept_whole_and_warcio_check_passes(crawl):
    headers, length = crawl["records"][crawl["site"].page(1)]
    assert "WARC-Truncated" not in headers
    assert length < len(ARTICLE)  # archived as received: gzipped
    assert [s["new"] for s in crawl["sites"].values()] == [1]
    started = time.monotonic()
    assert_warcs_valid(crawl["out"])
    assert time.monotonic() - started < 15  # the old bomb decoded whole took 34 s at 5 GiB


def test_packaging_decodes_no_record_past_the_limit(crawl):
    """The crawl ran under a 128 MiB cap on any file it writes: py-wacz spooling the old
    512 MiB bomb to a temporary file, as it does unbounded, would have failed it."""
    out = crawl["out"]
    wacz = out / "kronika.wacz"
    assert wacz.exists(), crawl["result"].stderr
    with zipfile.ZipFile(wacz) as z:
        index = gzip.decompress(z.read("indexes/index.cdx.gz")).decode()
    assert crawl["old_url"] in index  # still indexed, its line from the headers
    assert crawl["old_url"] in (out / "indexes" / "index.cdxj").read_text(encoding="utf-8")


def test_a_slow_drip_costs_at_most_the_page_cap_and_is_recorded(crawl):
    site = crawl["site"]
    error = crawl["failures"][site.page(6)]
    # 1.2 s, 1.2 s, then what is left of the 3 s cap: three attempts, 3.0 s in all.
    assert "timed out 3 times, 3.0 s in all" in error, error
    assert "at most 3 s a page" in error
    assert site.asked["/news/artykul-6-2024"] == 3
    assert crawl["elapsed"] < 40


@pytest.mark.parametrize("coding", ["gzip", "x-gzip", "deflate", "raw deflate", "br", "zstd",
                                    "gzip, br", "two gzip members", "cut gzip"])
def test_decoded_size_counts_as_scrapy_decodes_and_stops_past_the_limit(coding):
    """The recorder's measure of a body agrees with what Scrapy's HttpCompressionMiddleware
    decodes it to, for every coding Scrapy decodes, and stops one chunk past the limit."""
    from scrapy.utils import _compression as codecs

    from archive.recorder import decoded_size

    page = ARTICLE * 200
    encode = {"gzip": gzip.compress, "x-gzip": gzip.compress, "deflate": zlib.compress,
              "raw deflate": lambda b: zlib.compress(b)[2:-4], "br": brotli.compress,
              "zstd": codecs.zstd.compress,
              "gzip, br": lambda b: brotli.compress(gzip.compress(b)),
              "two gzip members": lambda b: gzip.compress(b) + gzip.compress(b),
              "cut gzip": lambda b: gzip.compress(b)[:len(gzip.compress(b)) // 2]}[coding]
    header = {"raw deflate": "deflate", "two gzip members": "gzip", "cut gzip": "gzip"}.get(
        coding, coding)
    body = encode(page)
    whole = {"two gzip members": 2 * len(page)}.get(coding, len(page))
    if coding == "cut gzip":
        assert 0 < decoded_size(body, header, 10 * len(page)) < len(page)
        return
    assert decoded_size(body, header, 10 * len(page)) == whole
    assert len(page) // 10 < decoded_size(body, header, len(page) // 10) <= len(page) // 10 + (
        1 << 17)


def test_a_timed_out_page_within_the_default_cap_ends_with_its_retries(tmp_path):
    """With the default cap (120 s) and 0.5 s attempts, RetryMiddleware's four attempts end
    the page first; the failure still counts them all."""
    with HostileSite() as site:
        subprocess.run(
            [sys.executable, "-m", "crawler.run.cli", "crawl", "--url", f"{site.url}/start",
             "--out", str(tmp_path), "--delay", "0", "--timeout", "0.5", "--no-media"],
            capture_output=True, text=True, timeout=60, check=False,
            env={**os.environ, "KRONIKA_CONTACT": "test@example.invalid",
                 "KRONIKA_DOWNLOAD_MAXSIZE": str(LIMIT)})
    manifest = json.loads(next((tmp_path / "runs").glob("run-*.json")).read_text())
    error = {f["url"]: f["error"] for f in manifest["failures"]}[site.page(6)]
    assert error.startswith("PageTimedOut: timed out 4 times, 2.0 s in all (no retries left; "
                            "at most 120 s a page)"), error
    assert site.asked["/news/artykul-6-2024"] == 4
    assert manifest["caps"]["KRONIKA_PAGE_TIMEOUT"] == 120
