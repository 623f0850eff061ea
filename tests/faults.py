"""A fault-injecting mirror server: what misbehaving small public web servers do.

``FaultyMirrorServer(mirror, FaultPlan(...))`` serves any mirror (usually
``tests.synthetic.synthetic_mirror``) and, decided per request by a seeded hash of
(path, attempt number), answers some requests with:

* transient faults, a fresh chance on every request: HTTP 500/502/503, 429 with
  Retry-After, a connection reset (RST, no response), a read timeout (the server
  stays silent longer than the crawler waits), a body cut short of its Content-Length;
* content faults, fixed per page: a windows-1250 or ISO-8859-2 body (declared, or with
  no charset anywhere), a UTF-8 body under an ``ISO-8859-1`` header (Apache's
  AddDefaultCharset), a windows-1250 body under a ``utf-8`` header, malformed HTML
  (unclosed and stray tags, no end of document);
* permanent faults on a few chosen article pages: a 30 MB page (an image pasted into
  the article as a data: URI, as CMS editors do), a redirect loop, binary (PDF) bytes
  served as text/html, and pages that answer 500 forever.

Decisions depend only on the seed, the path and how many times that path was asked for,
so a run is reproducible whatever order the crawler fetches in. ``expected_failures``
names the article URLs a crawl can never get; everything else must end up stored.
"""

from __future__ import annotations

import base64
import hashlib
import random
import socket
import struct
import time
from collections import Counter
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from crawler.devtools.mirror import FIXTURES, MirrorServer

TRANSIENT = {"500": 0.03, "502": 0.02, "503": 0.03, "429": 0.02, "reset": 0.02,
             "timeout": 0.01, "truncate": 0.02}
CONTENT = {"cp1250": 0.03, "iso8859_2": 0.03, "cp1250_undeclared": 0.03,
           "latin1_header": 0.03, "utf8_header_cp1250_body": 0.03, "malformed": 0.05}
PERMANENT = ("huge", "redirect_loop", "binary", "always_500")
HUGE_BYTES = 30 * 1024 * 1024


def _chance(*parts) -> float:
    digest = hashlib.sha256(":".join(map(str, parts)).encode()).digest()
    return struct.unpack(">Q", digest[:8])[0] / 2**64


@dataclass
class FaultPlan:
    """Which request gets which fault; chances are per request (transient) or per page."""

    seed: int = 1
    transient: dict = field(default_factory=lambda: dict(TRANSIENT))
    content: dict = field(default_factory=lambda: dict(CONTENT))
    # How many article pages get each permanent fault.
    permanent: dict = field(default_factory=lambda: {"huge": 1, "redirect_loop": 1,
                                                     "binary": 1, "always_500": 2})
    timeout_s: float = 3.0        # how long a "timeout" answer stays silent
    retry_after: int = 1          # seconds, in a 429's Retry-After
    assigned: dict = field(default_factory=dict)  # article path -> permanent fault

    def assign(self, article_urls: list[str]) -> FaultPlan:
        """Choose the pages of the permanent faults among ``article_urls``."""
        paths = sorted((urlsplit(u).path for u in article_urls),
                       key=lambda p: _chance(self.seed, "permanent", p))
        for kind in PERMANENT:
            for _ in range(self.permanent.get(kind, 0)):
                self.assigned[paths.pop(0)] = kind
        return self

    def permanent_fault(self, path: str) -> str | None:
        return self.assigned.get(urlsplit(path).path)

    def transient_fault(self, path: str, attempt: int) -> str | None:
        roll = _chance(self.seed, "transient", path, attempt)
        for kind, rate in self.transient.items():
            if roll < rate:
                return kind
            roll -= rate
        return None

    def content_fault(self, path: str) -> str | None:
        roll = _chance(self.seed, "content", path)
        for kind, rate in self.content.items():
            if roll < rate:
                return kind
            roll -= rate
        return None

    def expected_failures(self, article_urls: list[str]) -> set[str]:
        """Article URLs that can never be stored (whatever the retries)."""
        return {u for u in article_urls
                if self.assigned.get(urlsplit(u).path) in ("redirect_loop", "binary",
                                                           "always_500")}


def recode(body: bytes, kind: str) -> tuple[bytes, str]:
    """A UTF-8 HTML page re-served with the encoding fault ``kind``: (body, Content-Type)."""
    text = body.decode("utf-8")

    def encoded(charset: str, meta: str | None) -> bytes:
        page = text.replace('<meta charset="utf-8" />',
                            f'<meta charset="{meta}" />' if meta else "")
        # Characters the legacy charset lacks („”…) become references, as old CMSes did.
        return page.encode(charset, errors="xmlcharrefreplace")

    if kind == "cp1250":
        return encoded("cp1250", "windows-1250"), "text/html; charset=windows-1250"
    if kind == "iso8859_2":
        return encoded("iso-8859-2", "iso-8859-2"), "text/html; charset=ISO-8859-2"
    if kind == "cp1250_undeclared":
        return encoded("cp1250", None), "text/html"
    if kind == "latin1_header":
        return body, "text/html; charset=ISO-8859-1"
    if kind == "utf8_header_cp1250_body":
        return encoded("cp1250", "windows-1250"), "text/html; charset=utf-8"
    raise ValueError(kind)


def malformed(body: bytes) -> bytes:
    """The page as a careless template or editor leaves it: no closing </p>, stray end
    tags inside the article, an unclosed <b>, and the document cut off after the footer."""
    body = body.replace(b"</p>", b"")
    body = body.replace(b'<div itemprop="articleBody">',
                        b'<div itemprop="articleBody"></span></div></td><b>', 1)
    return body.split(b"</footer>")[0] + b"</footer>\n<div id=\"cookie-notice\"><p>Strona"


_HUGE_IMAGE: list[bytes] = []


def huge(body: bytes) -> bytes:
    """The article with a ~30 MB image pasted into its text as a data: URI."""
    if not _HUGE_IMAGE:
        raw = random.Random(0).randbytes(HUGE_BYTES * 3 // 4)
        _HUGE_IMAGE.append(b'<p><img src="data:image/jpeg;base64,' + base64.b64encode(raw)
                           + b'" alt="" /></p>')
    return body.replace(b'<div itemprop="articleBody">',
                        b'<div itemprop="articleBody">' + _HUGE_IMAGE[0], 1)


def _pdf() -> bytes:
    return next((FIXTURES / "rops_torun" / "pages" / "www.rops.torun.pl" / "images"
                 / "dokumenty" / "2021").glob("*.pdf")).read_bytes()


class FaultyMirrorServer(MirrorServer):
    """MirrorServer with a FaultPlan; ``fault_log`` counts what was injected."""

    def __init__(self, mirror, plan: FaultPlan, **kwargs):
        self.plan = plan
        self.attempts: Counter = Counter()
        self.fault_log: Counter = Counter()
        super().__init__(mirror, **kwargs)

    def page_bytes(self, page: dict) -> tuple[bytes, str]:
        body, ctype = super().page_bytes(page)
        if page.get("kind") not in ("article", "listing"):
            return body, ctype
        parts = urlsplit(page["url"])
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        permanent = self.plan.permanent_fault(path) if page["kind"] == "article" else None
        if permanent == "huge":
            return huge(body), ctype
        if permanent == "binary":
            return _pdf(), "text/html; charset=utf-8"
        kind = self.plan.content_fault(path)
        if kind == "malformed":
            return malformed(body), ctype
        if kind:
            return recode(body, kind)
        return body, ctype

    def _handler(self):
        server = self
        base_handler = super()._handler()

        class Handler(base_handler):
            def _answer(self, with_body: bool):
                with server._lock:
                    server.attempts[self.path] += 1
                    attempt = server.attempts[self.path]
                fault = None
                if not self.path.startswith("/robots.txt"):
                    fault = server.plan.transient_fault(self.path, attempt)
                    permanent = server.plan.permanent_fault(self.path)
                    if permanent in ("redirect_loop", "always_500"):
                        fault = permanent
                if fault is None:
                    return super()._answer(with_body)
                with server._lock:
                    server.fault_log[fault] += 1
                    server.requests.append({"method": self.command,
                                            "host": self.headers.get("Host", ""),
                                            "path": self.path, "time": time.monotonic(),
                                            "status": fault, "fault": fault,
                                            "user_agent": self.headers.get("User-Agent")})
                self._inject(fault, with_body)

            def _inject(self, fault: str, with_body: bool):
                if fault == "reset":
                    # SO_LINGER 0: close() sends RST, the client sees "connection reset".
                    self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                               struct.pack("ii", 1, 0))
                    self.close_connection = True
                    return
                if fault == "timeout":
                    # The fault itself: silence past the crawl's --timeout (not a wait).
                    time.sleep(server.plan.timeout_s)
                    self.close_connection = True
                    return
                if fault == "truncate":
                    page = server.mirror.find(self.headers.get("Host", ""), self.path)
                    body = server.page_bytes(page)[0] if page else b"<html>" * 1000
                    self.send_response(200)
                    self.send_header("Content-Type", "text/html; charset=utf-8")
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    if with_body:
                        self.wfile.write(body[: len(body) // 2])
                    self.close_connection = True
                    return
                if fault == "redirect_loop":
                    parts = urlsplit(self.path)
                    target = parts.path if parts.query else parts.path + "?r=1"
                    self.send_response(302)
                    self.send_header("Location", target)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                status = 500 if fault == "always_500" else int(fault)
                body = b"<html><body><h1>Przepraszamy, serwis chwilowo niedost\xc4\x99pny</h1>" \
                       b"</body></html>"
                self.send_response(status)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                if status == 429:
                    self.send_header("Retry-After", str(server.plan.retry_after))
                self.end_headers()
                if with_body:
                    self.wfile.write(body)

        return Handler
