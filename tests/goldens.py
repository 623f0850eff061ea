"""Golden Article JSON for fixture mirrors: build, compare, and (re)write.

    python -m tests.goldens rops_krakow          # show what would change
    python -m tests.goldens rops_krakow --write  # rewrite expected/*.json after review

Goldens leave out what changes with every fetch (``fetched_at``, ``capture``).
"""

from __future__ import annotations

import argparse
import difflib
import json
import sys

from crawler import extract_article
from tests.mirror import Mirror

VOLATILE = ("fetched_at", "capture")


def stable(record: dict) -> dict:
    """The record without its per-fetch fields."""
    return {k: v for k, v in record.items() if k not in VOLATILE}


def extract_page(mirror: Mirror, page: dict) -> dict:
    """Extract a mirror's article page the way a crawl does (with its listing date)."""
    return extract_article(mirror.body(page), page["url"], mirror.slug,
                           content_type=page["content_type"],
                           listing_date=page.get("listing_date"))


def dump(record: dict) -> str:
    return json.dumps(stable(record), ensure_ascii=False, indent=2, sort_keys=True) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("slug")
    parser.add_argument("--write", action="store_true")
    args = parser.parse_args()
    mirror = Mirror.load(args.slug)
    changed = 0
    for page in mirror.articles():
        path = mirror.root / page["expected"]
        new = dump(extract_page(mirror, page))
        old = path.read_text(encoding="utf-8") if path.exists() else ""
        if new != old:
            changed += 1
            sys.stdout.writelines(difflib.unified_diff(
                old.splitlines(True), new.splitlines(True), str(path), str(path) + " (new)"))
            if args.write:
                path.parent.mkdir(exist_ok=True)
                path.write_text(new, encoding="utf-8")
    print(f"{changed} golden(s) {'rewritten' if args.write else 'would change'}",
          file=sys.stderr)
    return 1 if changed and not args.write else 0


if __name__ == "__main__":
    sys.exit(main())
