"""Caps on what a site may make the crawl keep: cookies.

``CookieCapMiddleware`` sits just above Scrapy's CookiesMiddleware (700): it sees each
response's ``Set-Cookie`` headers before the cookie jar does and drops every cookie over
``KRONIKA_MAX_COOKIE_BYTES`` and every new cookie name past ``KRONIKA_MAX_COOKIES`` for
the response's host, so a server that floods us with cookies cannot grow the jar, or the
``Cookie`` header of every later request, without bound. The WARC recorder (950) sees
the response first: the archive keeps the headers as they were sent.
"""

from __future__ import annotations

import logging
from urllib.parse import urlsplit

from archive.meta import real_url

logger = logging.getLogger(__name__)


class CookieCapMiddleware:
    """Drop cookies past the per-host count and size caps (see the module docstring)."""

    def __init__(self, crawler):
        self.crawler = crawler
        self.max_cookies = crawler.settings.getint("KRONIKA_MAX_COOKIES", 50)
        self.max_bytes = crawler.settings.getint("KRONIKA_MAX_COOKIE_BYTES", 4096)
        self.names: dict[str, set[bytes]] = {}  # real host -> cookie names kept
        self.warned: set[str] = set()

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def process_response(self, request, response):
        cookies = response.headers.getlist("Set-Cookie")
        if not cookies:
            return response
        host = (urlsplit(real_url(request)).hostname or "").lower().removeprefix("www.")
        names = self.names.setdefault(host, set())
        kept = []
        for cookie in cookies:
            name = cookie.split(b"=", 1)[0].strip()
            if len(cookie) > self.max_bytes:
                continue
            if name not in names and len(names) >= self.max_cookies:
                continue
            names.add(name)
            kept.append(cookie)
        dropped = len(cookies) - len(kept)
        if not dropped:
            return response
        self.crawler.stats.inc_value("kronika/cookies_dropped", dropped)
        if host not in self.warned:
            self.warned.add(host)
            logger.warning("%s sent more cookies than kept (at most %d, of up to %d bytes "
                           "each): %d dropped", host, self.max_cookies, self.max_bytes, dropped)
        headers = response.headers.copy()
        if kept:
            headers.setlist("Set-Cookie", kept)
        else:
            del headers["Set-Cookie"]
        return response.replace(headers=headers)
