"""Instructions per page of the extraction site path, counted by valgrind's callgrind.

Pages per second on a virtual machine drift by 10% from one minute to the next, more
than most single changes gain or lose. The number of instructions does not drift: this
script runs the site path over the fixture corpus under callgrind twice, once with no
timed pass and once with ``--passes`` passes, and divides the difference by the pages.
Start-up, imports and the warm-up pass cancel out. Use it to compare two versions of the
code; pages per second stay the reported result (extraction_speed.py).

    python benchmarks/extraction_instructions.py [--passes 2]

Needs valgrind. Each run takes about half a minute per pass.
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))


def child(passes: int) -> None:
    from extraction_speed import corpus, site_path

    pages = corpus()
    for page in pages:  # warm-up: imports, caches, compiled selectors
        site_path(page)
    for _ in range(passes):
        for page in pages:
            site_path(page)


def instructions(passes: int) -> int:
    result = subprocess.run(
        ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", sys.executable,
         __file__, "--child", str(passes)], capture_output=True, text=True, check=False)
    match = re.search(r"Collected : (\d+)", result.stderr)
    if result.returncode != 0 or match is None:
        tail = result.stderr.strip().splitlines()[-1:] or ["no output"]
        raise SystemExit(f"extraction_instructions: callgrind run failed: {tail[0]}")
    return int(match.group(1))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--passes", type=int, default=2)
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child is not None:
        child(args.child)
        return
    if args.passes < 1:
        raise SystemExit("extraction_instructions: --passes must be at least 1")
    if shutil.which("valgrind") is None:
        raise SystemExit("extraction_instructions: valgrind is not installed")
    from extraction_speed import corpus

    pages = len(corpus())
    per_page = (instructions(args.passes) - instructions(0)) / args.passes / pages
    print(f"site path: {per_page / 1e6:.2f} million instructions a page "
          f"({pages} fixture pages, {args.passes} passes)")


if __name__ == "__main__":
    main()
