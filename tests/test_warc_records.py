"""The WARC records themselves: a 304 is a server-not-modified revisit that replays the
page; the provenance of a capture made from a mirror; and what the HTTP header blocks
are (rebuilt by Scrapy, and said to be) on a server with an odd reason phrase,
mixed-case headers and a chunked gzip body.

Real crawls (``kronika crawl`` subprocesses) of real servers on 127.0.0.1, read back
with warcio; the crawl helper runs `warcio check` on every file they write.
"""

from __future__ import annotations

import gzip
import importlib.metadata
import os
import subprocess
import sys
import threading
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from warcio.archiveiterator import ArchiveIterator

from archive.warc import NO_CONTACT, NOT_MODIFIED_PROFILE, REBUILT_HTTP_HEADERS
from crawler.components.settings import DEFAULT_CONTACT
from tests.harness import Mirror, MirrorServer, assert_warcs_valid, crawl
from tests.test_pywb import pywb  # noqa: F401 - the fixture that starts pywb on loopback


def records(out: Path) -> list:
    """Every record of the harvest's WARC files, in file order: (type, rec_headers,
    http_headers, payload as recorded: never decoded, as warcio's content_stream would)."""
    found = []
    for path in sorted((out / "warc").glob("*.warc.gz")):
        with open(path, "rb") as fh:
            for record in ArchiveIterator(fh):
                found.append((record.rec_type, record.rec_headers, record.http_headers,
                              record.raw_stream.read()))
    return found


@pytest.fixture(scope="module")
def nightly(tmp_path_factory):
    """A first crawl of the rops_krakow mirror, then a nightly re-check of every known
    article (one of them corrected by the site meanwhile): most answer 304."""
    out = tmp_path_factory.mktemp("nightly")
    mirror = Mirror.load("rops_krakow")
    changed = "/aktualnosci/posiedzenie-konwentu-dyrektorow-pcpr-2"

    def edit(page, body):
        if page["url"].endswith(changed):
            return body.replace(b"Prosimy o potwierdzenie", b"Uprzejmie prosimy o potwierdzenie")
        return body

    with MirrorServer(mirror) as server:
        first = crawl(server.base_url, out, "--no-media")
        assert first.returncode == 0, first.stdout + first.stderr
        server.transform = edit
        second = crawl(server.base_url, out, "--no-media", "--recheck-days", "100000")
        assert second.returncode == 0, second.stdout + second.stderr
        statuses = [r["status"] for r in server.requests]
    return {"out": out, "mirror": mirror, "base_url": server.base_url, "changed": changed,
            "not_modified": statuses.count(304)}


def test_a_304_is_a_server_not_modified_revisit_to_the_validated_capture(nightly):
    found = records(nightly["out"])
    responses = {h.get_header("WARC-Record-ID"): (h, http) for kind, h, http, _ in found
                 if kind == "response"}
    assert not any(http and http.get_statuscode() == "304"
                   for h, http in responses.values()), "a 304 written as a response"
    not_modified = [(h, http, body) for kind, h, http, body in found
                    if kind == "revisit" and h.get_header("WARC-Profile") == NOT_MODIFIED_PROFILE]
    # Every 304 the mirror sent (every re-checked article but the corrected one).
    assert nightly["not_modified"] >= 5
    assert len(not_modified) == nightly["not_modified"]
    by_id = {h.get_header("WARC-Concurrent-To"): body for kind, h, _, body in found
             if kind == "metadata"}
    for headers, http, body in not_modified:
        # No HTTP block (so none claimed): the original's status and headers are replayed.
        assert http is None and body == b"" and headers.get_header("Content-Type") is None
        original, original_http = responses[headers.get_header("WARC-Refers-To")]
        assert original_http.get_statuscode() == "200"
        assert headers.get_header("WARC-Refers-To-Target-URI") == \
            original.get_header("WARC-Target-URI") == headers.get_header("WARC-Target-URI")
        assert headers.get_header("WARC-Refers-To-Date") == original.get_header("WARC-Date")
        assert headers.get_header("WARC-Payload-Digest") == \
            original.get_header("WARC-Payload-Digest")
        assert headers.get_header("WARC-IP-Address") == "127.0.0.1"
        # The 304's own status line and headers are kept beside it.
        kept = by_id[headers.get_header("WARC-Record-ID")].decode("utf-8")
        assert "kronika-http-status-line: HTTP/1.1 304 Not Modified\r\n" in kept
        assert "kronika-http-header: Etag: " in kept


def test_pywb_replays_the_latest_capture_of_a_rechecked_article(nightly, pywb):  # noqa: F811
    replay = pywb(sorted((nightly["out"] / "warc").glob("*.warc.gz")))
    mirror = nightly["mirror"]
    rechecked = [p for p in mirror.articles() if not p["url"].endswith(nightly["changed"])]
    for page in rechecked:
        # "2026" asks for the latest capture of the year: the 304's revisit.
        with urllib.request.urlopen(f"{replay}/2026id_/{page['url']}", timeout=30) as r:
            assert r.status == 200, page["url"]
            assert r.read() == mirror.body(page), page["url"]


def test_warcinfo_and_records_say_where_the_bytes_came_from(nightly):
    found = records(nightly["out"])
    infos = [body.decode("utf-8") for kind, _, _, body in found if kind == "warcinfo"]
    assert len(infos) == 2  # one WARC file per run
    base = nightly["base_url"].rstrip("/")
    for info in infos:
        fields = dict(line.split(": ", 1) for line in info.strip().splitlines())
        assert fields["kronika-base-url"].rstrip("/") == base
        # The site's slug, and the real hosts it had fetched by the time the file opened
        # (which first depends on the order concurrent requests finished in).
        source = fields["kronika-capture-source"]
        assert source.startswith(f"mirror at {fields['kronika-base-url']} of rops_krakow (")
        assert "rops.krakow.pl" in source.split("(", 1)[1]
        assert "not a live capture" in source
        assert f"warcio {importlib.metadata.version('warcio')}," in fields["software"]
        assert fields["http-headers"] == REBUILT_HTTP_HEADERS
        if not os.environ.get("KRONIKA_CONTACT"):
            assert fields["operator"] == NO_CONTACT
    for kind, headers, _, _ in found:
        if kind in ("response", "revisit"):
            assert headers.get_header("WARC-IP-Address") == "127.0.0.1"
            assert headers.get_header("WARC-Protocol") == "http/1.1"


def test_the_placeholder_contact_is_the_crawlers():
    # archive/ cannot import the crawler's placeholder; the two must not drift apart.
    from archive.warc import _PLACEHOLDER_CONTACTS

    assert DEFAULT_CONTACT in _PLACEHOLDER_CONTACTS


PAGE = ("<!doctype html><html lang=pl><head><title>Nietypowy serwer</title></head><body>"
        "<article><h1>Nietypowy serwer</h1><p>Treść strony podana kawałkami.</p></article>"
        "</body></html>").encode()


class OddHandler(BaseHTTPRequestHandler):
    """A server that answers every path with an unusual head: a reason phrase of its
    own, mixed-case header names, and a gzip body sent in chunks."""

    protocol_version = "HTTP/1.1"

    def do_GET(self):
        if not self.path.startswith("/aktualnosci/"):  # robots.txt, feeds, sitemaps
            self.send_response(404)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        body = gzip.compress(PAGE)
        self.send_response(200, "Okidoki")
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("X-CaSe-Header", "MiXeD value")
        self.send_header("Content-Encoding", "gzip")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        for start in range(0, len(body), 40):
            piece = body[start:start + 40]
            self.wfile.write(f"{len(piece):x}\r\n".encode() + piece + b"\r\n")
        self.wfile.write(b"0\r\n\r\n")

    def log_message(self, *args):
        pass


def test_a_rebuilt_head_is_recorded_as_rebuilt(tmp_path):
    server = ThreadingHTTPServer(("127.0.0.1", 0), OddHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    start = f"http://127.0.0.1:{server.server_address[1]}/aktualnosci/nietypowy"
    try:
        subprocess.run([sys.executable, "-m", "crawler.run.cli", "crawl", "--url", start,
                        "--out", str(tmp_path), "--delay", "0"],
                       capture_output=True, text=True, timeout=120, check=False)
    finally:
        server.shutdown()
        server.server_close()
    assert_warcs_valid(tmp_path)
    found = records(tmp_path)
    page = [(h, http, body) for kind, h, http, body in found
            if kind == "response" and h.get_header("WARC-Target-URI") == start]
    assert page, [h.get_header("WARC-Target-URI") for _, h, _, _ in found]
    headers, http, body = page[0]
    # What the server sent and Scrapy did not hand over: the reason phrase, the header
    # name's case, the chunked transfer.
    assert http.protocol == "HTTP/1.1" and http.statusline == "200 OK"
    names = [name for name, _ in http.headers]
    assert "X-Case-Header" in names and "X-CaSe-Header" not in names
    assert http.get_header("X-Case-Header") == "MiXeD value"  # values kept
    assert not any(n.lower() == "transfer-encoding" for n in names)
    # The body as received, still gzipped, de-chunked.
    assert body[:2] == b"\x1f\x8b" and gzip.decompress(body) == PAGE
    # ...and the WARC says so.
    info = next(b for kind, _, _, b in found if kind == "warcinfo").decode("utf-8")
    assert f"http-headers: {REBUILT_HTTP_HEADERS}\r\n" in info
    for claim in ("reason phrase", "canonical case", "Transfer-Encoding"):
        assert claim in REBUILT_HTTP_HEADERS
    assert headers.get_header("WARC-Protocol") == "http/1.1"
    assert headers.get_header("WARC-IP-Address") == "127.0.0.1"
    assert "kronika-capture-source: live\r\n" in info
    assert "kronika-base-url" not in info
