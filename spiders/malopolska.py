"""Małopolska regional government portal (www.malopolska.pl), section
"Sprawy społeczne i rodzina"."""

from crawler.extract.profile import Listing, Profile
from crawler.spider.base import SiteSpider


class MalopolskaSpider(SiteSpider):
    """News of the Małopolska regional portal, category "Sprawy społeczne i rodzina".

    Institution: Urząd Marszałkowski Województwa Małopolskiego (Województwo Małopolskie)
    Voivodeship: małopolskie
    Website: https://www.malopolska.pl
    Sections harvested: Aktualności, category "Sprawy społeczne i rodzina"
        (/aktualnosci/sprawy-spoleczne-i-rodzina), which reposts and reports the social-policy
        news of the region (ROPS Kraków, the regional board).
    Platform: custom portal CMS (not identified).
    Caveats: the portal is also served under the old host www.malopolska.mw.gov.pl (the
        archived copy of seed 004 lives there); host_aliases folds it into malopolska.pl,
        so one article has one id whichever host linked it. Some articles print no date on
        their page (the listing's date is taken). Quotes are attributed on a paragraph
        starting "- powiedziała …": that is body text, kept. The category listing URL and
        its ?page=N pagination are inferred, never observed.
    Spider arguments: since, until, max_pages, base_url.
    Fixtures verified: never against the live site (tests/fixtures/malopolska is a
        reconstruction, 2026-11-22).
    """

    name = "malopolska"
    institution = "Urząd Marszałkowski Województwa Małopolskiego"
    voivodeship = "małopolskie"
    website = "https://www.malopolska.pl"
    platform = "custom (portal CMS, not identified)"
    allowed_domains = ["malopolska.pl"]  # SiteSpider adds the alias hosts below
    # Keys are bare hosts: crawler.extract.urls.canonicalize drops "www." before the lookup.
    host_aliases = {"malopolska.mw.gov.pl": "malopolska.pl"}

    # Read by SiteSpider.parse_listing.
    listings = (
        Listing("https://www.malopolska.pl/aktualnosci/sprawy-spoleczne-i-rodzina",
                item_css="div.news-list > div.news-list__item",
                link_css="h2.news-list__title > a::attr(href)",
                date_css="span.news-list__date",
                next_css="ul.pagination a[rel=next]::attr(href)",
                layout="portal"),
    )

    # Read by crawler.extract. Articles are /aktualnosci/<category-slug>/<article-slug>
    # on either host; the category listing (one path segment) never matches.
    profiles = (
        Profile(layout="portal",
                url_pattern=r"//(?:www\.)?malopolska(?:\.mw\.gov)?\.pl/aktualnosci/[^/?#]+/[^/?#]+",
                content_css="article.news-details",
                title_css="h1.news-details__title",
                category_css="a.news-details__category",
                date_css="span.news-details__date",
                body_css="div.news-details__text",
                gallery_css="section.news-details__gallery",
                attachments_css="div.news-details__attachments",
                exclude_css=("div.news-details__share", "p.news-details__back")),
    )
