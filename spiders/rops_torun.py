"""Regionalny Ośrodek Polityki Społecznej w Toruniu (ROPS Toruń)."""

from crawler.spider.base import SiteSpider
from crawler.spider.platforms.joomla import JoomlaMixin

# Joomla 3 SEF paths (no index.php): /<catid>-archiwum-<yyyy>/<id>-<alias>, under the main
# host or either alias host.
_ARTICLE = (r"//(?:www\.)?(?:(?:inforenior\.)?rops\.torun\.pl|ropstorun\.home\.pl)"
            r"/\d+-archiwum-\d{4}/\d+-[^/?#]+$")


class RopsTorunSpider(JoomlaMixin, SiteSpider):
    """ROPS Toruń news: the current year's archive category of the Joomla site.

    Institution: Regionalny Ośrodek Polityki Społecznej w Toruniu
    Voivodeship: kujawsko-pomorskie
    Website: https://www.rops.torun.pl
    Sections harvested: the news filed in the year-archive category of the current year,
        walked as its Joomla category blog (/40-archiwum-2021, ?start=N pagination,
        5 items a page). Older years are sibling categories (/36-archiwum-2017,
        /37-archiwum-2018, /38-archiwum-2019, ...); the legacy section
        ropstorun.home.pl/ekonomia2/... is not covered.
    Platform: Joomla 3 com_content (SEF URLs without index.php), JoomlaWorks Simple Image
        Gallery for "Zdjęcia:" galleries, JCE editor file links for "Do pobrania:" blocks.
    Caveats: one installation answers under three hosts: www.rops.torun.pl,
        www.inforenior.rops.torun.pl and www.ropstorun.home.pl (not a subdomain); all fold
        to rops.torun.pl in canonical URLs, so an article reached under an alias host keeps
        one id. Listing pagination links name the inforenior alias host, and a page's
        <base href> keeps the host it was fetched from. Each year gets a new category id:
        the listing's start URL must move when the site opens the next year's archive.
        Dates come from the article-info block ("Opublikowano: 10 grudzień 2021", nominative
        month names, Joomla's Polish pack); the blog shows the same date. The Joomla e-mail
        cloak sentence, the "Do pobrania:"/"Zdjęcia:" labels and the footer (address,
        "Godziny pracy:" and weekday hours) are chrome. Gallery thumbnails exist only as
        a.sigFreeLink[data-thumb] / CSS background images, so images carry thumbnail_url null.
    Spider arguments: since, until, max_pages, base_url.
    Fixtures verified: never against the live site (tests/fixtures/rops_torun is a
        reconstruction, 2026-11-22).
    """

    name = "rops_torun"
    institution = "Regionalny Ośrodek Polityki Społecznej w Toruniu"
    voivodeship = "kujawsko-pomorskie"
    website = "https://www.rops.torun.pl"
    platform = "Joomla 3"
    allowed_domains = ["rops.torun.pl"]
    host_aliases = {"inforenior.rops.torun.pl": "rops.torun.pl",
                    "ropstorun.home.pl": "rops.torun.pl"}

    # Read by SiteSpider.parse_listing: the category blog shows "Opublikowano: <date>".
    listings = (
        JoomlaMixin.joomla_listing("https://www.rops.torun.pl/40-archiwum-2021"),
    )

    # Read by crawler.extract.
    profiles = (
        JoomlaMixin.joomla_profile(
            url_pattern=_ARTICLE,
            # Simple Image Gallery lists under "Zdjęcia:"; JCE file links under "Do pobrania:".
            gallery_css="div[itemprop=articleBody] ul.sigFreeContainer",
            attachments_css="div[itemprop=articleBody] a.wf_file"),
    )
