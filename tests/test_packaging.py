"""Packaging: what the wheel declares and carries, and Scrapy's own command line in a
checkout (scrapy.cfg).

* Every third-party library the code imports is declared, in [project] dependencies or,
  for the scale-out clients, in the extra ``kronika[scale]``; the core runs without it.
* The wheel carries the JSON Schema, the LICENSE (in its dist-info), the fixture mirror
  server and every file of the bundled mirrors.
* ``scrapy list`` and ``scrapy crawl SLUG`` work from the checkout with kronika's store,
  WARC recorder and politeness.
"""

from __future__ import annotations

import ast
import json
import re
import shutil
import sqlite3
import subprocess
import sys
import tomllib
import zipfile
from importlib.metadata import packages_distributions
from pathlib import Path

import pytest

from crawler import __version__
from crawler.devtools.mirror import FIXTURES, Mirror, MirrorServer
from crawler.spider.sites import spider_classes
from tests.harness import assert_warcs_valid, goldens, stored

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("crawler", "archive", "spiders")
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
# The clients of the scale-out services: only in kronika[scale].
SCALE_IMPORTS = {"redis", "scrapy_redis", "psycopg"}


def normalized(requirement: str) -> str:
    """The distribution name of a requirement, normalized (PEP 503)."""
    name = re.match(r"[A-Za-z0-9._-]+", requirement).group(0)
    return re.sub(r"[-_.]+", "-", name).lower()


def third_party_imports() -> dict[str, set[str]]:
    """top-level module -> the files importing it, for every import (module level or
    inside a function) in the packages that is neither stdlib nor kronika's own."""
    found: dict[str, set[str]] = {}
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.Import):
                    names = [alias.name for alias in node.names]
                elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    names = [node.module]
                else:
                    continue
                for name in names:
                    top = name.split(".")[0]
                    if top not in sys.stdlib_module_names and top not in PACKAGES:
                        found.setdefault(top, set()).add(str(path.relative_to(ROOT)))
    return found


def test_every_third_party_import_is_declared():
    core = {normalized(r) for r in PROJECT["dependencies"]}
    scale = {normalized(r) for r in PROJECT["optional-dependencies"]["scale"]}
    distributions = packages_distributions()
    imports = third_party_imports()
    assert {"scrapy", "lxml", "twisted", "protego", "tldextract", "cssselect"} <= set(imports)
    missing = []
    for module, files in sorted(imports.items()):
        names = {normalized(d) for d in distributions.get(module, [])}
        assert names, f"{module} (imported in {sorted(files)}) is not installed"
        declared = scale if module in SCALE_IMPORTS else core
        if not names & declared:
            where = "kronika[scale]" if module in SCALE_IMPORTS else "[project] dependencies"
            missing.append(f"{module} ({'/'.join(sorted(names))}, imported in "
                           f"{', '.join(sorted(files))}) is not in {where}")
    assert not missing, "\n".join(missing)
    # The scale-out clients are not forced on every install, and the tests get them.
    assert not core & scale
    assert "kronika[scale]" in PROJECT["optional-dependencies"]["test"]


def test_the_core_crawls_without_the_scale_extra(tmp_path):
    """With redis, scrapy_redis and psycopg impossible to import, `kronika crawl` of a
    mirror still succeeds (the frontier module loads without them)."""
    blocked = ("import sys\n"
               "for name in ('redis', 'scrapy_redis', 'psycopg'):\n"
               "    sys.modules[name] = None\n"
               "from crawler.run.cli import main\n"
               "sys.exit(main(sys.argv[1:]))\n")
    with MirrorServer(Mirror.load("rops_krakow")) as server:
        result = subprocess.run(
            [sys.executable, "-c", blocked, "crawl", "rops_krakow", "--base-url",
             server.base_url, "--delay", "0", "--no-media", "--out", str(tmp_path)],
            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    assert len(stored(tmp_path)) == len(goldens(Mirror.load("rops_krakow")))


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> zipfile.ZipFile:
    """The wheel, built offline from a copy of the checkout (not to leave build/ in it)."""
    src = tmp_path_factory.mktemp("src")
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        shutil.copy2(ROOT / name, src / name)
    for package in PACKAGES:
        shutil.copytree(ROOT / package, src / package, symlinks=True, ignore=ignore)
    # crawler/devtools/mirrors is a link to tests/fixtures
    shutil.copytree(ROOT / "tests" / "fixtures", src / "tests" / "fixtures", ignore=ignore)
    out = tmp_path_factory.mktemp("dist")
    result = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
         "--no-index", "-q", "-w", str(out), str(src)],
        capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout + result.stderr
    (path,) = out.glob("kronika-*.whl")
    with zipfile.ZipFile(path) as archive:
        yield archive


def test_the_wheel_carries_schema_license_and_mirrors(wheel):
    names = set(wheel.namelist())
    dist_info = f"kronika-{__version__}.dist-info"
    assert "crawler/schema/article-1.0.json" in names
    assert wheel.read("crawler/schema/article-1.0.json") == (
        ROOT / "crawler/schema/article-1.0.json").read_bytes()
    assert wheel.read(f"{dist_info}/licenses/LICENSE") == (ROOT / "LICENSE").read_bytes()
    assert b"MIT License" in wheel.read(f"{dist_info}/licenses/LICENSE")
    assert {"crawler/devtools/mirror.py", "crawler/devtools/fixtures.py",
            "crawler/components/settings.py", "crawler/components/standalone.py",
            "archive/harvest.py", "spiders/rops_krakow.py"} <= names
    # Every file every bundled mirror names: its pages, their goldens, its meta.json.
    for meta in FIXTURES.glob("*/meta.json"):
        site = meta.parent
        wanted = {"meta.json", *(p["file"] for p in json.loads(meta.read_text())["pages"]),
                  *(p["expected"] for p in json.loads(meta.read_text())["pages"]
                    if p.get("expected"))}
        absent = sorted(f for f in wanted if f"crawler/devtools/mirrors/{site.name}/{f}"
                        not in names)
        assert not absent, f"{site.name}: {absent[:5]}"
    metadata = wheel.read(f"{dist_info}/METADATA").decode()
    assert f"Version: {__version__}" in metadata
    assert "License-Expression: MIT" in metadata and "License-File: LICENSE" in metadata
    assert "Provides-Extra: scale" in metadata
    assert re.search(r"Requires-Dist: psycopg\[binary\]>=[\d.]+; extra == \"scale\"", metadata)
    assert "Requires-Dist: protego" in metadata
    entry_points = wheel.read(f"{dist_info}/entry_points.txt").decode()
    assert "kronika = crawler.run.cli:main" in entry_points


def scrapy(*args, cwd=ROOT):
    return subprocess.run([str(Path(sys.executable).with_name("scrapy")), *args], cwd=cwd,
                          capture_output=True, text=True, timeout=300)


def test_scrapy_list_in_the_checkout():
    result = scrapy("list")
    assert result.returncode == 0, result.stderr
    listed = result.stdout.split()
    assert listed == sorted(spider_classes()) and len(listed) >= 19


def test_scrapy_crawl_in_the_checkout_keeps_a_harvest(tmp_path):
    """A bare `scrapy crawl` runs with kronika's components: politeness (robots.txt,
    kronika's User-Agent), the WARC recorder and the store, in the KRONIKA_OUT harvest."""
    out = tmp_path / "harvest"
    mirror = Mirror.load("rops_krakow")
    with MirrorServer(mirror) as server:
        result = scrapy("crawl", "rops_krakow", "-a", f"base_url={server.base_url}",
                        "-s", f"KRONIKA_OUT={out}", "-s", "DOWNLOAD_DELAY=0",
                        "-s", "AUTOTHROTTLE_START_DELAY=0", "-s", "DOWNLOAD_DELAY_JITTER=0")
        requests = list(server.requests)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "Traceback" not in result.stderr, result.stderr[-3000:]
    assert requests[0]["path"] == "/robots.txt"
    assert all("kronika/" in r["user_agent"] for r in requests)
    articles = stored(out)
    assert sorted(a["url"] for a in articles) == sorted(goldens(mirror))
    assert all(a["extraction"]["method"] == "site" and a["capture"] for a in articles)
    warcs = list((out / "warc").glob("*.warc.gz"))
    assert warcs
    assert_warcs_valid(out)
    assert (out / "indexes" / "index.cdxj").stat().st_size > 0
    manifest = json.loads((out / "runs" / "run-00001.json").read_text())
    assert manifest["exit_code"] == 0 and manifest["finish_reason"] == "finished"
    assert manifest["sites"]["rops_krakow"]["new"] == len(articles)
    db = sqlite3.connect(out / "kronika.sqlite")
    assert db.execute("SELECT count(*) FROM runs WHERE exit_code = 0").fetchone()[0] == 1
