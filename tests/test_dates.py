"""Tests for crawler.extract.dates: every example of docs/research/sites.md section 10, plus edge cases."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from crawler.extract.dates import (
    EARLIEST_YEAR,
    ParsedDate,
    find_dates,
    parse_date,
    parse_url_date,
)

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=ZoneInfo("Europe/Warsaw"))


# (row of docs/research/sites.md section 10, example string as written there, expected value, expected raw)
SECTION_10 = [
    ("genitive", "28 czerwca 2024", "2024-06-28", "28 czerwca 2024"),
    ("genitive", "10 grudnia 2019", "2019-12-10", "10 grudnia 2019"),
    ("genitive", "11 maja 2018", "2018-05-11", "11 maja 2018"),
    ("genitive", "16 grudnia 2021", "2021-12-16", "16 grudnia 2021"),
    ("genitive", "18 marca 2024", "2024-03-18", "18 marca 2024"),
    ("weekday", "piątek, 28 marca 2014", "2014-03-28", "28 marca 2014"),
    ("weekday", "środa, 10 lipca 2019 14:26", "2019-07-10T14:26:00+02:00", "10 lipca 2019 14:26"),
    ("iso", "2019-04-03", "2019-04-03", "2019-04-03"),
    ("iso", "2014-12-09", "2014-12-09", "2014-12-09"),
    ("iso", "2024-06-18", "2024-06-18", "2024-06-18"),
    ("iso-time-label", "Data dodania: 2024-04-09 09:34", "2024-04-09T09:34:00+02:00",
     "2024-04-09 09:34"),
    ("iso-time-label", "Opublikowano:2012-12-10 15:59:27", "2012-12-10T15:59:27+01:00",
     "2012-12-10 15:59:27"),
    ("iso-time-label", "Data stworzenia : 2021-02-03 12:13", "2021-02-03T12:13:00+01:00",
     "2021-02-03 12:13"),
    ("dmy-label", "Dodano: 01.08.2024", "2024-08-01", "01.08.2024"),
    ("dmy-label", "Data publikacji: 26.03.2014", "2014-03-26", "26.03.2014"),
    ("dmy-label", "Opublikowano: 04.06.2024", "2024-06-04", "04.06.2024"),
    ("dmy-bare", "30.11.2015", "2015-11-30", "30.11.2015"),
    ("dmy-bare", "26.11.2021", "2021-11-26", "26.11.2021"),
    ("dmy-bare", "20.06.2018", "2018-06-20", "20.06.2018"),
    ("dmy-bare", "01.10.2021", "2021-10-01", "01.10.2021"),
    ("dmy-r", "21.06.2017 r.", "2017-06-21", "21.06.2017 r."),
    ("dmy-r", "W dniu 15.12.2022r.", "2022-12-15", "15.12.2022r."),
    ("dmy-hyphen", "18-06-2018", "2018-06-18", "18-06-2018"),
    ("dmy-hyphen", "23-09-2025", "2025-09-23", "23-09-2025"),
    ("ymd-dots-time", "2015.11.17 12:25 , aktualizacja: 2015.11.17 12:36",
     "2015-11-17T12:25:00+01:00", "2015.11.17 12:25"),
    ("ymd-slash-time", "2024/04/05 - 14:02", "2024-04-05T14:02:00+02:00", "2024/04/05 - 14:02"),
    ("dmy-short", "21.11.24", "2024-11-21", "21.11.24"),
    ("nominative", "Dodana: 8 luty 2021 12:31", "2021-02-08T12:31:00+01:00", "8 luty 2021 12:31"),
    ("abbreviated", "2 lis 2020", "2020-11-02", "2 lis 2020"),
    ("abbreviated", "cze 15, 2023", "2023-06-15", "cze 15, 2023"),
    ("opublikowano-user", "opublikowano: 18 listopada 2013 - 15:12, admin",
     "2013-11-18T15:12:00+01:00", "18 listopada 2013 - 15:12"),
    ("print-footer", "Wygenerowano: Poniedziałek, 2 stycznia 2017, 01:23",
     "2017-01-02T01:23:00+01:00", "2 stycznia 2017, 01:23"),
    ("in-text", "W dniu 6 października 2017 roku", "2017-10-06", "6 października 2017 roku"),
    ("in-text", "11 maja 2018roku", "2018-05-11", "11 maja 2018roku"),
    ("in-text", "W dniach 13-15 czerwca 2024", "2024-06-13", "13-15 czerwca 2024"),
    ("in-text", "18 listopada", None, None),
    # Image-name digits are not publication dates; space-separated numbers are too ambiguous.
    ("image-name", "2019 12 19 …", None, None),
    ("image-name", "0910", None, None),
]


@pytest.mark.parametrize(
    "text, value, raw",
    [pytest.param(text, value, raw, id=f"{row}:{text}") for row, text, value, raw in SECTION_10],
)
def test_section_10_examples(text, value, raw):
    expected = None if value is None else ParsedDate(value=value, raw=raw)
    assert parse_date(text, now=NOW) == expected


@pytest.mark.parametrize(
    "text, value, raw",
    [
        ("Dodana:8 luty 2021", "2021-02-08", "8 luty 2021"),
        ("Data: 2019-04-03", "2019-04-03", "2019-04-03"),
        ("Zmodyfikowana: 26.11.2021", "2021-11-26", "26.11.2021"),
        ("aktualizacja: 2015.11.17 12:36", "2015-11-17T12:36:00+01:00", "2015.11.17 12:36"),
        ("Data publikacji:26.03.2014", "2014-03-26", "26.03.2014"),
        ("10 grudnia 2019 roku", "2019-12-10", "10 grudnia 2019 roku"),
        ("11 maja 2018 r", "2018-05-11", "11 maja 2018 r"),
        ("5/3/2021", "2021-03-05", "5/3/2021"),
        ("2024-6-9", "2024-06-09", "2024-6-9"),
        ("18 listopada 2013 o godz. 9:05", "2013-11-18T09:05:00+01:00",
         "18 listopada 2013 o godz. 9:05"),
        ("10 grudnia 2019 r., godz. 10:00", "2019-12-10T10:00:00+01:00",
         "10 grudnia 2019 r., godz. 10:00"),
        ("2 lis. 2020", "2020-11-02", "2 lis. 2020"),
        ("sie 3, 2021", "2021-08-03", "sie 3, 2021"),
        ("01.10.2021 r. 10:00-12:00", "2021-10-01T10:00:00+02:00", "01.10.2021 r. 10:00"),
    ],
)
def test_labels_suffixes_and_separators(text, value, raw):
    assert parse_date(text, now=NOW) == ParsedDate(value=value, raw=raw)


@pytest.mark.parametrize(
    "text, value",
    [
        ("30 wrzesnia 2020", "2020-09-30"),
        ("30 września 2020", "2020-09-30"),
        ("1 pazdziernika 2020", "2020-10-01"),
        ("1 PAŹDZIERNIKA 2020", "2020-10-01"),
        ("1 Października 2020", "2020-10-01"),
        ("3 styczeń 2020", "2020-01-03"),
        ("3 grudzien 2020", "2020-12-03"),
        ("3 KWIECIEŃ 2020", "2020-04-03"),
        ("3 paź 2020", "2020-10-03"),
        ("3 maj 2020", "2020-05-03"),
    ],
)
def test_month_names_case_and_diacritics(text, value):
    assert parse_date(text, now=NOW).value == value


def test_dst_offsets():
    assert parse_date("15.01.2024 10:00", now=NOW).value == "2024-01-15T10:00:00+01:00"
    assert parse_date("15.07.2024 10:00", now=NOW).value == "2024-07-15T10:00:00+02:00"
    # Either side of the 2024 spring change (31 March, 02:00 -> 03:00).
    assert parse_date("2024-03-30 12:00", now=NOW).value == "2024-03-30T12:00:00+01:00"
    assert parse_date("2024-03-31 12:00", now=NOW).value == "2024-03-31T12:00:00+02:00"


@pytest.mark.parametrize(
    "text",
    [
        "18 listopada",  # no year
        "",
        "Brak daty",
        "31.02.2020",  # no such day
        "29.02.2023",
        "32 stycznia 2020",
        "2020-13-01",
        "15.06.1989",  # before EARLIEST_YEAR
        "1 stycznia 1850",
        "24.11.2026",  # NOW + 2 days
        "1 grudnia 2026",
        "2030-01-01 10:00",
        "tel. 44 683 51 11",  # phone numbers
        "tel. 12-424-07-50",
        "fax 42.683.22.00",
        "Program Operacyjny 2014-2020",  # year range
        "ul. Piłsudskiego 114/116",  # street number
        "https://rops.krakow.pl/aktualnosci/2021-10-01-spotkanie",  # id in a URL
        "index.php?id=2021-10-01",
        "IMG_2019-12-19.jpg",
        "1 0910",  # gallery file-name label
        "wersja 1.10.12",
        "robi sie 15 razy w 2023",  # ASCII "się", not "sie" (August): no "month day, year" shape
    ],
)
def test_rejected(text):
    assert parse_date(text, now=NOW) is None
    assert find_dates(text, now=NOW) == []


def test_earliest_year_is_inclusive():
    assert EARLIEST_YEAR == 1990
    assert parse_date("01.01.1990", now=NOW).value == "1990-01-01"
    assert parse_date("31.12.1989", now=NOW) is None


def test_future_bound_allows_one_day_of_slack():
    assert parse_date("23.11.2026", now=NOW).value == "2026-11-23"
    assert parse_date("2026-11-23 11:59", now=NOW).value == "2026-11-23T11:59:00+01:00"
    assert parse_date("2026-11-23 12:01", now=NOW) is None


def test_naive_now_is_taken_as_warsaw_time():
    assert parse_date("23.11.2026", now=datetime(2026, 11, 22, 12, 0)).value == "2026-11-23"
    assert parse_date("24.11.2026", now=datetime(2026, 11, 22, 12, 0)) is None


def test_two_digit_year_falls_back_to_previous_century_when_in_future():
    assert parse_date("21.11.24", now=NOW).value == "2024-11-21"
    assert parse_date("21.11.99", now=NOW).value == "1999-11-21"
    assert parse_date("21.11.26", now=NOW).value == "2026-11-21"
    # 2085 is in the future, 1985 before EARLIEST_YEAR.
    assert parse_date("21.11.85", now=NOW) is None


def test_parse_date_skips_out_of_bounds_candidate():
    text = "Wygenerowano: 01.01.2099, Dodano: 01.08.2024"
    assert parse_date(text, now=NOW) == ParsedDate(value="2024-08-01", raw="01.08.2024")
    assert parse_date("31.02.2020 / 28.02.2020", now=NOW).value == "2020-02-28"


def test_time_only_when_directly_after_date():
    assert parse_date("28 czerwca 2024, spotkanie o 10:00", now=NOW) == ParsedDate(
        value="2024-06-28", raw="28 czerwca 2024"
    )
    # Out-of-range hours or minutes leave the date alone.
    assert parse_date("28.06.2024 24:00", now=NOW) == ParsedDate("2024-06-28", "28.06.2024")
    assert parse_date("28.06.2024 12:60", now=NOW) == ParsedDate("2024-06-28", "28.06.2024")
    assert parse_date("28.06.2024 23:59", now=NOW).value == "2024-06-28T23:59:00+02:00"
    assert parse_date("28.06.2024 0:05", now=NOW).value == "2024-06-28T00:05:00+02:00"


def test_raw_is_exact_substring():
    text = "Dodano:\u00a001.08.2024 | Autor: Jan"
    parsed = parse_date(text, now=NOW)
    assert parsed == ParsedDate(value="2024-08-01", raw="01.08.2024")
    assert text[text.index(parsed.raw):].startswith("01.08.2024 |")
    parsed = parse_date("środa,  10  lipca  2019  14:26", now=NOW)
    assert parsed.raw == "10  lipca  2019  14:26"


def test_find_dates_in_order():
    body = (
        "W dniach 13-15 czerwca 2024 odbyło się szkolenie (zgłoszenia do 31.05.2024 r.). "
        "Poprzednia edycja: 2 lis 2020; nr tel. 44 683 51 11; projekt 2014-2020. "
        "Termin 31.02.2020 nie istnieje. 18 listopada odbędzie się spotkanie. "
        "Zob. https://rops.krakow.pl/2021/10/01/x oraz wpis z 2019-04-03 09:15."
    )
    assert find_dates(body, now=NOW) == [
        ParsedDate("2024-06-13", "13-15 czerwca 2024"),
        ParsedDate("2024-05-31", "31.05.2024 r."),
        ParsedDate("2020-11-02", "2 lis 2020"),
        ParsedDate("2019-04-03T09:15:00+02:00", "2019-04-03 09:15"),
    ]


def test_find_dates_numeric_range_and_repeats():
    assert find_dates("12.05.2024-14.05.2024", now=NOW) == [ParsedDate("2024-05-12", "12.05.2024")]
    assert find_dates("12.05.2024 - 14.05.2024", now=NOW) == [
        ParsedDate("2024-05-12", "12.05.2024"),
        ParsedDate("2024-05-14", "14.05.2024"),
    ]
    assert find_dates("2015.11.17 12:25 , aktualizacja: 2015.11.17 12:36", now=NOW) == [
        ParsedDate("2015-11-17T12:25:00+01:00", "2015.11.17 12:25"),
        ParsedDate("2015-11-17T12:36:00+01:00", "2015.11.17 12:36"),
    ]


@pytest.mark.parametrize(
    "url, expected",
    [
        ("https://rops.pomorskie.eu/2021/10/01/konferencja/", ParsedDate("2021-10-01", "2021/10/01")),
        ("https://example.pl/2021/10/01", ParsedDate("2021-10-01", "2021/10/01")),
        ("https://example.pl/blog/2019/12/19/slug?p=2020/01/01/", ParsedDate("2019-12-19", "2019/12/19")),
        ("https://example.pl/2021/10/slug/", None),  # no day
        ("https://example.pl/2021/02/30/slug/", None),  # no such day
        ("https://example.pl/2030/01/01/slug/", None),  # future
        ("https://example.pl/1985/01/01/slug/", None),  # too early
        ("https://example.pl/news,2021,10,01.html", None),
        ("https://example.pl/?p=2021/10/01/", None),  # query is not the path
    ],
)
def test_parse_url_date(url, expected):
    assert parse_url_date(url, now=NOW) == expected


@pytest.mark.parametrize(("value", "expected"), [
    ("2024-06-29T10:15:00+02:00", "2024-06-29T10:15:00+02:00"),
    ("2024-01-15T09:00:00Z", "2024-01-15T10:00:00+01:00"),
    ("2024-07-15T09:00:00.123Z", "2024-07-15T11:00:00+02:00"),
    ("2024-06-29", "2024-06-29"),
    ("2024-06-29 10:15", "2024-06-29T10:15:00+02:00"),
    ("28 czerwca 2024", "2024-06-28"),
])
def test_machine_dates_from_markup(value, expected):
    from crawler.extract.dates import parse_machine_date
    assert parse_machine_date(value, now=NOW).value == expected


@pytest.mark.parametrize("value", ["2099-01-01T00:00:00Z", "1985-05-05", "bez daty"])
def test_machine_dates_out_of_bounds_or_absent(value):
    from crawler.extract.dates import parse_machine_date
    assert parse_machine_date(value, now=NOW) is None
