"""Heuristics for a page read without a profile: its headline, date, body edges, media.

trafilatura (``crawler.extract.fallback``) gives the generic path its body and nothing
else (its date search is off). What a profile would have named, these functions guess
from the page: the headline the <title> begins with, a date line near it, where the
article starts in trafilatura's body, which element of the page holds that body (for its
images and files).
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from crawler.extract.dates import parse_date
from crawler.extract.fields import date_only, undouble
from crawler.extract.media import ATTACHMENT_EXTENSIONS
from crawler.extract.text import Block, element_text, normalize_space

# Class/id words of an element that holds a date ("news-date", "data-publikacji",
# "posted-on"...).
_DATE_TOKEN = re.compile(r"date|data|datum|publi|posted|dodan|time", re.I)
# Class/id words of places that list other articles or the site's furniture: their
# dates are not this article's.
_NOT_ARTICLE = re.compile(r"sidebar|menu|calendar|kalendar|related|powiazane|footer|stopka|"
                          r"widget|cookie|breadcrumb|news-list|lista", re.I)
# Blocks above the headline shorter than this are kickers (section names, category
# labels, date lines), not text.
_KICKER_MAX = 80


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


def fallback_title(doc, text: str, warnings: list[str]) -> str:
    """A title for any page: the generic headline, else the start of the text (with a
    warning, since a record must have a title)."""
    title = generic_title(doc)
    if title:
        return title
    warnings.append("no title found")
    return text[:80] or "(no title)"


def generic_date(doc, title: str | None, now) -> tuple:
    """A page date without a profile: an element marked as a date (class/id), else a
    short date-only line after the headline. Never a date inside a paragraph of text,
    never one in a sidebar, menu, calendar or list of other articles.
    Returns (ParsedDate or None, "page" for a marked element, "text" for a line)."""
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
        if not parsed or not date_only(text):
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


def after_headline(blocks: list[Block], title: str) -> list[Block]:
    """The generic body without the headline and the short blocks above it (section
    kickers, category labels, date lines): the article starts after its title."""
    at = next((i for i, b in enumerate(blocks) if undouble(b.text) == title), None)
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
