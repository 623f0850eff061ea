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


# A union branch that starts at an id: "#wtxt h3", "div#content > p".
_ID_BRANCH = re.compile(r"descendant-or-self::(\*|[a-z][a-z0-9]*)\[@id = '([^'\s]+)'\]")


@lru_cache(maxsize=2048)
def _id_anchored(css: str):
    """``css`` as XPath whose id-led branches start from libxml2's id index (id()), one
    lookup, instead of testing every element of the page for the id. libxml2 indexes
    the first element carrying each id and, in HTML, <a name> too: a branch whose lookup
    does not land on an element with that id walks the page as before."""
    branches = []
    for branch in HTMLTranslator().css_to_xpath(css).split(" | "):
        match = _ID_BRANCH.match(branch)
        if match is None:
            branches.append(branch)
            continue
        tag, name = match.groups()
        found = f"id('{name}')[@id = '{name}']"
        lookup = found if tag == "*" else f"{found}[self::{tag}]"
        branches += [lookup + branch[match.end():], f"self::node()[not({found})]/{branch}"]
    return etree.XPath(" | ".join(branches))


def select_unedited(root, css: str) -> list:
    """``select`` for the root element of a parsed page (or a copy of one) that has not
    been edited since: libxml2's id index is right only then (a removed element stays in
    it). An id names one element there, the first that carries it, as getElementById
    does; pages that repeat an id are invalid, and only their first is searched."""
    return _id_anchored(css)(root)


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
