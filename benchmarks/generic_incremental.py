"""Requests of the generic spider's nightly re-run after k new articles, against the ideal.

For each unknown-site family (tests/fixtures/unknown/) and k = 1, 2, 3, the mirror is
first served as it was before its k newest articles (crawler.devtools.unknown.
before_newest) and harvested with `kronika crawl --url`; then served whole and harvested
again, incrementally. The second run's requests are counted at the mirror and compared
with the ideal: robots.txt (one host), the discovery probes (the feeds the start page
advertises and the /sitemap.xml guess), the listing pages up to and including the first
that holds only known articles (--overlap 1), the k articles and their photos, and the
re-checks of known articles (none here: the mirrors' articles are older than the
re-check window).

    python benchmarks/generic_incremental.py
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from crawler.devtools.mirror import MirrorServer  # noqa: E402
from crawler.devtools.unknown import FAMILIES, before_newest, load, newest, start_url  # noqa: E402


def crawl(start: str, base_url: str, out: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "crawler.run.cli", "crawl", "--url", start, "--base-url",
         base_url, "--out", str(out), "--delay", "0"], check=False, capture_output=True,
        env={**os.environ, "KRONIKA_CONTACT": "benchmark@example.invalid"})
    if result.returncode != 0:
        raise SystemExit(f"crawl failed ({result.returncode}): {result.stderr[-500:]}")


def ideal(mirror, k: int) -> int:
    """The fewest requests a re-run can make and still see the k new articles."""
    fresh = newest(mirror, k)
    new_urls = {p["url"] for p in fresh}
    listings = sorted(mirror.pages("listing"), key=lambda p: p["page"])
    pages = 0
    for listing in listings:
        pages += 1
        if not new_urls & set(listing["article_urls"]):
            break  # the first page holding only known articles: the overlap
    feeds = [p for p in mirror.pages("other") if "xml" in p["content_type"]]
    media = sum(p["expect"]["images"] for p in fresh)
    return 1 + len(feeds) + 1 + pages + k + media


def main() -> int:
    print("| family | new articles k | requests | ideal | ratio |")
    print("|---|---|---|---|---|")
    worst = 0.0
    for family in FAMILIES:
        mirror = load(family)
        for k in (1, 2, 3):
            with tempfile.TemporaryDirectory() as tmp, MirrorServer(
                    mirror, transform=before_newest(mirror, k)) as server:
                crawl(start_url(mirror), server.base_url, Path(tmp))
                server.transform = None
                split = len(server.requests)
                crawl(start_url(mirror), server.base_url, Path(tmp))
                requests = len(server.requests) - split
            best = ideal(mirror, k)
            worst = max(worst, requests / best)
            print(f"| {family} | {k} | {requests} | {best} | {requests / best:.2f} |",
                  flush=True)
    print(f"\nworst ratio: {worst:.2f} (target 1.0, never above 1.1)")
    return 0 if worst <= 1.1 else 1


if __name__ == "__main__":
    sys.exit(main())
