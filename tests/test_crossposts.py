"""One event, three publishers: the police republished MOPS's report, the regional centre
quoted its first paragraphs. Three articles, linked as near-duplicates in the store."""

from __future__ import annotations

from archive.store import Store
from tests.harness import Mirror, MirrorServer, crawl

PUBLISHERS = ("policja_radomsko", "mops_radomsko", "rcps_lodz")


def test_cross_posts_stay_three_articles_linked_as_near_duplicates(tmp_path):
    for slug in PUBLISHERS:
        with MirrorServer(Mirror.load(slug)) as server:
            result = crawl(server.base_url, tmp_path, slug=slug)
        assert result.returncode == 0, result.stdout + result.stderr
    store = Store(tmp_path / "kronika.sqlite")
    event = [a for a in store.articles()
             if "11 maja 2018roku w Urzędzie Miasta Radomska" in a["text"]]
    assert sorted(a["site"] for a in event) == sorted(PUBLISHERS)
    ids = {a["id"] for a in event}
    assert len(ids) == 3
    for article in event:
        linked = {d["id"] for d in store.near_duplicates(article["id"])}
        assert ids - {article["id"]} <= linked, article["site"]
    # Nothing else in the three sites is a copy of this event.
    for article in store.articles():
        if article["id"] not in ids:
            assert not {d["id"] for d in store.near_duplicates(article["id"])} & ids
