"""Regionalny Ośrodek Polityki Społecznej Województwa Śląskiego (ROPS Katowice)."""

from crawler.spider.base import SiteSpider
from crawler.spider.platforms.wordpress import WordPressMixin

# WordPress date permalinks: /<yyyy>/<mm>/<dd>/<slug>/ (day archives have no slug).
_POST = r"/\d{4}/\d{2}/\d{2}/[^/?#]+/?$"
# The archive theme (classic editor) lists files as plain links under "Załączniki:".
_FILE_LINKS = ", ".join(f"div.entry-content a[href$='.{ext}']"
                        for ext in ("pdf", "doc", "docx", "odt", "rtf", "xls", "xlsx", "zip"))


class RopsKatowiceSpider(WordPressMixin, SiteSpider):
    """ROPS Katowice news: the current WordPress site and its archive host.

    Institution: Regionalny Ośrodek Polityki Społecznej Województwa Śląskiego
    Voivodeship: śląskie
    Website: https://rops-katowice.pl
    Sections harvested: every post of https://rops-katowice.pl through the WordPress REST
        API (/wp-json/wp/v2/posts, newest first); when the API fails, the /feed/ RSS feed
        and the category archive /category/aktualnosci/ ("Kategoria: Aktualności",
        /page/N/ pagination).
    Platform: WordPress (current site: block editor, custom theme; archive host
        old.rops-katowice.pl: the previous WordPress install, Twenty Twelve child theme,
        classic editor).
    Caveats: posts older than the current site live on old.rops-katowice.pl under the same
        /<yyyy>/<mm>/<dd>/<slug>/ paths; the current site keeps a stub post for each that
        links there (REST, feed and listings give the old.rops-katowice.pl address), and
        the host is folded into rops-katowice.pl, so an article reached under either host
        is one record. "Załączniki:" headings go; the files become attachments (file
        blocks on the current site, plain links on the archive host). The subsites
        es.rops-katowice.pl and puip.rops-katowice.pl are not harvested.
    Spider arguments: since, until, max_pages, max_articles, base_url.
    Fixtures verified: never against the live site (tests/fixtures/rops_katowice is a
        reconstruction, 2026-11-22).
    """

    name = "rops_katowice"
    institution = "Regionalny Ośrodek Polityki Społecznej Województwa Śląskiego"
    voivodeship = "śląskie"
    website = "https://rops-katowice.pl"
    platform = "WordPress (current site and archive host)"
    allowed_domains = ["rops-katowice.pl"]
    host_aliases = {"old.rops-katowice.pl": "rops-katowice.pl"}

    # Read by WordPressMixin.discovery_requests: the website's REST listing first, then
    # (fallback) feeds/listings.
    feeds = ("https://rops-katowice.pl/feed/",)
    listings = (
        WordPressMixin.wp_listing("https://rops-katowice.pl/category/aktualnosci/",
                                  item_css="main#main > article.type-post"),
    )

    # Read by crawler.extract; the first profile whose url_pattern matches wins.
    profiles = (
        WordPressMixin.wp_profile(
            url_pattern=r"//(?:www\.)?rops-katowice\.pl" + _POST,
            # Top-level image blocks: their figcaption is the caption, not body text.
            gallery_css="figure.wp-block-gallery, div.entry-content > figure.wp-block-image",
            exclude_css=("div.addtoany_share_save_container", "nav.post-navigation")),
        WordPressMixin.wp_profile(
            layout="archiwum",
            url_pattern=r"//old\.rops-katowice\.pl" + _POST,
            date_css="footer.entry-meta time.entry-date",
            modified_css=None,
            category_css="footer.entry-meta a[rel~=category]",
            gallery_css="div.gallery, div.wp-caption",
            attachments_css=_FILE_LINKS),
    )
