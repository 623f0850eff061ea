"""The extraction cascade: one fetched page in, one Article record out.

Order, and what is recorded on the article:
1. the site profile's selectors pick the container, title, date, lead, gallery and
   attachments (``extraction.method = "site"``);
2. shared chrome stripping (``clean``) cleans what the profile picked, inside the
   container too;
3. trafilatura (``fallback``) takes over the body when the profile under-delivers: no
   body, or a body far shorter than the generic one (``method = "generic"`` plus a
   warning saying why). Sites without a profile go straight to 3.
"""

from __future__ import annotations

import copy
import hashlib
import json
import re
import threading
from dataclasses import dataclass, field
from datetime import datetime
from urllib.parse import urlsplit

import lxml.etree
import lxml.html

from crawler.extract.profile import Profile, choose_profile
from crawler.extract.urls import article_id, canonicalize
from crawler.extract.validation import check
from crawler.extract import chrome
from crawler.extract.clean import strip_chrome, text_bounds, text_length
from crawler.extract.dates import parse_date, parse_machine_date, parse_url_date
from crawler.extract.encoding import decode as decode_bytes
from crawler.extract.fallback import generic_blocks
from crawler.extract.media import ATTACHMENT_EXTENSIONS, collect_attachments, collect_images
from crawler.extract.select import select, select_unedited
from crawler.extract.text import Block, blocks_html, blocks_text, element_text, normalize_space, render_blocks

SCHEMA_VERSION = "1.0"
# A profile body is "far shorter" than trafilatura's when under this share of its length
# and more than _SHORT_MIN_GAP characters shorter (so a two-line notice next to a
# cookie-banner-polluted generic body does not flip to generic).
_SHORT_RATIO = 0.4
_SHORT_MIN_GAP = 300
# Profile bodies at least this long are not compared with trafilatura (saves ~2-40 ms
# a page; a long body cannot be "missing").
_COMPARE_BELOW = 1500
_SENTENCE_WORDS = 6
_META_DATE = ("article:published_time", "og:published_time", "datePublished",
              "dc.date", "DC.date.issued", "date", "pubdate")
_META_MODIFIED = ("article:modified_time", "og:updated_time", "dateModified")


class ExtractionError(ValueError):
    """The input is not an HTML page an Article can come from (empty, binary)."""


@dataclass(frozen=True)
class SiteRules:
    """What the extractor needs to know about a site (taken from its spider)."""

    slug: str
    profiles: tuple[Profile, ...] = ()
    host_aliases: dict = field(default_factory=dict)
    drop_params: tuple[str, ...] = ()
    url_rewrites: tuple[tuple[str, str], ...] = ()


_SIGNATURES = ((b"%PDF-", "PDF"), (b"\x89PNG", "PNG"), (b"\xff\xd8\xff", "JPEG"),
               (b"GIF8", "GIF"), (b"PK\x03\x04", "ZIP/Office"),
               (b"\xd0\xcf\x11\xe0", "MS Office"), (b"RIFF", "RIFF"))


_CONTROL_BYTES = bytes([*range(9), *range(14, 32)])
_CONTROLS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_STRIPPED_BYTES = bytes(b for b in range(128) if _CONTROLS.match(chr(b)))


def _refuse_binary(body: bytes) -> None:
    head = body[:4096]
    # A file's signature, NUL bytes or a high share of control bytes: an image, PDF or
    # office document served as HTML.
    kind = next((name for magic, name in _SIGNATURES if head.startswith(magic)), None)
    controls = len(head) - len(head.translate(None, _CONTROL_BYTES))
    if kind or b"\x00" in head or controls > len(head) // 20:
        raise ExtractionError(f"not an HTML page (binary content: {kind or 'unknown'})")


def _has_stripped_bytes(body: bytes) -> bool:
    # Bytes without them decode (in any encoding found here) to text without them.
    return len(body.translate(None, _STRIPPED_BYTES)) != len(body)


def decode_html(body: bytes | str, content_type: str | None = None) -> str:
    """Bytes to text: BOM, then the HTTP charset, then <meta charset>, then detection.
    Raises ExtractionError for an empty or binary body."""
    if isinstance(body, str):
        text = body
    else:
        _refuse_binary(body)
        _, text = decode_bytes(body, content_type)
        clean = not _has_stripped_bytes(body)
    # C0 controls are not allowed in HTML; lxml keeps some of them when parsing and
    # then refuses them when the tree is edited.
    if isinstance(body, str) or not clean:
        text = _CONTROLS.sub("", text)
    if not text.strip():
        raise ExtractionError("the page is empty")
    return text


_PARSERS = threading.local()  # lxml parsers must not be shared between threads


def _parser() -> lxml.etree.HTMLParser:
    parser = getattr(_PARSERS, "parser", None)
    if parser is None:
        # huge_tree: without it libxml2 silently drops text or attribute values over
        # 10 MB, such as an image pasted into an article as a data: URI, and the article
        # with them.
        parser = lxml.etree.HTMLParser(encoding="utf-8", remove_blank_text=False,
                                       huge_tree=True)
        # Every element an lxml.html HtmlElement, without lxml.html's lookup: that one is
        # Python code run for each element the extraction touches (to give forms and
        # inputs their own classes, which nothing here uses).
        parser.set_element_class_lookup(lxml.etree.ElementDefaultClassLookup(
            element=lxml.html.HtmlElement, comment=lxml.html.HtmlComment,
            pi=lxml.html.HtmlProcessingInstruction, entity=lxml.html.HtmlEntity))
        _PARSERS.parser = parser
    return parser


def parser_input(body: bytes | str, content_type: str | None = None) -> bytes:
    """The page as the UTF-8 bytes the parser reads; see decode_html for the rules and
    the errors. A body that is UTF-8 already (ASCII included) is passed as it is: most
    pages are, and decoding them to text only to encode them again doubles the work."""
    if isinstance(body, bytes) and not body.startswith((b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")):
        _refuse_binary(body)
        try:
            text = body.decode("utf-8")  # UTF-8 whatever it declares (encoding.py, rule 1)
        except UnicodeDecodeError:
            text = None
        if text is not None and not _has_stripped_bytes(body):
            if not text.strip():
                raise ExtractionError("the page is empty")
            return body
    return decode_html(body, content_type).encode("utf-8")


def parse_document(page: str | bytes):
    """An lxml.html document for page text or its UTF-8 bytes (an XML prolog with an
    encoding is tolerated)."""
    if isinstance(page, str):
        page = page.encode("utf-8")
    page = re.sub(rb"^\s*<\?xml[^>]*\?>", b"", page)
    try:
        root = lxml.etree.fromstring(page, parser=_parser())
    except lxml.etree.ParserError as exc:  # e.g. a page of nothing but a comment
        raise ExtractionError(f"no HTML document in the page ({exc})") from None
    if root is None:
        raise ExtractionError("no HTML document in the page")
    return root


def extract(body: bytes | str, url: str, rules: SiteRules | None = None, *,
            content_type: str | None = None, listing_date: str | None = None,
            fetched_at: str | None = None, capture: dict | None = None,
            now: datetime | None = None) -> dict:
    """Run the cascade on one page and return the Article as a JSON-ready dict."""
    doc = parse_document(parser_input(body, content_type))
    profile = choose_profile(rules.profiles, url) if rules else None
    state = _Extraction(doc, url, profile, now)
    warnings = state.warnings
    if rules and rules.profiles and profile is None:
        warnings.append("no profile matches this URL; generic extraction")
    if profile is not None:
        state.run_profile()
    state.decide_body(warnings)

    published = state.date(listing_date)
    text = blocks_text(state.blocks)
    canonical = canonicalize(url, rules.host_aliases if rules else None,
                             rules.drop_params if rules else (),
                             rules.url_rewrites if rules else ())
    record = {
        "schema_version": SCHEMA_VERSION,
        "id": article_id(canonical),
        "site": rules.slug if rules else "generic",
        "url": url,
        "canonical_url": canonical,
        "title": state.title or _fallback_title(doc, text, warnings),
        "published": published[0],
        "published_raw": published[1],
        "published_source": published[2],
        "modified": state.modified(),
        "author": state.author,
        "source": state.source,
        "category": state.category,
        "lead": state.lead,
        "text": text,
        "html": blocks_html(state.blocks),
        "images": state.images,
        "attachments": state.attachments,
        "language": _language(doc),
        "content_hash": "sha256:" + hashlib.sha256(text.encode("utf-8")).hexdigest(),
        "fetched_at": fetched_at,
        "extraction": {
            "method": state.method,
            "profile": f"{rules.slug}/{profile.layout}" if rules and profile else None,
            "warnings": warnings,
        },
        "capture": capture,
    }
    return check(record)


class _Extraction:
    """The working state of one page's extraction."""

    def __init__(self, doc, url: str, profile: Profile | None, now: datetime | None):
        self.doc, self.url, self.profile, self.now = doc, url, profile, now
        self.page_body = doc.find("body")
        self.title: str | None = None
        self.lead = self.author = self.source = self.category = None
        self.page_date = None
        self.page_date_source = "page"
        self._cleaned_doc = None
        self.blocks: list[Block] = []
        self.images: list[dict] = []
        self.attachments: list[dict] = []
        self.method = "generic"
        self.warnings: list[str] = []
        self._metas: list | None = None

    # -- the site path -------------------------------------------------------
    def _first(self, css: str | None, root=None):
        """The first match of ``css`` in the page, or under ``root``."""
        if not css:
            return None
        # The page itself is never edited (the body is cut from a copy), so its id index
        # can be used.
        found = select(root, css) if root is not None else select_unedited(self.doc, css)
        return found[0] if found else None

    def run_profile(self) -> None:
        p = self.profile
        title = undouble(element_text(self._first(p.title_css)))
        if title and p.title_strip:
            title = normalize_space(re.sub(p.title_strip, "", title))
        self.title = title or None
        self.lead = element_text(self._first(p.lead_css)) or None
        self.category = element_text(self._first(p.category_css)) or p.category
        self.author = _field_value(element_text(self._first(p.author_css)), chrome.AUTHOR_RE)
        self.source = _field_value(element_text(self._first(p.source_css)), chrome.SOURCE_RE)
        self.page_date = element_date(self._first(p.date_css), self.now)

        # The body is cut from a copy of the page's <body> (the <head>, with its scripts
        # and styles, is a third of the copying and holds nothing a profile selects).
        # Everything is found in the copy before anything is cut from it: only then is
        # its id index right (select_unedited).
        work = copy.deepcopy(self.page_body if self.page_body is not None else self.doc)
        container = next(iter(select_unedited(work, p.content_css)), None)
        if container is None:
            return
        body = self._first(p.body_css, container) if p.body_css else container
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
        self.images = collect_images([body, *galleries], self.url)
        self.attachments = collect_attachments([body], self.url, declared=blocks_of_files)
        self.blocks = self._tidy(render_blocks(body, self.url))
        if self.blocks:
            self.method = "site"

    # -- choosing the body -----------------------------------------------------
    def decide_body(self, warnings: list[str]) -> None:
        site_len = content_length(self.blocks)
        if self.profile is not None and self.blocks and (
                site_len >= _COMPARE_BELOW or not self._generic_could_win(site_len)):
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
        if not self.title:
            self.title = generic_title(self.doc)
        if self.title:  # trafilatura keeps the headline, and the labels printed above it
            self.blocks = _after_headline(self.blocks, self.title)
        self.blocks = [b for b in self.blocks if not _is_file_list(b)]
        if self.page_date is None:
            self.page_date, self.page_date_source = generic_date(self.doc, self.title, self.now)
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
        """The page's body with kronika's chrome rules applied (built once)."""
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
        return lxml.html.tostring(self._cleaned_doc, encoding="unicode")

    def _generic_media(self) -> None:
        body = self._cleaned()
        root = _anchor(body, self.blocks) if body is not None and self.blocks else None
        if root is not None:
            self.images = collect_images([root], self.url)
            self.attachments = collect_attachments([root], self.url)

    def _tidy(self, blocks: list[Block]) -> list[Block]:
        """Drop chrome, the repeated title and lead, and lift Autor:/Źródło: lines."""
        kept = []
        last = len(blocks) - 2  # sign-offs close a text: only the last two blocks
        for index, block in enumerate(blocks):
            text = block.text
            if chrome.is_chrome_text(text):
                continue
            if self.title and undouble(text) == self.title:
                continue
            if self.lead and text == self.lead:
                continue
            if block.kind == "p" and len(text) < 150:
                author = _label_value(text, chrome.AUTHOR_RE)
                source = _label_value(text, chrome.SOURCE_RE)
                if author:
                    self.author = self.author or author
                    continue
                if source:
                    self.source = self.source or source
                    continue
                signature = (chrome.SIGNATURE_RE.match(text)
                             or chrome.OFFICE_SIGNATURE_RE.match(text)) if index >= last else None
                if signature:
                    self.author = self.author or normalize_space(signature["value"])
                    continue
                if len(text) < 60 and parse_date(text, now=self.now) and _date_only(text):
                    continue
            kept.append(block)
        return kept

    # -- dates -----------------------------------------------------------------
    def date(self, listing_date: str | None) -> tuple[str | None, str | None, str | None]:
        if self.page_date:
            return self.page_date.value, self.page_date.raw, self.page_date_source
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
        css = self.profile.modified_css if self.profile else None
        parsed = element_date(self._first(css), self.now) if css else None
        parsed = parsed or self._meta_date(_META_MODIFIED)
        return parsed.value if parsed else None

    def _meta_date(self, names):
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
                except ValueError:
                    continue
                for item in data if isinstance(data, list) else [data]:
                    if isinstance(item, dict) and isinstance(item.get("datePublished"), str):
                        parsed = parse_machine_date(item["datePublished"], now=self.now)
                        if parsed:
                            return parsed
            # A <time> only in the article itself: sidebars list other articles' dates.
            scope = self._first(self.profile.content_css) if self.profile else None
            if scope is None:
                scope = next(iter(self.doc.xpath("//article | //main")), None)
            for el in scope.xpath(".//time[@datetime]") if scope is not None else ():
                parsed = parse_machine_date(el.get("datetime"), now=self.now)
                if parsed:
                    return parsed
        return None


def generic_title(doc) -> str | None:
    """The headline of a page without a profile: the h1 (or h2) that the page's <title>
    or og:title begins with (a logo's h1 does not), else that title without its
    " - Site name" suffix. None when the page has neither."""
    titles = [normalize_space(el.get("content", "")) for el in
              doc.xpath("//meta[@property='og:title']")] + [element_text(doc.find(".//title"))]
    titles = [t for t in titles if t]
    for heading in doc.xpath("//h1 | //h2 | //h3"):
        text = undouble(element_text(heading))
        if len(text) >= 8 and any(t.startswith(text) for t in titles):
            return text
    for heading in doc.xpath("//article//h1 | //main//h1"):
        text = undouble(element_text(heading))
        if text:
            return text
    if titles:
        site = normalize_space(" ".join(doc.xpath("//meta[@property='og:site_name']/@content")))
        title = titles[0]
        if site and title.endswith(site):
            return re.sub(r"\s*[-|–»]\s*$", "", title[: -len(site)]).strip() or title
        # "Headline - Section - Site": the site's name is the last segment, and
        # headlines themselves contain " - ".
        return re.split(r"\s+[-|–]\s+(?=[^-|–]*$)", title)[0]
    return None


_DATE_TOKEN = re.compile(r"date|data|datum|publi|posted|dodan|time", re.I)
_NOT_ARTICLE = re.compile(r"sidebar|menu|calendar|kalendar|related|powiazane|footer|stopka|"
                          r"widget|cookie|breadcrumb|news-list|lista", re.I)


def element_date(el, now):
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


def generic_date(doc, title: str | None, now) -> tuple:
    """A page date without a profile: an element marked as a date (class/id), else a
    short date-only line after the headline. Never a date inside a paragraph of text,
    never one in a sidebar, menu, calendar or list of other articles."""
    heading = next((h for h in doc.xpath("//h1 | //h2 | //h3")
                    if title and undouble(element_text(h)) == title), None)
    after = heading is None
    marked, lines = None, None
    for el in doc.iter("time", "span", "div", "p", "small", "em", "strong", "dd", "li"):
        if el is heading:
            continue
        if not after:
            after = heading is not None and el in set(heading.iterdescendants()) or (
                heading is not None and _follows(el, heading))
            if not after and not _DATE_TOKEN.search(f"{el.get('class', '')} {el.get('id', '')}"):
                continue
        text = element_text(el)
        if not text or len(text) > 80 or _in_other_content(el):
            continue
        parsed = parse_date(text, now=now)
        if not parsed or not _date_only(text):
            continue
        tokens = f"{el.get('class', '')} {el.get('id', '')} {el.tag}"
        if marked is None and _DATE_TOKEN.search(tokens):
            marked = parsed
            break
        if lines is None and after:
            lines = parsed
    if marked:
        return marked, "page"
    return (lines, "text") if lines else (None, "page")


def _follows(el, heading) -> bool:
    # Document order: lxml elements compare by position through their sourceline when
    # parsed from text; fall back to an explicit walk for nodes without one.
    a, b = el.sourceline, heading.sourceline
    return a is not None and b is not None and a >= b


def _in_other_content(el) -> bool:
    for node in (el, *el.iterancestors()):
        if node.tag in ("nav", "aside", "footer", "form"):
            return True
        if _NOT_ARTICLE.search(f"{node.get('class', '')} {node.get('id', '')}"):
            return True
    return False


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


_LIST_ITEM = re.compile(r"<li>(.*?)</li>", re.S)
_HREF = re.compile(r'<a href="([^"]+)"')


def _is_file_list(block: Block) -> bool:
    """A list whose every item is a link to a document: the attachment block, which
    `attachments` holds; trafilatura leaves it in the text."""
    if block.kind not in ("ul", "ol"):
        return False
    items = _LIST_ITEM.findall(block.html)
    return bool(items) and all(
        any(_extension_of(href) in ATTACHMENT_EXTENSIONS
            for href in _HREF.findall(item)) for item in items)


def _extension_of(href: str) -> str:
    try:
        return urlsplit(href).path.lower().rsplit(".", 1)[-1]
    except ValueError:  # an unparseable link: not a file
        return ""


def _after_headline(blocks: list[Block], title: str) -> list[Block]:
    """The generic body without the headline and the short blocks above it (section
    kickers, category labels, date lines): the article starts after its title."""
    at = next((i for i, b in enumerate(blocks) if undouble(b.text) == title), None)
    if at is None:
        return blocks
    before = [b for b in blocks[:at] if len(b.text) >= _KICKER_MAX]
    return before + blocks[at + 1:]


_KICKER_MAX = 80


def undouble(text: str) -> str:
    """A title printed twice in a row ("AbcAbc", "Abc Abc") becomes "Abc"."""
    n = len(text)
    for cut in {n // 2, (n + 1) // 2}:
        left, right = text[:cut].strip(), text[cut:].strip()
        if left and left == right:
            return left
    return text


def _label_value(text: str, pattern: re.Pattern) -> str | None:
    """The value of an "Autor: X" / "Źródło: X" line, or None when it is not one."""
    match = pattern.match(text) if text else None
    if not match:
        return None
    value = normalize_space(match.group("value")).rstrip(".")
    if not value or value.casefold() in chrome.NOT_AUTHORS:
        return None
    return value


def _field_value(text: str, pattern: re.Pattern) -> str | None:
    """A profile-selected author/source element: its label stripped if it has one."""
    return _label_value(text, pattern) or text or None


def _date_only(text: str) -> bool:
    # A block that is only a date (optionally labelled) is metadata, not body.
    return len(re.sub(r"[\d\s.:,/\-]", "", text)) <= 30 and bool(re.search(r"\d{4}|\d\.\d", text))


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


def _anchor(body, blocks: list[Block]):
    """The smallest element holding the generic body's first and last paragraphs."""
    # One line of a block, without the "- "/"1. " list markers the page does not have.
    probes = [re.sub(r"^(?:- |\d+\. )", "", b.text.split("\n")[0])[:60]
              for b in (blocks[0], blocks[-1]) if len(b.text) >= 20]
    if not probes:
        return None
    nodes = []
    for probe in probes:
        hit = None
        for el in body.iter("p", "div", "li", "td", "span", "h2", "h3"):
            if probe in normalize_space(el.text_content()):
                hit = el  # keep descending: the last hit in document order is the deepest
        if hit is None:
            return None
        nodes.append(hit)
    ancestors = [set(n.iterancestors()) | {n} for n in nodes]
    common = set.intersection(*ancestors)
    node = nodes[0]
    while node is not None and node not in common:
        node = node.getparent()
    # Lift to enclosing containers while they add little text: a gallery or a file list
    # next to the text belongs to the article; a container twice as wordy does not.
    own = len(normalize_space(node.text_content())) if node is not None else 0
    while node is not None:
        parent = node.getparent()
        if parent is None or parent.tag == "body" or (
                len(normalize_space(parent.text_content())) > 1.3 * own + 200):
            break
        node = parent
    return node


def _fallback_title(doc, text: str, warnings: list[str]) -> str:
    title = generic_title(doc)
    if title:
        return title
    warnings.append("no title found")
    return text[:80] or "(no title)"


def _language(doc) -> str:
    lang = (doc.get("lang") or doc.get("{http://www.w3.org/XML/1998/namespace}lang") or "")
    lang = lang.split("-")[0].strip().lower()
    return lang if re.fullmatch(r"[a-z]{2,3}", lang) else "pl"
