"""Strip page chrome from an element tree, in place, using the rules in ``chrome``.

The cleaner is run on the content container a site profile selects (chrome inside the
container is common: share bars, "Drukuj", "Powrót", calendars) and on whole pages for
the generic path. It only removes; it never rewrites text.
"""

from __future__ import annotations

import re

from lxml import etree

from crawler.extract import chrome
from crawler.extract.select import SimpleSelectors
from crawler.extract.text import normalize_space, short_text, text_of


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


def _named_chrome(el) -> bool:
    """True when a token of the element's class or id is in CHROME_CLASS_TOKENS."""
    return _CHROME_TOKEN.search(f"{el.get('class', '')} {el.get('id', '')}".lower()) is not None


def _has_media(el) -> bool:
    return el.tag == "img" or el.find(".//img") is not None


_CHROME_TAGS = frozenset(chrome.CHROME_TAGS)
_CHROME_SELECTORS = SimpleSelectors(chrome.CHROME_SELECTORS)


def _dom_rules(root) -> tuple[list, list]:
    """One walk below ``root``, top-down: the outermost elements the DOM rules remove
    (chrome tags and selectors; their subtrees are not entered), and, outside them, in
    document order, the elements whose class or id names chrome: the candidates of the
    class-token rule, which depends on their share of the text left.

    A Python walk that skips what it removes costs half of the XPath pass per rule it
    replaced (see SimpleSelectors). strip_chrome and text_bounds both use it: the bound
    and the cleaner apply the same rules."""
    rest = set(_CHROME_SELECTORS.rest(root)) if _CHROME_SELECTORS.rest is not None else ()
    doomed, named = [], []
    stack = list(root)
    stack.reverse()
    while stack:
        el = stack.pop()
        tag = el.tag
        if not isinstance(tag, str):  # comments, processing instructions
            continue
        if tag in _CHROME_TAGS or _CHROME_SELECTORS.matches(el, tag) or el in rest:
            doomed.append(el)
            continue
        if _named_chrome(el):
            named.append(el)
        if len(el):
            children = list(el)
            children.reverse()
            stack.extend(children)
    return doomed, named


def _inside(el, ancestors: set) -> bool:
    return any(a in ancestors for a in el.iterancestors())


def _class_token_rule(named: list, total: int, length_of):
    """The class-token rule over its candidates (``named``, in document order): each
    goes, with its length, unless it holds more than CLASS_TOKEN_MAX_SHARE of ``total``,
    the text the DOM rules leave; what it removes is not looked into again. ``length_of``
    gives a candidate's text without what the DOM rules removed inside it: read from the
    cleaned tree by strip_chrome, computed by text_bounds."""
    gone: set = set()
    for el in named:
        if gone and _inside(el, gone):
            continue
        length = length_of(el)
        if length / (total or 1) <= chrome.CLASS_TOKEN_MAX_SHARE:
            gone.add(el)
            yield el, length


_TEXT_LENGTH = etree.XPath("string-length(normalize-space(.))")


def text_length(el) -> int:
    """Characters of an element's text with whitespace runs collapsed (in libxml2: four
    times faster than joining itertext() in Python)."""
    if not len(el) and not (el.text and not el.text.isspace()):
        return 0  # an empty leaf (an input, a meta, an icon), without asking libxml2
    return int(_TEXT_LENGTH(el))


def _length_outside(total: int, doomed: set) -> int:
    """``total`` (a root's text length) without the text of the subtrees in ``doomed``."""
    outside = 0
    for el in doomed:
        # Measuring a big subtree (a nav inside a header) costs more than the walk up
        # its ancestors, so that goes first, but not for empty leaves (inputs, metas).
        if not len(el) and not (el.text and not el.text.isspace()):
            continue
        if not any(a in doomed for a in el.iterancestors()):
            outside += text_length(el)
    return total - outside


def text_bounds(root):
    """Successively tighter upper bounds of the text length strip_chrome(root) would
    leave, computed without touching the tree: the whole text; without the chrome tags
    (found by libxml2, no Python walk); without everything the DOM rules and the
    class-token rule remove. The extraction cascade uses them to skip trafilatura on
    pages where a generic body could not be much longer than the profile's.

    No rule is stated here: the tags are chrome.CHROME_TAGS, and the last bound runs the
    very walk and class-token rule strip_chrome runs, measuring instead of removing."""
    whole = text_length(root)
    yield whole  # one call, and often enough
    # The tag rule alone, found by libxml2: on most fixture pages this bound decides,
    # and the Python walk below is never made (8% of the site path's instructions).
    yield _length_outside(whole, {el for el in root.iter(*chrome.CHROME_TAGS) if el is not root})
    doomed, named = _dom_rules(root)
    total = whole
    # The class-token rule measures an element after the DOM rules have removed what
    # they remove inside it: that text is subtracted once, not twice.
    candidates = set(named)
    removed_inside = dict.fromkeys(named, 0)
    for el in doomed:
        length = text_length(el)
        total -= length
        if length:
            for ancestor in el.iterancestors():
                if ancestor in candidates:
                    removed_inside[ancestor] += length
    removed = sum(length for _, length in _class_token_rule(
        named, total, lambda el: text_length(el) - removed_inside[el]))
    yield total - removed


def strip_chrome(root, phrases: bool = True) -> None:
    """Remove chrome below ``root`` (never ``root`` itself). ``phrases``: also the
    elements whose whole text is chrome (strip_chrome_phrases)."""
    for node in list(root.iter(etree.Comment, etree.ProcessingInstruction)):
        _remove(node)
    doomed, named = _dom_rules(root)
    for el in doomed:
        _remove(el)
    total = len(normalize_space(root.text_content()))
    for el, _ in _class_token_rule(named, total, lambda el: len(normalize_space(text_of(el)))):
        _remove(el)  # its descendants among the candidates are skipped: it is in "gone"
    if phrases:
        strip_chrome_phrases(root)


def strip_chrome_phrases(root) -> None:
    """Remove elements whose whole text is chrome, then containers left empty."""
    # Descendants before their ancestors (reversed document order), so that a
    # "Drukuj | Powrót" bar loses both links and then, holding only separators, goes as
    # an empty container. An element holding a text too long to be chrome makes its
    # ancestors long too, so the big containers' texts are never read nor normalised
    # (short_text refuses a long text cheaply).
    long: set = set()
    for el in reversed([e for e in root.iterdescendants() if isinstance(e.tag, str)]):
        parent = el.getparent()
        if parent is None:
            continue
        if el in long:
            long.add(parent)
            continue
        if el.tag not in chrome.PHRASE_TAGS:
            continue
        text = short_text(el, chrome.MAX_CHROME_TEXT)
        if text is None:
            long.add(parent)
            continue
        if chrome.is_chrome_text(text):
            _remove(el)
        elif (el.tag in chrome.SEPARATOR_TAGS and chrome.SEPARATORS_ONLY.match(text)
              and not _has_media(el)):
            _remove(el)

