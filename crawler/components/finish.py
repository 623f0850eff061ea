"""How a run ends, the same for ``kronika crawl`` and a bare ``scrapy crawl``.

Both finish a run the same way, so both live here, below the runner
(``crawler.run.runner``) and beside the extension of a bare ``scrapy crawl``
(``crawler.components.standalone``):

* ``RunStops`` notes what stopped a run early: a signal (SIGINT, SIGTERM; a second one
  stops it at once) or a harvest that could not be written (a full disk, a file-size
  limit: ``archive.harvest.HarvestWriteFailed``), and stops the crawl on the latter;
* ``summarize`` and ``conclude`` build the run's summary (counts, drift alarms, failures,
  refusals, the caps in force, and with the crawlers' stats how each site's articles
  were found: ``discovery``, one line of it from ``how_line``) and its exit status;
* ``record_end`` finishes the run in the store, and ``write_manifest`` writes
  ``runs/run-NNNNN.json`` with the fixity of the WARC files the run wrote (``fixity``:
  what ``kronika verify`` checks; skipping what a full disk cannot take).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import platform
import re
import signal
from collections.abc import Collection, Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from crawler import __version__
from crawler.items import OutOfScope

logger = logging.getLogger(__name__)

EXIT_OK, EXIT_FAILED_PAGES, EXIT_USAGE, EXIT_SITE_EMPTY, EXIT_LOCKED = 0, 1, 2, 3, 4
EXIT_INTERRUPTED = 5  # SIGINT or SIGTERM stopped the run; the next run walks everything
EXIT_WRITE_FAILED = 6  # the harvest could not be written (disk full); likewise
WRITE_FAILED = "harvest write failed"  # the finish_reason of a run stopped by it
UNREACHABLE = "no site was reachable: is this machine offline?"

# The caps in force, recorded in each manifest under "caps": those the settings module
# names (its ``cap_names``), these Scrapy settings, and any other cap it defines (a
# KRONIKA_ name with MAX, CAP, LIMIT or BUDGET in it), each read by name from the run's
# settings; a name not there is skipped.
CAP_SETTINGS = ("KRONIKA_MAX_CRAWL_DELAY", "KRONIKA_MAX_BACKOFF", "KRONIKA_MAX_COOKIES",
                "KRONIKA_MAX_COOKIE_BYTES", "KRONIKA_GENERIC_MAX_PAGES",
                "KRONIKA_MAX_URL_LENGTH", "DOWNLOAD_MAXSIZE", "DOWNLOAD_WARNSIZE",
                "DOWNLOAD_TIMEOUT", "RETRY_TIMES", "REDIRECT_MAX_TIMES")
_CAP_NAME = re.compile(r"KRONIKA_\w*(MAX|CAP|LIMIT|BUDGET)\w*")
# A refusal by the scope check, as the spider records it (``OutOfScope: out of scope: ..``).
REFUSAL_PREFIX = f"{OutOfScope.__name__}:"


def is_refusal(error: str) -> bool:
    """Whether a recorded failure is a refusal by the scope check: permanent, so the
    page is not asked for again as a retry (crawler.components.scope)."""
    return error.startswith(REFUSAL_PREFIX)


def caps_in_force(settings) -> dict:
    """The caps a run works under, from its settings (a dict or Scrapy Settings)."""
    from crawler.components import settings as module

    names = dict.fromkeys([*getattr(module, "cap_names", ()), *CAP_SETTINGS,
                           *(n for n in vars(module) if _CAP_NAME.fullmatch(n))])
    caps = {}
    for name in names:
        value = settings.get(name)
        if value is not None:
            caps[name] = value
    return caps


class RunStops:
    """What stopped a run before its end: signals received (names, in order) and the
    harvest write that failed. ``watch(harvest, crawlers)`` makes a failed write stop
    every crawler at once (each closes with reason ``WRITE_FAILED``)."""

    def __init__(self):
        self.signals: list[str] = []
        self.write_error: Exception | None = None
        # Any other reason a spider closed early (a bare ``scrapy crawl`` stopped by a
        # signal it could not see, a CLOSESPIDER_* limit): the walk did not finish.
        self.other: str | None = None
        self._crawlers: list = []

    def note_signal(self, signum: int) -> None:
        self.signals.append(signal.Signals(signum).name)

    def watch(self, harvest, crawlers: Iterable) -> None:
        self._crawlers = list(crawlers)
        harvest.on_write_error.append(self._write_failed)

    def _write_failed(self, error: Exception) -> None:
        if self.write_error is not None:
            return
        self.write_error = error
        # The log file is most likely on the same full disk: its handler would print a
        # traceback on stderr for every line it cannot write. The one line is enough.
        logging.raiseExceptions = False
        for crawler in self._crawlers:
            stop_crawler(crawler, WRITE_FAILED)


def stop_crawler(crawler, reason: str) -> None:
    """Close ``crawler``'s spider, with ``reason``, as soon as the reactor is free (the
    caller may be a component in the middle of a response); what is only queued is
    dropped (what is in flight is answered, and can no longer be written)."""
    from twisted.internet import reactor as installed

    reactor: Any = installed  # the installed reactor: IReactorTime among others
    reactor.callLater(0, _stop_now, crawler, reason)


def _stop_now(crawler, reason: str) -> None:
    from scrapy.utils.defer import deferred_from_coro

    engine = getattr(crawler, "engine", None)
    if engine is None or engine.spider is None:
        return
    drop_queued([crawler], f"not fetched: {reason}")
    deferred = deferred_from_coro(engine.close_spider_async(reason=reason))
    deferred.addErrback(lambda failure: None)  # closed already: nothing to do


def drop_queued(crawlers: Iterable, reason: str) -> int:
    """Fail every request queued in the crawlers' downloader slots, not yet sent (each
    is recorded as a failure by its spider, and retried by the next run): Scrapy's stop
    waits for them all, each after the delay between requests to its host. Returns how
    many there were."""
    from scrapy.exceptions import IgnoreRequest
    from twisted.python.failure import Failure

    dropped = 0
    for crawler in list(crawlers):
        downloader = getattr(getattr(crawler, "engine", None), "downloader", None)
        for slot in list(getattr(downloader, "slots", {}).values()):
            while slot.queue:
                _request, deferred = slot.queue.popleft()
                deferred.errback(Failure(IgnoreRequest(reason)))
                dropped += 1
    return dropped


def reached_anything(crawlers: Iterable) -> bool:
    """Whether any crawler received a response at all (any status)."""
    return any((c.stats.get_value("downloader/response_count") or 0) > 0 for c in crawlers)


def discovery(stats: dict) -> dict:
    """How a site's articles were found and read, from its crawler's stats: articles by
    source (the spiders' ``kronika/found_by/<source>``), listing pages walked and why the
    walk stopped, links to other sites dropped, the share of the articles extracted
    with a date, a title from the page and images, and the page requisites archived."""
    found_by = {key.rsplit("/", 1)[1]: n for key, n in sorted(stats.items())
                if key.startswith("kronika/found_by/")}
    extracted = stats.get("kronika/extracted", 0)

    def share(key: str) -> float | None:
        return round(stats.get(key, 0) / extracted, 3) if extracted else None

    return {"found_by": found_by,
            "listing_pages": stats.get("kronika/listing_pages"),
            "listing_stop": stats.get("kronika/listing_stop"),
            "offsite_dropped": stats.get("kronika/offsite_dropped", 0),
            "offsite_urls": stats.get("kronika/offsite_urls", []),
            "extracted": extracted,
            "with_date": share("kronika/with_date"),
            "title_from_page": share("kronika/title_from_page"),
            "with_images": share("kronika/with_images"),
            # What the pages load to render (crawler.components.requisites).
            "requisites": {"archived": stats.get("kronika/requisites", 0),
                           "failed": stats.get("kronika/requisites_failed", 0),
                           "robots_forbidden": stats.get("kronika/requisites_robots", 0),
                           "over_page_cap": stats.get("kronika/requisites_skipped", 0),
                           "offsite_under_mirror": stats.get(
                               "kronika/requisites_offsite_skipped", 0)}}


# The order and words of the sources in the summary line.
_SOURCES = {"feed": "feed", "sitemap": "sitemap", "listing": "listing", "recheck": "re-check",
            "retry": "retry", "other": "other"}


def how_line(d: dict) -> str:
    """A site's ``discovery`` in one line: "found: 12 feed, 40 listing (5 listing pages,
    stop: overlap), 2 off-site links dropped; of 40 read: 100% dated, 100% titled from
    the page, 85% with images"."""
    found = d["found_by"]
    parts = [f"{found[k]} {word}" for k, word in _SOURCES.items() if found.get(k)]
    parts += [f"{n} {k}" for k, n in found.items() if k not in _SOURCES and n]
    line = "found: " + (", ".join(parts) or "nothing")
    if d["listing_pages"]:
        line += (f" ({d['listing_pages']} listing page{'s' if d['listing_pages'] != 1 else ''}"
                 + (f", stop: {d['listing_stop']}" if d["listing_stop"] else "") + ")")
    if d["offsite_dropped"]:
        hosts = sorted({urlsplit(u).hostname or u for u in d.get("offsite_urls", [])})
        named = ", ".join(hosts[:3]) + (", ..." if len(hosts) > 3 else "")
        line += f", {d['offsite_dropped']} off-site link(s) dropped" + (
            f" (to {named})" if named else "")
    if d["extracted"]:
        line += (f"; of {d['extracted']} read: {d['with_date']:.0%} dated, "
                 f"{d['title_from_page']:.0%} titled from the page, "
                 f"{d['with_images']:.0%} with images")
    return line


def summarize(harvest, slugs: list[str], started: datetime, has_profile: bool,
              stats: dict[str, dict] | None = None,
              without_profile: Collection[str] = ()) -> dict:
    """The summary of a run: counts, drift and alarms per site, this run's failures
    (refusals by the scope check counted apart), software versions; with ``stats``
    (slug -> its crawler's stats), how each site's articles were found. The sites in
    ``without_profile`` (or all, when not ``has_profile``) are read by the generic
    spider: their drift raises no profile alarm."""
    import scrapy
    import trafilatura

    from crawler.monitor.drift import alarms, site_rates

    previous = (harvest.store.last_summary(harvest.run_id) or {}).get("sites", {})
    failures = harvest.store.failures(harvest.run_id)
    sites: dict[str, Any] = {}
    for slug in slugs:
        c = harvest.counts[slug]
        rates = site_rates(harvest.drift[slug])
        sites[slug] = {"new": c["new"], "changed": c["changed"], "unchanged": c["unchanged"],
                       "failed": c["failed"], "generic_fallback": c["method_generic"],
                       "refused": sum(1 for f in failures
                                      if f["site"] == slug and is_refusal(f["error"])),
                       "refused_before": c["refused_before"],
                       "drift": rates,
                       "alarms": alarms(rates, previous.get(slug, {}).get("drift"),
                                        has_profile=has_profile
                                        and slug not in without_profile)}
        if stats is not None and slug in stats:
            sites[slug]["discovery"] = discovery(stats[slug])
    return {
        "run_id": harvest.run_id,
        "started_at": started.isoformat(timespec="seconds"),
        "finished_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "sites": sites,
        "failures": failures,
        "software": {"kronika": __version__, "scrapy": scrapy.__version__,
                     "trafilatura": trafilatura.__version__,
                     "python": platform.python_version()},
    }


def conclude(summary: dict, stops: RunStops, reached: bool = True) -> int:
    """Say in ``summary`` how the run ended (interrupted, finish_reason, signal, forced,
    write_error, unreachable) and set its ``exit_code``, which is returned."""
    interrupted = bool(stops.signals) or (stops.other is not None and not stops.write_error)
    summary["interrupted"] = interrupted
    summary["signal"] = stops.signals[0] if stops.signals else None
    # A second signal stops the crawl at once, without waiting for what is in flight.
    summary["forced"] = len(stops.signals) > 1
    summary["write_error"] = str(stops.write_error) if stops.write_error else None
    summary["finish_reason"] = ("shutdown" if stops.signals else
                                WRITE_FAILED if stops.write_error else
                                stops.other or "finished")
    summary["unreachable"] = not reached and bool(summary["failures"]) and not interrupted
    if stops.write_error:
        code = EXIT_WRITE_FAILED
    elif interrupted:
        code = EXIT_INTERRUPTED
    else:
        code = exit_code(summary)
    summary["exit_code"] = code
    return code


def full_reason(store, run_id: int, asked: bool) -> str | None:
    """Why run ``run_id`` walks everything (None: it is incremental): it was ``asked``
    (--full), or the run before it did not reach its end."""
    if asked:
        return "--full"
    state = store.last_run_state(run_id)
    if state == "interrupted":
        last = store.last_summary(run_id) or {}
        if last.get("finish_reason") == WRITE_FAILED:
            return "the last run could not write its harvest"
        return "the last run was interrupted"
    if state == "unfinished":
        return "the last run did not finish"
    return None


def exit_code(summary: dict) -> int:
    """The status of a run that ran to its end: 3 when a site yielded nothing (over the
    whole shared crawl, for a worker) or drifted, else 1 when a page failed, else 0."""
    sites = summary["sites"].values()
    if any(s.get("crawl_articles", s["new"] + s["changed"] + s["unchanged"]) == 0
           or s["alarms"] for s in sites):
        return EXIT_SITE_EMPTY
    if summary["failures"]:
        return EXIT_FAILED_PAGES
    return EXIT_OK


def record_end(harvest, summary: dict) -> None:
    """Finish the run in the store and close the harvest. After a failed write the
    store may take nothing more: the run is then left unfinished, which the next run
    reads as a run to make up for (it walks everything), exactly as intended."""
    try:
        harvest.store.finish_run(harvest.run_id, summary["exit_code"], summary)
    except Exception:
        if not summary.get("write_error"):
            raise
        logger.warning("the run could not be finished in the store: it stays unfinished")
    harvest.close()


def sha256_of(path: Path) -> tuple[int, str]:
    """The size and SHA-256 (hex) of the file at ``path``, read in 1 MiB pieces."""
    digest = hashlib.sha256()
    size = 0
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
            size += len(chunk)
    return size, digest.hexdigest()


# Why a harvest-level file is not fixity-checked by the run that wrote it: later runs
# rewrite it, so a hash recorded now would be false after the next run.
NOT_CHECKED = {"store": "the store: every run writes to it",
               ".cdxj": "an index derived from the WARC files: rewritten by later runs",
               ".wacz": "the WARC files packaged: repackaged by every run with --wacz",
               "other": "rewritten by later runs"}


def fixity(base: Path, warc_files: Iterable[Path], rewritten: Iterable[Path],
           store: Path | None = None) -> dict:
    """The manifest's ``fixity``: name (relative to ``base``), size and SHA-256 of the
    WARC files the run wrote (closed, never written again: ``kronika verify`` checks
    them against this), and the files it rewrote (the ``store`` file, indexes, the
    WACZ), named as not fixity-checked: a hash of them would go stale at the next run."""
    files = []
    for path in warc_files:
        size, hexdigest = sha256_of(path)
        files.append({"name": str(path.relative_to(base)), "size": size,
                      "sha256": hexdigest})
    not_checked = {}
    for path in rewritten:
        kind = "store" if path == store else path.suffix
        not_checked[str(path.relative_to(base))] = NOT_CHECKED.get(kind, NOT_CHECKED["other"])
    return {"algorithm": "sha256", "files": files, "not_checked": not_checked}


def write_manifest(harvest, summary: dict, outputs: list[Path]) -> bool:
    """Add the fixity of the run's WARC files to ``summary`` (``fixity``; ``outputs``
    keeps the older form, name -> "sha256:...", of the same files) and write it as
    ``runs/run-NNNNN.json``. False when the disk could not take it (after a failed
    write: the one line says what happened; the store has the run unfinished)."""
    warc_dir = harvest.dir / "warc"
    files = [*outputs, harvest.store.path] if harvest.store.path else outputs
    present = [p for p in files if p.exists()]
    summary["fixity"] = fixity(harvest.dir, [p for p in present if p.parent == warc_dir],
                               [p for p in present if p.parent != warc_dir],
                               store=harvest.store.path)
    summary["outputs"] = {f["name"]: "sha256:" + f["sha256"]
                          for f in summary["fixity"]["files"]}
    text = json.dumps(summary, indent=2, ensure_ascii=False) + "\n"
    try:
        harvest.manifest_path.write_text(text, encoding="utf-8")
    except OSError:
        if not summary.get("write_error"):
            raise
        with contextlib.suppress(OSError):  # no half-written manifest
            harvest.manifest_path.unlink()
        return False
    return True


def index_run(harvest, summary: dict, shared: bool = False) -> list[Path]:
    """The run's outputs: its WARC files and their CDXJ index (of the whole harvest;
    a worker of a shared crawl indexes its own files apart: docs/SCALING.md). After a
    failed write nothing more is written; the next run rewrites the index."""
    from archive.indexes import write_cdxj

    outputs = [harvest.dir / "warc" / name for name in harvest.warc.files]
    if summary.get("write_error"):
        return outputs
    if not shared:
        outputs.append(write_cdxj(harvest.dir))
    elif harvest.warc.files:
        outputs.append(write_cdxj(harvest.dir, outputs, f"{harvest.warc.prefix}.cdxj"))
    return outputs


def end_lines(summary: dict) -> list[str]:
    """The lines for stderr that say why a run ended as it did (none for a plain end)."""
    if summary.get("write_error"):
        return [f"kronika: {summary['write_error']}; the run stopped. Free some space (or "
                "give another --out) and run again: the next run re-walks what this one "
                "missed"]
    if summary.get("interrupted"):
        by = summary["signal"] or summary["finish_reason"]
        return [f"kronika: interrupted by {by}; the next run re-walks what this one had not "
                "finished"]
    if summary.get("unreachable"):
        return [f"kronika: {UNREACHABLE}"]
    return []
