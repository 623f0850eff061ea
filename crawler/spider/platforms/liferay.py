"""Liferay Portal 6.2 / 7.x: Asset Publisher listings and Web Content (journal) articles.

What the portal itself prints (read from the 6.2 JSPs ``html/portlet/asset_publisher/
display/abstracts.jsp`` and ``full_content.jsp``, ``asset_metadata.jspf``,
``html/portlet/journal/asset/full_content.jsp`` and ``html/taglib/ui/header/page.jsp``
and ``page_iterator/start.jsp``; themes keep these classes because the portlets, not the
theme, print them):

* every portlet sits in ``div.portlet-boundary`` with the id
  ``p_p_id_<portletId>_`` (``p_p_id_101_INSTANCE_KStqgyF1Zr3G_`` for an Asset Publisher in
  6.2; 7.x spells the portlet id out, ``..._AssetPublisherPortlet_INSTANCE_<id>_``) and the
  class ``portlet-asset-publisher`` / ``portlet-journal-content``;
* listing ("abstracts" display): ``div.asset-abstract`` with ``h3.asset-title a``
  (``h4`` in 7.x), the summary, ``div.asset-more`` (the read-more link) and
  ``div.asset-metadata`` holding ``span.metadata-entry.metadata-publish-date`` (the
  portal's short date format: "18.02.20" for pl_PL) and
  ``span.metadata-entry.metadata-categories``;
* pagination: ``div.taglib-page-iterator`` > ``div.lfr-pagination`` > ``ul.pager.
  lfr-pagination-buttons`` of first / previous / next / last (``regular``), first /
  previous / more (``more``, ``approximate``), or only previous / next (``simple``, printed
  without the taglib-page-iterator wrapper); a disabled button is ``li.disabled`` with
  ``href="javascript:;"``. Page N is the same page with ``?p_p_id=...&p_p_lifecycle=0&
  ...&_<portletId>_cur=N``;
* article ("full content" display, or the web content's display page): the
  ``div.taglib-header`` (back link, ``h3.header-title``) then ``div.asset-full-content``
  with ``div.asset-user-actions`` (print...), ``div.asset-content`` >
  ``div.journal-content-article`` (the article template's output: the body) and the
  metadata block. A Web Content Display portlet prints ``div.journal-content-article``
  alone.

URLs: an article is ``/<page>/-/asset_publisher/<instanceId>/content/<urlTitle>`` with a
``?redirect=<the listing's own URL, p_p_* parameters and all>`` query, and, once the
article has a display page, ``/-/<urlTitle>`` (``/web/<site>/-/<urlTitle>`` without a
virtual host). ``LIFERAY_DROP_PARAMS`` / ``liferay_drop_params`` name the portal's
navigation parameters; ``asset_publisher_rewrite`` folds both address forms (and any
query left) into ``/-/<urlTitle>``, the one that does not change when an editor
re-adds the portlet (new instance id) or the article moves to another page.
The 6.1 ``a.next`` and the 7.x Clay ``ul.pagination`` next-page selectors are from the
portal's templates as remembered, not verified against a mirror.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from crawler.extract.profile import Listing, Profile

# The asset-publisher namespace of the public render parameters (tag, category, resetCur).
_ASSET_PRP = "p_r_p_564233524_"
# The portal's own navigation parameters: never part of an article's identity.
LIFERAY_DROP_PARAMS = (
    "redirect", "inheritRedirect", "p_p_id", "p_p_lifecycle", "p_p_state", "p_p_mode",
    "p_p_col_id", "p_p_col_pos", "p_p_col_count", "p_p_auth", "p_v_l_s_g_id",
    f"{_ASSET_PRP}resetCur", f"{_ASSET_PRP}tag", f"{_ASSET_PRP}categoryId",
)
# Parameters the portal namespaces with "_<portletId>_" (paging, search, the back link).
_NAMESPACED = ("cur", "delta", "keywords", "advancedSearch", "andOperator", "orderByCol",
               "orderByType", "redirect", "resetCur")

ABSTRACT_CSS = "div.portlet-asset-publisher div.asset-abstract"
ABSTRACT_LINK_CSS = ".asset-title a::attr(href)"
PUBLISH_DATE_CSS = "span.metadata-entry.metadata-publish-date"
NEXT_SELECTORS = (
    # regular (first, previous, NEXT, last) and more/approximate (first, previous, MORE)
    "ul.lfr-pagination-buttons > li:nth-child(3):not(.disabled) > a::attr(href)",
    # simple (previous, NEXT)
    "ul.lfr-pagination-buttons > li:nth-child(2):last-child:not(.disabled) > a::attr(href)",
    "div.taglib-page-iterator div.page-links a.next::attr(href)",               # 6.1
    "ul.pagination > li:last-child:not(.disabled) > a.page-link:not([href^=javascript])"
    "::attr(href)",                                                              # 7.x
)
NEXT_CSS = ", ".join(NEXT_SELECTORS)

# An article address: the Asset Publisher's content path or the display-page short URL.
CONTENT_PATH = r"/(?:[^?#]*/)?-/(?:asset_publisher/[\w-]+/content/)?[^/?#]+(?:[?#]|$)"


def liferay_drop_params(*instance_ids: str, portlet: str = "101") -> tuple[str, ...]:
    """``LIFERAY_DROP_PARAMS`` plus the namespaced paging/back-link parameters of the
    given portlet instances (``_101_INSTANCE_KStqgyF1Zr3G_cur``...)."""
    namespaced = tuple(f"_{portlet}_INSTANCE_{iid}_{name}"
                       for iid in instance_ids for name in _NAMESPACED)
    return LIFERAY_DROP_PARAMS + namespaced


def asset_publisher_rewrite() -> tuple[str, str]:
    """(regex, replacement) folding ``/<page>/-/asset_publisher/<id>/content/<urlTitle>``
    and ``/-/<urlTitle>`` (with any query still left) to ``/-/<urlTitle>``; a
    ``/web/<site>`` or ``/group/<site>`` prefix is kept (urlTitles are unique per site)."""
    return (r"^(https://[^/?#]+(?:/(?:web|group)/[^/?#]+)?)/(?:[^?#]*/)?-/"
            r"(?:asset_publisher/[\w-]+/content/)?([^/?#]+)(?:\?[^#]*)?$",
            r"\1/-/\2")


def liferay_article_pattern(host: str) -> str:
    """Regex (search) for the article URLs of ``host`` in both address forms."""
    bare = host.removeprefix("www.").replace(".", r"\.")
    return rf"//(?:www\.)?{bare}{CONTENT_PATH}"


def _scope(instance_id: str | None) -> str:
    # The portlet boundary of one instance, in 6.2 and 7.x spelling alike.
    return f'div[id$="_INSTANCE_{instance_id}_"] ' if instance_id else ""


# The platform's defaults as data: a site's listing or profile is a copy of these with
# only what differs on its site.
LISTING = Listing("", item_css=ABSTRACT_CSS, link_css=ABSTRACT_LINK_CSS,
                  date_css=PUBLISH_DATE_CSS, next_css=", ".join(NEXT_SELECTORS),
                  layout="liferay")
_FULL = "div.asset-full-content"
PROFILE = Profile(
    layout="liferay",
    content_css=_FULL,
    title_css="div.portlet-asset-publisher div.taglib-header .header-title",
    body_css="div.journal-content-article",
    date_css=f"{_FULL} {PUBLISH_DATE_CSS}",
    modified_css=f"{_FULL} span.metadata-entry.metadata-modified-date",
    category_css=f"{_FULL} span.metadata-entry.metadata-categories a.asset-category",
    exclude_css=("div.asset-user-actions", "div.asset-ratings", "div.asset-flag",
                 "div.asset-more", "div.taglib-social-bookmarks", "div.taglib-asset-links",
                 "div.taglib-page-iterator", "div.lfr-pagination",
                 ".helper-hidden-accessible", ".hide-accessible"),
)


class LiferayMixin:
    """Defaults for a site built on Liferay's Asset Publisher and Web Content.

    Every Liferay site gives an article two addresses and wraps them in the portal's
    navigation parameters, so the mixin folds both (``url_rewrites``) and drops the
    parameters (``drop_params``, with the paging ones of each Asset Publisher instance
    named in ``liferay_instances``) unless the spider sets them itself.
    """

    platform = "Liferay"
    liferay_instances: tuple[str, ...] = ()  # "KStqgyF1Zr3G": of p_p_id_101_INSTANCE_<id>_
    url_rewrites: tuple[tuple[str, str], ...] = (asset_publisher_rewrite(),)
    drop_params: tuple[str, ...] = LIFERAY_DROP_PARAMS

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if "drop_params" not in cls.__dict__ and cls.liferay_instances:
            cls.drop_params = liferay_drop_params(*cls.liferay_instances)

    @staticmethod
    def liferay_listing(start_url: str, instance_id: str | None = None,
                        **overrides: Any) -> Listing:
        """An Asset Publisher "abstracts" listing (p_p_* paging). ``instance_id`` limits
        it to one portlet instance when the page shows several asset publishers."""
        scope = _scope(instance_id)
        if scope:
            overrides = {"item_css": f"{scope}div.asset-abstract",
                         "next_css": ", ".join(f"{scope}{css}" for css in NEXT_SELECTORS),
                         **overrides}
        return replace(LISTING, start_url=start_url, **overrides)

    @staticmethod
    def liferay_profile(**overrides: Any) -> Profile:
        """A web content article shown in full by an Asset Publisher: title from the
        taglib header, body from the article template's output, date and categories from
        the asset metadata. (A page with a Web Content Display instead: pass
        ``content_css="div.portlet-journal-content"`` and its own ``title_css``.)"""
        return replace(PROFILE, **overrides)
