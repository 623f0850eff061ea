"""`kronika fixtures regen`: goldens rebuilt from the stored pages, reviewed as a diff."""

from __future__ import annotations

import shutil
import subprocess
import sys

from tests.harness import FIXTURES, Mirror, redesigned_rops_krakow


def kronika(*args):
    return subprocess.run([sys.executable, "-m", "crawler.run.cli", *args], capture_output=True,
                          text=True, timeout=300)


def test_every_golden_in_the_repository_is_current():
    result = kronika("fixtures", "regen", "--check", "--fixtures", str(FIXTURES))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "rops_krakow: 9 articles, 0 golden(s) would change" in result.stdout


def test_a_changed_template_is_reported_then_rewritten(tmp_path):
    """The pages of a redesigned site, re-extracted: --check fails and names what changed;
    regen rewrites; a second --check passes."""
    fixtures = tmp_path / "fixtures"
    shutil.copytree(FIXTURES / "rops_krakow", fixtures / "rops_krakow")
    mirror = Mirror.load("rops_krakow", fixtures)
    redesigned = [p for p in mirror.articles() if p["layout"] == "current"]
    for page in redesigned:
        path = mirror.root / page["file"]
        path.write_bytes(redesigned_rops_krakow(page, path.read_bytes()))

    check = kronika("fixtures", "regen", "rops_krakow", "--check", "--fixtures", str(fixtures))
    assert check.returncode == 1, check.stdout + check.stderr
    assert f"rops_krakow: 9 articles, {len(redesigned)} golden(s) would change" in check.stdout
    assert '"method": "site"' in check.stdout and '"method": "generic"' in check.stdout
    assert "profile found no body; generic extraction used" in check.stdout
    golden = (mirror.root / redesigned[0]["expected"]).read_text(encoding="utf-8")

    write = kronika("fixtures", "regen", "rops_krakow", "--fixtures", str(fixtures))
    assert write.returncode == 0
    assert f"{len(redesigned)} golden(s) rewritten" in write.stdout
    assert (mirror.root / redesigned[0]["expected"]).read_text(encoding="utf-8") != golden
    again = kronika("fixtures", "regen", "rops_krakow", "--check", "--fixtures", str(fixtures))
    assert again.returncode == 0, again.stdout
