"""Heuristics for a page read without a profile: its headline, date, body edges, media.

trafilatura (``crawler.extract.fallback``) gives the generic path its body and nothing
else (its date search is off). What a profile would have named, these functions guess
from the page: the headline the <title> begins with, a date line near it, where the
article starts in trafilatura's body, which element of the page holds that body (for its
images and files).
"""

from __future__ import annotations

import copy
import re
from urllib.parse import urlsplit

from crawler.extract import chrome
from crawler.extract.clean import strip_chrome, text_length
from crawler.extract.dates import ParsedDate, parse_date, parse_machine_date
from crawler.extract.fields import date_only, row_text, undouble
from crawler.extract.media import ATTACHMENT_EXTENSIONS, may_hold_media
from crawler.extract.text import (
    Block,
    ShortTexts,
    element_text,
    may_hold,
    normalize_space,
    plain_page,
    short_text,
    short_texts,
    text_of,
)

# Class/id words of an element that holds a date ("news-date", "data-publikacji",
# "posted-on"...).
_DATE_TOKEN = re.compile(r"date|data|datum|publi|posted|dodan|time", re.I)
# Class/id words of places that list other articles or the site's furniture: their
# dates are not this article's.
_NOT_ARTICLE = re.compile(r"sidebar|menu|calendar|kalendar|related|powiazane|footer|stopka|"
                          r"widget|cookie|breadcrumb|news-list|lista", re.I)
# Class/id tokens of an element that holds a headline in templates without h1/h2 (old
# table layouts: <span class="tytul">, <td class="naglowek_art">).
_TITLE_TOKEN = re.compile(r"(?:^|[\s_-])(?:tytul\w*|title|naglowek\w*|headline|heading"
                          r"|contentheading|componentheading)"
                          r"(?=[\s_-]|$)", re.I)
# A run of text at least this long counts as running text after a heading (menus and
# link lists are shorter runs).
_RUNNING_TEXT = 40
# A content heading must lead at least this much running text to beat the <title>.
_LEADS_AT_LEAST = 200
# Blocks above the headline shorter than this are kickers (section names, category
# labels, date lines), not text.
_KICKER_MAX = 80


def generic_title(doc, site_titles: frozenset[str] = frozenset()) -> str | None:
    """The headline of a page without a profile: the h1 (or h2) that the page's <title>
    or og:title begins with (a logo's h1 does not), else that title without its
    " - Site name" suffix. None when the page has neither. ``site_titles``: the
    declared titles the site's other pages show too (site.SiteMemory), never read as
    this page's."""
    head = doc.find("head")  # where the declarations are; the whole page if not there
    declared = head.xpath(".//meta[@property='og:title']") if head is not None else []
    titles = [normalize_space(el.get("content", "")) for el in
              declared or doc.xpath("//meta[@property='og:title']")] + [
        element_text(doc.find(".//title"))]
    titles = [t for t in titles if t and t not in site_titles]
    for heading in doc.xpath("//h1 | //h2 | //h3"):
        text = undouble(element_text(heading))
        if len(text) >= 8 and any(t.startswith(text) for t in titles) and not (
                chrome.is_chrome_text(text)):
            return text
    for heading in doc.xpath("//article//h1 | //main//h1"):
        text = undouble(element_text(heading))
        if text:
            return text
    # The article's own heading beats a <title> that does not begin with it (a site-wide
    # <title>, or "Aktualności - Site"): the heading that leads the most running text.
    leading = content_heading(doc) or (None if titles else content_heading(doc, emphasis=True))
    if leading:
        return leading
    if titles:
        site = normalize_space(" ".join(doc.xpath("//meta[@property='og:site_name']/@content")))
        title = titles[0]
        if site and title.endswith(site):
            return re.sub(r"\s*[-|–»]\s*$", "", title[: -len(site)]).strip() or title
        # "Headline - Section - Site": the site's name is the last segment, and
        # headlines themselves contain " - ".
        return re.split(r"\s+[-|–]\s+(?=[^-|–]*$)", title)[0]
    return None


def content_heading(doc, emphasis: bool = False) -> str | None:
    """The heading of the page's content region: of the headings (h1-h4, and elements
    whose class names a title) outside the page's furniture, the one followed by the
    most running text before the next heading. None when none leads _LEADS_AT_LEAST
    characters. ``emphasis``: paragraphs wholly in bold count as headings too (an old
    layout's headline is a <p><b><font>); only for a page without a declared title of
    its own, since articles use them as subheads."""
    body = doc.find("body")
    if body is None:
        return None
    scores: dict = {}
    current = None
    skip_until = None  # a furniture subtree being walked through
    for el in body.iter():
        if not isinstance(el.tag, str):
            continue
        if skip_until is not None:
            if skip_until in el.iterancestors():
                continue
            skip_until = None
        if el.tag in _FURNITURE_TAGS or _in_furniture(el):
            skip_until = el
            current = None
            continue
        names = f"{el.get('class', '')} {el.get('id', '')}"
        if el.tag in ("h1", "h2", "h3", "h4") or (
                el.tag in ("span", "td", "div", "p", "b", "strong", "font")
                and _TITLE_TOKEN.search(names)) or (emphasis and _wholly_bold(el)):
            text = undouble(element_text(el))
            if 8 <= len(text) <= 250 and not chrome.is_chrome_text(text) and (
                    not text.isupper()):
                current = text
                scores.setdefault(current, 0)
                continue
        if current is None:
            continue
        for chunk in (el.text, el.tail):
            if chunk and len(chunk.strip()) >= _RUNNING_TEXT:
                scores[current] += len(chunk.strip())
    if not scores:
        return None
    best = max(scores, key=lambda heading: scores[heading])
    return best if scores[best] >= _LEADS_AT_LEAST else None


def _wholly_bold(el) -> bool:
    """A p/div/td whose only content is one <b>/<strong> (whatever is inside it)."""
    if el.tag not in ("p", "div", "td") or len(el) != 1 or (el.text or "").strip():
        return False
    child = el[0]
    return child.tag in ("b", "strong") and not (child.tail or "").strip()


_FURNITURE_TAGS = frozenset({"nav", "header", "footer", "aside", "form", "script", "style",
                             "noscript"})
_FURNITURE_ROLES = frozenset({"navigation", "banner", "contentinfo", "complementary",
                              "search", "menu", "menubar"})


def _in_furniture(el) -> bool:
    return (el.get("role") or "").lower() in _FURNITURE_ROLES or _names_furniture(el)


# Layout modifiers name what the page has, not what the element is: <body class=
# "has-sidebar-right">, <main class="with-sidebar">. The <body>'s and <html>'s classes
# describe the whole page (WordPress: "page-template-sidebar"), never furniture.
_LAYOUT_MODIFIER = re.compile(r"(?<![\w-])(?:has|with|no|show|hide|without)[-_][\w-]*", re.I)


def _names_furniture(el, names: str | None = None) -> bool:
    """Whether the class or id of ``el`` (or ``names``, given) says it is furniture
    (_NOT_ARTICLE), layout modifiers aside; never for the <body> or <html>."""
    if names is None:
        names = f"{el.get('class', '')} {el.get('id', '')}"
    # The modifiers are stripped only from names that match at all (most do not).
    return _NOT_ARTICLE.search(names) is not None and el.tag not in ("body", "html") and (
        _NOT_ARTICLE.search(_LAYOUT_MODIFIER.sub(" ", names)) is not None)


def fallback_title(doc, text: str, warnings: list[str],
                   site_titles: frozenset[str] = frozenset()) -> str:
    """A title for any page: the generic headline, else the start of the text (with a
    warning, since a record must have a title)."""
    title = generic_title(doc, site_titles)
    if title:
        return title
    warnings.append("no title found")
    return text[:80] or "(no title)"


def generic_date(doc, title: str | None, now, labelled: dict | None = None,
                 texts: ShortTexts | None = None) -> tuple:
    """A page date without a profile: an element marked as a date (class/id), else a
    short date-only line after the headline. Never a date inside a paragraph of text,
    never one in a sidebar, menu, calendar or list of other articles.
    Returns (ParsedDate or None, "page" for a marked element, "text" for a line).
    ``labelled``: labelled_dates(doc, now), ``texts``: date_texts(doc), when the caller
    has them already."""
    if texts is None:
        texts = date_texts(doc)
    if labelled is None:
        labelled = labelled_dates(doc, now, texts)
    ranked = [labelled[r] for r in chrome.PUBLICATION_RANKS if r in labelled]
    if ranked:
        return ranked[0][0], "page"
    other_labels = {id(el) for _, el in labelled.values()}
    heading = next((h for h in doc.xpath("//h1 | //h2 | //h3")
                    if title and undouble(element_text(h)) == title), None)
    after = heading is None
    inside_heading = set(heading.iterdescendants()) if heading is not None else set()
    marked, lines = None, None
    other = _OtherContent()
    for el in doc.iter(*_LINE_TAGS):
        if el is heading:
            continue
        if el.tag == "td" and not _DATE_TOKEN.search(f"{el.get('class', '')} {el.get('id', '')}"):
            continue  # a table cell counts when marked (Joomla's td.createdate) only
        if not after:
            after = heading is not None and el in inside_heading or (
                heading is not None and _follows(el, heading))
            if not after and not _DATE_TOKEN.search(f"{el.get('class', '')} {el.get('id', '')}"):
                continue
        text = texts.get(el, _DIGIT)  # a date line has digits
        if not text or len(text) > 80 or other(el):
            continue
        if id(el) in other_labels or _date_label(text) is not None:
            continue  # an event or modification date, by its label
        if not date_only(text):
            continue
        parsed = parse_date(text, now=now)
        if not parsed or _is_listing_item(el):
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


_LABEL_RE = {rank: re.compile(
    r"^(?:" + "|".join(map(re.escape, sorted(labels, key=len, reverse=True)))
    + r")(?![^\W\d_])\s*:?\s*", re.I) for rank, labels in chrome.DATE_LABELS.items()}
# Where a label and its value sit: one element ("Data publikacji: 12.03.2024 r."), or a
# label cell and the next cell (<th>/<td>, <dt>/<dd>, <span>/<span>).
_LABEL_TAGS = ("p", "div", "span", "li", "dd", "dt", "td", "th", "small", "em", "strong",
               "b", "font", "time", "tr")
# The elements generic_date reads a date line from.
_LINE_TAGS = ("time", "span", "div", "p", "small", "em", "strong", "dd", "li", "td")
_DATE_TAGS = frozenset(_LABEL_TAGS + _LINE_TAGS)


# Any label of any rank: one failed match for the many texts that start with none.
_ANY_LABEL = re.compile("|".join(p.pattern for p in _LABEL_RE.values()), re.I)


# What the raw text of a date line or a labelled date must hold before it is normalised:
# a digit; the first word of a label at its start (past whitespace and the invisible
# characters normalisation removes).
_DIGIT = re.compile(r"[0-9]")
_LABEL_START = re.compile(r"^[\s\u200b\u200c\u200d\u2060\ufeff\u00ad]*(?:" + "|".join(sorted({
    re.escape(label.split()[0]) for labels in chrome.DATE_LABELS.values() for label in labels}))
    + ")", re.I)


def _date_label(text: str) -> tuple[int, str] | None:
    """(rank, the text after the label) when ``text`` starts with a date label."""
    if _ANY_LABEL.match(text) is None:
        return None
    for rank, pattern in _LABEL_RE.items():
        match = pattern.match(text)
        if match:
            return rank, text[match.end():]
    return None


# The longest element text the date searches read (labelled_dates' limit).
_DATE_TEXT = 100


def date_texts(doc) -> ShortTexts:
    """The texts the date searches read: short_texts of the page's <body> (the whole
    page without one), up to _DATE_TEXT."""
    body = doc.find("body")
    return short_texts(body if body is not None else doc, _DATE_TEXT, _DATE_TAGS)


def labelled_dates(doc, now, texts: ShortTexts | None = None
                   ) -> dict[int, tuple[ParsedDate, object]]:
    """The dates the page labels, wherever they sit outside the body text (above or
    below it, in a metadata <table> or <dl>), by label rank (chrome.DATE_LABELS): the
    first date of each rank in document order, with the element it was read from.
    Never in the page's furniture nor in a list of other articles. ``texts``:
    date_texts(doc), when the caller has it."""
    if texts is None:
        texts = date_texts(doc)
    found: dict[int, tuple[ParsedDate, object]] = {}
    other = _OtherContent(labelled=True)
    for el in doc.iter(*_LABEL_TAGS):
        text = texts.get(el, _LABEL_START)
        if not text:
            continue
        labelled = _date_label(text)
        if labelled is None:
            continue
        rank, rest = labelled
        if rank in found:
            continue
        value = rest
        if not value.strip():  # a label cell: its value is the next cell or the tail
            value = normalize_space(el.tail or "")
            nxt = el.getnext()
            if not value and nxt is not None:
                value = short_text(nxt, 60) or ""
        if not value or len(value) > 60 or not date_only(value):
            continue
        parsed = parse_date(value, now=now)
        if parsed is None or other(el) or _is_listing_item(el):
            continue
        found[rank] = (_with_machine_time(parsed, el, now), el)
    return found


def _with_machine_time(parsed: ParsedDate, el, now) -> ParsedDate:
    """A labelled day as its <time datetime> gives it, time of day included, when the
    element is or holds one for the same day ("<time datetime="2024-06-05T10:14:22+02:00">
    Opublikowano: 05 czerwiec 2024</time>")."""
    times = [el] if el.tag == "time" else el.findall(".//time")
    for node in times[:1]:
        machine = parse_machine_date(node.get("datetime") or "", now=now)
        if machine is not None and machine.value[:10] == parsed.value[:10] and (
                len(machine.value) > len(parsed.value)):
            return ParsedDate(machine.value, parsed.raw)
    return parsed


def _is_listing_item(el) -> bool:
    """A date beside a link to another article: a short item (the element or one of its
    two nearest ancestors) that also holds a link with a headline-long text."""
    node = el
    for _ in range(3):
        if node is None:
            return False
        if short_text(node, 250) is None:
            return False
        for a in node.iter("a"):
            if a.get("href") and len(element_text(a)) >= 15 and not (
                    parse_date(element_text(a))):
                return True
        node = node.getparent()
    return False


def _follows(el, heading) -> bool:
    # Document order: lxml elements compare by position through their sourceline when
    # parsed from text; fall back to an explicit walk for nodes without one.
    a, b = el.sourceline, heading.sourceline
    return a is not None and b is not None and a >= b


# A footer holding at most this much text is an article's own meta footer
# ("entry-footer": date, author, counter), not the page's.
_META_FOOTER = 400
_FOOTER = re.compile(r"footer|stopka", re.I)


def _in_other_content(el, labelled: bool = False) -> bool:
    """Whether ``el`` sits in the page's furniture (navigation, asides, footers, forms,
    sidebars, lists of other articles). For a labelled date (``labelled``), a short
    footer is the article's own meta block, not furniture."""
    return _OtherContent(labelled)(el)


class _OtherContent:
    """_in_other_content with its answers kept: the date searches ask it of many
    elements of one page, and an element's answer is its own or its parent's."""

    def __init__(self, labelled: bool = False):
        self.labelled = labelled
        self.known: dict = {}

    def __call__(self, el) -> bool:
        known = self.known
        chain = []
        node, answer = el, False
        while node is not None:
            if node in known:
                answer = known[node]
                break
            own = _own_furniture(node, self.labelled)
            if own is not None:
                answer = own
                chain.append(node)
                break
            chain.append(node)
            node = node.getparent()
        for node in chain:
            known[node] = answer
        return answer


def _own_furniture(node, labelled: bool) -> bool | None:
    """True when ``node`` itself is furniture, None when its ancestors decide (the
    rule of _in_other_content, one node at a time)."""
    names = f"{node.get('class', '')} {node.get('id', '')}"
    if labelled and (node.tag == "footer" or _FOOTER.search(names)) and (
            len(element_text(node)) <= _META_FOOTER) and not (
            _NOT_ARTICLE.search(_FOOTER.sub("", names))):
        return None
    if node.tag in ("nav", "aside", "footer", "form"):
        return True
    if _names_furniture(node, names):
        return True
    return None


def after_headline(blocks: list[Block], title: str) -> list[Block]:
    """The generic body without the headline and the short blocks above it (section
    kickers, category labels, date lines): the article starts after its title."""
    at = next((i for i, b in enumerate(blocks) if undouble(b.text) == title
               # a title row of a layout table, its icon cells empty: "Tytuł |  | "
               or "|" in b.text and b.kind in ("table", "tr") and row_text(b.text) == title),
              None)
    if at is None:
        return blocks
    before = [b for b in blocks[:at] if len(b.text) >= _KICKER_MAX]
    return before + blocks[at + 1:]


_LIST_ITEM = re.compile(r"<li>(.*?)</li>", re.S)
_HREF = re.compile(r'<a href="([^"]+)"')


def is_file_list(block: Block) -> bool:
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


def body_anchor(body, blocks: list[Block]):
    """The smallest element of ``body`` holding the generic body's first and last
    paragraphs, lifted over containers that add little text: where to look for the
    article's images and files. None when either paragraph is not found."""
    node = _common_holder(body, blocks)
    return _lifted(node) if node is not None else None


def media_region(body, blocks: list[Block], prose=None):
    """body_anchor of the page with its chrome stripped, found without copying and
    stripping the whole page: the anchor is looked up on the page as it is, a region
    around it generous enough for the lift is copied, and only that copy is stripped
    (strip_chrome over a whole page cost a tenth of the generic path). Returns (the
    stripped copy's region, the page's element it was made from), or None when either
    paragraph is not found. ``prose``: see _common_holder."""
    node = _common_holder(body, blocks, prose)
    if node is None:
        return None
    # Chrome only shortens the containers the lift measures, so the lift on the cleaned
    # page stays within ancestors whose raw text is not much longer than the anchor's
    # plus the chrome around it; _REGION_SLACK bounds the chrome it may step over.
    own = text_length(node)
    region = node
    while True:
        parent = region.getparent()
        if parent is None or parent.tag == "body" or _column_of_layout(region) or (
                text_length(parent) > 2 * own + _REGION_SLACK):
            break
        region = parent
    if not may_hold_media(region):
        return None
    path = []
    step = node
    while step is not region:
        parent = step.getparent()
        path.append(parent.index(step))
        step = parent
    # The chain from the anchor up to the region is marked before the copy, so that
    # the copy's lifted element names its original even where the chrome rules
    # unwrapped an element between them.
    chain = [node, *list(node.iterancestors())[:len(path)]]
    for index, element in enumerate(chain):
        element.set(_CHAIN, str(index))
    copied = copy.deepcopy(region)
    for element in chain:
        del element.attrib[_CHAIN]
    anchor = copied
    for index in reversed(path):
        anchor = anchor[index]
    strip_chrome(copied, phrases=False)
    if anchor is not copied and copied not in anchor.iterancestors():
        anchor = copied  # the chrome rules took the anchor itself
    lifted = _lifted(anchor)
    mark = lifted.get(_CHAIN)
    return lifted, chain[int(mark)] if mark is not None else region


_CHAIN = "data-kronika-region"


def lead_figures(region) -> list:
    """The pictures just before the article's region, back to its headline: the lead
    photo a template puts between the headline and the text, in a figure of its own that
    the region's lift does not reach (a lead paragraph or a caption between them makes
    the parent too wordy). In document order; at most _LEAD_SIBLINGS siblings looked at."""
    # The article's own <header> inside the region, with its featured image (the chrome
    # rules take <header>s whole).
    headers = [header for header in region.iter("header")
               if header.find(".//h1") is not None and next(header.iter("img"), None) is not None
               and next(header.iterancestors("article", "main"), None) is not None
               and text_length(header) <= _CAPTION][:1]
    found = []
    for sibling in list(region.itersiblings(preceding=True))[:_LEAD_SIBLINGS]:
        if not isinstance(sibling.tag, str):
            continue
        if sibling.tag in ("h1", "h2") or sibling.find(".//h1") is not None or (
                sibling.find(".//h2") is not None):
            # The article's header: its featured image too (WordPress's entry-header),
            # when it holds little besides the headline.
            if next(sibling.iter("img"), None) is not None and (
                    text_length(sibling) <= _CAPTION):
                found.append(sibling)
            break
        if sibling.tag in ("figure", "picture", "img") or (
                next(sibling.iter("img"), None) is not None
                and text_length(sibling) <= _CAPTION):
            found.append(sibling)
    return headers + found[::-1]


_LEAD_SIBLINGS = 4
_CAPTION = 300

# Characters of chrome (menus, share bars, related links) media_region lets the lift
# step over around the anchor.
_REGION_SLACK = 1500


def _common_holder(body, blocks: list[Block], prose=None):
    """The smallest element of ``body`` holding the first and last paragraphs, each
    looked for first in ``prose`` (the page's densest run of prose, fallback.main_text,
    where the body usually is: a smaller walk, and a teaser repeating the paragraph
    below the article is not taken for it), then in the whole body."""
    # One line of a block, without the "- "/"1. " list markers the page does not have.
    probes = [re.sub(r"^(?:- |\d+\. )", "", b.text.split("\n")[0])[:60]
              for b in (blocks[0], blocks[-1]) if len(b.text) >= 20]
    if not probes:
        return None
    nodes = []
    for probe in probes:
        hit = last_holding(prose, probe) if prose is not None else None
        if hit is None:
            hit = last_holding(body, probe)
        if hit is None:
            return None
        nodes.append(hit)
    ancestors = [set(n.iterancestors()) | {n} for n in nodes]
    common = set.intersection(*ancestors)
    node = nodes[0]
    while node is not None and node not in common:
        node = node.getparent()
    return node


def _lifted(node):
    """``node`` lifted to enclosing containers while they add little text: a gallery or
    a file list next to the text belongs to the article; a container twice as wordy
    does not. Never to the <body>. (Lengths measured by libxml2, clean.text_length: the
    containers' texts are never built in Python.)"""
    own = text_length(node)
    while True:
        parent = node.getparent()
        if parent is None or parent.tag == "body" or _column_of_layout(node) or (
                text_length(parent) > 1.3 * own + 200):
            return node
        node = parent


def _column_of_layout(node) -> bool:
    """True for a table cell that shares its row with other cells: a column of a table
    layout (menu | content | newest articles), whose neighbours are the page's
    furniture however little text they hold. A one-cell row stacks content (the text,
    then its photos in the next row) and is lifted past."""
    if node.tag not in ("td", "th"):
        return False
    row = node.getparent()
    return row is not None and sum(1 for cell in row if cell.tag in ("td", "th")) > 1


_ANCHOR_TAGS = frozenset(("p", "div", "li", "td", "span", "h2", "h3"))


def last_holding(root, probe: str):
    """The last element below ``root`` in document order (so the deepest) of
    _ANCHOR_TAGS whose text holds ``probe``, or None. An element's text holds its
    descendants' texts, so a subtree whose root does not hold the probe is not entered:
    the walk reads the texts on the way down to the hit, not every element's."""
    # With the ASCII words of the probe, a subtree is entered when its raw text may hold
    # each of them (may_hold, no normalisation), and an element's text is normalised
    # only when it is about to be returned: the big containers on the way down are never
    # normalised. The hit is the same: a subtree holding the probe holds its words, and
    # the elements entered that do not hold the probe are refused then. (Its longest
    # word alone let in every container holding a common one, and normalising those
    # cost a tenth of some pages' extraction.)
    words = sorted({w for w in probe.split() if w.isascii()}, key=len, reverse=True)
    plain = plain_page(root)
    stack = [(child, False) for child in root if isinstance(child.tag, str)]
    while stack:
        el, entered = stack.pop()  # last child first: reverse document order
        if entered:
            if el.tag in _ANCHOR_TAGS and (
                    not words or probe in normalize_space(text_of(el))):
                return el  # no descendant held it, so this is the last hit
            continue
        if words:
            raw = text_of(el)
            if not all(may_hold(raw, word, plain) for word in words):
                continue
        elif probe not in normalize_space(text_of(el)):
            continue
        stack.append((el, True))
        stack.extend((child, False) for child in el if isinstance(child.tag, str))
    return None
