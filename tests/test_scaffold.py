"""`kronika new`: the scaffolded spider is a valid one at once, on every platform.

Each platform's scaffold is written into temporary folders and imported as
``spiders.<slug>`` (the real package's path is extended for the test), then put through
the contract test's own checks; the fixture skeleton must be what docs/MIRRORS.md
describes, and a second run must refuse without touching what the first wrote.
"""

from __future__ import annotations

import importlib
import json
import sys
from pathlib import Path

import pytest

import spiders
from crawler.devtools.mirror import Mirror
from crawler.devtools.scaffold import PLATFORMS, ScaffoldError, default_dirs, scaffold
from crawler.run.cli import main
from crawler.spider.base import SiteSpider
from crawler.spider.platforms.joomla import JoomlaMixin
from crawler.spider.platforms.liferay import LiferayMixin, liferay_article_pattern
from crawler.spider.platforms.webadministrator import WebAdministratorMixin
from crawler.spider.platforms.wordpress import WordPressMixin
from crawler.spider.sites import spider_classes
from tests import test_contract

INSTITUTION = "Miejski Ośrodek Pomocy Społecznej w Przykładowie"
WEBSITE = "https://www.mops-przyklad.pl"
HEADINGS = ("Institution:", "Voivodeship:", "Website:", "Sections harvested:", "Platform:",
            "Caveats:", "Spider arguments:", "Fixtures verified:")


@pytest.fixture
def dirs(tmp_path, monkeypatch):
    """Temporary spiders/ and fixtures/ folders; spiders/ importable as ``spiders``."""
    spider_classes()  # the registry is cached before the package's path grows
    folders = tmp_path / "spiders", tmp_path / "fixtures"
    for folder in folders:
        folder.mkdir()
    monkeypatch.setattr(spiders, "__path__", [*spiders.__path__, str(folders[0])])
    yield folders
    for name in [n for n in sys.modules if n.startswith("spiders.mops_przyklad")]:
        del sys.modules[name]


def new_spider(dirs, platform, **kwargs):
    slug = f"mops_przyklad_{platform}"
    module, root = scaffold(slug, platform, INSTITUTION, WEBSITE, *dirs,
                            voivodeship="łódzkie", **kwargs)
    importlib.invalidate_caches()
    cls = getattr(importlib.import_module(f"spiders.{slug}"),
                  f"MopsPrzyklad{platform.capitalize()}Spider")
    return slug, cls, module, root


@pytest.mark.parametrize("platform", sorted(PLATFORMS))
def test_the_scaffold_is_a_valid_spider(dirs, platform, monkeypatch):
    slug, cls, module, root = new_spider(dirs, platform, unit_code="mpp")
    assert module == dirs[0] / f"{slug}.py" and root == dirs[1] / slug
    assert issubclass(cls, SiteSpider) and cls.name == slug
    assert len(module.read_text(encoding="utf-8").splitlines()) <= 150
    for heading in HEADINGS:
        assert f"    {heading}" in cls.__doc__, heading
    # The contract every spider keeps, with the skeleton as its fixture mirror.
    test_contract.test_identity(slug, cls)
    test_contract.check_coverage(slug, cls, Mirror.load(slug, dirs[1]))
    test_contract.test_start_requests_every_listing_and_feed(slug, cls)
    test_contract.test_every_run_starts_in_site_spider_start(slug, cls)
    test_contract.test_module_import_does_no_io(slug, cls, monkeypatch)


def test_platform_defaults_are_applied_not_restated(dirs):
    _, wordpress, module, _ = new_spider(dirs, "wordpress")
    assert "platform" not in vars(wordpress) and wordpress.platform == "WordPress"
    assert wordpress.listings == (
        WordPressMixin.wp_listing(f"{WEBSITE}/category/aktualnosci/"),)
    assert wordpress.profiles == (WordPressMixin.wp_profile(),)
    assert wordpress().wp_rest_url(1).startswith(f"{WEBSITE}/wp-json/wp/v2/posts?")
    assert "_css=" not in module.read_text(encoding="utf-8")  # no selector restated

    _, joomla, _, _ = new_spider(dirs, "joomla")
    assert joomla.listings == (JoomlaMixin.joomla_listing(f"{WEBSITE}/aktualnosci"),)
    assert joomla.profiles == (JoomlaMixin.joomla_profile(),)

    _, liferay, _, _ = new_spider(dirs, "liferay")
    assert liferay.profiles == (LiferayMixin.liferay_profile(
        url_pattern=liferay_article_pattern("www.mops-przyklad.pl")),)
    assert liferay.url_rewrites == LiferayMixin.url_rewrites
    assert liferay.drop_params == LiferayMixin.drop_params

    # The unit code may come from the website's path; everything else is derived.
    slug = "mops_przyklad_webadministrator"
    scaffold(slug, "webadministrator", INSTITUTION, f"{WEBSITE}/mpp/", *dirs)
    police = importlib.import_module(f"spiders.{slug}").MopsPrzykladWebadministratorSpider
    assert police.website == WEBSITE and police.unit_code == "mpp"
    assert police.allowed_domains == ["mops-przyklad.pl"] and police.feeds == ()
    assert police.listings == (WebAdministratorMixin.webadministrator_listing(
        f"{WEBSITE}/mpp/aktualnosci/bieza"),)


def test_the_fixture_skeleton_is_a_reconstruction_with_placeholders(dirs):
    slug, _, _, root = new_spider(dirs, "wordpress")
    meta = json.loads((root / "meta.json").read_text(encoding="utf-8"))
    assert meta["site"] == slug and meta["provenance"] == "reconstruction"
    assert "not captured" in meta["reconstruction_note"]
    assert meta["hosts"] == ["www.mops-przyklad.pl"]
    listing, article = meta["pages"]
    assert listing["kind"] == "listing" and listing["article_urls"] == [article["url"]]
    assert article["kind"] == "article" and article["expected"].startswith("expected/")
    assert all(s.startswith("PLACEHOLDER") for s in article["must_contain"])
    assert "Przejdź do treści" in article["must_not_contain"]
    assert not any((root / "pages").iterdir()) and not any((root / "expected").iterdir())


def test_a_second_run_refuses_and_leaves_the_first_alone(dirs):
    slug, _, module, root = new_spider(dirs, "joomla")
    before = module.read_text(encoding="utf-8"), (root / "meta.json").read_text("utf-8")
    with pytest.raises(ScaffoldError, match="exists already"):
        scaffold(slug, "custom", "Inna nazwa", "https://inny.pl", *dirs)
    assert (module.read_text(encoding="utf-8"), (root / "meta.json").read_text("utf-8")) == before
    # Either half existing is enough to refuse.
    module.unlink()
    with pytest.raises(ScaffoldError, match="exists already"):
        scaffold(slug, "joomla", INSTITUTION, WEBSITE, *dirs)
    assert not module.exists()


@pytest.mark.parametrize(("slug", "platform", "website", "message"), [
    ("Rops-Nowy", "wordpress", WEBSITE, "bad slug"),
    ("1rops", "wordpress", WEBSITE, "bad slug"),
    ("rops nowy", "wordpress", WEBSITE, "bad slug"),
    ("class", "wordpress", WEBSITE, "bad slug"),
    ("generic", "wordpress", WEBSITE, "bad slug"),
    ("rops_nowy", "drupal", WEBSITE, "unknown platform"),
    ("rops_nowy", "wordpress", "www.rops-nowy.pl", "bad website"),
    ("rops_nowy", "webadministrator", WEBSITE, "unit code"),
])
def test_bad_input_is_refused_and_nothing_written(dirs, slug, platform, website, message):
    with pytest.raises(ScaffoldError, match=message):
        scaffold(slug, platform, INSTITUTION, website, *dirs)
    assert not any(dirs[0].iterdir()) and not any(dirs[1].iterdir())


def test_kronika_new_writes_then_refuses_in_one_line_with_status_2(dirs, capsys):
    spiders_dir, fixtures_dir = map(str, dirs)
    argv = ["new", "mops_przyklad_cli", "--platform", "custom", "--institution", INSTITUTION,
            "--website", WEBSITE, "--spiders-dir", spiders_dir, "--fixtures-dir", fixtures_dir]
    assert main(argv) == 0
    assert (dirs[0] / "mops_przyklad_cli.py").exists()
    assert (dirs[1] / "mops_przyklad_cli" / "meta.json").exists()
    capsys.readouterr()
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("kronika: error: site 'mops_przyklad_cli' exists already")
    assert err.count("\n") == 1
    assert main([*argv[:3], "nope", *argv[4:]]) == 2  # --platform nope
    assert "unknown platform 'nope'" in capsys.readouterr().err


def test_the_default_folders_are_the_checkouts():
    spiders_dir, fixtures_dir = default_dirs()
    assert spiders_dir == Path(spiders.__file__).resolve().parent
    assert (fixtures_dir / "rops_krakow" / "meta.json").exists()
