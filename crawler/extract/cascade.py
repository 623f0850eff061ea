"""The extraction cascade: one fetched page in, one Article record out.

Order, and what is recorded on the article:
1. the site profile's selectors pick the container, title, date, lead, gallery and
   attachments (``extraction.method = "site"``);
2. shared chrome stripping (``clean``) cleans what the profile picked, inside the
   container too;
3. trafilatura (``fallback``) takes over the body when the profile under-delivers: no
   body, or a body far shorter than the generic one (``method = "generic"`` plus a
   warning saying why). Sites without a profile go straight to 3.

This module decides; the stages it calls do the work: ``document`` (bytes to a parsed
page), ``fields`` (title, dates, author...), ``generic`` (the guesses a page without a
profile needs), ``media``, ``record`` (the dict the schema describes).
"""

from __future__ import annotations

import copy
from datetime import datetime

import lxml.html

from crawler.extract import chrome
from crawler.extract.budget import (
    Budget,
    bound_depth,
    configured,
    cuttable,
    fit_blocks,
    fit_field,
    fit_list,
    fit_page,
)
from crawler.extract.byline import page_author
from crawler.extract.clean import strip_chrome, text_bounds, text_length
from crawler.extract.dates import ParsedDate
from crawler.extract.document import parse_document, parser_input
from crawler.extract.fallback import (
    density_blocks,
    generic_blocks,
    generic_page_blocks,
    keep_block,
    main_text,
    marked_lead,
    page_blocks,
    standfirst,
    trim_edges,
)
from crawler.extract.fields import (
    PageDates,
    page_language,
    profile_fields,
    tidy_blocks,
)
from crawler.extract.generic import (
    after_headline,
    body_anchor,
    date_texts,
    fallback_title,
    generic_date,
    generic_title,
    is_file_list,
    labelled_dates,
    lead_figures,
    media_region,
)
from crawler.extract.media import collect_attachments, collect_images
from crawler.extract.profile import Profile, capture_day, choose_profile
from crawler.extract.record import SiteRules, article_record
from crawler.extract.select import select, select_unedited
from crawler.extract.site import SiteMemory
from crawler.extract.text import Block, blocks_text, element_text, render_blocks
from crawler.extract.urls import document_base

# A profile body is "far shorter" than trafilatura's when under this share of its length
# and more than _SHORT_MIN_GAP characters shorter (so a two-line notice next to a
# cookie-banner-polluted generic body does not flip to generic).
_SHORT_RATIO = 0.4
_SHORT_MIN_GAP = 300
# Profile bodies at least this long are not compared with trafilatura (saves ~2-40 ms
# a page; a long body cannot be "missing").
_COMPARE_BELOW = 1500
_SENTENCE_WORDS = 6


def extract(body: bytes | str, url: str, rules: SiteRules | None = None, *,
            content_type: str | None = None, listing_date: str | None = None,
            fetched_at: str | None = None, capture: dict | None = None,
            now: datetime | None = None, budget: Budget | None = None,
            site: SiteMemory | None = None) -> dict:
    """Run the cascade on one page and return the Article as a JSON-ready dict.
    Raises ExtractionError when the body is not an HTML page (empty, binary).

    ``budget`` bounds the page read, the depth of its tree and the record (default:
    budget.configured(), the defaults and the KRONIKA_ environment variables); what it
    cuts is warned of. ``site``: the crawl's memory of the site's other pages, which
    tells the template's <title> and images from the page's own; the page is shown to it
    too."""
    budget = budget or configured()
    warnings: list[str] = []
    markup = _page_within(body, content_type, budget, warnings)
    doc = parse_document(markup, budget, warnings)
    # The layout that was live when the page was captured: a re-extraction from an old
    # WARC file reads each capture as the site was then.
    profile = choose_profile(rules.profiles, url, fetched_at) if rules else None
    state = _Extraction(doc, url, profile, now, budget)
    state.markup = markup
    if site is not None:
        state.site_titles = site.site_titles(url, doc)
        site.observe(url, doc)
    state.warnings = warnings
    if rules and rules.profiles and profile is None:
        warnings.append("no profile matches this URL; generic extraction")
    if profile is not None and profile.dated:
        day = capture_day(fetched_at)
        if day is not None and not profile.live_on(day):
            warnings.append(f"captured on {day}, outside every matching layout's live "
                            f"dates; layout {profile.layout!r} used")
    if profile is not None:
        state.run_profile(profile)
    state.decide_body(warnings)
    if site is not None:
        state.images = site.template_images(url, state.images)
        state.blocks = site.template_blocks(url, state.blocks)

    dates = PageDates(doc, url, profile, now, labelled=state.labelled)
    published = dates.published(state.page_date, state.page_date_source, listing_date)
    blocks = fit_blocks(state.blocks, budget, warnings)
    text = blocks_text(blocks)

    def field(value: str | None, what: str) -> str | None:
        return fit_field(value, what, budget, warnings)

    return article_record(
        url=url, rules=rules, profile=profile,
        title=field(state.title or fallback_title(doc, text, warnings, state.site_titles),
                    "title") or "",
        published=published, modified=dates.modified(), author=field(state.author, "author"),
        source=field(state.source, "source"), category=field(state.category, "category"),
        lead=field(state.lead, "lead"), text=text, blocks=blocks,
        images=fit_list(state.images, "images", budget, warnings),
        attachments=fit_list(state.attachments, "attachments", budget, warnings),
        language=page_language(doc), fetched_at=fetched_at, method=state.method,
        warnings=warnings, capture=capture)


def _page_within(body: bytes | str, content_type: str | None, budget: Budget,
                 warnings: list[str]) -> bytes:
    """The page as the parser reads it (document.parser_input), within the budget's page
    size: cut before decoding (a cut page decodes faster), or after it for UTF-16 and
    UTF-32 bodies, whose bytes cannot be cut safely."""
    if cuttable(body):
        return parser_input(fit_page(body, budget, warnings), content_type)
    return fit_page(parser_input(body, content_type), budget, warnings)


def content_length(blocks: list[Block]) -> int:
    """Characters of running text: lines of at least _SENTENCE_WORDS words that are not
    chrome. Menus, toolbars and link lists that trafilatura keeps merged into one block
    are short lines, so they do not make a generic body look longer than it is."""
    total = 0
    for block in blocks:
        for line in block.text.split("\n"):
            line = line.removeprefix("- ")
            if len(line.split()) >= _SENTENCE_WORDS and not chrome.is_chrome_text(line):
                total += len(line)
    return total


class _Extraction:
    """The working state of one page's extraction."""

    def __init__(self, doc, url: str, profile: Profile | None, now: datetime | None,
                 budget: Budget):
        self.doc, self.url, self.profile, self.now = doc, url, profile, now
        self.budget = budget
        self.page_body = doc.find("body")
        # What relative links resolve against: the page's <base href>, which a copy of
        # the <body> alone no longer holds.
        self.base = document_base(doc, url)
        self.markup = b""  # the page as parsed: a byte search says whether to look further
        self.title: str | None = None
        self.site_titles: frozenset[str] = frozenset()  # <title>s the whole site shows
        self.lead: str | None = None
        self.author: str | None = None
        self.source: str | None = None
        self.category: str | None = None
        self.page_date: ParsedDate | None = None
        self.page_date_source = "page"
        self._cleaned_doc = None
        self.labelled: dict | None = None  # generic.labelled_dates, once asked
        self.prose = None  # the page's densest run of prose (fallback.main_text), once read
        self.blocks: list[Block] = []
        self.images: list[dict] = []
        self.attachments: list[dict] = []
        self.method = "generic"
        self.warnings: list[str] = []

    # -- the site path -------------------------------------------------------
    def run_profile(self, p: Profile) -> None:
        found = profile_fields(self.doc, p, self.now)
        self.title, self.lead, self.category = found.title, found.lead, found.category
        self.author, self.source, self.page_date = found.author, found.source, found.date

        # The body is cut from a copy of the page's <body> (the <head>, with its scripts
        # and styles, is a third of the copying and holds nothing a profile selects).
        # Everything is found in the copy before anything is cut from it: only then is
        # its id index right (select_unedited).
        work = copy.deepcopy(self.page_body if self.page_body is not None else self.doc)
        container = next(iter(select_unedited(work, p.content_css)), None)
        if container is None:
            return
        body = next(iter(select(container, p.body_css)), None) if p.body_css else container
        if body is None:
            return
        galleries = select_unedited(work, p.gallery_css) if p.gallery_css else []
        blocks_of_files = select_unedited(work, p.attachments_css) if p.attachments_css else []
        _drop(galleries)
        # A file block inside a gallery went with it.
        cut = set(galleries)
        blocks_of_files = [el for el in blocks_of_files
                           if not (el in cut or any(a in cut for a in el.iterancestors()))]
        _drop(blocks_of_files)
        # Only what lies in the content container matters to the body; matching there
        # instead of in the whole page saves a tree walk per selector. (So these
        # selectors are written from the container down, never from its ancestors.)
        # One selector group: one XPath call instead of one per field.
        _detach(container, ", ".join(filter(None, (
            p.title_css, p.date_css, p.lead_css, p.author_css, p.source_css, p.category_css,
            p.modified_css, *p.exclude_css))))
        for root in (body, *galleries, *blocks_of_files):
            strip_chrome(root)
        if body is not container and not element_text(body):
            # Broken markup: a stray end tag right after the body element's start closed
            # it, and the text that belongs in it follows it inside the content container
            # (title, dates and the profile's exclusions are detached from that already).
            strip_chrome(container)
            body = container
            self.warnings.append("profile body element empty (broken markup); "
                                 "its content container used")
        self.images = collect_images([body, *galleries], self.base)
        self.attachments = collect_attachments([body], self.base, declared=blocks_of_files)
        self.blocks = self._tidy(render_blocks(body, self.base))
        if self.blocks:
            self.method = "site"

    # -- choosing the body -----------------------------------------------------
    def decide_body(self, warnings: list[str]) -> None:
        site_len = content_length(self.blocks)
        if self.profile is not None and self.blocks and (
                site_len >= _COMPARE_BELOW or not self._generic_could_win(site_len)):
            return
        if self.profile is None:
            self._page_without_profile(warnings)
            return
        generic = self._tidy(generic_blocks(self._cleaned_html(), self.url))
        gen_len = content_length(generic)
        if self.profile is not None:
            if self.blocks and not (site_len < _SHORT_RATIO * gen_len
                                    and gen_len - site_len > _SHORT_MIN_GAP):
                return
            warnings.append(
                "profile found no body; generic extraction used" if not self.blocks else
                f"profile body far shorter than generic ({site_len} vs {gen_len} characters "
                f"of running text); "
                "generic extraction used")
        self.method = "generic"
        self.blocks = generic
        self._generic_fields()

    def _page_without_profile(self, warnings: list[str]) -> None:
        """The generic path: trafilatura on the page as it is, its blocks filtered
        (fallback.keep_block), checked against the page's own main text and read again
        by the next stage when far shorter (never empty in silence), the standfirst
        restored as the lead."""
        # Everything below reads the whole page, trafilatura too (which, past a few
        # hundred levels, drops what follows the nesting without a word).
        bound_depth(self.doc, self.budget, warnings)
        # A quotation's or figure's own <footer> is its attribution ("<cite>pani Halina,
        # uczestniczka</cite>"), not the page's footer, which trafilatura drops by tag.
        for footer in list(self.doc.iter("footer")):
            if next(footer.iterancestors("blockquote", "figure"), None) is not None:
                footer.tag = "div"
        expected, element = main_text(self.doc)
        blocks = generic_page_blocks(self.doc, self.url, expected)
        blocks = self._never_short(blocks, warnings, expected, element)
        blocks = trim_edges(blocks, self.doc, element)
        self.prose = element
        if not self.lead:
            self.lead, blocks = marked_lead(self.doc, blocks, element)
        self.method = "generic"
        self.blocks = self._tidy(blocks)
        self.lead = self.lead or standfirst(self.doc, blocks_text(self.blocks))
        self._generic_fields()

    def _never_short(self, blocks: list[Block], warnings: list[str], expected: int,
                     element) -> list[Block]:
        """A body that is empty, or far shorter than the page's densest run of prose
        (fallback.main_text), is read again with trafilatura favouring recall, then
        taken from that run of prose itself; each step leaves a warning."""

        def short(found: list[Block]) -> bool:
            length = len(blocks_text(found))
            return not found or (length < _SHORT_RATIO * expected
                                 and expected - length > _SHORT_MIN_GAP)

        if not short(blocks):
            return blocks
        length = len(blocks_text(blocks))
        warnings.append(("generic body empty" if not blocks else
                         f"generic body far shorter than the page's main text ({length} vs "
                         f"{expected} characters)") + "; read again favouring recall")
        retry = [b for b in page_blocks(self.doc, self.url, mode="recall") if keep_block(b)]
        if len(blocks_text(retry)) > length:
            blocks, length = retry, len(blocks_text(retry))
        if short(blocks) and element is not None:
            dense = density_blocks(element, self.url)
            if len(blocks_text(dense)) > length:
                warnings.append("generic body taken from the page's densest run of prose "
                                "(text-density fallback)")
                blocks = dense
        if not blocks:
            warnings.append("no body found by any stage of the cascade")
        return blocks

    def _generic_fields(self) -> None:
        if not self.title:
            self.title = generic_title(self.doc, self.site_titles)
        if self.title:  # trafilatura keeps the headline, and the labels printed above it
            self.blocks = after_headline(self.blocks, self.title)
        self.blocks = [b for b in self.blocks if not is_file_list(b)]
        texts = None
        if self.page_date is None:
            texts = date_texts(self.doc)
            if self.profile is None:
                self.labelled = labelled_dates(self.doc, self.now, texts)
            self.page_date, self.page_date_source = generic_date(
                self.doc, self.title, self.now, labelled=self.labelled, texts=texts)
        if self.author is None and self.profile is None:
            self.author = page_author(self.doc, texts or date_texts(self.doc), self.markup)
        if not (self.images or self.attachments):
            self._generic_media()

    def _generic_could_win(self, site_len: int) -> bool:
        """False when no generic body could be "far longer" than the profile's: the
        generic body is read from the page after strip_chrome, so it is at most the text
        that strip_chrome leaves; a profile body that is a large enough share of that, or
        close enough to it, stands without running trafilatura (the most expensive step
        of the site path). That text is bounded cheaply first (text_bounds), then, if
        need be, measured on the cleaned page trafilatura would read."""
        if self.page_body is None:
            return True

        def could_win(visible: int) -> bool:
            bound = visible + 50  # separators and list markers the rendering adds
            return site_len < _SHORT_RATIO * bound and bound - site_len > _SHORT_MIN_GAP

        return (all(could_win(visible) for visible in text_bounds(self.page_body))
                and could_win(text_length(self._cleaned())))

    def _cleaned(self):
        """The page's body with kronika's chrome rules applied (built once), for the
        site path's fallback: trafilatura gets the whole cleaned document."""
        if self._cleaned_doc is None:
            self._cleaned_doc = copy.deepcopy(self.doc)
            body = self._cleaned_doc.find("body")
            if body is not None:
                strip_chrome(body)
        return self._cleaned_doc.find("body")

    def _cleaned_html(self) -> str:
        # trafilatura reads the page after our chrome rules: menus, share bars, cookie
        # banners and footers it would keep are gone before it looks. (The whole
        # document: given a bare <body>, trafilatura finds nothing.)
        self._cleaned()
        bound_depth(self._cleaned_doc, self.budget, self.warnings)
        return lxml.html.tostring(self._cleaned_doc, encoding="unicode")

    def _generic_media(self) -> None:
        if self.profile is None:
            found = (media_region(self.page_body, self.blocks, self.prose)
                     if self.page_body is not None and self.blocks else None)
            if found is not None:
                root, original = found
                # The lead photo before the region is looked for on the page as it is: the
                # chrome rules take an article's <header> with the rest.
                self.images = collect_images([*lead_figures(original), root], self.base)
                self.attachments = collect_attachments([root], self.base)
            return
        body = self._cleaned()
        root = body_anchor(body, self.blocks) if body is not None and self.blocks else None
        if root is not None:
            # The copy of the whole page still holds its <base href>: document_base
            # resolves it against the page's URL.
            self.images = collect_images([root], self.url)
            self.attachments = collect_attachments([root], self.url)

    def _tidy(self, blocks: list[Block]) -> list[Block]:
        """tidy_blocks, keeping the author and source found first (the profile's own
        elements, then the body's labelled lines)."""
        kept, author, source = tidy_blocks(blocks, self.title, self.lead, self.now)
        self.author = self.author or author
        self.source = self.source or source
        return kept


def _drop(elements: list) -> None:
    for el in elements:
        if el.getparent() is not None:
            el.drop_tree()


def _detach(root, css: str | None) -> list:
    if not css:
        return []
    found = select(root, css)
    _drop(found)
    return found
