"""Regionalny Ośrodek Polityki Społecznej w Gdańsku (ROPS Gdańsk, pomorskie)."""

from crawler.spider.base import SiteSpider
from crawler.spider.platforms.liferay import LiferayMixin, liferay_article_pattern
from crawler.spider.platforms.wordpress import WordPressMixin

_INSTANCE = "KStqgyF1Zr3G"  # the Aktualności Asset Publisher (documented)
_WP_POST = r"//(?:www\.)?rops\.pomorskie\.eu/\d{4}/\d{2}/\d{2}/[^/?#]+/?(?:[?#]|$)"


class RopsGdanskSpider(WordPressMixin, LiferayMixin, SiteSpider):
    """ROPS Gdańsk news, two site generations on one host.

    Institution: Regionalny Ośrodek Polityki Społecznej w Gdańsku (a department of the
        Urząd Marszałkowski Województwa Pomorskiego)
    Voivodeship: pomorskie
    Website: https://rops.pomorskie.eu
    Sections harvested: WordPress posts (2021 on) through the REST API
        (/wp-json/wp/v2/posts), or, when REST is refused, the "Aktualności" posts page
        /aktualnosci/ (/aktualnosci/page/N/); and the Liferay Asset Publisher listing
        /aktualnosci of about 2016-2021 (paged with p_p_* parameters, ..._cur=N).
    Platform: WordPress (2021-, REST enabled); Liferay 6.2 (about 2016-2021, Asset
        Publisher + Web Content, see crawler/platforms/liferay.py).
    Caveats: REST lists WordPress posts only: the Liferay listing, an archive listing,
        is requested after the first REST page (WordPressMixin.parse_wp_posts) or, when
        REST fails, with the other listings by the fallback, so it is walked once either
        way. On the
        live host /aktualnosci now belongs to WordPress: the Liferay pages are harvested
        from an archive replay with --base-url. A Liferay article has two addresses,
        /aktualnosci/-/asset_publisher/KStqgyF1Zr3G/content/<slug>?redirect=... and the
        display-page URL /-/<slug>: the p_p_*/redirect parameters are dropped and both
        fold to /-/<slug> (one id). The Liferay date is the portal's short "18.02.20";
        its article template prints an unrendered "$image_alt" (as alt text and as a
        caption line): never a caption, alt or body text. WordPress pages print the
        category kicker ("DZIECKO I RODZINA", kept as printed), the author twice (byline
        and an "AUTOR" box; taken once from the byline); bracketed title tags such as
        "[INFORMACJA]" are part of the site's titles and kept. "Do pobrania" headings and
        "Dowiedz się więcej" buttons are chrome.
    Spider arguments: since, until, max_pages, base_url.
    Fixtures verified: never against the live site (tests/fixtures/rops_gdansk is a
        reconstruction, 2026-11-22).
    """

    name = "rops_gdansk"
    institution = "Regionalny Ośrodek Polityki Społecznej w Gdańsku"
    voivodeship = "pomorskie"
    website = "https://rops.pomorskie.eu"
    platform = "WordPress (2021-); Liferay 6.2 (about 2016-2021)"
    allowed_domains = ["rops.pomorskie.eu"]
    # Read by LiferayMixin: its paging parameters are dropped from article URLs.
    liferay_instances = (_INSTANCE,)

    # Read by SiteSpider.parse_listing (the WordPress one only when REST is refused).
    listings = (
        WordPressMixin.wp_listing(
            "https://rops.pomorskie.eu/aktualnosci/", item_css="main#primary > article.post",
            link_css="h2.entry-title > a::attr(href)", date_css="time.entry-date.published"),
        # The Liferay site is gone from the live host (/aktualnosci is WordPress's now):
        # walked from an archive replay or with --full only.
        LiferayMixin.liferay_listing("https://rops.pomorskie.eu/aktualnosci",
                                     instance_id=_INSTANCE, archive=True),
    )

    # Read by crawler.extract; the first profile whose url_pattern matches wins.
    profiles = (
        WordPressMixin.wp_profile(
            url_pattern=_WP_POST, content_css="article.post", title_css="h1.entry-title",
            date_css="header.entry-header time.entry-date.published",
            category_css="header.entry-header .entry-kicker a[rel~=category]",
            author_css="header.entry-header span.byline span.author"),
        LiferayMixin.liferay_profile(
            url_pattern=liferay_article_pattern("rops.pomorskie.eu"),
            attachments_css="div.journal-content-article div.rops-news__files"),
    )

