"""The `kronika` command line: sites, crawl, extract, export, verify and the rest.

Usage errors (unknown slug, unreadable file, bad URL or date, unwritable --out) print
one line, ``kronika: error: ...``, and exit 2, never a traceback. ``kronika`` with no
command prints the help and exits 2 too (nothing was done: a cron line that lost its
arguments must not pass for a run). ``--frontier`` and a PostgreSQL ``--store`` need the
extra ``kronika[scale]``; without it they are usage errors that name it.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, TextIO
from urllib.parse import urlsplit

from crawler import __version__
from crawler.devtools.fixtures import DEFAULT_DIR as DEFAULT_FIXTURES
from crawler.run.runner import EXIT_USAGE

if TYPE_CHECKING:
    from crawler.spider.saved import SavedSite


class UsageError(Exception):
    """Bad input from the user: reported in one line, exit status 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # one line, not argparse's usage block
        raise UsageError(message)


def _http_url(value: str, what: str = "URL") -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UsageError(f"bad {what} {value!r}: expected an http:// or https:// URL")
    return value


def _iso_date(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise UsageError(f"bad date {value!r}: expected YYYY-MM-DD") from None


def _date_range(since: str | None, until: str | None) -> tuple[date | None, date | None]:
    """--since and --until as dates; --since later than --until is a usage error."""
    first = _iso_date(since) if since else None
    last = _iso_date(until) if until else None
    if first and last and first > last:
        raise UsageError(f"--since {first} is later than --until {last}: no date is in both")
    return first, last


def _writable_dir(value: str) -> Path:
    path = Path(value)
    try:
        path.mkdir(parents=True, exist_ok=True)
        probe = path / f".kronika-write-test-{os.getpid()}"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as exc:
        raise UsageError(f"cannot write to --out {value!r}: {exc.strerror or exc}") from None
    return path


def build_parser() -> argparse.ArgumentParser:
    """The `kronika` argument parser: every subcommand and its options; bad arguments
    raise UsageError instead of exiting."""
    parser = _Parser(prog="kronika", description="Archival crawler for Polish public "
                     "social-policy news.", epilog="With no command, kronika prints this "
                     "help and exits with status 2.")
    parser.add_argument("--version", action="version", version=f"kronika {__version__}")
    # Not required: with no command, main() prints this help (exit 2).
    sub = parser.add_subparsers(dest="command", parser_class=_Parser)

    sites = sub.add_parser("sites", help="list the sites kronika knows")
    sites.add_argument("--out", metavar="DIR", help="also the sites without a profile saved "
                       "in this harvest directory (kronika crawl --url ... --save)")

    crawl = sub.add_parser("crawl", help="harvest sites into a harvest directory")
    crawl.add_argument("slugs", nargs="*", metavar="SLUG")
    crawl.add_argument("--all", action="store_true", help="every site")
    crawl.add_argument("--out", default="harvest", help="harvest directory (default ./harvest)")
    crawl.add_argument("--since", help="only articles published on or after YYYY-MM-DD")
    crawl.add_argument("--until", help="only articles published on or before YYYY-MM-DD")
    crawl.add_argument("--full", action="store_true", help="re-walk every listing page and "
                       "re-fetch every article (default: incremental)")
    crawl.add_argument("--recheck-days", type=int, default=7, metavar="N",
                       help="re-check known articles of the last N days with a conditional "
                       "GET (default 7)")
    crawl.add_argument("--overlap", type=int, default=1, metavar="PAGES",
                       help="listing pages holding only known articles read before paging "
                       "stops (default 1)")
    crawl.add_argument("--base-url", help="send all of the site's hosts to this mirror")
    crawl.add_argument("--url", metavar="START_URL", help="a site without a profile: the "
                       "generic spider, from this listing page, staying on its host")
    crawl.add_argument("--name", metavar="SLUG", help="with --url: the site's slug (default: "
                       "from its host, e.g. gops-starakepa.pl -> gops_starakepa)")
    crawl.add_argument("--save", nargs="?", const="", metavar="NAME", help="with --url: "
                       "record the site in the harvest's sites.json, so that `kronika crawl "
                       "NAME` and --all run it (NAME: default --name or the host's slug)")
    crawl.add_argument("--max-pages", type=int, help="listing pages per listing (default all)")
    crawl.add_argument("--delay", type=float, help="seconds between requests to a host "
                       "(default 1; robots.txt may ask for more)")
    crawl.add_argument("--timeout", type=float, metavar="SECONDS",
                       help="give up on a response after this long (default 60); retried")
    crawl.add_argument("--user-agent", help="the User-Agent (default names kronika and "
                       "$KRONIKA_CONTACT)")
    crawl.add_argument("--verbose", action="store_true", help="log to the terminal too")
    crawl.add_argument("--quiet", action="store_true", help="print only failures, drift "
                       "alarms and a non-zero exit status (for cron)")
    crawl.add_argument("--no-media", action="store_true",
                       help="do not fetch gallery images and attachments")
    crawl.add_argument("--no-requisites", action="store_true",
                       help="archive no page requisites (stylesheets, scripts, fonts, "
                       "template images): replay will be unstyled")
    crawl.add_argument("--wacz", action="store_true",
                       help="also package the harvest as <collection>.wacz")
    crawl.add_argument("--collection", default="kronika",
                       help="collection name written into each WARC's warcinfo")
    crawl.add_argument("--warc-max-size", type=int, default=1_000_000_000, metavar="BYTES",
                       help="start a new WARC file past this size (default 1 GB)")
    crawl.add_argument("--store", metavar="postgresql://USER@HOST/DB",
                       help="keep the store in PostgreSQL, shared by workers (default: the "
                       "SQLite file in --out)")
    crawl.add_argument("--frontier", metavar="redis://HOST:PORT/DB",
                       help="be one worker of a crawl shared through Redis (needs a "
                       "PostgreSQL --store; see docs/SCALING.md)")
    crawl.add_argument("--worker", metavar="NAME",
                       help="this worker's name with --frontier (default: host name and PID)")

    discover = sub.add_parser("discover", help="a dry run of the generic spider on a site: "
                              "feeds, sitemap, article links, dates and titles it would use")
    discover.add_argument("url", metavar="URL", help="the site's listing page")
    discover.add_argument("--base-url", help="send the site's hosts to this mirror")
    discover.add_argument("--json", action="store_true", help="print the findings as JSON")
    discover.add_argument("--delay", type=float, help="seconds between requests to a host")
    discover.add_argument("--timeout", type=float, metavar="SECONDS",
                          help="give up on a response after this long (default 60)")
    discover.add_argument("--user-agent", help="the User-Agent (default names kronika and "
                          "$KRONIKA_CONTACT)")
    discover.add_argument("--verbose", action="store_true",
                          help="Scrapy's log on the terminal (stderr)")

    extract = sub.add_parser("extract", help="print the Article JSON of one saved page")
    extract.add_argument("file", metavar="FILE|-")
    extract.add_argument("--url", required=True, help="the page's URL")
    extract.add_argument("--site", help="site slug (default: chosen by the URL's host)")
    extract.add_argument("--content-type", help="the page's HTTP Content-Type, if known")
    extract.add_argument("--listing-date", help="the date the listing showed for it")
    check = sub.add_parser("check", help="the canary: is each site still extracted right?")
    check.add_argument("slugs", nargs="*", metavar="SLUG", help="default: every site")
    check.add_argument("--live", action="store_true", required=True,
                       help="fetch each site's newest articles now (required)")
    check.add_argument("--base-url", help="probe a mirror of the (single) site instead")
    check.add_argument("--articles", type=int, default=3,
                       help="newest articles per listing (default 3)")
    check.add_argument("--json", metavar="PATH", help="also write the report as JSON")
    check.add_argument("--delay", type=float, help="seconds between requests to a host")
    check.add_argument("--log", metavar="FILE", help="write Scrapy's log to FILE (default: "
                       "no log; the report is one line per site)")
    check.add_argument("--verbose", action="store_true",
                       help="Scrapy's log on the terminal (stderr)")

    export = sub.add_parser("export", help="write the store's articles as JSON Lines, CSV "
                            "or Atom (to stdout unless --output)")
    export.add_argument("--out", default="harvest", help="harvest directory")
    export.add_argument("--format", required=True, choices=("jsonl", "csv", "atom"))
    export.add_argument("--site", help="only this site's articles")
    export.add_argument("--since", help="published on or after YYYY-MM-DD")
    export.add_argument("--until", help="published on or before YYYY-MM-DD")
    export.add_argument("--output", metavar="FILE", help="write here instead of stdout")
    export.add_argument("--store", metavar="postgresql://USER@HOST/DB",
                        help="read the PostgreSQL store a shared crawl wrote (default: the "
                        "SQLite file in --out)")

    reextract = sub.add_parser("reextract", help="rebuild the articles from the WARC files, "
                               "with no network")
    reextract.add_argument("--out", default="harvest", help="harvest directory")
    reextract.add_argument("--store", metavar="postgresql://USER@HOST/DB",
                           help="rebuild the PostgreSQL store a shared crawl wrote, from the "
                           "WARC files gathered in --out (default: the SQLite file in --out)")

    frontier = sub.add_parser("frontier", help="watch or drain a crawl shared through Redis "
                              "(docs/SCALING.md)")
    frsub = frontier.add_subparsers(dest="action", required=True, parser_class=_Parser)
    fstatus = frsub.add_parser("status", help="the generation, its workers (heartbeats, "
                               "counts) and each site's queue and requests in flight")
    fdrain = frsub.add_parser("drain", help="stop every worker cleanly: each finishes what it "
                              "holds, puts the rest back and exits; the next crawl is full")
    for cmd in (fstatus, fdrain):
        cmd.add_argument("--frontier", required=True, metavar="redis://HOST:PORT/DB",
                         help="the crawl's Redis (password: $KRONIKA_REDIS_PASSWORD)")
    fstatus.add_argument("--json", action="store_true", help="print the state as JSON")
    fdrain.add_argument("--wait", type=float, metavar="SECONDS",
                        help="wait until every worker has left (exit 1 if not in time)")

    verify = sub.add_parser("verify", help="check the harvest's fixity: every WARC file "
                            "against the SHA-256 its run recorded, every record's digests")
    verify.add_argument("--out", default="harvest", help="harvest directory (read only)")

    fixtures = sub.add_parser("fixtures", help="capture fixture pages, regenerate goldens")
    fsub = fixtures.add_subparsers(dest="action", required=True, parser_class=_Parser)
    regen = fsub.add_parser("regen", help="re-extract fixtures and rewrite the goldens, "
                            "printing a per-field diff")
    regen.add_argument("slugs", nargs="*", metavar="SLUG", help="default: every site")
    regen.add_argument("--check", action="store_true",
                       help="write nothing; exit 1 when any golden would change")
    regen.add_argument("--fixtures", default=str(DEFAULT_FIXTURES),
                       help="fixture folders (default tests/fixtures)")
    capture = fsub.add_parser("capture", help="fetch a site's first listing page and newest "
                              "articles (or the given article URLs) into its fixture folder")
    capture.add_argument("slug", metavar="SLUG")
    capture.add_argument("urls", nargs="*", metavar="URL", help="article pages to capture "
                         "instead of the listings")
    capture.add_argument("--articles", type=int, default=3,
                         help="newest articles per listing (default 3)")
    capture.add_argument("--base-url", help="capture from a mirror instead of the live site")
    capture.add_argument("--fixtures", default=str(DEFAULT_FIXTURES),
                         help="fixture folders (default tests/fixtures)")
    capture.add_argument("--delay", type=float, help="seconds between requests to a host")

    mirror = sub.add_parser("mirror", help="serve a bundled fixture mirror of a site on "
                            "127.0.0.1 (a reconstruction, for demos and tests)")
    mirror.add_argument("slug", metavar="SLUG")
    mirror.add_argument("--port", type=int, default=8765,
                        help="port on 127.0.0.1 (default 8765; 0: any free port)")

    new = sub.add_parser("new", help="start a new site: its spider module for a platform "
                         "and a fixture folder skeleton")
    new.add_argument("slug", metavar="SLUG")
    new.add_argument("--platform", required=True, metavar="NAME",
                     help="wordpress, joomla, webadministrator, liferay or custom")
    new.add_argument("--institution", required=True, help="the official Polish name")
    new.add_argument("--website", required=True, metavar="URL")
    new.add_argument("--voivodeship", help="e.g. łódzkie")
    new.add_argument("--unit-code", help="webadministrator: the unit's first path segment")
    new.add_argument("--spiders-dir", metavar="DIR", help="default: the checkout's spiders/")
    new.add_argument("--fixtures-dir", metavar="DIR",
                     help="default: the checkout's tests/fixtures/")
    return parser


def _fixture_dir(value: str) -> Path:
    path = Path(value)
    if not path.is_dir():
        raise UsageError(f"no fixture folder at {value!r} (run from the repository or "
                         "pass --fixtures)")
    return path


def cmd_fixtures(args) -> int:
    """`kronika fixtures`: run its `capture` or `regen` action. Returns the exit status."""
    return fixtures_capture(args) if args.action == "capture" else fixtures_regen(args)


def fixtures_capture(args) -> int:
    """`kronika fixtures capture`: fetch a site's pages into its fixture folder and print
    what was captured. Returns the exit status (1 when any page failed)."""
    from crawler.devtools.capture import run_capture
    from crawler.spider.sites import spider_class

    spider_class(args.slug)
    base = _writable_dir(args.fixtures)
    for url in args.urls:
        _http_url(url)
    if args.base_url:
        _http_url(args.base_url, "--base-url")
    if args.articles < 1:
        raise UsageError("--articles must be at least 1")
    site, failures = run_capture(args.slug, base, args.urls, args.base_url, args.articles,
                                 _delay_settings(args.delay))
    captured = [p for p in site.meta["pages"] if p.get("provenance") == "captured"]
    print(f"{args.slug}: {len(captured)} captured page(s) in {site.root} "
          f"(provenance: {site.meta['provenance']})")
    for failure in failures:
        print(f"  failed: {failure.url} ({failure.error})")
    print(f"next: kronika fixtures regen {args.slug} --fixtures {base}  (review the diff)")
    return 1 if failures else 0


def fixtures_regen(args) -> int:
    """`kronika fixtures regen`: re-extract the fixtures and rewrite their goldens (with
    --check, write nothing), printing a per-field diff. Returns the exit status (1 when
    --check finds a golden that would change)."""
    from crawler.devtools.fixtures import FixtureSite, available, regen
    from crawler.spider.sites import spider_class

    base = _fixture_dir(args.fixtures)
    slugs = args.slugs or available(base)
    for slug in slugs:
        spider_class(slug)
        if not (base / slug / "meta.json").exists():
            raise UsageError(f"site {slug!r} has no fixtures in {str(base)!r}")
    changed = 0
    for slug in slugs:
        result = regen(FixtureSite.load(slug, base), write=not args.check)
        changed += len(result.changed)
        verb = "would change" if args.check else "rewritten"
        print(f"{slug}: {result.checked} articles, {len(result.changed)} golden(s) {verb}")
        for path, lines in result.changed.items():
            print(path)
            print("\n".join(lines))
    return 1 if args.check and changed else 0


def cmd_check(args) -> int:
    """`kronika check --live`: run the canary over the sites and print one line per site
    (and the JSON report with --json). Returns the exit status (3 when any site fails)."""
    from crawler.components.finish import UNREACHABLE
    from crawler.monitor.canary import summary_line, write_json
    from crawler.run.check import log_settings, run_check
    from crawler.run.runner import EXIT_SITE_EMPTY
    from crawler.spider.sites import spider_class, spider_classes

    slugs = args.slugs or list(spider_classes())
    for slug in slugs:
        spider_class(slug)
    if args.base_url:
        _http_url(args.base_url, "--base-url")
        if len(slugs) != 1:
            raise UsageError("--base-url points one site at a mirror: name exactly one site")
    if args.articles < 1:
        raise UsageError("--articles must be at least 1")
    if args.verbose and args.log:
        raise UsageError("--verbose and --log: the log goes to the terminal or to a file")
    if args.log:
        _writable_file(args.log, "--log")
    result = run_check(slugs, args.base_url, args.articles,
                       {**_delay_settings(args.delay), **log_settings(args.verbose, args.log)})
    for report in result.reports:
        print(summary_line(report))
    if args.json:
        write_json(result.reports, args.json)
    if not result.reached:
        print(f"kronika: {UNREACHABLE}", file=sys.stderr)
    return 0 if all(r.ok for r in result.reports) else EXIT_SITE_EMPTY


def _writable_file(value: str, option: str) -> Path:
    """A file the command can write (created now, so that a bad path is a usage error
    before anything runs)."""
    path = Path(value)
    try:
        with open(path, "a", encoding="utf-8"):
            pass
    except OSError as exc:
        raise UsageError(f"cannot write {option} {value!r}: {exc.strerror or exc}") from None
    return path


def cmd_export(args) -> int:
    """`kronika export`: write the store's articles, filtered by site and dates, as JSON
    Lines, CSV or Atom to --output or stdout. Returns the exit status."""
    from archive.store import STORE_NAME, StoreDamaged
    from archive.stores import StoreSpecError, StoreUnreachable, open_store
    from crawler.spider.sites import spider_class

    first, last = _date_range(args.since, args.until)
    shared = _store_spec(args.store)
    store_path = Path(args.out) / STORE_NAME
    if shared is None and not store_path.exists():
        raise UsageError(f"no store at {str(store_path)!r}: run `kronika crawl` first")
    since = first.isoformat() if first else None
    until = last.isoformat() if last else None
    try:
        # Read-only (mode=ro, no journal switch): a harvest on read-only storage exports.
        store = open_store(shared, Path(args.out), readonly=True)
    except StoreUnreachable as exc:
        return _unreachable(exc)
    except (StoreSpecError, StoreDamaged) as exc:
        raise UsageError(str(exc)) from None
    with _damage_as_usage_error(store_path):
        records = store.iter_articles(args.site, since, until)
        if args.site and args.site != "generic":
            records = _site_records(args, store, records, spider_class)
        return _write_export(args, store, records)


def _site_records(args, store, records, spider_class):
    """``records`` of --site, checked: a profiled site, one saved in --out, or a site the
    store holds articles of (a --url run's slug); else a usage error naming the site."""
    import itertools

    from crawler.spider.sites import UnknownSite

    first = next(records, None)
    if first is not None:
        return itertools.chain([first], records)
    if args.site in _saved_sites(Path(args.out)) or next(
            store.iter_articles(args.site), None) is not None:  # none in the date range
        return iter(())
    try:
        spider_class(args.site)
    except UnknownSite as exc:
        store.close()
        raise UsageError(f"{exc.args[0]}; no articles of {args.site!r} in the store "
                         "either") from None
    return iter(())


@contextlib.contextmanager
def _damage_as_usage_error(store_path: Path):
    """A damaged page of the SQLite store met after the checks on open (they read the
    header and the schema; pages are read as they are needed): the one line of
    StoreDamaged, not a traceback."""
    import sqlite3

    from archive.store import StoreDamaged, is_damage

    try:
        yield
    except sqlite3.DatabaseError as exc:
        if not is_damage(exc):
            raise
        raise UsageError(str(StoreDamaged(store_path, str(exc)))) from None


def _write_export(args, store, records) -> int:
    """Write ``records`` as --format to --output or stdout, then close ``store``."""
    from archive.export import write_atom, write_csv, write_jsonl

    out: TextIO
    try:
        if args.output:
            out = open(args.output, "w", encoding="utf-8", newline="")
        else:
            out = sys.stdout
    except OSError as exc:
        raise UsageError(f"cannot write {args.output!r}: {exc.strerror or exc}") from None
    with out if args.output else contextlib.nullcontext(out):
        if args.format == "jsonl":
            write_jsonl(records, out)
        elif args.format == "csv":
            write_csv(records, out)
        else:
            write_atom(records, out, title=f"kronika: {args.site or 'all sites'}",
                       feed_id=args.site or "all")
    store.close()
    return 0


def _unreachable(exc: Exception) -> int:
    """A PostgreSQL --store (or a Redis --frontier) that does not answer: one line, and
    an exit status of its own (7), not the usage error's."""
    from crawler.scale.frontier import EXIT_UNREACHABLE

    print(f"kronika: error: {exc}", file=sys.stderr)
    return EXIT_UNREACHABLE


def cmd_reextract(args) -> int:
    """`kronika reextract`: rebuild the store's articles from the harvest's WARC files
    and print counts per site. Returns the exit status (4 when the harvest is locked)."""
    from archive.lock import HarvestLock, HarvestLocked
    from archive.store import STORE_NAME, StoreDamaged
    from archive.stores import StoreSpecError, StoreUnreachable
    from crawler.run.reextract import run_reextract

    store = _store_spec(args.store)
    out = Path(args.out)
    if not any((out / "warc").glob("*.warc.gz")):
        raise UsageError(f"no WARC files in {str(out / 'warc')!r}: nothing to re-extract")
    try:
        lock = HarvestLock(out).acquire("kronika reextract")
    except HarvestLocked as exc:
        print(f"kronika: {exc}; not re-extracting now", file=sys.stderr)
        return 4
    with lock, _damage_as_usage_error(out / STORE_NAME):
        try:
            summary = run_reextract(out, store)
        except StoreUnreachable as exc:
            return _unreachable(exc)
        except (StoreSpecError, StoreDamaged) as exc:
            raise UsageError(str(exc)) from None
    for site, counts in sorted(summary["sites"].items()):
        print(f"{site}: " + ", ".join(f"{n} {k}" for k, n in sorted(counts.items())))
    print(f"harvest: {out} (run {summary['run_id']}, re-extracted from WARC)")
    for problem in summary["problems"]:
        print(f"kronika: {problem}", file=sys.stderr)
    return 1 if summary["problems"] else 0


def cmd_verify(args) -> int:
    """`kronika verify`: check every WARC file of --out against the SHA-256 and size its
    run's manifest recorded, and every WARC record's digests; print a line per problem,
    then what was checked. Returns the exit status: 0, 1 when anything differs or is
    missing, 2 (a usage error) when there is no harvest or its store is damaged."""
    from archive.store import STORE_NAME, StoreDamaged
    from crawler.run.verify import HarvestUnreadable, verify

    out = Path(args.out)
    try:
        with _damage_as_usage_error(out / STORE_NAME):
            report = verify(out)
    except (HarvestUnreadable, StoreDamaged) as exc:
        raise UsageError(str(exc)) from None
    for problem in report.problems:
        print(problem)
    print("\n".join(report.lines()))
    return 1 if report.problems else 0


def cmd_sites(args) -> int:
    """`kronika sites`: print a table of the known sites and their fixtures' provenance.
    Returns the exit status."""
    from crawler.devtools.fixtures import DEFAULT_DIR
    from crawler.spider.sites import spider_classes

    def fixtures_of(slug: str) -> str:
        meta = DEFAULT_DIR / slug / "meta.json"
        if not meta.exists():
            return "none"
        return json.loads(meta.read_text(encoding="utf-8")).get("provenance", "unknown")

    header = ("slug", "institution", "website", "platform", "fixtures")
    rows = [(slug, cls.institution, cls.website, cls.platform, fixtures_of(slug))
            for slug, cls in spider_classes().items()]
    widths = [max(len(r[i]) for r in [*rows, header]) for i in range(len(header))]
    for row in [header, *rows]:
        print("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip())
    if all(r[4] == "none" for r in rows):
        print("(fixtures: run from the repository to see whether they are reconstructions)")
    if args.out is not None:
        _print_saved(Path(args.out))
    return 0


def _print_saved(out: Path) -> None:
    """The sites without a profile saved in the harvest ``out``, as a second table."""
    from crawler.spider.saved import sites_path

    saved = _saved_sites(out)
    if not saved:
        print(f"\nno sites without a profile saved in {sites_path(out)}")
        return
    print(f"\nsaved in {sites_path(out)} (generic spider):")
    header = ("slug", "start url", "base url", "max pages")
    rows = [(slug, site.url, site.base_url or "-",
             str(site.max_pages) if site.max_pages else "-") for slug, site in saved.items()]
    widths = [max(len(r[i]) for r in [*rows, header]) for i in range(len(header))]
    for row in [header, *rows]:
        print("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip())


def cmd_crawl(args) -> int:
    """`kronika crawl`: check the arguments and harvest the chosen sites into --out.
    Returns the exit status of the run (see crawler.run.runner)."""
    from crawler.run.runner import CrawlJob, run_crawl

    if args.url:
        _http_url(args.url, "--url")
        if args.all or args.slugs:
            raise UsageError("--url crawls one site without a profile: no slugs, no --all")
    elif args.name is not None or args.save is not None:
        raise UsageError("--name and --save name a site given with --url")
    if args.all and args.slugs:
        raise UsageError("give site slugs or --all, not both")
    if args.quiet and args.verbose:
        raise UsageError("--quiet and --verbose contradict each other")
    if args.base_url:
        _http_url(args.base_url, "--base-url")
    # Read before --out is created: a mistyped slug leaves nothing behind.
    slugs, unprofiled, save = _chosen_sites(args, Path(args.out))
    if args.base_url:
        _http_url(args.base_url, "--base-url")
        if len(slugs) != 1:
            raise UsageError("--base-url points one site at a mirror: name exactly one site")
    if args.max_pages is not None and args.max_pages < 1:
        raise UsageError("--max-pages must be at least 1")
    if args.recheck_days < 0 or args.overlap < 1:
        raise UsageError("--recheck-days must be 0 or more and --overlap at least 1")
    settings = _delay_settings(args.delay)
    if args.timeout is not None:
        if args.timeout <= 0:
            raise UsageError("--timeout must be more than 0 seconds")
        settings["DOWNLOAD_TIMEOUT"] = args.timeout
    if args.user_agent:
        settings["USER_AGENT"] = args.user_agent
    since, until = _date_range(args.since, args.until)
    worker = _shared_crawl(args)
    job = CrawlJob(slugs=slugs, out_dir=_writable_dir(args.out), base_url=args.base_url,
                   since=since, until=until, full=args.full,
                   max_pages=args.max_pages, verbose=args.verbose, quiet=args.quiet,
                   settings=settings,
                   start_url=args.url, unprofiled=unprofiled, save=save,
                   collection=args.collection, media=not args.no_media,
                   requisites=not args.no_requisites,
                   recheck_days=args.recheck_days, overlap=args.overlap,
                   wacz=args.wacz,
                   warc_max_size=args.warc_max_size,
                   store=args.store, frontier=args.frontier, worker=worker)
    from archive.store import StoreDamaged
    from archive.stores import StoreSpecError, StoreUnreachable
    from crawler.scale.frontier import EXIT_UNREACHABLE, FrontierError, FrontierUnreachable

    try:
        return run_crawl(job, " ".join(["kronika", *sys.argv[1:]]))
    except (StoreUnreachable, FrontierUnreachable) as exc:  # a server down: not usage
        print(f"kronika: error: {exc}", file=sys.stderr)
        return EXIT_UNREACHABLE
    except (StoreSpecError, FrontierError, StoreDamaged) as exc:
        raise UsageError(str(exc)) from None


def _saved_sites(out: Path) -> dict:
    """The sites without a profile saved in the harvest directory ``out``."""
    from crawler.spider.saved import SavedSitesError, load_saved

    try:
        return load_saved(out)
    except SavedSitesError as exc:
        raise UsageError(str(exc)) from None


def _chosen_sites(args, out: Path) -> tuple[list[str], dict, SavedSite | None]:
    """The slugs `kronika crawl` runs, the sites among them without a profile (slug ->
    SavedSite) and the site --save records (None without --save)."""
    from crawler.spider.saved import SavedSite, SavedSitesError, check_name, slug_for_url
    from crawler.spider.sites import UnknownSite, spider_class, spider_classes

    profiled = spider_classes()  # slug -> class, in the table's order
    saved = _saved_sites(out)
    if args.url:
        names = {n for n in (args.name, args.save) if n}
        if len(names) > 1:
            raise UsageError(f"--name {args.name} and --save {args.save}: one name for "
                             "the site")
        # The same start page saved before keeps its name.
        earlier = next((n for n, site in saved.items() if site.url == args.url), None)
        try:
            slug = check_name(names.pop(), profiled) if names else (
                earlier or slug_for_url(args.url, profiled))
        except SavedSitesError as exc:
            raise UsageError(str(exc)) from None
        if args.max_pages is not None and args.max_pages < 1:
            raise UsageError("--max-pages must be at least 1")
        site = SavedSite(slug, args.url, base_url=args.base_url, max_pages=args.max_pages,
                         media=not args.no_media,
                         saved_by=" ".join(["kronika", *sys.argv[1:]]))
        return [slug], {slug: site}, site if args.save is not None else None
    for slug in [s for s in saved if s in profiled]:
        # Saved before kronika had a profile of that name: the profile reads it now.
        print(f"kronika: {slug} has a profile now; its entry in {str(out)!r}'s sites file "
              "is not used", file=sys.stderr)
        del saved[slug]
    slugs = [*profiled, *sorted(saved)] if args.all else list(dict.fromkeys(args.slugs))
    if not slugs:
        raise UsageError("name at least one site (see `kronika sites`) or use --all")
    for slug in slugs:
        if slug not in saved:
            try:
                spider_class(slug)
            except UnknownSite:
                known = ", ".join([*profiled, *saved]) if saved else ", ".join(profiled)
                raise UsageError(f"unknown site {slug!r} (known: {known}; sites without "
                                 f"a profile saved in {str(out)!r} too)") from None
    return slugs, {slug: saved[slug] for slug in slugs if slug in saved}, None


def _delay_settings(delay: float | None) -> dict:
    """The Scrapy settings of a command's --delay (one rule for every command that
    fetches: crawl, check, fixtures capture)."""
    from crawler.components.settings import delay_settings

    if delay is not None and delay < 0:
        raise UsageError("--delay cannot be negative")
    return delay_settings(delay)


SCALE_EXTRA = "pip install 'kronika[scale]'"


def _need_scale(option: str, modules: tuple[str, ...]) -> None:
    """A usage error naming the extra when ``option`` needs a client library that is not
    installed (kronika[scale]: scrapy-redis, redis, psycopg)."""
    for module in modules:
        try:
            __import__(module)
        except ImportError:
            raise UsageError(f"{option} needs the {module} client, which is not installed: "
                             f"{SCALE_EXTRA}") from None


def _store_spec(spec: str | None) -> str | None:
    """A checked --store value (None: the harvest's SQLite file); a bad one is a usage
    error, and so is a PostgreSQL store without its client (kronika[scale])."""
    from archive.stores import StoreSpecError, check_spec, is_shared

    try:
        spec = check_spec(spec)
    except StoreSpecError as exc:
        raise UsageError(str(exc)) from None
    if is_shared(spec):
        _need_scale("--store postgresql://...", ("psycopg",))
    return spec


def _shared_crawl(args) -> str | None:
    """Check --store, --frontier and --worker; the worker's name (None without
    --frontier)."""
    from archive.stores import is_shared

    _store_spec(args.store)
    if not args.frontier:
        if args.worker:
            raise UsageError("--worker names a worker of a shared crawl: add --frontier")
        return None
    _need_scale("--frontier", ("redis", "scrapy_redis"))
    from crawler.scale.frontier import FrontierError, parse_frontier_url, worker_name

    try:
        parse_frontier_url(args.frontier)
        worker = worker_name(args.worker)
    except FrontierError as exc:
        raise UsageError(str(exc)) from None
    if not is_shared(args.store):
        raise UsageError("--frontier shares one crawl between workers: they need a shared "
                         "--store postgresql://... too")
    if args.wacz:
        raise UsageError("--wacz packages a whole harvest; a --frontier worker writes only "
                         "part of one (see docs/SCALING.md)")
    return worker


def cmd_mirror(args) -> int:
    """`kronika mirror`: serve a bundled fixture mirror on 127.0.0.1 until Ctrl-C.
    Returns the exit status."""
    from crawler.devtools.fixtures import DEFAULT_DIR, available
    from crawler.devtools.mirror import Mirror, MirrorServer, serve_until_interrupted

    slugs = available(DEFAULT_DIR)
    if args.slug not in slugs:
        raise UsageError(f"no bundled mirror of {args.slug!r} (mirrors: "
                         f"{', '.join(slugs) or 'none'})")
    if not 0 <= args.port <= 65535:
        raise UsageError(f"bad --port {args.port}: expected 0 to 65535")
    try:
        server = MirrorServer(Mirror.load(args.slug), port=args.port)
    except OSError as exc:
        raise UsageError(f"cannot serve on 127.0.0.1:{args.port}: "
                         f"{exc.strerror or exc}") from None
    serve_until_interrupted(server, f"the {args.slug} mirror (a reconstruction)")
    return 0


def cmd_extract(args) -> int:
    """`kronika extract`: print the Article JSON of one saved page (a file or stdin).
    Returns the exit status."""
    from crawler import extract_article

    _http_url(args.url)
    try:
        body = sys.stdin.buffer.read() if args.file == "-" else Path(args.file).read_bytes()
    except OSError as exc:
        raise UsageError(f"cannot read {args.file!r}: {exc.strerror or exc}") from None
    from crawler.extract import ExtractionError

    try:
        record = extract_article(body, args.url, args.site, content_type=args.content_type,
                                 listing_date=args.listing_date)
    except ExtractionError as exc:
        raise UsageError(f"cannot extract {args.file!r}: {exc}") from None
    json.dump(record, sys.stdout, ensure_ascii=False, indent=2)
    sys.stdout.write("\n")
    return 0


def cmd_discover(args) -> int:
    """`kronika discover`: fetch a handful of a site's pages politely and print what the
    generic spider would do there (--json: as JSON). Returns the exit status: 0, 1 when
    the start page could not be read, 3 when no article source was found."""
    from crawler.run.check import log_settings
    from crawler.run.discover import exit_status, report_lines, run_discover
    from crawler.spider.saved import slug_for_url
    from crawler.spider.sites import spider_classes

    _http_url(args.url)
    if args.base_url:
        _http_url(args.base_url, "--base-url")
    settings = {**_delay_settings(args.delay), **log_settings(args.verbose, None)}
    if args.timeout is not None:
        if args.timeout <= 0:
            raise UsageError("--timeout must be more than 0 seconds")
        settings["DOWNLOAD_TIMEOUT"] = args.timeout
    if args.user_agent:
        settings["USER_AGENT"] = args.user_agent
    if not (args.base_url or args.user_agent or os.environ.get("KRONIKA_USER_AGENT")
            or os.environ.get("KRONIKA_CONTACT")):
        from crawler.run.runner import NO_CONTACT_WARNING

        print(NO_CONTACT_WARNING, file=sys.stderr)  # the site sees who asks, as in crawl
    findings = run_discover(args.url, slug_for_url(args.url, spider_classes()),
                            args.base_url, settings)
    findings["exit_code"] = exit_status(findings)
    if args.json:
        json.dump(findings, sys.stdout, ensure_ascii=False, indent=2)
        sys.stdout.write("\n")
    else:
        print("\n".join(report_lines(findings)))
    return findings["exit_code"]


def cmd_new(args) -> int:
    """`kronika new`: scaffold a new site's spider module and fixture folder. Returns the
    exit status."""
    from crawler.devtools.scaffold import ScaffoldError, run_new

    try:
        return run_new(args)
    except ScaffoldError as exc:
        raise UsageError(str(exc)) from None


def cmd_frontier(args) -> int:
    """`kronika frontier status|drain`: 0 when done, 7 when Redis does not answer, 1 when
    a drain --wait ran out of time."""
    _need_scale("kronika frontier", ("redis",))
    from crawler.scale import admin
    from crawler.scale.frontier import EXIT_UNREACHABLE, FrontierError, FrontierUnreachable

    try:
        if args.action == "status":
            report = admin.status(args.frontier)
            print(json.dumps(report, indent=2) if args.json
                  else "\n".join(admin.status_lines(report)))
            return 0
        generation, live = admin.drain(args.frontier)
        if generation is None:
            print("no crawl has started in this frontier: nothing to drain")
            return 0
        print(f"generation {generation}: {live} live worker(s) asked to drain; each finishes "
              "what it holds, puts the rest back and exits. The next crawl walks everything")
        if args.wait is not None and not admin.wait_drained(args.frontier, args.wait):
            print(f"kronika: workers still alive after {args.wait:g} s", file=sys.stderr)
            return 1
        return 0
    except FrontierUnreachable as exc:
        print(f"kronika: error: {exc}", file=sys.stderr)
        return EXIT_UNREACHABLE
    except FrontierError as exc:
        raise UsageError(str(exc)) from None


COMMANDS = {"sites": cmd_sites, "crawl": cmd_crawl, "extract": cmd_extract,
            "fixtures": cmd_fixtures, "check": cmd_check, "reextract": cmd_reextract,
            "export": cmd_export, "mirror": cmd_mirror, "new": cmd_new,
            "discover": cmd_discover, "verify": cmd_verify, "frontier": cmd_frontier}


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `kronika` console script."""
    from crawler.spider.sites import UnknownSite

    try:
        parser = build_parser()
        args = parser.parse_args(argv)
        if args.command is None:  # `kronika` alone: what there is to do (exit 2)
            parser.print_help()
            return EXIT_USAGE
        return COMMANDS[args.command](args)
    except (UsageError, UnknownSite) as exc:
        print(f"kronika: error: {exc.args[0] if exc.args else exc}", file=sys.stderr)
        return EXIT_USAGE
    except Exception as exc:
        # A PostgreSQL --store lost in the middle of a command (an export's stream):
        # one line and its own status, not a traceback.
        from archive.stores import StoreUnreachable

        if not isinstance(exc, StoreUnreachable):
            raise
        return _unreachable(exc)
    except BrokenPipeError:  # `kronika extract ... | head`: the reader left, not an error
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except KeyboardInterrupt:
        print("kronika: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
