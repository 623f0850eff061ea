"""Near-duplicate indexing cost per article as the store grows, on a site of copies.

A hostile (or merely repetitive) site serves thousands of near-identical posts: one
template text with a few words changed per post. Every other article here is such a
copy; the rest are distinct texts. They are saved one by one through the real store
(``save_article``: versions, search index, LSH index, near-duplicates), into one store
that grows to the largest N; at each checkpoint N the benchmark reports:

* the time per article of the last articles saved before N (the last 10%, at least 50):
  median and mean of the whole ``save_article``, so a store whose cost grows with its
  size shows it here, and the median of its near-duplicate part alone (``_index_text``:
  shingles, LSH lookup, candidate comparison, links);
* the rows in ``near_duplicates`` and per article;
* the store's size on disk (SQLite: the file and its WAL).

The target is a flat per-article cost and a bounded number of rows per article.

    python benchmarks/neardup_scaling.py [--large] [--sizes 100,3000] [--store postgresql://...]

``--large`` adds N = 100,000 (several minutes). ``--store`` runs against an empty
PostgreSQL database instead of a SQLite file in a temporary directory (store size is then
``pg_database_size``).
"""

from __future__ import annotations

import argparse
import platform
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from archive import neardup  # noqa: E402
from archive.store import STORE_NAME, Store  # noqa: E402
from archive.stores import open_store  # noqa: E402

SIZES = (100, 1_000, 10_000)
LARGE = 100_000
WORDS_PER_TEXT = 250


def vocabulary(rng: random.Random, size: int = 5000) -> list[str]:
    """Made-up Polish-looking words (syllables), so shingles behave as on real text."""
    syllables = ["ka", "po", "mo", "sto", "rze", "wie", "ni", "ła", "go", "dzi", "ch",
                 "sz", "ro", "la", "ty", "ce", "mi", "ję", "ko", "wa"]
    words: set[str] = set()
    while len(words) < size:
        words.add("".join(rng.choice(syllables) for _ in range(rng.randint(2, 4))))
    return sorted(words)


class Texts:
    """Article ``i``: a copy of one template with three words set by ``i`` (even ``i``),
    or a text of its own (odd ``i``)."""

    def __init__(self, seed: int = 16):
        self.rng = random.Random(seed)
        self.words = vocabulary(self.rng)
        self.template = self.rng.choices(self.words, k=WORDS_PER_TEXT)

    def text(self, i: int) -> str:
        if i % 2:
            return " ".join(self.rng.choices(self.words, k=WORDS_PER_TEXT))
        words = list(self.template)
        # The post's number, date and a detail: what differs between such posts.
        for position, value in ((3, f"nr{i}"), (120, f"dnia{i % 365}"), (230, f"sala{i % 7}")):
            words[position] = value
        return " ".join(words)


def record(i: int, text: str) -> dict:
    url = f"https://copies.example.pl/aktualnosci/{i}"
    return {"id": f"{i:024d}", "site": "copies", "url": url, "canonical_url": url,
            "title": f"Ogłoszenie {i}", "published": "2026-11-22",
            "content_hash": f"sha256:{i}", "text": text,
            "fetched_at": "2026-11-22T10:00:00+00:00"}


def store_bytes(store, spec: str | None) -> int:
    if spec is None:
        path = Path(store.path)
        return sum(p.stat().st_size for p in (path, Path(f"{path}-wal")) if p.exists())
    return store.db.execute("SELECT pg_database_size(current_database())").fetchone()[0]


def near_duplicate_rows(store) -> int:
    return store.db.execute("SELECT count(*) FROM near_duplicates").fetchone()[0]


def timed(method, spent: list[float]):
    """``method``, appending the seconds each call takes to ``spent``."""
    def wrapper(*args, **kwargs):
        started = time.perf_counter()
        try:
            return method(*args, **kwargs)
        finally:
            spent.append(time.perf_counter() - started)
    return wrapper


def run(sizes: tuple[int, ...], spec: str | None, directory: Path) -> list[dict]:
    store = open_store(spec, directory) if spec else Store(directory / STORE_NAME)
    texts = Texts()
    run_id = store.start_run("benchmark")
    timings: list[float] = []
    indexing: list[float] = []  # one per new article, as save_article calls it once
    store._index_text = timed(store._index_text, indexing)
    results = []
    for n in sizes:
        for i in range(len(timings), n):
            one = record(i, texts.text(i))
            started = time.perf_counter()
            store.save_article(one, run_id)
            timings.append(time.perf_counter() - started)
        last = max(50, n // 10)
        window = timings[-last:]
        rows = near_duplicate_rows(store)
        results.append({"n": n, "median_ms": statistics.median(window) * 1000,
                        "mean_ms": statistics.fmean(window) * 1000,
                        "neardup_ms": statistics.median(indexing[-last:]) * 1000, "rows": rows,
                        "rows_per_article": rows / n, "bytes": store_bytes(store, spec)})
        print(f"N={n}: {results[-1]}", file=sys.stderr, flush=True)
    store.close()
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--large", action="store_true", help=f"also N = {LARGE:,}")
    parser.add_argument("--store", help="an empty PostgreSQL database (default: SQLite)")
    parser.add_argument("--sizes", help="other checkpoints, comma-separated (e.g. 100,3000)")
    args = parser.parse_args()
    sizes = SIZES + ((LARGE,) if args.large else ())
    if args.sizes:
        sizes = tuple(sorted(int(n) for n in args.sizes.split(",")))
    with tempfile.TemporaryDirectory() as tmp:
        results = run(sizes, args.store, Path(tmp))
    engine = "PostgreSQL" if args.store else "SQLite"
    print(f"{engine}, Python {platform.python_version()}, LSH index {neardup.SCHEME},"
          f" bucket cap {neardup.BUCKET_CAP}, at most {neardup.MAX_LINKS} links per article")
    print("| articles N | ms per article (median) | ms per article (mean) "
          "| of which near-duplicates (median) | near_duplicates rows | rows per article "
          "| store size |")
    print("|---|---|---|---|---|---|---|")
    for r in results:
        print(f"| {r['n']:,} | {r['median_ms']:.2f} | {r['mean_ms']:.2f}"
              f" | {r['neardup_ms']:.2f} | {r['rows']:,}"
              f" | {r['rows_per_article']:.1f} | {r['bytes'] / 1e6:.1f} MB |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
