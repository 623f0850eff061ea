"""Regionalny Ośrodek Polityki Społecznej w Rzeszowie (ROPS Rzeszów)."""

from crawler.extract.profile import Listing, Profile
from crawler.spider.base import SiteSpider
from crawler.spider.platforms.wordpress import WordPressMixin

# Main-site articles: /a-<id>-<slug>; slugs may hold „” quotes, raw or percent-encoded.
_ARTICLE = r"//(?:www\.)?rops\.rzeszow\.pl/a-\d+-[^/?#]*$"
# Subsite posts: /<slug>/ (not archives, pages of archives, feeds or WordPress paths).
_ES_POST = (r"//es\.rops\.rzeszow\.pl/(?!category/|tag/|page/|author/|feed/|wp-|comments/)"
            r"[^/?#]+/$")


class RopsRzeszowSpider(SiteSpider):
    """ROPS Rzeszów news: the main site's Aktualności and the economy subsite's.

    Institution: Regionalny Ośrodek Polityki Społecznej w Rzeszowie
    Voivodeship: podkarpackie
    Website: https://www.rops.rzeszow.pl
    Sections harvested: Aktualności of the main site (/aktualnosci, ?strona=N) and the
        "Aktualności" category of the Podkarpacka Ekonomia Społeczna subsite
        (https://es.rops.rzeszow.pl/category/aktualnosci/, /page/N/).
    Platform: main site: a CMS not identified (/a-<id>-<slug> articles, "Data dodania:"
        date lines); subsite: WordPress (read with the WordPress factories; the REST API
        is not used, the category archive is walked).
    Caveats: the listing URL and its ?strona=N pagination are inferred, not observed.
        Slugs keep Polish „” quotes, linked raw in one place and percent-encoded in
        another: both forms are one canonical URL and one id (the crawl fetches the
        article once). "Data dodania: 2024-04-09 09:34" gives a datetime with the Warsaw
        offset; subsite posts have a date only ("Dodano 20 lutego 2024"). The top strip
        "... w Rzeszowie | Jak dojechać | Jesteśmy na FB |" and the "wstecz" back link lie
        outside the profile's body. "Opracowanie:" lines become author. Titles of some
        articles are in capitals, as the site prints them.
    Spider arguments: since, until, max_pages, base_url.
    Fixtures verified: never against the live site (tests/fixtures/rops_rzeszow is a
        reconstruction).
    """

    name = "rops_rzeszow"
    institution = "Regionalny Ośrodek Polityki Społecznej w Rzeszowie"
    voivodeship = "podkarpackie"
    website = "https://www.rops.rzeszow.pl"
    platform = "custom CMS (main site); WordPress (es.rops.rzeszow.pl)"
    allowed_domains = ["rops.rzeszow.pl"]  # www. and the es. subsite
    # Not a WordPressMixin spider: the main site is not WordPress, so there is no REST
    # discovery (wp_rest); the subsite is read with the mixin's factories only.

    # Read by SiteSpider.parse_listing.
    listings = (
        Listing("https://www.rops.rzeszow.pl/aktualnosci",
                item_css="div.aktualnosci-lista > div.news",
                link_css="h2.news-tytul > a::attr(href)",
                date_css="p.news-data",
                next_css="div.stronicowanie a.nastepna::attr(href)",
                layout="cms"),
        WordPressMixin.wp_listing("https://es.rops.rzeszow.pl/category/aktualnosci/",
                                  layout="es-wordpress",
                                  date_css="time.entry-date.published"),
    )

    # Read by crawler.extract; the first profile whose url_pattern matches wins.
    profiles = (
        Profile(layout="cms",
                url_pattern=_ARTICLE,
                content_css="div#tresc div.artykul",
                title_css="h1.artykul-tytul",
                date_css="p.artykul-data",
                body_css="div.artykul-tresc",
                category="Aktualności",
                gallery_css="div.artykul-galeria",
                attachments_css="div.artykul-zalaczniki"),
        WordPressMixin.wp_profile(
            layout="es-wordpress",
            url_pattern=_ES_POST,
            # Block-editor figures: their figcaption is the image's caption, not text.
            gallery_css="div.entry-content figure.wp-block-gallery, "
                        "div.entry-content > figure.wp-block-image"),
    )
