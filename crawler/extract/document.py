"""From fetched bytes to a parsed page: binary refusal, decoding, the parser.

The first stage of the cascade. Whatever a server sent is either turned into an lxml
document or refused with ExtractionError (an empty body, an image or PDF served as
HTML, a page with no document in it); the later stages never see anything else.
"""

from __future__ import annotations

import re
import threading

import lxml.etree
import lxml.html

from crawler.extract.budget import (
    DEPTH_WARNING,
    Budget,
    bound_depth,
    deeper_than,
    flatten_markup,
    truncated_by_depth,
)
from crawler.extract.encoding import decode as decode_bytes


class ExtractionError(ValueError):
    """The input is not an HTML page an Article can come from (empty, binary)."""


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
# Text or attribute values longer than this are dropped by libxml2 (the article with
# them, silently) unless the parser is told huge_tree; a page shorter than this cannot
# hold one.
_HUGE_VALUE = 10_000_000


def _parser(huge: bool = False) -> lxml.etree.HTMLParser:
    """The thread's parser. Without ``huge`` (every page within the extraction budget),
    libxml2 stops at depth 256 and says so in the error log, which parse_document reads;
    with it (longer pages, such as an image pasted into an article as a data: URI) at
    depth 2,048."""
    name = "huge" if huge else "parser"
    parser = getattr(_PARSERS, name, None)
    if parser is None:
        parser = lxml.etree.HTMLParser(encoding="utf-8", remove_blank_text=False,
                                       huge_tree=huge)
        # Every element an lxml.html HtmlElement, without lxml.html's lookup: that one is
        # Python code run for each element the extraction touches (to give forms and
        # inputs their own classes, which nothing here uses).
        parser.set_element_class_lookup(lxml.etree.ElementDefaultClassLookup(
            element=lxml.html.HtmlElement, comment=lxml.html.HtmlComment,
            pi=lxml.html.HtmlProcessingInstruction, entity=lxml.html.HtmlEntity))
        setattr(_PARSERS, name, parser)
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


def parse_document(page: str | bytes, budget: Budget | None = None,
                   warnings: list[str] | None = None):
    """An lxml.html document for page text or its UTF-8 bytes (an XML prolog with an
    encoding is tolerated). Raises ExtractionError when there is no document in it.

    Its tree is at most 255 levels deep, so that no later stage recurses too deep (the
    renderer, trafilatura) and none misses the text after deep nesting: libxml2 stops
    reading a page at that depth, saying so only in its error log, and such a page is
    read again with the tags of its elements past the budget's ``max_depth`` removed
    (budget.flatten_markup), their text kept; ``warnings``, when given, says so."""
    if isinstance(page, str):
        page = page.encode("utf-8")
    page = re.sub(rb"^\s*<\?xml[^>]*\?>", b"", page)
    budget = budget or _DEFAULT_BUDGET
    huge = len(page) > _HUGE_VALUE
    parser = _parser(huge)
    root = _parse(page, parser)
    # A look at an error log that is empty on most pages; a page read by the huge
    # parser (2,048 levels) is probed.
    if not truncated_by_depth(parser) and not (huge and deeper_than(root, budget.max_depth)):
        return root
    notes = warnings if warnings is not None else []
    if truncated_by_depth(parser):
        page, removed = flatten_markup(page, budget.max_depth)
        root = _parse(page, parser)
        if removed:
            notes.append(DEPTH_WARNING.format(budget.max_depth))
        if truncated_by_depth(parser):  # markup the tag stack could not follow
            notes.append("the page nests deeper than the parser reads even when flattened; "
                         "what follows the nesting is missing")
    bound_depth(root, budget, notes, force=True)
    return root


_DEFAULT_BUDGET = Budget()


def _parse(page: bytes, parser):
    try:
        root = lxml.etree.fromstring(page, parser=parser)
    except lxml.etree.ParserError as exc:  # e.g. a page of nothing but a comment
        raise ExtractionError(f"no HTML document in the page ({exc})") from None
    if root is None:
        raise ExtractionError("no HTML document in the page")
    return root
