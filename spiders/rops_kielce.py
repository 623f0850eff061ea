"""Regionalny Ośrodek Polityki Społecznej w Kielcach (ROPS Kielce), on the regional portal."""

from crawler.spider.base import SiteSpider
from crawler.spider.platforms.wordpress import WordPressMixin

_CATEGORY = ("https://www.swietokrzyskie.pro/category/urzad-marszalkowski/departamenty/"
             "regionalny-osrodek-polityki-spolecznej/"
             "aktualnosci-regionalnego-osrodka-polityki-spolecznej/")
# Posts sit at the portal's root, /<slug> (no trailing slash); archives, feeds, REST and
# uploads are not posts.
_POST = (r"//(?:www\.)?swietokrzyskie\.pro/"
         r"(?!category/|tag/|author/|strona/|feed|wp-|page/|\d{4}/|\?)[a-z0-9-]+/?$")


class RopsKielceSpider(WordPressMixin, SiteSpider):
    """ROPS Kielce news: one category of the Świętokrzyskie regional portal.

    Institution: Regionalny Ośrodek Polityki Społecznej w Kielcach
    Voivodeship: świętokrzyskie
    Website: https://www.swietokrzyskie.pro
    Sections harvested: the category "Aktualności Regionalnego Ośrodka Polityki Społecznej"
        (/category/urzad-marszalkowski/departamenty/regionalny-osrodek-polityki-spolecznej/
        aktualnosci-regionalnego-osrodka-polityki-spolecznej/), through the REST API
        restricted to that category; its HTML archive (pagination base /strona/<N>/) when
        the REST API is unavailable.
    Platform: WordPress (an inference from the /category/…/strona/N/ addresses); core
        block-editor markup, Yoast SEO.
    Caveats: ROPS has no site of its own; the portal carries all of the Marshal's Office
        news, so only this category is harvested (categories=<id>; the id 1447 is an
        inference, check it against /wp-json/wp/v2/categories?slug=aktualnosci-regionalnego-
        osrodka-polityki-spolecznej). Posts live at the root (/<slug>, no trailing slash),
        and repeated titles get WordPress's numeric suffix
        (/z-prac-zarzadu-wojewodztwa-swietokrzyskiego-142). A post in several categories
        takes the first listed (alphabetical) as `category`. "Źródło: Biuro Prasowe UM"
        becomes source. The featured image is the first image; the listing prints each
        thumbnail's alt text as a paragraph (listing chrome, never read).
    Spider arguments: since, until, max_pages, max_articles, base_url.
    Fixtures verified: never against the live site (tests/fixtures/rops_kielce is a
        reconstruction).
    """

    name = "rops_kielce"
    institution = "Regionalny Ośrodek Polityki Społecznej w Kielcach"
    voivodeship = "świętokrzyskie"
    website = "https://www.swietokrzyskie.pro"
    platform = "WordPress (regional portal swietokrzyskie.pro)"
    allowed_domains = ["swietokrzyskie.pro"]

    # Read by WordPressMixin.discovery_requests: the website's REST listing first.
    wp_rest_query = "categories=1447"

    # The fallback when the REST API answers with an error.
    listings = (
        WordPressMixin.wp_listing(
            _CATEGORY,
            item_css="main#primary > article.post"),
    )

    profiles = (
        WordPressMixin.wp_profile(
            url_pattern=_POST,
            category_css="span.cat-links a[rel~=category]",
            body_css="div.entry-content",
            # The featured image, block galleries and image blocks (their figcaptions are
            # captions, not text) leave the body as images.
            gallery_css="article.post div.post-thumbnail, "
                        "div.entry-content figure.wp-block-gallery, "
                        "div.entry-content figure.wp-block-image",
            exclude_css=("div.share-buttons", "nav.post-navigation")),
    )
