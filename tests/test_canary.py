"""`kronika check --live`: the canary, run against the fixture mirrors as if they were live."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from crawler.devtools.fixtures import available
from crawler.devtools.mirror import FIXTURES, Mirror, MirrorServer
from crawler.items import PageFailure
from crawler.monitor.canary import FIELDS, Probe, judge
from tests.harness import redesigned_rops_krakow


def check(*args):
    return subprocess.run([sys.executable, "-m", "crawler.run.cli", "check", "--live", *args,
                           "--delay", "0"], capture_output=True, text=True, timeout=300)


@pytest.mark.parametrize("slug", available(FIXTURES))
def test_every_site_passes_its_canary(slug, tmp_path):
    report = tmp_path / "canary.json"
    with MirrorServer(Mirror.load(slug)) as server:
        result = check(slug, "--base-url", server.base_url, "--json", str(report))
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.startswith(f"{slug}: ok (")
    data = json.loads(report.read_text())
    site = data["sites"][0]
    assert data["ok"] and site["ok"] and site["reasons"] == []
    assert site["articles"] >= 2
    assert site["methods"] == {"site": site["articles"], "generic": 0}
    assert site["fill_rates"]["title"] == site["fill_rates"]["text"] == 1.0
    assert site["overlap_mean"] >= 0.8


def test_a_redesigned_template_is_flagged_with_exit_3(tmp_path):
    report = tmp_path / "canary.json"
    with MirrorServer(Mirror.load("rops_krakow"), transform=redesigned_rops_krakow) as server:
        result = check("rops_krakow", "--base-url", server.base_url, "--json", str(report))
    assert result.returncode == 3, result.stdout + result.stderr
    assert result.stdout.strip() == ("rops_krakow: FAILED: the profile missed the body on 2 "
                                     "of 5 articles (generic fallback)")
    site = json.loads(report.read_text())["sites"][0]
    assert site["ok"] is False and site["methods"] == {"site": 3, "generic": 2}
    redesigned = [p for p in site["probes"] if p["method"] == "generic"]
    assert all("/aktualnosci/" in p["url"] for p in redesigned)


def test_a_site_whose_listings_are_gone_is_flagged(tmp_path):
    with MirrorServer(Mirror.load("mops_radomsko")) as server:
        server.faults["/index.php?c=page&id=12"] = 404
        result = check("mops_radomsko", "--base-url", server.base_url)
    assert result.returncode == 3
    assert "mops_radomsko: FAILED: 1 page(s) failed:" in result.stdout
    assert "(HTTP 404); the listing yielded no articles" in result.stdout


def probe(overlap=0.95, published="2024-06-28", method="site"):
    return Probe("s", "https://s.example.pl/a", method, [], dict.fromkeys(FIELDS, True),
                 published, overlap, 1.0)


def test_judge_flags_a_profile_that_reads_the_wrong_element():
    assert judge("s", [probe(), probe()], [], expects_dates=True).ok
    wrong = judge("s", [probe(0.1), probe(0.2)], [], expects_dates=True)
    assert wrong.reasons == ["the profile's body covers only 15% of the generic body"]


def test_judge_flags_lost_dates_only_where_the_site_has_dates():
    undated = [probe(published=None), probe(published=None)]
    assert judge("s", undated, [], expects_dates=True).reasons == [
        "no publication date found on any article"]
    assert judge("s", undated, [], expects_dates=False).ok


def test_judge_reports_failed_pages():
    failure = PageFailure("s", "https://s.example.pl/x", "HTTP 503", 503)
    assert judge("s", [probe()], [failure], True).reasons == [
        "1 page(s) failed: https://s.example.pl/x (HTTP 503)"]


@pytest.mark.parametrize(("args", "fragment"), [
    (["check", "rops_krakow"], "--live"),
    (["check", "--live", "rops_krakow", "mcps", "--base-url", "http://127.0.0.1:1"],
     "exactly one site"),
    (["check", "--live", "nie_ma"], "unknown site"),
    (["check", "--live", "rops_krakow", "--articles", "0"], "at least 1"),
])
def test_check_usage_errors(args, fragment):
    result = subprocess.run([sys.executable, "-m", "crawler.run.cli", *args], capture_output=True,
                            text=True)
    assert result.returncode == 2 and fragment in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
