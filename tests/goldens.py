"""``python -m tests.goldens SLUG [--write]`` runs ``kronika fixtures regen SLUG``
(``--check`` unless ``--write``). The golden helpers are in tests/harness.py."""

from __future__ import annotations

import sys

if __name__ == "__main__":
    from crawler.run.cli import main

    args = sys.argv[1:]
    write = "--write" in args
    slugs = [a for a in args if not a.startswith("-")]
    sys.exit(main(["fixtures", "regen", *slugs, *([] if write else ["--check"])]))
