"""Fixity that stays true: run manifests hash only the WARC files their run wrote, and
`kronika verify` checks a whole harvest against them (file hashes, every record's
digests), reading it only.

Two real crawls of the rops_krakow mirror over 127.0.0.1 make one harvest for the
module; each test that damages it works on a copy.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from warcio.archiveiterator import ArchiveIterator

from tests.harness import Mirror, MirrorServer, crawl


@pytest.fixture(scope="module")
def harvest(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("verify") / "harvest"
    with MirrorServer(Mirror.load("rops_krakow")) as server:
        first = crawl(server.base_url, out)
        assert first.returncode == 0, first.stdout + first.stderr
        second = crawl(server.base_url, out, "--full")  # revisits of the first run's file
        assert second.returncode == 0, second.stdout + second.stderr
    return out


def copy_of(harvest: Path, tmp_path: Path) -> Path:
    return Path(shutil.copytree(harvest, tmp_path / "copy"))


def verify(out: Path, *python: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, *python, "-m", "crawler.run.cli", "verify",
                           "--out", str(out)], capture_output=True, text=True, timeout=120,
                          check=False)


def warc_files(out: Path) -> list[Path]:
    return sorted((out / "warc").glob("*.warc.gz"))


def manifest(out: Path, run: int) -> dict:
    return json.loads((out / "runs" / f"run-{run:05d}.json").read_text(encoding="utf-8"))


def count_records(paths: list[Path]) -> int:
    total = 0
    for path in paths:
        with open(path, "rb") as fh:
            total += sum(1 for _ in ArchiveIterator(fh))
    return total


def test_each_manifest_hashes_the_warc_files_of_its_run_and_stays_true(harvest):
    first, second = warc_files(harvest)
    for run, path in ((1, first), (2, second)):
        fixity = manifest(harvest, run)["fixity"]
        data = path.read_bytes()
        # Still true after the second run: the first run's file was never written again.
        assert fixity["files"] == [{"name": f"warc/{path.name}", "size": len(data),
                                    "sha256": hashlib.sha256(data).hexdigest()}]
        assert set(fixity["not_checked"]) == {"kronika.sqlite", "indexes/index.cdxj"}
        assert list(manifest(harvest, run)["outputs"]) == [f"warc/{path.name}"]


def test_a_harvest_of_two_runs_verifies(harvest):
    result = verify(harvest)
    assert result.returncode == 0, result.stdout + result.stderr
    records = count_records(warc_files(harvest))
    assert (f"checked 2 WARC file(s) (2 against the SHA-256 of 2 run manifest(s)), "
            f"{records} record(s)") in result.stdout
    assert "kronika.sqlite: PRAGMA quick_check ok" in result.stdout
    assert result.stdout.splitlines()[-1] == "fixity ok"


def test_one_flipped_byte_in_a_warc_file_is_named(harvest, tmp_path):
    out = copy_of(harvest, tmp_path)
    path = warc_files(out)[0]
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))
    result = verify(out)
    assert result.returncode == 1, result.stdout + result.stderr
    mismatch = [line for line in result.stdout.splitlines() if "SHA-256 mismatch" in line]
    assert mismatch == [mismatch[0]] and mismatch[0].startswith(f"warc/{path.name}: ")
    assert "runs/run-00001.json recorded" in mismatch[0]
    # One line each, whatever bytes the damage left: the problems, then the notes.
    assert all(line.startswith(("warc/", "kronika.sqlite: ", "checked ", "1 problem",
                                "2 problem")) for line in result.stdout.splitlines())
    assert result.stdout.splitlines()[-1].endswith("problem(s) found")


def test_a_changed_payload_fails_its_record_digest(harvest, tmp_path):
    """A record re-compressed whole with one payload byte changed: the gzip is sound, so
    only warcio's recomputed payload digest (and the file hash) can tell."""
    out = copy_of(harvest, tmp_path)
    path = warc_files(out)[0]
    data = path.read_bytes()
    with open(path, "rb") as fh:
        iterator = ArchiveIterator(fh)
        for record in iterator:
            record.content_stream().read()
            if (record.rec_type == "response"
                    and b"</html>" in gzip.decompress(data[iterator.get_record_offset():][
                        :iterator.get_record_length()])):
                start, length = iterator.get_record_offset(), iterator.get_record_length()
                record_id = record.rec_headers.get_header("WARC-Record-ID")
                break
    member = gzip.decompress(data[start:start + length]).replace(b"</html>", b"</HTML>")
    path.write_bytes(data[:start] + gzip.compress(member) + data[start + length:])
    result = verify(out)
    assert result.returncode == 1, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert any(line.startswith(f"warc/{path.name}: record {record_id} at offset {start}: ")
               and "payload digest failed" in line for line in lines), result.stdout
    assert any(line.startswith(f"warc/{path.name}: SHA-256 mismatch") for line in lines)


def test_a_deleted_warc_file_is_reported_missing(harvest, tmp_path):
    out = copy_of(harvest, tmp_path)
    path = warc_files(out)[1]
    path.unlink()
    result = verify(out)
    assert result.returncode == 1
    assert f"warc/{path.name}: missing (recorded by runs/run-00002.json)" in (
        result.stdout.splitlines())
    assert "checked 1 WARC file(s) (1 against" in result.stdout


def test_a_warc_file_no_manifest_records_has_its_records_checked(harvest, tmp_path):
    """A run killed before its manifest: its file cannot be hashed against anything."""
    out = copy_of(harvest, tmp_path)
    (out / "runs" / "run-00002.json").unlink()
    result = verify(out)
    assert result.returncode == 0, result.stdout
    assert "1 WARC file(s) in no run manifest" in result.stdout
    assert "checked 2 WARC file(s) (1 against the SHA-256 of 1 run manifest(s))" in (
        result.stdout)


# Run before `kronika verify` in its process: every file opened for writing under the
# harvest, and every SQLite connection not read-only, is named on stderr.
WATCH_WRITES = """
import os, sys
HARVEST = os.environ["HARVEST"]
WRITE = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_APPEND | os.O_TRUNC
def hook(event, args):
    if event == "open" and isinstance(args[0], (str, bytes, os.PathLike)):
        path = os.path.abspath(os.fsdecode(args[0]))
        if path.startswith(HARVEST) and (args[2] or 0) & WRITE:
            print("OPENED FOR WRITING", path, file=sys.stderr)
    elif event == "sqlite3.connect" and "mode=ro" not in str(args[0]):
        print("SQLITE NOT READ-ONLY", args[0], file=sys.stderr)
sys.addaudithook(hook)
from crawler.run.cli import main
sys.exit(main(["verify", "--out", HARVEST]))
"""


def snapshot(out: Path) -> dict:
    return {str(p.relative_to(out)): (p.stat().st_mtime_ns, p.read_bytes())
            for p in sorted(out.rglob("*")) if p.is_file()}


def test_a_read_only_harvest_verifies_and_nothing_is_opened_for_writing(harvest, tmp_path):
    out = copy_of(harvest, tmp_path)
    before = snapshot(out)
    paths = [out, *out.rglob("*")]
    for path in paths:
        path.chmod(path.stat().st_mode & ~(stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH))
    try:
        result = subprocess.run([sys.executable, "-B", "-c", WATCH_WRITES],
                                capture_output=True, text=True, timeout=120, check=False,
                                env={**os.environ, "HARVEST": str(out.resolve())})
    finally:
        for path in paths:
            path.chmod(path.stat().st_mode | stat.S_IWUSR)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "OPENED FOR WRITING" not in result.stderr, result.stderr
    assert "SQLITE NOT READ-ONLY" not in result.stderr, result.stderr
    assert result.stdout.splitlines()[-1] == "fixity ok"
    assert snapshot(out) == before  # not a byte changed, no file added


def test_no_harvest_and_a_damaged_store_are_one_line_exit_2(harvest, tmp_path):
    result = verify(tmp_path / "nothing")
    assert result.returncode == 2
    assert result.stderr.startswith("kronika: error: no harvest at ")
    assert len(result.stderr.splitlines()) == 1
    out = copy_of(harvest, tmp_path)
    (out / "kronika.sqlite").write_bytes(b"not a database" * 10)
    result = verify(out)
    assert result.returncode == 2
    assert "kronika.sqlite' is damaged" in result.stderr
    assert len(result.stderr.splitlines()) == 1


def test_a_manifest_that_cannot_be_read_is_a_problem_and_its_files_are_unrecorded(
        harvest, tmp_path):
    out = copy_of(harvest, tmp_path)
    (out / "runs" / "run-00001.json").write_text("{\"fixity\": {\"files\": [{}]}}")
    result = verify(out)
    assert result.returncode == 1
    assert result.stdout.splitlines()[0].startswith(
        "runs/run-00001.json: a fixity entry cannot be read")
    assert "1 WARC file(s) in no run manifest" in result.stdout
