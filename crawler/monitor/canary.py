"""`kronika check --live`: the canary that tells cron the night a site changed its template.

Per site it fetches the first listing page of each listing (and feed) and the newest
articles there, politely, through the same spider and extraction cascade as a harvest,
and judges correctness, not only presence: per-field fill rates, the extraction method
(a profile that falls back to generic is a template change), and how much of trafilatura's
body the profile's body covers (a profile that still finds *something* but no longer the
article shows up here). Nothing is stored; the report is printed and optionally written
as JSON for monitoring.
"""

from __future__ import annotations

import json
import statistics
from dataclasses import asdict, dataclass, field

from crawler.items import PageFailure
from crawler.monitor.drift import measure

# Calibrated on the eight fixture mirrors (2026-11-22): a site's mean coverage of
# trafilatura's words is 0.88-0.97 and no single article is below 0.81; a profile that
# lost the article covers next to nothing (or falls back to generic, reported apart).
MIN_OVERLAP = 0.6
FIELDS = ("title", "published", "text", "author", "category", "images")


@dataclass
class Probe:
    """What the canary learned from one article page."""

    site: str
    url: str
    method: str
    warnings: list
    filled: dict
    published: str | None
    overlap: float | None      # share of the generic body's words in the profile's body
    length_ratio: float | None  # profile body length / generic body length


def probe(spider, response) -> Probe:
    """Extract one page as the harvest would and compare its body with trafilatura's."""
    record = spider.build_record(response)
    sample = measure(record, response.body,
                     response.headers.get("Content-Type", b"").decode("latin-1") or None)
    filled = {f: bool(record[f]) for f in FIELDS}
    return Probe(spider.name, response.url, record["extraction"]["method"],
                 record["extraction"]["warnings"], filled, record["published"],
                 sample.overlap, sample.length_ratio)


class CanaryMixin:
    """Turns a site spider into its canary: article pages yield Probes, not Articles."""

    def parse_article(self, response):
        try:
            yield probe(self, response)
        except Exception as exc:  # noqa: BLE001 - reported as the site's failure
            yield PageFailure(self.name, response.url, f"extraction error: {exc!r}"[:300])


@dataclass
class SiteReport:
    """The canary's verdict on one site."""

    site: str
    ok: bool = True
    reasons: list = field(default_factory=list)
    articles: int = 0
    methods: dict = field(default_factory=dict)
    fill_rates: dict = field(default_factory=dict)
    overlap_mean: float | None = None
    overlap_min: float | None = None
    newest_published: str | None = None
    failures: list = field(default_factory=list)
    probes: list = field(default_factory=list)


def judge(site: str, probes: list[Probe], failures: list[PageFailure],
          expects_dates: bool) -> SiteReport:
    """Fill rates, methods and overlap of one site's probes, and why it fails, if it does."""
    report = SiteReport(site, articles=len(probes),
                        failures=[asdict(f) for f in failures],
                        probes=[asdict(p) for p in probes])
    reasons = report.reasons
    if failures:
        reasons.append(f"{len(failures)} page(s) failed: {failures[0].url} ({failures[0].error})")
    if not probes:
        reasons.append("the listing yielded no articles")
    else:
        n = len(probes)
        report.methods = {m: sum(p.method == m for p in probes) for m in ("site", "generic")}
        report.fill_rates = {f: round(sum(p.filled[f] for p in probes) / n, 3) for f in FIELDS}
        overlaps = [p.overlap for p in probes if p.overlap is not None]
        if overlaps:
            report.overlap_mean = round(statistics.fmean(overlaps), 3)
            report.overlap_min = min(overlaps)
        dates = sorted(p.published for p in probes if p.published)
        report.newest_published = dates[-1] if dates else None
        if report.methods["generic"]:
            reasons.append(f"the profile missed the body on {report.methods['generic']} of {n} "
                           "articles (generic fallback)")
        if report.fill_rates["text"] < 1:
            reasons.append(f"empty body on {n - round(report.fill_rates['text'] * n)} of {n}")
        if report.overlap_mean is not None and report.overlap_mean < MIN_OVERLAP:
            reasons.append(f"the profile's body covers only {report.overlap_mean:.0%} of the "
                           "generic body")
        if expects_dates and not dates:
            reasons.append("no publication date found on any article")
    report.ok = not reasons
    return report


class ProbeCollector:
    """Shared by the canary's pipeline and the caller (never copied with the settings)."""

    def __init__(self):
        self.probes: dict[str, list[Probe]] = {}
        self.failures: dict[str, list[PageFailure]] = {}

    def __deepcopy__(self, memo):
        return self


class ProbePipeline:
    """Collect the canary's Probes and PageFailures."""

    def __init__(self, collector: ProbeCollector):
        self.collector = collector

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler.settings.get("KRONIKA_CANARY"))

    def process_item(self, item, spider=None):
        if isinstance(item, Probe):
            self.collector.probes.setdefault(item.site, []).append(item)
        elif isinstance(item, PageFailure):
            self.collector.failures.setdefault(item.site, []).append(item)
        return item


def summary_line(report: SiteReport) -> str:
    """One line per site, as cron mails it."""
    if not report.ok:
        return f"{report.site}: FAILED: " + "; ".join(report.reasons)
    methods = report.methods
    return (f"{report.site}: ok ({report.articles} articles, site path "
            f"{methods.get('site', 0)}/{report.articles}, body overlap "
            f"{report.overlap_mean if report.overlap_mean is not None else 'n/a'}, newest "
            f"{report.newest_published or 'undated'})")


def write_json(reports: list[SiteReport], path: str) -> None:
    """The machine-readable report, for monitoring."""
    data = {"ok": all(r.ok for r in reports), "sites": [asdict(r) for r in reports]}
    with open(path, "w", encoding="utf-8") as fh:
        json.dump(data, fh, ensure_ascii=False, indent=2)
        fh.write("\n")
