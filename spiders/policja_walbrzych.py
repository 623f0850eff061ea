"""Komenda Miejska Policji w Wałbrzychu (KMP Wałbrzych), police WebAdministrator site."""

from crawler.spider.base import SiteSpider
from crawler.spider.platforms.webadministrator import WebAdministratorMixin


class PolicjaWalbrzychSpider(WebAdministratorMixin, SiteSpider):
    """KMP Wałbrzych current news ("bieżące").

    Institution: Komenda Miejska Policji w Wałbrzychu
    Voivodeship: dolnośląskie
    Website: https://walbrzych.policja.gov.pl (unit code "dba")
    Sections harvested: /dba/aktualnosci/bieza (?page=N).
    Platform: WebAdministrator (older police template; see
        crawler/platforms/webadministrator.py).
    Caveats: the unit still runs the older template: article pages print no date and the
        listing says "Data publikacji: dd.mm.yyyy" (published_source "listing"). The RSS
        feed is not walked: for undated pages its pubDate would compete with the
        listing's date, and whichever response came first would set `published`.
    Spider arguments: since, until, max_pages, base_url.
    Fixtures verified: never against the live site (tests/fixtures/policja_walbrzych is a
        reconstruction).
    """

    name = "policja_walbrzych"
    institution = "Komenda Miejska Policji w Wałbrzychu"
    voivodeship = "dolnośląskie"
    website = "https://walbrzych.policja.gov.pl"
    unit_code = "dba"
    site_id = 262
    rss_channels = ()
