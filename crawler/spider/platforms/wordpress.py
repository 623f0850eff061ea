"""WordPress: discovery through the REST API, then the feed, then the theme's HTML listing.

WordPress exposes every post at ``/wp-json/wp/v2/posts`` (or ``?rest_route=/wp/v2/posts``
on sites with plain ``?p=N`` permalinks), newest first, with its permalink and dates:
the cheapest and most complete listing there is. Many public-sector installs switch the
REST API off or block it (401/403/404, or an HTML error page); the spider then falls back
to the ``feeds`` and ``listings`` it declares, like any site.

Article pages are read with the markup WordPress core and nearly every theme print:
``article.post``/``.type-post``, ``.entry-title``, ``time.entry-date``,
``.entry-content``, the entry footer's ``span.cat-links``; block-editor galleries and
image blocks (``figure.wp-block-gallery``, ``figure.wp-block-image``) and file blocks
(``div.wp-block-file``). Listings page with ``the_posts_pagination()``.

Discovery plugs into ``SiteSpider.start`` through the ``discovery_requests`` hook.
"""

from __future__ import annotations

import json
from dataclasses import replace
from typing import TYPE_CHECKING, Any

import scrapy

from crawler.extract.profile import Listing, Profile

if TYPE_CHECKING:  # the mixin is always combined with SiteSpider, whose attributes it uses
    from crawler.spider.base import SiteSpider

    _Base = SiteSpider
else:
    _Base = object

REST_FIELDS = "_fields=link,date,modified"
REST_PER_PAGE = 10

# Defaults chosen from what the WordPress spiders had each written out (counted
# over the 11 listings and 12 article profiles of 2026-11): a site passes a selector only
# where its theme differs.
# the_posts_pagination(), printed by core-derived themes: 9 of 11 listings.
NEXT_CSS = "nav.navigation.pagination a.next.page-numbers::attr(href)"
# The entry footer's category links (_s and Twenty* themes): 6 of 12 profiles, the most
# common form; rel~=category keeps out the tag links some themes print beside them.
CATEGORY_CSS = "footer.entry-footer span.cat-links a[rel~=category]"
# Block-editor galleries and image blocks (their figcaption is a caption, not body
# text): the most common form; the former default was used by no spider.
GALLERY_CSS = ("div.entry-content figure.wp-block-gallery, "
               "div.entry-content figure.wp-block-image")


# The platform's defaults as data: a spider's listing or profile is a copy of these with
# only what differs on its site.
LISTING = Listing("", item_css="article.post, article.type-post, div.type-post",
                  link_css=".entry-title > a::attr(href)",
                  date_css="time.entry-date.published, time.entry-date", next_css=NEXT_CSS,
                  layout="wordpress")
PROFILE = Profile(
    layout="wordpress",
    content_css="article.post, article.type-post, div.type-post",
    title_css="h1.entry-title, .entry-title",
    date_css="time.entry-date.published, time.entry-date",
    modified_css="time.updated",
    category_css=CATEGORY_CSS,
    body_css=".entry-content",
    gallery_css=GALLERY_CSS,
    attachments_css="div.wp-block-file",
    exclude_css=("div.sharedaddy", "div.jp-relatedposts", "nav.post-navigation",
                 "div.wp-block-buttons"),
)


class WordPressMixin(_Base):
    """Defaults for a WordPress site (mix in before SiteSpider).

    ``wp_root`` is where WordPress lives when it is not the ``website`` itself
    (``http://www.rops-bialystok.pl/rops``, another host); ``wp_rest_query`` narrows the
    REST listing, e.g. ``"categories=12"``; ``wp_pretty_permalinks = False`` for sites on
    ``?p=N`` URLs, whose REST API answers at ``?rest_route=``; ``wp_rest = False`` skips
    the REST API (feeds and listings only).
    """

    platform = "WordPress"
    wp_root: str = ""  # "": the website
    wp_rest: bool = True
    wp_rest_query: str = ""
    wp_rest_base: str = "posts"  # a custom post type's route ("page_aktualnosci")
    wp_pretty_permalinks: bool = True

    # -- discovery: SiteSpider.start asks discovery_requests ---------------------
    def wp_rest_url(self, page: int) -> str:
        """The REST listing URL of page ``page`` (the exact form the mirrors serve)."""
        query = "&".join(filter(None, (self.wp_rest_query, REST_FIELDS,
                                       f"per_page={REST_PER_PAGE}", f"page={page}")))
        root = (self.wp_root or self.website).rstrip("/")
        if self.wp_pretty_permalinks:
            return f"{root}/wp-json/wp/v2/{self.wp_rest_base}?{query}"
        return f"{root}/?rest_route=/wp/v2/{self.wp_rest_base}&{query}"

    def discovery_requests(self):
        """The REST listing's first page alone: the feeds and listings are its fallback
        (``wp_rest_unavailable``), so a site with REST is not walked twice."""
        if not (self.wp_rest and (self.wp_root or self.website)):
            yield from self.source_requests()
            return
        yield scrapy.Request(self.wp_rest_url(1), callback=self.parse_wp_posts,
                             errback=self.wp_rest_unavailable, cb_kwargs={"page": 1},
                             meta={"handle_httpstatus_list": [400, 401, 403, 404]})

    def parse_wp_posts(self, response, page: int):
        """Article requests from one page of the REST listing; the next page after."""
        try:
            posts = json.loads(response.text) if response.status == 200 else None
        except ValueError:
            posts = None
        if not isinstance(posts, list):
            self.logger.info("REST API unavailable (%s): using feeds and listings",
                             response.status)
            yield from self.source_requests()
            return
        known = 0
        for post in posts:
            link = post.get("link") if isinstance(post, dict) else None
            if not link or not self._take("wp-json"):
                continue
            known += self.is_known(link)
            request = self._article_request(link, post.get("date"), response.url)
            if request is not None:
                yield request
        total = int(response.headers.get("X-WP-TotalPages", b"0") or 0)
        more = page < total if total else len(posts) == REST_PER_PAGE
        if self.known is not None and posts and known == len(posts):  # nothing new here
            seen = self._known_pages["wp-json"] = self._known_pages.get("wp-json", 0) + 1
            more = more and seen < self.overlap
        if more and (not self.max_pages or page < self.max_pages) and (
                self.max_articles is None or self._taken.get("wp-json", 0) < self.max_articles):
            yield scrapy.Request(self.wp_rest_url(page + 1), callback=self.parse_wp_posts,
                                 errback=self.on_error, cb_kwargs={"page": page + 1})
        if page == 1:
            # REST knows the live install's posts only, never a previous CMS generation
            # (rops_gdansk's Liferay pages): archive listings are walked beside it.
            for listing in self.active_listings():
                if listing.archive:
                    yield self.listing_request(listing, listing.start_url, page=1)

    def wp_rest_unavailable(self, failure):
        """The REST request failed outright: fall back to feeds and listings."""
        self.logger.info("REST API request failed (%s): using feeds and listings",
                         failure.value)
        yield from self.source_requests()

    # -- declarations ------------------------------------------------------------
    @staticmethod
    def wp_listing(start_url: str, **overrides: Any) -> Listing:
        """A theme's post archive (category, blog page) with core WordPress classes."""
        return replace(LISTING, start_url=start_url, **overrides)

    @staticmethod
    def wp_profile(**overrides: Any) -> Profile:
        """An article page with core WordPress classes."""
        return replace(PROFILE, **overrides)
