"""Drift alarms: a harvest that notices its profiles no longer fit the pages."""

from __future__ import annotations

import json

from crawler.monitor.drift import DriftSample, alarms, site_rates
from tests.harness import Mirror, MirrorServer, crawl, redesigned_rops_krakow, stored


def sample(method="site", overlap=0.95, title=True, text=True, date=True):
    return DriftSample("s", "https://s.example.pl/a", method, overlap, 1.0, title, text, date)


def test_healthy_rates_raise_nothing():
    assert alarms(site_rates([sample()] * 5)) == []


def test_each_rate_has_its_alarm():
    assert alarms(site_rates([sample("generic")] * 2 + [sample()] * 3)) == [
        "40% of articles fell back to generic extraction (threshold 20%)"]
    assert alarms(site_rates([sample(title=False)] + [sample()] * 4)) == [
        "20% of articles have no title"]
    assert alarms(site_rates([sample(text=False, overlap=None)] + [sample()] * 4)) == [
        "20% of articles have no text"]
    assert alarms(site_rates([sample(overlap=0.2)] * 4)) == [
        "profile bodies cover only 20% of the generic bodies"]


def test_dates_alarm_only_on_a_fall_against_the_previous_run():
    undated = site_rates([sample(date=False)] * 4)
    assert alarms(undated) == []  # some sites never show dates
    assert alarms(undated, previous=site_rates([sample()] * 4)) == [
        "dated articles fell from 100% to 0%"]
    assert alarms(undated, previous=undated) == []


def test_too_few_articles_say_nothing():
    assert alarms(site_rates([sample("generic")] * 2)) == []


def test_a_redesigned_site_is_harvested_and_alarmed(tmp_path):
    """The articles still come out (through the generic path, with a warning); the run
    exits 3 with one line naming the site and the rate that crossed its threshold."""
    mirror = Mirror.load("rops_krakow")
    with MirrorServer(mirror, transform=redesigned_rops_krakow) as server:
        result = crawl(server.base_url, tmp_path)
    assert result.returncode == 3, result.stdout + result.stderr
    assert "rops_krakow: 9 new, 0 changed, 0 unchanged, 0 failed" in result.stdout
    assert ("rops_krakow: DRIFT: 44% of articles fell back to generic extraction "
            "(threshold 20%)") in result.stdout
    records = stored(tmp_path)
    fallen = [r for r in records if r["extraction"]["method"] == "generic"]
    assert len(records) == 9 and len(fallen) == 4
    assert all(r["extraction"]["warnings"] == ["profile found no body; generic extraction used"]
               for r in fallen)
    assert all(r["text"] for r in fallen)  # nothing lost: the body came from trafilatura
    manifest = json.loads((tmp_path / "runs" / "run-00001.json").read_text())
    drift = manifest["sites"]["rops_krakow"]["drift"]
    assert drift["articles"] == 9 and drift["generic_fallback_rate"] == 0.444
    assert manifest["exit_code"] == 3


def test_a_long_run_compares_a_sample_and_still_counts_every_article():
    from crawler.monitor.drift import COMPARE_ALL, COMPARE_EVERY, DriftTally, compare_this

    compared = [n for n in range(1000) if compare_this(n)]
    assert compared[:COMPARE_ALL] == list(range(COMPARE_ALL))
    assert len(compared) == COMPARE_ALL + (1000 - COMPARE_ALL) // COMPARE_EVERY
    samples = ([sample(overlap=0.9)] * 40 + [sample(title=False, overlap=None)] * 50
               + [sample("generic", overlap=0.5)] * 10)
    tally = DriftTally()
    for s in samples:
        tally.append(s)
    rates = site_rates(tally)
    assert rates == site_rates(samples)
    assert rates["articles"] == 100 and rates["missing_rate"]["title"] == 0.5
    assert rates["overlap_mean"] == 0.82 and rates["compared"] == 50


def test_bodies_warned_short_or_empty_are_counted():
    from crawler.monitor.drift import measure

    def record(*warnings):
        return {"site": "s", "url": "https://s.example.pl/a", "title": "T", "text": "x",
                "published": "2024-01-01", "lead": None,
                "extraction": {"method": "generic", "warnings": list(warnings)}}

    short = measure(record("generic body far shorter than the page's main text (120 vs "
                           "2400 characters); read again favouring recall"), b"", None,
                    compare=False)
    empty = measure(record("generic body empty; read again favouring recall",
                           "no body found by any stage of the cascade"), b"", None,
                    compare=False)
    fine = measure(record("no profile matches this URL; generic extraction"), b"", None,
                   compare=False)
    assert (short.short_body, empty.short_body, fine.short_body) == (True, True, False)
    rates = site_rates([short, empty, fine, sample()])
    assert rates["short_body"] == 2 and rates["short_body_rate"] == 0.5
    assert site_rates([sample()] * 3)["short_body"] == 0
