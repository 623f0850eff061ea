"""Drift alarms: notice during a harvest that a site's profile no longer fits its pages.

Every article page is also read by trafilatura and the two bodies are compared: the share
of the generic body's words found in the profile's (lead included) and the length ratio.
Per site and run, the rates that matter to an operator are collected: generic fallbacks,
missing titles, bodies, dates, and the mean overlap. A run whose rates cross a threshold
exits 3 with a one-line reason per site, so cron alerts the night the template changed.
The Article record is not touched: drift is a property of the harvest, not of the news.
"""

from __future__ import annotations

import re
import statistics
from dataclasses import dataclass

from .extract import blocks_text, decode_html, generic_blocks

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


def words(text: str) -> set[str]:
    """Lower-cased words of three letters or more."""
    return {w.lower() for w in _WORD.findall(text)}


def measure(record: dict, body: bytes | str, content_type: str | None) -> DriftSample:
    """Compare a record's body (lead + text) with trafilatura's body of the same page."""
    html = decode_html(body, content_type)
    generic = blocks_text(generic_blocks(html, record["url"]))
    own = "\n\n".join(filter(None, (record["lead"], record["text"])))
    own_words, generic_words = words(own), words(generic)
    overlap = (round(len(own_words & generic_words) / len(generic_words), 3)
               if generic_words else None)
    ratio = round(len(own) / len(generic), 3) if generic else None
    return DriftSample(record["site"], record["url"], record["extraction"]["method"], overlap,
                       ratio, bool(record["title"]), bool(record["text"]),
                       bool(record["published"]))


def site_rates(samples: list[DriftSample]) -> dict:
    """The per-site, per-run rates written to the run manifest."""
    n = len(samples)
    if not n:
        return {"articles": 0}
    overlaps = [s.overlap for s in samples if s.overlap is not None]
    return {
        "articles": n,
        "generic_fallback_rate": round(sum(s.method == "generic" for s in samples) / n, 3),
        "missing_rate": {"title": round(sum(not s.has_title for s in samples) / n, 3),
                         "text": round(sum(not s.has_text for s in samples) / n, 3),
                         "published": round(sum(not s.has_date for s in samples) / n, 3)},
        "overlap_mean": round(statistics.fmean(overlaps), 3) if overlaps else None,
        "overlap_min": min(overlaps) if overlaps else None,
    }


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
