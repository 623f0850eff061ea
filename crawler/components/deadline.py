"""A cap on the time one page may take to download, all its attempts together.

Scrapy's DOWNLOAD_TIMEOUT bounds one attempt, and RetryMiddleware makes RETRY_TIMES more:
a server that drips its answer a byte at a time holds the host's one download slot for
4 x 60 s per page, and the failure says only that the last attempt timed out.
``PageDeadlineMiddleware`` (between HttpCompression, 590, and RetryMiddleware, 550: it
sees each attempt's outcome before Retry decides on another) keeps, in the request's
meta, what each attempt of a page cost, and

* gives each attempt at most what is left of ``KRONIKA_PAGE_TIMEOUT`` (``download_timeout``
  in the meta, lowered; never raised above DOWNLOAD_TIMEOUT);
* ends the page, instead of a retry, once its attempts have used the whole cap, or when
  Retry would give up after a timeout, with one reason for the whole page:
  ``PageTimedOut("timed out 2 times, 10.0 s in all (...)")``, which the spider records as
  the page's failure.

What an attempt costs: the time it spent downloading. Scrapy gives no signal when a
request leaves the host's queue for the wire, so a timed-out attempt counts exactly its
``download_timeout`` (Scrapy measures that from the start of the transfer) and any other
failed one the time since it was handed to the downloader, at most its timeout; a wait
for the host's turn is thus counted only for attempts that did not time out.
"""

from __future__ import annotations

import logging
import time

from scrapy.exceptions import DownloadTimeoutError, NotConfigured
from scrapy.utils.misc import load_object

logger = logging.getLogger(__name__)

ATTEMPTS = "kronika_attempts"      # meta: [{"outcome", "seconds"}], shared by retries
STARTED = "kronika_attempt_start"  # meta: monotonic time this attempt was handed over
PER_ATTEMPT = "kronika_attempt_timeout"  # meta: DOWNLOAD_TIMEOUT as first set


class PageTimedOut(Exception):
    """A page's attempts timed out, or used up the time a page may take. (Not a
    DownloadTimeoutError: RetryMiddleware would retry that.)"""


def summary(attempts: list[dict], cap: float, why: str) -> str:
    """One line for the attempts of a page: how many timed out, and the time in all."""
    timeouts = sum(a["outcome"] == "timeout" for a in attempts)
    others = len(attempts) - timeouts
    seconds = sum(a["seconds"] for a in attempts)
    what = f"timed out {timeouts} time{'s' if timeouts != 1 else ''}"
    if others:
        what += f" (of {len(attempts)} attempts)"
    return f"{what}, {seconds:.1f} s in all ({why}; at most {cap:g} s a page)"


class PageDeadlineMiddleware:
    """See the module docstring."""

    def __init__(self, crawler):
        settings = crawler.settings
        self.cap = settings.getfloat("KRONIKA_PAGE_TIMEOUT", 0.0)
        if self.cap <= 0:
            raise NotConfigured("no page time cap")
        self.stats = crawler.stats
        self.retry_enabled = settings.getbool("RETRY_ENABLED")
        self.max_retries = settings.getint("RETRY_TIMES")
        self.retried = tuple(load_object(e) if isinstance(e, str) else e
                             for e in settings.getlist("RETRY_EXCEPTIONS"))

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def process_request(self, request):
        meta = request.meta
        attempts = meta.setdefault(ATTEMPTS, [])
        per_attempt = meta.setdefault(PER_ATTEMPT, meta.get("download_timeout") or self.cap)
        left = self.cap - sum(a["seconds"] for a in attempts)
        if left < 0.1:  # retried after answers (a 503, a 429) that used the time up
            raise self._give_up(request, attempts, "the page time cap is used up")
        meta["download_timeout"] = min(per_attempt, left)
        meta[STARTED] = time.monotonic()
        return None

    def process_response(self, request, response):
        self._count(request, "response " + str(response.status))
        return response

    def process_exception(self, request, exception):
        if not isinstance(exception, self.retried) or ATTEMPTS not in request.meta:
            return None  # refused before the wire, or not a network failure
        timeout = isinstance(exception, DownloadTimeoutError)
        attempts = self._count(request, "timeout" if timeout else type(exception).__name__)
        spent = sum(a["seconds"] for a in attempts)
        if spent >= self.cap - 0.1:  # what is left could not make an attempt
            why = "the page time cap is used up"
        elif timeout and self._last_try(request):
            why = "no retries left"
        else:
            return None  # RetryMiddleware tries again, within what is left
        # Raised, not returned: RetryMiddleware, below, never sees it.
        raise self._give_up(request, attempts, why) from exception

    def _give_up(self, request, attempts: list[dict], why: str) -> PageTimedOut:
        self.stats.inc_value("kronika/page_timed_out")
        message = summary(attempts, self.cap, why)
        logger.warning("%s: %s", request.url, message)
        return PageTimedOut(message)

    def _count(self, request, outcome: str) -> list[dict]:
        meta = request.meta
        attempts = meta.setdefault(ATTEMPTS, [])
        timeout = float(meta.get("download_timeout") or self.cap)
        seconds = (timeout if outcome == "timeout"
                   else min(timeout, time.monotonic() - meta.get(STARTED, time.monotonic())))
        # The list is shared by the retries (Request.copy copies meta shallowly), so
        # a retry's process_request sees what its predecessors cost.
        attempts.append({"outcome": outcome, "seconds": round(seconds, 3)})
        return attempts

    def _last_try(self, request) -> bool:
        # RetryMiddleware's own rule (scrapy.downloadermiddlewares.retry): no retry
        # when disabled or dont_retry, or once retry_times reaches max_retry_times.
        meta = request.meta
        if not self.retry_enabled or meta.get("dont_retry"):
            return True
        return meta.get("retry_times", 0) + 1 > meta.get("max_retry_times", self.max_retries)
