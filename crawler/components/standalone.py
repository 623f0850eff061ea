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

Like ``kronika crawl``, it is incremental unless ``-a full=1`` or the last run was
killed, and asks again for the pages that failed last time. Its manifest has the same
shape as a ``kronika crawl`` manifest; ``exit_code`` is the status ``kronika crawl``
would have exited with (the ``scrapy`` command itself exits 0), or 130 when the spider
was stopped before it finished (``finish_reason``).
"""

from __future__ import annotations

import hashlib
import json
import logging
import platform
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from scrapy import signals
from scrapy.exceptions import NotConfigured

from crawler import __version__
from crawler.components.settings import keep_offline

if TYPE_CHECKING:
    from archive.harvest import Harvest
    from archive.lock import HarvestLock

logger = logging.getLogger(__name__)

# What shapes the capture, recorded in every warcinfo record (as kronika crawl does).
_SHAPING = ("USER_AGENT", "ROBOTSTXT_OBEY", "CONCURRENT_REQUESTS_PER_DOMAIN", "DOWNLOAD_DELAY",
            "AUTOTHROTTLE_ENABLED", "RETRY_TIMES", "RETRY_HTTP_CODES", "DOWNLOAD_MAXSIZE")
EXIT_INTERRUPTED = 130


class StandaloneHarvest:
    """Open the harvest of a bare ``scrapy crawl``, and finish it when the spider closes."""

    def __init__(self, crawler, out_dir: Path):
        self.crawler = crawler
        self.out_dir = Path(out_dir)
        self.harvest: Harvest | None = None
        self.lock: HarvestLock | None = None
        self.started = datetime.now(UTC)

    @classmethod
    def from_crawler(cls, crawler):
        settings = crawler.settings
        if settings.get("KRONIKA_HARVEST") is not None:
            raise NotConfigured("the runner opened the harvest")
        if not settings.get("KRONIKA_OUT"):
            raise NotConfigured("no KRONIKA_OUT: this process keeps no harvest")
        ext = cls(crawler, Path(settings["KRONIKA_OUT"]))
        ext.open()
        crawler.signals.connect(ext.spider_closed, signal=signals.spider_closed)
        return ext

    def open(self) -> None:
        import scrapy

        from archive.harvest import Harvest
        from archive.lock import HarvestLock
        from crawler.monitor.drift import DriftTally

        keep_offline()
        settings = self.crawler.settings
        command = " ".join(["scrapy", *sys.argv[1:]])
        self.out_dir.mkdir(parents=True, exist_ok=True)
        # HarvestLocked (another run holds the directory) stops the crawl here.
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
        if spider is not None and hasattr(spider, "known"):
            store = self.harvest.store
            if spider.known is None and not getattr(spider, "full", False) \
                    and store.last_run_finished(self.harvest.run_id):
                spider.known = store.known_articles(spider.name)
            if not spider.retry_urls:
                spider.retry_urls = tuple(store.pending_failures(spider.name))
        logger.info("harvest: %s (run %s)", self.out_dir, self.harvest.run_id)

    def spider_closed(self, spider, reason):
        from archive.indexes import write_cdxj

        harvest = self.harvest
        try:
            summary = self._summary(spider, reason)
            harvest.store.finish_run(harvest.run_id, summary["exit_code"], summary)
            harvest.close()
            outputs = [harvest.dir / "warc" / name for name in harvest.warc.files]
            outputs.append(write_cdxj(harvest.dir))
            files = [*outputs, harvest.store.path] if harvest.store.path else outputs
            summary["outputs"] = {str(p.relative_to(harvest.dir)): _sha256(p) for p in files}
            harvest.manifest_path.write_text(
                json.dumps(summary, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        finally:
            self.lock.release()
        site = summary["sites"][spider.name]
        logger.info("%s: %s new, %s changed, %s unchanged, %s failed; harvest %s (run %s, "
                    "manifest %s, exit %s)", spider.name, site["new"], site["changed"],
                    site["unchanged"], site["failed"], harvest.dir, harvest.run_id,
                    harvest.manifest_path.relative_to(harvest.dir), summary["exit_code"])

    def _summary(self, spider, reason: str) -> dict:
        import scrapy
        import trafilatura

        from crawler.monitor.drift import alarms, site_rates

        harvest = self.harvest
        assert harvest is not None  # open() ran when the extension was built
        previous = (harvest.store.last_summary(harvest.run_id) or {}).get("sites", {})
        c = harvest.counts[spider.name]
        rates = site_rates(harvest.drift[spider.name])
        site: dict[str, Any] = {
            "new": c["new"], "changed": c["changed"], "unchanged": c["unchanged"],
            "failed": c["failed"], "generic_fallback": c["method_generic"], "drift": rates,
            "alarms": alarms(rates, previous.get(spider.name, {}).get("drift"),
                             has_profile=spider.name != "generic")}
        failures = harvest.store.failures(harvest.run_id)
        if reason != "finished":
            code = EXIT_INTERRUPTED
        elif site["new"] + site["changed"] + site["unchanged"] == 0 or site["alarms"]:
            code = 3
        else:
            code = 1 if failures else 0
        return {
            "run_id": harvest.run_id,
            "started_at": self.started.isoformat(timespec="seconds"),
            "finished_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "sites": {spider.name: site},
            "failures": failures,
            "software": {"kronika": __version__, "scrapy": scrapy.__version__,
                         "trafilatura": trafilatura.__version__,
                         "python": platform.python_version()},
            "options": {"base_url": getattr(spider, "base_url", None),
                        "full": bool(getattr(spider, "full", False)), "standalone": True},
            "finish_reason": reason,
            "exit_code": code,
        }


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return "sha256:" + digest.hexdigest()
