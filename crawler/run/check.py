"""`kronika check --live`: run the canary over live sites (or a mirror) in one Scrapy process.

The judging lives in ``crawler.monitor.canary``; this module only runs the spiders as
canaries and hands their probes to it.
"""

from __future__ import annotations

from scrapy.crawler import CrawlerProcess

from crawler.components.settings import fetch_settings, keep_offline
from crawler.monitor.canary import CanaryMixin, ProbeCollector, SiteReport, judge
from crawler.spider.sites import spider_class


def run_check(slugs: list[str], base_url: str | None, articles: int,
              settings: dict | None = None) -> list[SiteReport]:
    """Probe each site (one Scrapy process); returns one report per site."""
    keep_offline()
    collector = ProbeCollector()
    # The crawl's politeness (robots.txt, Crawl-delay, Retry-After, the 403 brake), the
    # probes collected instead of stored.
    process = CrawlerProcess(fetch_settings(
        "crawler.monitor.canary.ProbePipeline", KRONIKA_CANARY=collector, LOG_LEVEL="ERROR",
        **(settings or {})))
    for slug in slugs:
        cls = spider_class(slug)
        canary = type(f"{cls.__name__}Canary", (CanaryMixin, cls), {"__module__": cls.__module__})
        process.crawl(canary, base_url=base_url, max_pages=1, max_articles=articles)
    process.start()
    reports = []
    for slug in slugs:
        cls = spider_class(slug)
        expects_dates = any(p.date_css for p in cls.profiles) or any(
            lst.date_css for lst in cls.listings) or bool(cls.feeds)
        reports.append(judge(slug, collector.probes.get(slug, []),
                             collector.failures.get(slug, []), expects_dates))
    return reports
