"""`kronika reextract` throughput against single-core extraction of the same pages.

A synthetic rops_torun site (tests/synthetic.py) of N articles is crawled once from a
loopback mirror into a temporary harvest. Then, in the same run:

* single-core extraction: every article capture's payload read back from the WARC
  files and extracted in this process, one after another (no store): the rate one core
  can extract at;
* reextract: the harvest's kronika.sqlite deleted and ``run_reextract`` timed as the
  command runs it: WARC indexing, the capture and payload tables rebuilt, extraction over
  all cores, store writes in batches.

Target (issue 18, point 8): reextract at least 0.8 x cores x the single-core extraction
rate, in articles per second.

    python benchmarks/reextract_speed.py [--articles 2000] [--workers N]
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def harvest(articles: int, out: Path) -> None:
    from tests.harness import MirrorServer, crawl
    from tests.synthetic import synthetic_mirror

    with MirrorServer(synthetic_mirror(articles)) as server:
        result = crawl(server.base_url, out, "--no-media", slug="rops_torun")
    if result.returncode != 0:
        raise SystemExit(f"the crawl failed: {result.stderr[-2000:]}")


def single_core_rate(out: Path) -> tuple[int, float]:
    """Articles extracted and the seconds one process takes (payload reads included)."""
    from archive.replay import WarcArchive
    from crawler.run.reextract import extract_one

    archive = WarcArchive(out)
    jobs = []
    for record_id, fields in archive.links:
        capture = archive.captures[record_id]
        body = archive.by_digest[capture.digest] if capture.record_type == "revisit" \
            else capture
        jobs.append((str(out / body.warc_file), body.offset, fields["kronika-site"], False,
                     capture.url, capture.content_type, fields.get("kronika-listing-date"),
                     capture.date, {"warc_file": capture.warc_file, "record_id": record_id,
                                    "payload_digest": capture.digest}))
    started = time.perf_counter()
    for job in jobs:
        extract_one(job)
    return len(jobs), time.perf_counter() - started


def reextract_rate(out: Path, workers: int | None) -> tuple[int, float]:
    from crawler.run.reextract import run_reextract

    for name in ("kronika.sqlite", "kronika.sqlite-wal", "kronika.sqlite-shm"):
        (out / name).unlink(missing_ok=True)
    started = time.perf_counter()
    summary = run_reextract(out, workers=workers)
    seconds = time.perf_counter() - started
    if summary["problems"]:
        raise SystemExit(f"reextract reported problems: {summary['problems']}")
    return sum(sum(c.values()) for c in summary["sites"].values()), seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=2000)
    parser.add_argument("--workers", type=int, default=None,
                        help="reextract's worker processes (default: one per core)")
    args = parser.parse_args()
    cores = args.workers or os.cpu_count() or 1
    with tempfile.TemporaryDirectory(prefix="kronika-reextract-") as tmp:
        out = Path(tmp) / "harvest"
        harvest(args.articles, out)
        n_single, s_single = single_core_rate(out)
        n_re, s_re = reextract_rate(out, args.workers)
    single = n_single / s_single
    rate = n_re / s_re
    target = 0.8 * cores * single
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
          f"Python {platform.python_version()}; reextract workers: {cores}")
    print(f"single-core extraction: {n_single} articles in {s_single:.2f} s = "
          f"{single:.0f} articles/s")
    print(f"reextract (index, captures, {cores} workers, batched writes): {n_re} articles "
          f"in {s_re:.2f} s = {rate:.0f} articles/s")
    print(f"target 0.8 x {cores} x {single:.0f} = {target:.0f} articles/s: "
          f"{'met' if rate >= target else 'NOT met'} ({rate / single:.2f}x single-core)")


if __name__ == "__main__":
    main()
