"""Near-duplicate indexing stays bounded on a site of copies, on both engines.

A site serving thousands of near-identical posts used to make ``near_duplicates`` hold
every pair (950,131 rows after 1,379 articles). Each article stored now adds at most
``neardup.MAX_LINKS`` rows, an LSH bucket holds at most ``neardup.BUCKET_CAP`` articles
(so a lookup reads a bounded number of candidates), and a real cross-post is still found.
The time per article is measured by benchmarks/neardup_scaling.py.
"""

from __future__ import annotations

import pytest

from archive import neardup
from archive.pgstore import PgStore
from archive.store import STORE_NAME, Store
from tests.harness import MOPS, record

# A municipal notice a site repeats with the number, date and room changed.
NOTICE = ("Komunikat numer {n}. Miejski Ośrodek Pomocy Społecznej uprzejmie informuje, że "
          "w dniu {day} listopada w sali {room} odbędzie się dyżur konsultacyjny dla osób "
          "ubiegających się o świadczenia z pomocy społecznej, dodatki mieszkaniowe oraz "
          "dodatek energetyczny. Wnioski można składać w godzinach pracy ośrodka w pokoju "
          "numer dwanaście na parterze budynku przy ulicy Tkackiej. Osoby niepełnosprawne "
          "prosimy o wcześniejszy kontakt telefoniczny z sekretariatem, pracownik socjalny "
          "przyjdzie do klienta. Szczegółowe informacje dostępne są na stronie internetowej "
          "ośrodka oraz w punkcie obsługi klienta. Zapraszamy wszystkich zainteresowanych.")

# Thousands of copies where the engine allows it within a few seconds.
COPIES = {"sqlite": 2000, "postgresql": 600}


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(request, tmp_path):
    """(name, open): ``open()`` opens or reopens one store of that engine."""
    if request.param == "sqlite":
        return "sqlite", lambda: Store(tmp_path / STORE_NAME)
    dsn = request.getfixturevalue("postgres_dsn")
    return "postgresql", lambda: PgStore(dsn)


def notice(n: int) -> dict:
    text = NOTICE.format(n=n, day=n % 28 + 1, room=n % 9 + 1)
    return record(text, url=f"https://mops.example.pl/komunikaty/{n}", id_=f"{n:024d}")


def count(store, sql: str) -> int:
    return store.db.execute(sql).fetchone()[0]


def largest_bucket(store) -> int:
    return count(store, "SELECT coalesce(max(n), 0) FROM"
                        " (SELECT count(*) AS n FROM lsh_bands GROUP BY band, bucket) AS b")


def test_thousands_of_copies_add_a_bounded_number_of_rows_each(engine):
    name, open_store = engine
    store = open_store()
    run = store.start_run("test")
    copies = COPIES[name]
    rows = 0
    for n in range(copies):
        store.save_article(notice(n), run)
        added = count(store, "SELECT count(*) FROM near_duplicates") - rows
        assert 0 <= added <= neardup.MAX_LINKS, n
        rows += added
    assert rows <= neardup.MAX_LINKS * copies
    # Every copy after the first is still linked to earlier copies of its text.
    assert count(store, "SELECT count(DISTINCT b) FROM near_duplicates") == copies - 1
    assert len(store.near_duplicates(notice(copies - 1)["id"])) == neardup.MAX_LINKS
    # A lookup reads a bounded number of candidates, however many copies there are.
    assert largest_bucket(store) <= neardup.BUCKET_CAP

    # A real cross-post among them: a report, then a police unit republishing it whole
    # and a regional centre quoting its first paragraphs. All three are linked.
    report = {"mops": "\n\n".join(MOPS), "police": "\n\n".join(MOPS),
              "rcps": "\n\n".join(MOPS[:3] + ["Gratulujemy organizatorom."])}
    ids = {site: site[0] * 24 for site in report}
    for site, text in report.items():
        store.save_article(record(text, url=f"https://{site}.example.pl/a", id_=ids[site]), run)
    linked = {d["id"]: d["containment"] for d in store.near_duplicates(ids["mops"])}
    assert set(linked) == {ids["police"], ids["rcps"]}
    assert linked[ids["police"]] == 1.0
    assert linked[ids["rcps"]] >= neardup.CONTAINMENT_THRESHOLD
    assert {d["id"] for d in store.near_duplicates(ids["rcps"])} == {ids["mops"], ids["police"]}
    # A late copy republished whole elsewhere is linked to that copy first, not only to
    # the earliest copies its crowded buckets kept.
    late = notice(copies - 1)
    store.save_article(record(late["text"], url="https://gazeta.example.pl/a", id_="g" * 24),
                       run)
    first = store.near_duplicates("g" * 24)[0]
    assert (first["id"], first["url"], first["containment"]) == (late["id"], late["url"], 1.0)
    store.close()


def test_a_store_of_every_pair_opens_with_its_buckets_capped(engine):
    """A store written before the cap (every copy in every bucket, every pair linked)
    opens, keeps the pairs it found, and indexes new copies within the bounds."""
    name, open_store = engine
    store = open_store()
    run = store.start_run("test")
    copies = 3 * neardup.BUCKET_CAP
    for n in range(copies):
        store.save_article(notice(n), run)
    # What an older release left: each copy in each of its buckets, and every pair.
    mark = "?" if name == "sqlite" else "%s"
    cursor = store.db.cursor()
    cursor.execute("DELETE FROM lsh_bands")
    cursor.execute("DELETE FROM near_duplicates")
    cursor.execute("DELETE FROM store_meta WHERE key='lsh_bucket_cap'")
    for n in range(copies):
        keys = neardup.band_keys(neardup.shingles(notice(n)["text"]))
        cursor.executemany(f"INSERT INTO lsh_bands VALUES ({mark}, {mark}, {mark})",
                           [(band, bucket, notice(n)["id"]) for band, bucket in keys])
        cursor.executemany(f"INSERT INTO near_duplicates VALUES ({mark}, {mark}, 0.9)",
                           [(notice(m)["id"], notice(n)["id"]) for m in range(n)])
    cursor.close()
    pairs = copies * (copies - 1) // 2
    assert largest_bucket(store) > neardup.BUCKET_CAP
    store.close()

    reopened = open_store()
    try:
        assert largest_bucket(reopened) <= neardup.BUCKET_CAP
        assert count(reopened, "SELECT count(*) FROM near_duplicates") == pairs
        reopened.save_article(notice(copies), reopened.start_run("test"))
        linked = reopened.near_duplicates(notice(copies)["id"])
        assert 1 <= len(linked) <= neardup.MAX_LINKS
        # The buckets kept the earliest copies.
        assert {d["id"] for d in linked} <= {notice(n)["id"] for n in range(copies)}
    finally:
        reopened.close()

