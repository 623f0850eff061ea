"""Regionalny Ośrodek Polityki Społecznej w Olsztynie (ROPS Olsztyn), on the regional portal."""

from crawler.spider.base import SiteSpider
from crawler.spider.platforms.joomla import JoomlaMixin

# Joomla 3 SEF paths under the category's menu item: /polityka-spoleczna/<id>-<alias>.
_ARTICLE = r"//(?:www\.)?warmia\.mazury\.pl/polityka-spoleczna/\d+-[^/?#]+$"


class RopsOlsztynSpider(JoomlaMixin, SiteSpider):
    """ROPS Olsztyn news: the social-policy category of the warmia.mazury.pl portal.

    Institution: Regionalny Ośrodek Polityki Społecznej w Olsztynie
    Voivodeship: warmińsko-mazurskie
    Website: http://warmia.mazury.pl/polityka-spoleczna
    Sections harvested: the "Polityka społeczna" category blog of the regional portal
        (heading "Artykuły z kategorii", Joomla ?start=N pagination, 4 items a page), where
        the centre's news is published. The subsite es.warmia.mazury.pl
        (/aktualnosci/<category-slug>/<slug>) is not covered.
    Platform: Joomla 3 com_content (the Marshal's Office portal), "Attachments for Joomla"
        file tables.
    Caveats: ROPS Olsztyn is a unit of the Marshal's Office and has no site of its own; the
        category also carries the office's other social-policy news. Dates come from the
        article-info block ("Opublikowano: wtorek, 15 grudzień 2020 10:20", weekday and
        nominative month, with the time). Inline image captions ("Fot. www.stockvault.net",
        "Ilustracja do tekstu") are image captions, never body text: <figure>/<figcaption>
        in the text and img.caption[title] (Joomla's JCaption, also on the full-text image
        printed before the text) end up in images[].caption. Closing "Źródło: ..." lines
        become source; the Joomla e-mail cloak sentence is chrome.
    Spider arguments: since, until, max_pages, base_url.
    Fixtures verified: never against the live site (tests/fixtures/rops_olsztyn is a
        reconstruction, 2026-11-22).
    """

    name = "rops_olsztyn"
    institution = "Regionalny Ośrodek Polityki Społecznej w Olsztynie"
    voivodeship = "warmińsko-mazurskie"
    website = "http://warmia.mazury.pl/polityka-spoleczna"
    platform = "Joomla 3 (regional portal)"
    allowed_domains = ["warmia.mazury.pl"]

    # Read by SiteSpider.parse_listing: the category blog shows "Opublikowano: <date>".
    listings = (
        JoomlaMixin.joomla_listing("http://warmia.mazury.pl/polityka-spoleczna"),
    )

    # Read by crawler.extract.
    profiles = (
        JoomlaMixin.joomla_profile(
            url_pattern=_ARTICLE,
            # The article's full-text image (img.caption[title]) sits before the text.
            gallery_css="div.item-page > div.item-image",
            attachments_css="div[itemprop=articleBody] div.attachmentsContainer"),
    )
