"""Regionalne Centrum Polityki Społecznej w Łodzi (RCPS Łódź)."""

from crawler.extract.profile import Listing, Profile
from crawler.spider.base import SiteSpider
from crawler.spider.platforms.joomla import JoomlaMixin, menu_path_rewrite

# Joomla article paths: /index.php/[<menu>/...]<catid>-<cat>/<id>-<alias>
_JOOMLA_ARTICLE = r"//(?:www\.)?rcps-?lodz\.pl/index\.php/(?:[^/?#]+/)*\d+-[a-z0-9-]+/\d+-[^/?#]+$"
# New CMS record paths: /<menu>-t<id>/<section>-a<id>/<slug>-r<id>
_CMS_RECORD = r"//(?:www\.)?rcpslodz\.pl/[a-z0-9-]+-t\d+/[a-z0-9-]+-a\d+/[a-z0-9-]+-r\d+$"


class RcpsLodzSpider(JoomlaMixin, SiteSpider):
    """RCPS Łódź news, two site generations.

    Institution: Regionalne Centrum Polityki Społecznej w Łodzi
    Voivodeship: łódzkie
    Website: https://rcpslodz.pl
    Sections harvested: Aktualności of the current CMS (/rcps-lodz-t20/aktualnosci-a26)
        and of the Joomla 3 site of about 2017-2021 (category 2 "Aktualności", walked as
        the category blog under the "O nas" menu item, /index.php/o-nas/2-aktualnosci).
    Platform: current site (about 2022 on): a CMS not identified, with -t<id>/-a<id>/-r<id>
        slugs; before it Joomla 3 (protostar-derived template, JCE editor content). The
        pre-2018 custom CMS (/2/2/<date>/<id>/ paths) is not covered.
    Caveats: Joomla serves one article under every menu path that shows its category
        (/index.php/2-aktualnosci/332-x, /index.php/dziecko-i-rodzina/adopcja/2-aktualnosci/
        332-x, ...): menu_path_rewrite folds them to /index.php/2-aktualnosci/<id>-<alias>.
        rcps-lodz.pl is an alias host of rcpslodz.pl. The current CMS also answers under a
        renamed menu slug (/o-rcps-lodz-t20/...), folded to /rcps-lodz-t20/... No page of
        either generation prints a publication date: Joomla records have published = null
        (the "2019 12 19 ..." gallery alt texts are file names, not dates), current records
        take the listing's date. The Joomla paths exist on the live host no longer; harvest
        them from a replay of an archive with --base-url. "źródło: UMWŁ" lines become source;
        the Joomla e-mail cloak sentence is dropped as chrome (the address goes with it).
    Spider arguments: since, until, max_pages, base_url.
    Fixtures verified: never against the live site (tests/fixtures/rcps_lodz is a
        reconstruction, 2026-11-22).
    """

    name = "rcps_lodz"
    institution = "Regionalne Centrum Polityki Społecznej w Łodzi"
    voivodeship = "łódzkie"
    website = "https://rcpslodz.pl"
    platform = "custom CMS (2022-); Joomla 3 (about 2017-2021)"
    allowed_domains = ["rcpslodz.pl"]
    host_aliases = {"rcps-lodz.pl": "rcpslodz.pl"}
    url_rewrites = (
        menu_path_rewrite(),
        (r"^(https://rcpslodz\.pl)/o-rcps-lodz-t20/", r"\1/rcps-lodz-t20/"),
    )

    # Read by SiteSpider.parse_listing, newest generation first.
    listings = (
        Listing("https://rcpslodz.pl/rcps-lodz-t20/aktualnosci-a26",
                item_css="div.news-list > article.news-list__item",
                link_css="h2.news-list__title > a::attr(href)",
                date_css="div.news-list__date",
                next_css="nav.pagination a[rel=next]::attr(href)",
                layout="cms2022"),
        # Joomla category blog: no dates shown (the mixin's dd.published finds none). The
        # Joomla site survives only in web archives: walked from a replay or with --full.
        JoomlaMixin.joomla_listing("https://rcpslodz.pl/index.php/o-nas/2-aktualnosci",
                                   archive=True),
    )

    # Read by crawler.extract; the first profile whose url_pattern matches wins.
    profiles = (
        Profile(layout="cms2022",
                url_pattern=_CMS_RECORD,
                content_css="article.record",
                title_css="h1.record__title",
                body_css="div.record__content",
                category="Aktualności",
                gallery_css="figure.record__image, section.record__gallery",
                attachments_css="section.record__files",
                exclude_css=("div.record__footer",)),
        JoomlaMixin.joomla_profile(url_pattern=_JOOMLA_ARTICLE),
    )
