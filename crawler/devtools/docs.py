"""The README's generated tables: the sites (from the spiders) and the code layout (from the tree).

Both tables sit between marker comments in README.md and are rewritten from the code, so
they cannot drift from it: ``python -m crawler.devtools.docs`` rewrites them, ``--check``
exits 1 when the README is stale, and a test runs the check.

The site table reads each spider's identity attributes and the "Sections harvested"
heading of its class docstring; the layout table reads the first line of every module's
docstring.
"""

from __future__ import annotations

import argparse
import ast
import re
import sys
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("spiders", "crawler", "archive")
_MARKERS = {"sites": ("<!-- sites:begin -->", "<!-- sites:end -->"),
            "layout": ("<!-- layout:begin -->", "<!-- layout:end -->")}
# The fixed headings of a spider's class docstring (research: aesthetics 8.3).
_HEADING = re.compile(r"^\s{4}([A-Z][a-z]+(?: [a-z]+)*): ?(.*)$")


def docstring_headings(doc: str | None) -> dict[str, str]:
    """``Heading: text`` sections of a docstring, continuation lines joined."""
    fields: dict[str, str] = {}
    current = None
    for line in (doc or "").splitlines():
        match = _HEADING.match(line)
        if match:
            current = match.group(1)
            fields[current] = match.group(2).strip()
        elif current and line.startswith("        ") and line.strip():
            fields[current] += " " + line.strip()
        else:
            current = None
    return fields


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


def site_table() -> str:
    """The Markdown table of every site with a profile."""
    from crawler.spider.sites import spider_classes

    rows = ["| slug | institution | platform | what is harvested |", "|---|---|---|---|"]
    for slug, cls in spider_classes().items():
        sections = docstring_headings(cls.__doc__).get("Sections harvested", "")
        rows.append(f"| `{slug}` | {_cell(cls.institution)} | {_cell(cls.platform)} | "
                    f"{_cell(sections)} |")
    return "\n".join(rows)


def _summary_line(path: Path) -> str:
    doc = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8"))) or ""
    return doc.strip().splitlines()[0] if doc.strip() else ""


def layout_table(root: Path = ROOT) -> str:
    """The Markdown table of every module of the three packages, in tree order."""
    rows = ["| module | what it is for |", "|---|---|"]
    for package in PACKAGES:
        for path in sorted((root / package).rglob("*.py")):
            rel = path.relative_to(root).as_posix()
            if package == "spiders" and path.name != "__init__.py":
                continue  # one module per site: the site table lists them
            line = _summary_line(path)
            if path.name == "__init__.py" and not line:
                continue
            rows.append(f"| `{rel}` | {_cell(line)} |")
    rows.append("| `spiders/<slug>.py` | one spider per site, named by its slug "
                "(the site table above) |")
    return "\n".join(rows)


def render(readme: str) -> str:
    """The README with both generated tables rewritten."""
    for name, table in (("sites", site_table), ("layout", layout_table)):
        begin, end = _MARKERS[name]
        pattern = re.compile(re.escape(begin) + r".*?" + re.escape(end), re.S)
        if not pattern.search(readme):
            raise ValueError(f"README.md has no {begin} ... {end} block")
        readme = pattern.sub(_literal(f"{begin}\n{table()}\n{end}"), readme, count=1)
    return readme


def _literal(text: str) -> Callable[[re.Match[str]], str]:
    # A re.sub replacement inserting ``text`` as is (its backslashes are no escapes).
    return lambda _m: text


def main(argv: list[str] | None = None) -> int:
    """`python -m crawler.devtools.docs [--check]`: rewrite README.md's generated tables, or
    with ``--check`` only report whether they are stale. Returns the exit status."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--readme", type=Path, default=ROOT / "README.md")
    parser.add_argument("--check", action="store_true",
                        help="write nothing; exit 1 if the README's tables are stale")
    args = parser.parse_args(argv)
    current = args.readme.read_text(encoding="utf-8")
    fresh = render(current)
    if fresh == current:
        return 0
    if args.check:
        print(f"{args.readme}: generated tables are stale; run python -m crawler.devtools.docs",
              file=sys.stderr)
        return 1
    args.readme.write_text(fresh, encoding="utf-8")
    print(f"{args.readme}: tables rewritten")
    return 0


if __name__ == "__main__":
    sys.exit(main())
