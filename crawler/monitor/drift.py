"""Drift alarms: notice during a harvest that a site's profile no longer fits its pages.

Article pages are also read by trafilatura (a site's first 50 of a run, then every 25th:
see compare_this) and the two bodies are compared: the share of the generic body's words
found in the profile's (lead included) and the length ratio.
Per site and run, the rates that matter to an operator are collected: generic fallbacks,
missing titles, bodies, dates, bodies the extraction warned were empty or far shorter
than the page's main text, and the mean overlap. A run whose rates cross a threshold
exits 3 with a one-line reason per site, so cron alerts the night the template changed.
The Article record is not touched: drift is a property of the harvest, not of the news.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from crawler.extract import blocks_text, decode_html, generic_blocks

_WORD = re.compile(r"\w{3,}", re.UNICODE)

# Thresholds, calibrated on the eight fixture mirrors (2026-11-22): no site falls back,
# misses a title or a body, and every site's mean overlap is 0.88-0.97.
MAX_FALLBACK_RATE = 0.2
MAX_MISSING_RATE = {"title": 0.1, "text": 0.1}
MIN_MEAN_OVERLAP = 0.6
# Dates: many pages legitimately have none (police archives, Joomla sites that hide them),
# so only a fall against the site's previous run raises the alarm.
MAX_DATE_FILL_DROP = 0.3
MIN_ARTICLES = 3  # fewer articles say nothing about rates
COMPARE_ALL, COMPARE_EVERY = 50, 25  # see compare_this()


@dataclass
class DriftSample:
    """How one article's profile body compares with the generic body."""

    site: str
    url: str
    method: str
    overlap: float | None
    length_ratio: float | None
    has_title: bool
    has_text: bool
    has_date: bool
    # The extraction warned that the body was empty or far shorter than the page's main
    # text (crawler.extract.cascade, generic path): a body that may be missing.
    short_body: bool = False


# The warnings the cascade's generic path leaves on such a body (see short_body).
_SHORT_BODY_WARNINGS = ("generic body empty", "generic body far shorter than the page's main "
                        "text", "no body found by any stage")


def short_body(record: dict) -> bool:
    """Whether the record's extraction warned that its body was empty or far shorter
    than the page's main text."""
    warnings = (record.get("extraction") or {}).get("warnings") or ()
    return any(w.startswith(_SHORT_BODY_WARNINGS) for w in warnings)


def words(text: str) -> set[str]:
    """Lower-cased words of three letters or more."""
    return {w.lower() for w in _WORD.findall(text)}


def compare_this(article_number: int) -> bool:
    """Whether a site's ``article_number``-th article of a run (from 0) is compared with
    trafilatura: the first COMPARE_ALL, then every COMPARE_EVERY-th. The comparison costs
    more than the site's own extraction; a template change shows in every page, so a
    sample sees it as surely, and the fill rates still count every article."""
    return article_number < COMPARE_ALL or article_number % COMPARE_EVERY == 0


def measure(record: dict, body: bytes | str, content_type: str | None,
            compare: bool = True) -> DriftSample:
    """Compare a record's body (lead + text) with trafilatura's body of the same page
    (with ``compare`` False, only the record's own fields are looked at)."""
    if not compare:
        return DriftSample(record["site"], record["url"], record["extraction"]["method"],
                           None, None, bool(record["title"]), bool(record["text"]),
                           bool(record["published"]), short_body(record))
    html = decode_html(body, content_type)
    generic = blocks_text(generic_blocks(html, record["url"]))
    own = "\n\n".join(filter(None, (record["lead"], record["text"])))
    own_words, generic_words = words(own), words(generic)
    overlap = (round(len(own_words & generic_words) / len(generic_words), 3)
               if generic_words else None)
    ratio = round(len(own) / len(generic), 3) if generic else None
    return DriftSample(record["site"], record["url"], record["extraction"]["method"], overlap,
                       ratio, bool(record["title"]), bool(record["text"]),
                       bool(record["published"]), short_body(record))


class DriftTally:
    """A site's DriftSamples of one run, summed as they come: memory stays the same
    however many articles the run stores (a list of samples grew with the crawl)."""

    def __init__(self):
        self.n = self.generic = self.short_body = 0
        self.missing = {"title": 0, "text": 0, "published": 0}
        self.overlaps = 0
        self.overlap_sum = 0.0
        self.overlap_min: float | None = None

    def append(self, sample: DriftSample) -> None:
        self.n += 1
        self.generic += sample.method == "generic"
        self.short_body += sample.short_body
        self.missing["title"] += not sample.has_title
        self.missing["text"] += not sample.has_text
        self.missing["published"] += not sample.has_date
        if sample.overlap is not None:
            self.overlaps += 1
            self.overlap_sum += sample.overlap
            self.overlap_min = (sample.overlap if self.overlap_min is None
                                else min(self.overlap_min, sample.overlap))

    def rates(self) -> dict:
        """The per-site, per-run rates written to the run manifest."""
        n = self.n
        if not n:
            return {"articles": 0}
        return {
            "articles": n,
            "generic_fallback_rate": round(self.generic / n, 3),
            "missing_rate": {k: round(v / n, 3) for k, v in self.missing.items()},
            "short_body": self.short_body,
            "short_body_rate": round(self.short_body / n, 3),
            "overlap_mean": round(self.overlap_sum / self.overlaps, 3) if self.overlaps else None,
            "overlap_min": self.overlap_min,
            "compared": self.overlaps,
        }


def site_rates(samples) -> dict:
    """The per-site, per-run rates written to the run manifest (from a DriftTally or any
    iterable of DriftSamples)."""
    if not isinstance(samples, DriftTally):
        tally = DriftTally()
        for sample in samples:
            tally.append(sample)
        samples = tally
    return samples.rates()


def alarms(rates: dict, previous: dict | None = None, has_profile: bool = True) -> list[str]:
    """Why a site's rates (and their change since ``previous``) call for a human. A site
    without a profile (the generic spider) has nothing to fall back from or drift from."""
    if rates.get("articles", 0) < MIN_ARTICLES:
        return []
    found = []
    if not has_profile:
        return [f"{rates['missing_rate'][name]:.0%} of articles have no {name}"
                for name, limit in MAX_MISSING_RATE.items()
                if rates["missing_rate"][name] > limit]
    if rates["generic_fallback_rate"] > MAX_FALLBACK_RATE:
        found.append(f"{rates['generic_fallback_rate']:.0%} of articles fell back to generic "
                     f"extraction (threshold {MAX_FALLBACK_RATE:.0%})")
    for name, limit in MAX_MISSING_RATE.items():
        if rates["missing_rate"][name] > limit:
            found.append(f"{rates['missing_rate'][name]:.0%} of articles have no {name}")
    if rates["overlap_mean"] is not None and rates["overlap_mean"] < MIN_MEAN_OVERLAP:
        found.append(f"profile bodies cover only {rates['overlap_mean']:.0%} of the generic "
                     "bodies")
    if previous and previous.get("articles", 0) >= MIN_ARTICLES:
        before = 1 - previous["missing_rate"]["published"]
        now = 1 - rates["missing_rate"]["published"]
        if before - now > MAX_DATE_FILL_DROP:
            found.append(f"dated articles fell from {before:.0%} to {now:.0%}")
    return found
