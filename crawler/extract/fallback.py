"""The generic extractor: trafilatura, asked for HTML so our own renderer shapes the body.

trafilatura is the fallback of the cascade and the only extractor for sites without a
profile. Its date search is skipped (``with_metadata=False``): it mistakes "Opublikowano:
28 czerwca 2024" for 2024-01-01 (research/env.md section 3), so dates are ours.
"""

from __future__ import annotations

import logging

import lxml.html
import trafilatura

from crawler.extract.text import Block, render_blocks

logging.getLogger("trafilatura").setLevel(logging.ERROR)


# Below this many characters, trafilatura's own fast result is checked against its
# backup extractors (readability, jusText), as it would do by default.
_CHECK_BELOW = 250


def generic_blocks(html_text: str, url: str) -> list[Block]:
    """Body blocks as trafilatura sees them ([] when it finds nothing)."""
    # fast: the backup extractors cost a third of trafilatura's time, and on pages
    # already stripped of chrome they changed nothing in the fixture corpus
    # (benchmarks/generic_quality.py gives the same scores either way). A short or
    # empty result still gets them.
    out = _trafilatura(html_text, url, fast=True)
    if out is None or len(out) < _CHECK_BELOW:
        out = _trafilatura(html_text, url, fast=False)
    if not out:
        return []
    root = lxml.html.fromstring(out)
    body = root.find("body")
    return render_blocks(body if body is not None else root, url)


def _trafilatura(html_text: str, url: str, *, fast: bool) -> str | None:
    return trafilatura.extract(
        html_text, url=url, output_format="html", include_links=True,
        include_formatting=True, include_tables=True, include_comments=False,
        include_images=False, deduplicate=False, with_metadata=False, fast=fast)
