"""The PostgreSQL store means what the SQLite store means, and stays right when several
workers write at once. Runs against a real throwaway PostgreSQL server (tests/services.py).
"""

from __future__ import annotations

import json
import threading

import psycopg
import pytest

from archive.pgstore import PgStore, to_tsquery
from archive.store import Store
from archive.stores import StoreSpecError, open_store
from tests.services import postgres_dsn, postgres_server  # noqa: F401 (fixtures)
from tests.test_store import MOPS, UNRELATED, record


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request, tmp_path):
    """Each behaviour is checked on both stores: same calls, same answers."""
    if request.param == "sqlite":
        s = Store(tmp_path / "kronika.sqlite")
    else:
        s = PgStore(request.getfixturevalue("postgres_dsn"))
    yield s
    s.close()


def test_new_unchanged_changed_and_history(store):
    run1 = store.start_run("test")
    assert store.save_article(record(), run1) == "new"
    assert store.save_article(record(), run1) == "unchanged"
    run2 = store.start_run("test")
    assert run2 > run1
    assert store.save_article(record(), run2) == "unchanged"
    assert store.save_article(record("Poprawiona treść."), run2) == "changed"
    assert [a["text"] for a in store.articles()] == ["Poprawiona treść."]
    assert [v["text"] for v in store.versions("a" * 24)] == ["Treść artykułu.",
                                                           "Poprawiona treść."]
    assert store.known_articles("rops_krakow") == {"a" * 24: {
        "url": "https://rops.krakow.pl/aktualnosci/a", "published": "2024-06-28",
        "etag": None, "last_modified": None}}


def test_runs_summaries_and_killed_runs(store):
    run1 = store.start_run("kronika crawl a")
    assert store.last_run_finished(run1)  # nothing before the first run
    store.finish_run(run1, 0, {"sites": {"a": {"new": 1}}})
    run2 = store.start_run("kronika crawl a")
    assert store.last_run_finished(run2)
    assert store.last_summary(run2) == {"sites": {"a": {"new": 1}}}
    run3 = store.start_run("kronika crawl a")  # run2 never finished: it was killed
    assert not store.last_run_finished(run3)
    assert store.last_summary(run3) == {"sites": {"a": {"new": 1}}}


def test_failures_are_kept_until_the_page_is_fetched(store):
    url = "https://rops.krakow.pl/aktualnosci/a"
    listing = "https://rops.krakow.pl/aktualnosci?page=2"
    run1 = store.start_run("test")
    store.save_failure(run1, "rops_krakow", url, "HTTP 503", 503)
    store.save_failure(run1, "rops_krakow", listing, "HTTP 503", 503, kind="listing")
    run2 = store.start_run("test")
    store.save_failure(run2, "rops_krakow", url, "HTTP 503", 503)
    assert store.pending_failures("rops_krakow") == [url]  # listings are re-walked instead
    assert [(f["url"], f["attempts"]) for f in store.failures()] == [(url, 2), (listing, 1)]
    assert [f["url"] for f in store.failures(run1)] == [listing]
    run3 = store.start_run("test")
    store.save_capture(run3, listing, 200, "text/html", "warc/x.warc.gz", "<urn:uuid:1>", None)
    store.save_article(record(url=url), run3)
    assert store.pending_failures("rops_krakow") == [] and store.failures() == []


def test_payload_index_and_capture_validators(store):
    run = store.start_run("test")
    assert store.find_payload("sha1:X") is None
    store.save_payload("sha1:X", "https://a/1", "warc/a.warc.gz", "<urn:uuid:1>", "2026-01-01")
    store.save_payload("sha1:X", "https://a/2", "warc/b.warc.gz", "<urn:uuid:2>", "2026-01-02")
    assert store.find_payload("sha1:X") == {"url": "https://a/1", "warc_file": "warc/a.warc.gz",
                                            "record_id": "<urn:uuid:1>", "date": "2026-01-01"}
    url = record()["url"]
    store.save_article(record(), run)
    store.save_capture(run, url, 200, "text/html", "warc/a.warc.gz", "<urn:uuid:3>", "sha1:Y",
                       etag='"v1"', last_modified="Mon, 01 Jan 2024 00:00:00 GMT")
    store.save_capture(run, url, 304, None, "warc/a.warc.gz", "<urn:uuid:4>", None)
    known = store.known_articles("rops_krakow")["a" * 24]
    assert (known["etag"], known["last_modified"]) == ('"v1"', "Mon, 01 Jan 2024 00:00:00 GMT")


def test_exports_order_and_filters(store):
    run = store.start_run("test")
    for n, published in enumerate(["2024-06-28", None, "2024-06-28T09:00:00+02:00",
                                   "2023-01-05"]):
        store.save_article(record(f"Tekst {n}.", url=f"https://rops.krakow.pl/a{n}",
                                  id_=str(n) * 24) | {"published": published}, run)
    newest_first = [r["published"] for r in store.iter_articles()]
    assert newest_first == ["2024-06-28T09:00:00+02:00", "2024-06-28", "2023-01-05", None]
    assert [r["published"] for r in store.articles()] == [
        "2023-01-05", "2024-06-28", "2024-06-28T09:00:00+02:00", None]
    assert [r["id"] for r in store.iter_articles(since="2024-01-01", until="2024-12-31")] == [
        "2" * 24, "0" * 24]
    assert list(store.iter_articles(site="mcps")) == []


def test_cross_posts_are_linked_as_near_duplicates(store):
    run = store.start_run("test")
    texts = {"mops": "\n\n".join(MOPS), "police": "\n\n".join(MOPS),
             "rcps": "\n\n".join(MOPS[:3] + ["Gratulujemy organizatorom i życzymy powodzenia."]),
             "other": UNRELATED}
    ids = {name: name[0] * 24 for name in texts}
    for name, text in texts.items():
        store.save_article(record(text, url=f"https://{name}.example.pl/a", id_=ids[name]), run)
    linked = {d["id"]: d["containment"] for d in store.near_duplicates(ids["mops"])}
    assert set(linked) == {ids["police"], ids["rcps"]} and linked[ids["police"]] == 1.0
    assert store.near_duplicates(ids["other"]) == []
    store.save_article(record(UNRELATED + " Inny tekst o czymś zupełnie innym niż wcześniej.",
                              url="https://rcps.example.pl/a", id_=ids["rcps"]), run)
    assert {d["id"] for d in store.near_duplicates(ids["mops"])} == {ids["police"]}


def test_an_index_built_another_way_is_rebuilt_on_opening(store, tmp_path, request):
    """A store whose LSH index came from an older scheme still pairs new copies with its
    old articles: opening it rebuilds the index from the stored shingles."""
    run = store.start_run("test")
    store.save_article(record("\n\n".join(MOPS), url="https://mops.example.pl/a",
                              id_="m" * 24), run)
    store.db.execute("UPDATE store_meta SET value='minhash64-1' WHERE key='lsh_scheme'")
    store.db.execute("UPDATE lsh_bands SET bucket = bucket + 1")  # another scheme's keys
    store.close()
    reopened = (Store(tmp_path / "kronika.sqlite") if isinstance(store, Store)
                else PgStore(request.getfixturevalue("postgres_dsn")))
    try:
        reopened.save_article(record("\n\n".join(MOPS), url="https://police.example.pl/a",
                                     id_="p" * 24), reopened.start_run("test"))
        assert [d["id"] for d in reopened.near_duplicates("m" * 24)] == ["p" * 24]
    finally:
        reopened.close()


def test_full_text_search_folds_diacritics(store):
    run = store.start_run("test")
    store.save_article(record(" ".join(MOPS), url="https://m.example.pl/a", id_="m" * 24)
                       | {"title": "Konferencja o pieczy zastępczej"}, run)
    store.save_article(record(UNRELATED, url="https://r.example.pl/a", id_="r" * 24), run)
    assert [h["id"] for h in store.search("konferencja AND pomocy")] == ["m" * 24]
    assert store.search("pieczy zastepczej") == store.search("pieczy zastępczej") != []
    assert [h["id"] for h in store.search('"Ośrodek będzie nieczynny"')] == ["r" * 24]
    assert {h["id"] for h in store.search("konferencja OR nieczynny")} == {"m" * 24, "r" * 24}
    assert store.search("konferencja NOT Radomska") == []
    assert store.search("żyrafa") == []


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
    from crawler.fixtures import FixtureSite
    from tests.mirror import FIXTURES

    site = FixtureSite.load("rops_krakow", FIXTURES)
    records = [extract_article(site.body(page), page["url"], "rops_krakow")
               for page in site.articles()[:3]]
    for store in (Store(tmp_path / STORE_NAME), PgStore(postgres_dsn)):
        run = store.start_run("test")
        for rec in records:
            store.save_article(rec, run)
        store.close()

    def export(*args):
        return subprocess.run([sys.executable, "-m", "crawler.cli", "export", "--out",
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

    from tests.mirror import Mirror, MirrorServer
    from tests.test_crawl import crawl, stored

    with MirrorServer(Mirror.load("mops_radomsko")) as server:
        assert crawl(server.base_url, tmp_path, "--no-media",
                     slug="mops_radomsko").returncode == 0
    result = subprocess.run([sys.executable, "-m", "crawler.cli", "reextract", "--out",
                             str(tmp_path), "--store", postgres_dsn],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    crawled = {r["id"]: r for r in stored(tmp_path)}
    store = PgStore(postgres_dsn)
    rebuilt = {r["id"]: r for r in store.iter_articles()}
    store.close()
    assert rebuilt.keys() == crawled.keys() and len(rebuilt) >= 5
    for article_id, record in rebuilt.items():
        for field in ("url", "title", "published", "text", "html", "images", "attachments"):
            assert record[field] == crawled[article_id][field], (article_id, field)
    assert f"mops_radomsko: {len(rebuilt)} new" in result.stdout
    bad = subprocess.run([sys.executable, "-m", "crawler.cli", "reextract", "--out",
                          str(tmp_path), "--store", "postgresql://kronika@127.0.0.1"],
                         capture_output=True, text=True, timeout=120)
    assert bad.returncode == 2 and "name the database" in bad.stderr
