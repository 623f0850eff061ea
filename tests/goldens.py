"""Golden helpers for the tests, and ``python -m tests.goldens SLUG [--write]``, which
runs ``kronika fixtures regen SLUG`` (``--check`` unless ``--write``)."""

from __future__ import annotations

import sys

from crawler.devtools.fixtures import stable  # noqa: F401  (re-exported for the tests)


def extract_page(mirror, page: dict) -> dict:
    """Extract a mirror's article page the way a crawl does (with its listing date)."""
    return mirror.extract(page)


if __name__ == "__main__":
    from crawler.run.cli import main

    args = sys.argv[1:]
    write = "--write" in args
    slugs = [a for a in args if not a.startswith("-")]
    sys.exit(main(["fixtures", "regen", *slugs, *([] if write else ["--check"])]))
