"""CSS selection for the extraction cascade, three ways:

* ``select(root, css)``: cssselect's XPath, compiled once and kept.
  ``element.cssselect(css)`` translates and compiles on every call; the profiles use a
  few hundred selectors thousands of times, and the translation cost more than all the
  rest of the site path.
* ``select_unedited(page, css)``: the same, with id-led selectors ("#wtxt h3") looked up
  in libxml2's id index instead of walking the page.
* ``SimpleSelectors``: many combinator-free selectors tested in Python, one element at a
  time, inside a walk the caller makes anyway (the chrome rules).
"""

from __future__ import annotations

import re
from functools import lru_cache

import cssselect
from cssselect import HTMLTranslator
from lxml import etree
from lxml.cssselect import CSSSelector


@lru_cache(maxsize=2048)
def compiled(css: str) -> CSSSelector:
    """The compiled selector for ``css`` (HTML rules), cached."""
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


class SimpleSelectors:
    """Combinator-free CSS selectors (tag, #id, .class, [attr], [attr=value] and the other
    attribute operators) tested on one element at a time, in Python, for a caller that
    walks the tree anyway.

    libxml2 evaluates an XPath predicate on every element at the cost of a node-set per
    attribute test: a group of class tests spends over a microsecond an element, more
    than a Python walk that reads each attribute once. The common shapes become set
    lookups (".x", "[attr=value]"); other compound selectors are tested one by one, and
    selectors with combinators or pseudo-classes are left to one XPath pass (``rest``).
    """

    def __init__(self, selectors: tuple[str, ...]):
        self.tags: set[str] = set()
        self.classes: set[str] = set()
        equals: dict[str | None, dict[str, set[str]]] = {}  # tag (None: any) -> attr -> values
        self.compound: dict[str | None, list[tuple]] = {}
        rest = []
        for css in selectors:
            for parsed in cssselect.parse(css):
                test = None if parsed.pseudo_element else _simple_test(parsed.parsed_tree)
                if test is None or test == (None, ()):  # "*" too: it names nothing
                    rest.append(parsed.canonical())
                    continue
                tag, conditions = test
                if not conditions and tag is not None:
                    self.tags.add(tag)
                elif tag is None and len(conditions) == 1 and conditions[0][:2] == ("class", "~="):
                    self.classes.add(conditions[0][2])
                elif len(conditions) == 1 and conditions[0][1] == "=":
                    name, _, value = conditions[0]
                    equals.setdefault(tag, {}).setdefault(name, set()).add(value)
                else:
                    self.compound.setdefault(tag, []).append(conditions)
        self.equals = tuple(equals.pop(None, {}).items())
        self.tag_equals = {tag: tuple(tests.items()) for tag, tests in equals.items()}
        self.rest = compiled(", ".join(rest)) if rest else None

    def matches(self, el, tag: str) -> bool:
        """True when ``el`` (whose tag is ``tag``) matches one of the simple selectors."""
        if tag in self.tags:
            return True
        get = el.get
        for attribute, values in self.equals:
            if get(attribute) in values:
                return True
        if self.classes:
            names = get("class")
            if names and not self.classes.isdisjoint(names.split()):
                return True
        if tag in self.tag_equals:
            for attribute, values in self.tag_equals[tag]:
                if get(attribute) in values:
                    return True
        if self.compound:
            for conditions in (*self.compound.get(tag, ()), *self.compound.get(None, ())):
                if all(_holds(get(name), op, value) for name, op, value in conditions):
                    return True
        return False


def _simple_test(tree) -> tuple[str | None, tuple] | None:
    """(tag or None, ((attribute, operator, value), ...)) for a compound selector; None
    for one with a combinator, pseudo-class, negation or namespace."""
    conditions: list[tuple[str, str, str | None]] = []
    while True:
        kind = type(tree).__name__
        if kind == "Element":
            if tree.namespace:
                return None
            return (tree.element.lower() if tree.element else None), tuple(reversed(conditions))
        if kind == "Class":
            conditions.append(("class", "~=", tree.class_name))
        elif kind == "Hash":
            conditions.append(("id", "=", tree.id))
        elif kind == "Attrib" and not tree.namespace:
            value = getattr(tree.value, "value", tree.value)  # a Token in cssselect >= 1.2
            conditions.append((tree.attrib.lower(), tree.operator, value))
        else:
            return None
        tree = tree.selector


def _holds(actual: str | None, op: str, value: str | None) -> bool:
    """One attribute condition, as Selectors Level 3 defines it."""
    if actual is None:
        return False
    if op == "exists":
        return True
    if op == "=":
        return actual == value
    if value is None:  # only "exists" comes without a value
        return False
    if op == "~=":
        return value in actual.split()
    if op == "|=":
        return actual == value or actual.startswith(value + "-")
    if not value:  # ^= $= *= with an empty value match nothing
        return False
    if op == "^=":
        return actual.startswith(value)
    if op == "$=":
        return actual.endswith(value)
    return op == "*=" and value in actual
