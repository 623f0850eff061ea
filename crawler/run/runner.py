"""Run one crawl: open the harvest, start one Scrapy process for the chosen sites, report.

One CrawlerProcess per invocation (the Twisted reactor cannot be restarted), so the
command line, not a long-lived process, is the unit of work, which suits cron.
"""

from __future__ import annotations

import hashlib
import json
import platform
import sys
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from pathlib import Path

from archive.indexes import write_cdxj, write_wacz
from crawler import __version__
from crawler.components.settings import crawl_settings, keep_offline, user_agent
from crawler.monitor.drift import DriftTally

EXIT_OK, EXIT_FAILED_PAGES, EXIT_USAGE, EXIT_SITE_EMPTY, EXIT_LOCKED = 0, 1, 2, 3, 4


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
    run holds the harvest directory)."""
    from archive.lock import HarvestLock, HarvestLocked

    keep_offline()
    try:
        lock = HarvestLock(job.out_dir, job.worker if job.frontier else None).acquire(command)
    except HarvestLocked as exc:
        print(f"kronika: {exc}; not starting a second run", file=sys.stderr)
        return EXIT_LOCKED
    with lock:
        return _run_locked(job, command)


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


def _run_locked(job: CrawlJob, command: str) -> int:
    from scrapy.crawler import CrawlerProcess

    from archive.harvest import Harvest

    from crawler.scale.frontier import WorkerBusy
    from crawler.spider.sites import spider_class

    try:
        store, frontier = _open_shared(job)
    except WorkerBusy as exc:
        print(f"kronika: {exc}; not starting a second run", file=sys.stderr)
        return EXIT_LOCKED
    ua = job.settings.get("USER_AGENT") or user_agent()
    settings = crawl_settings(USER_AGENT=ua, **job.settings)
    # What shapes the capture, hashed into every warcinfo record.
    shaping = {k: settings[k] for k in (
        "USER_AGENT", "ROBOTSTXT_OBEY", "CONCURRENT_REQUESTS_PER_DOMAIN", "DOWNLOAD_DELAY",
        "AUTOTHROTTLE_ENABLED", "RETRY_TIMES", "RETRY_HTTP_CODES", "DOWNLOAD_MAXSIZE")}
    shaping.update(sites=job.slugs, base_url=job.base_url, start_url=job.start_url,
                   since=job.since, until=job.until)
    import scrapy

    harvest = Harvest(job.out_dir, command, operator=ua.rsplit("+", 1)[-1].rstrip(")"),
                      user_agent=ua, software=f"kronika/{__version__} (Scrapy {scrapy.__version__})",
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
    started = datetime.now(timezone.utc)
    process = CrawlerProcess(settings)
    # Incremental unless --full, and unless the last run was killed: then this run walks
    # everything, so that nothing the killed run never reached is skipped.
    incremental = (frontier.incremental if frontier is not None
                   else not job.full and harvest.store.last_run_finished(harvest.run_id))
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
        if job.store:
            from archive.stores import redact

            summary["options"]["store"] = redact(job.store)
        if frontier is not None:
            _add_crawl_totals(summary, job, frontier)
        code = _exit_code(summary)
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
    return code


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
        "finished_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
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
