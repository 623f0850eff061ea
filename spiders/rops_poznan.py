"""Regionalny Ośrodek Polityki Społecznej w Poznaniu (ROPS Poznań), WordPress site."""

from crawler.spider.base import SiteSpider
from crawler.spider.platforms.wordpress import WordPressMixin

# Posts live at /<slug>/ (permalink structure /%postname%/), like the site's pages
# (/rops-o-nas/); the posts page and WordPress's own archives are not articles.
_POST = (r"//(?:www\.)?rops\.poznan\.pl/"
         r"(?!aktualnosci/|page/|category/|tag/|author/|feed/|wp-)[^/?#]+/$")


class RopsPoznanSpider(WordPressMixin, SiteSpider):
    """ROPS Poznań news: the posts of the WordPress site.

    Institution: Regionalny Ośrodek Polityki Społecznej w Poznaniu
    Voivodeship: wielkopolskie
    Website: https://rops.poznan.pl
    Sections harvested: every post, through the REST API (/wp-json/wp/v2/posts, newest
        first); when the API is off, the posts page /aktualnosci/ ("AKTUALNOŚCI") and its
        /aktualnosci/page/N/ pagination.
    Platform: WordPress (block editor) with the site's own Bootstrap-based theme.
    Caveats: the theme prints a featured image's alt text a second time as its caption
        line, and editors caption block images with their alt text ("Grafika: ..."): both
        figures are read as images (caption and alt equal), never as body text. The
        listing prints a stray "," between items, outside them. The accessibility bar
        ("Kontakt dla osób niesłyszących", "Czcionka ...", "Kontrast"), the banner
        "REGIONALNY OŚRODEK POLITYKI SPOŁECZNEJ W POZNANIU" and the widgets are outside the
        article and never reach it. "Źródło:" lines become `source`. Pagination and the
        REST API were inferred, not observed.
    Spider arguments: since, until, max_pages, max_articles, base_url.
    Fixtures verified: never against the live site (tests/fixtures/rops_poznan is a
        reconstruction).
    """

    name = "rops_poznan"
    institution = "Regionalny Ośrodek Polityki Społecznej w Poznaniu"
    voivodeship = "wielkopolskie"
    website = "https://rops.poznan.pl"
    platform = "WordPress"
    allowed_domains = ["rops.poznan.pl"]

    # Read by WordPressMixin.discovery_requests when the website's REST API fails.
    listings = (
        WordPressMixin.wp_listing(
            "https://rops.poznan.pl/aktualnosci/",
            item_css="main#primary > article.type-post"),
    )

    # Read by crawler.extract.
    profiles = (
        WordPressMixin.wp_profile(
            url_pattern=_POST,
            content_css="article.type-post",
            category_css="span.cat-links a[rel~=category]",
            # The featured image (figure.post-thumbnail, alt repeated as figcaption) and
            # the block figures: images, their captions out of the text.
            gallery_css="article.type-post figure.post-thumbnail, "
                        "div.entry-content figure.wp-block-image, "
                        "div.entry-content figure.wp-block-gallery"),
    )
