"""Komenda Powiatowa Policji w Radomsku (KPP Radomsko), police WebAdministrator site."""

from crawler.spider.base import SiteSpider
from crawler.spider.platforms.webadministrator import WebAdministratorMixin


class PolicjaRadomskoSpider(WebAdministratorMixin, SiteSpider):
    """KPP Radomsko news: the unit's news listing and its RSS feed.

    Institution: Komenda Powiatowa Policji w Radomsku
    Voivodeship: łódzkie
    Website: http://radomsko.policja.gov.pl (unit code "era")
    Sections harvested: /era/aktualnosci (?page=N), which lists the unit's news from every
        section (Aktywność dzielnicowych, Informacje, Aktualności...), and the RSS feed
        /dokumenty/rss/238-rss-1.rss (newest items only).
    Platform: WebAdministrator (police template; see crawler/platforms/webadministrator.py).
    Caveats: archived article pages (2017-2019 template) print no date: the record takes
        the listing's "Dodano: dd.mm.yyyy" (published_source "listing"); current pages
        print "Dodano:" under the title and their lead twice (kept once, in `lead`).
        Listing links may write the comma of "<id>,<Slug>" as %2C; the canonical URL folds
        it, so an article met in the feed and the listing is one record. The site id 238
        (feed and attachment paths) is inferred, not observed.
    Spider arguments: since, until, max_pages, base_url.
    Fixtures verified: never against the live site (tests/fixtures/policja_radomsko is a
        reconstruction).
    """

    name = "policja_radomsko"
    institution = "Komenda Powiatowa Policji w Radomsku"
    voivodeship = "łódzkie"
    website = "http://radomsko.policja.gov.pl"
    unit_code = "era"
    site_id = 238
    # All of the unit's news, every section, rather than the mixin's "bieżące" only.
    listing_sections = ("aktualnosci",)
