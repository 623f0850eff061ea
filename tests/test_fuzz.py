"""The extraction cascade and the date parsers take 10,000 generated inputs each
without an exception escaping. The only error extraction may raise is ExtractionError,
its declared "this is not an article page" answer, which the crawl records as a failure.

Inputs are built from what the crawler meets: Polish text with dates in every form of
docs/research/sites.md section 10, chrome strings, the class names the site profiles select
on, tag soup that is not closed or closed twice, entities, data: URIs, odd encodings
and raw bytes. Examples are derandomized (the same inputs on every CI run); set
KRONIKA_FUZZ=explore for fresh random ones, KRONIKA_FUZZ_EXAMPLES to change the count.
"""

from __future__ import annotations

import os
from datetime import datetime
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crawler.extract import ExtractionError, extract
from crawler.extract.chrome import CHROME_PHRASES
from crawler.extract.dates import (
    EARLIEST_YEAR,
    find_dates,
    parse_date,
    parse_machine_date,
    parse_url_date,
)
from crawler.spider.sites import rules_for, spider_classes

EXAMPLES = int(os.environ.get("KRONIKA_FUZZ_EXAMPLES", "10000"))
FUZZ = settings(max_examples=EXAMPLES, deadline=None, database=None,
                derandomize=os.environ.get("KRONIKA_FUZZ") != "explore",
                suppress_health_check=list(HealthCheck))
NOW = datetime(2026, 11, 22, 12, 0, tzinfo=ZoneInfo("Europe/Warsaw"))

SLUGS = sorted(spider_classes())
RULES = {slug: rules_for(slug) for slug in SLUGS}
# Every article URL shape the profiles know, so that each profile is chosen sometimes.
URLS = ["https://www.rops.torun.pl/40-archiwum-2021/1404-szkolenie",
        "https://rops.krakow.pl/aktualnosci/forum", "https://mcps.com.pl/aktualnosci/x/",
        "http://radomsko.policja.gov.pl/era/informacje/wiadomosci/12345,Tytul.html",
        "http://mops-radomsko.pl/art,12,tytul", "https://www.malopolska.pl/aktualnosci/x",
        "https://rcpslodz.pl/aktualnosci/tytul", "https://example.org/?p=1",
        "http://www.rops-bialystok.pl/rops/?p=123", "https://rops.pomorskie.eu/-/tytul"]

MONTHS = ("stycznia lutego marca kwietnia maja czerwca lipca sierpnia września października "
          "listopada grudnia styczeń luty grudzień sty lut gru I II XII").split()
WORDS = ("pomoc społeczna rodzina Ośrodek Źródło: Autor: Opublikowano: Data publikacji: "
         "dnia r. godz. Zdjęcia: Do pobrania: PDF KB MB Czytaj więcej Powrót "
         "Zażółć gęślą jaźń ŚWIĘTO ąęśćżźłóń").split() + sorted(CHROME_PHRASES)[:40]
CLASSES = ("item-page articleBody page-header article-info published entry-content "
           "entry-title post article__body article__title news-item content tresc "
           "breadcrumb footer cookie share print wcag gallery sigFreeContainer "
           "attachments download journal-content-article asset-content").split()

day = st.integers(0, 40).map(str)
year = st.integers(1890, 2200).map(str)
dates = st.one_of(
    st.builds(lambda d, m, y: f"{d} {m} {y}", day, st.sampled_from(MONTHS), year),
    st.builds(lambda d, m, y, sep: f"{d}{sep}{m}{sep}{y}", day, st.integers(0, 14).map(str),
              year, st.sampled_from([".", "-", "/", ". "])),
    st.builds(lambda y, m, d, t: f"{y}-{m:02d}-{d:02d}{t}", year, st.integers(0, 13),
              st.integers(0, 32), st.sampled_from(["", "T12:00", "T25:61:00+01:00", " 8:05",
                                                   "T10:00:00Z", "T10:00:00+14:00"])),
    st.text(alphabet="0123456789 .-/:TZ+", max_size=30),
)
text = st.lists(st.one_of(st.sampled_from(WORDS), dates, st.text(max_size=12)),
                max_size=12).map(" ".join)

TAGS = ("div p span a img table tr td h1 h2 h3 time ul li br strong script style "
        "noscript figure figcaption article section header footer nav iframe").split()
attribute = st.one_of(
    st.builds(lambda c: f'class="{c}"', st.lists(st.sampled_from(CLASSES), max_size=3)
              .map(" ".join)),
    st.builds(lambda v: f'href="{v}"', st.sampled_from(
        ["/a.pdf", "x.jpg", "data:image/png;base64,iVBORw0KGgo=", "javascript:void(0)",
         "mailto:a@b.pl", "//cdn.example/x.docx", "https://[::1", "#top", "?start=5", ""])),
    st.builds(lambda v: f'src="{v}"', st.sampled_from(
        ["/images/a.jpg", "data:image/gif;base64,R0lGOD", "x.png?w=300", "", " "])),
    st.builds(lambda v: f'datetime="{v}"', dates),
    st.sampled_from(['itemprop="articleBody"', 'itemprop="headline"', 'id="content"',
                     'itemprop="datePublished"', 'srcset="a.jpg 300w, b.jpg 2x"',
                     'data-src="/images/lazy.jpg"', 'role="navigation"', 'lang="pl"']),
)


def _element(children):
    def render(tag, attrs, inner, close):
        end = {"full": f"</{tag}>", "none": "", "double": f"</{tag}></{tag}>",
               "stray": "</div></p></span>"}[close]
        return f"<{tag} {' '.join(attrs)}>{''.join(inner)}{end}"
    return st.builds(render, st.sampled_from(TAGS), st.lists(attribute, max_size=3),
                     st.lists(children, max_size=5),
                     st.sampled_from(["full", "full", "full", "none", "double", "stray"]))


fragment = st.recursive(st.one_of(text, st.sampled_from(["&amp;", "&nbsp;", "&#x105;", "&bogus;",
                                                          "<!-- x -->", "<![CDATA[x]]>"])),
                        _element, max_leaves=30)
documents = st.one_of(
    st.builds(lambda head, body: f"<!DOCTYPE html><html lang=\"pl\"><head><meta charset=\"utf-8\">"
              f"<title>{head}</title></head><body>{body}</body></html>", text, fragment),
    fragment,
    st.builds(lambda body: f'<?xml version="1.0" encoding="iso-8859-2"?><html><body>{body}',
              fragment),
)
encodings = st.sampled_from(["utf-8", "cp1250", "iso-8859-2", "utf-16"])
content_types = st.sampled_from([None, "text/html", "text/html; charset=utf-8",
                                 "text/html; charset=ISO-8859-1", "text/html; charset=bogus",
                                 "application/octet-stream"])


def _extract_or_refuse(body, url, slug, content_type, listing_date):
    try:
        record = extract(body, url, RULES[slug] if slug else None, content_type=content_type,
                         listing_date=listing_date, now=NOW)
    except ExtractionError:
        return None
    assert record["title"] is not None and isinstance(record["text"], str)
    return record


@FUZZ
@given(document=documents, url=st.sampled_from(URLS), slug=st.sampled_from([None, *SLUGS]),
       encoding=encodings, content_type=content_types,
       listing_date=st.one_of(st.none(), dates, text))
def test_extraction_never_lets_an_exception_escape(document, url, slug, encoding,
                                                    content_type, listing_date):
    body = document.encode(encoding, errors="replace")
    _extract_or_refuse(body, url, slug, content_type, listing_date)


@FUZZ
@given(body=st.binary(max_size=3000), url=st.sampled_from(URLS),
       slug=st.sampled_from([None, *SLUGS]), content_type=content_types)
def test_extraction_of_raw_bytes_never_lets_an_exception_escape(body, url, slug, content_type):
    _extract_or_refuse(body, url, slug, content_type, None)


@FUZZ
@given(value=st.one_of(text, dates, st.text()))
def test_the_date_parsers_never_raise(value):
    for parsed in (parse_date(value, now=NOW), parse_machine_date(value, now=NOW),
                   parse_url_date("https://example.org/" + value, now=NOW),
                   *find_dates(value, now=NOW)):
        if parsed is not None:  # a date, when found, is a real one in the allowed range
            assert EARLIEST_YEAR <= int(parsed.value[:4]) <= NOW.year + 1, parsed
            datetime.fromisoformat(parsed.value)
