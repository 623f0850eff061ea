"""Komenda Powiatowa Policji w Polkowicach (KPP Polkowice), police WebAdministrator site."""

from crawler.spider.base import SiteSpider
from crawler.spider.platforms.webadministrator import WebAdministratorMixin


class PolicjaPolkowiceSpider(WebAdministratorMixin, SiteSpider):
    """KPP Polkowice current news ("bieżące") and the unit's RSS feed.

    Institution: Komenda Powiatowa Policji w Polkowicach
    Voivodeship: dolnośląskie
    Website: https://polkowice.policja.gov.pl (unit code "dpl")
    Sections harvested: /dpl/aktualnosci/bieza (?page=N) and /dokumenty/rss/265-rss-1.rss.
    Platform: WebAdministrator (police template; see crawler/platforms/webadministrator.py).
    Caveats: current template only (date under the title, lead printed twice); the site
        id 265 is inferred, not observed.
    Spider arguments: since, until, max_pages, base_url.
    Fixtures verified: never against the live site (tests/fixtures/policja_polkowice is a
        reconstruction).
    """

    name = "policja_polkowice"
    institution = "Komenda Powiatowa Policji w Polkowicach"
    voivodeship = "dolnośląskie"
    website = "https://polkowice.policja.gov.pl"
    unit_code = "dpl"
    site_id = 265
