"""Extraction speed over the fixture corpus: pages per second on one core.

Three extractors read the same stored bytes of every fixture article page (pages marked
"duplicate_of" skipped), side by side in one process and one run:

* site path: ``extract`` with the site's rules (the profile, then the cascade), as a
  crawl runs it;
* generic path: ``extract`` with no rules (kronika's chrome rules, then trafilatura);
* trafilatura alone: ``trafilatura.extract`` with metadata, on the raw bytes.

Each round times one pass of each extractor over the whole corpus (the order of the
three rotates between rounds); the table gives the median pages per second over the
rounds after one warm-up pass. The target: the site path at least 5x
trafilatura alone.

    python benchmarks/extraction_speed.py [--rounds 7] [--json PATH]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path

import trafilatura

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from crawler.devtools.fixtures import FixtureSite, available  # noqa: E402
from crawler.extract import extract  # noqa: E402
from crawler.spider.sites import rules_for  # noqa: E402

FIXTURES = Path(__file__).resolve().parents[1] / "tests" / "fixtures"


def corpus() -> list[dict]:
    pages = []
    for slug in available(FIXTURES):
        site = FixtureSite.load(slug, FIXTURES)
        for page in site.articles():
            if page.get("duplicate_of"):
                continue
            pages.append({"slug": slug, "url": page["url"], "body": site.body(page),
                          "content_type": page.get("content_type"),
                          "listing_date": page.get("listing_date")})
    return pages


def site_path(page: dict) -> None:
    extract(page["body"], page["url"], rules_for(page["slug"]),
            content_type=page["content_type"], listing_date=page["listing_date"])


def generic_path(page: dict) -> None:
    extract(page["body"], page["url"], None, content_type=page["content_type"])


def trafilatura_alone(page: dict) -> None:
    trafilatura.extract(page["body"], url=page["url"], with_metadata=True)


EXTRACTORS = {"kronika site path": site_path, "kronika generic path": generic_path,
              "trafilatura alone": trafilatura_alone}


def run(rounds: int) -> dict:
    pages = corpus()
    for fn in EXTRACTORS.values():  # warm-up: imports, caches, lazily built regexes
        for page in pages:
            fn(page)
    rates: dict[str, list[float]] = {name: [] for name in EXTRACTORS}
    names = list(EXTRACTORS)
    for r in range(rounds):
        for name in names[r % 3:] + names[:r % 3]:
            fn = EXTRACTORS[name]
            start = time.perf_counter()
            for page in pages:
                fn(page)
            rates[name].append(len(pages) / (time.perf_counter() - start))
    medians = {name: statistics.median(values) for name, values in rates.items()}
    return {"pages": len(pages), "bytes": sum(len(p["body"]) for p in pages),
            "rounds": rounds, "pages_per_second": medians,
            "all_rounds": {k: [round(v, 1) for v in vs] for k, vs in rates.items()},
            "site_vs_trafilatura": medians["kronika site path"] / medians["trafilatura alone"],
            "machine": f"{platform.machine()}, {os.cpu_count()} cores, "
                       f"Python {platform.python_version()}"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--json", metavar="PATH")
    args = parser.parse_args()
    result = run(args.rounds)
    print(f"{result['pages']} fixture article pages ({result['bytes'] / 1e6:.1f} MB), "
          f"median of {result['rounds']} rounds, one core; {result['machine']}\n")
    print("| extractor | pages/s | ms/page |")
    print("|---|---|---|")
    for name, rate in result["pages_per_second"].items():
        print(f"| {name} | {rate:.0f} | {1000 / rate:.1f} |")
    print(f"\nsite path / trafilatura alone: {result['site_vs_trafilatura']:.1f}x "
          "(target: at least 5x)")
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
