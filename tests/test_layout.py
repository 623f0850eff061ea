"""The code's layers import one way: spiders -> crawler -> archive, and never tests/.

Inside ``crawler`` the subpackages are layered too (lowest first): extraction, the
records spiders yield, monitoring, the spider framework, the Scrapy components,
scale-out, developer tooling, runs and the CLI. A module may import its own layer and
the layers below it, never one above: data flows one way, and a reader can take the
packages in this order.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LAYERS = [
    "archive",
    "crawler.extract",
    "crawler.items",
    "crawler.monitor",
    "crawler.spider",
    "crawler.components",
    "crawler.scale",
    "crawler.devtools",
    "crawler.run",
    "spiders",
]
# The package's front door (version, extract_article) may reach any layer, lazily.
FACADE = "crawler"


def layer_of(module: str) -> int | None:
    """The index of the layer a dotted module name belongs to (None: outside the code)."""
    best = None
    for i, name in enumerate(LAYERS):
        if module == name or module.startswith(name + "."):
            best = i if best is None or len(name) > len(LAYERS[best]) else best
    return best


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(path: Path) -> list[tuple[int, str]]:
    """(line, imported module) for every import in the file, relative ones resolved."""
    module = module_name(path)
    package = module if path.name == "__init__.py" else module.rsplit(".", 1)[0]
    return imports_in(path.read_text(encoding="utf-8"), package)


def imports_in(source: str, package: str) -> list[tuple[int, str]]:
    tree = ast.parse(source)
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(anchor + ([base] if base else []))
            found.append((node.lineno, base))
            # "from crawler import extract" names a subpackage, not an attribute.
            found += [(node.lineno, f"{base}.{a.name}") for a in node.names]
    return found


SOURCES = sorted(p for top in ("archive", "crawler", "spiders")
                 for p in (ROOT / top).rglob("*.py"))


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(ROOT)))
def test_imports_flow_one_way(path):
    module = module_name(path)
    mine = layer_of(module)
    assert mine is not None or module == FACADE, f"{module} is in no layer"
    wrong = []
    for line, target in imports_of(path):
        top = target.split(".")[0]
        if top == "tests":
            wrong.append(f"line {line}: production code imports {target}")
            continue
        theirs = layer_of(target)
        if module == FACADE or theirs is None:
            continue
        if theirs > mine:
            wrong.append(f"line {line}: {module} ({LAYERS[mine]}) imports {target} "
                         f"({LAYERS[theirs]}, a higher layer)")
    assert not wrong, "\n".join(wrong)


def test_every_package_is_in_a_layer():
    packages = {module_name(p.parent) for p in SOURCES if p.name == "__init__.py"}
    outside = sorted(p for p in packages if layer_of(p) is None and p != FACADE)
    assert not outside, f"packages in no layer: {outside}"


def test_the_layer_check_sees_upward_imports():
    # The check must be able to fail: relative and absolute imports of a higher layer.
    for source in ("from crawler.extract import extract\n", "from ..crawler import items\n",
                   "import crawler.run.cli\n"):
        targets = [t for _, t in imports_in(source, "archive")]
        assert any((layer_of(t) or 0) > layer_of("archive") for t in targets), source
