"""Replay proof in a real browser: an archived article looks like the page it was.

The styled-site mirror (real stylesheets, web font, template pictures, a script that
loads a lazy image, a gallery of thumbnails) is harvested with `kronika crawl --url`;
the harvest's WARC files go into pywb; headless Chromium (Debian's, driven by
playwright-core) opens an article in pywb's replay frame, as an archivist would, and
live from the mirror in a window of the frame's size, and takes a screenshot of each. The replay must ask nothing of any host but
pywb, pywb must answer every request from the archive (no 404), and the two screenshots
must match within a small pixel tolerance. A harvest made with --no-requisites must not.
"""

from __future__ import annotations

import json
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import pytest
from PIL import Image, ImageChops

from crawler.devtools.unknown import UNKNOWN
from tests.harness import Mirror, MirrorServer
from tests.replay_tools import CHROMIUM_FLAGS, Pywb, browser
from tests.test_requisites import crawl

# A pixel differs when a channel is more than this apart; a page matches when fewer than
# MAX_DIFFERENT of its pixels differ (text anti-aliasing may differ at a glyph's edge).
CHANNEL_TOLERANCE = 24
MAX_DIFFERENT = 0.002

# Opens the replay in pywb's frame (what an archivist sees), waits until the replayed
# page inside #replay_iframe has settled (network idle, web fonts loaded, every image
# decoded) and takes a screenshot of the frame; then opens the live page in a viewport
# of the frame's size and takes the same screenshot. Reports, for each, every response
# (URL and status), every request that left 127.0.0.1 (aborted) and the fonts loaded.
SHOT_JS = """
const [pwDir, exe, flags, replayUrl, liveUrl, replayShot, liveShot] = process.argv.slice(2);
const { chromium } = require(pwDir);
async function open(browser, url, viewport) {
  const context = await browser.newContext({ viewport, deviceScaleFactor: 1 });
  const page = await context.newPage();
  const report = { url, responses: [], escaped: [] };
  await page.route("**/*", route => {
    const host = new URL(route.request().url()).hostname;
    if (host === "127.0.0.1") return route.continue();
    report.escaped.push(route.request().url());
    return route.abort();
  });
  page.on("response", r => report.responses.push({ url: r.url(), status: r.status() }));
  await page.goto(url, { waitUntil: "networkidle", timeout: 60000 });
  return { context, page, report };
}
async function settle(frame, report) {
  await frame.waitForLoadState("networkidle");
  await frame.evaluate(() => document.fonts.ready);
  await frame.waitForFunction(() => Array.from(document.images).every(i => i.complete));
  report.fonts = await frame.evaluate(
    () => Array.from(document.fonts).filter(f => f.status === "loaded").map(f => f.family));
}
(async () => {
  const browser = await chromium.launch({ executablePath: exe, headless: true,
                                          args: JSON.parse(flags) });
  const seen = {};
  try {
    const replay = await open(browser, replayUrl, { width: 1280, height: 2400 });
    const iframe = await replay.page.waitForSelector("#replay_iframe");
    const frame = await iframe.contentFrame();
    await frame.waitForURL(u => !u.toString().startsWith("about:"));
    await settle(frame, replay.report);
    const box = await iframe.boundingBox();
    await iframe.screenshot({ path: replayShot, animations: "disabled" });
    seen.replay = replay.report;
    const size = { width: Math.round(box.width), height: Math.round(box.height) };
    const live = await open(browser, liveUrl, size);
    await settle(live.page.mainFrame(), live.report);
    await live.page.screenshot({ path: liveShot, animations: "disabled" });
    seen.live = live.report;
  } catch (e) {
    seen.error = String(e);
  } finally {
    console.log(JSON.stringify(seen));
    await browser.close();
  }
})();
"""


def shoot(replay_url: str, live_url: str, tmp_path: Path) -> tuple[dict, dict]:
    """(live report, replay report); screenshots in tmp_path/live.png and replay.png."""
    chromium, _, playwright = browser()
    script = tmp_path / "shot.js"
    script.write_text(SHOT_JS, encoding="utf-8")
    result = subprocess.run(
        ["node", str(script), str(playwright), chromium, json.dumps(CHROMIUM_FLAGS),
         replay_url, live_url, str(tmp_path / "replay.png"), str(tmp_path / "live.png")],
        capture_output=True, text=True, timeout=300)
    lines = result.stdout.strip().splitlines()
    assert lines, result.stderr
    seen = json.loads(lines[-1])
    assert "error" not in seen, (seen, result.stderr)
    return seen["live"], seen["replay"]


def different_share(one: Path, other: Path) -> float:
    """The share of pixels that differ by more than CHANNEL_TOLERANCE in a channel (1.0
    when the pictures differ in size)."""
    a, b = Image.open(one).convert("RGB"), Image.open(other).convert("RGB")
    if a.size != b.size:
        return 1.0
    diff = ImageChops.difference(a, b).convert("L").point(
        lambda v: 255 if v > CHANNEL_TOLERANCE else 0)
    return sum(1 for v in diff.getdata() if v) / (a.size[0] * a.size[1])


@pytest.fixture(scope="module")
def styled() -> Mirror:
    return Mirror.load("styled_site", UNKNOWN)


def replay_and_live(styled: Mirror, tmp_path: Path, *crawl_options: str) -> tuple[dict, dict]:
    """Harvest the mirror, replay its first article from pywb and open it live; the
    reports of both (live first), with their screenshots' paths."""
    article = styled.articles()[0]
    path = article["url"].split("/", 3)[3]
    out = tmp_path / "harvest"
    pywb = Pywb(tmp_path / "pywb")
    try:
        with MirrorServer(styled) as server:
            crawl(styled, out, server.base_url, *crawl_options)
            replay = pywb.start(sorted((out / "warc").glob("*.warc.gz")))
            stamp = datetime.now(UTC).strftime("%Y%m%d%H%M%S")
            live, replayed = shoot(f"{replay}/{stamp}/{article['url']}",
                                   f"{server.base_url}/{path}", tmp_path)
    finally:
        pywb.stop()
    return live, replayed


def test_a_replayed_article_looks_like_the_live_page(styled, tmp_path):
    live, replayed = replay_and_live(styled, tmp_path)
    assert replayed["escaped"] == [], "the replay asked hosts other than pywb"
    pywb_origin = replayed["url"].split("/kronika/")[0]
    missing = [r for r in replayed["responses"] if r["url"].startswith(pywb_origin)
               and r["status"] >= 400
               # robots.txt forbids the visitor counter: never archived, by design (the
               # mirror does not have it either).
               and "/cgi-bin/" not in r["url"]]
    assert missing == [], "pywb answered these from nothing"
    # The page loaded its stylesheets, font, pictures and lazy image from the archive.
    replayed_urls = " ".join(r["url"] for r in replayed["responses"] if r["status"] == 200)
    for part in ("style.css", "fonts.css", "open-sans-regular.woff2", "tlo.png", "main.js",
                 "-plakat.jpg", "-galeria-1-150x150.jpg"):
        assert part in replayed_urls, part
    assert "Open Sans" in replayed["fonts"] and "Open Sans" in live["fonts"]
    share = different_share(Path(tmp_path / "live.png"), Path(tmp_path / "replay.png"))
    assert share < MAX_DIFFERENT, f"{share:.2%} of the pixels differ (see {tmp_path})"


def test_without_requisites_the_replay_does_not_look_like_the_page(styled, tmp_path):
    """The comparison can fail: a harvest made with --no-requisites replays unstyled."""
    _, replayed = replay_and_live(styled, tmp_path, "--no-requisites")
    assert "Open Sans" not in replayed["fonts"]
    share = different_share(Path(tmp_path / "live.png"), Path(tmp_path / "replay.png"))
    assert share > 0.05, f"only {share:.2%} of the pixels differ"
