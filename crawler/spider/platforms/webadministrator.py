"""WebAdministrator: the CMS of the police unit sites (the policja.gov.pl family).

What its police templates print (docs/research/sites.md section 2, and the public
2018 page source of policja.pl, which carries the listing and footer markup below):

* URLs: ``/<unit>/<section>/<subsection...>/<id>,<Title-Slug>.html`` (the comma is
  sometimes written ``%2C``: ``crawler.extract.urls.canonicalize`` folds it back, so one article
  keeps one id); listings ``/<unit>/aktualnosci``, ``/<unit>/aktualnosci/bieza``...
  paged with ``?page=N``; one RSS feed per unit and channel,
  ``/dokumenty/rss/<siteId>-rss-<n>.rss``; files under ``/dokumenty/zalaczniki/<siteId>/``.
* listing: ``div#content ul > li.news``, each one ``a`` around the thumbnail
  (``div.imgwraper img``), the title (``strong``), the teaser (``p``) and the date
  (``span.data``: "Dodano: 01.08.2024"; the older template prints "Data publikacji:
  26.03.2014" followed by ``span.dodatek`` naming the source unit).
* article: the section label ("Aktywność dzielnicowych") in the ``div.naglowek1`` heading
  of ``article.mainLeft``, before the title; the text block ``#wtxt`` (the target of the
  "Przejdź do treści" skip link) with the title, the date line (current template only:
  archived pages print no date, the listing's date is taken), the lead (current template:
  printed as a summary and again as the first body paragraph; the engine drops the copy),
  the body, the baguetteBox gallery (``li.media > a.link2[href=..._g.jpg] ...
  img.img_item[src=mini/..._mo14.jpg]`` with a ``strong`` caption) and the file list.
  Everything below the section label was reconstructed, not observed (see the
  inferences in tests/fixtures/policja_radomsko/meta.json).

A unit spider declares its identity, ``unit_code`` and ``site_id`` (and
``listing_sections`` when its news is not under ``aktualnosci/bieza``);
``__init_subclass__`` derives ``allowed_domains``, ``listings``, ``profiles`` and ``feeds``
unless the spider sets them itself.
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any
from urllib.parse import urlsplit

from crawler.extract.profile import Listing, Profile

NEWS_ITEM_CSS = "div#content ul > li.news"
NEWS_LINK_CSS = "a::attr(href)"
NEWS_DATE_CSS = "span.data, em.data"
NEWS_NEXT_CSS = "ul.pagination li.next a::attr(href), a[rel=next]::attr(href)"

ARTICLE_CSS = "#wtxt"
TITLE_CSS = "#wtxt h3.tytul, #wtxt > h3, #wtxt > h2"
DATE_CSS = "#wtxt span.data, #wtxt p.data"  # never the sidebar's news dates
LEAD_CSS = "#wtxt div.lead"
CATEGORY_CSS = "article.mainLeft > div.naglowek1 h2"
BODY_CSS = "div.tresc"
GALLERY_CSS = "#wtxt li.media"
ATTACHMENTS_CSS = "#wtxt div.pliki"
EXCLUDE_CSS = ("#wtxt p.archiwum", "#wtxt div.tagi", "#wtxt div.opcje")


def rss_feed_url(website: str, site_id: int, channel: int = 1) -> str:
    """A unit's RSS feed: ``<website>/dokumenty/rss/<siteId>-rss-<channel>.rss``."""
    return f"{website.rstrip('/')}/dokumenty/rss/{site_id}-rss-{channel}.rss"


def article_url_pattern(host: str, unit_code: str) -> str:
    """Regex for the article URLs of one unit: ``/<unit>/.../<id>,<Slug>.html`` (comma
    literal or ``%2C``), not tag pages (``/<unit>/tagi/<id>,<tag>.html``)."""
    bare = re.escape(host.removeprefix("www."))
    return (rf"//(?:www\.)?{bare}/{re.escape(unit_code)}/(?!tagi/)(?:[^/?#]+/)*"
            rf"\d+(?:,|%2[Cc])[^/?#]+\.html(?:[?#]|$)")


# The platform's defaults as data: a unit's listing or profile is a copy of these with
# only what differs on its site.
LISTING = Listing("", item_css=NEWS_ITEM_CSS, link_css=NEWS_LINK_CSS, date_css=NEWS_DATE_CSS,
                  next_css=NEWS_NEXT_CSS, layout="webadministrator")
PROFILE = Profile(layout="webadministrator", content_css=ARTICLE_CSS, title_css=TITLE_CSS,
                  date_css=DATE_CSS, lead_css=LEAD_CSS, category_css=CATEGORY_CSS,
                  body_css=BODY_CSS, gallery_css=GALLERY_CSS, attachments_css=ATTACHMENTS_CSS,
                  exclude_css=EXCLUDE_CSS)


class WebAdministratorMixin:
    """Defaults for a police unit site on WebAdministrator (mix in before SiteSpider)."""

    platform = "WebAdministrator"
    unit_code: str = ""                          # "era": the first path segment
    site_id: int | None = None                   # 238: in /dokumenty/zalaczniki/<siteId>/
    # Under /<unit>/: the current news ("bieżące"), the listing 2 of the 3 units walk;
    # a unit whose news sits elsewhere names its own sections.
    listing_sections: tuple[str, ...] = ("aktualnosci/bieza",)
    rss_channels: tuple[int, ...] = (1,)         # () when the feed is not to be walked

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if not (cls.website and cls.unit_code):
            return  # an intermediate base, not a unit
        own = cls.__dict__
        host = urlsplit(cls.website).hostname or ""
        if "allowed_domains" not in own:
            cls.allowed_domains = [host.removeprefix("www.")]
        if "listings" not in own:
            cls.listings = tuple(
                cls.webadministrator_listing(f"{cls.website.rstrip('/')}/{cls.unit_code}/{s}")
                for s in cls.listing_sections)
        if "profiles" not in own:
            cls.profiles = (cls.webadministrator_profile(
                url_pattern=article_url_pattern(host, cls.unit_code)),)
        if "feeds" not in own and cls.site_id:
            cls.feeds = tuple(rss_feed_url(cls.website, cls.site_id, n) for n in cls.rss_channels)

    @staticmethod
    def webadministrator_listing(start_url: str, **overrides: Any) -> Listing:
        """A news listing with WebAdministrator's markup (``?page=N`` pagination)."""
        return replace(LISTING, start_url=start_url, **overrides)

    @staticmethod
    def webadministrator_profile(**overrides: Any) -> Profile:
        """An article-page profile for both templates (archived 2017-2019 and current):
        section label as ``category``, the lead once, baguetteBox gallery, file list."""
        return replace(PROFILE, **overrides)
