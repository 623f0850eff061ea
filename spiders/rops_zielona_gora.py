"""Regionalny Ośrodek Polityki Społecznej w Zielonej Górze (ROPS Zielona Góra)."""

from crawler.extract.profile import Listing, Profile
from crawler.spider.base import SiteSpider

_HOST = r"//(?:www\.)?polityka-spoleczna\.lubuskie\.pl"
# Pages are /pl/<Slug-With-Capitals>; the listings and the archive's year pages are not.
_CURRENT = _HOST + r"/pl/(?!(?:Aktualnosci|Archiwum|Szukaj|Kalendarium)(?:$|/))[^/?#]+$"
_ARCHIVE = _HOST + r"/pl/Archiwum/\d{4}/[^/?#]+$"
_ITEMS = "div.news-list > div.news-item"
_ARTICLE = {
    "content_css": "div.news-full",
    "title_css": "div.news-full > h1",
    "lead_css": "div.news-full > div.news-lead",
    "body_css": "div.news-text",
    # "Multimedia": lightbox thumbnails; "Załączniki:": the file list.
    "gallery_css": "div.news-gallery",
    "attachments_css": "div.news-files",
}


class RopsZielonaGoraSpider(SiteSpider):
    """ROPS Zielona Góra news: Aktualności and the archive of older news.

    Institution: Regionalny Ośrodek Polityki Społecznej w Zielonej Górze
    Voivodeship: lubuskie
    Website: https://polityka-spoleczna.lubuskie.pl
    Sections harvested: Aktualności (/pl/Aktualnosci, pages ?page=N) and the Archiwum
        (/pl/Archiwum shows the newest archive year, /pl/Archiwum/<yyyy> the older ones;
        the years are walked as pages, newest first).
    Platform: custom CMS, not identified (/pl/<Slug-With-Capitals> addresses).
    Caveats: the listing and pagination addresses are inferences, not observations.
        Archived articles (/pl/Archiwum/<yyyy>/<Slug>, some linked on the www. host,
        which canonicalisation folds) print no date: they take the listing's dd.mm.yyyy
        date (published_source "listing"). The bold lead becomes `lead`. Gallery alt texts
        are camera file names (no captions unless the link has a title). The sidebar
        calendar ("Maj 1 2 3 …"), "Top menu" and "Multimedia" are chrome. The
        www.es.lubuskie.pl subsite (/pl/Aktualnosci/<Slug>) is not covered.
    Spider arguments: since, until, max_pages, max_articles, base_url.
    Fixtures verified: never against the live site (tests/fixtures/rops_zielona_gora is a
        reconstruction).
    """

    name = "rops_zielona_gora"
    institution = "Regionalny Ośrodek Polityki Społecznej w Zielonej Górze"
    voivodeship = "lubuskie"
    website = "https://polityka-spoleczna.lubuskie.pl"
    platform = "custom CMS (not identified)"
    allowed_domains = ["polityka-spoleczna.lubuskie.pl"]

    listings = (
        Listing("https://polityka-spoleczna.lubuskie.pl/pl/Aktualnosci",
                item_css=_ITEMS,
                link_css="h2.news-item-title > a::attr(href)",
                date_css="div.news-item-date",
                next_css="div.pager a.next::attr(href)",
                layout="current"),
        # One page per year; the "next page" is the year after the active one.
        Listing("https://polityka-spoleczna.lubuskie.pl/pl/Archiwum",
                item_css=_ITEMS,
                link_css="h2.news-item-title > a::attr(href)",
                date_css="div.news-item-date",
                next_css="ul.archive-years > li.active + li > a::attr(href)",
                layout="archive"),
    )

    profiles = (
        Profile(layout="archive", url_pattern=_ARCHIVE, category="Archiwum", date_css=None,
                exclude_css=("div.news-tools", "p.archive-info"), **_ARTICLE),
        Profile(layout="current", url_pattern=_CURRENT, category="Aktualności",
                date_css="div.news-full > div.news-date",
                exclude_css=("div.news-tools",), **_ARTICLE),
    )
