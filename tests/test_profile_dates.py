"""Layout versions by date: a page is read with the layout that was live when it was captured.

A site redesigned at the turn of 2021 keeps both layouts as profiles with the same URL
pattern; re-extracting old WARC captures must read each one as the site was then.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from crawler.extract import SiteRules, extract
from crawler.extract.profile import Profile, capture_day, choose_profile
from tests.harness import NOW

URL = "https://ops.example.gov.pl/aktualnosci/piknik-rodzinny"
PATTERN = r"/aktualnosci/"
TEXT = ("Ośrodek zaprasza rodziny z dziećmi na piknik w parku miejskim, gdzie czekają gry, "
        "konkursy i poczęstunek dla wszystkich uczestników spotkania.")

# The 2019 layout: a table-era template with the headline in an h2.
OLD_PAGE = f"""<html lang="pl"><head><title>Piknik - OPS</title></head><body>
<div class="tresc"><h2 class="tytul">Piknik rodzinny (stary układ)</h2>
<div class="tekst"><p>{TEXT}</p></div></div></body></html>"""
# The 2024 layout: an <article> with an h1.
NEW_PAGE = f"""<html lang="pl"><head><title>Piknik - OPS</title></head><body>
<article><h1>Piknik rodzinny (nowy układ)</h1>
<div class="entry"><p>{TEXT}</p></div></article></body></html>"""

OLD = Profile(layout="2009", url_pattern=PATTERN, content_css="div.tresc",
              body_css="div.tekst", title_css="h2.tytul", live_until="2020-12-31")
NEW = Profile(layout="2021", url_pattern=PATTERN, content_css="article",
              body_css="div.entry", title_css="h1", live_from=date(2021, 1, 1))


def read(page: str, fetched_at: str | None, profiles=(NEW, OLD)) -> dict:
    return extract(page, URL, SiteRules("ops", tuple(profiles)), fetched_at=fetched_at,
                   now=NOW)


@pytest.mark.parametrize("profiles", [(NEW, OLD), (OLD, NEW)], ids=["new first", "old first"])
def test_each_capture_is_read_with_the_layout_live_on_its_day(profiles):
    old = read(OLD_PAGE, "2019-05-14T08:00:00Z", profiles)
    new = read(NEW_PAGE, "2024-03-02T09:30:00Z", profiles)
    assert old["extraction"] == {"method": "site", "profile": "ops/2009", "warnings": []}
    assert old["title"] == "Piknik rodzinny (stary układ)"
    assert new["extraction"] == {"method": "site", "profile": "ops/2021", "warnings": []}
    assert new["title"] == "Piknik rodzinny (nowy układ)"
    assert old["text"] == new["text"] == TEXT


def test_the_capture_date_not_the_page_decides():
    # The 2019 page said to be captured in 2024 is read with the 2021 layout, which
    # finds no body in it: the date is what chose the layout.
    wrong = read(OLD_PAGE, "2024-03-02T09:30:00Z")
    assert wrong["extraction"]["profile"] == "ops/2021"
    assert wrong["extraction"]["method"] == "generic"


def test_the_day_is_the_day_in_warsaw():
    # 23:30 UTC on New Year's Eve is already 2021 in Warsaw.
    assert capture_day("2020-12-31T23:30:00Z") == date(2021, 1, 1)
    assert choose_profile((OLD, NEW), URL, "2020-12-31T23:30:00Z") is NEW
    assert choose_profile((OLD, NEW), URL, "2020-12-31T22:30:00Z") is OLD
    assert choose_profile((NEW, OLD), URL, datetime(2020, 6, 1, tzinfo=UTC)) is OLD
    assert choose_profile((NEW, OLD), URL, date(2020, 12, 31)) is OLD


def test_live_dates_are_stored_as_dates_and_checked():
    assert OLD.live_until == date(2020, 12, 31) and NEW.live_from == date(2021, 1, 1)
    assert OLD.live_on(date(2020, 12, 31)) and not OLD.live_on(date(2021, 1, 1))
    with pytest.raises(ValueError, match="after"):
        Profile(layout="x", live_from="2022-01-01", live_until="2021-01-01")


def test_profiles_without_dates_behave_as_before():
    # The first profile whose URL pattern matches, whatever the capture date.
    first = Profile(layout="first", url_pattern=PATTERN, content_css="div.tresc",
                    body_css="div.tekst", title_css="h2.tytul")
    second = Profile(layout="second", url_pattern=PATTERN, content_css="article")
    other = Profile(layout="other", url_pattern=r"/galeria/")
    for when in (None, "2019-05-14T08:00:00Z", "2024-03-02T09:30:00Z", "not a date"):
        assert choose_profile((other, first, second), URL, when) is first
        a = read(OLD_PAGE, when, (other, first, second))
        assert a["extraction"] == {"method": "site", "profile": "ops/first", "warnings": []}
    assert choose_profile((other,), URL, "2024-03-02") is None


def test_without_a_capture_date_the_first_match_is_used():
    assert choose_profile((NEW, OLD), URL) is NEW
    assert read(NEW_PAGE, None)["extraction"]["profile"] == "ops/2021"


def test_a_capture_outside_every_window_is_read_with_the_first_match_and_warned():
    early = Profile(layout="2015", url_pattern=PATTERN, content_css="article",
                    body_css="div.entry", title_css="h1", live_from="2015-01-01",
                    live_until="2016-12-31")
    a = read(NEW_PAGE, "2024-03-02T09:30:00Z", (early,))
    assert a["extraction"]["profile"] == "ops/2015"
    assert a["extraction"]["warnings"] == [(
        "captured on 2024-03-02, outside every matching layout's live dates; "
        "layout '2015' used")]
