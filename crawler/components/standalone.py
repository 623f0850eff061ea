"""A bare ``scrapy crawl SLUG`` keeps a harvest as ``kronika crawl`` does.

In a checkout, ``scrapy.cfg`` points Scrapy at kronika's settings module, so ``scrapy
crawl rops_krakow [-a base_url=http://127.0.0.1:8765] [-s KRONIKA_OUT=DIR]`` runs with
kronika's components: the store, the WARC recorder and the politeness middleware. They
need the run's Harvest, which ``kronika crawl`` opens before Scrapy starts. With no
runner, this extension does it: built before the downloader and the pipelines, it opens
the harvest directory (``KRONIKA_OUT``, default ``./harvest``, locked against a second
run) and hands the Harvest to them through the crawler (``archive.harvest.harvest_of``).
When the spider closes it finishes the run in the store, closes the WARC files, writes
the CDXJ index and a run manifest, and logs the summary.

It stays idle (NotConfigured) under every kronika command: they open their own harvest
(``crawl``) or keep none (``check``, ``fixtures capture``), and ``crawl_settings`` sets
``KRONIKA_OUT`` to None.

Like ``kronika crawl``, it is incremental unless ``-a full=1`` or the last run did not
reach its end, and asks again for the pages that failed last time (not those the scope
check refused). It finishes the run with the runner's own code
(``crawler.components.finish``): the same summary, caps, manifest and exit status in it
(5 after SIGINT or SIGTERM, which it watches; 6 when the harvest could not be written),
so the run after an interrupted bare crawl walks everything, as after ``kronika crawl``.
The ``scrapy`` command itself exits as Scrapy decides (0), except when the harvest
cannot be opened: a damaged store, a locked directory or a full disk is one line in the
log and exit 2, 4 or 6, with no traceback.
"""

from __future__ import annotations

import logging
import signal
import sqlite3
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from scrapy import signals
from scrapy.exceptions import NotConfigured

from crawler import __version__
from crawler.components.finish import (
    EXIT_LOCKED,
    EXIT_USAGE,
    EXIT_WRITE_FAILED,
    RunStops,
    caps_in_force,
    conclude,
    drop_queued,
    end_lines,
    full_reason,
    index_run,
    is_refusal,
    reached_anything,
    record_end,
    summarize,
    write_manifest,
)
from crawler.components.settings import keep_offline

if TYPE_CHECKING:
    from archive.harvest import Harvest
    from archive.lock import HarvestLock

logger = logging.getLogger(__name__)

# What shapes the capture, recorded in every warcinfo record (as kronika crawl does).
_SHAPING = ("USER_AGENT", "ROBOTSTXT_OBEY", "CONCURRENT_REQUESTS_PER_DOMAIN", "DOWNLOAD_DELAY",
            "AUTOTHROTTLE_ENABLED", "RETRY_TIMES", "RETRY_HTTP_CODES", "DOWNLOAD_MAXSIZE")


class StandaloneHarvest:
    """Open the harvest of a bare ``scrapy crawl``, and finish it when the spider closes."""

    def __init__(self, crawler, out_dir: Path):
        self.crawler = crawler
        self.out_dir = Path(out_dir)
        self.harvest: Harvest | None = None
        self.lock: HarvestLock | None = None
        self.started = datetime.now(UTC)
        self.stops = RunStops()
        self.full_reason: str | None = None

    @classmethod
    def from_crawler(cls, crawler):
        settings = crawler.settings
        if settings.get("KRONIKA_HARVEST") is not None:
            raise NotConfigured("the runner opened the harvest")
        if not settings.get("KRONIKA_OUT"):
            raise NotConfigured("no KRONIKA_OUT: this process keeps no harvest")
        ext = cls(crawler, Path(settings["KRONIKA_OUT"]))
        ext.open_or_exit()
        crawler.signals.connect(ext.spider_closed, signal=signals.spider_closed)
        return ext

    def open_or_exit(self) -> None:
        """Open the harvest; when it cannot be, say why in one line and end the process
        with kronika's status for it (no traceback, nothing fetched)."""
        from archive.harvest import disk_refused
        from archive.lock import HarvestLocked
        from archive.store import StoreDamaged

        try:
            self.open()
            return
        except StoreDamaged as exc:
            message, code = str(exc), EXIT_USAGE
        except HarvestLocked as exc:
            message, code = f"{exc}; not starting a second run", EXIT_LOCKED
        except (OSError, sqlite3.Error) as exc:
            if isinstance(exc, sqlite3.Error) and not disk_refused(exc):
                raise
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else exc
            message, code = f"cannot write {self.out_dir}: {reason}", EXIT_WRITE_FAILED
        if self.lock is not None:
            self.lock.release()
        logger.error("%s", message)
        # Out of the reactor and Scrapy's command at once: raised from here, any other
        # exception becomes a "Task exception was never retrieved" traceback.
        raise SystemExit(code)

    def open(self) -> None:
        import scrapy

        from archive.harvest import Harvest
        from archive.lock import HarvestLock
        from crawler.monitor.drift import DriftTally

        keep_offline()
        settings = self.crawler.settings
        command = " ".join(["scrapy", *sys.argv[1:]])
        self.out_dir.mkdir(parents=True, exist_ok=True)
        self.lock = HarvestLock(self.out_dir).acquire(command)
        spider = self.crawler.spider
        ua = settings.get("USER_AGENT")
        shaping = {k: settings.get(k) for k in _SHAPING}
        shaping.update(sites=[spider.name] if spider else [],
                       base_url=getattr(spider, "base_url", None))
        self.harvest = Harvest(
            self.out_dir, command, operator=ua.rsplit("+", 1)[-1].rstrip(")"), user_agent=ua,
            software=f"kronika/{__version__} (Scrapy {scrapy.__version__})", tally=DriftTally,
            settings=shaping)
        # The recorder and the pipelines find it here (archive.harvest.harvest_of).
        self.crawler.kronika_harvest = self.harvest
        store = self.harvest.store
        self.full_reason = full_reason(store, self.harvest.run_id,
                                       bool(getattr(spider, "full", False)))
        if spider is not None and hasattr(spider, "known"):
            if spider.known is None and self.full_reason is None:
                spider.known = store.known_articles(spider.name)
            if not spider.retry_urls:
                refused = {f["url"] for f in store.failures()
                           if f["site"] == spider.name and is_refusal(f["error"])}
                spider.retry_urls = tuple(u for u in store.pending_failures(spider.name)
                                          if u not in refused)
        self.stops.watch(self.harvest, [self.crawler])
        self._watch_signals()
        logger.info("harvest: %s (run %s)", self.out_dir, self.harvest.run_id)

    def _watch_signals(self) -> None:
        """Note SIGINT and SIGTERM before Scrapy's own handlers act on them (installed
        once the reactor started, which it has when the crawl builds its extensions; a
        signal missed here still closes the spider as "shutdown", read as interrupted)."""
        for sig in (signal.SIGINT, signal.SIGTERM):
            handler = signal.getsignal(sig)
            if callable(handler) and not getattr(handler, "kronika_noting", False):
                signal.signal(sig, self._noting(handler))

    def _noting(self, handler):
        def note(signum, frame):
            from twisted.internet import reactor

            self.stops.note_signal(signum)
            handler(signum, frame)
            self._watch_signals()  # Scrapy's handler for a second signal, now in place
            reactor.callFromThread(self._drop_queued, signum)

        note.kronika_noting = True
        return note

    def _drop_queued(self, signum: int) -> None:
        # As kronika crawl does: what is only queued fails now (retried next run).
        from twisted.internet import reactor as installed

        reactor: Any = installed  # the installed reactor: IReactorTime among others

        drop_queued([self.crawler], "not fetched: the run was interrupted by "
                    f"{signal.Signals(signum).name}")
        if getattr(self.crawler.engine, "spider", None) is not None:
            reactor.callLater(0.2, self._drop_queued, signum)

    def spider_closed(self, spider, reason):
        harvest = self.harvest
        assert harvest is not None and self.lock is not None  # opened in from_crawler
        try:
            if reason not in ("finished", "shutdown") or (
                    reason == "shutdown" and not self.stops.signals):
                self.stops.other = reason
            summary = summarize(harvest, [spider.name], self.started,
                                has_profile=spider.name != "generic",
                                stats={spider.name: self.crawler.stats.get_stats()})
            summary["options"] = {"base_url": getattr(spider, "base_url", None),
                                  "full": bool(getattr(spider, "full", False)),
                                  "standalone": True}
            summary["full"] = self.full_reason is not None
            summary["full_reason"] = self.full_reason
            summary["caps"] = caps_in_force(self.crawler.settings)
            conclude(summary, self.stops, reached=reached_anything([self.crawler]))
            record_end(harvest, summary)
            written = write_manifest(harvest, summary, index_run(harvest, summary))
        finally:
            self.lock.release()
        site = summary["sites"][spider.name]
        logger.info("%s: %s new, %s changed, %s unchanged, %s failed; harvest %s (run %s, "
                    "%s, exit %s)", spider.name, site["new"], site["changed"],
                    site["unchanged"], site["failed"], harvest.dir, harvest.run_id,
                    f"manifest {harvest.manifest_path.relative_to(harvest.dir)}" if written
                    else "no manifest", summary["exit_code"])
        for line in end_lines(summary):
            logger.warning("%s", line.removeprefix("kronika: "))
