"""The extraction's budget: how much of a page the parsers read, how deep its tree may
nest, and how big the Article it gives may grow.

A page is what a server chose to send, so nothing in it may size the work or the record:

* the page: its first ``max_page_bytes`` bytes and ``max_page_tags`` markup tags are
  read (memory and time grow with the elements of the tree, which the extraction and
  trafilatura copy several times; a 10 MB page of 400,000 links took 2 GB). Over the
  byte budget, data: URIs are emptied first (an image pasted into the text is a few MB
  of attribute that no record keeps);
* the tree: libxml2 stops reading a page at depth 256 (2,048 with huge_tree), saying so
  only in its error log, and the renderer and trafilatura recurse per level (the one
  raised RecursionError at 900 levels, the other dropped the text after a few hundred).
  A page libxml2 stopped reading is read again with the tags that nest it past
  ``max_depth`` removed (flatten_markup), and a tree deeper than ``max_depth`` given to
  trafilatura is flattened first (bound_depth): text and childless elements kept;
* the record: ``text`` and ``html`` are cut to ``max_text_chars`` and ``max_html_chars``,
  images and attachments to ``max_media`` each, the short fields to ``max_field_chars``.

Whatever is cut or flattened leaves a warning in ``extraction.warnings``. Every limit
has a default here and an environment variable (read once a process) for the operator;
they are documented in the README's "Failure modes". The largest of 990 real pages measured
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
    max_html_chars: int = 4_000_000
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


def configured() -> Budget:
    """The budget of this process: the defaults with the KRONIKA_ environment variables
    set when it started (read once: a lookup per page cost 0.6% of the site path)."""
    global _CONFIGURED
    if _CONFIGURED is None:
        _CONFIGURED = Budget.from_env()
    return _CONFIGURED


_CONFIGURED: Budget | None = None
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

_PROBES: dict[str, etree.XPath] = {}


def _levels_below(levels: int, boolean: bool = False) -> etree.XPath:
    """An XPath, relative to its context element, to the elements ``levels`` levels
    below it (the element itself for 0): one step per level, so libxml2 visits each
    element of the tree once at most."""
    path = "/".join(["*"] * levels) if levels else "self::*"
    if boolean:
        path = f"boolean({path})"
    probe = _PROBES.get(path)
    if probe is None:
        probe = _PROBES[path] = etree.XPath(path)
    return probe


def deeper_than(root, depth: int) -> bool:
    """True when an element of ``root``'s tree lies more than ``depth`` levels down
    (``root`` itself is level 1): a few microseconds on an ordinary page."""
    return bool(_levels_below(depth, boolean=True)(root))


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
    for a tree within the depth)."""
    unwrapped = 0
    for boundary in _levels_below(max(0, max_depth - 1))(root):  # the deepest level kept
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
    """The page's markup with the tags of the elements that make it deeper than
    ``max_depth`` levels removed, their text kept, and how many elements went: for a page
    libxml2 stops reading at its own depth limit (256 levels).

    Wrappers go first: in a run of elements that each hold one element and no text, the
    outermost ones go until what the run holds fits (so an article wrapped in a thousand
    divs keeps its own markup, and so does a page whose body holds such a run); then any
    element still past ``max_depth`` that holds others. Elements that hold no element,
    and <html>, <head> and <body>, stay.

    Two passes over the tags: the first measures each element (the levels of the subtree
    it opens, its child elements, its own text), the second chooses. A tag stack
    approximates the tree (implied end tags are not modelled: the stack is only ever
    deeper than the tree); it runs on such pages only."""
    tokens: list[tuple[int, int, int]] = []  # (start, end, element) of the tags to cut
    names: list[bytes] = []
    parents: list[int] = []
    heights: list[int] = []
    children: list[int] = []
    texts: list[bool] = []
    stack: list[int] = []  # open elements
    pos = 0
    for m in _MARKUP.finditer(page):
        if stack and not texts[stack[-1]] and page[pos:m.start()].strip():
            texts[stack[-1]] = True
        pos = m.end()
        name = m.group(3)
        if name is None:
            continue  # a comment, a script, a style: kept whole
        name = name.lower()
        if m.group(2):  # an end tag closes the nearest open element of its name
            for i in range(len(stack) - 1, max(-1, len(stack) - 17), -1):
                if names[stack[i]] == name:
                    tokens.append((m.start(), m.end(), stack[i]))
                    _close(stack, i, parents, heights)
                    break
            continue
        if stack:
            children[stack[-1]] += 1
        if name in _VOID or m.group(0).endswith(b"/>"):
            continue
        element = len(names)
        names.append(name)
        parents.append(stack[-1] if stack else -1)
        heights.append(1)
        children.append(0)
        texts.append(False)
        stack.append(element)
        tokens.append((m.start(), m.end(), element))
    _close(stack, 0, parents, heights)

    kept_above = [0] * len(names)  # kept elements among each one's ancestors and itself
    gone = [False] * len(names)
    for element, parent in enumerate(parents):
        above = kept_above[parent] if parent >= 0 else 0
        height = heights[element]
        wrapper = children[element] == 1 and not texts[element]
        if names[element] not in _FRAME and height > 1 and (
                (wrapper and above + height > max_depth) or above >= max_depth):
            gone[element] = True
            kept_above[element] = above
        else:
            kept_above[element] = above + 1
    out: list[bytes] = []
    pos = 0
    for start, end, element in tokens:
        if gone[element]:
            out.append(page[pos:start])
            out.append(b"" if names[element] in _INLINE_BYTES else b" ")
            pos = end
    out.append(page[pos:])
    return b"".join(out), sum(gone)


def _close(stack: list[int], i: int, parents: list[int], heights: list[int]) -> None:
    """Close the open elements from ``stack[i]`` up, each one's height passed on to its
    parent."""
    for element in reversed(stack[i:]):
        parent = parents[element]
        if parent >= 0 and heights[parent] <= heights[element]:
            heights[parent] = heights[element] + 1
    del stack[i:]


_FRAME = frozenset((b"html", b"head", b"body"))
_INLINE_BYTES = frozenset(tag.encode() for tag in INLINE_TAGS)


DEPTH_WARNING = "nesting deeper than {} levels flattened, its text kept (KRONIKA_MAX_DEPTH)"


def bound_depth(root, budget: Budget, warnings: list[str], force: bool = False) -> None:
    """Flatten, in place, the nesting of ``root``'s tree past the budget's depth
    (flatten_deep), with a warning (once per page). Called on a page just read again
    after libxml2 stopped at its depth limit (``force``: it is deep), and on the trees
    trafilatura reads (the generic path's page, the site path's fallback), where one
    XPath probe decides. The site path's renderer needs no probe: the tree is at most 255
    levels deep, two frames a level."""
    if (force or deeper_than(root, budget.max_depth)) and flatten_deep(root, budget.max_depth):
        warning = DEPTH_WARNING.format(budget.max_depth)
        if warning not in warnings:
            warnings.append(warning)


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
        f"{_length(blocks, 'html', 1):,}, the block at the cut kept as plain text "
        f"(KRONIKA_MAX_TEXT_CHARS, KRONIKA_MAX_HTML_CHARS)")
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
