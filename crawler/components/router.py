"""Downloader middleware that points a spider at a mirror of its site (``--base-url``).

Every request for one of the site's hosts goes to the mirror, with the real host in the
``Host`` header, so one server can mirror a site that lives on several hosts. The
response gets its real URL back before anything else sees it: spiders, extraction, the
store and the WARC records all keep the site's real URLs.
"""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

from archive.meta import REAL_URL


class MirrorRouterMiddleware:
    """Route the site's hosts to ``spider.base_url``; restore real URLs on responses."""

    def __init__(self, crawler):
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def process_request(self, request):
        spider = self.crawler.spider
        base = getattr(spider, "base_url", None)
        if not base:
            return None
        mirror = urlsplit(base)
        real = urlsplit(request.url)
        # Decide by the URL, not by a meta flag: Scrapy copies meta into the request a
        # redirect produces, and that request (to a real host) must be routed again.
        if real.netloc == mirror.netloc or not spider.covers_host(real.hostname or ""):
            return None
        target = urlunsplit((mirror.scheme, mirror.netloc,
                             mirror.path.rstrip("/") + (real.path or "/"), real.query, ""))
        headers = request.headers.copy()
        headers["Host"] = real.netloc
        return request.replace(url=target, headers=headers, dont_filter=True,
                               meta={**request.meta, REAL_URL: request.url})

    def process_response(self, request, response):
        real = request.meta.get(REAL_URL)
        return response.replace(url=real) if real else response
