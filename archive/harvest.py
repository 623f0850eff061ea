"""A harvest directory and the state one run shares between Scrapy components.

Layout of ``DIR`` (``--out``, default ``./harvest``)::

    kronika.sqlite        articles, versions, captures, runs, failures (unless the
                          store is PostgreSQL: --store, archive/stores.py)
    warc/*.warc.gz        WARC/1.1 captures of every response
    runs/run-NNNNN.json   one manifest per run (counts, failures, versions, checksums)
    logs/run-NNNNN.log    the run's full log
"""

from __future__ import annotations

from collections import Counter, defaultdict
from pathlib import Path

from scrapy.exceptions import NotConfigured

from crawler.drift import DriftTally

from .recorder import DEFAULT_MAX_SIZE, WarcFile, warc_prefix, warcinfo
from .store import STORE_NAME, Store


class Harvest:
    """Open (creating if needed) a harvest directory for one run."""

    def __init__(self, out_dir: Path, command: str, operator: str, user_agent: str,
                 collection: str = "kronika", settings: dict | None = None,
                 warc_max_size: int = DEFAULT_MAX_SIZE, store=None, worker: str | None = None):
        self.dir = Path(out_dir)
        for sub in ("warc", "runs", "logs"):
            (self.dir / sub).mkdir(parents=True, exist_ok=True)
        # ``store``: an open store (archive.stores.open_store, e.g. PostgreSQL shared by
        # the workers of a crawl); by default the SQLite file of this directory.
        self.store = store if store is not None else Store(self.dir / STORE_NAME)
        self.run_id = self.store.start_run(command)
        self.worker = worker  # a shared crawl's worker name, in its WARC file names
        self.warc = WarcFile(self.dir / "warc", warc_prefix(self.run_id, worker),
                             warcinfo(operator, user_agent, collection, settings),
                             max_size=warc_max_size)
        self.counts: dict[str, Counter] = defaultdict(Counter)
        self.drift: dict[str, DriftTally] = defaultdict(DriftTally)  # site -> this run's drift

    def __deepcopy__(self, memo):
        # Scrapy deep-copies its settings, where the runner puts the harvest for the
        # middleware and pipelines to find; it is one shared run, never to be cloned.
        return self

    @property
    def log_path(self) -> Path:
        return self.dir / "logs" / f"run-{self.run_id:05d}.log"

    @property
    def manifest_path(self) -> Path:
        return self.dir / "runs" / f"run-{self.run_id:05d}.json"

    def close(self) -> None:
        self.warc.close()
        self.store.close()


def harvest_of(crawler) -> Harvest:
    """The run's Harvest, which the runner puts in the settings; components that need it
    are switched off (NotConfigured) in a crawl without one, e.g. a bare `scrapy crawl`."""
    harvest = crawler.settings.get("KRONIKA_HARVEST")
    if harvest is None:
        raise NotConfigured("no harvest directory")
    return harvest
