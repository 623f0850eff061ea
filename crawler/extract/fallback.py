"""The generic extractor: trafilatura, asked for HTML so our own renderer shapes the body.

trafilatura is the fallback of the cascade and the only extractor for sites without a
profile. Its date search is skipped (``with_metadata=False``): it mistakes "Opublikowano:
28 czerwca 2024" for 2024-01-01 (research/env.md section 3), so dates are ours.
"""

from __future__ import annotations

import logging

import lxml.html
import trafilatura

from .text import Block, render_blocks

logging.getLogger("trafilatura").setLevel(logging.ERROR)


def generic_blocks(html_text: str, url: str) -> list[Block]:
    """Body blocks as trafilatura sees them ([] when it finds nothing)."""
    out = trafilatura.extract(
        html_text, url=url, output_format="html", include_links=True,
        include_formatting=True, include_tables=True, include_comments=False,
        include_images=False, deduplicate=False, with_metadata=False)
    if not out:
        return []
    root = lxml.html.fromstring(out)
    body = root.find("body")
    return render_blocks(body if body is not None else root, url)
