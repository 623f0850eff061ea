"""`kronika crawl` end to end: a real crawl process against a fixture mirror on 127.0.0.1.

Each crawl runs in a subprocess (the Twisted reactor cannot restart), exactly as cron
would run it, with ``--base-url`` sending all of the site's hosts to the mirror.
"""

from __future__ import annotations

import json
import re
import sqlite3
import subprocess
from urllib.parse import urlsplit

import pytest
from warcio.archiveiterator import ArchiveIterator

from crawler.extract.validation import schema_errors
from tests.harness import (
    MIRRORS,
    WARCIO,
    Mirror,
    MirrorServer,
    article_requests,
    count_articles,
    crawl,
    goldens,
    kill,
    slowly,
    stable,
    start_crawl,
    stored,
    wait_until,
    without_requisites,
)

SLUG = "rops_krakow"


@pytest.fixture(scope="module")
def mirror():
    return Mirror.load(SLUG)


@pytest.fixture(scope="module")
def harvest(mirror, tmp_path_factory):
    """Two consecutive crawls of the mirror into one harvest directory."""
    out = tmp_path_factory.mktemp("harvest")
    with MirrorServer(mirror) as server:
        first = crawl(server.base_url, out)
        after_first = stored(out)
        split = len(server.requests)
        second = crawl(server.base_url, out)
        return {"out": out, "first": first, "second": second, "after_first": after_first,
                "requests": list(server.requests), "split": split}


def test_every_article_harvested_once_and_equal_to_its_golden(harvest, mirror):
    assert harvest["first"].returncode == 0, harvest["first"].stdout + harvest["first"].stderr
    records = harvest["after_first"]
    expected = goldens(mirror)
    by_url = {r["url"]: r for r in records}
    assert len(records) == len(by_url) == len(expected) >= 8
    assert sorted(by_url) == sorted(expected)
    for url, golden in expected.items():
        assert stable(by_url[url]) == golden, url
        assert schema_errors(by_url[url]) == []
    assert "rops_krakow: 9 new, 0 changed, 0 unchanged, 0 failed" in harvest["first"].stdout


def test_second_run_adds_nothing_and_reads_only_the_first_listing_pages(harvest):
    assert harvest["second"].returncode == 0, harvest["second"].stderr
    # Incremental: each listing's first page holds only known articles, so paging stops
    # there; the known articles are older than the re-check window and are not fetched.
    assert "rops_krakow: 0 new, 0 changed, 5 unchanged, 0 failed" in harvest["second"].stdout
    again = [r["path"] for r in without_requisites(harvest["requests"][harvest["split"]:])]
    assert sorted(again) == sorted(["/robots.txt"] * 3 + [
        "/aktualnosci", "/aktualnosci.html", "/;s,aktualnosci"])
    db = sqlite3.connect(harvest["out"] / "kronika.sqlite")
    assert db.execute("SELECT count(*) FROM articles").fetchone()[0] == 9
    assert db.execute("SELECT count(*) FROM versions").fetchone()[0] == 9
    assert db.execute("SELECT count(*), max(exit_code) FROM runs").fetchone() == (2, 0)


def test_records_keep_real_urls_and_point_at_their_warc_capture(harvest):
    out = harvest["out"]
    for record in stored(out):
        assert urlsplit(record["url"]).hostname.endswith("rops.krakow.pl")
        capture = record["capture"]
        warc = out / capture["warc_file"]
        with open(warc, "rb") as fh:
            found = [r for r in ArchiveIterator(fh)
                     if r.rec_headers.get_header("WARC-Record-ID") == capture["record_id"]]
        assert len(found) == 1, record["url"]
        response = found[0]
        assert response.rec_headers.get_header("WARC-Target-URI") == record["url"]
        assert response.rec_headers.get_header("WARC-Payload-Digest") == capture["payload_digest"]
        assert record["fetched_at"]


def test_warc_files_pass_warcio_check(harvest):
    warcs = sorted((harvest["out"] / "warc").glob("*.warc.gz"))
    assert len(warcs) == 2  # one per run
    result = subprocess.run([str(WARCIO), "check", *map(str, warcs)], capture_output=True,
                            text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_polite_requests_to_the_real_hosts(harvest, mirror):
    requests = harvest["requests"]
    hosts = {r["host"] for r in requests}
    assert hosts == set(mirror.hosts)  # every request named a real host, never the mirror
    assert all("kronika/" in r["user_agent"] and "compatible" in r["user_agent"]
               for r in requests)
    robots = [r for r in requests if r["path"] == "/robots.txt"]
    assert sorted(r["host"] for r in robots) == sorted(mirror.hosts * 2)  # once per host, per run
    first_run = requests[:harvest["split"]]
    article_paths = [r["path"] for r in first_run if r["path"] not in ("/robots.txt",)]
    assert len(article_paths) == len(set(article_paths))  # nothing fetched twice in a run


@pytest.mark.parametrize("slug", MIRRORS)
def test_every_site_harvests_its_mirror_end_to_end(slug, tmp_path):
    """Each site: a crawl stores every mirrored article exactly once, equal to its golden;
    a second crawl adds nothing."""
    site = Mirror.load(slug)
    expected = goldens(site)
    with MirrorServer(site) as server:
        first = crawl(server.base_url, tmp_path, slug=slug)
        second = crawl(server.base_url, tmp_path, slug=slug)
    n = len(expected)
    assert first.returncode == 0, first.stdout + first.stderr
    assert f"{slug}: {n} new, 0 changed, 0 unchanged, 0 failed" in first.stdout
    assert second.returncode == 0, second.stdout + second.stderr
    assert re.search(rf"{slug}: 0 new, 0 changed, [1-9]\d* unchanged, 0 failed", second.stdout)
    # Keyed by id: a listing may link an article through an alias host, so the
    # as-fetched `url` may differ from the mirror's while everything else is equal.
    def by_id(records):
        return {r["id"]: {k: v for k, v in stable(r).items() if k != "url"} for r in records}

    assert by_id(stored(tmp_path)) == by_id(expected.values())


def test_failed_page_is_recorded_reported_and_retried(mirror, tmp_path):
    broken = next(p for p in mirror.articles() if "dzien-wolny" in p["url"])
    path = urlsplit(broken["url"]).path
    with MirrorServer(mirror) as server:
        server.faults[path] = 500
        first = crawl(server.base_url, tmp_path)
        assert first.returncode == 1, first.stdout + first.stderr
        assert "8 new, 0 changed, 0 unchanged, 1 failed" in first.stdout
        assert f"failed: {broken['url']} (HTTP 500)" in first.stdout
        manifest = json.loads((tmp_path / "runs" / "run-00001.json").read_text())
        assert [f["url"] for f in manifest["failures"]] == [broken["url"]]
        assert manifest["exit_code"] == 1
        tries = [r for r in server.requests if r["path"] == path]
        assert len(tries) == 4  # the first attempt and three retries

        del server.faults[path]
        second = crawl(server.base_url, tmp_path)
    assert second.returncode == 0, second.stdout + second.stderr
    assert re.search(r"rops_krakow: 1 new, 0 changed, \d+ unchanged, 0 failed", second.stdout)
    assert broken["url"] in {r["url"] for r in stored(tmp_path)}


def test_a_site_that_yields_nothing_exits_3(mirror, tmp_path):
    with MirrorServer(mirror) as server:
        for listing in ("/aktualnosci", "/aktualnosci.html", "/;s,aktualnosci"):
            server.faults[listing] = 404
        result = crawl(server.base_url, tmp_path)
    assert result.returncode == 3, result.stdout + result.stderr
    assert "rops_krakow: 0 new, 0 changed, 0 unchanged, 3 failed" in result.stdout


def test_a_page_whose_extraction_breaks_is_recorded_not_lost(mirror, tmp_path):
    """A page that makes the extractor raise becomes a failure of its own (exit 1)."""
    broken = next(p for p in mirror.articles() if "dzien-wolny" in p["url"])
    with MirrorServer(mirror) as server:
        # A 200 with an empty body: there is no document to parse.
        server.faults[urlsplit(broken["url"]).path] = (200, b"")
        result = crawl(server.base_url, tmp_path)
    failures = json.loads((tmp_path / "runs" / "run-00001.json").read_text())["failures"]
    assert result.returncode == 1, result.stdout + result.stderr
    assert [f["url"] for f in failures] == [broken["url"]]
    assert failures[0]["error"].startswith("extraction error:")


def test_a_second_concurrent_run_exits_4_and_a_killed_runs_lock_is_taken_over(mirror, tmp_path):
    lock = tmp_path / "kronika.lock"
    # Slow on purpose: the first run is still harvesting when the second one starts.
    with MirrorServer(mirror, transform=slowly(0.3)) as server:
        first = start_crawl(server.base_url, tmp_path, "--no-media")
        wait_until(lambda: lock.exists() and lock.read_text(), 30,
                   "the first run to write its lock", running=[first])
        second = crawl(server.base_url, tmp_path)
        assert second.returncode == 4, second.stdout + second.stderr
        assert second.stderr.count("\n") == 1
        assert f"is being harvested by pid {first.pid}" in second.stderr
        assert first.poll() is None, "the first run ended before the second was refused"
        kill(first)  # the lock it held is released by the kernel
        server.transform = None
        third = crawl(server.base_url, tmp_path)
    assert third.returncode == 0, third.stdout + third.stderr
    assert len(stored(tmp_path)) == 9


def test_killed_at_any_point_and_restarted_the_harvest_ends_the_same(mirror, tmp_path):
    """SIGKILL once the mirror has been asked for 1, 4 and 7 of the 9 articles (so the
    store holds about 0, 3 and 6); each kill is proved to land mid-run; the next run is
    started and the store ends with exactly the articles of an uninterrupted run, none
    twice."""
    with MirrorServer(mirror) as server:
        clean = tmp_path / "uninterrupted"
        crawl(server.base_url, clean)
        expected = {r["id"]: stable(r) for r in stored(clean)}
        n = len(expected)
        for asked in (1, 4, 7):
            out = tmp_path / f"killed-at-{asked}-of-{n}"
            split = len(server.requests)
            # Slow on purpose: 0.15 s an article, so the kill lands mid-run.
            server.transform = slowly(0.15, kind="article")
            process = start_crawl(server.base_url, out)
            wait_until(lambda split=split, asked=asked:
                       article_requests(server, split) >= asked, 60,
                       f"the crawl to ask for {asked} of {n} articles", running=[process])
            kill(process)
            killed_at = article_requests(server, split), count_articles(out)
            assert killed_at[0] < n and killed_at[1] < n, ("not killed mid-run", killed_at)
            server.transform = None
            again = crawl(server.base_url, out)
            assert again.returncode == 0, (asked, again.stdout + again.stderr)
            records = stored(out)
            assert len(records) == len({r["id"] for r in records}) == n
            assert {r["id"]: stable(r) for r in records} == expected, asked


def test_archive_only_listings_are_skipped_live_and_walked_from_a_mirror():
    from crawler.spider.sites import spider_class

    rcps = spider_class("rcps_lodz")
    live = [lst.start_url for lst in rcps().active_listings()]
    assert live == ["https://rcpslodz.pl/rcps-lodz-t20/aktualnosci-a26"]
    mirrored = [lst.start_url for lst in rcps(base_url="http://127.0.0.1:1").active_listings()]
    assert "https://rcpslodz.pl/index.php/o-nas/2-aktualnosci" in mirrored
    assert [lst.start_url for lst in rcps(full=True).active_listings()] == mirrored
