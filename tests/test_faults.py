"""A 300-article crawl through a server that misbehaves in every way small public
servers do (tests/faults.py) completes, stores every article exactly once, lists what
never recovered in the manifest, crashes nowhere, and the next run gets the rest."""

from __future__ import annotations

import json
import sqlite3
from collections import Counter
from urllib.parse import urlsplit

import pytest

from tests.faults import CONTENT, TRANSIENT, FaultPlan, FaultyMirrorServer
from tests.harness import MirrorServer, crawl, stored
from tests.synthetic import synthetic_mirror

ARTICLES = 300


@pytest.fixture(scope="module")
def faulty_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("faults")
    mirror = synthetic_mirror(articles=ARTICLES, seed=8)
    plan = FaultPlan(seed=8).assign(mirror.article_urls)
    with FaultyMirrorServer(mirror, plan) as server:
        first = crawl(server.base_url, out, "--timeout", "1", slug="rops_torun")
        faults = Counter(server.fault_log)
    # The same site, now healthy: the next nightly run.
    with MirrorServer(mirror) as server:
        second = crawl(server.base_url, out, "--timeout", "1", slug="rops_torun")
        second_requests = [r["path"] for r in server.requests]
    manifests = sorted((out / "runs").glob("run-*.json"))
    return {"out": out, "mirror": mirror, "plan": plan, "first": first, "second": second,
            "faults": faults, "second_requests": second_requests,
            "manifests": [json.loads(p.read_text(encoding="utf-8")) for p in manifests]}


def test_every_kind_of_fault_was_injected(faulty_run):
    """The run really met each fault (so the other tests cannot pass vacuously)."""
    assert set(TRANSIENT) <= set(faulty_run["faults"]), faulty_run["faults"]
    assert {"redirect_loop", "always_500"} <= set(faulty_run["faults"])
    plan, mirror = faulty_run["plan"], faulty_run["mirror"]
    content = Counter(plan.content_fault(urlsplit(u).path) for u in mirror.article_urls)
    assert all(content[kind] >= 3 for kind in CONTENT), content
    assert sorted(plan.assigned.values()) == ["always_500", "always_500", "binary", "huge",
                                              "redirect_loop"]


def test_the_crawl_completes_and_crashes_nowhere(faulty_run):
    first = faulty_run["first"]
    assert first.returncode == 1, first.stdout + first.stderr  # 1: some pages failed
    assert "Traceback" not in first.stderr
    log = next((faulty_run["out"] / "logs").glob("run-00001.log")).read_text(encoding="utf-8")
    assert "Traceback" not in log
    assert "Spider error processing" not in log


def test_every_recoverable_article_is_stored_exactly_once(faulty_run):
    mirror, plan = faulty_run["mirror"], faulty_run["plan"]
    db = sqlite3.connect(faulty_run["out"] / "kronika.sqlite")
    first_run = {r[0] for r in db.execute("SELECT url FROM articles WHERE first_run = 1")}
    expected = set(mirror.article_urls) - plan.expected_failures(mirror.article_urls)
    assert first_run == expected
    rows = db.execute("SELECT canonical_url, count(*) FROM articles GROUP BY canonical_url"
                      " HAVING count(*) > 1").fetchall()
    assert rows == []


def test_unrecovered_failures_are_listed_in_the_manifest(faulty_run):
    mirror, plan = faulty_run["mirror"], faulty_run["plan"]
    manifest = faulty_run["manifests"][0]
    failed = {f["url"]: f["error"] for f in manifest["failures"]}
    assert set(failed) == plan.expected_failures(mirror.article_urls)
    by_kind = {plan.assigned[urlsplit(u).path]: e for u, e in failed.items()}
    assert by_kind["always_500"] == "HTTP 500"
    assert "max redirections" in by_kind["redirect_loop"]
    assert "binary content: PDF" in by_kind["binary"]
    assert manifest["sites"]["rops_torun"]["failed"] == len(failed)
    for url in failed:
        assert f"failed: {url}" in faulty_run["first"].stdout


def test_text_survives_encodings_malformed_markup_and_a_30_mb_page(faulty_run):
    """Every stored article reads exactly as published: windows-1250, ISO-8859-2,
    mislabelled and undeclared pages, broken markup and the page with a 30 MB image."""
    mirror, plan = faulty_run["mirror"], faulty_run["plan"]
    records = {r["url"]: r for r in stored(faulty_run["out"])}
    wrong = []
    for number in range(ARTICLES):
        article = mirror.article(number)
        record = records.get(article.url)
        if record is None:
            continue
        if (record["title"] != article.title or not record["text"].startswith(
                article.paragraphs[0]) or not record["text"].endswith(article.paragraphs[-1])
                or record["published"][:10] != article.day.isoformat()):
            wrong.append((plan.content_fault(article.path), article.url, record["title"]))
    assert wrong == []
    huge = next(u for u in records if plan.assigned.get(urlsplit(u).path) == "huge")
    assert records[huge]["extraction"]["method"] == "site"
    assert not any(i["url"].startswith("data:") for i in records[huge]["images"])


def test_the_next_run_retries_the_failures_and_stores_the_rest_once(faulty_run):
    mirror, plan = faulty_run["mirror"], faulty_run["plan"]
    second = faulty_run["second"]
    missing = plan.expected_failures(mirror.article_urls)
    assert second.returncode == 0, second.stdout + second.stderr
    assert f"rops_torun: {len(missing)} new" in second.stdout
    for url in missing:  # each failure was asked for again
        assert urlsplit(url).path in faulty_run["second_requests"]
    db = sqlite3.connect(faulty_run["out"] / "kronika.sqlite")
    assert db.execute("SELECT count(*), count(DISTINCT canonical_url) FROM articles"
                      ).fetchone() == (ARTICLES, ARTICLES)
    unresolved = db.execute("SELECT url FROM failures WHERE resolved_run IS NULL").fetchall()
    assert unresolved == []
