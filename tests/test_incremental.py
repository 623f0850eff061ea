"""Incremental runs: only what is new is fetched; recent known articles are re-checked
with conditional GET; a changed page makes a new version; --full re-walks everything."""

from __future__ import annotations

import sqlite3

from tests.harness import Mirror, MirrorServer, crawl, stored, without_newest, without_requisites

ROBOTS_AND_FIRST_PAGES = 3 + 3  # robots.txt of three hosts, first page of three listings


def test_a_new_article_costs_one_request_plus_the_listing_pages_that_show_it(tmp_path):
    mirror = Mirror.load("rops_krakow")
    with MirrorServer(mirror, transform=without_newest(1)) as server:
        first = crawl(server.base_url, tmp_path, "--no-media")
        assert "rops_krakow: 8 new" in first.stdout
        server.transform = None  # the newest article is published
        split = len(server.requests)
        second = crawl(server.base_url, tmp_path, "--no-media")
        again = [r["path"] for r in without_requisites(server.requests[split:])]
    assert second.returncode == 0, second.stdout + second.stderr
    assert "rops_krakow: 1 new, 0 changed" in second.stdout
    # Page 1 of the current listing now shows one new article, so page 2 is read too;
    # it holds only known articles, so paging stops there.
    assert len(again) == ROBOTS_AND_FIRST_PAGES + 1 + 1
    assert "/aktualnosci/podsumowanie-malopolskiego-kongresu-polityki-spolecznej" in again
    assert "/aktualnosci?page=2" in again
    assert len(stored(tmp_path)) == 9


def test_recent_known_articles_are_rechecked_with_conditional_get(tmp_path):
    mirror = Mirror.load("rops_krakow")
    changed = "/aktualnosci/posiedzenie-konwentu-dyrektorow-pcpr-2"

    def edit(page, body):  # the site corrects one article after publication
        if page["url"].endswith(changed):
            return body.replace(b"Prosimy o potwierdzenie", b"Uprzejmie prosimy o potwierdzenie")
        return body

    with MirrorServer(mirror) as server:
        crawl(server.base_url, tmp_path, "--no-media")
        server.transform = edit
        split = len(server.requests)
        # Every known article counts as recent with this window.
        second = crawl(server.base_url, tmp_path, "--no-media", "--recheck-days", "100000")
        again = without_requisites(server.requests[split:])
    assert second.returncode == 0, second.stdout + second.stderr
    # 7 dated known articles re-checked (one changed), the undated training-subsite
    # article on the first listing page counted unchanged; the undated one on page 2 has
    # no date to place in the window and its page is not read.
    assert "rops_krakow: 0 new, 1 changed, 7 unchanged, 0 failed" in second.stdout
    articles = [r for r in again if r["path"].startswith(("/aktualnosci/", "/aktualnosc/"))
                or ";s,aktualnosci,id," in r["path"]]
    assert articles and all(r["if_none_match"] for r in articles)
    assert sum(r["status"] == 304 for r in articles) == len(articles) - 1
    db = sqlite3.connect(tmp_path / "kronika.sqlite")
    versions = db.execute("SELECT a.url, count(*) FROM versions v JOIN articles a ON"
                          " a.id = v.article_id GROUP BY a.url HAVING count(*) > 1").fetchall()
    assert versions == [("https://rops.krakow.pl" + changed, 2)]


def test_full_rewalks_and_refetches_everything(tmp_path):
    with MirrorServer(Mirror.load("rops_krakow")) as server:
        crawl(server.base_url, tmp_path, "--no-media")
        split = len(server.requests)
        full = crawl(server.base_url, tmp_path, "--no-media", "--full")
        again = without_requisites(server.requests[split:])
    assert "rops_krakow: 0 new, 0 changed, 9 unchanged, 0 failed" in full.stdout
    assert len(again) == 3 + 6 + 9  # robots, every listing page, every article
    assert not any(r["if_none_match"] for r in again)
