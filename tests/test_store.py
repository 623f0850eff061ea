"""The SQLite store: one row per article, versions on change, failures kept until fixed."""

from __future__ import annotations

import sqlite3

from archive.store import Store


def record(text="Treść artykułu.", url="https://rops.krakow.pl/aktualnosci/a", id_="a" * 24):
    return {"id": id_, "site": "rops_krakow", "url": url, "canonical_url": url,
            "title": "Tytuł", "published": "2024-06-28", "content_hash": f"sha256:{hash(text)}",
            "text": text, "fetched_at": "2026-11-22T10:00:00+00:00"}


def test_new_unchanged_changed_and_history(tmp_path):
    store = Store(tmp_path / "kronika.sqlite")
    run1 = store.start_run("test")
    assert store.save_article(record(), run1) == "new"
    assert store.save_article(record(), run1) == "unchanged"
    run2 = store.start_run("test")
    assert store.save_article(record(), run2) == "unchanged"
    assert store.save_article(record("Poprawiona treść."), run2) == "changed"
    assert [a["text"] for a in store.articles()] == ["Poprawiona treść."]
    assert [v["text"] for v in store.versions("a" * 24)] == ["Treść artykułu.",
                                                           "Poprawiona treść."]
    store.close()
    # A plain sqlite3 reader sees the same thing (the store is a normal SQLite file).
    db = sqlite3.connect(tmp_path / "kronika.sqlite")
    assert db.execute("SELECT count(*), max(version) FROM articles").fetchone() == (1, 2)
    assert db.execute("SELECT count(*) FROM versions").fetchone() == (2,)


def test_failures_are_kept_until_the_page_is_fetched(tmp_path):
    store = Store(tmp_path / "kronika.sqlite")
    run1 = store.start_run("test")
    url = "https://rops.krakow.pl/aktualnosci/a"
    store.save_failure(run1, "rops_krakow", url, "HTTP 503", 503)
    run2 = store.start_run("test")
    store.save_failure(run2, "rops_krakow", url, "HTTP 503", 503)
    assert store.pending_failures("rops_krakow") == [url]
    assert store.failures()[0]["attempts"] == 2
    run3 = store.start_run("test")
    store.save_article(record(url=url), run3)
    assert store.pending_failures("rops_krakow") == []
    assert store.failures() == []


def test_failed_listings_are_not_retried_as_articles_and_captures_resolve_them(tmp_path):
    store = Store(tmp_path / "kronika.sqlite")
    run1 = store.start_run("test")
    listing = "https://rops.krakow.pl/aktualnosci?page=2"
    store.save_failure(run1, "rops_krakow", listing, "HTTP 503", 503, kind="listing")
    assert store.pending_failures("rops_krakow") == []
    assert [f["url"] for f in store.failures()] == [listing]
    run2 = store.start_run("test")
    store.save_capture(run2, listing, 200, "text/html", "warc/x.warc.gz", "<urn:uuid:1>", None)
    assert store.failures() == []
