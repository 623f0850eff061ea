"""What Scrapy leaves to us for small public servers: Crawl-delay, Retry-After, and not
hammering a host that refuses us.

* robots.txt ``Crawl-delay`` (Scrapy parses robots.txt for Allow/Disallow only,
  scrapy/scrapy#892): the delay for our User-Agent raises the host's download delay, to
  at most ``KRONIKA_MAX_CRAWL_DELAY`` (60 s; a larger one is logged as capped and
  counted in the ``kronika/crawl_delay_capped`` stat; ``inf``/``nan`` are ignored).
* 429 and 503: the host's delay is raised to the response's ``Retry-After`` (seconds or
  an HTTP date; else 2, 4, 8... seconds, at most ``KRONIKA_MAX_BACKOFF``) before Scrapy's
  RetryMiddleware queues the retry, and lowered again after the next good answer.
* 403: once a host has refused ``KRONIKA_MAX_403`` requests in a run and refusals are at
  least as many as its good answers (a host that blocks us, not one broken page), its
  remaining requests fail at once as ``HostRefused`` (recorded as failures, retried next
  run) instead of being sent.

Hosts are the site's real hosts (under ``--base-url`` several share one mirror); delays
apply to the downloader slot the request really goes through.
"""

from __future__ import annotations

import email.utils
import logging
import math
import time
from urllib.parse import urlsplit

from protego import Protego
from scrapy import signals
from twisted.python.failure import Failure

from archive.meta import real_url

logger = logging.getLogger(__name__)


class HostRefused(Exception):
    """A host answered 403 too many times in a row; we stopped asking it."""


def retry_after_seconds(value: str | None, now: float | None = None) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or HTTP-date)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)  # "inf" and "nan" are no digits: ignored
    try:
        when = email.utils.parsedate_to_datetime(value).timestamp()
    except (TypeError, ValueError):
        return None
    return max(0.0, when - (time.time() if now is None else now))


class PolitenessMiddleware:
    """Crawl-delay, Retry-After backoff and the 403 brake (see the module docstring)."""

    def __init__(self, crawler):
        self.crawler = crawler
        settings = crawler.settings
        self.base_delay = settings.getfloat("DOWNLOAD_DELAY")
        self.user_agent = settings.get("USER_AGENT", "")
        self.max_backoff = settings.getfloat("KRONIKA_MAX_BACKOFF", 300.0)
        self.max_crawl_delay = settings.getfloat("KRONIKA_MAX_CRAWL_DELAY", 60.0)
        self.max_403 = settings.getint("KRONIKA_MAX_403", 3)
        self.crawl_delay: dict[str, float] = {}   # real host -> robots Crawl-delay
        self.backoff: dict[str, int] = {}         # real host -> consecutive 429/503
        self.refusals: dict[str, int] = {}        # real host -> 403s this run
        self.answers: dict[str, int] = {}         # real host -> good answers this run
        self.refused: set[str] = set()
        # AutoThrottle lowers a slot's delay on response_downloaded, and the downloader
        # sends the next queued request before this middleware's process_response runs:
        # the floor must be restored in the same signal, after AutoThrottle's handler
        # (extensions connect before downloader middlewares, and receivers run in order).
        crawler.signals.connect(self._keep_floor, signal=signals.response_downloaded)

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    @staticmethod
    def _host(request) -> str:
        return (urlsplit(real_url(request)).hostname or "").lower()

    def _slot(self, request):
        downloader = self.crawler.engine.downloader
        return downloader.slots.get(downloader.get_slot_key(request))

    def _floor(self, host: str) -> float:
        return max(self.base_delay, self.crawl_delay.get(host, 0.0))

    def _apply_floor(self, request) -> None:
        slot = self._slot(request)
        if slot is None:
            return
        host = self._host(request)
        if slot.delay < self._floor(host):
            slot.delay = self._floor(host)
        if host in self.crawl_delay:
            # A robots.txt Crawl-delay is the site's own minimum: Scrapy's random
            # variation (down to half the delay) would go under it.
            slot.jitter = 0.0

    def _keep_floor(self, response, request, spider=None) -> None:
        self._apply_floor(request)

    def process_request(self, request):
        host = self._host(request)
        if host in self.refused and not request.url.endswith("/robots.txt"):
            raise HostRefused(self._refusal(host))
        self._apply_floor(request)
        return None

    def _refusal(self, host: str) -> str:
        return (f"{host} answered 403 {self.refusals.get(host, 0)} times "
                f"({self.answers.get(host, 0)} good answers); not asking it again this run")

    def _drain(self, slot, host: str) -> None:
        # Requests already handed to the downloader wait in the slot's queue; they fail
        # now rather than reach a host that refuses us.
        for entry in list(slot.queue):
            request, deferred = entry
            if self._host(request) == host and not request.url.endswith("/robots.txt"):
                slot.queue.remove(entry)
                deferred.errback(Failure(HostRefused(self._refusal(host))))

    def _crawl_delay(self, host: str, response) -> float | None:
        """The robots.txt Crawl-delay for our User-Agent, capped; None when absent or
        unreadable (a negative, infinite or NaN value)."""
        try:
            delay = Protego.parse(response.text).crawl_delay(self.user_agent)
            delay = float(delay) if delay is not None else None
        except (ValueError, TypeError, AttributeError):
            return None
        if delay is None or not math.isfinite(delay) or delay <= 0:
            return None
        if delay > self.max_crawl_delay:
            self.crawler.stats.inc_value("kronika/crawl_delay_capped")
            self.crawler.stats.set_value(f"kronika/crawl_delay_asked/{host}", delay)
            logger.warning("%s asks for Crawl-delay %s s: capped at %s s "
                           "(KRONIKA_MAX_CRAWL_DELAY)", host, delay, self.max_crawl_delay)
            return self.max_crawl_delay
        logger.info("%s asks for Crawl-delay %s s", host, delay)
        return delay

    def process_response(self, request, response):
        host = self._host(request)
        slot = self._slot(request)
        path = urlsplit(real_url(request)).path
        if path == "/robots.txt" and response.status == 200:
            delay = self._crawl_delay(host, response)
            if delay:
                self.crawl_delay[host] = delay
                self._apply_floor(request)
        if response.status in (429, 503):
            count = self.backoff[host] = self.backoff.get(host, 0) + 1
            header = response.headers.get("Retry-After", b"").decode("latin-1")
            wait = retry_after_seconds(header)
            if wait is not None and wait > self.max_backoff:
                self.crawler.stats.inc_value("kronika/retry_after_capped")
                logger.warning("%s asks to wait %.0f s (Retry-After): capped at %.0f s "
                               "(KRONIKA_MAX_BACKOFF)", host, wait, self.max_backoff)
            wait = min(self.max_backoff, wait if wait is not None else 2.0 ** count)
            if slot is not None:
                slot.delay = max(slot.delay, wait, self._floor(host))
            logger.warning("%s answered %s: waiting %.1f s before asking again", host,
                           response.status, wait)
        elif response.status == 403:
            count = self.refusals[host] = self.refusals.get(host, 0) + 1
            if (count >= self.max_403 and count >= self.answers.get(host, 0)
                    and host not in self.refused):
                self.refused.add(host)
                logger.warning("%s", self._refusal(host))
                if slot is not None:
                    self._drain(slot, host)
        elif response.status < 400:
            if path != "/robots.txt":
                self.answers[host] = self.answers.get(host, 0) + 1
            if self.backoff.pop(host, None) and slot is not None:
                slot.delay = self._floor(host)
        return response
