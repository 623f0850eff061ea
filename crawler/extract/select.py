"""CSS selection with compiled selectors kept: ``select(root, css)``.

``element.cssselect(css)`` translates the CSS to XPath and compiles it on every call;
the profiles and the chrome rules use a few hundred selectors thousands of times, and
the translation cost more than all the rest of the site path.
"""

from __future__ import annotations

import re
from functools import lru_cache

from cssselect import HTMLTranslator
from lxml import etree
from lxml.cssselect import CSSSelector


@lru_cache(maxsize=2048)
def compiled(css: str) -> CSSSelector:
    return CSSSelector(css, translator="html")


def select(root, css: str) -> list:
    """The elements under (and including) ``root`` that match ``css``, in document order."""
    return compiled(css)(root)


_LEAD = re.compile(r"^\((self::[a-z0-9]+|@[a-z-]+)\b")
_SIMPLE = re.compile(r"^descendant-or-self::(\*|[a-z][a-z0-9]*)(?:\[(.*)\])?$", re.S)


@lru_cache(maxsize=64)
def any_of(selectors: tuple[str, ...]):
    """One compiled XPath matching what any of ``selectors`` matches, in one pass over
    the tree. (A CSS selector group is translated to a union of XPaths, one traversal
    per selector: the chrome vocabulary's seventeen made it the site path's most
    expensive step.) Selectors with combinators fall back to that union."""
    translator = HTMLTranslator()
    tests, rest = [], []
    for css in selectors:
        xpath = translator.css_to_xpath(css)
        match = _SIMPLE.match(xpath)
        if match is None or "|" in xpath:
            rest.append(xpath)
            continue
        tag, predicate = match.groups()
        parts = ([f"self::{tag}"] if tag != "*" else []) + ([predicate] if predicate else [])
        tests.append("(" + " and ".join(parts or ["true()"]) + ")")
    # Tests that start by looking at the same attribute (or tag) are grouped under that
    # look, so an element without it is dismissed once, not once per test.
    groups: dict[str, list[str]] = {}
    for test in tests:
        lead = _LEAD.match(test)
        groups.setdefault(lead.group(1) if lead else "", []).append(test)
    grouped = [f"({key} and ({' or '.join(ts)}))" if key and len(ts) > 1 else " or ".join(ts)
               for key, ts in groups.items()]
    expression = f"descendant-or-self::*[{' or '.join(grouped)}]" if tests else ""
    return etree.XPath(" | ".join(filter(None, [expression, *rest])))
