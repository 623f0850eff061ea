"""Run one crawl: open the harvest, start one Scrapy process for the chosen sites, report.

One CrawlerProcess per invocation (the Twisted reactor cannot be restarted), so the
command line, not a long-lived process, is the unit of work, which suits cron. How the
run ends (summary, exit status, manifest) is shared with a bare ``scrapy crawl``, in
``crawler.components.finish``; this module adds what only ``kronika crawl`` has: the
lock taken before anything else, the early signals, the shared crawl's workers, and the
summary printed for a person or for cron.
"""

from __future__ import annotations

import contextlib
import errno
import logging
import os
import signal
import sqlite3
import sys
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from archive.indexes import write_wacz
from crawler import __version__
from crawler.components.finish import (
    EXIT_FAILED_PAGES,
    EXIT_INTERRUPTED,
    EXIT_LOCKED,
    EXIT_OK,
    EXIT_SITE_EMPTY,
    EXIT_USAGE,
    EXIT_WRITE_FAILED,
    RunStops,
    caps_in_force,
    conclude,
    drop_queued,
    end_lines,
    full_reason,
    how_line,
    index_run,
    is_refusal,
    reached_anything,
    record_end,
    summarize,
    write_manifest,
)
from crawler.components.settings import crawl_settings, keep_offline, user_agent
from crawler.monitor.drift import DriftTally
from crawler.spider.saved import SavedSite

__all__ = ["EXIT_FAILED_PAGES", "EXIT_INTERRUPTED", "EXIT_LOCKED", "EXIT_OK",
           "EXIT_SITE_EMPTY", "EXIT_USAGE", "EXIT_WRITE_FAILED", "CrawlJob", "run_crawl"]
# The errors of a write the disk refused: full, a file-size limit, a quota, I/O.
DISK_ERRNOS = (errno.ENOSPC, errno.EFBIG, errno.EDQUOT, errno.EIO)
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
    start_url: str | None = None  # --url: the start of the one site in ``unprofiled``
    # Sites without a profile (--url, or saved in the harvest's sites file): slug -> how
    # the generic spider reads it. Every other slug is a profiled site's.
    unprofiled: dict[str, SavedSite] = field(default_factory=dict)
    save: SavedSite | None = None  # --save: recorded in the sites file once the lock is held
    collection: str = "kronika"   # warcinfo isPartOf
    media: bool = True            # archive gallery images and attachments too
    requisites: bool = True       # archive each page's stylesheets, scripts, fonts, images
    recheck_days: int = 7         # known articles this recent are re-checked (conditional GET)
    overlap: int = 1              # all-known listing pages read before paging stops
    wacz: bool = False            # package the harvest's WARCs as <collection>.wacz
    warc_max_size: int = 1_000_000_000
    store: str | None = None      # postgresql://... shared store (default: SQLite in out_dir)
    frontier: str | None = None   # redis://... shared frontier: this process is one worker
    worker: str | None = None     # the worker's name (with frontier)


def run_crawl(job: CrawlJob, command: str) -> int:
    """Harvest ``job.slugs`` into ``job.out_dir``; returns the exit status (4 when another
    run holds the harvest directory, 5 when SIGINT or SIGTERM stopped it, 6 when the
    harvest could not be written)."""
    from archive.lock import HarvestLock, HarvestLocked
    from archive.stores import redact_command

    # The command line goes to the lock file, the store's runs table and the manifest:
    # a password given in a --frontier or --store URL goes nowhere.
    command = redact_command(command)
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


def _crawler_process(settings: dict, early: list[int], stops: RunStops):
    """A CrawlerProcess that notes the shutdown signals it receives (SIGINT, SIGTERM: the
    first stops the crawl gracefully, a second at once, as in Scrapy) in ``stops``, and
    replays a signal ``early`` noted before its reactor ran."""
    from scrapy.crawler import CrawlerProcess

    class Process(CrawlerProcess):
        def _signal_shutdown(self, signum, frame):
            from twisted.internet import reactor

            stops.note_signal(signum)
            super()._signal_shutdown(signum, frame)
            reactor.callFromThread(self._drop_queued, signum)

        def _drop_queued(self, signum):
            # Scrapy's graceful stop waits for every request already handed to the
            # downloader, most of them only queued for their turn at the host (with the
            # delay between requests, many seconds). Those not yet sent fail now (and
            # are retried by the next run, like any failed page); those on the wire are
            # answered and archived. Again until the crawlers are gone, for a request
            # the engine handed over while it was stopping.
            from twisted.internet import reactor

            drop_queued(self.crawlers, "not fetched: the run was interrupted by "
                        f"{signal.Signals(signum).name}")
            if self.crawlers:
                reactor.callLater(0.2, self._drop_queued, signum)

        def _signal_kill(self, signum, frame):
            stops.note_signal(signum)
            super()._signal_kill(signum, frame)

        def _setup_reactor(self, install_signal_handlers):
            from twisted.internet import reactor

            super()._setup_reactor(install_signal_handlers)
            # After Scrapy's own "after startup" trigger, which installs its handlers.
            reactor.addSystemEventTrigger("after", "startup", self._replay_early)

        def _replay_early(self):
            for signum in early[:2]:
                (self._signal_kill if stops.signals else self._signal_shutdown)(signum, None)

    return Process(settings)


def _open_shared(job: CrawlJob):
    """The store, and with --frontier this worker's membership of the shared crawl (None
    without). Raises StoreSpecError / FrontierError (one-line usage errors);
    StoreUnreachable / FrontierUnreachable when a server does not answer; WorkerBusy
    when a live worker already has this name."""
    from archive.stores import open_store
    from crawler.scale.frontier import outage_budget

    budget = outage_budget(job.settings.get("KRONIKA_OUTAGE_BUDGET")) if job.store else None
    store = open_store(job.store, job.out_dir, budget=budget)
    if not job.frontier:
        return store, None
    from crawler.scale.frontier import Frontier

    try:
        frontier = Frontier(job.frontier, job.worker, budget)
        # The first worker of a crawl decides for all: incremental unless --full or the
        # last crawl did not finish, judged on all the runs of its generation (read
        # before any run of this crawl exists).
        frontier.join(incremental_hint=not job.full and _last_crawl_finished(store))
    except Exception:
        store.close()
        raise
    return store, frontier


def _last_crawl_finished(store) -> bool:
    last_crawl_state = getattr(store, "last_crawl_state", None)
    state = last_crawl_state() if last_crawl_state else store.last_run_state(2 ** 62)
    return state in (None, "finished")


def _watch_store(store, crawlers: list, frontier) -> None:
    """A store lost for longer than its outage budget stops the crawl (a worker's, or
    this process's): nothing more can be stored."""
    from crawler.components.finish import stop_crawler
    from crawler.scale.frontier import STORE_LOST

    def lost(_message: str) -> None:
        if frontier is not None:
            frontier.stop(STORE_LOST)
        else:
            for crawler in crawlers:
                stop_crawler(crawler, STORE_LOST)

    if hasattr(store, "on_lost"):
        store.on_lost.append(lost)


def _outage(harvest, frontier) -> tuple[str | None, str | None]:
    """(the finish reason of a crawl stopped early by a drain or an outage, the one-line
    message of the outage), each None when there was none."""
    from crawler.scale.frontier import STORE_LOST

    store_lost = getattr(harvest.store, "lost", None)
    if store_lost:
        return STORE_LOST, store_lost
    if frontier is not None and frontier.stop_reason:
        return frontier.stop_reason, frontier.lost
    return None, None


def _summary_without_store(harvest, slugs: list[str], started: datetime) -> dict:
    """The run's summary from what this process counted, when the store it would be read
    from is gone (its failures and drift are in the store, or were never written)."""
    sites = {slug: {"new": c["new"], "changed": c["changed"], "unchanged": c["unchanged"],
                    "failed": c["failed"], "generic_fallback": c["method_generic"],
                    "refused": 0, "refused_before": c["refused_before"], "drift": {},
                    "alarms": []}
             for slug, c in ((slug, harvest.counts[slug]) for slug in slugs)}
    return {"run_id": harvest.run_id, "started_at": started.isoformat(timespec="seconds"),
            "finished_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "sites": sites, "failures": [], "software": {"kronika": __version__}}


def _run_locked(job: CrawlJob, command: str, early: list[int]) -> int:
    from archive.harvest import Harvest
    from crawler.scale.frontier import WorkerBusy
    from crawler.spider.sites import spider_class

    try:
        store, frontier = _open_shared(job)
    except WorkerBusy as exc:
        print(f"kronika: {exc}; not starting a second run", file=sys.stderr)
        return EXIT_LOCKED
    except (OSError, sqlite3.Error) as exc:
        return _cannot_write(job, exc)
    # Once the run is sure to start: a usage error stays the one line it promises.
    if _needs_contact(job):
        print(NO_CONTACT_WARNING, file=sys.stderr)
    if job.save is not None:
        from crawler.spider.saved import save_site, sites_path

        try:
            replaced = save_site(job.out_dir, job.save)
        except OSError as exc:
            store.close()
            return _cannot_write(job, exc)
        if not job.quiet:
            print(f"{job.save.name}: {'updated' if replaced else 'saved'} in "
                  f"{sites_path(job.out_dir)}; `kronika crawl {job.save.name}` and "
                  "`kronika crawl --all` run it")
    ua = job.settings.get("USER_AGENT") or user_agent()
    settings = crawl_settings(USER_AGENT=ua, **job.settings)
    # What shapes the capture, hashed into every warcinfo record.
    shaping = {k: settings[k] for k in (
        "USER_AGENT", "ROBOTSTXT_OBEY", "CONCURRENT_REQUESTS_PER_DOMAIN", "DOWNLOAD_DELAY",
        "AUTOTHROTTLE_ENABLED", "RETRY_TIMES", "RETRY_HTTP_CODES", "DOWNLOAD_MAXSIZE")}
    shaping.update(sites=job.slugs, base_url=job.base_url, start_url=job.start_url,
                   since=job.since, until=job.until)
    if job.unprofiled:
        shaping["start_urls"] = {slug: site.url for slug, site in job.unprofiled.items()}
    import scrapy

    software = f"kronika/{__version__} (Scrapy {scrapy.__version__})"
    try:
        harvest = Harvest(job.out_dir, command, operator=ua.rsplit("+", 1)[-1].rstrip(")"),
                          user_agent=ua, software=software,
                          tally=DriftTally, collection=job.collection, settings=shaping,
                          warc_max_size=job.warc_max_size, store=store,
                          worker=job.worker if frontier else None)
    except (OSError, sqlite3.Error) as exc:
        with contextlib.suppress(OSError, sqlite3.Error):
            store.close()
        return _cannot_write(job, exc)
    if frontier is not None:
        from crawler.scale.frontier import apply

        apply(settings, frontier)
        if hasattr(store, "tag_run"):
            store.tag_run(harvest.run_id, frontier.worker, frontier.crawl_id)
    if not job.verbose:
        # The log file is on the harvest's disk. A line it cannot take (the disk is
        # full) must not become a traceback on cron's stderr: the harvest's own writes
        # find a full disk and say so in one line.
        logging.raiseExceptions = False
    settings.update(KRONIKA_HARVEST=harvest,
                    LOG_FILE=None if job.verbose else str(harvest.log_path),
                    # Live lines only for a person at a terminal; cron gets the summary.
                    KRONIKA_PROGRESS=sys.stderr.isatty() and not job.quiet and not job.verbose)
    started = datetime.now(UTC)
    stops = RunStops()
    process = _crawler_process(settings, early, stops)
    # Incremental unless --full, and unless the last run was killed or interrupted: then
    # this run walks everything, so that nothing the last run never reached is skipped.
    full_reason = _full_reason(job, harvest, frontier)
    incremental = full_reason is None
    crawlers = []
    for slug in job.slugs:
        extra = {"recheck_days": job.recheck_days, "overlap": job.overlap,
                 "known": harvest.store.known_articles(slug) if incremental else None,
                 "base_url": job.base_url, "max_pages": job.max_pages, "media": job.media,
                 "requisites": job.requisites}
        site = job.unprofiled.get(slug)
        if site is not None:
            from crawler.spider.generic import GenericSpider

            cls = GenericSpider
            # The command line's options win over the saved ones.
            extra.update(start_url=site.url, name=slug,
                         base_url=job.base_url or site.base_url,
                         max_pages=job.max_pages or site.max_pages,
                         media=job.media and site.media)
        else:
            cls = spider_class(slug)
        crawler = process.create_crawler(cls)  # kept: its stats outlive the process's list
        crawlers.append(crawler)
        process.crawl(crawler, since=job.since, until=job.until, full=job.full,
                      retry_urls=_retries(harvest, slug), **extra)
    stops.watch(harvest, crawlers)
    _watch_store(store, crawlers, frontier)
    from archive.stores import StoreUnreachable
    from crawler.scale.frontier import EXIT_UNREACHABLE

    try:
        process.start()
        if not stops.signals:  # noted before the reactor ran, and never replayed
            for signum in early:
                stops.note_signal(signum)
        stopped, outage = _outage(harvest, frontier)
        if stopped and not stops.signals:
            stops.other = stopped  # a drain or an outage: never a success
        try:
            summary = summarize(harvest, job.slugs, started, has_profile=True,
                                stats={slug: c.stats.get_stats() or {}
                                       for slug, c in zip(job.slugs, crawlers, strict=True)},
                                without_profile=set(job.unprofiled))
        except StoreUnreachable:
            stopped, outage = _outage(harvest, frontier)
            stops.other = stops.other or stopped
            summary = _summary_without_store(harvest, job.slugs, started)
        summary["options"] = _options(job)
        summary["full"], summary["full_reason"] = not incremental, full_reason
        # As Scrapy applied them (its defaults too), from the settings a crawler ran with.
        summary["caps"] = caps_in_force(crawlers[0].settings if crawlers else settings)
        if frontier is not None:
            _add_crawl_totals(summary, job, frontier)
        code = conclude(summary, stops, reached=reached_anything(crawlers))
        if outage:
            summary["outage"] = outage
            summary["exit_code"] = code = EXIT_UNREACHABLE
        if frontier is not None and summary["interrupted"]:
            # Whatever this worker could not finish, the generation did not either.
            frontier.mark_unfinished(summary["finish_reason"])
        try:
            record_end(harvest, summary)
        except StoreUnreachable:
            # The run stays unfinished in the store, which the next run reads as a run
            # to make up for; the manifest below says what happened.
            harvest.close()
    finally:
        if frontier is not None:  # after finish_run: see Frontier.join on killed runs
            frontier.leave()
    try:
        outputs = index_run(harvest, summary, shared=frontier is not None)
        if frontier is not None and not summary["write_error"]:
            from crawler.scale.leftovers import index_leftovers

            # The files of workers killed before their end (not this run's outputs).
            index_leftovers(harvest.dir, harvest.warc.prefix, frontier.worker)
        if job.wacz and not summary["write_error"]:
            outputs.append(write_wacz(harvest.dir, job.collection))
        written = write_manifest(harvest, summary, outputs)
    except OSError as exc:
        if exc.errno not in DISK_ERRNOS:
            raise
        # The run is whole and finished in the store; only its index, package or
        # manifest is missing, which the next run writes again.
        written = False
        code = EXIT_WRITE_FAILED
        print(f"kronika: cannot write {exc.filename or harvest.dir}: {exc.strerror}; the "
              "run's articles and WARC files are kept, its index or manifest is not. Free "
              "some space: the next run writes them again", file=sys.stderr)
    _print_summary(summary, harvest, quiet=job.quiet, manifest=written)
    from crawler.scale.frontier import DRAINED

    if summary.get("outage"):
        print(f"kronika: {summary['outage']}; this worker stopped (what it had not "
              "finished goes back to the queue), and the next crawl walks everything",
              file=sys.stderr)
    elif summary.get("finish_reason") == DRAINED and not summary.get("signal"):
        print("kronika: drained (kronika frontier drain): this worker finished what it "
              "held and put the rest back; the next crawl walks everything",
              file=sys.stderr)
    else:
        for line in end_lines(summary):
            print(line, file=sys.stderr)
    return code


def _cannot_write(job: CrawlJob, exc: OSError | sqlite3.Error) -> int:
    """A full disk (or another refused write) before the run began: one line, exit 6;
    nothing was fetched, so there is nothing to make up for. Other errors propagate."""
    from archive.harvest import disk_refused

    if not (disk_refused(exc) if isinstance(exc, sqlite3.Error) else exc.errno in DISK_ERRNOS):
        raise exc
    reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
    print(f"kronika: cannot write {job.out_dir}: {reason}; nothing was fetched. Free some "
          "space (or give another --out) and run again", file=sys.stderr)
    return EXIT_WRITE_FAILED


def _retries(harvest, slug: str) -> tuple[str, ...]:
    """The pages that failed last time, to ask for again: not those the scope check
    refused (a refusal is permanent; harvests from before refusals had a kind of their
    own hold them as article failures)."""
    refused = {f["url"] for f in harvest.store.failures()
               if f["site"] == slug and is_refusal(f["error"])}
    return tuple(url for url in harvest.store.pending_failures(slug) if url not in refused)


def _options(job: CrawlJob) -> dict:
    options: dict[str, Any] = {
        "base_url": job.base_url, "since": str(job.since) if job.since else None,
        "until": str(job.until) if job.until else None, "full": job.full,
        "recheck_days": job.recheck_days, "overlap": job.overlap,
        "requisites": job.requisites}
    if job.unprofiled:  # the sites without a profile: where the generic spider started
        options["start_urls"] = {slug: site.url for slug, site in job.unprofiled.items()}
    if job.store:
        from archive.stores import redact

        options["store"] = redact(job.store)
    return options


def _full_reason(job: CrawlJob, harvest, frontier) -> str | None:
    """Why this run walks everything (None: it is incremental)."""
    if frontier is not None and not job.full:
        return None if frontier.incremental else "the last crawl did not finish"
    return full_reason(harvest.store, harvest.run_id, job.full)


def _add_crawl_totals(summary: dict, job: CrawlJob, frontier) -> None:
    """A worker's manifest counts its own share; whether a site yielded anything at all
    is a question about the whole crawl, which the frontier counts."""
    from archive.stores import redact
    from crawler.scale.frontier import FrontierUnreachable

    summary["frontier"] = {"url": redact(frontier.url), "worker": frontier.worker,
                           "generation": frontier.generation, "crawl": frontier.crawl_id,
                           "founder": frontier.founder, "incremental": frontier.incremental,
                           "outage_budget": frontier.budget}
    if frontier.lost:
        return  # the counts are in a Redis that is gone; this run's own are above
    try:
        totals = frontier.crawl_yield()
    except FrontierUnreachable:
        return
    for slug, site in summary["sites"].items():
        site["crawl_articles"] = totals.get(slug, 0)


def _print_summary(summary: dict, harvest, quiet: bool = False,
                   manifest: bool = True) -> None:
    out = sys.stdout
    for slug, s in summary["sites"].items():
        if not quiet:
            print(f"{slug}: {s['new']} new, {s['changed']} changed, {s['unchanged']} "
                  f"unchanged, {s['failed']} failed", file=out)
            if s.get("discovery"):
                print(f"{slug}: {how_line(s['discovery'])}", file=out)
            if s["refused_before"]:
                print(f"{slug}: {s['refused_before']} link(s) refused again by the scope "
                      "check, as in an earlier run (not failures of this run)", file=out)
        if s["alarms"]:
            print(f"{slug}: DRIFT: " + "; ".join(s["alarms"]), file=out)
    for failure in summary["failures"]:
        if is_refusal(failure["error"]):
            # A refusal is permanent: said once, never asked for again as a retry.
            print(f"  refused: {failure['url']} ({failure['error']}; not retried)", file=out)
        else:
            print(f"  failed: {failure['url']} ({failure['error']})", file=out)
    if not quiet or summary["exit_code"]:
        where = (f"manifest {harvest.manifest_path.relative_to(harvest.dir)}" if manifest
                 else "no manifest: the disk took none")
        print(f"harvest: {harvest.dir} (run {harvest.run_id}, {where}, exit "
              f"{summary['exit_code']})", file=out)
