"""Polish date parsing for article pages, listings and permalinks.

The sites kronika archives print dates in many shapes: "28 czerwca 2024",
"Dodano: 01.08.2024", "środa, 10 lipca 2019 14:26", "2024/04/05 - 14:02",
"cze 15, 2023" and more (see research/sites.md, section 10). This module turns
the first (or every) such date in a piece of text into ISO 8601, keeping the
exact substring it came from so callers can report or strip it.

Standard library only: dateparser guesses too eagerly on free text, and a
wrong publication date in an archive is worse than none.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

__all__ = ["EARLIEST_YEAR", "ParsedDate", "find_dates", "parse_date", "parse_url_date"]

EARLIEST_YEAR = 1990
WARSAW = ZoneInfo("Europe/Warsaw")


@dataclass(frozen=True)
class ParsedDate:
    """A date found in a string: its ISO value and the text it was read from."""

    value: str  # "2024-06-28", or "2024-04-09T09:34:00+02:00" when a time was given
    raw: str  # the exact matched substring, e.g. "28 czerwca 2024" or "2024-04-09 09:34"


# Genitive is the correct form after a day number; nominative ("8 luty 2021")
# and three-letter abbreviations ("2 lis 2020", "cze 15, 2023") occur on real
# sites too. Forms without diacritics cover ASCII-only CMS templates and slugs.
_MONTH_FORMS = {
    1: "stycznia styczeń styczen sty",
    2: "lutego luty lut",
    3: "marca marzec mar",
    4: "kwietnia kwiecień kwiecien kwi",
    5: "maja maj",
    6: "czerwca czerwiec cze",
    7: "lipca lipiec lip",
    8: "sierpnia sierpień sierpien sie",
    9: "września wrzesnia wrzesień wrzesien wrz",
    10: "października pazdziernika październik pazdziernik paź paz",
    11: "listopada listopad lis",
    12: "grudnia grudzień grudzien gru",
}
MONTHS = {form: number for number, forms in _MONTH_FORMS.items() for form in forms.split()}

# Longest first, so "lis" never wins over "listopada"; the lookahead stops a
# short form from matching the start of an unrelated word.
_MONTH_NAME = (
    "(?P<month>"
    + "|".join(re.escape(form) for form in sorted(MONTHS, key=len, reverse=True))
    + r")(?![^\W\d_])\.?"
)

# A date must not start inside a word, a number ("114/116", "0910") or a URL
# query ("?id=2020-01-01"), nor right after "13-" (the tail of a range, whose
# first day is the date that counts) or "3." (version numbers, IP-like runs).
_LEFT = r"(?<![\w/=&?#%+])(?<!\d[.,\-–])"
# ...nor stop inside a longer digit run ("12.10.2020.5", dotted phone numbers).
# A hyphen may follow: "12.05.2024-14.05.2024" is a range whose first day counts.
_RIGHT = r"(?!\d)(?![./]\d)"
# "r." / "roku" are part of how Polish writes a year, often glued on ("2018roku").
_SUFFIX = r"(?:\s*(?:roku|r\.?)(?![^\W\d_]))?"
# A time counts only when it directly follows the date, so an unrelated
# "10:00" later in a sentence is never attached to it.
_TIME = r"""
    (?:
        (?:\s*,\s*|\s+[-–]\s+|\s+)      # "2017, 01:23" / "2013 - 15:12" / "2024-04-09 09:34"
        (?:o\s+)?(?:godz\.?\s*)?        # "o godz. 10:00"
        (?P<hour>[01]?\d|2[0-3]):(?P<minute>[0-5]\d)(?::(?P<second>[0-5]\d))?
        (?![\d:])
    )?
"""
_TAIL = _RIGHT + _SUFFIX + _TIME


def _compile(core: str) -> re.Pattern[str]:
    return re.compile(core + _TAIL, re.VERBOSE | re.IGNORECASE)


_PATTERNS = (
    # 2024-06-18, 2015.11.17, 2024/04/05: year first, one separator throughout.
    _compile(_LEFT + r"(?P<year>\d{4})(?P<sep>[-./])(?P<month>\d{1,2})(?P=sep)(?P<day>\d{1,2})"),
    # 01.08.2024, 18-06-2018, 5/3/2021.
    _compile(_LEFT + r"(?P<day>\d{1,2})(?P<sep>[-./])(?P<month>\d{1,2})(?P=sep)(?P<year>\d{4})"),
    # 21.11.24: strict two-digit fields and dots only, since short digit
    # triples are common in non-date text.
    _compile(_LEFT + r"(?P<day>\d{2})\.(?P<month>\d{2})\.(?P<year>\d{2})"),
    # 28 czerwca 2024; "13-15 czerwca 2024" is a range and yields its first day.
    _compile(
        _LEFT
        + r"(?P<day>\d{1,2})(?:\s*[-–]\s*\d{1,2})?\s+"
        + _MONTH_NAME
        + r"\s+(?P<year>\d{4})"
    ),
    # cze 15, 2023: English order, as printed by some WordPress themes.
    _compile(r"(?<![^\W\d_])" + _MONTH_NAME + r"\s+(?P<day>\d{1,2}),\s*(?P<year>\d{4})"),
)

# Dates inside links are identifiers, not dates in the text; parse_url_date
# is the deliberate way to read them.
_URL = re.compile(r"(?:https?://|www\.)\S+", re.IGNORECASE)

# WordPress permalinks: /2021/10/01/slug/.
_URL_DATE = re.compile(r"(?<=/)(?P<year>\d{4})/(?P<month>\d{2})/(?P<day>\d{2})(?=/|$)")


def _limit(now: datetime | None) -> datetime:
    """Latest acceptable moment: a day of slack absorbs time-zone skew and
    sites that pre-date tomorrow's announcements."""
    if now is None:
        now = datetime.now(WARSAW)
    elif now.tzinfo is None:
        now = now.replace(tzinfo=WARSAW)
    return now.astimezone(WARSAW) + timedelta(days=1)


def _build(match: re.Match[str], limit: datetime) -> ParsedDate | None:
    fields = match.groupdict()
    month_text = fields["month"]
    month = int(month_text) if month_text.isdigit() else MONTHS[month_text.lower()]
    day = int(fields["day"])
    year = int(fields["year"])
    try:
        if len(fields["year"]) == 2:
            # Two-digit years mean this century unless that lands in the future.
            year += 2000
            if date(year, month, day) > limit.date():
                year -= 100
        day_value = date(year, month, day)
    except ValueError:  # 31.02.2020 and the like
        return None
    if year < EARLIEST_YEAR:
        return None

    if fields.get("hour") is None:
        if day_value > limit.date():
            return None
        value = day_value.isoformat()
    else:
        # ZoneInfo picks the offset valid on that date, so DST comes out right.
        moment = datetime(
            year, month, day,
            int(fields["hour"]), int(fields["minute"]), int(fields["second"] or 0),
            tzinfo=WARSAW,
        )
        if moment > limit:
            return None
        value = moment.isoformat()
    return ParsedDate(value=value, raw=match.group(0))


def _iter_dates(text: str, now: datetime | None) -> Iterator[ParsedDate]:
    limit = _limit(now)
    url_spans = [m.span() for m in _URL.finditer(text)]
    candidates = [
        m
        for pattern in _PATTERNS
        for m in pattern.finditer(text)
        if not any(start <= m.start() < end for start, end in url_spans)
    ]
    # Leftmost first; at equal starts the longer match carries more detail.
    candidates.sort(key=lambda m: (m.start(), -m.end()))
    taken_until = 0
    for match in candidates:
        if match.start() < taken_until:
            continue
        parsed = _build(match, limit)
        if parsed is not None:
            taken_until = match.end()
            yield parsed


def parse_date(text: str, *, now: datetime | None = None) -> ParsedDate | None:
    """Parse the FIRST date in a short date line such as a page's date element
    or a listing's "Dodano: 01.08.2024".

    Labels, weekdays and other text around the date are skipped. Returns None
    when there is no date, when the year is missing ("18 listopada"), or when
    every candidate is invalid or out of bounds (before EARLIEST_YEAR, or more
    than a day after `now`, which defaults to the current time in Warsaw).
    """
    return next(_iter_dates(text, now), None)


def find_dates(text: str, *, now: datetime | None = None) -> list[ParsedDate]:
    """Every date in free text, in order of appearance (same rules as parse_date)."""
    return list(_iter_dates(text, now))


def parse_url_date(url: str, *, now: datetime | None = None) -> ParsedDate | None:
    """Date from a /2021/10/01/ style WordPress permalink -> 2021-10-01.

    Only the path is searched, so ids in the host or query string are ignored.
    """
    limit = _limit(now)
    for match in _URL_DATE.finditer(urlsplit(url).path):
        parsed = _build(match, limit)
        if parsed is not None:
            return parsed
    return None


def parse_machine_date(value: str, *, now: datetime | None = None) -> ParsedDate | None:
    """An ISO 8601 value from markup (meta tags, <time datetime>, JSON-LD), converted to
    the Warsaw offset; falls back to ``parse_date`` for the Polish forms some CMSes put
    there. A bare date stays a date."""
    text = value.strip()
    try:
        if len(text) == 10:
            moment = None
            day_value = date.fromisoformat(text)
        else:
            moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
            if moment.tzinfo is None:
                moment = moment.replace(tzinfo=WARSAW)
            moment = moment.astimezone(WARSAW).replace(microsecond=0)
            day_value = moment.date()
    except ValueError:
        return parse_date(text, now=now)
    limit = _limit(now)
    if day_value.year < EARLIEST_YEAR or day_value > limit.date() or (moment and moment > limit):
        return None
    return ParsedDate(value=moment.isoformat() if moment else day_value.isoformat(), raw=text)
