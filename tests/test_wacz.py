"""The WACZ of a harvest (``kronika crawl --wacz``) as ReplayWeb.page reads it: a page
list of the articles with their titles and text (pages/pages.jsonl), a datapackage.json
with a title, a description and the main page, the WARC files stored as they are, and
py-wacz's own ``wacz validate`` passing. A real crawl of the rops_krakow mirror over
127.0.0.1, run twice (the second run incremental) to see the package rebuilt."""

from __future__ import annotations

import functools
import http.server
import io
import json
import os
import re
import shutil
import subprocess
import sys
import threading
import zipfile
from pathlib import Path

import pytest

from tests.harness import Mirror, MirrorServer, crawl, stored
from tests.replay_tools import CHROMIUM_FLAGS, browser

WACZ = Path(sys.executable).with_name("wacz")


@pytest.fixture(scope="module")
def harvest(tmp_path_factory) -> dict:
    out = tmp_path_factory.mktemp("wacz")
    with MirrorServer(Mirror.load("rops_krakow")) as server:
        first = crawl(server.base_url, out, "--wacz")
        assert first.returncode == 0, first.stderr
        with zipfile.ZipFile(out / "kronika.wacz") as package:
            after_first = {i.filename for i in package.infolist()}
        second = crawl(server.base_url, out, "--wacz")
        assert second.returncode == 0, second.stderr
    return {"out": out, "base_url": server.base_url, "after_first": after_first}


def read(harvest: dict, name: str) -> bytes:
    with zipfile.ZipFile(harvest["out"] / "kronika.wacz") as package:
        return package.read(name)


def pages(harvest: dict) -> list[dict]:
    return [json.loads(line) for line in read(harvest, "pages/pages.jsonl").splitlines()]


def test_pages_list_every_article_with_its_capture_time_title_and_text(harvest):
    header, *entries = pages(harvest)
    assert header["format"] == "json-pages-1.0" and header["id"] == "pages"
    assert header["hasText"] is True  # ReplayWeb.page's full-text search reads `text`
    articles = {a["url"]: a for a in stored(harvest["out"])}
    assert len(articles) >= 9
    assert len(entries) == len(articles)  # one entry per article, none twice after run 2
    for entry in entries:
        article = articles[entry["url"]]
        assert entry["ts"] == article["fetched_at"]
        assert entry["title"] == article["title"]
        assert article["text"] in entry["text"]
    assert len({e["id"] for e in entries}) == len(entries)
    kongres = next(e for e in entries if "kongresu-polityki" in e["url"])
    assert kongres["title"] == "Podsumowanie Małopolskiego Kongresu Polityki Społecznej"
    assert "Kongres" in kongres["text"]


def test_datapackage_has_a_title_a_description_and_the_newest_article_as_main_page(harvest):
    package = json.loads(read(harvest, "datapackage.json"))
    assert package["title"] == "kronika harvest of rops_krakow"
    description = package["description"]
    articles = stored(harvest["out"])
    dates = sorted(a["published"][:10] for a in articles if a["published"])
    assert f"{len(articles)} articles of rops_krakow" in description
    assert f"published {dates[0]} to {dates[-1]}" in description
    assert "runs 1 to 2" in description
    assert harvest["base_url"] in description  # a mirror's capture says it is one
    newest = max((a for a in articles if a["published"]), key=lambda a: a["published"])
    assert package["mainPageURL"] == newest["url"]
    assert package["mainPageDate"] == newest["fetched_at"]
    assert "pages/pages.jsonl" in {r["path"] for r in package["resources"]}


def test_the_warc_files_are_stored_as_they_are_and_nothing_is_left_beside_them(harvest):
    out = harvest["out"]
    warcs = sorted((out / "warc").glob("*.warc.gz"))
    assert len(warcs) == 2
    with zipfile.ZipFile(out / "kronika.wacz") as package:
        archived = {i.filename: i for i in package.infolist()
                    if i.filename.startswith("archive/")}
        assert set(archived) == {f"archive/{p.name}" for p in warcs}
        for path in warcs:
            info = archived[f"archive/{path.name}"]
            assert info.compress_type == zipfile.ZIP_STORED  # gzip already: not deflated
            assert package.read(info) == path.read_bytes()
    assert not list(out.glob(".wacz-*"))  # the page list's temporary directory is gone
    assert "pages/pages.jsonl" in harvest["after_first"]


def test_wacz_validate_passes(harvest):
    result = subprocess.run([str(WACZ), "validate", "-f", str(harvest["out"] / "kronika.wacz")],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "the passed WACZ is valid" in result.stdout


# -- ReplayWeb.page in headless Chromium ------------------------------------------------

# Opens the WACZ in ReplayWeb.page's app, waits for the page list to count every
# article, then types a word of one article's text into the search box and waits for
# one page to be left. Prints the titles listed before and after the search as JSON
# (and the error, with a screenshot, if it did not get so far).
CHECK_JS = """
const [pwDir, exe, flags, base, count, title, word, profile, shot] = process.argv.slice(2);
const { chromium } = require(pwDir);
(async () => {
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: exe, headless: true, args: JSON.parse(flags) });
  const seen = {};
  const page = await context.newPage();
  // Each listed page's title is the title attribute of a keyword-mark element (which
  // draws it in its own shadow root, marking the words searched for).
  const titles = () => page.locator("p.page-title keyword-mark")
    .evaluateAll(marks => marks.map(m => m.getAttribute("title")));
  try {
    await page.goto(`${base}/?source=${encodeURIComponent(base + "/kronika.wacz")}#view=pages`);
    await page.getByText(`${count} pages`, { exact: true }).waitFor({ timeout: 60000 });
    seen.listed = await titles();
    await page.getByPlaceholder("Search by Page URL, Title, or Text").fill(word);
    await page.getByText("1 page", { exact: true }).waitFor({ timeout: 30000 });
    seen.found = await titles();
  } catch (e) {
    seen.error = String(e);
    await page.screenshot({ path: shot });
  } finally {
    console.log(JSON.stringify(seen));
    await context.close();
  }
})();
"""


class RangeHandler(http.server.SimpleHTTPRequestHandler):
    """Static files with byte ranges: ReplayWeb.page reads a WACZ over HTTP by ranges
    (its index, then single records) instead of loading the whole file."""

    def log_message(self, format, *args):  # noqa: A002 - the base class's name
        pass

    def end_headers(self):
        self.send_header("Accept-Ranges", "bytes")
        super().end_headers()

    def send_head(self):
        wanted = re.fullmatch(r"bytes=(\d*)-(\d*)", self.headers.get("Range") or "")
        path = self.translate_path(self.path)
        if not wanted or not os.path.isfile(path):
            return super().send_head()
        size = os.path.getsize(path)
        first, last = wanted.groups()
        start = int(first) if first else max(size - int(last), 0)
        end = min(int(last), size - 1) if first and last else size - 1
        with open(path, "rb") as fh:
            fh.seek(start)
            body = fh.read(end - start + 1)
        self.send_response(206)
        self.send_header("Content-Type", self.guess_type(path))
        self.send_header("Content-Range", f"bytes {start}-{end}/{size}")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        return io.BytesIO(body)


def distinctive_word(entries: list[dict]) -> tuple[dict, str]:
    """An article and a word of its text found in no other page's text, title or URL,
    nor in its own title or URL: a search for it can only find the article by its text."""
    def words(entry: dict) -> set[str]:
        return {w.lower() for w in re.findall(r"\w{8,}", entry.get("text", ""))}

    def elsewhere(entry: dict) -> str:
        return " ".join(f"{e['title']} {e['url']} {e.get('text', '')}" for e in entries
                        if e is not entry).lower() + f" {entry['title']} {entry['url']}".lower()

    for entry in entries:
        others = elsewhere(entry)
        for word in sorted(words(entry)):
            if word not in others and word.isalpha():
                return entry, word
    raise AssertionError("no article has a word of its own")


def test_replaywebpage_lists_the_articles_and_finds_one_by_a_word_of_its_text(harvest,
                                                                              tmp_path):
    chromium, replaywebpage, playwright = browser()
    site = tmp_path / "site"
    site.mkdir()
    for name in ("index.html", "ui.js", "sw.js"):  # the service worker needs one origin
        shutil.copy(replaywebpage / name, site / name)
    (site / "kronika.wacz").symlink_to(harvest["out"] / "kronika.wacz")
    _, *entries = pages(harvest)
    article, word = distinctive_word(entries)
    script = tmp_path / "check.js"
    script.write_text(CHECK_JS, encoding="utf-8")
    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(RangeHandler, directory=str(site)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        base = f"http://127.0.0.1:{server.server_address[1]}"
        result = subprocess.run(
            ["node", str(script), str(playwright), chromium, json.dumps(CHROMIUM_FLAGS),
             base, str(len(entries)), article["title"], word, str(tmp_path / "profile"),
             str(tmp_path / "failure.png")],
            capture_output=True, text=True, timeout=180)
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
    seen = json.loads(result.stdout.strip().splitlines()[-1]) if result.stdout.strip() else {}
    assert not seen.get("error"), f"{seen} (screenshot: {tmp_path / 'failure.png'})"
    assert sorted(seen["listed"]) == sorted(e["title"] for e in entries), result.stderr
    assert seen["found"] == [article["title"]], (word, result.stderr)
