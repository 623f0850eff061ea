"""Requests of an incremental re-run after k new articles appear, against the ideal.

For k = 1, 2 the rops_krakow mirror is first served with its k newest articles hidden
(as before they were published) and harvested; then served whole and harvested again,
incrementally, with media off. The second run's requests are counted at the mirror and
compared with the ideal: k articles + the listing pages needed to see them + robots.txt
(one per host). The ideal's listing pages are those up to and including the first page
that holds only known articles.

    python benchmarks/incremental_requests.py
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from crawler.devtools.mirror import Mirror, MirrorServer, without_newest  # noqa: E402


def crawl(base_url: str, out: Path) -> None:
    subprocess.run([sys.executable, "-m", "crawler.run.cli", "crawl", "rops_krakow", "--base-url",
                    base_url, "--out", str(out), "--delay", "0", "--no-media"],
                   check=False, capture_output=True)


def main() -> int:
    mirror = Mirror.load("rops_krakow")
    print("| new articles k | requests | ideal (k + listing pages + robots.txt) | ratio |")
    print("|---|---|---|---|")
    for k in (1, 2):
        with tempfile.TemporaryDirectory() as tmp, MirrorServer(
                mirror, transform=without_newest(k)) as server:
            crawl(server.base_url, Path(tmp))
            server.transform = None
            split = len(server.requests)
            crawl(server.base_url, Path(tmp))
            requests = len(server.requests) - split
        # Current listing: page 1 shows the k new articles (and maybe known ones), page 2
        # is needed to learn that nothing older is new; the other two listings' first
        # pages hold only known articles.
        listing_pages = 2 + 1 + 1
        ideal = k + listing_pages + len(mirror.hosts)
        print(f"| {k} | {requests} | {ideal} | {requests / ideal:.2f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
