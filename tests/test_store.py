"""The store, on both engines: one row per article, versions on change, failures kept
until fixed, near-duplicates, search, exports, transactions.

Every behaviour test runs on the SQLite store and on the PostgreSQL store (the ``engine``
and ``store`` fixtures; PostgreSQL is a real throwaway server, tests/services.py): the
same calls must give the same answers. What only concurrency shows is in test_pgstore.py.
"""

from __future__ import annotations

import inspect
import sqlite3
from collections.abc import Callable
from contextlib import closing
from typing import Any, NamedTuple

import psycopg
import pytest

from archive.pgstore import PgStore
from archive.store import STORE_NAME, Store
from archive.stores import ArticleStore
from tests.harness import MOPS, UNRELATED, record

# What each engine raises when a write breaks a constraint of the schema.
INTEGRITY_ERRORS = (sqlite3.IntegrityError, psycopg.errors.IntegrityError)




class Engine(NamedTuple):
    """One engine's store for a test: ``open()`` opens (or reopens) it, ``connect()``
    reads it with the engine's own client, as any other program would."""
    name: str
    open: Callable[[], ArticleStore]
    connect: Callable[[], Any]


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(request, tmp_path) -> Engine:
    if request.param == "sqlite":
        path = tmp_path / STORE_NAME
        return Engine("sqlite", lambda: Store(path), lambda: sqlite3.connect(path))
    dsn = request.getfixturevalue("postgres_dsn")
    return Engine("postgresql", lambda: PgStore(dsn), lambda: psycopg.connect(dsn))


@pytest.fixture
def store(engine):
    s = engine.open()
    yield s
    s.close()


@pytest.mark.parametrize("engine_class", [Store, PgStore])
def test_both_engines_offer_the_whole_interface(engine_class):
    declared = {name: member for name, member in vars(ArticleStore).items()
                if callable(member) and not name.startswith("_")}
    assert len(declared) == 22
    for name, member in declared.items():
        assert inspect.signature(getattr(engine_class, name)) == inspect.signature(member), name


def test_new_unchanged_changed_and_history(engine, store):
    assert (store.path is None) == (engine.name == "postgresql")
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
    store.close()
    # A plain client of the engine sees the same thing (the store is ordinary tables).
    with closing(engine.connect()) as db:
        assert db.execute("SELECT count(*), max(version) FROM articles").fetchone() == (1, 2)
        assert db.execute("SELECT count(*) FROM versions").fetchone() == (2,)


def test_another_id_for_a_stored_canonical_url_is_refused(store):
    run = store.start_run("test")
    store.save_article(record(), run)
    with pytest.raises(INTEGRITY_ERRORS):
        store.save_article(record(id_="b" * 24), run)
    assert [a["id"] for a in store.articles()] == ["a" * 24]


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
    assert store.failures()[0]["attempts"] == 2
    assert [(f["url"], f["attempts"]) for f in store.failures()] == [(url, 2), (listing, 1)]
    assert [f["url"] for f in store.failures(run1)] == [listing]
    run3 = store.start_run("test")
    store.save_capture(run3, listing, 200, "text/html", "warc/x.warc.gz", "<urn:uuid:1>", None)
    store.save_article(record(url=url), run3)
    assert store.pending_failures("rops_krakow") == []
    assert store.failures() == []


def test_failed_listings_are_not_retried_as_articles_and_captures_resolve_them(store):
    run1 = store.start_run("test")
    listing = "https://rops.krakow.pl/aktualnosci?page=2"
    store.save_failure(run1, "rops_krakow", listing, "HTTP 503", 503, kind="listing")
    assert store.pending_failures("rops_krakow") == []
    assert [f["url"] for f in store.failures()] == [listing]
    run2 = store.start_run("test")
    store.save_capture(run2, listing, 200, "text/html", "warc/x.warc.gz", "<urn:uuid:1>", None)
    assert store.failures() == []


def test_a_capture_that_cannot_be_stored_resolves_nothing(store):
    # save_capture is one transaction: the failure it would resolve stays open when the
    # capture itself is refused (here: a run that does not exist).
    url = "https://rops.krakow.pl/aktualnosci/a"
    run = store.start_run("test")
    store.save_failure(run, "rops_krakow", url, "HTTP 503", 503)
    with pytest.raises(INTEGRITY_ERRORS):
        store.save_capture(run + 1, url, 200, "text/html", "warc/x.warc.gz", "<urn:uuid:1>",
                           None)
    assert [f["url"] for f in store.failures()] == [url]


def test_a_transaction_commits_together_or_not_at_all(store):
    run = store.start_run("test")
    with pytest.raises(RuntimeError), store.transaction():
        store.save_article(record(), run)
        store.save_failure(run, "rops_krakow", "https://a/2", "HTTP 503", 503)
        raise RuntimeError("interrupted")
    assert store.articles() == [] and store.failures() == []
    with store.transaction():
        store.save_payload("sha1:A", "https://a/1", "warc/a.warc.gz", "<urn:uuid:1>", "2026")
        with pytest.raises(RuntimeError), store.transaction():  # nested: only it is undone
            store.save_payload("sha1:B", "https://a/2", "warc/a.warc.gz", "<urn:uuid:2>",
                               "2026")
            raise RuntimeError("interrupted")
        assert store.save_article(record(), run) == "new"
    assert store.find_payload("sha1:A") is not None and store.find_payload("sha1:B") is None
    assert [a["id"] for a in store.articles()] == ["a" * 24]


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




def test_cross_posts_stay_separate_articles_linked_as_near_duplicates(store):
    run = store.start_run("test")
    texts = {
        "mops": "\n\n".join(MOPS),
        "police": "\n\n".join(MOPS),  # republished whole ("Źródło:" went to `source`)
        "rcps": "\n\n".join(MOPS[:3] + ["Gratulujemy organizatorom i życzymy powodzenia."]),
        "other": UNRELATED,
    }
    ids = {}
    for name, text in texts.items():
        ids[name] = name[0] * 24
        store.save_article(record(text, url=f"https://{name}.example.pl/a", id_=ids[name]), run)
    assert len(store.articles()) == 4
    linked = {d["id"]: d["containment"] for d in store.near_duplicates(ids["mops"])}
    assert set(linked) == {ids["police"], ids["rcps"]}
    assert linked[ids["police"]] == 1.0
    assert 0.6 <= linked[ids["rcps"]] <= 1.0
    assert {d["id"] for d in store.near_duplicates(ids["rcps"])} == {ids["mops"], ids["police"]}
    assert store.near_duplicates(ids["other"]) == []
    # An edit that removes the shared text removes the link.
    store.save_article(record(UNRELATED + " Inny tekst o czymś zupełnie innym niż wcześniej.",
                              url="https://rcps.example.pl/a", id_=ids["rcps"]), run)
    assert {d["id"] for d in store.near_duplicates(ids["mops"])} == {ids["police"]}


def test_an_index_built_another_way_is_rebuilt_on_opening(engine, store):
    """A store whose LSH index came from an older scheme still pairs new copies with its
    old articles: opening it rebuilds the index from the stored shingles."""
    run = store.start_run("test")
    store.save_article(record("\n\n".join(MOPS), url="https://mops.example.pl/a",
                              id_="m" * 24), run)
    store.db.execute("UPDATE store_meta SET value='minhash64-1' WHERE key='lsh_scheme'")
    store.db.execute("UPDATE lsh_bands SET bucket = bucket + 1")  # another scheme's keys
    store.close()
    reopened = engine.open()
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


def test_a_changed_article_is_found_by_its_new_words_only(engine, store):
    """The search index follows the current text, and (SQLite) a store whose index was
    built the old way (rows not keyed by the article) is rebuilt when opened."""
    run = store.start_run("test")
    store.save_article(record("Pierwsza wersja: zebranie seniorów.", id_="a" * 24), run)
    store.save_article(record("Druga wersja: spotkanie opiekunów.", id_="a" * 24), run)
    store.save_article(record(UNRELATED, url="https://r.example.pl/a", id_="r" * 24), run)
    assert store.search("zebranie") == []
    assert [h["id"] for h in store.search("opiekunów")] == ["a" * 24]
    if engine.name == "sqlite":
        store.db.execute("DELETE FROM articles_fts")  # an index from before the rowid keys
        store.db.execute("INSERT INTO articles_fts (id, site, title, text) VALUES (?, ?, ?, ?)",
                         ("a" * 24, "mops_radomsko", "Stary", "zebranie seniorów"))
        store.db.execute("DELETE FROM store_meta WHERE key='fts_key'")
    store.close()
    store = engine.open()
    assert store.search("zebranie") == []
    assert [h["id"] for h in store.search("opiekunów")] == ["a" * 24]
    assert [h["id"] for h in store.search('"Ośrodek będzie nieczynny"')] == ["r" * 24]
    store.close()
