"""Turn a cleaned body element into the Article's minimal HTML and plain text.

We walk the DOM ourselves rather than serialising it through a sanitizer: old CMS pages
put loose text straight into divs and layout tables, and only a walk that knows blocks
from inlines can turn that into paragraphs. The output keeps p, h2-h4, lists, tables,
blockquote, links and emphasis; everything else is unwrapped.
"""

from __future__ import annotations

import html as htmllib
import re
import threading
import unicodedata
from dataclasses import dataclass

from crawler.extract.urls import join

_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"), None)
_INVISIBLE_RE = re.compile("[\u200b\u200c\u200d\u2060\ufeff\u00ad]")
# What normalize_space can turn into ASCII, or remove from between two ASCII letters:
# the invisible characters, and the three characters whose NFC is ASCII (Greek question
# mark, Greek varia, Kelvin sign; Unicode 14, computed over every code point).
_MAKES_ASCII = re.compile("[\u200b\u200c\u200d\u2060\ufeff\u00ad\u037e\u1fef\u212a]")
_ASCII_FOLD = {**_INVISIBLE, 0x037e: ";", 0x1fef: "`", 0x212a: "K"}

_SPACED_BREAK = re.compile(r"\s*<br>\s*")
_EDGE_BREAKS = re.compile(r"^(<br>)+|(<br>)+$")
_SPACES = re.compile(r" {2,}")

HEADINGS = {"h1": "h2", "h2": "h2", "h3": "h3", "h4": "h4", "h5": "h4", "h6": "h4"}
INLINE_TAGS = {"a", "abbr", "acronym", "b", "big", "cite", "code", "em", "font", "i", "kbd",
               "mark", "q", "s", "samp", "small", "span", "strike", "strong", "sub", "sup",
               "time", "tt", "u", "var", "br", "img", "wbr", "del", "ins", "label"}
_EMPHASIS = {"b": "strong", "strong": "strong", "i": "em", "em": "em", "sub": "sub",
             "sup": "sup", "code": "code"}


def normalize_space(text: str | None) -> str:
    """NFC, invisible characters removed, whitespace runs collapsed, trimmed.

    Whitespace is what str.isspace() says: ASCII whitespace, no-break and the other
    Unicode spaces, line and paragraph separators. str.split() collapses it five times
    faster than a regex substitution, and this runs on every text of every page."""
    if not text:
        return ""
    if not text.isascii():
        text = unicodedata.normalize("NFC", text)
        if _INVISIBLE_RE.search(text):
            text = text.translate(_INVISIBLE)
    return " ".join(text.split())


def _collapse(text: str) -> str:
    """Whitespace runs as one space, a leading or trailing run included (an inline
    fragment's edge spaces separate it from its neighbours)."""
    inner = " ".join(text.split())
    if not inner:
        return " "
    return f"{' ' if text[0].isspace() else ''}{inner}{' ' if text[-1].isspace() else ''}"


def may_hold(raw: str, token: str, plain: bool = False) -> bool:
    """False only when normalize_space(raw) cannot contain ``token`` (an ASCII run
    without whitespace), decided without normalising ``raw``: such a token is in the
    normalised text only if it is in ``raw``, unless ``raw`` holds a character that
    normalisation removes or turns into ASCII. ``plain``: the page holds no such
    character (plain_page), so ``raw`` is not searched for one."""
    if token in raw:
        return True
    # Else only if folding those characters (one C pass, not a normalisation) makes it.
    return not plain and _MAKES_ASCII.search(raw) is not None and token in raw.translate(
        _ASCII_FOLD)


_LAST_PAGE = threading.local()  # (a document's root, plain_page of it, its body's text)


def plain_page(root) -> bool:
    """True when no text below ``root`` holds a character that normalisation removes or
    turns into ASCII: may_hold's answer is then ``token in raw`` (one search of the
    page instead of one per subtree a walk looks into). Answered for the whole document
    and kept for the last one: the walks of one extraction ask it of the same page five
    times or more, and a subtree of a plain page is plain. (The answer kept is the
    <body>'s: where the walks go, without the head's scripts to read.)"""
    top = root.getroottree().getroot()
    body = top.find("body") if top.tag == "html" else None
    if body is None or not (root is body or next(root.iterancestors("body"), None) is body):
        return _MAKES_ASCII.search(text_of(root)) is None  # outside the body: not kept
    return _body_reading(top, body)[1]


def page_text(doc) -> str:
    """text_of(the document's <body>), read once per document (kept with plain_page's
    answer: both read the whole body's text)."""
    top = doc.getroottree().getroot()
    body = top.find("body") if top.tag == "html" else None
    return text_of(doc) if body is None else _body_reading(top, body)[2]


def _body_reading(top, body) -> tuple:
    last = getattr(_LAST_PAGE, "page", None)
    if last is None or last[0] is not top:
        text = text_of(body)
        last = _LAST_PAGE.page = (top, _MAKES_ASCII.search(text) is None, text)
    return last


def text_of(el) -> str:
    """``el.text_content()``: the text of the element and its descendants. An element
    without children has only its own text, read without the XPath call text_content()
    makes (most of the elements the cleaner and the renderer read are such leaves)."""
    return (el.text or "") if not len(el) else el.text_content()


def element_text(el) -> str:
    """The whitespace-normalised text of an element, '' for None."""
    return normalize_space(text_of(el)) if el is not None else ""


def short_text(el, limit: int) -> str | None:
    """element_text(el) when it is at most ``limit`` characters long, else None; a long
    text is refused without being normalised (the date and label searches ask this of
    every element of a page, its biggest containers included). The refusal uses the
    text's non-space characters, which normalisation keeps (bar composed accents and
    invisible characters, hence the margin)."""
    if el is None:
        return ""
    return _short(text_of(el), limit)


def _short(raw: str, limit: int) -> str | None:
    """short_text of an element whose raw text is ``raw``."""
    if len(raw) > limit and len(raw) - raw.count(" ") > 2 * limit + 20 and (
            sum(map(len, raw.split())) > 2 * limit + 20):
        return None
    text = normalize_space(raw)
    return text if len(text) <= limit else None


class ShortTexts:
    """short_texts' answer: ``get(element)`` gives element_text(element) when it is at
    most the limit long, else None. The texts no longer than the limit before
    normalising (most of a page's) are normalised when first asked for, as the date
    searches ask for only some of them."""

    def __init__(self, found: dict, raw: dict, limit: int):
        self._found = found
        self._raw = raw
        self._limit = limit

    def get(self, el, needs: re.Pattern | None = None) -> str | None:
        """``needs``: a pattern the text must hold (searched in the raw text first, so
        that the texts without it are never normalised), else None."""
        text = self._found.get(el)
        if text is None:
            raw = self._raw.get(el)
            if raw is None or (needs is not None and needs.search(raw) is None):
                return None
            del self._raw[el]
            text = normalize_space(raw)
            if len(text) > self._limit:  # NFC lengthens a few scripts' letters
                return None
            self._found[el] = text
        return text if needs is None or needs.search(text) else None


def short_texts(root, limit: int, tags: frozenset) -> ShortTexts:
    """element_text(element) of the elements of ``tags`` below and including ``root``
    whose text is at most ``limit`` characters: one walk, children before parents, in
    which an element with a long child is long without its text being read (an
    ancestor's text holds its descendants'), so a page's big containers are never
    normalised. A short element's raw text is built from its children's (kept until the
    parent takes them) instead of asked of libxml2 (text_content, an XPath call per
    element). Comments and processing instructions are not entered."""
    found: dict = {}
    pending: dict = {}  # raw texts no longer than the limit: short once normalised too
    long: set = set()
    raws: dict = {}
    for el in reversed(list(root.iter())):
        tag = el.tag
        if tag.__class__ is not str:
            continue
        if el in long:
            parent = el.getparent()
            if parent is not None:
                long.add(parent)
            continue
        if len(el):
            parts = [el.text or ""]
            for child in el:
                if child.tag.__class__ is str:
                    parts.append(raws.pop(child))  # short: else this one were long
                parts.append(child.tail or "")
            raw = "".join(parts)
        else:
            raw = el.text or ""
        if len(raw) > limit:
            text = _short(raw, limit)
            if text is None:
                parent = el.getparent()
                if parent is not None:
                    long.add(parent)
                continue
            if tag in tags:
                found[el] = text
        elif tag in tags:
            pending[el] = raw
        raws[el] = raw
    return ShortTexts(found, pending, limit)


@dataclass
class Block:
    """One body block: its kind (p, h2, ul, table...), minimal HTML and plain text."""

    kind: str
    html: str
    text: str


def _is_block(el) -> bool:
    return isinstance(el.tag, str) and el.tag not in INLINE_TAGS


def _has_block_descendant(el) -> bool:
    return any(_is_block(d) for d in el.iterdescendants() if isinstance(d.tag, str))


def _lines(text: str) -> str:
    return "\n".join(line for line in (normalize_space(x) for x in text.split("\n")) if line)


class _Renderer:
    def __init__(self, base_url: str):
        self.base_url = base_url
        self.blocks: list[Block] = []
        self._html: list[str] = []
        self._text: list[str] = []

    # -- inline content -------------------------------------------------
    def _add_text(self, text: str | None) -> None:
        if text:
            self._text.append(text.replace("\n", " "))
            # The HTML gets the same whitespace as the text: no source line breaks,
            # no-break spaces as plain spaces.
            if _INVISIBLE_RE.search(text):
                text = text.translate(_INVISIBLE)
            self._html.append(htmllib.escape(_collapse(text), quote=False))

    def _inline(self, el) -> None:
        tag = el.tag if isinstance(el.tag, str) else None
        if tag == "br":
            self._text.append("\n")
            self._html.append("<br>")
        elif tag in (None, "img", "wbr"):
            pass
        else:
            open_, close = self._inline_tags(el, tag)
            self._html.append(open_)
            self._add_text(el.text)
            for child in el:
                self._inline(child) if not _is_block(child) else self._add_text(
                    text_of(child))
            self._html.append(close)
        self._add_text(el.tail)

    def _inline_tags(self, el, tag: str) -> tuple[str, str]:
        if tag == "a":
            href = (el.get("href") or "").strip()
            # A link around a picture only: the picture goes to `images`, no empty <a>.
            if href and not href.lower().startswith(("javascript:", "#")) and normalize_space(
                    text_of(el)) and (href := join(self.base_url, href)):
                return f'<a href="{htmllib.escape(href)}">', "</a>"
            return "", ""
        if tag in _EMPHASIS:
            name = _EMPHASIS[tag]
            return f"<{name}>", f"</{name}>"
        return "", ""

    def flush(self, kind: str = "p") -> None:
        text = _lines("".join(self._text))
        html = "".join(self._html).strip()
        self._html, self._text = [], []
        if not text:
            return
        if "<br>" in html:  # (a substitution tries every position: only when needed)
            html = _EDGE_BREAKS.sub("", _SPACED_BREAK.sub("<br>", html))
        if "  " in html:
            html = _SPACES.sub(" ", html)
        self.blocks.append(Block(kind, f"<{kind}>{html}</{kind}>", text))

    def inline_of(self, el) -> tuple[str, str]:
        """Render el's content as inline markup, returning (html, text)."""
        saved = self._html, self._text
        self._html, self._text = [], []
        self._add_text(el.text)
        for child in el:
            self._inline(child)
        html, text = "".join(self._html).strip(), _lines("".join(self._text))
        self._html, self._text = saved
        return html, text

    # -- blocks ----------------------------------------------------------
    def walk_children(self, el) -> None:
        self._add_text(el.text)
        for child in el:
            if not isinstance(child.tag, str):
                self._add_text(child.tail)
            elif _is_block(child) or _has_block_descendant(child):
                self.flush()
                self.block(child)
                self._add_text(child.tail)
            else:
                self._inline(child)

    def block(self, el) -> None:
        tag = el.tag
        if tag in HEADINGS and not _has_block_descendant(el):
            html, text = self.inline_of(el)
            if text:
                kind = HEADINGS[tag]
                self.blocks.append(Block(kind, f"<{kind}>{html}</{kind}>", text))
        elif tag in ("ul", "ol"):
            self._list(el)
        elif tag == "table" and not self._is_layout_table(el):
            self._table(el)
        elif tag == "blockquote":
            inner = _Renderer(self.base_url)
            inner.walk_children(el)
            inner.flush()
            if inner.blocks:
                self.blocks.append(Block(
                    "blockquote", "<blockquote>" + "".join(b.html for b in inner.blocks)
                    + "</blockquote>", "\n\n".join(b.text for b in inner.blocks)))
        elif tag == "hr":
            pass
        elif tag == "figure" and el.find(".//img") is not None:
            self._figure(el)
        else:
            self.walk_children(el)
            self.flush()

    def _list(self, el) -> None:
        items = []
        for li in el.iterchildren("li"):
            html, text = self.inline_of(li) if not _has_block_descendant(li) else (
                htmllib.escape(normalize_space(li.text_content()), quote=False),
                normalize_space(li.text_content()))
            if text:
                items.append((html, text))
        if items:
            kind = el.tag
            marker = "- " if kind == "ul" else None
            text = "\n".join(
                (marker or f"{i}. ") + t.replace("\n", " ") for i, (_, t) in enumerate(items, 1))
            html = f"<{kind}>" + "".join(f"<li>{h}</li>" for h, _ in items) + f"</{kind}>"
            self.blocks.append(Block(kind, html, text))

    def _figure(self, el) -> None:
        # The picture and its caption belong to `images`; the HTML keeps the figure, the
        # plain text does not repeat the caption.
        img = el.find(".//img")
        src = next((img.get(a) for a in ("data-src", "src") if img.get(a)), "")
        caption = normalize_space(" ".join(c.text_content() for c in el.iter("figcaption")))
        html = (f'<figure><img src="{htmllib.escape(join(self.base_url, src) or src)}" '
                f'alt="{htmllib.escape(img.get("alt") or "")}">')
        if caption:
            html += f"<figcaption>{htmllib.escape(caption, quote=False)}</figcaption>"
        self.blocks.append(Block("figure", html + "</figure>", ""))

    @staticmethod
    def _is_layout_table(el) -> bool:
        # Old CMS templates lay pages out with tables; a data table holds no paragraphs.
        return any(d.tag in ("p", "div", "table", "ul", "ol", "h1", "h2", "h3")
                   for d in el.iterdescendants() if isinstance(d.tag, str))

    def _table(self, el) -> None:
        rows_html, rows_text = [], []
        for tr in el.iter("tr"):
            cells = [c for c in tr if c.tag in ("td", "th")]
            rendered = [(c.tag, *self.inline_of(c)) for c in cells]
            if not any(t for _, _, t in rendered):
                continue
            rows_html.append("<tr>" + "".join(f"<{tag}>{h}</{tag}>" for tag, h, _ in rendered)
                             + "</tr>")
            rows_text.append(" | ".join(t.replace("\n", " ") for _, _, t in rendered))
        if rows_text:
            self.blocks.append(Block("table", "<table>" + "".join(rows_html) + "</table>",
                                     "\n".join(rows_text)))


def render_blocks(root, base_url: str) -> list[Block]:
    """Render a (cleaned) body element into blocks, in document order."""
    renderer = _Renderer(base_url)
    if isinstance(root.tag, str) and root.tag in HEADINGS | {"ul": 1, "ol": 1, "table": 1}:
        renderer.block(root)
    else:
        renderer.walk_children(root)
        renderer.flush()
    return renderer.blocks


def blocks_html(blocks: list[Block]) -> str:
    """The Article's ``html``: blocks joined by newlines."""
    return "\n".join(b.html for b in blocks)


def blocks_text(blocks: list[Block]) -> str:
    """The Article's ``text``: blocks separated by one blank line (figures have none)."""
    return "\n\n".join(b.text for b in blocks if b.text)


_LINKED = re.compile(r"<a\b[^>]*>(.*?)</a>", re.S)
_TAG = re.compile(r"<[^>]+>")


def link_density(block: Block) -> float:
    """Share of a block's text that is link text."""
    if not block.text or "<a" not in block.html:
        return 0.0
    linked = sum(len(normalize_space(htmllib.unescape(_TAG.sub("", m))))
                 for m in _LINKED.findall(block.html))
    return min(1.0, linked / len(block.text))
