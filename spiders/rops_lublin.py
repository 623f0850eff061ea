"""Regionalny Ośrodek Polityki Społecznej w Lublinie (ROPS Lublin)."""

from crawler.spider.base import SiteSpider
from crawler.spider.platforms.wordpress import WordPressMixin

# Files are plain links (classic editor) under "Do pobrania:" / "Załączniki:".
_FILE_LINKS = ", ".join(f"div.entry-content a[href$='.{ext}']"
                        for ext in ("pdf", "doc", "docx", "odt", "rtf", "xls", "xlsx", "zip"))


class RopsLublinSpider(WordPressMixin, SiteSpider):
    """ROPS Lublin news.

    Institution: Regionalny Ośrodek Polityki Społecznej w Lublinie
    Voivodeship: lubelskie
    Website: http://rops.lubelskie.pl
    Sections harvested: the category archive /category/aktualnosci/ (/page/N/ pagination,
        "Older posts" links) and the /feed/ RSS feed; the WordPress REST API is tried
        first but is switched off on this site (404 rest_no_route).
    Platform: WordPress (classic editor; an Underscores-based theme without a Polish
        translation, so its own strings are English: "Skip to content", "Posted on",
        "Posted in", "Older posts"; WordPress's own strings are Polish).
    Caveats: month permalinks /<yyyy>/<mm>/<slug>/; a title used again gets a numeric
        suffix (/2018/07/spotkanie-wojewodzkiej-rady-ds-polityki-senioralnej-8/), so
        articles with equal titles are different records. Static pages (/rops/...) and
        the Joomla subsite ekonomiaspoleczna.lubelskie.pl are not harvested. Captioned
        photos (figure.wp-caption) and galleries leave the body with their captions.
    Spider arguments: since, until, max_pages, max_articles, base_url.
    Fixtures verified: never against the live site (tests/fixtures/rops_lublin is a
        reconstruction, 2026-11-22).
    """

    name = "rops_lublin"
    institution = "Regionalny Ośrodek Polityki Społecznej w Lublinie"
    voivodeship = "lubelskie"
    website = "http://rops.lubelskie.pl"
    platform = "WordPress"
    allowed_domains = ["rops.lubelskie.pl"]

    # Read by WordPressMixin.discovery_requests: the REST listing (404 here), then feeds
    # and listings.
    feeds = ("http://rops.lubelskie.pl/feed/",)
    listings = (
        WordPressMixin.wp_listing("http://rops.lubelskie.pl/category/aktualnosci/",
                                  item_css="main#main > article.type-post",
                                  next_css="nav.posts-navigation .nav-previous a::attr(href)"),
    )

    # Read by crawler.extract.
    profiles = (
        WordPressMixin.wp_profile(
            url_pattern=r"//(?:www\.)?rops\.lubelskie\.pl/\d{4}/\d{2}/[^/?#]+/?$",
            gallery_css="div.gallery, figure.wp-caption",
            attachments_css=_FILE_LINKS),
    )
