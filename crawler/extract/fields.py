"""The Article's fields besides the body: title, dates, author, source, lead, language.

Three places they come from, each with its reader here:

* the elements a site profile names (``profile_fields``);
* what any page says about itself in its ``<head>`` and markup: meta tags, JSON-LD,
  ``<time datetime>`` (``PageDates``), then the listing's date and the URL's;
* lines of the body that are fields rather than text: "Autor: X", "Źródło: X", a closing
  signature, a date line. ``tidy_blocks`` lifts them out of either path's body.

The generic path's own guesses (a headline or a date found without a profile) are in
``crawler.extract.generic``.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from crawler.extract import chrome
from crawler.extract.dates import ParsedDate, parse_date, parse_machine_date, parse_url_date
from crawler.extract.media import ATTACHMENT_EXTENSIONS
from crawler.extract.profile import Profile
from crawler.extract.select import select_unedited
from crawler.extract.text import Block, element_text, link_density, normalize_space

# Meta names and itemprops that carry the dates, most specific first.
_META_DATE = ("article:published_time", "og:published_time", "datePublished",
              "dc.date", "DC.date.issued", "date", "pubdate")
_META_MODIFIED = ("article:modified_time", "og:updated_time", "dateModified")


def first_match(doc, css: str | None):
    """The first element of the page matching ``css``, or None (also for no ``css``).
    Only for the page as parsed: the site path cuts its body from a copy, so the page's
    id index stays right (select_unedited)."""
    if not css:
        return None
    found = select_unedited(doc, css)
    return found[0] if found else None


@dataclass
class ProfileFields:
    """What a profile's field selectors found on a page (None: nothing found)."""

    title: str | None
    lead: str | None
    category: str | None
    author: str | None
    source: str | None
    date: ParsedDate | None


def profile_fields(doc, profile: Profile, now) -> ProfileFields:
    """The fields a profile's selectors point at, read from the page."""
    p = profile
    title = undouble(element_text(first_match(doc, p.title_css)))
    if title and p.title_strip:
        title = normalize_space(re.sub(p.title_strip, "", title))
    return ProfileFields(
        title=title or None,
        lead=element_text(first_match(doc, p.lead_css)) or None,
        category=element_text(first_match(doc, p.category_css)) or p.category,
        author=field_value(element_text(first_match(doc, p.author_css)), chrome.AUTHOR_RE),
        source=field_value(element_text(first_match(doc, p.source_css)), chrome.SOURCE_RE),
        date=element_date(first_match(doc, p.date_css), now),
    )


def element_date(el, now) -> ParsedDate | None:
    """The date a profile's date element gives: a <time datetime> (the element itself or
    one inside it) is exact to the minute and carries its offset, so it beats the text;
    otherwise the Polish date in the element's text."""
    if el is None:
        return None
    machine = el if el.tag == "time" and el.get("datetime") else next(
        iter(el.xpath(".//time[@datetime]")), None)
    if machine is not None:
        parsed = parse_machine_date(machine.get("datetime"), now=now)
        if parsed:
            return parsed
    text = element_text(el)
    return parse_date(text, now=now) if text else None


class PageDates:
    """The published and modified dates of one page, from wherever it states them."""

    def __init__(self, doc, url: str, profile: Profile | None, now,
                 labelled: dict | None = None):
        self.doc, self.url, self.profile, self.now = doc, url, profile, now
        self._labelled = labelled  # generic.labelled_dates(doc, now), when known
        self._metas: list | None = None

    def published(self, page_date: ParsedDate | None, page_date_source: str,
                  listing_date: str | None) -> tuple[str | None, str | None, str | None]:
        """(ISO date, the text it was read from, where: page/text/meta/listing/url).
        What the page itself states comes first, then what points at it from outside
        (the listing that linked it, its URL)."""
        if page_date:
            return page_date.value, page_date.raw, page_date_source
        meta = self._meta_date(_META_DATE)
        if meta:
            return meta.value, meta.raw, "meta"
        if listing_date:
            parsed = parse_machine_date(listing_date, now=self.now)
            if parsed:
                return parsed.value, parsed.raw, "listing"
        from_url = parse_url_date(self.url, now=self.now)
        if from_url:
            return from_url.value, from_url.raw, "url"
        return None, None, None

    def modified(self) -> str | None:
        """The modification date: the profile's element, else the page's meta tags."""
        css = self.profile.modified_css if self.profile else None
        parsed = element_date(first_match(self.doc, css), self.now) if css else None
        parsed = parsed or self._meta_date(_META_MODIFIED) or self._labelled_modified()
        return parsed.value if parsed else None

    def _labelled_modified(self) -> ParsedDate | None:
        """A "Data modyfikacji: ..." the page prints (a BIP metadata table), on pages
        read without a profile."""
        if self.profile is not None:
            return None
        from crawler.extract.generic import labelled_dates  # generic imports this module

        if self._labelled is None:
            self._labelled = labelled_dates(self.doc, self.now)
        found = self._labelled.get(chrome.MODIFICATION_RANK)
        return found[0] if found else None

    def _meta_date(self, names) -> ParsedDate | None:
        if self._metas is None:  # one walk of the page for every name asked about
            self._metas = [(el.get("property"), el.get("name"), el.get("itemprop"),
                            el.get("content", "")) for el in self.doc.iter("meta")]
        for name in names:
            for *keys, content in self._metas:
                if name in keys:
                    parsed = parse_machine_date(content, now=self.now)
                    if parsed:
                        return parsed
        if "datePublished" in names:
            for script in self.doc.xpath("//script[@type='application/ld+json']"):
                try:
                    data = json.loads(script.text or "")
                except (ValueError, RecursionError):  # the page's JSON, of any shape
                    continue
                for item in data if isinstance(data, list) else [data]:
                    if isinstance(item, dict) and isinstance(item.get("datePublished"), str):
                        parsed = parse_machine_date(item["datePublished"], now=self.now)
                        if parsed:
                            return parsed
            # A <time> only in the article itself: sidebars list other articles' dates.
            scope = first_match(self.doc, self.profile.content_css) if self.profile else None
            if scope is None:
                scope = next(iter(self.doc.xpath("//article | //main")), None)
            for el in scope.xpath(".//time[@datetime]") if scope is not None else ():
                parsed = parse_machine_date(el.get("datetime"), now=self.now)
                if parsed:
                    return parsed
        return None


def tidy_blocks(blocks: list[Block], title: str | None, lead: str | None,
                now) -> tuple[list[Block], str | None, str | None]:
    """The body without chrome lines, the repeated title and lead, and the lines that
    are fields: returns (blocks kept, the first author found, the first source found).
    "Autor:"/"Źródło:" lines and closing signatures become the author or source; a
    line that is only a date is dropped (the date is read elsewhere)."""
    kept: list[Block] = []
    author = source = None
    sidebar = False
    last = len(blocks) - 2  # sign-offs close a text: only the last two blocks
    for index, block in enumerate(blocks):
        text = block.text
        if chrome.is_chrome_text(text) or _is_calendar(block):
            continue
        if is_listing_block(block, now):
            # A list of other articles after the text is the page's side column: the
            # short blocks after it (its logos' captions, funding notes) are too.
            sidebar = bool(kept)
            continue
        if sidebar and len(text) < _SIDEBAR_BLOCK:
            continue
        if title and undouble(text) == title:
            continue
        if lead and text == lead:
            continue
        if block.kind == "p" and len(text) < 150:
            labelled_author = label_value(text, chrome.AUTHOR_RE)
            labelled_source = label_value(text, chrome.SOURCE_RE)
            if labelled_author:
                author = author or labelled_author
                continue
            if labelled_source:
                source = source or labelled_source
                continue
            signature = (chrome.SIGNATURE_RE.match(text)
                         or chrome.OFFICE_SIGNATURE_RE.match(text)) if index >= last else None
            if signature:
                author = author or normalize_space(signature["value"])
                continue
            if len(text) < 60 and parse_date(text, now=now) and date_only(text):
                continue
        if "\n" in text:  # a metadata table or list: every row is a field or chrome
            lines = [row_text(_LIST_MARKER.sub("", line)) for line in text.split("\n") if line]
            # "Autor:"/"Źródło:" rows are fields too, in a short block only.
            fields = [(label_value(line, chrome.AUTHOR_RE), label_value(line, chrome.SOURCE_RE))
                      if len(text) < 400 else (None, None) for line in lines]
            if all(chrome.is_chrome_text(line) or any(field) or (
                    # a <dl>'s value, as its own line after its label's
                    index and _LABEL_ALONE.match(lines[index - 1]) and len(line) <= 120)
                   for index, (line, field) in enumerate(zip(lines, fields, strict=True))):
                author = author or next((a for a, _ in fields if a), None)
                source = source or next((s for _, s in fields if s), None)
                continue
        kept.append(block)
    return _without_contact_edges(_without_link_list_tail(kept)), author, source


_LIST_MARKER = re.compile(r"^(?:- |\d+\. )")
# A metadata label on a line of its own (chrome.METADATA_PATTERNS' first).
_LABEL_ALONE = re.compile(chrome.METADATA_PATTERNS[0], re.I)


_CALENDAR_CELL = re.compile(r"^(?:\d{1,2}|pn|pon|wt|wto|śr|sr|śro|cz|czw|pt|pią|pia|so|sob|nd|"
                            r"ndz|n|mo|tu|we|th|fr|sa|su)\.?$", re.I)


def _is_calendar(block: Block) -> bool:
    """A month's calendar (a table of day numbers and weekday names): a sidebar's, which
    an article's text never is."""
    if block.kind != "table":
        return False
    cells = [c for c in re.split(r"[\s|]+", block.text) if c]
    days = sum(1 for c in cells if _CALENDAR_CELL.match(c))
    return days >= 20 and days >= 0.7 * len(cells)


def row_text(line: str) -> str:
    """A table row's text ("Data publikacji: | 2024-10-09", "Metryczka | ") as one line
    of text: its cells joined, empty ones gone."""
    return " ".join(cell.strip() for cell in line.split("|") if cell.strip())


def _without_link_list_tail(blocks: list[Block]) -> list[Block]:
    """The body without a trailing list of links to other pages (an undated "newest
    articles" or "see also" column a table layout puts next to the text) and the short
    blocks after it. Only at the end, and only links to pages: a list of files is the
    article's attachments, and a list of links between paragraphs is the article's."""
    cut = len(blocks)
    for index in range(len(blocks) - 1, 0, -1):
        block = blocks[index]
        if _is_link_list(block):
            cut = index
        elif len(block.text) >= _SIDEBAR_BLOCK:
            break
    return blocks[:cut]


def _is_link_list(block: Block) -> bool:
    lines = [line for line in block.text.split("\n") if line]
    if len(lines) < 3 or len(_LINK.findall(block.html)) < 2:
        return False
    return link_density(block) >= 0.7 and not any(
        href.rsplit(".", 1)[-1].lower() in ATTACHMENT_EXTENSIONS
        for href in _HREF.findall(block.html))


def _without_contact_edges(blocks: list[Block]) -> list[Block]:
    """The body without the address and contact lines before its first and after its
    last block of text (a footer or header trafilatura took in)."""
    def contact(block: Block) -> bool:
        lines = [line for line in block.text.split("\n") if line]
        return bool(lines) and all(chrome.CONTACT_LINE.match(line) or chrome.is_chrome_text(line)
                                   or len(line) < 60 and not line.endswith(".")
                                   for line in lines) and any(
            chrome.CONTACT_LINE.match(line) for line in lines)

    start, end = 0, len(blocks)
    while start < end and contact(blocks[start]):
        start += 1
    while end > start and contact(blocks[end - 1]):
        end -= 1
    return blocks[start:end] if start < end else blocks


_LINK = re.compile(r"<a href=")
_HREF = re.compile(r'<a href="([^"?#]*)')
# After a list of other articles, blocks shorter than this are the side column's.
_SIDEBAR_BLOCK = 250


def is_listing_block(block: Block, now) -> bool:
    """A block that lists other articles ("latest news" boxes of old layouts): at least
    two of its lines begin or end with a date, they are most of its lines, and it links
    at least as many pages as it has dated lines."""
    if block.kind not in ("p", "div", "table") or "\n" not in block.text:
        return False
    lines = [line for line in block.text.split("\n") if line]
    dated = sum(1 for line in lines if len(line) < 160 and (
        (found := parse_date(line, now=now)) is not None
        and (line.startswith(found.raw) or line.endswith(found.raw))))
    return dated >= 2 and 2 * dated >= len(lines) - 1 and (
        len(_LINK.findall(block.html)) >= dated)


def undouble(text: str) -> str:
    """A title printed twice in a row ("AbcAbc", "Abc Abc") becomes "Abc"."""
    n = len(text)
    for cut in {n // 2, (n + 1) // 2}:
        left, right = text[:cut].strip(), text[cut:].strip()
        if left and left == right:
            return left
    return text


def label_value(text: str, pattern: re.Pattern) -> str | None:
    """The value of an "Autor: X" / "Źródło: X" line, or None when it is not one."""
    match = pattern.match(text) if text else None
    if not match:
        return None
    value = normalize_space(match.group("value")).rstrip(".")
    if not value or value.casefold() in chrome.NOT_AUTHORS:
        return None
    return value


def field_value(text: str, pattern: re.Pattern) -> str | None:
    """A profile-selected author/source element: its label stripped if it has one."""
    return label_value(text, pattern) or text or None


def date_only(text: str) -> bool:
    """True when a short text is only a date, optionally labelled: metadata, not body."""
    return len(re.sub(r"[\d\s.:,/\-]", "", text)) <= 30 and bool(re.search(r"\d{4}|\d\.\d", text))


def page_language(doc) -> str:
    """The language the page's <html> declares, as a two- or three-letter code; "pl"
    when it declares none that reads as one (every site crawled here is Polish)."""
    lang = (doc.get("lang") or doc.get("{http://www.w3.org/XML/1998/namespace}lang") or "")
    lang = lang.split("-")[0].strip().lower()
    return lang if re.fullmatch(r"[a-z]{2,3}", lang) else "pl"
