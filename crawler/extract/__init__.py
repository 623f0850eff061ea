"""Extraction: one fetched page in, one Article record out, with no network.

The stages, in the order a page meets them:

* ``document``: bytes to a parsed page (encoding, binary refusal, the parser);
* ``cascade``: ``extract()``, the site profile or the generic path, and what is recorded
  about the choice;
* ``profile``, ``select``, ``clean`` + ``chrome``: a site's declared layout, CSS
  selection, the shared chrome rules;
* ``fields`` (title, dates, author, source, lead) with ``dates``; ``generic``, the
  guesses for a page without a profile, with ``fallback`` (trafilatura);
* ``text`` (the body's HTML and text), ``media`` (images, attachments), ``urls``;
* ``record`` (SiteRules, the Article dict) and ``validation`` (the schema).

The names below are the package's public face; the rest of the code imports them from
here.
"""

from __future__ import annotations

from crawler.extract.cascade import extract
from crawler.extract.document import ExtractionError, decode_html, parse_document, parser_input
from crawler.extract.fallback import generic_blocks
from crawler.extract.fields import undouble
from crawler.extract.generic import generic_date, generic_title
from crawler.extract.record import SCHEMA_VERSION, SiteRules
from crawler.extract.text import blocks_text

__all__ = [
    "SCHEMA_VERSION", "ExtractionError", "SiteRules", "blocks_text", "decode_html",
    "extract", "generic_blocks", "generic_date", "generic_title", "parse_document",
    "parser_input", "undouble",
]
