"""Archive-grade capture: revisits across runs, article linkage, rotation, CDXJ/WACZ,
media as original bytes, re-extraction from WARC, and a crawl killed with SIGKILL."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path
from urllib.parse import urlsplit

from warcio.archiveiterator import ArchiveIterator

from archive.recorder import _header_list
from tests.harness import (
    WARCIO,
    Mirror,
    MirrorServer,
    count_articles,
    crawl,
    kill,
    slowly,
    start_crawl,
    stored,
    wait_until,
    without_requisites,
)


def statuses(path: Path, kind: str) -> list[int]:
    """The HTTP status of every ``kind`` record (response, revisit) of a WARC file."""
    with open(path, "rb") as fh:
        return [int(r.http_headers.get_statuscode()) for r in ArchiveIterator(fh)
                if r.rec_type == kind and r.http_headers]


def records(path: Path) -> list:
    out = []
    with open(path, "rb") as fh:
        for record in ArchiveIterator(fh):
            out.append((record.rec_headers, record.content_stream().read()))
    return out


def readable_prefix(path: Path) -> list:
    """The records that read back before the end (or before a record cut by the kill)."""
    out = []
    try:
        with open(path, "rb") as fh:
            for record in ArchiveIterator(fh):
                out.append((record.rec_headers, record.content_stream().read()))
    except Exception:  # noqa: BLE001 - a record cut mid-write ends the readable part
        pass
    return out


def warcs(out: Path) -> list[Path]:
    return sorted((out / "warc").glob("*.warc.gz"))


def test_second_run_writes_revisits_linked_to_the_first(tmp_path):
    with MirrorServer(Mirror.load("rops_krakow")) as server:
        assert crawl(server.base_url, tmp_path).returncode == 0
        assert crawl(server.base_url, tmp_path, "--full").returncode == 0  # fetch it all again
    first, second = warcs(tmp_path)
    originals = {h.get_header("WARC-Record-ID"): h for h, _ in records(first)
                 if h.get_header("WARC-Type") == "response"}
    later = [h for h, _ in records(second)]
    # Only error answers are written whole again (a 404 is never a revisit's original):
    # the mirror has none of rops.krakow.pl's page requisites.
    assert [status for status in statuses(second, "response") if status < 400] == []
    revisits = [h for h in later if h.get_header("WARC-Type") == "revisit"]
    assert len(revisits) >= 9 + 3  # articles, listings, robots.txt, media
    for h in revisits:
        assert h.get_header("WARC-Profile") == (
            "http://netpreserve.org/warc/1.1/revisit/identical-payload-digest")
        original = originals[h.get_header("WARC-Refers-To")]
        assert original.get_header("WARC-Payload-Digest") == h.get_header("WARC-Payload-Digest")
        assert h.get_header("WARC-Refers-To-Date") == original.get_header("WARC-Date")
    result = subprocess.run([str(WARCIO), "check", str(first), str(second)],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stdout


def test_every_article_is_tied_to_its_capture_by_a_metadata_record(tmp_path):
    with MirrorServer(Mirror.load("rops_krakow")) as server:
        crawl(server.base_url, tmp_path, "--collection", "rops-test")
    (path,) = warcs(tmp_path)
    all_records = records(path)
    info = next(body for h, body in all_records if h.get_header("WARC-Type") == "warcinfo")
    assert b"isPartOf: rops-test" in info and b"kronika-settings-hash: sha256:" in info
    assert b"robots: obey" in info and b"software: kronika/" in info
    links = {}
    for h, body in all_records:
        if h.get_header("WARC-Type") == "metadata":
            fields = dict(line.split(": ", 1) for line in body.decode().splitlines())
            links[fields["kronika-article-id"]] = (h.get_header("WARC-Concurrent-To"), fields)
    articles = stored(tmp_path)
    assert len(links) == len(articles) == 9
    for article in articles:
        record_id, fields = links[article["id"]]
        assert record_id == article["capture"]["record_id"]
        assert fields["kronika-canonical-url"] == article["canonical_url"]


def test_files_rotate_by_size_and_each_opens_with_warcinfo(tmp_path):
    with MirrorServer(Mirror.load("rops_krakow")) as server:
        result = crawl(server.base_url, tmp_path, "--warc-max-size", "20000")
    assert result.returncode == 0
    files = warcs(tmp_path)
    assert len(files) >= 3
    for path in files:
        assert records(path)[0][0].get_header("WARC-Type") == "warcinfo"
    check = subprocess.run([str(WARCIO), "check", *map(str, files)], capture_output=True)
    assert check.returncode == 0
    manifest = json.loads((tmp_path / "runs" / "run-00001.json").read_text())
    for path in files:
        digest = "sha256:" + hashlib.sha256(path.read_bytes()).hexdigest()
        assert manifest["outputs"][f"warc/{path.name}"] == digest


def test_reextract_rebuilds_the_same_records_with_no_network(tmp_path):
    with MirrorServer(Mirror.load("rops_krakow")) as server:
        crawl(server.base_url, tmp_path, "--warc-max-size", "30000")
        crawl(server.base_url, tmp_path, "--full")  # revisits: re-extraction must resolve them
    before = sorted(stored(tmp_path), key=lambda r: r["id"])
    for name in os.listdir(tmp_path):
        if name.startswith("kronika.sqlite"):
            os.remove(tmp_path / name)
    result = subprocess.run([sys.executable, "-m", "crawler.run.cli", "reextract", "--out",
                             str(tmp_path)], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert "rops_krakow: 9 new, 9 unchanged" in result.stdout
    assert sorted(stored(tmp_path), key=lambda r: r["id"]) == before


def test_media_are_archived_as_the_original_bytes(tmp_path):
    mirror = Mirror.load("rops_krakow")
    with MirrorServer(mirror) as server:
        crawl(server.base_url, tmp_path)
    bodies = {h.get_header("WARC-Target-URI"): body for h, body in records(warcs(tmp_path)[0])
              if h.get_header("WARC-Type") == "response"}
    media = [p for p in mirror.meta["pages"] if p["kind"] in ("image", "attachment")]
    linked = {u for a in stored(tmp_path) for u in
              [i["url"] for i in a["images"]] + [x["url"] for x in a["attachments"]]}
    assert linked and linked <= set(bodies)
    for page in media:
        if page["url"] in linked:
            assert bodies[page["url"]] == mirror.body(page)


def test_no_media_flag_fetches_articles_only(tmp_path):
    """No full-size image and no attachment; what the pages show (thumbnails, logos) is
    fetched as their requisites unless --no-requisites says otherwise."""
    with MirrorServer(Mirror.load("rops_krakow")) as server:
        crawl(server.base_url, tmp_path, "--no-media")
        split = len(server.requests)
        paths = [r["path"] for r in without_requisites(server.requests)]
        crawl(server.base_url, tmp_path / "bare", "--no-media", "--no-requisites")
        bare = [r["path"] for r in server.requests[split:]]
    assert not [p for p in paths if p.endswith((".jpg", ".pdf", ".docx", ".xlsx"))]
    full_size = {urlsplit(i["url"]).path for a in stored(tmp_path) for i in a["images"]}
    assert full_size and not full_size & set(paths)
    assert not [p for p in bare if p.endswith((".jpg", ".png", ".css", ".js", ".pdf"))]


def test_cdxj_index_and_wacz_package(tmp_path):
    with MirrorServer(Mirror.load("rops_krakow")) as server:
        assert crawl(server.base_url, tmp_path, "--wacz").returncode == 0
    lines = (tmp_path / "indexes" / "index.cdxj").read_text().splitlines()
    urls = {json.loads(line.split(" ", 2)[2])["url"] for line in lines}
    assert {a["url"] for a in stored(tmp_path)} <= urls
    with zipfile.ZipFile(tmp_path / "kronika.wacz") as wacz:
        names = wacz.namelist()
        assert "datapackage.json" in names and any(n.startswith("archive/") for n in names)
        assert any(n.startswith("indexes/") for n in names)
    # Rewritten by every run: named as not fixity-checked, never given a hash that goes
    # stale (kronika verify checks the WARC files; tests/test_verify.py).
    manifest = json.loads((tmp_path / "runs" / "run-00001.json").read_text())
    for name in ("indexes/index.cdxj", "kronika.wacz", "kronika.sqlite"):
        assert name in manifest["fixity"]["not_checked"] and name not in manifest["outputs"]


def test_the_index_sorted_in_runs_on_disk_equals_one_sorted_in_memory(tmp_path, monkeypatch):
    """The CDXJ index is sorted with a bounded buffer (memory stays flat however large
    the harvest); spilling sorted runs to disk and merging them gives the same index."""
    from archive import indexes

    with MirrorServer(Mirror.load("rops_krakow")) as server:
        assert crawl(server.base_url, tmp_path).returncode == 0
    in_memory = (tmp_path / "indexes" / "index.cdxj").read_text()
    monkeypatch.setattr(indexes, "SORT_BUFFER", 2000)  # a few lines a run: many runs
    spilled = indexes.write_cdxj(tmp_path, name="spilled.cdxj").read_text()
    assert spilled == in_memory
    lines = spilled.splitlines()
    assert len(lines) > 20 and lines == sorted(lines)


def test_a_crawl_killed_with_sigkill_leaves_readable_warcs_and_the_next_run_goes_on(tmp_path):
    mirror = Mirror.load("rops_krakow")
    # Slow on purpose: 0.4 s an article, so the kill lands mid-run.
    with MirrorServer(mirror, transform=slowly(0.4, kind="article")) as server:
        process = start_crawl(server.base_url, tmp_path)
        wait_until(lambda: count_articles(tmp_path) >= 2, 60, "2 articles stored",
                   running=[process])
        kill(process)
        assert count_articles(tmp_path) < 9, "the crawl ended before it was killed"
        (killed,) = warcs(tmp_path)
        kept = killed.read_bytes()
        complete = readable_prefix(killed)  # every complete record reads back
        assert any(h.get_header("WARC-Type") == "response" for h, _ in complete)
        server.transform = None
        again = crawl(server.base_url, tmp_path)
    assert again.returncode == 0, again.stdout + again.stderr
    assert killed.read_bytes() == kept  # the killed run's file is left as it was
    assert len(warcs(tmp_path)) == 2
    assert len(stored(tmp_path)) == 9


def test_de_chunked_bodies_do_not_claim_chunked_transfer():
    from scrapy.http import Headers

    headers = Headers({"Transfer-Encoding": "chunked", "Set-Cookie": ["a=1", "b=2"]})
    assert _header_list(headers) == [("X-Archive-Orig-Transfer-Encoding", "chunked"),
                                     ("Set-Cookie", "a=1"), ("Set-Cookie", "b=2")]
