"""Strip page chrome from an element tree, in place, using the rules in ``chrome``.

The cleaner is run on the content container a site profile selects (chrome inside the
container is common: share bars, "Drukuj", "Powrót", calendars) and on whole pages for
the generic path. It only removes; it never rewrites text.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from lxml import etree

from . import chrome
from .select import any_of, select
from .text import normalize_space, text_of

_SEPARATORS_ONLY = re.compile(r"^[\s|/•·»«>\-–—:,.;()\[\]]*$")
# Element kinds whose whole text is tested against the chrome vocabulary.
_PHRASE_TAGS = {"p", "li", "div", "span", "a", "h1", "h2", "h3", "h4", "h5", "h6", "td", "th",
                "strong", "b", "em", "i", "dt", "dd", "ul", "ol", "section", "small", "font",
                "center", "caption", "figcaption", "button", "label", "table", "tr", "tbody"}
_BLOCK_TAGS = {"p", "li", "div", "ul", "ol", "section",
               "center", "dt", "dd", "h1", "h2", "h3", "h4", "h5", "h6"}
# A class-token match is ignored on an element holding more than this share of the
# text: a wrapper named "page-with-sidebar" is not a sidebar.
_TOKEN_RULE_MAX_SHARE = 0.5


def _remove(el) -> None:
    parent = el.getparent()
    if parent is None:
        return
    if hasattr(el, "drop_tree"):
        el.drop_tree()  # keeps the tail text
    else:  # pragma: no cover - plain etree elements
        parent.remove(el)


# A class or id token (a run between whitespace, "_" and "-") that names chrome: one
# regex search per element instead of splitting its names into a set.
_CHROME_TOKEN = re.compile(
    r"(?:^|[\s_\-])(?:" + "|".join(map(re.escape, sorted(chrome.CHROME_CLASS_TOKENS)))
    + r")(?=[\s_\-]|$)")
# The elements the class-token rule can match: those with a class or an id.
_NAMED = etree.XPath("descendant::*[@class or @id]")


def _named_chrome(el) -> bool:
    """True when a token of the element's class or id is in CHROME_CLASS_TOKENS."""
    return _CHROME_TOKEN.search(f"{el.get('class', '')} {el.get('id', '')}".lower()) is not None


def _has_media(el) -> bool:
    return el.tag == "img" or el.find(".//img") is not None


def chrome_selected(root) -> list:
    """Elements under ``root`` matching the chrome vocabulary's selectors (one pass)."""
    return any_of(chrome.CHROME_SELECTORS)(root)


_TEXT_LENGTH = etree.XPath("string-length(normalize-space(.))")


def _text_length(el) -> int:
    """Characters of an element's text with whitespace runs collapsed (in libxml2: four
    times faster than joining itertext() in Python)."""
    return int(_TEXT_LENGTH(el))


def _length_outside(total: int, doomed: set) -> int:
    """``total`` (a root's text length) without the text of the subtrees in ``doomed``."""
    outside = 0
    for el in doomed:
        # Most doomed elements hold no text (inputs, metas, empty wrappers): an empty
        # leaf is seen empty without asking libxml2. Measuring a big subtree (a nav
        # inside a header) costs more than the walk up its ancestors, so that goes first.
        if (not len(el) and not (el.text and not el.text.isspace())) or any(
                a in doomed for a in el.iterancestors()):
            continue
        outside += _text_length(el)
    return total - outside


def text_bounds(root):
    """Successively tighter upper bounds of the text length strip_chrome(root) would
    leave, computed without touching the tree: first the whole text, then without the
    chrome tags (cheap), then also without the chrome selectors and the class-token rule,
    as strip_chrome applies them. The extraction cascade uses them to skip trafilatura on
    pages where a generic body could not be much longer than the profile's."""
    whole = _text_length(root)
    yield whole  # one call, and often enough
    doomed = {el for el in root.iter(*chrome.CHROME_TAGS) if el is not root}
    yield _length_outside(whole, doomed)
    doomed.update(el for el in chrome_selected(root) if el is not root)
    total = _length_outside(whole, doomed)
    # The class-token rule, walked top-down so that a removed subtree is not entered.
    removed = 0
    stack = list(reversed(root))
    while stack:
        el = stack.pop()
        if not isinstance(el.tag, str) or el in doomed:
            continue
        if _named_chrome(el):
            length = _text_length(el)
            if length / (total or 1) <= _TOKEN_RULE_MAX_SHARE:
                removed += length
                continue
        stack.extend(reversed(el))
    yield total - removed


def strip_chrome(root, extra_selectors: Iterable[str] = (), protect: Iterable = ()) -> None:
    """Remove chrome below ``root`` (never ``root`` itself).

    ``extra_selectors`` are a site profile's own exclusions; ``protect`` are elements
    (and their ancestors) that must survive, e.g. the title or body a profile chose.
    """
    protected = set()
    for el in protect:
        if el is not None:
            protected.update(el.iterancestors())
            protected.add(el)

    for node in list(root.iter(etree.Comment, etree.ProcessingInstruction)):
        _remove(node)

    doomed = [el for el in root.iter(*chrome.CHROME_TAGS) if el is not root]
    doomed.extend(chrome_selected(root))
    for selector in extra_selectors:
        doomed.extend(select(root, selector))
    for el in doomed:
        if el is not root and el not in protected:
            _remove(el)

    total = len(normalize_space(root.text_content())) or 1
    for el in _NAMED(root):
        if el in protected or el.getparent() is None:
            continue
        if _named_chrome(el):
            share = len(normalize_space(text_of(el))) / total
            if share <= _TOKEN_RULE_MAX_SHARE:
                _remove(el)

    strip_chrome_phrases(root, protected)


def strip_chrome_phrases(root, protected: set | frozenset = frozenset()) -> None:
    """Remove elements whose whole text is chrome, then containers left empty."""
    # Descendants before their ancestors (reversed document order), so that a
    # "Drukuj | Powrót" bar loses both links and then, holding only separators, goes as
    # an empty container.
    for el in reversed([e for e in root.iterdescendants() if isinstance(e.tag, str)]):
        if el in protected or el.getparent() is None or el.tag not in _PHRASE_TAGS:
            continue
        text = normalize_space(text_of(el))
        if chrome.is_chrome_text(text):
            _remove(el)
        elif el.tag in _BLOCK_TAGS and _SEPARATORS_ONLY.match(text) and not _has_media(el):
            # Only blocks: an inline "<b>–</b>" inside a sentence is text.
            _remove(el)

