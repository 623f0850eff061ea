"""Regionalny Ośrodek Polityki Społecznej w Krakowie (ROPS Kraków)."""

from crawler.extract.profile import Listing, Profile
from crawler.spider.base import SiteSpider


class RopsKrakowSpider(SiteSpider):
    """ROPS Kraków news, three site generations.

    Institution: Regionalny Ośrodek Polityki Społecznej w Krakowie
    Voivodeship: małopolskie
    Website: https://rops.krakow.pl
    Sections harvested: Aktualności (current site), the older site's /aktualnosc/ archive,
        and Aktualności of the PO KL training subsite szkoleniapokl.rops.krakow.pl.
    Platform: custom CMSes (current site: not identified; older site 2009-2020: not
        identified; training subsite: the agency Prekursor's CMS).
    Caveats: the site answers 403 to clients without a browser-like User-Agent (our
        default carries "Mozilla/5.0 (compatible; ...)"); 2023.rops.krakow.pl is a year
        snapshot of the previous site, folded into rops.krakow.pl; the training subsite
        prints titles twice and shows no dates anywhere.
    Spider arguments: since, until, max_pages, base_url.
    Fixtures verified: never against the live site (tests/fixtures/rops_krakow is a
        reconstruction, 2026-11-22).
    """

    name = "rops_krakow"
    institution = "Regionalny Ośrodek Polityki Społecznej w Krakowie"
    voivodeship = "małopolskie"
    website = "https://rops.krakow.pl"
    platform = "custom (three generations)"
    allowed_domains = ["rops.krakow.pl"]
    host_aliases = {"2023.rops.krakow.pl": "rops.krakow.pl"}

    # Read by SiteSpider.parse_listing.
    listings = (
        Listing("https://rops.krakow.pl/aktualnosci",
                item_css="div.news-list > article.news-item",
                link_css="h2.news-item__title > a::attr(href)",
                date_css="p.news-item__date",
                next_css="nav.pagination a[rel=next]::attr(href)",
                layout="current"),
        Listing("http://www.rops.krakow.pl/aktualnosci.html",
                item_css="div.aktualnosci-lista > div.aktualnosc",
                link_css="h2 > a::attr(href)",
                date_css="span.data",
                next_css="div.stronicowanie a.nastepna::attr(href)",
                layout="legacy"),
        Listing("http://www.szkoleniapokl.rops.krakow.pl/;s,aktualnosci",
                item_css="div.lista-aktualnosci > div.news",
                link_css="h3.news-tytul > a::attr(href)",
                next_css="div.paginacja a.nast::attr(href)",
                layout="szkoleniapokl"),
    )

    # Read by crawler.extract; the first profile whose url_pattern matches wins.
    profiles = (
        Profile(layout="current",
                url_pattern=r"//(?:www\.|2023\.)?rops\.krakow\.pl/aktualnosci/[^/?#]+",
                content_css="article.article",
                title_css="h1.article__title",
                date_css="div.article__date",
                body_css="div.article__body",
                gallery_css="section.article__gallery",
                attachments_css="div.article__attachments",
                exclude_css=("div.article__share", "div.article__footer")),
        Profile(layout="legacy",
                url_pattern=r"//(?:www\.)?rops\.krakow\.pl/aktualnosc/[^/]+-\d+\.html",
                content_css="div.aktualnosc-pelna",
                title_css="h1.tytul",
                date_css="div.data",
                body_css="div.tresc",
                exclude_css=("div.narzedzia",)),
        Profile(layout="szkoleniapokl",
                url_pattern=r"szkoleniapokl\.rops\.krakow\.pl/[^;]*;s,aktualnosci,id,\d+",
                content_css="div.aktualnosc-szczegoly",
                title_css="h2.tytul",
                body_css="div.opis",
                # The title again, as a print-only heading (the seed's doubled title).
                exclude_css=("strong.tytul_druk",)),
    )
