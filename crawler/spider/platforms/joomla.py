"""Joomla 3/4 (com_content): category blog listings and article pages.

What Joomla's own templates emit (protostar/cassiopeia and most commercial templates
keep these classes because the component's layouts, not the template, print them):

* category blog: ``div.blog`` holding ``div.items-leading > div.leading-N`` and
  ``div.items-row ... div.item``, each with ``h2 > a`` (or ``h2[itemprop=name] > a``) and,
  when the site shows dates, ``dd.published``; pagination ``?start=N`` with the "next"
  link in ``li.pagination-next a`` (Joomla 3) or ``a.page-link[aria-label*=Dalej]`` /
  ``li.page-item a[rel=next]``-like markup (Joomla 4);
* article: ``div.item-page`` with ``h2[itemprop=headline]`` (or ``div.page-header h2``),
  ``dl.article-info`` (``dd.published time[datetime]``, ``dd.category-name``,
  ``dd.createdby``) and ``div[itemprop=articleBody]``.

One article is reachable under every menu path that shows its category
(``/index.php/<menu>/<submenu>/2-aktualnosci/332-alias``); ``menu_path_rewrite`` folds
them to ``/index.php/<catid>-<cat>/<id>-<alias>``.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from crawler.extract.profile import Listing, Profile

BLOG_ITEM_CSS = ("div.blog div.items-leading > div, div.blog div.items-row div.item, "
                 "div.blog > div.item, div.blog-items > div")
BLOG_LINK_CSS = "h2 a::attr(href), h3 a::attr(href)"
BLOG_DATE_CSS = "dd.published"
BLOG_NEXT_CSS = ("li.pagination-next a::attr(href), a[title=Dalej]::attr(href), "
                 "a.next::attr(href), li.page-item a[aria-label*=Dalej]::attr(href)")

# The platform's defaults as data: a spider's listing or profile is a copy of these with
# only what differs on its site.
LISTING = Listing("", item_css=BLOG_ITEM_CSS, link_css=BLOG_LINK_CSS, date_css=BLOG_DATE_CSS,
                  next_css=BLOG_NEXT_CSS, layout="joomla")
PROFILE = Profile(
    layout="joomla",
    content_css="div.item-page",
    title_css="div.item-page [itemprop=headline], div.item-page div.page-header h2, "
              "div.item-page > h2",
    date_css="dl.article-info dd.published",
    category_css="dl.article-info dd.category-name a",
    body_css="div[itemprop=articleBody]",
    exclude_css=("dl.article-info", "ul.pager", "div.icons", "ul.actions",
                 "div.pagenavcounter"),
)


class JoomlaMixin:
    """Defaults for a site built on Joomla's com_content."""

    platform = "Joomla"

    @staticmethod
    def joomla_listing(start_url: str, **overrides: Any) -> Listing:
        """A category-blog listing with Joomla's markup (``?start=N`` pagination)."""
        return replace(LISTING, start_url=start_url, **overrides)

    @staticmethod
    def joomla_profile(**overrides: Any) -> Profile:
        """An article-page profile with Joomla's markup."""
        return replace(PROFILE, **overrides)


def menu_path_rewrite(category_prefix: str = r"\d+-[a-z0-9-]+") -> tuple[str, str]:
    """(regex, replacement) folding Joomla menu paths of one article to the shortest:
    ``/index.php/a/b/2-aktualnosci/332-x`` -> ``/index.php/2-aktualnosci/332-x``."""
    return (rf"/index\.php/(?:[^/?#]+/)+?({category_prefix}/\d+-[^/?#]+)",
            r"/index.php/\1")
