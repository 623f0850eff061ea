"""The command line: bad input gets one line on stderr and exit status 2, never a traceback."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from crawler.spider.sites import spider_classes
from crawler.extract.validation import schema_errors

PAGE = Path(__file__).parent / "fixtures" / "generic_page.html"


def kronika(*args, stdin=None):
    return subprocess.run([sys.executable, "-m", "crawler.run.cli", *args], input=stdin,
                          capture_output=True, timeout=120)


def assert_usage_error(result, fragment):
    err = result.stderr.decode()
    assert result.returncode == 2, err
    assert "Traceback" not in err
    assert len(err.strip().splitlines()) == 1, err
    assert err.startswith("kronika: error: ") and fragment in err, err


@pytest.mark.parametrize(("args", "fragment"), [
    (["crawl", "nie_ma_takiej"], "unknown site 'nie_ma_takiej'"),
    (["extract", "-", "--url", "https://x.pl/a", "--site", "nie_ma_takiej"], "unknown site"),
    (["extract", "/nonexistent/page.html", "--url", "https://x.pl/a"], "cannot read"),
    (["extract", "-", "--url", "not a url"], "bad URL"),
    (["extract", "-", "--url", "ftp://x.pl/a"], "bad URL"),
    (["crawl", "rops_krakow", "--base-url", "localhost:8000"], "bad --base-url"),
    (["crawl", "rops_krakow", "--since", "28.06.2024"], "bad date"),
    (["crawl"], "name at least one site"),
    (["crawl", "--all", "rops_krakow"], "not both"),
    (["frobnicate"], "invalid choice"),
    (["extract", "-"], "--url"),
])
def test_bad_input_is_one_line_and_exit_2(args, fragment):
    assert_usage_error(kronika(*args, stdin=b""), fragment)


@pytest.mark.parametrize(("content", "fragment"), [
    (b"", "the page is empty"),
    (b"   \n\t ", "the page is empty"),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 4, "binary content"),
])
def test_empty_or_binary_pages_are_refused_in_one_line(tmp_path, content, fragment):
    page = tmp_path / "page.html"
    page.write_bytes(content)
    assert_usage_error(kronika("extract", str(page), "--url", "https://x.pl/a"), fragment)


def test_unwritable_out_is_a_usage_error(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    result = kronika("crawl", "rops_krakow", "--out", str(blocker / "harvest"))
    assert_usage_error(result, "cannot write to --out")


def test_extract_reads_stdin_and_prints_a_valid_article():
    result = kronika("extract", "-", "--url", "https://gops.example.pl/aktualnosci/1",
                     stdin=PAGE.read_bytes())
    assert result.returncode == 0, result.stderr.decode()
    article = json.loads(result.stdout)
    assert schema_errors(article) == []
    assert article["site"] == "generic"
    assert article["title"] == "Dzień Seniora w gminie"
    assert "Kontrast" not in article["text"] and "Polityka prywatności" not in article["text"]


def test_sites_lists_the_seed_site():
    result = kronika("sites")
    assert result.returncode == 0
    lines = result.stdout.decode().splitlines()
    assert lines[0].split() == ["slug", "institution", "website", "platform", "fixtures"]
    rops = next(line for line in lines if line.startswith("rops_krakow "))
    assert "https://rops.krakow.pl" in rops and rops.endswith("reconstruction")
    assert len(lines) - 1 == len(spider_classes())
