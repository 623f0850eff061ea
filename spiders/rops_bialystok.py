"""Regionalny Ośrodek Polityki Społecznej w Białymstoku (ROPS Białystok)."""

from crawler.spider.base import SiteSpider
from crawler.spider.platforms.wordpress import WordPressMixin

_ROOT = "http://www.rops-bialystok.pl/rops"
# Plain permalinks: a post is /rops/?p=<id>; the query *is* the article's identity and
# survives canonicalisation (https://rops-bialystok.pl/rops/?p=14470).
_POST = r"//(?:www\.)?rops-bialystok\.pl/rops/(?:index\.php)?\?p=\d+$"


class RopsBialystokSpider(WordPressMixin, SiteSpider):
    """ROPS Białystok news: the Aktualności category of the WordPress install in /rops/.

    Institution: Regionalny Ośrodek Polityki Społecznej w Białymstoku
    Voivodeship: podlaskie
    Website: http://www.rops-bialystok.pl/rops/
    Sections harvested: posts of the Aktualności category (term id 5), read from the REST
        API (/rops/?rest_route=/wp/v2/posts&categories=5); if the API is off, from the
        category feed (/rops/?feed=rss2&cat=5) and the category listing (/rops/?cat=5,
        then &paged=N). Pages (?page_id=N) and the /problemyspoleczne/ data portal are not
        news and are not harvested.
    Platform: WordPress in a subdirectory with plain permalinks (?p=N), Twenty Fifteen
        child theme; classic-editor posts (2012-2018) and block-editor posts (2019-).
    Caveats: the category id, the listing and feed addresses and the theme are inferred
        (docs/research/sites.md observed only ?p=N and ?page_id=N pages). Dates are Twenty Fifteen's
        "14 września 2020" in time.entry-date.published; time.updated gives `modified`.
        Classic posts list their documents as plain links after "Materiały do pobrania:",
        which stay in the text (the files become attachments too); block posts use file
        blocks, taken out of the text. "oprac.: <name>" lines become `author`. Titles come
        from h1.entry-title (the <title> adds " – Regionalny Ośrodek Polityki Społecznej w
        Białymstoku"). /rops/index.php?p=N is folded into /rops/?p=N. Newer ROPS pages
        live in another install (/andrzej3/), not covered.
    Spider arguments: since, until, max_pages, max_articles, base_url.
    Fixtures verified: never against the live site (tests/fixtures/rops_bialystok is a
        reconstruction, 2026-11-22).
    """

    name = "rops_bialystok"
    institution = "Regionalny Ośrodek Polityki Społecznej w Białymstoku"
    voivodeship = "podlaskie"
    website = "http://www.rops-bialystok.pl/rops/"
    platform = "WordPress (plain permalinks, Twenty Fifteen child theme)"
    allowed_domains = ["rops-bialystok.pl"]
    # WordPress also answers /rops/index.php?p=N (its REST and oEmbed links use index.php).
    url_rewrites = ((r"^(https://rops-bialystok\.pl/rops/)index\.php\?", r"\1?"),)

    # Read by WordPressMixin.discovery_requests: REST first (at the website, which is
    # WordPress's root), then feeds and listings as the fallback.
    wp_pretty_permalinks = False
    wp_rest_query = "categories=5"
    feeds = (f"{_ROOT}/?feed=rss2&cat=5",)
    listings = (
        WordPressMixin.wp_listing(
            f"{_ROOT}/?cat=5", layout="twentyfifteen",
            item_css="main#main > article.type-post",
            date_css="footer.entry-footer time.entry-date.published"),
    )

    # Read by crawler.extract.
    profiles = (
        WordPressMixin.wp_profile(
            layout="twentyfifteen", url_pattern=_POST,
            content_css="main#main > article.type-post",
            title_css="h1.entry-title",
            date_css="footer.entry-footer time.entry-date.published",
            modified_css="footer.entry-footer time.updated",
            body_css="div.entry-content",
            # Block galleries and [gallery] grids; single figures (wp-block-image,
            # [caption]) stay in the body as <figure>, their captions out of the text.
            gallery_css="div.entry-content figure.wp-block-gallery, div.entry-content div.gallery",
            attachments_css="div.entry-content div.wp-block-file"),
    )
