"""The command line: bad input gets one line on stderr and exit status 2, never a traceback."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from crawler.extract.validation import schema_errors
from crawler.spider.sites import spider_classes

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


def test_no_arguments_print_the_help_and_exit_2():
    result = kronika()
    assert result.returncode == 2
    out = result.stdout.decode()
    assert out.startswith("usage: kronika") and "crawl" in out and "mirror" in out


def test_version():
    from crawler import __version__

    result = kronika("--version")
    assert result.returncode == 0 and result.stdout.decode().strip() == f"kronika {__version__}"


def test_mirror_serves_a_bundled_fixture_mirror_until_stopped():
    import signal
    import urllib.request

    from crawler.devtools.mirror import Mirror

    assert_usage_error(kronika("mirror", "nie_ma_takiej"), "no bundled mirror of 'nie_ma_takiej'")
    proc = subprocess.Popen([sys.executable, "-m", "crawler.run.cli", "mirror", "rops_krakow",
                             "--port", "0"], stdout=subprocess.PIPE, text=True)
    try:
        line = proc.stdout.readline()  # the first line says where; scripts wait for it
        assert line.startswith("serving the rops_krakow mirror (a reconstruction) at http://")
        base = line.split(" at ", 1)[1].strip()
        page = next(p for p in Mirror.load("rops_krakow").articles())
        path = page["url"].split("rops.krakow.pl", 1)[1]
        request = urllib.request.Request(base + path, headers={"Host": "rops.krakow.pl"})
        with urllib.request.urlopen(request, timeout=10) as response:
            assert response.status == 200
            assert response.read() == Mirror.load("rops_krakow").body(page)
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=10)


SCALE_BLOCKED = ("import sys\n"
                 "for name in ('redis', 'scrapy_redis', 'psycopg'):\n"
                 "    sys.modules[name] = None  # as if kronika[scale] were not installed\n"
                 "from crawler.run.cli import main\n"
                 "sys.exit(main(sys.argv[1:]))\n")


@pytest.mark.parametrize(("args", "fragment"), [
    (["crawl", "rops_krakow", "--store", "postgresql://kronika@db.example/kronika"],
     "--store postgresql://... needs the psycopg client"),
    (["export", "--format", "jsonl", "--store", "postgresql://kronika@db.example/kronika"],
     "--store postgresql://... needs the psycopg client"),
    (["reextract", "--store", "postgresql://kronika@db.example/kronika"],
     "--store postgresql://... needs the psycopg client"),
    (["crawl", "rops_krakow", "--frontier", "redis://127.0.0.1:1/0"],
     "--frontier needs the redis client"),
])
def test_scale_options_without_the_scale_extra_name_it(tmp_path, args, fragment):
    result = subprocess.run([sys.executable, "-c", SCALE_BLOCKED, *args, "--out", str(tmp_path)],
                            capture_output=True, timeout=120)
    assert_usage_error(result, fragment)
    assert result.stderr.decode().rstrip().endswith("pip install 'kronika[scale]'")


def test_reextract_refuses_articles_of_a_site_it_does_not_know(tmp_path):
    """A metadata record naming a site with no spider: no silent generic re-extraction."""
    from archive.warc import WarcFile, warcinfo

    warc = WarcFile(tmp_path / "warc", "kronika-test", warcinfo("test", "test", "test"))
    body = PAGE.read_bytes()
    for n, site in enumerate(("nie_ma_takiej", "nie_ma_takiej", "rops_krakow")):
        url = f"https://gops.example.pl/aktualnosci/{n}"
        capture = warc.write_exchange(
            url, f"GET /aktualnosci/{n} HTTP/1.1", [("Host", "gops.example.pl")], "200 OK",
            [("Content-Type", "text/html; charset=utf-8")], body)
        warc.write_metadata(url, capture["record_id"], {
            "kronika-article-id": f"id{n}", "kronika-site": site,
            "kronika-canonical-url": url, "kronika-schema-version": "1.0"})
    warc.close()
    result = kronika("reextract", "--out", str(tmp_path))
    assert_usage_error(result, "articles of sites kronika does not know: 'nie_ma_takiej' "
                               "(2 articles); nothing re-extracted")
    assert not (tmp_path / "kronika.sqlite").exists()  # no run was started
