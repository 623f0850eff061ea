"""The author of a page without a profile when its body names none.

tidy_blocks takes an "Autor: ..." or "Opracowanie: ..." line, or a closing signature,
from the body itself. Many templates print the byline outside it: a post-info line under
the headline ("Autor: Redakcja PCPR"), a block after the text ("Opracowanie: Agnieszka
Sikora"). ``page_author`` reads the first such labelled line outside the page's
furniture and lists of other articles, else the schema.org microdata author (Joomla's
``itemprop="author"``), else the author the page's JSON-LD gives its Article (Yoast and
most news plugins write one). A ``<meta name="author">`` is not read:
on these sites it names the web agency or the institution as often as the writer.
"""

from __future__ import annotations

import json
import re

from crawler.extract import chrome
from crawler.extract.fields import page_language
from crawler.extract.generic import _is_listing_item, _OtherContent
from crawler.extract.text import ShortTexts, normalize_space, short_text

# How pages write the microdata author: plain byte searches (a regex over a whole page's
# bytes cost more than the rest of the byline search).
_MICRODATA = (b'itemprop="author"', b"itemprop='author'", b"itemprop=author")
_BYLINE_TAGS = ("p", "div", "span", "li", "dd", "small", "em", "strong", "b", "td")
_AUTHOR_START = re.compile(r"^[\s\u200b\u00ad]*(?:Autor|AUTOR|Oprac|Napisane przez)", re.I)
_MAX_AUTHOR = 80
_ARTICLE_TYPES = frozenset({"Article", "NewsArticle", "BlogPosting", "Report",
                            "ReportageNewsArticle", "AnalysisNewsArticle"})


def page_author(doc, texts: ShortTexts, markup: bytes | None = None) -> str | None:
    """The byline outside the body (see the module), else None. ``texts``: the page's
    date_texts (short texts, up to the date searches' limit). The labels are Polish: a
    page that declares another language is not searched for them. ``markup``: the page's
    bytes, when known: the microdata and JSON-LD are looked for only when they are there
    (a search of the bytes costs a hundredth of a walk of the tree)."""
    labelled = labelled_author(doc, texts) if page_language(doc) == "pl" else None
    if labelled:
        return labelled
    if markup is None or any(form in markup for form in _MICRODATA):
        found = microdata_author(doc)
        if found:
            return found
    if markup is None or b"ld+json" in markup and b'"author"' in markup:
        return json_ld_author(doc)
    return None


def labelled_author(doc, texts: ShortTexts) -> str | None:
    """The value of the first "Autor:"/"Opracowanie:" line of the page outside its
    furniture and lists of other articles (a label element's value: what follows it)."""
    other = _OtherContent(labelled=True)
    for el in doc.iter(*_BYLINE_TAGS):
        text = texts.get(el, _AUTHOR_START)
        if not text:
            continue
        match = chrome.AUTHOR_RE.match(text)
        if match is None:
            continue
        value = normalize_space(match.group("value")).strip(" :|")
        if not value:  # a label element: its value follows it
            value = normalize_space(el.tail or "").strip(" :|")
            nxt = el.getnext()
            if not value and nxt is not None:
                value = short_text(nxt, _MAX_AUTHOR) or ""
        value = value.rstrip(".")
        if not value or len(value) > _MAX_AUTHOR or value.casefold() in chrome.NOT_AUTHORS:
            continue
        if other(el) or _is_listing_item(el):
            continue
        return value
    return None


def microdata_author(doc) -> str | None:
    """The name an itemprop="author" element gives (its itemprop="name", else its own
    text), outside the page's furniture, else None."""
    other = _OtherContent(labelled=True)
    for el in doc.xpath("//*[@itemprop='author']"):
        names = el.xpath(".//*[@itemprop='name']")
        name = (names[0].get("content") or short_text(names[0], _MAX_AUTHOR)) if names else (
            el.get("content") or short_text(el, _MAX_AUTHOR))
        name = chrome.AUTHOR_RE.sub(r"\g<value>", normalize_space(name or "")).strip(" :|")
        if name and len(name) <= _MAX_AUTHOR and not other(el):
            return name
    return None


def json_ld_author(doc) -> str | None:
    """The name of the author the page's JSON-LD gives its Article, else None (also for
    JSON-LD of any odd shape: it is the page's, not ours to trust)."""
    try:
        return _json_ld_author(doc)
    except (ValueError, TypeError, AttributeError, RecursionError):
        return None


def _json_ld_author(doc) -> str | None:
    for script in doc.iter("script"):
        if (script.get("type") or "").lower() != "application/ld+json" or not script.text:
            continue
        try:
            data = json.loads(script.text)
        except ValueError:
            continue
        nodes = _nodes(data)
        people = {n["@id"]: n for n in nodes if isinstance(n.get("@id"), str)}
        for node in nodes:
            kinds = node.get("@type")
            kinds = {k for k in (kinds if isinstance(kinds, list) else [kinds])
                     if isinstance(k, str)}
            if not kinds & _ARTICLE_TYPES:
                continue
            for author in _listed(node.get("author")):
                name: object
                if isinstance(author, str):
                    name = author
                elif isinstance(author, dict):
                    if author.get("@type") not in (None, "Person"):
                        continue  # an Organization: the publisher, not a byline
                    ref = author.get("@id")
                    name = author.get("name") or (
                        people.get(ref, {}).get("name") if isinstance(ref, str) else None)
                else:
                    continue
                if isinstance(name, str) and 0 < len(name.strip()) <= _MAX_AUTHOR:
                    return normalize_space(name)
    return None


def _nodes(data) -> list[dict]:
    """Every object of a JSON-LD document: its top level, lists and @graph entries."""
    found: list[dict] = []
    stack = [data]
    while stack:
        item = stack.pop()
        if isinstance(item, list):
            stack.extend(reversed(item))
        elif isinstance(item, dict):
            found.append(item)
            if isinstance(item.get("@graph"), list):
                stack.extend(reversed(item["@graph"]))
    return found


def _listed(value) -> list:
    return value if isinstance(value, list) else [value] if value else []
