"""Hostile pages against the extraction budget (crawler/extract/budget.py).

What a user checks on the record of such a page: no traceback, the text there (or a
warning saying what was cut), a record of bounded size. The pages are built here; sizes
are smaller than the issue's where the property is the same (a smaller budget is passed
instead). Memory and time are measured by benchmarks/extraction_memory.py, not here.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from crawler import extract_article
from crawler.extract.budget import Budget

SITE = "https://mcps.com.pl/aktualnosci/wrogi-artykul/"  # WordPress profile: div.entry-content
GENERIC = "https://example.org/aktualnosci/wrogi-artykul"
PATHS = {"site": SITE, "generic": GENERIC}
FIRST = "Pierwszy akapit artykułu o pomocy społecznej w regionie."
LAST = "Ostatni akapit artykułu, który ma zostać w tekście."
DEEP = "Tekst w środku zagnieżdżenia."
WORDS = "pomoc społeczna w regionie rodzina senior wsparcie projekt "


def page(inner: str) -> str:
    """An mcps.com.pl article page (its WordPress theme) with ``inner`` in the body."""
    return ('<!doctype html><html lang="pl"><head><meta charset="utf-8">'
            '<title>Wrogi artykuł - MCPS</title></head><body>'
            '<header><nav><a href="/">Start</a> <a href="/aktualnosci/">Aktualności</a>'
            '</nav></header><main><article class="post">'
            '<h1 class="entry-title">Wrogi artykuł</h1>'
            '<time class="entry-date published" datetime="2023-03-14T10:00:00+01:00">'
            '14 marca 2023</time><div class="entry-content">'
            f'<p>{FIRST}</p>{inner}<p>{LAST}</p>'
            '</div></article></main><footer>Mazowieckie Centrum Polityki Społecznej'
            '</footer></body></html>')


def nested(tag: str, depth: int) -> str:
    if tag == "ul":
        return "<ul><li>" * (depth // 2) + DEEP + "</li></ul>" * (depth // 2)
    return f"<{tag}>" * depth + DEEP + f"</{tag}>" * depth


def links(count: int) -> str:
    return "<p>" + "".join(f'<a href="/l{i}">x</a> ' for i in range(count)) + "</p>"


def record_bytes(record: dict) -> int:
    return len(json.dumps(record, ensure_ascii=False).encode("utf-8"))


def depth_warned(record: dict) -> bool:
    return any("nesting deeper than" in w for w in record["extraction"]["warnings"])


# -- deep nesting --------------------------------------------------------------------

@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize("tag, depth", [("div", 900), ("span", 900), ("blockquote", 900),
                                        ("b", 1500), ("ul", 3000), ("div", 5000)])
def test_deep_nesting_keeps_the_text_and_says_it_was_flattened(tag, depth, path):
    record = extract_article(page(nested(tag, depth)), PATHS[path])
    text = record["text"]
    assert FIRST in text and DEEP in text and text.endswith(LAST)
    assert record["title"] == "Wrogi artykuł"
    assert depth_warned(record)
    if path == "site":  # the nesting was flattened, not the article's own markup
        assert record["extraction"]["method"] == "site"


def test_an_article_wrapped_in_thousands_of_divs_keeps_its_profile():
    body = page("").replace('<main>', '<main>' + "<div>" * 3000).replace(
        '</main>', "</div>" * 3000 + '</main>')
    record = extract_article(body, SITE)
    assert record["extraction"]["method"] == "site"
    assert record["text"] == f"{FIRST}\n\n{LAST}"
    assert depth_warned(record)


@pytest.mark.parametrize("path", PATHS)
def test_nesting_just_within_what_the_parser_reads_does_not_recurse(path):
    # 245 levels: read whole by libxml2, rendered by the site path as it is; the
    # generic path flattens it for trafilatura.
    record = extract_article(page(nested("div", 245)), PATHS[path])
    assert DEEP in record["text"] and record["text"].endswith(LAST)


def test_kronika_extract_on_a_deeply_nested_page_prints_the_record(tmp_path):
    saved = tmp_path / "deep.html"
    saved.write_text(page(nested("span", 5000) + nested("b", 1500)), encoding="utf-8")
    done = subprocess.run([sys.executable, "-m", "crawler.run.cli", "extract", str(saved),
                           "--url", SITE], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "Traceback" not in done.stderr and "RecursionError" not in done.stderr
    record = json.loads(done.stdout)
    assert DEEP in record["text"] and record["text"].endswith(LAST)
    assert depth_warned(record)


# -- pages past the budget -----------------------------------------------------------

def test_a_page_of_400000_links_is_cut_with_a_warning_not_stored_whole():
    body = page(links(400_000))  # 10 MB, the default budget
    assert len(body) > 9_500_000
    record = extract_article(body, SITE)
    warnings = record["extraction"]["warnings"]
    assert any(w.startswith("page cut after 100,000 of its") for w in warnings)
    assert record["text"].startswith(FIRST) and "x x x" in record["text"]
    assert record_bytes(record) < 5_000_000


@pytest.mark.parametrize("path", PATHS)
def test_a_page_over_the_tag_budget_keeps_what_it_read(path):
    budget = Budget(max_page_tags=3_000)
    record = extract_article(page(links(20_000)), PATHS[path], budget=budget)
    warnings = record["extraction"]["warnings"]
    assert any("page cut after 3,000 of its" in w and "KRONIKA_MAX_PAGE_TAGS" in w
               for w in warnings), warnings
    assert FIRST in record["text"] and record["text"].count("x") > 1000


@pytest.mark.parametrize("path", PATHS)
def test_a_huge_paragraph_is_cut_never_emptied_in_silence(path):
    words = WORDS * (3_000_000 // len(WORDS))  # 3 MB of words: over a 1 MB page budget
    budget = Budget(max_page_bytes=1_000_000, max_text_chars=200_000)
    record = extract_article(page(f"<p>{words}</p>"), PATHS[path], budget=budget)
    warnings = record["extraction"]["warnings"]
    assert any(w.startswith("page cut at") and "KRONIKA_MAX_PAGE_BYTES" in w
               for w in warnings), warnings
    assert any(w.startswith("body cut to the record budget") for w in warnings)
    assert FIRST in record["text"] and "pomoc społeczna w regionie rodzina" in record["text"]
    assert 150_000 < len(record["text"]) <= 200_000
    assert len(record["html"]) <= budget.max_html_chars
    assert record_bytes(record) < 1_000_000


def test_a_50_mb_paragraph_gives_text_and_a_warning_with_the_default_budget():
    words = WORDS * (50 * 1024 * 1024 // len(WORDS.encode()))
    record = extract_article(page(f"<p>{words}</p>").encode("utf-8"), SITE)
    warnings = record["extraction"]["warnings"]
    assert any(w.startswith("page cut at") for w in warnings), warnings
    assert len(record["text"]) > 500_000
    assert record_bytes(record) < 5_000_000


def test_an_image_pasted_as_a_data_uri_does_not_cost_the_article():
    payload = "QUJD" * (6 * 1024 * 1024 // 4)  # 6 MB: over the 4 MiB page budget
    body = page(f'<p><img src="data:image/jpeg;base64,{payload}" alt=""></p>')
    record = extract_article(body, SITE)
    assert record["text"] == f"{FIRST}\n\n{LAST}"
    assert not any("page cut" in w for w in record["extraction"]["warnings"])


def test_the_record_budget_bounds_media_and_fields():
    gallery = "".join(f'<p><a href="/wp-content/uploads/{i}.jpg"><img src="/t/{i}.jpg" '
                      f'alt="Zdjęcie {i}"></a></p>' for i in range(60))
    body = page(gallery).replace("Wrogi artykuł</h1>", "Wrogi artykuł " + "bardzo " * 100
                                 + "długi</h1>")
    record = extract_article(body, SITE, budget=Budget(max_media=25, max_field_chars=120))
    warnings = record["extraction"]["warnings"]
    assert len(record["images"]) == 25
    assert any(w.startswith("images cut to the first 25 of 60") for w in warnings), warnings
    assert len(record["title"]) <= 120 and record["title"].startswith("Wrogi artykuł bardzo")
    assert any(w.startswith("title cut to 120 of its") for w in warnings)


def test_the_budget_is_set_from_the_environment(tmp_path):
    saved = tmp_path / "links.html"
    saved.write_text(page(links(5_000)), encoding="utf-8")
    env = {**os.environ, "KRONIKA_MAX_PAGE_TAGS": "1000"}
    done = subprocess.run([sys.executable, "-m", "crawler.run.cli", "extract", str(saved),
                           "--url", GENERIC], capture_output=True, text=True, timeout=120,
                          env=env)
    assert done.returncode == 0, done.stderr[-2000:]
    warnings = json.loads(done.stdout)["extraction"]["warnings"]
    assert any(w.startswith("page cut after 1,000 of its") for w in warnings), warnings
