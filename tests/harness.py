"""What the tests share: crawls in a subprocess, the store and WARC readers, the fixture
mirrors and their test-only transforms, and ``wait_until``, the one way a test waits.

Test modules import their helpers from here, never from one another.

Waiting: a test that waits for something polls for it with ``wait_until``, which fails
with a message when its deadline passes, so a wait can never end silently and let the
test go on to prove nothing. A fixed ``time.sleep`` is only for behaviour under test (a
server that is slow on purpose: see ``slowly``).
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from crawler.devtools.fixtures import stable

# without_newest is not test-only (benchmarks/incremental_requests.py uses it too), so it
# stays in crawler/devtools/mirror.py.
from crawler.devtools.mirror import FIXTURES, Mirror, MirrorServer, without_newest

__all__ = [
    "FIXTURES",
    "MIRRORS",
    "NOW",
    "SEEDS",
    "WARCIO",
    "Mirror",
    "MirrorServer",
    "article_requests",
    "assert_warcs_valid",
    "count_articles",
    "crawl",
    "extract_page",
    "goldens",
    "kill",
    "redesigned_rops_krakow",
    "seed_lines",
    "slowly",
    "stable",
    "start_crawl",
    "stored",
    "wait_until",
    "without_newest",
]

# Dates are judged against this instant, never against today.
NOW = datetime(2026, 11, 22, 12, 0, tzinfo=ZoneInfo("Europe/Warsaw"))
WARCIO = Path(sys.executable).with_name("warcio")
# Every site with a fixture mirror (tests/fixtures/<slug>/meta.json).
MIRRORS = sorted(p.parent.name for p in FIXTURES.glob("*/meta.json"))
# The seed pages' text (docs/seeds/), as a naive text extraction of each page.
SEEDS = Path(__file__).parent / "fixtures" / "seeds"


# -- waiting ------------------------------------------------------------------------------
def wait_until(predicate, timeout: float, what: str, *, running=(), interval: float = 0.05):
    """Poll ``predicate`` until it returns something true, and return that. Fail with
    "timed out after <timeout> s waiting for <what>" once ``timeout`` seconds pass, and at
    once if a process in ``running`` (that the condition needs alive) has exited."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        for process in running:
            if process.poll() is not None:
                raise AssertionError(f"process {process.pid} exited ({process.returncode}) "
                                     f"while waiting for {what}")
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(interval)


# -- crawls ---------------------------------------------------------------------------------
def _crawl_args(base_url, out, extra, slug) -> list[str]:
    return [sys.executable, "-m", "crawler.run.cli", "crawl", slug, "--base-url", base_url,
            "--out", str(out), "--delay", "0", *extra]


def crawl(base_url, out, *extra, slug="rops_krakow"):
    """One `kronika crawl` in a subprocess (the Twisted reactor cannot restart), exactly as
    cron would run it, with ``--base-url`` sending all of the site's hosts to the mirror.
    Every WARC file it leaves must pass `warcio check` (every WARC the tests
    write)."""
    result = subprocess.run(_crawl_args(base_url, out, extra, slug), capture_output=True,
                            text=True, timeout=300, check=False)
    assert_warcs_valid(out)
    return result


def start_crawl(base_url, out, *extra, slug="rops_krakow") -> subprocess.Popen:
    """A `kronika crawl` left running (to be watched, and killed), output discarded."""
    return subprocess.Popen(_crawl_args(base_url, out, extra, slug),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def kill(process: subprocess.Popen) -> None:
    """SIGKILL a process this test started, by its PID, and reap it."""
    os.kill(process.pid, signal.SIGKILL)
    process.wait()


def article_requests(server, since: int = 0) -> int:
    """How many of the mirror's article pages ``server`` has been asked for, counting the
    requests from number ``since`` on (a request is logged as it arrives, before its
    answer is sent)."""
    asked = set()
    for request in server.requests[since:]:
        page = server.mirror.find(request["host"], request["path"])
        if page is not None and page["kind"] == "article":
            asked.add(page["url"])
    return len(asked)


def without_requisites(requests: list[dict]) -> list[dict]:
    """A mirror's logged requests for pages, feeds, robots.txt and media: those for page
    requisites (crawler.components.requisites) carry a browser's Accept for their kind,
    and are left out."""
    from crawler.components.requisites import ACCEPT

    kinds = set(ACCEPT.values())
    return [r for r in requests if r.get("accept") not in kinds]


# -- what a crawl leaves --------------------------------------------------------------------
def assert_warcs_valid(out) -> None:
    """`warcio check` passes on every WARC file under ``out``."""
    files = sorted(str(p) for p in Path(out).glob("warc/*.warc.gz"))
    if files:
        check = subprocess.run([str(WARCIO), "check", *files], capture_output=True, text=True,
                               check=False)
        assert check.returncode == 0, check.stdout + check.stderr


def stored(out) -> list[dict]:
    """Every article record in the harvest's store."""
    db = sqlite3.connect(Path(out) / "kronika.sqlite")
    try:
        return [json.loads(r[0]) for r in db.execute("SELECT record FROM articles")]
    finally:
        db.close()


def count_articles(out) -> int:
    """Articles stored so far by a crawl that may still be creating its store."""
    try:
        db = sqlite3.connect(f"file:{Path(out) / 'kronika.sqlite'}?mode=ro", uri=True)
    except sqlite3.Error:  # not created yet
        return 0
    try:
        return db.execute("SELECT count(*) FROM articles").fetchone()[0]
    except sqlite3.Error:  # its schema not yet written
        return 0
    finally:
        db.close()


# -- fixture mirrors ------------------------------------------------------------------------
def goldens(mirror) -> dict[str, dict]:
    """Goldens of the mirror's articles by URL, one per article: pages marked
    "duplicate_of" (the same article under an alias host or another menu path) are left
    out."""
    return {p["url"]: json.loads((mirror.root / p["expected"]).read_text(encoding="utf-8"))
            for p in mirror.articles() if not p.get("duplicate_of")}


def extract_page(mirror, page: dict) -> dict:
    """Extract a mirror's article page the way a crawl does (with its listing date)."""
    return mirror.extract(page)


def seed_lines(name: str) -> list[str]:
    """A seed file's lines, whitespace (no-break spaces too) collapsed to single spaces."""
    path = SEEDS / Path(name).name
    return [" ".join(line.split()) for line in path.read_text(encoding="utf-8").splitlines()]


# -- page transforms (MirrorServer(transform=...): (page, body) -> body) --------------------
def slowly(seconds: float, kind: str | None = None):
    """A transform that answers every page (or every page of ``kind``) ``seconds`` late:
    a slow server on purpose, so that a crawl is still running, or a request still in
    flight, when the test acts. The delay is the behaviour under test, not a wait."""

    def transform(page: dict, body: bytes) -> bytes:
        if kind is None or page.get("kind") == kind:
            time.sleep(seconds)
        return body

    return transform


def redesigned_rops_krakow(page: dict, body: bytes) -> bytes:
    """rops.krakow.pl after an imagined redesign: the current layout's article classes
    renamed (BEM "article__title"/"article__body" -> "entry-title"/"entry-content"), as a
    new theme would. Listings and the older generations are untouched."""
    if page.get("layout") != "current" or page["kind"] != "article":
        return body
    for old, new in ((b"article__title", b"entry-title"), (b"article__body", b"entry-content"),
                     (b"article__date", b"entry-date")):
        body = body.replace(old, new)
    return body


# -- store records shared by the store tests of both engines ---------------------------
def record(text="Treść artykułu.", url="https://rops.krakow.pl/aktualnosci/a", id_="a" * 24):
    return {"id": id_, "site": "rops_krakow", "url": url, "canonical_url": url,
            "title": "Tytuł", "published": "2024-06-28", "content_hash": f"sha256:{hash(text)}",
            "text": text, "fetched_at": "2026-11-22T10:00:00+00:00"}


MOPS = [
    "11 maja 2018 roku w Urzędzie Miasta Radomska odbyła się konferencja Miejskiego Ośrodka "
    "Pomocy Społecznej w Radomsku i Miasta Radomska pt. Mamo, Tato - bycie z Tobą daje moc.",
    "Zaproszonych gości przywitał Dyrektor Miejskiego Ośrodka Pomocy Społecznej w Radomsku, "
    "a Prezydent Miasta Radomsko otworzył konferencję.",
    "Podczas konferencji kierownik Działu Pracy Socjalnej przedstawiła główne założenia "
    "projektu oraz uzasadniła potrzebę realizacji takiego przedsięwzięcia.",
    "Koordynator Zespołu Wspierania Rodziny przedstawiła szczegółowe cele projektu, "
    "poszczególne działania realizowane w jego ramach oraz oczekiwane rezultaty.",
    "Konferencję zakończyła zastępca dyrektora ds. pomocy, która podkreśliła, iż działania "
    "mają na celu zatrzymanie dziecka w jego środowisku naturalnym - rodzinie.",
]

UNRELATED = ("Regionalny Ośrodek Polityki Społecznej w Krakowie informuje, że w piątek 2 "
             "lutego 2024 r. Ośrodek będzie nieczynny. Sprawy pilne prosimy kierować "
             "drogą elektroniczną na adres sekretariatu, odpowiemy w poniedziałek.")
