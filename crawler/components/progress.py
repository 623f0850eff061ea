"""A live progress display per site on a terminal (rich), nothing when run from cron.

A Scrapy extension counts, per site, the pages fetched, the articles stored and the
failures, and redraws one line per site while the crawl runs. It only switches on when
the runner asks for it (standard error is a terminal and --quiet was not given).
"""

from __future__ import annotations

from collections import Counter, defaultdict

from scrapy import signals
from scrapy.exceptions import NotConfigured

from crawler.items import PageFailure


class ProgressDisplay:
    """rich.progress lines: one task per site, updated from Scrapy's signals."""

    def __init__(self, crawler):
        from rich.console import Console
        from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

        self.crawler = crawler
        self.counts: dict[str, Counter] = defaultdict(Counter)
        self.tasks: dict[str, int] = {}
        self.progress = Progress(
            SpinnerColumn(), TextColumn("[bold]{task.fields[site]:<20}"),
            TextColumn("{task.fields[pages]:>5} pages  {task.fields[articles]:>4} articles  "
                       "{task.fields[errors]:>3} errors"), TimeElapsedColumn(),
            console=Console(stderr=True), transient=False)

    @classmethod
    def from_crawler(cls, crawler):
        if not crawler.settings.getbool("KRONIKA_PROGRESS"):
            raise NotConfigured("no terminal")
        ext = cls(crawler)
        crawler.signals.connect(ext.opened, signals.spider_opened)
        crawler.signals.connect(ext.closed, signals.spider_closed)
        crawler.signals.connect(ext.response, signals.response_received)
        crawler.signals.connect(ext.item, signals.item_scraped)
        return ext

    def opened(self, spider):
        self.progress.start()
        self.tasks[spider.name] = self.progress.add_task(
            spider.name, total=None, site=spider.name, pages=0, articles=0, errors=0)

    def closed(self, spider):
        self._update(spider.name)
        self.progress.stop()

    def response(self, response, request, spider):
        self.counts[spider.name]["pages"] += 1
        self._update(spider.name)

    def item(self, item, response, spider):
        key = "errors" if isinstance(item, PageFailure) else (
            "articles" if isinstance(item, dict) else None)
        if key:
            self.counts[spider.name][key] += 1
            self._update(spider.name)

    def _update(self, site: str):
        if site in self.tasks:
            c = self.counts[site]
            self.progress.update(self.tasks[site], pages=c["pages"], articles=c["articles"],
                                 errors=c["errors"])
