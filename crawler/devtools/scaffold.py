"""`kronika new`: start a new site, a spider module and a fixture folder skeleton.

One site is one spider module plus one fixture folder (docs/MIRRORS.md). ``scaffold``
writes both for a platform: ``spiders/<slug>.py`` holds the class docstring headings the
site table reads, the identity attributes and the platform's listing and profile factory
calls with no overrides (the mixin's defaults are the majority's; a site adds only what
its pages do differently); ``tests/fixtures/<slug>/`` holds a ``meta.json`` marked as a
reconstruction with placeholder pages and empty ``pages/`` and ``expected/`` folders. The
contract test passes on the new spider at once; tests/test_sites.py fails on the fixture
until its pages are written (or captured) and its placeholders filled: loudly, by design.

    kronika new rops_przyklad --platform wordpress --institution "..." --website https://...
"""

from __future__ import annotations

import json
import keyword
import re
from datetime import date
from pathlib import Path
from urllib.parse import urlsplit

# The platform name on the command line -> (mixin, its module); None: a custom SiteSpider.
PLATFORMS = {
    "wordpress": ("WordPressMixin", "crawler.spider.platforms.wordpress"),
    "joomla": ("JoomlaMixin", "crawler.spider.platforms.joomla"),
    "webadministrator": ("WebAdministratorMixin", "crawler.spider.platforms.webadministrator"),
    "liferay": ("LiferayMixin", "crawler.spider.platforms.liferay"),
    "custom": None,
}
SLUG = re.compile(r"[a-z][a-z0-9_]*")
# Slugs taken by something other than a site spider.
RESERVED = {"generic"}
# Chrome nearly every Polish public site prints (aesthetics.md 8.4): never article text.
COMMON_CHROME = ["Przejdź do treści", "Wersja kontrastowa", "Deklaracja dostępności"]
PLACEHOLDER = "PLACEHOLDER"


class ScaffoldError(ValueError):
    """A slug, platform or address the scaffold refuses (a one-line message)."""


def default_dirs() -> tuple[Path | None, Path | None]:
    """The checkout's ``spiders/`` and ``tests/fixtures/`` beside the installed ``crawler``
    package (an editable install), or None for each one that is not there."""
    import crawler

    root = Path(crawler.__file__).resolve().parent.parent
    spiders, fixtures = root / "spiders", root / "tests" / "fixtures"
    return (spiders if spiders.is_dir() else None, fixtures if fixtures.is_dir() else None)


def camel(slug: str) -> str:
    """``rops_zielona_gora`` -> ``RopsZielonaGora``."""
    return "".join(part.capitalize() for part in slug.split("_"))


def check(slug: str, platform: str, website: str, spiders_dir: Path | None,
          fixtures_dir: Path | None) -> None:
    """Raise ScaffoldError for anything ``scaffold`` would refuse; write nothing."""
    if not SLUG.fullmatch(slug) or keyword.iskeyword(slug) or slug in RESERVED:
        raise ScaffoldError(f"bad slug {slug!r}: lowercase ASCII letters, digits and _, "
                            "starting with a letter (e.g. rops_lublin)")
    if platform not in PLATFORMS:
        raise ScaffoldError(f"unknown platform {platform!r} (one of: {', '.join(PLATFORMS)})")
    parts = urlsplit(website)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ScaffoldError(f"bad website {website!r}: expected an http:// or https:// URL")
    if spiders_dir is None or fixtures_dir is None:
        missing = "--spiders-dir" if spiders_dir is None else "--fixtures-dir"
        raise ScaffoldError(f"no checkout beside the installed package: pass {missing}")
    for path in (Path(spiders_dir) / f"{slug}.py", Path(fixtures_dir) / slug):
        if path.exists():
            raise ScaffoldError(f"site {slug!r} exists already: {path}")


def scaffold(slug: str, platform: str, institution: str, website: str,
             spiders_dir: Path | None, fixtures_dir: Path | None, *, voivodeship: str = "",
             unit_code: str = "", today: date | None = None) -> tuple[Path, Path]:
    """Write ``<spiders_dir>/<slug>.py`` and ``<fixtures_dir>/<slug>/``; return both paths.

    Refuses (ScaffoldError, nothing written) an invalid or taken slug, an unknown platform,
    a website that is not an http(s) URL, and a WebAdministrator unit without its unit
    code (``unit_code``, or the website's first path segment)."""
    check(slug, platform, website, spiders_dir, fixtures_dir)
    assert spiders_dir is not None and fixtures_dir is not None  # check() refuses None
    institution = institution.strip().rstrip(".")
    # The name goes into docstrings and string literals as written.
    if not institution or re.search(r'[\\\x00-\x1f]|"""', institution):
        raise ScaffoldError(f"bad institution {institution!r}: give the official Polish "
                            "name on one line")
    if platform == "webadministrator":
        # The mixin builds every address from the bare website and the unit code.
        parts = urlsplit(website)
        unit_code = unit_code or parts.path.strip("/").split("/")[0]
        if not re.fullmatch(r"[a-z0-9]+", unit_code):
            raise ScaffoldError("webadministrator needs the unit code (the first path "
                                "segment of the unit's URLs, e.g. era): pass --unit-code")
        website = f"{parts.scheme}://{parts.netloc}"
    site = _Site(slug, platform, institution.strip(), website, voivodeship.strip(), unit_code,
                 (today or date.today()).isoformat())
    module = Path(spiders_dir) / f"{slug}.py"
    root = Path(fixtures_dir) / slug
    module.parent.mkdir(parents=True, exist_ok=True)
    module.write_text(site.module(), encoding="utf-8")
    (root / "pages").mkdir(parents=True)
    (root / "expected").mkdir()
    (root / "meta.json").write_text(
        json.dumps(site.meta(), ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    return module, root


class _Site:
    """What the two files are written from."""

    def __init__(self, slug, platform, institution, website, voivodeship, unit_code, today):
        self.slug, self.platform, self.institution = slug, platform, institution
        self.website, self.voivodeship, self.unit_code = website, voivodeship, unit_code
        self.today = today
        self.host = urlsplit(website).hostname or ""
        self.domain = self.host.removeprefix("www.")
        root = website.rstrip("/")
        # The listing each platform's sites most often have; an assumption to check.
        self.listing_url, self.article_url, self.layout = {
            "wordpress": (f"{root}/category/aktualnosci/", f"{root}/placeholder-article/",
                          "wordpress"),
            "joomla": (f"{root}/aktualnosci", f"{root}/aktualnosci/1-placeholder-article",
                       "joomla"),
            "webadministrator": (f"{root}/{unit_code}/{_police_section()}",
                                 f"{root}/{unit_code}/{_police_section()}/1,Placeholder.html",
                                 "webadministrator"),
            "liferay": (f"{root}/aktualnosci", f"{root}/-/placeholder-article", "liferay"),
            "custom": (f"{root}/aktualnosci", f"{root}/aktualnosci/placeholder-article",
                       "current"),
        }[platform]

    # -- spiders/<slug>.py ---------------------------------------------------------------
    def module(self) -> str:
        mixin = PLATFORMS[self.platform]
        imports = ["from crawler.spider.base import SiteSpider"]
        if mixin:
            names = mixin[0] + (", liferay_article_pattern" if self.platform == "liferay" else "")
            imports.append(f"from {mixin[1]} import {names}")
        else:
            imports.append("from crawler.extract.profile import Listing, Profile")
        bases = f"{mixin[0]}, SiteSpider" if mixin else "SiteSpider"
        platform_name = {"wordpress": "WordPress", "joomla": "Joomla",
                         "webadministrator": "WebAdministrator", "liferay": "Liferay",
                         "custom": "custom CMS (not identified)"}[self.platform]
        arguments = "since, until, max_pages, max_articles, base_url"
        return "\n".join([
            f'"""{self.institution}."""',
            "",
            *sorted(imports, key=lambda line: line.split()[1]),
            "",
            "",
            f"class {camel(self.slug)}Spider({bases}):",
            f'    """{self.institution}: news.',
            "",
            f"    Institution: {self.institution}",
            f"    Voivodeship: {self.voivodeship or PLACEHOLDER}",
            f"    Website: {self.website}",
            f"    Sections harvested: the news listing {self.listing_url}",
            f"    Platform: {platform_name}",
            "    Caveats: the listing address is assumed, not observed. Record each quirk of",
            "        the site here with the date it was seen.",
            f"    Spider arguments: {arguments}.",
            f"    Fixtures verified: never against the live site (tests/fixtures/{self.slug} is",
            f"        a reconstruction skeleton, {self.today}).",
            '    """',
            "",
            f"    name = {_q(self.slug)}",
            f"    institution = {_q(self.institution)}",
            f"    voivodeship = {_q(self.voivodeship)}",
            f"    website = {_q(self.website)}",
            *self._body(),
            "",
        ])

    def _body(self) -> list[str]:
        domains = f"    allowed_domains = [{_q(self.domain)}]"
        if self.platform == "wordpress":
            return [domains, "",
                    "    # Read by WordPressMixin.discovery_requests: the website's REST listing",
                    "    # first; the feeds and listings are its fallback.",
                    "    listings = (",
                    f"        WordPressMixin.wp_listing({_q(self.listing_url)}),",
                    "    )", "",
                    "    # Read by crawler.extract: pass only the selectors the theme changes.",
                    "    profiles = (",
                    "        WordPressMixin.wp_profile(),",
                    "    )"]
        if self.platform == "joomla":
            return [domains, "",
                    "    # Read by SiteSpider.parse_listing: a com_content category blog.",
                    "    listings = (",
                    f"        JoomlaMixin.joomla_listing({_q(self.listing_url)}),",
                    "    )", "",
                    "    # Read by crawler.extract: pass only the selectors the template changes.",
                    "    profiles = (",
                    "        JoomlaMixin.joomla_profile(),",
                    "    )"]
        if self.platform == "webadministrator":
            return ["    # Read by WebAdministratorMixin, which derives the domains, listings,",
                    "    # profile and feed from them; site_id (/dokumenty/zalaczniki/<siteId>/)",
                    "    # adds the unit's RSS feed.",
                    f"    unit_code = {_q(self.unit_code)}",
                    "    site_id = None"]
        if self.platform == "liferay":
            return [domains,
                    "    # Read by LiferayMixin: the Asset Publisher instance ids whose paging",
                    "    # parameters are dropped from article URLs.",
                    "    liferay_instances = ()", "",
                    "    # Read by SiteSpider.parse_listing: an Asset Publisher listing.",
                    "    listings = (",
                    f"        LiferayMixin.liferay_listing({_q(self.listing_url)}),",
                    "    )", "",
                    "    # Read by crawler.extract.",
                    "    profiles = (",
                    "        LiferayMixin.liferay_profile(",
                    f"            url_pattern=liferay_article_pattern({_q(self.host)})),",
                    "    )"]
        return ['    platform = "custom CMS (not identified)"', domains, "",
                "    # Read by SiteSpider.parse_listing. HTML5 guesses, to be replaced by the",
                "    # site's own ids and class names once the mirror shows them.",
                "    listings = (",
                f"        Listing({_q(self.listing_url)},",
                '                item_css="article",',
                '                link_css="h2 a::attr(href)",',
                '                date_css="time",',
                '                next_css="a[rel=next]::attr(href)",',
                '                layout="current"),',
                "    )", "",
                "    # Read by crawler.extract.",
                "    profiles = (",
                '        Profile(layout="current",',
                '                content_css="main article",',
                '                title_css="h1",',
                '                date_css="time"),',
                "    )"]

    # -- tests/fixtures/<slug>/meta.json -------------------------------------------------
    def meta(self) -> dict:
        page = {"content_type": "text/html; charset=utf-8", "layout": self.layout,
                "encoding": "utf-8"}
        return {
            "site": self.slug,
            "provenance": "reconstruction",
            "reconstruction_note": f"{PLACEHOLDER}: what the mirror was rebuilt from "
                                   "(research notes, seeds, public page sources); not "
                                   "captured from the live site. Written by `kronika new` "
                                   f"on {self.today}: replace every placeholder page.",
            "inferences": [f"the listing address {self.listing_url} is assumed, not observed"],
            "hosts": [self.host],
            "pages": [
                {"url": self.listing_url, "file": _file(self.listing_url), **page,
                 "kind": "listing", "article_urls": [self.article_url], "next_url": None},
                {"url": self.article_url, "file": _file(self.article_url), **page,
                 "kind": "article", "expected": "expected/placeholder-article.json",
                 "listing_date": None,
                 "must_contain": [f"{PLACEHOLDER}: the first body sentence",
                                  f"{PLACEHOLDER}: the last body sentence",
                                  f"{PLACEHOLDER}: one image caption"],
                 "must_not_contain": [*COMMON_CHROME,
                                      f"{PLACEHOLDER}: the site's menu labels"]},
            ],
        }


def _police_section() -> str:
    """The listing a WebAdministrator unit walks unless it names its own."""
    from crawler.spider.platforms.webadministrator import WebAdministratorMixin

    return WebAdministratorMixin.listing_sections[0]


def _file(url: str) -> str:
    """``pages/<host>/<path>.html``, the query folded in (``?page=2`` -> ``__page-2``)."""
    parts = urlsplit(url)
    path = parts.path.strip("/") or "index"
    if parts.query:
        path += "__" + re.sub(r"[^\w-]+", "-", parts.query.replace("=", "-")).strip("-")
    return f"pages/{parts.hostname}/{path.removesuffix('.html')}.html"


def _q(value: str) -> str:
    """A double-quoted Python string literal (JSON's escapes are Python's)."""
    return json.dumps(value, ensure_ascii=False)


def run_new(args) -> int:
    """`kronika new`: scaffold from parsed arguments and say what was written."""
    spiders_dir, fixtures_dir = default_dirs()
    module, root = scaffold(args.slug, args.platform, args.institution, args.website,
                            Path(args.spiders_dir) if args.spiders_dir else spiders_dir,
                            Path(args.fixtures_dir) if args.fixtures_dir else fixtures_dir,
                            voivodeship=args.voivodeship or "", unit_code=args.unit_code or "")
    print(f"{args.slug}: wrote {module} and {root}/ (fill the placeholders in its "
          "meta.json, add the pages, then `kronika fixtures regen`)")
    return 0
