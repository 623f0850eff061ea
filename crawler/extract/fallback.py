"""The generic extractor: trafilatura, asked for HTML so our own renderer shapes the body.

trafilatura is the fallback of the cascade and the only extractor for sites without a
profile. Its date search is skipped (``with_metadata=False``): it mistakes "Opublikowano:
28 czerwca 2024" for 2024-01-01 (research/env.md section 3), so dates are ours.
"""

from __future__ import annotations

import copy
import logging
import re

import lxml.etree
import lxml.html
import trafilatura
from trafilatura.htmlprocessing import convert_to_html

from crawler.extract import chrome
from crawler.extract.clean import strip_chrome, text_length
from crawler.extract.generic import last_holding
from crawler.extract.text import (
    Block,
    blocks_text,
    link_density,
    may_hold,
    normalize_space,
    page_text,
    plain_page,
    render_blocks,
    short_text,
    text_of,
)
from crawler.extract.urls import document_base

logging.getLogger("trafilatura").setLevel(logging.ERROR)


# Below this many characters, trafilatura's own fast result is checked against its
# backup extractors (readability, jusText), as it would do by default.
_CHECK_BELOW = 250


def generic_blocks(html_text: str, url: str) -> list[Block]:
    """Body blocks as trafilatura sees them ([] when it finds nothing)."""
    # fast: the backup extractors cost a third of trafilatura's time, and on pages
    # already stripped of chrome they changed nothing in the fixture corpus
    # (benchmarks/generic_quality.py gives the same scores either way). A short or
    # empty result still gets them.
    out = _trafilatura(html_text, url, fast=True)
    if out is None or len(out) < _CHECK_BELOW:
        out = _trafilatura(html_text, url, fast=False)
    if not out:
        return []
    root = lxml.html.fromstring(out)
    body = root.find("body")
    return render_blocks(body if body is not None else root, url)


def _trafilatura(html_text: str, url: str, *, fast: bool) -> str | None:
    return trafilatura.extract(
        html_text, url=url, output_format="html", include_links=True,
        include_formatting=True, include_tables=True, include_comments=False,
        include_images=False, deduplicate=False, with_metadata=False, fast=fast)


# -- the generic path of a page without a profile -------------------------------------
# trafilatura reads the parsed page itself (no chrome pre-pass: on pages nobody here
# wrote, deleting containers by tag or class name removed article text more often than
# it removed chrome); what it keeps is then judged block by block (``keep_block``).

# fast mode (no backup extractors) first; a body shorter than this is read again in
# full mode, where readability and jusText may find more.
_FULL_BELOW = 1000


def page_blocks(doc, url: str, *, mode: str = "fast") -> list[Block]:
    """Body blocks trafilatura finds in the parsed page ``doc`` (left untouched: it
    works on a copy). ``mode``: "fast", "full" (with its backup extractors) or
    "recall" (full, favouring recall)."""
    # No URL for trafilatura: it would resolve every link of the page with courlan
    # (a twentieth of the generic path's time), and against the page's URL, not its
    # <base href>; the renderer resolves the links it keeps against the document's base.
    result = trafilatura.bare_extraction(
        doc, url=None, fast=mode == "fast", favor_recall=mode == "recall",
        include_comments=False, include_links=True, include_formatting=True,
        include_tables=True, include_images=False, deduplicate=False,
        with_metadata=False)
    body = getattr(result, "body", None)
    if body is None or not len(body):
        return []
    for ref in body.iter("ref"):
        target = ref.get("target")
        if target and target.startswith("#") and url:
            # An in-page link ("Jump to navigation") is still a link: the renderer keeps
            # it as one (so keep_block sees a link-dense block) once it names the page.
            ref.set("target", url.split("#", 1)[0] + target)
    html = convert_to_html(body)
    # trafilatura's tree is plain etree; the renderer reads lxml.html elements.
    root = lxml.html.fromstring(lxml.etree.tostring(html, encoding="unicode"))
    found = root.find("body")
    return render_blocks(found if found is not None else root, document_base(doc, url))


def generic_page_blocks(doc, url: str, expected: int | None = None) -> list[Block]:
    """page_blocks in fast mode, read again in full mode when short; filtered.
    ``expected``: main_text's length, when known: a short body that already holds at
    least that much (the page's densest run of prose is no longer than what was found)
    is not read again, the page having no more prose for the backup extractors to find."""
    blocks = page_blocks(doc, url, mode="fast")
    length = len(blocks_text(blocks))
    if length < _FULL_BELOW and not (expected and length >= expected):
        blocks = page_blocks(doc, url, mode="full")
    return [b for b in blocks if keep_block(b)]


# A short block at least this much link text is a pointer elsewhere ("Read more: ...",
# a related-article teaser, tags), not the article's own text.
_SHORT_BLOCK = 150
_LINK_DENSITY = 0.3
# A photo credit or a copyright line, in the languages the sites are written in and in
# English (words of captions everywhere, not of any one site).
_CREDIT = re.compile(
    r"^[(\[]?\s*(?:fot\.|fot:|foto\b|fotografia\b|zdj\.|zdjęci[ea]\b|źródło zdjęci|"
    r"photo\b|photograph|credit|image:|©|\(c\)|copyright\b)", re.I)


def keep_block(block: Block) -> bool:
    """False for what trafilatura kept that is not article text: short link-dense
    blocks, photo credit and copyright lines, and whole blocks of chrome vocabulary."""
    text = block.text
    if len(text) <= _SHORT_BLOCK and (link_density(block) >= _LINK_DENSITY
                                      or _CREDIT.match(text)):
        return False
    return not chrome.is_chrome_text(text)


# -- never empty in silence -------------------------------------------------------------
_MIN_PARAGRAPH = 30


def main_text(doc):
    """(length, element) of the page's densest run of prose: the element whose own
    paragraphs (<p> children of at least _MIN_PARAGRAPH characters, mostly not link
    text, outside navigation, asides, footers and forms) hold the most text. A
    structural estimate of the article's length, and the last stage's body."""
    totals: dict = {}
    for p in doc.iter("p"):
        length = text_length(p)
        if length < _MIN_PARAGRAPH:
            continue
        if sum(text_length(a) for a in p.iter("a")) > 0.5 * length:
            continue
        if any(a.tag in _NOT_CONTENT for a in p.iterancestors()):
            continue
        parent = p.getparent()
        totals[parent] = totals.get(parent, 0) + length
    if not totals:
        return 0, None
    element = max(totals, key=totals.get)
    return totals[element], element


_NOT_CONTENT = frozenset(("nav", "aside", "footer", "form", "header"))


def density_blocks(element, url: str) -> list[Block]:
    """The body of the text-density fallback: ``element`` (see main_text) with kronika's
    chrome rules applied inside it, rendered and filtered like trafilatura's blocks."""
    work = copy.deepcopy(element)
    strip_chrome(work)
    return [b for b in render_blocks(work, url) if keep_block(b)]


# -- the standfirst ------------------------------------------------------------------------
_DESCRIPTION = lxml.etree.XPath(
    ".//meta[@property='og:description' or @name='description']/@content")
_LIST_MARKERS = re.compile(r"(?m)^(?:- |\d+\. )")
_SUMMARY_TAGS = frozenset(("p", "div", "h2", "span", "strong", "b"))
_SUMMARY_LENGTH = 800


def _starting_with(root, prefix: str) -> list:
    """The elements of _SUMMARY_TAGS below ``root``, in document order, whose text is at
    most _SUMMARY_LENGTH characters and starts with ``prefix``. A subtree is entered only
    when its raw text may hold each ASCII word of the prefix (text.may_hold), so the
    page's big containers are never normalised (an XPath asking libxml2 for every
    element's normalised text cost a twentieth of the generic path)."""
    words = sorted({w for w in prefix.split() if w.isascii()}, key=len, reverse=True)
    plain = plain_page(root)
    found = []
    stack = [child for child in reversed(root) if isinstance(child.tag, str)]
    while stack:
        el = stack.pop()
        raw = text_of(el)
        if not (all(may_hold(raw, word, plain) for word in words) if words
                else prefix in normalize_space(raw)):
            continue
        if el.tag in _SUMMARY_TAGS:
            text = short_text(el, _SUMMARY_LENGTH)
            if text is not None and text.startswith(prefix):
                found.append(el)
        stack.extend(child for child in reversed(el) if isinstance(child.tag, str))
    return found


_MIN_DESCRIPTION = 30


def standfirst(doc, body_text: str) -> str | None:
    """The article's standfirst, which trafilatura drops with the header it often sits
    in: the page's declared summary (og:description or description) when the page also
    shows it as an element of its own and the body does not hold it already. The
    element's text is taken, not the declaration (which CMSes cut short)."""
    # With and without the "- "/"1. " list markers the renderer adds: a summary shown as
    # a list's first items is in the body already.
    body = normalize_space(body_text) + "\n" + normalize_space(_LIST_MARKERS.sub("", body_text))
    # Where the declarations are, before a walk of the whole page (a page whose markup
    # put them in its body).
    head = doc.find("head")
    declared = _DESCRIPTION(head) if head is not None else []
    page = doc.find("body")
    shown = None
    for description in declared or _DESCRIPTION(doc):
        description = normalize_space(description).rstrip(".… ")
        if len(description) < _MIN_DESCRIPTION or description[:60] in body:
            continue
        if shown is None:  # the page's text, once: most declared summaries are not shown
            shown = page_text(doc) if plain_page(doc) else ""
        if shown and not all(word in shown for word in description[:60].split()
                             if word.isascii()):
            continue  # a word of it is nowhere in the page (may_hold's rule, page-wide)
        # In the body: the head's scripts (JSON-LD) repeat the summary and are no element.
        matches = _starting_with(page if page is not None else doc, description[:60])
        if not matches:
            continue
        # The innermost element holding (nearly) the whole summary: not a header that
        # holds it and a share bar, nor a <strong> around its first words.
        chosen = matches[0]
        for el in matches[1:]:
            if (chosen in el.iterancestors()
                    and text_length(el) >= 0.8 * min(len(description), text_length(chosen))):
                chosen = el
        if _in_page_header(chosen):
            continue  # the site's slogan, which its description repeats on every page
        text = normalize_space(chosen.text_content())
        if text and text not in body and not chrome.is_chrome_text(text):
            return text
        return None
    return None


def _in_page_header(el) -> bool:
    """Whether ``el`` sits in the page's own header or furniture: a nav, an aside, a
    footer, or a <header> outside any article that does not hold the headline (an <h1>:
    then it is the article's, with its standfirst)."""
    for node in el.iterancestors():
        if node.tag in ("article", "main"):
            return False
        if node.tag in ("nav", "aside", "footer"):
            return True
        if node.tag == "header":
            return node.find(".//h1") is None
    return False


# -- the edges of the body -------------------------------------------------------------------
_LABEL = 60  # a section label or breadcrumb item is no longer than this
_EDGE_BLOCK = 150
# Chrome sentences this long are unambiguous wherever they stand (inline too: a mail
# address's "protected from spam" notice sits inside the sentence that gives it).
_LONG_PHRASES = re.compile("|".join(
    r"\s+".join(map(re.escape, p.split())) for p in chrome.CHROME_PHRASES if len(p) >= 40),
    re.I)


def trim_edges(blocks: list[Block], doc, main_element) -> list[Block]:
    """The body without what trafilatura keeps at its edges that is not the article:
    at the top, short blocks whose text is also a link's text elsewhere in the page (a
    section label repeating a menu item, a breadcrumb); at the bottom, short blocks
    found nowhere in the page's densest run of prose (an address or contact box below
    the article), when that run is where the body is. Long chrome sentences are cut
    from any block."""
    blocks = [_without_long_phrases(b) for b in blocks]
    blocks = [b for b in blocks if b.text]
    if not blocks:
        return blocks
    start = _first_after_headline(blocks, doc)
    if len(blocks[start].text) <= _LABEL:  # the page's link texts, read only when needed
        links = {normalize_space(text_of(a)) for a in doc.iter("a")}
        while start < len(blocks) - 1 and len(blocks[start].text) <= _LABEL \
                and blocks[start].text in links:
            start += 1
    end = len(blocks)
    if main_element is not None:
        prose = normalize_space(main_element.text_content())
        longest = max(blocks[start:], key=lambda b: len(b.text))
        if _first_line(longest)[:100] in prose:
            while end - 1 > start and len(blocks[end - 1].text) <= _EDGE_BLOCK \
                    and _first_line(blocks[end - 1]) not in prose:
                end -= 1
    # "Źródło: ..." and "Autor: ..." lines cut with the edge are the record's fields:
    # they go on, for tidy_blocks to take them out of the text as the source and author.
    fields = [b for b in blocks[end:] if chrome.SOURCE_RE.match(b.text)
              or chrome.AUTHOR_RE.match(b.text)]
    blocks = blocks[start:end] + fields
    last = _without_trailing_chrome(blocks[-1])
    return blocks[:-1] + [last] if last.text else blocks[:-1]


_TEXT_BEFORE = lxml.etree.XPath("preceding::text()")
_TEXT_AFTER = lxml.etree.XPath("following::text()")


def _first_after_headline(blocks: list[Block], doc) -> int:
    """The index of the first block that is not above the page's headline: trafilatura
    takes in a side column's box that an old table layout puts before the article (its
    headline, the page's one <h1>, comes after the box in the page). Only short blocks
    go, never the body's longest, and none when the headline is not the article's (the
    longest block above it: a sidebar <h1> below the article). A block is above when
    its first line is in the page's text before the headline, not after it, and not
    in the headline's surroundings."""
    if len(blocks) < 2 or len(blocks[0].text) > _EDGE_BLOCK:
        return 0
    headlines = [h for h in doc.iter("h1") if len(text_of(h).strip()) >= 5]
    if len(headlines) != 1:
        return 0
    headline = headlines[0]
    # The headline's own surroundings (its parent's parent: the article's header or
    # column) are the article's, a teaser set above the headline included: a first
    # block there (the common case) ends it without reading the rest of the page.
    around = headline.getparent()
    if around is not None and around.getparent() is not None and around.tag != "body":
        around = around.getparent()
    near = normalize_space(text_of(around)) if around is not None and around.tag != "body" \
        else ""
    first = _first_line(blocks[0])[:60]
    if first in near:
        return 0
    before = normalize_space(" ".join(_TEXT_BEFORE(headline)))
    if first not in before:
        return 0
    after = normalize_space(" ".join(_TEXT_AFTER(headline)))

    def above(block: Block) -> bool:
        probe = _first_line(block)[:60]
        return (len(probe) >= 4 and probe in before and probe not in after
                and probe not in near)

    longest = max(blocks, key=lambda b: len(b.text))
    start = 0
    while start < len(blocks) - 1 and len(blocks[start].text) <= _EDGE_BLOCK \
            and blocks[start] is not longest and above(blocks[start]):
        start += 1
    if start and above(longest):
        return 0
    return start


_LEAD_TOKEN = re.compile(
    r"(?:^|[\s_\-])(?:" + "|".join(sorted(map(re.escape, chrome.LEAD_CLASS_TOKENS)))
    + r")(?=[\s_\-]|$)", re.I)


def marked_lead(doc, blocks: list[Block], prose=None) -> tuple[str | None, list[Block]]:
    """(the standfirst, the blocks without it) when the body's first paragraph, after
    the headline if trafilatura kept it, is marked as the standfirst (its element, or
    the element around it, has a class or id such as "lead", "wstep", "zajawka":
    chrome.LEAD_CLASS_TOKENS) and a body follows it; (None, blocks) otherwise."""
    body = doc.find("body")
    if body is None:
        return None, blocks
    for index, block in enumerate(blocks[:2]):
        if index + 1 >= len(blocks) or "\n" in block.text:
            break
        if block.kind in ("h2", "h3", "h4") or len(block.text) < 20:
            continue  # the headline, kept by trafilatura
        # In the page's densest run of prose first (a smaller walk), then everywhere.
        holder = last_holding(prose, block.text[:60]) if prose is not None else None
        if holder is None:
            holder = last_holding(body, block.text[:60])
        for el in (holder, holder.getparent() if holder is not None else None):
            if el is not None and el.tag != "body" and _LEAD_TOKEN.search(
                    f"{el.get('class', '')} {el.get('id', '')}"):
                return block.text, blocks[:index] + blocks[index + 1:]
        break
    return None, blocks


def _first_line(block: Block) -> str:
    # Without the "- "/"1. " list markers the page does not have.
    return re.sub(r"^(?:- |\d+\. )", "", block.text.split("\n")[0])


def _without_trailing_chrome(block: Block) -> Block:
    """The block without a run of chrome phrases after its last sentence ("... 6
    stycznia. Udostępnij na Facebook Drukuj": a share bar trafilatura ran into the last
    paragraph). Only whole phrases after a sentence's end: "... coraz więcej" is text."""
    text = block.text
    end = max(text.rfind(c) for c in ".!?:;\"”)")
    tail = text[end + 1:].split()
    if end < 0 or not tail:
        return block
    i = 0
    while i < len(tail):  # the tail must split into chrome phrases, longest first
        k = next((k for k in range(min(6, len(tail) - i), 0, -1)
                  if chrome.is_chrome_text(" ".join(tail[i:i + k]).strip("|•·"))), 0)
        if not k:
            return block
        i += k
    kept = text[:end + 1]
    at = block.html.rfind(kept[-12:])
    if at < 0:  # the text's end is escaped or split by markup in the HTML
        return block
    return Block(block.kind, block.html[:at + 12] + f"</{block.kind}>", kept)


def _without_long_phrases(block: Block) -> Block:
    if not _LONG_PHRASES.search(block.text):
        return block
    text, html = _LONG_PHRASES.sub("", block.text), _LONG_PHRASES.sub("", block.html)
    return Block(block.kind, html, normalize_space(text) if "\n" not in text else text.strip())
