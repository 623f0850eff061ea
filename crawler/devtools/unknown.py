"""The fixture mirrors of sites without a profile (tests/fixtures/unknown/<family>/).

They are ordinary fixture mirrors (docs/MIRRORS.md), one level down so that the per-site
tests, which expect a spider of the same name, pass them by. ``load(family)`` gives the
``Mirror`` to serve; ``before_newest(mirror, k)`` is the transform that serves the site
as it was before its ``k`` newest articles were published (they vanish from the first
listing page and from the feeds), so that a test or a benchmark can harvest the older
site, add the articles back and count what the nightly re-run asks for.

    python -m crawler.devtools.unknown comma_cms --port 8767
"""

from __future__ import annotations

import argparse
import re

from crawler.devtools.mirror import FIXTURES, Mirror, MirrorServer, serve_until_interrupted

FAMILIES = ("comma_cms", "joomla_blog", "wordpress_feed")
UNKNOWN = FIXTURES / "unknown"


def load(family: str) -> Mirror:
    """The mirror of one unknown-site family (one of ``FAMILIES``)."""
    return Mirror.load(family, UNKNOWN)


def start_url(mirror: Mirror) -> str:
    """The site's first listing page: where `kronika crawl --url` starts."""
    return next(p["url"] for p in mirror.pages("listing") if p.get("page") == 1)


def newest(mirror: Mirror, count: int) -> list[dict]:
    """The ``count`` newest article pages, newest first (the first listing page's order)."""
    first = next(p for p in mirror.pages("listing") if p.get("page") == 1)
    by_url = {p["url"]: p for p in mirror.articles()}
    return [by_url[url] for url in first["article_urls"][:count]]


def before_newest(mirror: Mirror, count: int):
    """A MirrorServer transform: the site before its ``count`` newest articles appeared.

    Their items (the meta's ``item_pattern``) are cut from the first listing page and
    from every feed; the other listing pages keep their items (a shortcut: on the real
    site the older pages would shift by ``count`` items too)."""
    item = re.compile(mirror.meta["item_pattern"].encode("utf-8"), re.S)
    first = start_url(mirror)

    def transform(page: dict, body: bytes) -> bytes:
        is_feed = page["kind"] == "other" and "xml" in page["content_type"]
        if page["url"] != first and not is_feed:
            return body
        return item.sub(b"", body, count=count)

    return transform


def main() -> None:
    """`python -m crawler.devtools.unknown FAMILY [--port N] [--before-newest K]`."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("family", choices=FAMILIES)
    parser.add_argument("--port", type=int, default=8767)
    parser.add_argument("--before-newest", type=int, default=0, metavar="K",
                        help="serve the site as it was before its K newest articles")
    args = parser.parse_args()
    mirror = load(args.family)
    transform = before_newest(mirror, args.before_newest) if args.before_newest else None
    serve_until_interrupted(MirrorServer(mirror, port=args.port, transform=transform),
                            f"the {args.family} unknown-site mirror (a reconstruction), "
                            f"start at {start_url(mirror)}")


if __name__ == "__main__":
    main()
