"""Sites without a profile as first-class sites: slugs, the sites file, runs by name.

Two unknown-site mirrors (tests/fixtures/unknown/: the comma-URL CMS and the Joomla
category blog) are served on 127.0.0.1 and harvested into one directory: the first with
`crawl --url ... --save` (its slug derived from its host), the second with `--name` and
`--save NAME`; then the first again by name, as cron would, which asks again for the
page that failed the first time. Each site's articles are stored, exported and counted
under its own slug; the summary says how the articles were found. A saved site keeps
what cron relies on: the lock, the retried failures, the run after a killed one walking
everything. `kronika discover` reads a mirror without harvesting it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from crawler.devtools.unknown import load, start_url
from crawler.spider.saved import slug_for_url
from crawler.spider.sites import spider_classes
from tests.harness import MirrorServer, assert_warcs_valid, kill, slowly, stored, wait_until

ENV = {**os.environ, "KRONIKA_CONTACT": "test@example.invalid"}


def kronika(*args: str) -> subprocess.CompletedProcess:
    """One `kronika` command in a subprocess; it must not crash."""
    result = subprocess.run([sys.executable, "-m", "crawler.run.cli", *args],
                            capture_output=True, text=True, timeout=120, check=False, env=ENV)
    assert "Traceback" not in result.stderr, result.stderr
    return result


def manifest(out: Path) -> dict:
    return json.loads(sorted((out / "runs").glob("run-*.json"))[-1].read_text("utf-8"))


def _target(url: str) -> str:
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


@pytest.fixture(scope="module")
def harvest(tmp_path_factory):
    """The two sites saved and harvested, then the first run again by its name."""
    comma, joomla = load("comma_cms"), load("joomla_blog")
    out = tmp_path_factory.mktemp("saved")
    runs = {}
    with MirrorServer(comma) as first, MirrorServer(joomla) as second:
        failing = comma.articles()[-1]  # the oldest article: 404 on the first run only
        first.faults[_target(failing["url"])] = 404
        runs["save"] = kronika("crawl", "--url", start_url(comma), "--base-url",
                               first.base_url, "--save", "--out", str(out), "--delay", "0")
        runs["save_manifest"] = manifest(out)
        runs["name"] = kronika("crawl", "--url", start_url(joomla), "--base-url",
                               second.base_url, "--name", "borowiec", "--save", "borowiec",
                               "--out", str(out), "--delay", "0", "--no-media")
        runs["name_manifest"] = manifest(out)
        del first.faults[_target(failing["url"])]
        split = len(first.requests)
        runs["again"] = kronika("crawl", "gops_starakepa", "--out", str(out), "--delay", "0")
        runs["again_manifest"] = manifest(out)
        runs["again_requests"] = [r["path"] for r in first.requests[split:]]
    return out, comma, joomla, failing, runs


def test_the_slug_comes_from_the_host_and_never_takes_a_profiled_sites():
    profiled = spider_classes()
    assert slug_for_url("https://www.gops-starakepa.pl/aktualnosci.html", profiled) == (
        "gops_starakepa")
    assert slug_for_url("https://mcps.com.pl/aktualnosci/", profiled) == "mcps_com_pl"
    assert slug_for_url("https://www.malopolska.pl/x", profiled) == "malopolska_pl"
    assert slug_for_url("http://127.0.0.1:8080/", profiled) == "site_127_0_0_1"


def test_each_unknown_site_is_stored_under_its_own_slug(harvest):
    out, comma, joomla, failing, runs = harvest
    assert runs["save"].returncode == 1, runs["save"].stdout  # the one failed page
    assert runs["name"].returncode == 0, runs["name"].stdout + runs["name"].stderr
    assert_warcs_valid(out)
    by_site: dict[str, set] = {}
    for record in stored(out):
        by_site.setdefault(record["site"], set()).add(record["url"])
    assert by_site == {"gops_starakepa": {p["url"] for p in comma.articles()},
                       "borowiec": {p["url"] for p in joomla.articles()}}
    # The manifests count by slug.
    assert list(runs["save_manifest"]["sites"]) == ["gops_starakepa"]
    assert runs["save_manifest"]["sites"]["gops_starakepa"]["new"] == len(comma.articles()) - 1
    assert list(runs["name_manifest"]["sites"]) == ["borowiec"]


def test_the_sites_file_records_each_saved_site(harvest):
    out, comma, joomla, _, runs = harvest
    assert "gops_starakepa: saved in" in runs["save"].stdout
    sites = json.loads((out / "sites.json").read_text("utf-8"))["sites"]
    assert sites["gops_starakepa"]["url"] == start_url(comma)
    assert sites["borowiec"]["url"] == start_url(joomla)
    assert sites["borowiec"]["media"] is False
    assert sites["borowiec"]["base_url"].startswith("http://127.0.0.1:")
    assert not list(out.glob(".sites.json.*"))  # written by rename: no leftovers
    listed = kronika("sites", "--out", str(out))
    assert listed.returncode == 0
    saved = listed.stdout.split("(generic spider):\n", 1)[1].splitlines()
    assert saved[0].split()[:3] == ["slug", "start", "url"]
    assert [line.split()[0] for line in saved[1:]] == ["borowiec", "gops_starakepa"]
    assert f"gops_starakepa  {start_url(comma)}" in listed.stdout


def test_a_saved_site_runs_by_name_and_its_failed_page_is_retried(harvest):
    out, comma, _, failing, runs = harvest
    again = runs["again"]
    assert again.returncode == 0, again.stdout + again.stderr
    assert _target(failing["url"]) in runs["again_requests"]
    counts = runs["again_manifest"]["sites"]["gops_starakepa"]
    assert counts["new"] == 1 and counts["failed"] == 0
    assert counts["discovery"]["found_by"]["retry"] == 1
    # Incremental: the first listing page, all known, ends the walk (--overlap 1).
    listings = [p for p in runs["again_requests"] if p.startswith("/aktualnosci")]
    assert listings == [_target(start_url(comma))], listings


def test_a_saved_site_is_not_run_twice_at_once(harvest):
    from archive.lock import HarvestLock

    out = harvest[0]
    with HarvestLock(out).acquire("a test holding the harvest"):
        result = kronika("crawl", "gops_starakepa", "--out", str(out), "--delay", "0")
    assert result.returncode == 4 and "not starting a second run" in result.stderr


def test_a_killed_run_of_a_saved_site_is_made_up_for_by_the_next(tmp_path):
    comma = load("comma_cms")
    out = tmp_path / "h"
    with MirrorServer(comma, transform=slowly(2, "article")) as server:
        first = subprocess.Popen(
            [sys.executable, "-m", "crawler.run.cli", "crawl", "--url", start_url(comma),
             "--base-url", server.base_url, "--save", "--no-media", "--out", str(out),
             "--delay", "0"], env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            wait_until(lambda: any(r["path"].startswith("/art,") for r in server.requests),
                       60, "the first article request", running=[first])
        finally:
            kill(first)
        server.transform = None
        again = kronika("crawl", "gops_starakepa", "--out", str(out), "--delay", "0",
                        "--no-media")
    assert again.returncode == 0, again.stdout + again.stderr
    assert manifest(out)["full_reason"] == "the last run did not finish"
    assert sorted(r["url"] for r in stored(out)) == sorted(p["url"] for p in comma.articles())


def test_all_runs_the_saved_sites_next_to_the_profiled_ones(harvest):
    from crawler.run.cli import _chosen_sites, build_parser

    out = harvest[0]
    args = build_parser().parse_args(["crawl", "--all", "--out", str(out)])
    slugs, unprofiled, save = _chosen_sites(args, out)
    assert slugs == [*spider_classes(), "borowiec", "gops_starakepa"]
    assert set(unprofiled) == {"borowiec", "gops_starakepa"} and save is None


def test_export_filters_on_the_slug(harvest):
    out, _, joomla, _, _ = harvest
    result = kronika("export", "--out", str(out), "--format", "jsonl", "--site", "borowiec")
    assert result.returncode == 0, result.stderr
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert sorted(r["url"] for r in records) == sorted(p["url"] for p in joomla.articles())
    wrong = kronika("export", "--out", str(out), "--format", "jsonl", "--site", "nie_ma")
    assert wrong.returncode == 2 and "unknown site 'nie_ma'" in wrong.stderr


@pytest.mark.parametrize("args, fragment", [
    (["--name", "rops_krakow"], "taken by a site with a profile"),
    (["--name", "Zła"], "bad site name"),
    (["--name", "a", "--save", "b"], "one name"),
])
def test_bad_names_are_usage_errors(tmp_path, args, fragment):
    result = kronika("crawl", "--url", "https://www.gops-starakepa.pl/", "--out",
                     str(tmp_path / "h"), *args)
    assert result.returncode == 2 and fragment in result.stderr, result.stderr
    assert not (tmp_path / "h").exists()


def test_the_summary_says_how_the_articles_were_found(harvest):
    out, comma, _, _, runs = harvest
    how = runs["save_manifest"]["sites"]["gops_starakepa"]["discovery"]
    assert how["found_by"] == {"listing": len(comma.articles())}
    assert how["listing_pages"] == len(comma.pages("listing"))
    assert how["listing_stop"] == "last page"
    assert how["offsite_dropped"] == 3
    assert how["extracted"] == len(comma.articles()) - 1
    assert how["with_date"] == 1.0 and how["title_from_page"] == 1.0
    with_images = sum(1 for p in comma.articles()[:-1] if p["expect"]["images"])
    assert how["with_images"] == round(with_images / how["extracted"], 3)
    line = next(line for line in runs["save"].stdout.splitlines()
                if line.startswith("gops_starakepa: found:"))
    assert line == (f"gops_starakepa: found: {len(comma.articles())} listing "
                    f"({len(comma.pages('listing'))} listing pages, stop: last page), "
                    "3 off-site link(s) dropped (to empatia.mpips.gov.pl, epuap.gov.pl, "
                    f"www.gov.pl); of {how['extracted']} read: 100% dated, "
                    f"100% titled from the page, {how['with_images']:.0%} with images")


# -- kronika discover ------------------------------------------------------------------
def test_discover_prints_what_the_generic_spider_would_do():
    comma = load("comma_cms")
    first = next(p for p in comma.pages("listing") if p["page"] == 1)
    shown = {p["url"]: p for p in comma.articles()}
    with MirrorServer(comma) as server:
        result = kronika("discover", start_url(comma), "--base-url", server.base_url,
                         "--delay", "0")
        asked = [r["path"] for r in server.requests]
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith(f"{start_url(comma)}: site gops_starakepa")
    assert "feeds: none advertised" in lines
    assert any(line.startswith("sitemap: ") and "HTTP 404" in line for line in lines)
    links = len(first["article_urls"])
    assert f"listing: {links} article links of shape /art<slug>, {links} with a date in " \
           "their item" in lines
    for url in first["article_urls"][:5]:  # the sample titles with their listing dates
        want = shown[url]["expect"]
        assert f"  {want['published']}  {want['title']}" in lines
    assert f"next page: {first['next_url']}" in lines
    assert any(line.startswith("dates: from the article page") for line in lines)
    assert "titles: from the page <h1>, as the listing's link" in lines
    # Politely few: robots.txt, the start page, the sitemap guess, two articles.
    assert asked[0] == "/robots.txt" and len(asked) == 5, asked
    assert not any(line.startswith("harvest") for line in lines)


def test_discover_json_names_the_feed_and_the_sources():
    wordpress = load("wordpress_feed")
    with MirrorServer(wordpress) as server:
        result = kronika("discover", start_url(wordpress), "--base-url", server.base_url,
                         "--delay", "0", "--json")
    assert result.returncode == 0, result.stderr
    found = json.loads(result.stdout)
    feeds = [p["url"] for p in wordpress.pages("other") if "xml" in p["content_type"]]
    assert sorted(f["url"] for f in found["feeds"]) == sorted(feeds)
    assert all(f["items"] and f["error"] is None for f in found["feeds"])
    first = next(p for p in wordpress.pages("listing") if p["page"] == 1)
    assert found["listing"]["links"] == len(first["article_urls"])
    assert [s["url"] for s in found["listing"]["samples"]] == first["article_urls"][:5]
    assert found["listing"]["next_page"] == first["next_url"]
    assert len(found["articles"]) == 2
    assert all(a["date_source"] and a["title_source"].startswith("page")
               for a in found["articles"])
    assert found["exit_code"] == 0 and found["site"] == "ops_lesnawola"


def test_reextract_reads_the_unprofiled_sites_as_the_crawl_did(harvest):
    out = harvest[0]
    before = {r["id"]: r for r in stored(out)}
    result = kronika("reextract", "--out", str(out))
    assert result.returncode == 0, result.stderr
    assert "borowiec: " in result.stdout and "gops_starakepa: " in result.stdout
    after = {r["id"]: r for r in stored(out)}
    assert {i: r["site"] for i, r in after.items()} == {i: r["site"] for i, r in before.items()}


def test_a_saved_name_that_has_a_profile_now_is_the_profiles(tmp_path, capsys):
    from crawler.run.cli import _chosen_sites, build_parser
    from crawler.spider.saved import SavedSite, save_site

    save_site(tmp_path, SavedSite("rops_krakow", "https://rops.krakow.pl/aktualnosci"))
    args = build_parser().parse_args(["crawl", "--all", "--out", str(tmp_path)])
    slugs, unprofiled, _ = _chosen_sites(args, tmp_path)
    assert slugs == list(spider_classes()) and unprofiled == {}
    assert "rops_krakow has a profile now" in capsys.readouterr().err
