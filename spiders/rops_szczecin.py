"""Regionalny Ośrodek Polityki Społecznej w Szczecinie (ROPS Szczecin), via rodzina.wzp.pl."""

from crawler.spider.base import SiteSpider
from crawler.spider.platforms.wordpress import WordPressMixin

_ROOT = "https://rodzina.wzp.pl"
# Posts: /start-2/<slug>/ (custom permalink structure); /start-2/category/... and
# /start-2/page/N/ are archives, not posts.
_POST = r"//rodzina\.wzp\.pl/start-2/(?!category/|page/|tag/|author/)[^/?#]+/?$"


class RopsSzczecinSpider(WordPressMixin, SiteSpider):
    """ROPS Szczecin news, as published on the Marshal's Office family and senior portal.

    Institution: Regionalny Ośrodek Polityki Społecznej w Szczecinie (a unit of the Urząd
        Marszałkowski Województwa Zachodniopomorskiego)
    Voivodeship: zachodniopomorskie
    Website: https://rodzina.wzp.pl
    Sections harvested: posts of the news category "Aktualności" (term id 12), read from
        the REST API (/wp-json/wp/v2/posts?categories=12); if the API is off, from the
        category listing /start-2/category/aktualnosci/ and its /page/N/ pages.
    Platform: WordPress (block editor, Yoast SEO, "PDF & Print" plugin), custom theme.
    Caveats: ROPS Szczecin has no site of its own; this portal carries its family and
        senior news. The category id, the listing address and the theme are inferred
        (docs/research/sites.md observed only /start-2/<slug>/ posts and
        /wp-content/uploads/). Dates are dd.mm.yyyy ("02.10.2023") in
        time.entry-date.published, time.updated gives `modified`. Posts sit in several
        categories; `category` is the first one printed ("Aktualności"). The plugin's
        PDF/print buttons inside the content are excluded. "Oprac." lines become `author`,
        "Źródło:" lines `source`.
    Spider arguments: since, until, max_pages, max_articles, base_url.
    Fixtures verified: never against the live site (tests/fixtures/rops_szczecin is a
        reconstruction, 2026-11-22).
    """

    name = "rops_szczecin"
    institution = "Regionalny Ośrodek Polityki Społecznej w Szczecinie"
    voivodeship = "zachodniopomorskie"
    website = "https://rodzina.wzp.pl"
    platform = "WordPress (block editor, custom theme)"
    allowed_domains = ["rodzina.wzp.pl"]

    # Read by WordPressMixin.discovery_requests: REST first, then the listing as the
    # fallback.
    wp_rest_query = "categories=12"
    listings = (
        WordPressMixin.wp_listing(
            f"{_ROOT}/start-2/category/aktualnosci/", layout="wzp-rodzina",
            item_css="div.posts-list > article.type-post"),
    )

    # Read by crawler.extract.
    profiles = (
        WordPressMixin.wp_profile(
            layout="wzp-rodzina", url_pattern=_POST,
            content_css="article.type-post",
            title_css="h1.entry-title",
            date_css="header.entry-header time.entry-date.published",
            modified_css="header.entry-header time.updated",
            body_css="div.entry-content",
            # Galleries go to `images`; single wp-block-image figures stay in the body.
            gallery_css="div.entry-content figure.wp-block-gallery",
            attachments_css="div.entry-content div.wp-block-file",
            exclude_css=("div.pdfprnt-buttons",)),
    )
