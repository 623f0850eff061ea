"""Mazowieckie Centrum Polityki Społecznej (MCPS, Warszawa)."""

from crawler.spider.base import SiteSpider
from crawler.spider.platforms.joomla import JoomlaMixin
from crawler.spider.platforms.wordpress import WordPressMixin

# The older site's pages show the headline only in <title>, after which Joomla appends
# the site name ("<title> - Mazowieckie Centrum Polityki Społecznej"); the headlines
# themselves contain " - ", so only this exact suffix is cut.
_SITE_SUFFIX = r"\s+-\s+Mazowieckie Centrum Polityki Społecznej\s*$"
# Announcements end with the director's signature, typed by editors as a right-aligned
# paragraph: "<strong>Name</strong><br />p.o. dyrektora MCPS".
_SIGNATURE = "div[itemprop=articleBody] p[style*='text-align: right']"


class McpsSpider(JoomlaMixin, SiteSpider):
    """MCPS news, two site generations.

    Institution: Mazowieckie Centrum Polityki Społecznej
    Voivodeship: mazowieckie
    Website: https://mcps.com.pl
    Sections harvested: Aktualności of the current WordPress site (/aktualnosci/, its
        /page/N/ pagination and the /feed/ RSS 2.0 feed) and the older Joomla site's home
        page, which is its Aktualności category blog (http://www.mcps.com.pl/?start=N).
    Platform: WordPress (current site, custom _s-based theme); Joomla 3 com_content
        (older site, in use until late 2018; template "mcps2017", JCE MediaBox photos,
        "Attachments for Joomla" file lists).
    Caveats: old articles show no date, neither on the page nor in the listing, and no
        headline in the page body (title taken from <title>, site suffix cut): their
        `published` is null, and since/until cannot filter them. The archive host
        last.mcps.com.pl serves the old articles under the same /<id>-<alias> paths and
        is folded into mcps.com.pl. "6 października 2017"-style dates inside old texts are
        event dates, never publication dates. The director's signature that ends
        announcements becomes `author` (name only) and leaves the body; the dotted lines
        "………" editors put between and after items are dropped by the shared chrome rules.
        Joomla's e-mail cloaking leaves no address in the text (it is written by JS).
    Spider arguments: since, until, max_pages, base_url.
    Fixtures verified: never against the live site (tests/fixtures/mcps is a
        reconstruction, 2026-11-22).
    """

    name = "mcps"
    institution = "Mazowieckie Centrum Polityki Społecznej"
    voivodeship = "mazowieckie"
    website = "https://mcps.com.pl"
    platform = "WordPress (current); Joomla 3 (until 2018)"
    allowed_domains = ["mcps.com.pl"]
    host_aliases = {"last.mcps.com.pl": "mcps.com.pl"}

    # Read by SiteSpider.parse_feed: the WordPress feed lists the newest posts with dates.
    feeds = ("https://mcps.com.pl/feed/",)

    # Read by SiteSpider.parse_listing. Not a WordPressMixin spider (the older generation
    # is Joomla): the current site's REST API is not asked, its feed and listing are.
    listings = (
        WordPressMixin.wp_listing("https://mcps.com.pl/aktualnosci/",
                                  item_css="main#primary > article.post",
                                  link_css="h2.entry-title > a::attr(href)",
                                  date_css="time.entry-date.published"),
        # Joomla 3 category blog, 10 items a page (?start=0, 10, 20 ...), no dates shown.
        JoomlaMixin.joomla_listing("http://www.mcps.com.pl/", layout="joomla-2017",
                                   date_css=None),
    )

    # Read by crawler.extract; the first profile whose url_pattern matches wins.
    profiles = (
        WordPressMixin.wp_profile(
            url_pattern=r"//(?:www\.)?mcps\.com\.pl/aktualnosci/(?!page/|kategoria/)[^/?#]+",
            content_css="article.post",
            title_css="h1.entry-title",
            date_css="time.entry-date.published",
            body_css="div.entry-content",
            # Block-editor figures: their figcaption is the image's caption, not text.
            gallery_css="div.entry-content figure.wp-block-image",
            # None of the platform's widget exclusions: the profile kept none before it
            # moved to wp_profile (the theme's post navigation follows the article).
            exclude_css=()),
        JoomlaMixin.joomla_profile(
            layout="joomla-2017",
            url_pattern=r"//(?:www\.|last\.)?mcps\.com\.pl/\d+-[^/?#]+",
            title_css="title",
            title_strip=_SITE_SUFFIX,
            date_css=None,
            category_css=None,
            category="Aktualności",
            author_css=f"{_SIGNATURE} strong",
            attachments_css="div.attachmentsContainer",
            exclude_css=("div.icons", "ul.pager", _SIGNATURE)),
    )
