"""Run one crawl: open the harvest, start one Scrapy process for the chosen sites, report.

One CrawlerProcess per invocation (the Twisted reactor cannot be restarted), so the
command line, not a long-lived process, is the unit of work, which suits cron.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import signal
import sys
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

from archive.indexes import write_cdxj, write_wacz
from crawler import __version__
from crawler.components.settings import crawl_settings, keep_offline, user_agent
from crawler.monitor.drift import DriftTally

EXIT_OK, EXIT_FAILED_PAGES, EXIT_USAGE, EXIT_SITE_EMPTY, EXIT_LOCKED = 0, 1, 2, 3, 4
EXIT_INTERRUPTED = 5  # SIGINT or SIGTERM stopped the run; the next run walks everything
NO_CONTACT_WARNING = ("kronika: set KRONIKA_CONTACT to your e-mail or URL; sites see "
                      '"+set KRONIKA_CONTACT" in the User-Agent')


@dataclass
class CrawlJob:
    """What `kronika crawl` was asked to do."""

    slugs: list[str]
    out_dir: Path
    base_url: str | None = None
    since: date | None = None
    until: date | None = None
    full: bool = False
    max_pages: int | None = None
    verbose: bool = False
    quiet: bool = False           # only failures, alarms and the exit status
    settings: dict = field(default_factory=dict)
    start_url: str | None = None  # the generic spider's start (slugs == ["generic"])
    collection: str = "kronika"   # warcinfo isPartOf
    media: bool = True            # archive gallery images and attachments too
    recheck_days: int = 7         # known articles this recent are re-checked (conditional GET)
    overlap: int = 1              # all-known listing pages read before paging stops
    wacz: bool = False            # package the harvest's WARCs as <collection>.wacz
    warc_max_size: int = 1_000_000_000
    store: str | None = None      # postgresql://... shared store (default: SQLite in out_dir)
    frontier: str | None = None   # redis://... shared frontier: this process is one worker
    worker: str | None = None     # the worker's name (with frontier)


def run_crawl(job: CrawlJob, command: str) -> int:
    """Harvest ``job.slugs`` into ``job.out_dir``; returns the exit status (4 when another
    run holds the harvest directory, 5 when SIGINT or SIGTERM stopped it)."""
    from archive.lock import HarvestLock, HarvestLocked

    keep_offline()
    try:
        lock = HarvestLock(job.out_dir, job.worker if job.frontier else None).acquire(command)
    except HarvestLocked as exc:
        print(f"kronika: {exc}; not starting a second run", file=sys.stderr)
        return EXIT_LOCKED
    # Until Scrapy installs its own handlers (once the reactor runs), a signal is only
    # noted, and replayed to Scrapy then: a run stopped while starting up is still
    # finished in the store and the manifest as interrupted, never left half-recorded.
    early: list[int] = []
    previous = {sig: signal.signal(sig, lambda signum, _frame: early.append(signum))
                for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        with lock:
            return _run_locked(job, command, early)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _needs_contact(job: CrawlJob) -> bool:
    """A live run whose User-Agent names no contact (a run against a --base-url mirror
    reaches no site, so it needs none)."""
    return (not job.base_url and not job.settings.get("USER_AGENT")
            and not os.environ.get("KRONIKA_USER_AGENT")
            and not os.environ.get("KRONIKA_CONTACT"))


def _crawler_process(settings: dict, early: list[int]):
    """A CrawlerProcess that remembers the shutdown signals it received (SIGINT,
    SIGTERM: the first stops the crawl gracefully, a second at once, as in Scrapy) in
    ``.received``, and replays a signal ``early`` noted before its reactor ran."""
    from scrapy.crawler import CrawlerProcess

    class Process(CrawlerProcess):
        received: list[int] = []

        def _signal_shutdown(self, signum, frame):
            from twisted.internet import reactor

            self.received.append(signum)
            super()._signal_shutdown(signum, frame)
            reactor.callFromThread(self._drop_queued, signum)

        def _drop_queued(self, signum):
            # Scrapy's graceful stop waits for every request already handed to the
            # downloader, most of them only queued for their turn at the host (with the
            # delay between requests, many seconds). Those not yet sent fail now (and
            # are retried by the next run, like any failed page); those on the wire are
            # answered and archived. Again until the crawlers are gone, for a request
            # the engine handed over while it was stopping.
            from scrapy.exceptions import IgnoreRequest
            from twisted.internet import reactor
            from twisted.python.failure import Failure

            reason = f"not fetched: the run was interrupted by {signal.Signals(signum).name}"
            for crawler in list(self.crawlers):
                downloader = getattr(crawler.engine, "downloader", None)
                for slot in list(getattr(downloader, "slots", {}).values()):
                    while slot.queue:
                        _request, deferred = slot.queue.popleft()
                        deferred.errback(Failure(IgnoreRequest(reason)))
            if self.crawlers:
                reactor.callLater(0.2, self._drop_queued, signum)

        def _signal_kill(self, signum, frame):
            self.received.append(signum)
            super()._signal_kill(signum, frame)

        def _setup_reactor(self, install_signal_handlers):
            from twisted.internet import reactor

            super()._setup_reactor(install_signal_handlers)
            # After Scrapy's own "after startup" trigger, which installs its handlers.
            reactor.addSystemEventTrigger("after", "startup", self._replay_early)

        def _replay_early(self):
            for signum in early[:2]:
                (self._signal_kill if self.received else self._signal_shutdown)(signum, None)

    process = Process(settings)
    process.received = []
    return process


def _open_shared(job: CrawlJob):
    """The store, and with --frontier this worker's membership of the shared crawl (None
    without). Raises StoreSpecError / FrontierError (one-line usage errors); WorkerBusy
    when a live worker already has this name."""
    from archive.stores import open_store

    store = open_store(job.store, job.out_dir)
    if not job.frontier:
        return store, None
    from crawler.scale.frontier import Frontier

    try:
        frontier = Frontier(job.frontier, job.worker)
        # The first worker of a crawl decides for all: incremental unless --full or the
        # store's last run was killed (read before any run of this crawl exists).
        frontier.join(incremental_hint=not job.full and store.last_run_finished(2 ** 62))
    except Exception:
        store.close()
        raise
    return store, frontier


def _run_locked(job: CrawlJob, command: str, early: list[int]) -> int:
    from archive.harvest import Harvest
    from crawler.scale.frontier import WorkerBusy
    from crawler.spider.sites import spider_class

    try:
        store, frontier = _open_shared(job)
    except WorkerBusy as exc:
        print(f"kronika: {exc}; not starting a second run", file=sys.stderr)
        return EXIT_LOCKED
    # Once the run is sure to start: a usage error stays the one line it promises.
    if _needs_contact(job):
        print(NO_CONTACT_WARNING, file=sys.stderr)
    ua = job.settings.get("USER_AGENT") or user_agent()
    settings = crawl_settings(USER_AGENT=ua, **job.settings)
    # What shapes the capture, hashed into every warcinfo record.
    shaping = {k: settings[k] for k in (
        "USER_AGENT", "ROBOTSTXT_OBEY", "CONCURRENT_REQUESTS_PER_DOMAIN", "DOWNLOAD_DELAY",
        "AUTOTHROTTLE_ENABLED", "RETRY_TIMES", "RETRY_HTTP_CODES", "DOWNLOAD_MAXSIZE")}
    shaping.update(sites=job.slugs, base_url=job.base_url, start_url=job.start_url,
                   since=job.since, until=job.until)
    import scrapy

    software = f"kronika/{__version__} (Scrapy {scrapy.__version__})"
    harvest = Harvest(job.out_dir, command, operator=ua.rsplit("+", 1)[-1].rstrip(")"),
                      user_agent=ua, software=software,
                      tally=DriftTally, collection=job.collection, settings=shaping,
                      warc_max_size=job.warc_max_size, store=store,
                      worker=job.worker if frontier else None)
    if frontier is not None:
        from crawler.scale.frontier import apply

        apply(settings, frontier)
    settings.update(KRONIKA_HARVEST=harvest,
                    LOG_FILE=None if job.verbose else str(harvest.log_path),
                    # Live lines only for a person at a terminal; cron gets the summary.
                    KRONIKA_PROGRESS=sys.stderr.isatty() and not job.quiet and not job.verbose)
    started = datetime.now(UTC)
    process = _crawler_process(settings, early)
    # Incremental unless --full, and unless the last run was killed or interrupted: then
    # this run walks everything, so that nothing the last run never reached is skipped.
    full_reason = _full_reason(job, harvest, frontier)
    incremental = full_reason is None
    for slug in job.slugs:
        extra = {"recheck_days": job.recheck_days, "overlap": job.overlap,
                 "known": harvest.store.known_articles(slug) if incremental else None}
        if job.start_url:
            from crawler.spider.generic import GenericSpider

            cls = GenericSpider
            extra["start_url"] = job.start_url
        else:
            cls = spider_class(slug)
        process.crawl(cls, base_url=job.base_url, since=job.since, until=job.until,
                      max_pages=job.max_pages, media=job.media, full=job.full,
                      retry_urls=tuple(harvest.store.pending_failures(slug)), **extra)
    try:
        process.start()
        summary = _summary(job, harvest, started)
        summary["full"], summary["full_reason"] = not incremental, full_reason
        interrupted = [signal.Signals(n).name for n in process.received] or [
            signal.Signals(n).name for n in early]
        summary["interrupted"] = bool(interrupted)
        summary["finish_reason"] = "shutdown" if interrupted else "finished"
        summary["signal"] = interrupted[0] if interrupted else None
        # A second signal stops the crawl at once, without waiting for what is in flight.
        summary["forced"] = len(interrupted) > 1
        if job.store:
            from archive.stores import redact

            summary["options"]["store"] = redact(job.store)
        if frontier is not None:
            _add_crawl_totals(summary, job, frontier)
        code = EXIT_INTERRUPTED if interrupted else _exit_code(summary)
        summary["exit_code"] = code
        harvest.store.finish_run(harvest.run_id, code, summary)
    finally:
        if frontier is not None:  # after finish_run: see Frontier.join on killed runs
            frontier.leave()
    harvest.close()
    outputs = [harvest.dir / "warc" / name for name in harvest.warc.files]
    if frontier is None:
        outputs.append(write_cdxj(harvest.dir))
    elif harvest.warc.files:
        # A worker indexes the WARC files it wrote, in an index of their own: the other
        # workers sharing the directory may still be writing theirs. pywb reads every
        # *.cdxj in indexes/; `sort -m indexes/*.cdxj` merges them (docs/SCALING.md).
        outputs.append(write_cdxj(harvest.dir, outputs, f"{harvest.warc.prefix}.cdxj"))
    if job.wacz:
        outputs.append(write_wacz(harvest.dir, job.collection))
    files = [*outputs, harvest.store.path] if harvest.store.path else outputs
    summary["outputs"] = _checksums(harvest.dir, files)
    harvest.manifest_path.write_text(json.dumps(summary, indent=2, ensure_ascii=False) + "\n",
                                     encoding="utf-8")
    _print_summary(summary, harvest, quiet=job.quiet)
    if summary["interrupted"]:
        print(f"kronika: interrupted by {summary['signal']}; the next run re-walks what this "
              "one had not finished", file=sys.stderr)
    return code


def _full_reason(job: CrawlJob, harvest, frontier) -> str | None:
    """Why this run walks everything (None: it is incremental)."""
    if job.full:
        return "--full"
    if frontier is not None:
        return None if frontier.incremental else "the last run did not finish"
    state = harvest.store.last_run_state(harvest.run_id)
    if state == "interrupted":
        return "the last run was interrupted"
    if state == "unfinished":
        return "the last run did not finish"
    return None


def _summary(job: CrawlJob, harvest, started: datetime) -> dict:
    from crawler.monitor.drift import alarms, site_rates

    previous = (harvest.store.last_summary(harvest.run_id) or {}).get("sites", {})
    sites = {}
    for slug in job.slugs:
        c = harvest.counts[slug]
        rates = site_rates(harvest.drift[slug])
        sites[slug] = {"new": c["new"], "changed": c["changed"], "unchanged": c["unchanged"],
                       "failed": c["failed"], "generic_fallback": c["method_generic"],
                       "drift": rates,
                       "alarms": alarms(rates, previous.get(slug, {}).get("drift"),
                                        has_profile=not job.start_url)}
    import scrapy
    import trafilatura
    return {
        "run_id": harvest.run_id,
        "started_at": started.isoformat(timespec="seconds"),
        "finished_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "sites": sites,
        "failures": harvest.store.failures(harvest.run_id),
        "software": {"kronika": __version__, "scrapy": scrapy.__version__,
                     "trafilatura": trafilatura.__version__,
                     "python": platform.python_version()},
        "options": {"base_url": job.base_url, "since": str(job.since) if job.since else None,
                    "until": str(job.until) if job.until else None, "full": job.full,
                    "recheck_days": job.recheck_days, "overlap": job.overlap},
    }


def _add_crawl_totals(summary: dict, job: CrawlJob, frontier) -> None:
    """A worker's manifest counts its own share; whether a site yielded anything at all
    is a question about the whole crawl, which the frontier counts."""
    from archive.stores import redact

    totals = frontier.crawl_yield()
    for slug, site in summary["sites"].items():
        site["crawl_articles"] = totals.get(slug, 0)
    summary["frontier"] = {"url": redact(frontier.url), "worker": frontier.worker,
                           "generation": frontier.generation, "founder": frontier.founder,
                           "incremental": frontier.incremental}


def _exit_code(summary: dict) -> int:
    sites = summary["sites"].values()
    if any(s.get("crawl_articles", s["new"] + s["changed"] + s["unchanged"]) == 0
           or s["alarms"] for s in sites):
        return EXIT_SITE_EMPTY
    if summary["failures"]:
        return EXIT_FAILED_PAGES
    return EXIT_OK


def _checksums(base: Path, files: list[Path]) -> dict:
    """SHA-256 fixity values of a run's outputs, for the manifest."""
    sums = {}
    for path in files:
        digest = hashlib.sha256()
        with open(path, "rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                digest.update(chunk)
        sums[str(path.relative_to(base))] = "sha256:" + digest.hexdigest()
    return sums


def _print_summary(summary: dict, harvest, quiet: bool = False) -> None:
    out = sys.stdout
    for slug, s in summary["sites"].items():
        if not quiet:
            print(f"{slug}: {s['new']} new, {s['changed']} changed, {s['unchanged']} "
                  f"unchanged, {s['failed']} failed", file=out)
        if s["alarms"]:
            print(f"{slug}: DRIFT: " + "; ".join(s["alarms"]), file=out)
    for failure in summary["failures"]:
        print(f"  failed: {failure['url']} ({failure['error']})", file=out)
    if not quiet or summary["exit_code"]:
        print(f"harvest: {harvest.dir} (run {harvest.run_id}, manifest "
              f"{harvest.manifest_path.relative_to(harvest.dir)}, exit "
              f"{summary['exit_code']})", file=out)
