"""Miejski Ośrodek Pomocy Społecznej w Radomsku (MOPS Radomsko)."""

from crawler.extract.profile import Listing, Profile
from crawler.spider.base import SiteSpider


class MopsRadomskoSpider(SiteSpider):
    """MOPS Radomsko news ("Aktualności"), one layout generation.

    Institution: Miejski Ośrodek Pomocy Społecznej w Radomsku
    Voivodeship: łódzkie
    Website: http://mops-radomsko.pl
    Sections harvested: Aktualności (the CMS page id 12, /index.php?c=page&id=12), which
        holds every news article from 2017 to date.
    Platform: a Polish public-sector PHP CMS (vendor not confirmed) whose routes are
        index.php?c=page&id=N (pages, pretty form p,N,slug) and index.php?c=article&id=N
        (articles, pretty form art,N,slug, no .html); its templates print the title as
        h2, the "Drukuj zawartość bieżącej strony" / "Zapisz tekst bieżącej strony do PDF"
        icon toolbar (ul.printers), div.artDate ("28 czerwca 2024"), div.leadArticle,
        the body, "Autor: ..." (div.artAuthor), div.filesWrapper ("Załączniki") and
        div.galWrapper ("Galeria", fancybox thumbnails files/pl/mini/<f> -> files/pl/<f>,
        alt "Powiększ zdjęcie <name>", the photo's name, if any, as the link title).
    Caveats: www.mops-radomsko.pl serves the same site and some listing items link
        through it (absolute "external URL" items): the www. host folds into
        mops-radomsko.pl in canonical URLs, so one article is one record. Articles with
        no pretty name are linked as index.php?c=article&id=N. Some article pages print
        no date line although the listing shows one (the listing date is used). The CMS
        can link small attachments as index.php?c=getfile&id=N, without a file extension:
        inside div.filesWrapper (attachments_css) every link counts as an attachment.
        Listing pagination (&s=N) is an inference.
    Spider arguments: since, until, max_pages, base_url.
    Fixtures verified: never against the live site (tests/fixtures/mops_radomsko is a
        reconstruction, 2026-11-22).
    """

    name = "mops_radomsko"
    institution = "Miejski Ośrodek Pomocy Społecznej w Radomsku"
    voivodeship = "łódzkie"
    website = "http://mops-radomsko.pl"
    platform = "custom PHP CMS (index.php?c=page|article, art,<id>,<slug>)"
    # The www. host is covered as a subdomain here and folded by crawler.extract.urls.canonicalize
    # (which drops a leading "www." before host_aliases apply), so no alias entry is needed.
    allowed_domains = ["mops-radomsko.pl"]

    # Read by SiteSpider.parse_listing.
    listings = (
        Listing("http://mops-radomsko.pl/index.php?c=page&id=12",
                item_css="div.articleWrapper > div.article",
                link_css="h3 > a::attr(href)",
                date_css="div.artDate",
                next_css="div.pagination a.next::attr(href)",
                layout="padcms"),
    )

    # Read by crawler.extract; the first profile whose url_pattern matches wins.
    profiles = (
        Profile(layout="padcms",
                url_pattern=r"//(?:www\.)?mops-radomsko\.pl/(?:art,\d+,|index\.php\?c=article&id=\d+)",
                content_css="div#content",
                title_css="div#content > h2",
                date_css="div#content div.artDate",
                lead_css="div#content div.leadArticle",
                author_css="div#content div.artAuthor",
                body_css="div.txtWrapper",
                gallery_css="div#content div.galWrapper",
                attachments_css="div#content div.filesWrapper"),
    )
