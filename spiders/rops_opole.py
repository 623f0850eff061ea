"""Regionalny Ośrodek Polityki Społecznej w Opolu (ROPS Opole), social economy subsite."""

from crawler.spider.base import SiteSpider
from crawler.spider.platforms.wordpress import WordPressMixin

# Plain permalinks: a post is /?p=<id> (pages ?page_id=, archives ?cat=, ?m=, ?paged=).
_POST = r"//es\.rops-opole\.pl/(?:index\.php)?\?p=\d+$"


class RopsOpoleSpider(WordPressMixin, SiteSpider):
    """ROPS Opole news from its WordPress subsite es.rops-opole.pl.

    Institution: Regionalny Ośrodek Polityki Społecznej w Opolu
    Voivodeship: opolskie
    Website: https://rops-opole.pl (harvested: its subsite https://es.rops-opole.pl)
    Sections harvested: every post of the social economy subsite, through the REST API
        (/?rest_route=/wp/v2/posts, newest first); when the API is off, the blog home page
        https://es.rops-opole.pl/ and its ?paged=N pagination.
    Platform: WordPress with plain ?p=<id> permalinks, classic editor, an _s-based theme.
    Caveats: the centre's main site rops-opole.pl was never seen and is not covered, nor is
        the older pokl.rops-opole.pl project site (allowed_domains names the centre's
        domain, so every subsite is on-site). The footer's EFS+ project statement and
        the FE logo strip are chrome outside the article. Galleries are [gallery] shortcodes
        and [caption] figures; attachments are plain links in the text (kept as text, and
        listed as attachments). `author` is the WordPress byline (display name).
    Spider arguments: since, until, max_pages, max_articles, base_url.
    Fixtures verified: never against the live site (tests/fixtures/rops_opole is a
        reconstruction).
    """

    name = "rops_opole"
    institution = "Regionalny Ośrodek Polityki Społecznej w Opolu"
    voivodeship = "opolskie"
    website = "https://rops-opole.pl"
    platform = "WordPress (es.rops-opole.pl)"
    allowed_domains = ["rops-opole.pl"]

    # Read by WordPressMixin.discovery_requests: the REST listing first, at ?rest_route=.
    wp_root = "https://es.rops-opole.pl"
    wp_pretty_permalinks = False

    # The fallback when the REST API answers with an error.
    listings = (
        WordPressMixin.wp_listing(
            "https://es.rops-opole.pl/",
            item_css="main#primary > article.type-post"),
    )

    # Read by crawler.extract.
    profiles = (
        WordPressMixin.wp_profile(
            url_pattern=_POST,
            content_css="article.type-post",
            author_css="span.byline span.author a",
            category_css="span.cat-links a[rel~=category]",
            gallery_css="div.entry-content div.gallery, div.entry-content figure.wp-caption"),
    )
