"""The README's generated tables match the code: every site, every module, nothing gone."""

from __future__ import annotations

from crawler.devtools import docs
from crawler.spider.sites import spider_classes

README = docs.ROOT / "README.md"


def test_readme_tables_are_current():
    current = README.read_text(encoding="utf-8")
    assert docs.render(current) == current, (
        "README.md's generated tables are stale: run python -m crawler.devtools.docs")


def test_site_table_names_every_spider_with_what_it_harvests():
    table = docs.site_table()
    for slug, cls in spider_classes().items():
        row = next(line for line in table.splitlines() if line.startswith(f"| `{slug}` |"))
        cells = [c.strip() for c in row.strip("|").split(" | ")]
        assert cells[1] == cls.institution and cells[3], f"{slug}: {row}"


def test_layout_table_lists_every_module_and_only_existing_ones():
    rows = [line.split("`")[1] for line in docs.layout_table().splitlines()
            if line.startswith("| `")]
    modules = {p.relative_to(docs.ROOT).as_posix() for pkg in ("crawler", "archive")
               for p in (docs.ROOT / pkg).rglob("*.py")
               if p.name != "__init__.py" or p.read_text(encoding="utf-8").strip()}
    assert modules <= set(rows), f"missing from the layout table: {sorted(modules - set(rows))}"
    listed = {r for r in rows if "<" not in r}
    assert all((docs.ROOT / r).exists() for r in listed)
    # Every listed module says what it is for.
    assert all(line.rstrip(" |").split("| ")[-1] for line in docs.layout_table().splitlines()
               if line.startswith("| `"))


def test_stale_readme_is_detected(tmp_path):
    stale = tmp_path / "README.md"
    stale.write_text(README.read_text(encoding="utf-8").replace("| `mcps` |", "| `mcps2` |"),
                     encoding="utf-8")
    assert docs.main(["--readme", str(stale), "--check"]) == 1
    assert docs.main(["--readme", str(stale)]) == 0
    assert docs.main(["--readme", str(stale), "--check"]) == 0
