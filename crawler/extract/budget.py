"""The extraction's budget: how much of a page the parsers read, how deep its tree may
nest, and how big the Article it gives may grow.

A page is what a server chose to send, so nothing in it may size the work or the record:

* the page: its first ``max_page_bytes`` bytes and ``max_page_tags`` markup tags are
  read (memory and time grow with the elements of the tree, which the extraction and
  trafilatura copy several times; a 10 MB page of 400,000 links took 2 GB). Over the
  byte budget, data: URIs are emptied first (an image pasted into the text is a few MB
  of attribute that no record keeps);
* the tree: elements nested deeper than ``max_depth`` are unwrapped into their ancestor
  at that depth, their text and childless elements kept (Python walks of the tree recurse
  per level, and libxml2 stops reading a page at depth 2,048 without an exception);
* the record: ``text`` and ``html`` are cut to ``max_text_chars`` and ``max_html_chars``,
  images and attachments to ``max_media`` each, the short fields to ``max_field_chars``.

Whatever is cut leaves a warning in ``extraction.warnings``. Every limit has a default
here and an environment variable (read on each extraction) for the operator; they are
documented in the README's "Failure modes". The largest of 990 real pages measured
(trafilatura's evaluation set) has 563 KB, 19,629 tags and a depth of 43.
"""

from __future__ import annotations

import html as htmllib
import os
import re
from dataclasses import dataclass

from lxml import etree

from crawler.extract.text import INLINE_TAGS, Block


@dataclass(frozen=True)
class Budget:
    """The limits one extraction works within (see the module docstring)."""

    max_page_bytes: int = 4 * 1024 * 1024
    max_page_tags: int = 100_000
    max_depth: int = 128
    max_text_chars: int = 1_000_000
    max_html_chars: int = 2_000_000
    max_media: int = 1_000
    max_field_chars: int = 10_000

    @classmethod
    def from_env(cls) -> Budget:
        """The defaults, each overridden by its KRONIKA_ environment variable."""
        values = {}
        for name, variable in ENVIRONMENT.items():
            raw = os.environ.get(variable)
            if raw:
                try:
                    values[name] = max(1, int(raw))
                except ValueError:
                    pass  # a typo keeps the default rather than failing every page
        return cls(**values) if values else _DEFAULT


_DEFAULT = Budget()
ENVIRONMENT = {"max_page_bytes": "KRONIKA_MAX_PAGE_BYTES",
               "max_page_tags": "KRONIKA_MAX_PAGE_TAGS",
               "max_depth": "KRONIKA_MAX_DEPTH",
               "max_text_chars": "KRONIKA_MAX_TEXT_CHARS",
               "max_html_chars": "KRONIKA_MAX_HTML_CHARS",
               "max_media": "KRONIKA_MAX_MEDIA",
               "max_field_chars": "KRONIKA_MAX_FIELD_CHARS"}


# -- the page ------------------------------------------------------------------------

_UNICODE_BOMS = (b"\xff\xfe", b"\xfe\xff")  # UTF-16 and UTF-32: not cut as bytes
_LONG_DATA_URI = re.compile(rb"(data:[^,\"'\s>]{0,200},)[^\"'\s>]{4096,}")
_LONG_DATA_URI_TEXT = re.compile(r"(data:[^,\"'\s>]{0,200},)[^\"'\s>]{4096,}")


def cuttable(page: bytes | str) -> bool:
    """True when ``page`` can be cut before decoding: text, or bytes in an encoding where
    "<", space and ASCII bytes are never part of another character (all but UTF-16/32)."""
    return isinstance(page, str) or not page.startswith(_UNICODE_BOMS)


def fit_page(page, budget: Budget, warnings: list[str]):
    """``page`` (bytes or str) within the page budget: data: URIs emptied when it is over
    the byte budget, then cut before the tag past the tag budget and at the byte budget.
    Each cut appends a warning. A page within the budget is returned as it is, after a
    length check and (for pages long enough to hold that many tags) one count."""
    lt = "<" if isinstance(page, str) else b"<"
    if len(page) > budget.max_page_bytes:
        if isinstance(page, str):
            page = _LONG_DATA_URI_TEXT.sub(r"\1", page)
        else:
            page = _LONG_DATA_URI.sub(rb"\1", page)
    # A tag takes at least three characters ("<p>"): shorter pages cannot be over.
    if len(page) > 3 * budget.max_page_tags:
        tags = page.count(lt)
        if tags > budget.max_page_tags:
            cut = _nth(page, lt, budget.max_page_tags + 1)  # before the first one over
            warnings.append(f"page cut after {budget.max_page_tags:,} of its {tags:,} tags "
                            f"(the extraction budget, KRONIKA_MAX_PAGE_TAGS); the rest of "
                            f"the page was not read")
            page = page[:cut]
    if len(page) > budget.max_page_bytes:
        size = len(page)
        page = page[:_boundary(page, budget.max_page_bytes)]
        unit = "characters" if isinstance(page, str) else "bytes"
        warnings.append(f"page cut at {len(page):,} of its {size:,} {unit} (the extraction "
                        f"budget, KRONIKA_MAX_PAGE_BYTES); the rest of the page was not read")
    return page


def _nth(page, needle, n: int) -> int:
    """The index of the n-th occurrence (1-based) of ``needle``, which exists."""
    pos = -1
    for _ in range(n):
        pos = page.find(needle, pos + 1)
    return pos


def _boundary(page, limit: int) -> int:
    """A cut point at most ``limit`` long that splits neither a character nor a tag, and
    a word only when there is no space near it."""
    cut = limit
    if isinstance(page, bytes):
        while cut > 0 and 0x80 <= page[cut] < 0xC0:  # a UTF-8 continuation byte
            cut -= 1
        tag = page.rfind(b"<", 0, cut)
        inside = tag != -1 and page.find(b">", tag, cut) == -1
        word = page.rfind(b" ", max(0, cut - 200), cut)
    else:
        tag = page.rfind("<", 0, cut)
        inside = tag != -1 and page.find(">", tag, cut) == -1
        word = page.rfind(" ", max(0, cut - 200), cut)
    if inside:
        return tag  # inside a tag: cut before it
    return word if word > 0 else cut


# -- the tree ------------------------------------------------------------------------

_DEPTH_PROBES: dict[int, etree.XPath] = {}


def deeper_than(root, depth: int) -> bool:
    """True when an element of the tree lies more than ``depth`` levels below the root
    (the root's level is 1). One XPath step per level: libxml2 visits each element once,
    a few microseconds a page."""
    probe = _DEPTH_PROBES.get(depth)
    if probe is None:
        probe = _DEPTH_PROBES[depth] = etree.XPath("boolean(" + "/*" * (depth + 1) + ")")
    return bool(probe(root))


def truncated_by_depth(parser) -> bool:
    """True when libxml2 stopped reading the page at its own depth limit (2,048 levels,
    huge_tree or not): it says so only in the parser's error log."""
    return any(e.type_name == "ERR_RESOURCE_LIMIT" and "depth" in e.message
               for e in parser.error_log)


def flatten_deep(root, max_depth: int) -> int:
    """Unwrap, in place, every element nested deeper than ``max_depth`` levels below
    ``root`` into its ancestor at that depth: the elements that hold other elements go,
    their text stays in document order; childless elements (links, images, line breaks,
    short paragraphs) are kept as they are. Returns the number of elements unwrapped (0
    for a tree within the depth, after one probe)."""
    if not deeper_than(root, max_depth):
        return 0
    probe = etree.XPath("/*" * max_depth)  # the elements at the deepest level kept
    unwrapped = 0
    for boundary in probe(root.getroottree()):
        if len(boundary):
            unwrapped += _flatten_into(boundary)
    return unwrapped


def _flatten_into(boundary) -> int:
    """Make every descendant of ``boundary`` its child or text; returns how many
    elements were unwrapped. Iterative: the subtree may be thousands of levels deep."""
    head: list[str] = [boundary.text or ""]
    kept: list = []  # [element, [tail pieces]]
    unwrapped = 0

    def add(text: str | None) -> None:
        if text:
            (kept[-1][1] if kept else head).append(text)

    for event, el in etree.iterwalk(boundary, events=("start", "end")):
        if el is boundary:
            continue
        leaf = not isinstance(el.tag, str) or not len(el)
        if event == "start":
            if not leaf:
                unwrapped += 1
                if el.tag not in INLINE_TAGS:
                    add("\n")  # a block's edges still separate words
                add(el.text)
            continue
        if leaf:
            if isinstance(el.tag, str):
                kept.append([el, []])
        elif el.tag not in INLINE_TAGS:
            add("\n")
        add(el.tail)
    for child in list(boundary):
        boundary.remove(child)
    boundary.text = "".join(head)
    for el, tail in kept:
        boundary.append(el)  # moves it out of the unwrapped element that held it
        el.tail = "".join(tail)
    return unwrapped


_MARKUP = re.compile(
    rb"<!--.*?-->|<(script|style)\b.*?</\1\s*>|<(/?)([A-Za-z][A-Za-z0-9:-]*)[^>]*>",
    re.S | re.I)
_VOID = frozenset(b"area base br col embed hr img input link meta param source track "
                  b"wbr".split())


def flatten_markup(page: bytes, max_depth: int) -> tuple[bytes, int]:
    """The page's markup with the start and end tags of elements opened more than
    ``max_depth`` levels deep removed, text kept, and how many elements went: for a page
    libxml2 stops reading at its own depth limit. An element past that depth that holds
    no other element (a paragraph, a link) keeps its tags, as flatten_deep keeps it. A tag
    stack approximates the tree (implied end tags are not modelled: the stack is only
    ever deeper than the tree); it runs on those pages only."""
    max_depth = min(max_depth, 2000)  # below libxml2's own limit, whatever the budget
    removed = 0
    out: list[bytes] = []
    # [tag name, state]: True kept, False removed, or the index in ``out`` of its start
    # tag while it is not known yet whether it holds elements (past max_depth).
    stack: list[list] = []
    depth = 0  # open elements whose tags are kept or pending
    pending: list | None = None
    pos = 0
    for m in _MARKUP.finditer(page):
        name = m.group(3)
        if name is None:
            continue  # a comment, a script, a style: kept whole
        name = name.lower()
        if m.group(2):  # an end tag closes the nearest open element of its name
            for i in range(len(stack) - 1, max(-1, len(stack) - 17), -1):
                if stack[i][0] == name:
                    closed = stack[i][1]
                    depth -= sum(1 for entry in stack[i:] if entry[1] is not False)
                    del stack[i:]
                    pending = None  # a pending element closed before holding any: kept
                    if closed is False:
                        out.append(page[pos:m.start()])
                        pos = m.end()
                    break
            continue
        if name in _VOID or m.group(0).endswith(b"/>"):
            continue
        if pending is not None:  # it holds an element: not a leaf, its tags go
            out[pending[1]] = b"" if pending[0] in _INLINE_BYTES else b" "
            pending[1] = False
            pending = None
            depth -= 1
            removed += 1
        out.append(page[pos:m.start()])
        pos = m.end()
        entry = [name, True]
        if depth >= max_depth:
            entry[1] = len(out)
            pending = entry
        out.append(m.group(0))
        stack.append(entry)
        depth += 1
    out.append(page[pos:])
    return b"".join(out), removed


_INLINE_BYTES = frozenset(tag.encode() for tag in INLINE_TAGS)


def depth_warning(unwrapped: int, budget: Budget) -> str:
    """The warning a flattened page carries."""
    return (f"nesting deeper than {budget.max_depth} levels flattened ({unwrapped:,} "
            f"elements unwrapped, their text kept; KRONIKA_MAX_DEPTH)")


# -- the record ----------------------------------------------------------------------

def fit_blocks(blocks: list[Block], budget: Budget, warnings: list[str]) -> list[Block]:
    """The body's blocks within the text and HTML budget: the blocks that fit whole, then
    the first one that does not, as a plain paragraph of as much of its text as both
    budgets leave (cut at a word). A warning says what was cut, in both measures."""
    text_left, html_left = budget.max_text_chars, budget.max_html_chars
    over = None
    for i, block in enumerate(blocks):
        text_left -= len(block.text) + 2  # the blank line between blocks
        html_left -= len(block.html) + 1  # the newline between blocks
        if text_left < 0 or html_left < 0:
            over = i
            break
    if over is None:
        return blocks
    block = blocks[over]
    kept = blocks[:over]
    # What the blocks before it left, then a plain paragraph's HTML: escaping may lengthen
    # the text up to five times ("&" to "&amp;"), so it is measured, not assumed.
    text_room = text_left + len(block.text)  # its separator still counted
    html_room = html_left + len(block.html) - len("<p></p>")
    text = _cut_at_word(block.text, text_room)
    html = htmllib.escape(text, quote=False)
    while len(html) > html_room and text:
        text = _cut_at_word(text, len(text) - (len(html) - html_room) // 5 - 1)
        html = htmllib.escape(text, quote=False)
    if text:
        kept.append(Block("p", f"<p>{html}</p>", text))
    warnings.append(
        f"body cut to the record budget: text {_length(kept, 'text', 2):,} of "
        f"{_length(blocks, 'text', 2):,} characters, html {_length(kept, 'html', 1):,} of "
        f"{_length(blocks, 'html', 1):,} (KRONIKA_MAX_TEXT_CHARS, KRONIKA_MAX_HTML_CHARS)")
    return kept


def _cut_at_word(text: str, limit: int) -> str:
    """``text`` cut to at most ``limit`` characters, at the last space near the cut."""
    if len(text) <= limit:
        return text
    cut = text[:max(0, limit)]
    space = cut.rfind(" ", max(0, limit - 200))
    return (cut[:space] if space > 0 else cut).rstrip()


def _length(blocks: list[Block], what: str, separator: int) -> int:
    return max(0, sum(len(getattr(b, what)) + separator for b in blocks) - separator)


def fit_list(items: list, what: str, budget: Budget, warnings: list[str]) -> list:
    """The first ``max_media`` of ``items``, with a warning when there were more."""
    if len(items) <= budget.max_media:
        return items
    warnings.append(f"{what} cut to the first {budget.max_media:,} of {len(items):,} "
                    f"(the record budget, KRONIKA_MAX_MEDIA)")
    return items[:budget.max_media]


def fit_field(value: str | None, what: str, budget: Budget,
              warnings: list[str]) -> str | None:
    """A short field (title, lead, author...) cut to ``max_field_chars``, with a warning."""
    if value is None or len(value) <= budget.max_field_chars:
        return value
    warnings.append(f"{what} cut to {budget.max_field_chars:,} of its {len(value):,} "
                    f"characters (the record budget, KRONIKA_MAX_FIELD_CHARS)")
    return _cut_at_word(value, budget.max_field_chars)
