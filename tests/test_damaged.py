"""Damaged and read-only harvests: a damaged store or WARC file is reported in one line
(exit 2 for a store, nothing written into it; a partial WARC set is re-extracted as far as
it goes, exit 1), and a read-only harvest is read without a write."""

from __future__ import annotations

import os
import shlex
import shutil
import sqlite3
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from archive.store import Store
from tests.harness import Mirror, MirrorServer, crawl, stored

NOBODY = 65534


@pytest.fixture(scope="module")
def pristine(tmp_path_factory):
    """Two runs of rops_krakow: the second (--full) writes revisits of the first's
    payloads, so its WARC file alone cannot give back every article."""
    out = tmp_path_factory.mktemp("harvest")
    with MirrorServer(Mirror.load("rops_krakow")) as server:
        for extra in ((), ("--full",)):
            result = crawl(server.base_url, out, "--no-media", *extra)
            assert result.returncode == 0, result.stderr
    return out


@pytest.fixture
def harvest(pristine, tmp_path):
    out = tmp_path / "harvest"
    shutil.copytree(pristine, out)
    return out


def kronika(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "crawler.run.cli", *args],
                          capture_output=True, text=True, timeout=120, check=False)


def one_line(result: subprocess.CompletedProcess) -> str:
    assert "Traceback" not in result.stderr, result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


def header_overwritten(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[:4096] = b"\xde\xad" * 2048
    path.write_bytes(bytes(data))


def truncated(path: Path) -> None:
    data = path.read_bytes()
    path.write_bytes(data[:len(data) // 2])


def page_zeroed(path: Path) -> None:
    """A b-tree page of the articles table, the middle one, zeroed: the header and schema
    read fine. (Which pages hold the table's rows: SQLite's dbstat table.)"""
    db = sqlite3.connect(path)
    try:
        pages = [n for (n,) in db.execute(
            "SELECT pageno FROM dbstat WHERE name = 'articles' AND pagetype = 'leaf' "
            "ORDER BY pageno")]
    finally:
        db.close()
    data = bytearray(path.read_bytes())
    size = int.from_bytes(data[16:18], "big")
    middle = (pages[len(pages) // 2] - 1) * size
    data[middle:middle + size] = bytes(size)
    path.write_bytes(bytes(data))


COMMANDS = {
    "export": lambda out: ("export", "--out", str(out), "--format", "jsonl"),
    "reextract": lambda out: ("reextract", "--out", str(out)),
    # The store is opened before anything is fetched: the port need not answer.
    "crawl": lambda out: ("crawl", "rops_krakow", "--base-url", "http://127.0.0.1:9",
                          "--out", str(out), "--delay", "0"),
}


@pytest.mark.parametrize("damage", [header_overwritten, truncated, page_zeroed])
@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_a_damaged_store_is_one_line_exit_2_and_left_as_it_was(harvest, command, damage):
    # (A reader checks the header and the schema on open; export meets the zeroed page
    # as it reads the articles, and says the same line.)
    store = harvest / "kronika.sqlite"
    damage(store)
    before = store.read_bytes()
    beside = sorted(p.name for p in harvest.iterdir())
    result = kronika(*COMMANDS[command](harvest))
    line = one_line(result)
    assert result.returncode == 2
    assert line.startswith(f"kronika: error: the store {str(store)!r} is damaged (")
    assert f"kronika reextract --out {harvest}" in line
    assert store.read_bytes() == before  # no run row, no journal switch
    assert sorted(p.name for p in harvest.iterdir()) == beside  # no -wal, -shm, -journal


def test_a_bare_scrapy_crawl_on_a_damaged_store_is_one_line_exit_2(harvest):
    store = harvest / "kronika.sqlite"
    header_overwritten(store)
    before = store.read_bytes()
    root = Path(__file__).resolve().parents[1]  # scrapy.cfg: kronika's settings
    result = subprocess.run(
        [str(Path(sys.executable).with_name("scrapy")), "crawl", "rops_krakow", "-a",
         "base_url=http://127.0.0.1:9", "-s", f"KRONIKA_OUT={harvest}"], cwd=root,
        capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 2, result.stderr[-3000:]
    assert "Traceback" not in result.stderr
    errors = [line for line in result.stderr.splitlines() if " ERROR: " in line]
    assert len(errors) == 1 and f"the store {str(store)!r} is damaged" in errors[0]
    assert store.read_bytes() == before


def test_the_one_line_says_how_to_rebuild_and_doing_so_works(harvest):
    articles = len(stored(harvest))
    truncated(harvest / "kronika.sqlite")
    line = one_line(kronika(*COMMANDS["reextract"](harvest)))
    advice = line.split("Rebuild it from the WARC files: ", 1)[1]
    mv, _, _ = advice.partition(" && ")
    subprocess.run(shlex.split(mv), check=True)
    result = kronika(*COMMANDS["reextract"](harvest))
    assert result.returncode == 0, result.stderr
    assert len(stored(harvest)) == articles
    assert (harvest / "kronika.sqlite.damaged").exists()


def test_a_warc_file_cut_short_is_read_up_to_its_last_record(harvest):
    (warc,) = harvest.glob("warc/*run00002*.warc.gz")
    data = warc.read_bytes()
    warc.write_bytes(data[:-300])  # inside its last gzip member
    result = kronika(*COMMANDS["reextract"](harvest))
    assert "Traceback" not in result.stderr
    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        f"kronika: warc/{warc.name}: its last record (from byte "
        f"{result.stderr.split('from byte ')[1].split(')')[0]}) is cut short; skipped, "
        "the records before it were read"]
    assert "rops_krakow: 17 unchanged" in result.stdout


def test_one_runs_warc_files_alone_say_what_they_could_not_give(harvest):
    # Run 2 (--full) fetched the same payloads again: its WARC holds revisits only.
    for path in harvest.glob("warc/*run00001*"):
        path.unlink()
    (harvest / "kronika.sqlite").unlink()
    result = kronika(*COMMANDS["reextract"](harvest))
    line = one_line(result)
    assert result.returncode == 1
    assert "not re-extracted: revisit records whose original payloads are in WARC files " \
           "not present" in line
    (count,) = [int(w) for w in line.split() if w.isdigit()][:1]
    site = next(x for x in result.stdout.splitlines() if x.startswith("rops_krakow:"))
    assert f"{count} not re-extracted" in site
    assert count > 0 and stored(harvest) == []


def test_a_writer_leaves_the_file_self_contained(harvest):
    store = harvest / "kronika.sqlite"
    assert store.read_bytes()[18:20] == b"\x01\x01"  # rollback journal, not WAL
    assert not list(harvest.glob("kronika.sqlite-*"))


def test_export_writes_nothing(harvest):
    store = harvest / "kronika.sqlite"
    before, mtime = store.read_bytes(), store.stat().st_mtime_ns
    result = kronika(*COMMANDS["export"](harvest))
    assert result.returncode == 0, result.stderr
    assert len(result.stdout.splitlines()) == len(stored(harvest))
    assert store.read_bytes() == before and store.stat().st_mtime_ns == mtime
    assert not list(harvest.glob("kronika.sqlite-*"))


def test_an_article_whose_bytes_were_overwritten_is_one_line_for_export(harvest):
    """SQLite's checks pass over a record's own bytes (its overflow pages): the last
    overflow page of the articles table zeroed reads as a store whose structure is
    whole, and export meets the damage as it reads the record: one line, exit 2."""
    store = harvest / "kronika.sqlite"
    db = sqlite3.connect(store)
    try:
        (page,) = db.execute("SELECT max(pageno) FROM dbstat WHERE name = 'articles' "
                             "AND pagetype = 'overflow'").fetchone()
        (check,) = db.execute("PRAGMA quick_check(1)").fetchone()
    finally:
        db.close()
    assert page is not None and check == "ok"
    data = bytearray(store.read_bytes())
    size = int.from_bytes(data[16:18], "big")
    data[(page - 1) * size + 4:page * size] = bytes(size - 4)  # its next-page link kept
    store.write_bytes(bytes(data))
    result = kronika(*COMMANDS["export"](harvest))
    assert result.returncode == 2
    assert "a stored article does not read back" in one_line(result)


def _as_nobody(work) -> int:
    """Run ``work()`` in a forked child as the user nobody; its exit status (0: it
    returned True). The test's own imports are already loaded, so nothing is read from
    directories nobody may not enter."""
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        code = 1
        try:
            os.setgid(NOBODY)
            os.setuid(NOBODY)
            code = 0 if work() else 1
        except BaseException as exc:
            print(f"as nobody: {type(exc).__name__}: {exc}", file=sys.stderr)
        finally:
            os._exit(code)
    return os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])


@pytest.fixture
def read_only(pristine):
    """The harvest in a directory nobody may read but not write (mode 0555, files 0444)."""
    if os.getuid() != 0:
        pytest.skip("needs root to switch to the user nobody")
    base = Path(tempfile.mkdtemp(prefix="kronika-ro-", dir="/tmp"))
    out = base / "harvest"
    shutil.copytree(pristine, out)
    base.chmod(0o755)
    yield out
    for path in [out, *out.rglob("*")]:
        path.chmod(0o755 if path.is_dir() else 0o644)
    shutil.rmtree(base)


def _lock_down(out: Path) -> None:
    for path in [*out.rglob("*"), out]:
        path.chmod(0o555 if path.is_dir() else 0o444)


@pytest.mark.parametrize("on_disk", ["delete", "wal"])
def test_a_read_only_harvest_is_read_as_nobody(read_only, on_disk):
    store = read_only / "kronika.sqlite"
    articles = len(stored(read_only))
    if on_disk == "wal":  # a store a writer could not switch back (immutable=1 reads it)
        db = sqlite3.connect(store)
        db.execute("PRAGMA journal_mode=WAL")
        db.close()
    _lock_down(read_only)
    before = store.read_bytes()

    def sqlite_shell_reads() -> bool:  # what the README's sqlite3 examples do
        db = sqlite3.connect(f"file:{store}?mode=ro", uri=True)
        return db.execute("SELECT count(*) FROM articles").fetchone()[0] == articles

    def export_reads() -> bool:  # what `kronika export` does
        return len(list(Store(store, readonly=True).iter_articles())) == articles

    if on_disk == "delete":
        assert _as_nobody(sqlite_shell_reads) == 0
    assert _as_nobody(export_reads) == 0
    assert store.read_bytes() == before
    assert sorted(p.name for p in read_only.iterdir() if p.name.startswith("kronika.sqlite")) \
        == ["kronika.sqlite"]
