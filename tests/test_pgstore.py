"""The PostgreSQL store stays right when several workers write at once, answers FTS5-style
queries, and serves the CLI as the SQLite store does. Runs against a real throwaway
PostgreSQL server (tests/services.py); what both stores mean, call for call, is checked
on both engines in test_store.py.
"""

from __future__ import annotations

import json
import threading

import psycopg
import pytest

from archive.pgstore import PgStore, to_tsquery
from archive.store import Store
from archive.stores import StoreSpecError, open_store
from tests.harness import MOPS, record


def test_fts5_style_queries_translate_to_tsquery():
    assert to_tsquery("pomoc społeczna") == "'pomoc' & 'spoleczna'"
    assert to_tsquery('"Łódź kaliska" OR Toruń') == "'lodz' <-> 'kaliska' | 'torun'"
    assert to_tsquery("a NOT (b OR c") == "'a' & ! ( 'b' | 'c' )"
    assert to_tsquery("AND OR !?") == ""


def _in_parallel(dsn: str, count: int, work) -> list:
    """Run ``work(store, n)`` in ``count`` threads at once, each with its own connection
    (as separate workers would have), released together by a barrier."""
    stores = [PgStore(dsn) for _ in range(count)]
    barrier = threading.Barrier(count)
    results: list = [None] * count
    errors: list = []

    def run(n):
        try:
            barrier.wait()
            results[n] = work(stores[n], n)
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(n,)) for n in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for s in stores:
        s.close()
    assert not errors, errors
    return results


def test_concurrent_workers_store_an_article_once(postgres_dsn):
    store = PgStore(postgres_dsn)
    run = store.start_run("test")
    outcomes = _in_parallel(postgres_dsn, 8, lambda s, n: s.save_article(record(), run))
    assert sorted(outcomes) == ["new"] + ["unchanged"] * 7
    # Eight different edits at once: each is one new version, numbered without gaps.
    outcomes = _in_parallel(postgres_dsn, 8,
                            lambda s, n: s.save_article(record(f"Wersja {n}."), run))
    assert outcomes == ["changed"] * 8
    assert len(store.versions("a" * 24)) == 9
    with psycopg.connect(postgres_dsn) as db:
        assert db.execute("SELECT count(*), max(version) FROM articles").fetchone() == (1, 9)
        assert db.execute("SELECT count(*), count(DISTINCT version) FROM versions"
                          ).fetchone() == (9, 9)
    store.close()


def test_concurrent_failures_count_every_attempt(postgres_dsn):
    store = PgStore(postgres_dsn)
    run = store.start_run("test")
    url = "https://rops.krakow.pl/aktualnosci/a"
    _in_parallel(postgres_dsn, 8,
                 lambda s, n: s.save_failure(run, "rops_krakow", url, f"HTTP 50{n % 4}", 503))
    assert [(f["url"], f["attempts"]) for f in store.failures()] == [(url, 8)]
    store.close()


def test_concurrent_cross_posts_are_all_linked(postgres_dsn):
    store = PgStore(postgres_dsn)
    run = store.start_run("test")
    text = "\n\n".join(MOPS)
    # Six republications of one text saved at the same moment by six workers: each pair
    # is found by whichever of the two was indexed second.
    _in_parallel(postgres_dsn, 6, lambda s, n: s.save_article(
        record(text, url=f"https://site{n}.example.pl/a", id_=str(n) * 24), run))
    for n in range(6):
        assert len(store.near_duplicates(str(n) * 24)) == 5
    store.close()


def test_store_spec_errors_are_one_line(tmp_path, postgres_server):  # noqa: F811
    with pytest.raises(StoreSpecError, match="expected postgresql://"):
        open_store("mysql://db/kronika", tmp_path)
    with pytest.raises(StoreSpecError, match="name the database"):
        open_store("postgresql://kronika@127.0.0.1:5", tmp_path)
    with pytest.raises(StoreSpecError, match="cannot open --store") as err:
        open_store(f"postgresql://kronika:secret@127.0.0.1:{postgres_server.port}/nonexistent",
                   tmp_path)
    assert "\n" not in str(err.value) and "secret" not in str(err.value)
    assert isinstance(open_store(None, tmp_path), Store)


def test_export_reads_a_postgresql_store_as_it_reads_sqlite(tmp_path, postgres_dsn):  # noqa: F811
    import subprocess
    import sys

    from archive.store import STORE_NAME
    from crawler import extract_article
    from crawler.devtools.fixtures import FixtureSite
    from crawler.devtools.mirror import FIXTURES

    site = FixtureSite.load("rops_krakow", FIXTURES)
    records = [extract_article(site.body(page), page["url"], "rops_krakow")
               for page in site.articles()[:3]]
    for store in (Store(tmp_path / STORE_NAME), PgStore(postgres_dsn)):
        run = store.start_run("test")
        for rec in records:
            store.save_article(rec, run)
        store.close()

    def export(*args):
        return subprocess.run([sys.executable, "-m", "crawler.run.cli", "export", "--out",
                               str(tmp_path), "--format", "jsonl", *args],
                              capture_output=True, text=True, timeout=120)

    from_sqlite, from_pg = export(), export("--store", postgres_dsn)
    assert from_pg.returncode == 0, from_pg.stderr
    # The same bytes: jsonb's own key order does not leak into the export.
    assert from_pg.stdout == from_sqlite.stdout
    assert sorted(json.loads(line)["id"] for line in from_pg.stdout.splitlines()) == sorted(
        r["id"] for r in records)
    bad = export("--store", "mysql://db/kronika")
    assert bad.returncode == 2 and "expected postgresql://" in bad.stderr
    assert "Traceback" not in bad.stderr and len(bad.stderr.strip().splitlines()) == 1


def test_reextract_rebuilds_a_postgresql_store_from_the_warcs(tmp_path, postgres_dsn):  # noqa: F811
    # A shared crawl's WARC files, gathered in one directory, rebuild its PostgreSQL
    # store with no network: the same articles as the crawl's own store holds.
    import subprocess
    import sys

    from crawler.devtools.mirror import Mirror, MirrorServer
    from tests.harness import crawl, stored

    with MirrorServer(Mirror.load("mops_radomsko")) as server:
        assert crawl(server.base_url, tmp_path, "--no-media",
                     slug="mops_radomsko").returncode == 0
    result = subprocess.run([sys.executable, "-m", "crawler.run.cli", "reextract", "--out",
                             str(tmp_path), "--store", postgres_dsn],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    crawled = {r["id"]: r for r in stored(tmp_path)}
    store = PgStore(postgres_dsn)
    rebuilt = {r["id"]: r for r in store.iter_articles()}
    store.close()
    assert rebuilt.keys() == crawled.keys() and len(rebuilt) >= 5
    for article_id, article in rebuilt.items():
        for field in ("url", "title", "published", "text", "html", "images", "attachments"):
            assert article[field] == crawled[article_id][field], (article_id, field)
    assert f"mops_radomsko: {len(rebuilt)} new" in result.stdout
    bad = subprocess.run([sys.executable, "-m", "crawler.run.cli", "reextract", "--out",
                          str(tmp_path), "--store", "postgresql://kronika@127.0.0.1"],
                         capture_output=True, text=True, timeout=120)
    assert bad.returncode == 2 and "name the database" in bad.stderr
