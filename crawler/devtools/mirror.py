"""Serve a fixture mirror (tests/fixtures/<slug>/) over real HTTP on 127.0.0.1.

The server answers as the site's hosts would: it picks the page by the request's Host
header plus path and query (see docs/MIRRORS.md), sends the stored bytes with the
recorded Content-Type, and logs every request so tests can count them.

    kronika mirror rops_krakow --port 8765
"""

from __future__ import annotations

import argparse
import hashlib
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

from w3lib.url import safe_url_string

from crawler.devtools.fixtures import DEFAULT_DIR as FIXTURES
from crawler.devtools.fixtures import FixtureSite


def _key(host: str, path_and_query: str) -> tuple[str, str]:
    return host.lower(), safe_url_string(path_and_query)


@dataclass
class Mirror(FixtureSite):
    """A site's fixture folder, indexed for serving: pages by (host, path+query)."""

    by_address: dict = field(default_factory=dict)

    @classmethod
    def load(cls, slug: str, root: Path = FIXTURES) -> Mirror:
        site = FixtureSite.load(slug, root)
        mirror = cls(site.slug, site.root, site.meta)
        for page in mirror.meta["pages"]:
            parts = urlsplit(page["url"])
            pq = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
            mirror.by_address[_key(parts.hostname, pq)] = page
        return mirror

    @property
    def hosts(self) -> list[str]:
        return self.meta["hosts"]

    def find(self, host: str, path_and_query: str) -> dict | None:
        host = (host or "").split(":")[0].lower()
        if host not in self.hosts:
            host = self.hosts[0]
        return self.by_address.get(_key(host, path_and_query))


class MirrorServer:
    """A ThreadingHTTPServer serving one or more mirrors; use as a context manager."""

    def __init__(self, mirror: Mirror, port: int = 0, transform=None):
        self.mirror = mirror
        # (page, body) -> body: e.g. a site's template change, applied as pages are served
        self.transform = transform
        self.requests: list[dict] = []
        # path+query -> status, or (status, body), to answer instead of the page
        self.faults: dict[str, int | tuple[int, bytes]] = {}
        # path+query -> (status, headers) answered once, then the page again
        self.faults_once: dict[str, tuple[int, dict]] = {}
        self.in_flight = 0
        self.max_in_flight = 0  # the most requests the server was answering at once
        self._lock = threading.Lock()
        handler = self._handler()
        self.httpd = ThreadingHTTPServer(("127.0.0.1", port), handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def __enter__(self) -> MirrorServer:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def page_bytes(self, page: dict) -> tuple[bytes, str]:
        """The body and Content-Type served for ``page`` (a subclass may alter both)."""
        body = self.mirror.body(page)
        if self.transform is not None:
            body = self.transform(page, body)
        return body, page["content_type"]

    def _handler(self):
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self):  # noqa: N802 (http.server naming)
                self._serve(with_body=True)

            def do_HEAD(self):  # noqa: N802
                self._serve(with_body=False)

            def _serve(self, with_body: bool):
                with server._lock:
                    server.in_flight += 1
                    server.max_in_flight = max(server.max_in_flight, server.in_flight)
                try:
                    self._answer(with_body)
                finally:
                    with server._lock:
                        server.in_flight -= 1

            def _answer(self, with_body: bool):
                host = self.headers.get("Host", "")
                with server._lock:
                    server.requests.append({"method": self.command, "host": host,
                                            "path": self.path, "time": time.monotonic(),
                                            "accept": self.headers.get("Accept", ""),
                                            "user_agent": self.headers.get("User-Agent")})
                page = server.mirror.find(host, self.path)
                once = server.faults_once.pop(self.path, None)
                if once is not None:
                    status, extra = once
                    body = b"<h1>Za du\xc5\xbco zapyta\xc5\x84</h1>"
                    ctype = "text/html; charset=utf-8"
                elif self.path in server.faults:
                    fault = server.faults[self.path]
                    status, body = (fault if isinstance(fault, tuple)
                                    else (fault, b"<h1>Awaria</h1>"))
                    ctype, extra = "text/html; charset=utf-8", {}
                elif page is None:
                    body, status, ctype, extra = b"<h1>404 Nie znaleziono</h1>", 404, \
                        "text/html; charset=utf-8", {}
                else:
                    body, ctype = server.page_bytes(page)
                    status, extra = page.get("status", 200), page.get("headers", {})
                # Validators, as real servers send them; a matching If-None-Match gets 304.
                etag = f'"{hashlib.sha1(body).hexdigest()[:16]}"' if status == 200 else None
                if etag and self.headers.get("If-None-Match") == etag:
                    status, body = 304, b""
                with server._lock:
                    server.requests[-1].update(
                        status=status, if_none_match=self.headers.get("If-None-Match"))
                self.send_response(status)
                if etag:
                    self.send_header("ETag", etag)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                self.send_header("Server", "kronika-fixture-mirror (reconstruction)")
                for name, value in extra.items():
                    self.send_header(name, value)
                self.end_headers()
                if with_body:
                    self.wfile.write(body)

            def log_message(self, *args):  # requests are kept in server.requests
                pass

        return Handler


def main() -> None:
    """`python -m crawler.devtools.mirror SLUG [--port N]`: serve that site's fixture
    mirror on 127.0.0.1 until Ctrl-C."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("slug")
    parser.add_argument("--port", type=int, default=8765)
    args = parser.parse_args()
    serve_until_interrupted(MirrorServer(Mirror.load(args.slug), port=args.port),
                            f"the {args.slug} mirror (a reconstruction)")


def serve_until_interrupted(server: MirrorServer, what: str) -> None:
    """Run ``server`` in the foreground (the command-line mirrors) until Ctrl-C; the
    first line printed says where, for scripts that wait for it."""
    with server:
        print(f"serving {what} at {server.base_url}", flush=True)
        try:
            server.thread.join()
        except KeyboardInterrupt:
            pass


if __name__ == "__main__":
    main()


def without_newest(count: int):
    """A transform hiding the ``count`` newest items of rops.krakow.pl's first listing
    page, as the page looked before they were published."""
    import re

    def transform(page: dict, body: bytes) -> bytes:
        if page["url"] != "https://rops.krakow.pl/aktualnosci":
            return body
        for _ in range(count):
            body = re.sub(rb'<article class="news-item[^"]*">.*?</article>', b"", body, count=1,
                          flags=re.S)
        return body

    return transform
