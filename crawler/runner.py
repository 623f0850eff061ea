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

from . import __version__
from .settings import crawl_settings, keep_offline, user_agent

EXIT_OK, EXIT_FAILED_PAGES, EXIT_USAGE, EXIT_SITE_EMPTY = 0, 1, 2, 3


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
    settings: dict = field(default_factory=dict)
    start_url: str | None = None  # the generic spider's start (slugs == ["generic"])


def run_crawl(job: CrawlJob, command: str) -> int:
    """Harvest ``job.slugs`` into ``job.out_dir``; returns the exit status."""
    from scrapy.crawler import CrawlerProcess

    from archive.harvest import Harvest

    from .sites import spider_class

    keep_offline()
    ua = job.settings.get("USER_AGENT") or user_agent()
    harvest = Harvest(job.out_dir, command, operator=ua.rsplit("+", 1)[-1].rstrip(")"),
                      user_agent=ua)
    settings = crawl_settings(KRONIKA_HARVEST=harvest, USER_AGENT=ua,
                              LOG_FILE=None if job.verbose else str(harvest.log_path),
                              **job.settings)
    started = datetime.now(timezone.utc)
    process = CrawlerProcess(settings)
    for slug in job.slugs:
        extra = {}
        if job.start_url:
            from .generic import GenericSpider

            cls, extra = GenericSpider, {"start_url": job.start_url}
        else:
            cls = spider_class(slug)
        process.crawl(cls, base_url=job.base_url, since=job.since, until=job.until,
                      max_pages=job.max_pages,
                      retry_urls=tuple(harvest.store.pending_failures(slug)), **extra)
    process.start()

    summary = _summary(job, harvest, started)
    code = _exit_code(summary)
    summary["exit_code"] = code
    harvest.store.finish_run(harvest.run_id, code, summary)
    harvest.close()
    summary["outputs"] = _checksums(harvest)
    harvest.manifest_path.write_text(json.dumps(summary, indent=2, ensure_ascii=False) + "\n",
                                     encoding="utf-8")
    _print_summary(summary, harvest)
    return code


def _summary(job: CrawlJob, harvest, started: datetime) -> dict:
    from .drift import alarms, site_rates

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
                    "until": str(job.until) if job.until else None, "full": job.full},
    }


def _exit_code(summary: dict) -> int:
    sites = summary["sites"].values()
    if any(s["new"] + s["changed"] + s["unchanged"] == 0 or s["alarms"] for s in sites):
        return EXIT_SITE_EMPTY
    if summary["failures"]:
        return EXIT_FAILED_PAGES
    return EXIT_OK


def _checksums(harvest) -> dict:
    files = [harvest.warc.path, harvest.store.path]
    return {str(p.relative_to(harvest.dir)): "sha256:" + hashlib.sha256(p.read_bytes()).hexdigest()
            for p in files if p.exists()}


def _print_summary(summary: dict, harvest) -> None:
    out = sys.stdout
    for slug, s in summary["sites"].items():
        print(f"{slug}: {s['new']} new, {s['changed']} changed, {s['unchanged']} unchanged, "
              f"{s['failed']} failed", file=out)
        if s["alarms"]:
            print(f"{slug}: DRIFT: " + "; ".join(s["alarms"]), file=out)
    for failure in summary["failures"]:
        print(f"  failed: {failure['url']} ({failure['error']})", file=out)
    print(f"harvest: {harvest.dir} (run {harvest.run_id}, manifest "
          f"{harvest.manifest_path.relative_to(harvest.dir)}, exit {summary['exit_code']})",
          file=out)
