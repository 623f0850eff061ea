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


MOPS = [
    "11 maja 2018 roku w Urzędzie Miasta Radomska odbyła się konferencja Miejskiego Ośrodka "
    "Pomocy Społecznej w Radomsku i Miasta Radomska pt. Mamo, Tato - bycie z Tobą daje moc.",
    "Zaproszonych gości przywitał Dyrektor Miejskiego Ośrodka Pomocy Społecznej w Radomsku, "
    "a Prezydent Miasta Radomsko otworzył konferencję.",
    "Podczas konferencji kierownik Działu Pracy Socjalnej przedstawiła główne założenia "
    "projektu oraz uzasadniła potrzebę realizacji takiego przedsięwzięcia.",
    "Koordynator Zespołu Wspierania Rodziny przedstawiła szczegółowe cele projektu, "
    "poszczególne działania realizowane w jego ramach oraz oczekiwane rezultaty.",
    "Konferencję zakończyła zastępca dyrektora ds. pomocy, która podkreśliła, iż działania "
    "mają na celu zatrzymanie dziecka w jego środowisku naturalnym - rodzinie.",
]
UNRELATED = ("Regionalny Ośrodek Polityki Społecznej w Krakowie informuje, że w piątek 2 "
             "lutego 2024 r. Ośrodek będzie nieczynny. Sprawy pilne prosimy kierować "
             "drogą elektroniczną na adres sekretariatu, odpowiemy w poniedziałek.")


def test_cross_posts_stay_separate_articles_linked_as_near_duplicates(tmp_path):
    store = Store(tmp_path / "kronika.sqlite")
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


def test_a_changed_article_is_found_by_its_new_words_only(tmp_path):
    """The search index follows the current text, and a store whose index was built the
    old way (rows not keyed by the article) is rebuilt when opened."""
    store = Store(tmp_path / "kronika.sqlite")
    run = store.start_run("test")
    store.save_article(record("Pierwsza wersja: zebranie seniorów.", id_="a" * 24), run)
    store.save_article(record("Druga wersja: spotkanie opiekunów.", id_="a" * 24), run)
    store.save_article(record(UNRELATED, url="https://r.example.pl/a", id_="r" * 24), run)
    assert store.search("zebranie") == []
    assert [h["id"] for h in store.search("opiekunów")] == ["a" * 24]
    store.db.execute("DELETE FROM articles_fts")  # an index from before the rowid keys
    store.db.execute("INSERT INTO articles_fts (id, site, title, text) VALUES (?, ?, ?, ?)",
                     ("a" * 24, "mops_radomsko", "Stary", "zebranie seniorów"))
    store.db.execute("DELETE FROM store_meta WHERE key='fts_key'")
    store.close()
    store = Store(tmp_path / "kronika.sqlite")
    assert store.search("zebranie") == []
    assert [h["id"] for h in store.search("opiekunów")] == ["a" * 24]
    assert [h["id"] for h in store.search('"Ośrodek będzie nieczynny"')] == ["r" * 24]
    store.close()
