"""`kronika check --live`: run the canary over live sites (or a mirror) in one Scrapy process.

The judging lives in ``crawler.monitor.canary``; this module only runs the spiders as
canaries and hands their probes to it.
"""

from __future__ import annotations

from dataclasses import dataclass

from scrapy.crawler import CrawlerProcess

from crawler.components.finish import reached_anything
from crawler.components.settings import fetch_settings, keep_offline
from crawler.monitor.canary import CanaryMixin, ProbeCollector, SiteReport, judge
from crawler.spider.sites import spider_class


@dataclass
class CheckResult:
    """The reports, one per site, and whether any site answered at all."""

    reports: list[SiteReport]
    reached: bool


def log_settings(verbose: bool, log_file: str | None) -> dict:
    """Where Scrapy's log goes: the terminal with --verbose, else --log FILE, else
    nowhere: the report is the one line per site (cron mails stderr)."""
    if verbose:
        return {"LOG_ENABLED": True, "LOG_LEVEL": "INFO"}
    if log_file:
        return {"LOG_ENABLED": True, "LOG_FILE": log_file, "LOG_LEVEL": "INFO"}
    return {"LOG_ENABLED": False}


def run_check(slugs: list[str], base_url: str | None, articles: int,
              settings: dict | None = None) -> CheckResult:
    """Probe each site (one Scrapy process); returns one report per site."""
    keep_offline()
    collector = ProbeCollector()
    # The crawl's politeness (robots.txt, Crawl-delay, Retry-After, the 403 brake), the
    # probes collected instead of stored.
    process = CrawlerProcess(fetch_settings(
        "crawler.monitor.canary.ProbePipeline", KRONIKA_CANARY=collector,
        **{"LOG_ENABLED": False, **(settings or {})}))
    crawlers = []
    for slug in slugs:
        cls = spider_class(slug)
        canary = type(f"{cls.__name__}Canary", (CanaryMixin, cls), {"__module__": cls.__module__})
        crawler = process.create_crawler(canary)  # kept: its stats outlive the process's
        crawlers.append(crawler)
        process.crawl(crawler, base_url=base_url, max_pages=1, max_articles=articles)
    process.start()
    reports = []
    for slug in slugs:
        cls = spider_class(slug)
        expects_dates = any(p.date_css for p in cls.profiles) or any(
            lst.date_css for lst in cls.listings) or bool(cls.feeds)
        reports.append(judge(slug, collector.probes.get(slug, []),
                             collector.failures.get(slug, []), expects_dates))
    return CheckResult(reports, reached_anything(crawlers))
