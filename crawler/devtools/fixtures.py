"""Fixture folders (tests/fixtures/<slug>/): read them, re-extract them, diff goldens.

In a checkout the folders are ``tests/fixtures``; the package reaches them through the
``crawler/devtools/mirrors`` link, which is also how a wheel carries them (so the
bundled mirrors serve from any install, and nothing reads the working directory).

A fixture folder holds a site's pages as served (``pages/``), their provenance
(``meta.json``: reconstructed from documented facts, or captured from the live site) and
the golden Article JSON of each article page (``expected/``). ``kronika fixtures regen``
re-extracts every article page and rewrites its golden, printing a per-field diff for a
person to review; ``--check`` only reports. Layout: docs/MIRRORS.md.
"""

from __future__ import annotations

import difflib
import json
from dataclasses import dataclass
from pathlib import Path

from crawler import extract_article

DEFAULT_DIR = Path(__file__).parent / "mirrors"
# What changes with every fetch, not with the page: left out of goldens.
VOLATILE = ("fetched_at", "capture")


def stable(record: dict) -> dict:
    """The record without its per-fetch fields."""
    return {k: v for k, v in record.items() if k not in VOLATILE}


def dump(record: dict) -> str:
    """A golden file's text: sorted keys, two-space indent, UTF-8, final newline."""
    return json.dumps(stable(record), ensure_ascii=False, indent=2, sort_keys=True) + "\n"


@dataclass
class FixtureSite:
    """One site's fixture folder."""

    slug: str
    root: Path
    meta: dict

    @classmethod
    def load(cls, slug: str, base: Path = DEFAULT_DIR) -> FixtureSite:
        root = Path(base) / slug
        meta = json.loads((root / "meta.json").read_text(encoding="utf-8"))
        return cls(slug, root, meta)

    def save_meta(self) -> None:
        (self.root / "meta.json").write_text(
            json.dumps(self.meta, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")

    def pages(self, kind: str | None = None) -> list[dict]:
        return [p for p in self.meta["pages"] if kind is None or p["kind"] == kind]

    def articles(self) -> list[dict]:
        return self.pages("article")

    def body(self, page: dict) -> bytes:
        return (self.root / page["file"]).read_bytes()

    def extract(self, page: dict) -> dict:
        """The Article of an article page, extracted as a crawl would (listing date too)."""
        return extract_article(self.body(page), page["url"], self.slug,
                               content_type=page.get("content_type"),
                               listing_date=page.get("listing_date"))

    def golden_path(self, page: dict) -> Path:
        return self.root / page["expected"]


def available(base: Path = DEFAULT_DIR) -> list[str]:
    """Slugs that have a fixture folder under ``base``."""
    return sorted(p.parent.name for p in Path(base).glob("*/meta.json"))


def field_diff(old: dict, new: dict) -> list[str]:
    """Readable per-field differences between two records (old golden -> new)."""
    lines = []
    for key in sorted(set(old) | set(new)):
        before, after = old.get(key), new.get(key)
        if before == after:
            continue
        if isinstance(before, str) and isinstance(after, str) and (
                "\n" in before or "\n" in after or max(len(before), len(after)) > 100):
            lines.append(f"  {key}:")
            lines += ["    " + line.rstrip("\n") for line in difflib.unified_diff(
                before.splitlines(), after.splitlines(), "old", "new", lineterm="", n=1)]
        else:
            lines.append(f"  {key}: {json.dumps(before, ensure_ascii=False)}"
                         f" -> {json.dumps(after, ensure_ascii=False)}")
    return lines


@dataclass
class RegenResult:
    """What regenerating one site's goldens found."""

    slug: str
    checked: int
    changed: dict  # golden path -> per-field diff lines (a new golden: ["  (new golden)"])


def regen(site: FixtureSite, write: bool) -> RegenResult:
    """Re-extract every article page of ``site``; rewrite changed goldens if ``write``."""
    changed = {}
    articles = site.articles()
    for page in articles:
        path = site.golden_path(page)
        new_text = dump(site.extract(page))
        old_text = path.read_text(encoding="utf-8") if path.exists() else None
        if new_text == old_text:
            continue
        changed[str(path)] = (["  (new golden)"] if old_text is None else
                              field_diff(json.loads(old_text), json.loads(new_text)))
        if write:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(new_text, encoding="utf-8")
    return RegenResult(site.slug, len(articles), changed)
