"""A synthetic rops_torun site of any size, served by crawler.devtools.mirror.MirrorServer.

The fault-injection tests, the scale-out tests and the crawl benchmarks need hundreds to
tens of thousands of articles; the fixture mirror has seven. This module generates them
on demand, page by page, from the rops_torun mirror's own Joomla 3 markup (the template
chrome, the category blog, the article layout), so the real ``rops_torun`` spider crawls
it unchanged:

    mirror = synthetic_mirror(articles=300)
    with MirrorServer(mirror) as server:
        # kronika crawl rops_torun --base-url <server.base_url> --delay 0

Nothing is stored: a 50,000-article site costs a few kilobytes until it is fetched.
Texts are generated from a fixed vocabulary, seeded by article number, so two runs with
the same seed serve identical bytes. Like every mirror here, it is a reconstruction
(``meta["provenance"]``), and a synthetic one at that.

    python -m tests.synthetic --articles 10000 --port 8766
"""

from __future__ import annotations

import argparse
import random
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date, timedelta
from urllib.parse import parse_qs, urlsplit

from crawler.devtools.mirror import FIXTURES, Mirror

HOST = "www.rops.torun.pl"
CATEGORY = "/40-archiwum-2021"
FIRST_ID = 2000
MONTHS = ("styczeń luty marzec kwiecień maj czerwiec lipiec sierpień wrzesień październik "
          "listopad grudzień").split()  # Joomla's Polish pack prints the nominative

_SUBJECTS = ("Szkolenie", "Konferencja", "Posiedzenie", "Spotkanie", "Warsztaty", "Konkurs",
             "Nabór", "Seminarium", "Debata", "Forum", "Raport", "Ogłoszenie")
_TOPICS = ("dla kadr pomocy społecznej", "o pieczy zastępczej", "dotyczące ekonomii społecznej",
           "w sprawie polityki senioralnej", "dla asystentów rodziny",
           "o przeciwdziałaniu przemocy", "dla koordynatorów pieczy", "o usługach społecznych",
           "dla gminnych ośrodków", "na rzecz osób z niepełnosprawnościami",
           "dotyczące deinstytucjonalizacji", "o wsparciu opiekunów faktycznych")
_PLACES = ("w Toruniu", "we Włocławku", "w Bydgoszczy", "w Grudziądzu", "w Inowrocławiu",
           "w Brodnicy", "w Świeciu", "w Chełmnie", "w Żninie", "w Łasinie")
_WORDS = ("pomoc społeczna rodzina wsparcie gmina powiat województwo ośrodek projekt "
          "szkolenie uczestnicy program zadanie realizacja dofinansowanie usługi opiekuńcze "
          "senior dziecko piecza zastępcza asystent koordynator świadczenia zespół "
          "interdyscyplinarny przemoc ekonomia spółdzielnia socjalna integracja aktywizacja "
          "mieszkańcy samorząd współpraca organizacje pozarządowe wolontariusze diagnoza "
          "potrzeby badanie raport rekomendacje strategia rozwoju usług społecznych "
          "deinstytucjonalizacja mieszkania wspomagane opiekunowie niepełnosprawność "
          "zatrudnienie wsparcia dzienny dom pobytu klub kwalifikacje kompetencje").split()


def _fold(text: str) -> str:
    """Joomla's URL alias of a title: ASCII, lower case, hyphens."""
    text = text.replace("ł", "l").replace("Ł", "L")
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")


@dataclass(frozen=True)
class SyntheticArticle:
    """One generated article: number 0 is the newest."""

    number: int
    id: int
    title: str
    alias: str
    day: date
    paragraphs: tuple[str, ...]

    @property
    def path(self) -> str:
        return f"{CATEGORY}/{self.id}-{self.alias}"

    @property
    def url(self) -> str:
        return f"https://{HOST}{self.path}"

    @property
    def date_text(self) -> str:
        return f"{self.day.day} {MONTHS[self.day.month - 1]} {self.day.year}"


def _split_template(page: str, start_marker: str, end_marker: str) -> tuple[str, str]:
    start = page.index(start_marker) + len(start_marker)
    end = page.index(end_marker, start)
    return page[:start], page[end:]


@dataclass
class SyntheticSite(Mirror):
    """A generated rops_torun mirror; ``find``/``body`` as MirrorServer expects."""

    articles: int = 300
    per_page: int = 10
    seed: int = 0
    _templates: dict = field(default_factory=dict)

    @classmethod
    def create(cls, articles: int = 300, per_page: int = 10, seed: int = 0) -> SyntheticSite:
        base = Mirror.load("rops_torun", FIXTURES)
        meta = {
            "site": "rops_torun",
            "provenance": "reconstruction",
            "reconstruction_note": (
                f"Synthetic: {articles} generated articles in the rops_torun mirror's "
                "Joomla 3 markup (tests/synthetic.py); not captured from the live site."),
            "hosts": base.meta["hosts"],
            "pages": [],
        }
        site = cls(base.slug, base.root, meta, articles=articles, per_page=per_page, seed=seed)
        site._load_templates(base)
        return site

    def _load_templates(self, base: Mirror) -> None:
        listing = base.body(next(p for p in base.meta["pages"]
                                 if p["url"] == f"https://{HOST}{CATEGORY}")).decode()
        self._templates["listing"] = _split_template(
            listing, '<div class="blog" itemscope itemtype="https://schema.org/Blog">',
            "\t</div>\n\n\t\t\t\t\t<!-- End Content -->")
        template_url = (f"https://{HOST}{CATEGORY}/"
                        "1404-szkolenie-dla-czlonkow-zespolow-interdyscyplinarnych")
        article = base.body(next(p for p in base.meta["pages"] if p["url"] == template_url))
        self._templates["article"] = article.decode()
        self._templates["robots"] = base.body(next(
            p for p in base.meta["pages"] if p["url"] == f"https://{HOST}/robots.txt"))

    # -- content ---------------------------------------------------------------
    def article(self, number: int) -> SyntheticArticle:
        rng = random.Random(self.seed * 1_000_003 + number)
        title = (f"{rng.choice(_SUBJECTS)} {rng.choice(_TOPICS)} {rng.choice(_PLACES)} "
                 f"(nr {self.articles - number})")
        paragraphs = []
        for _ in range(rng.randint(3, 6)):
            words = [rng.choice(_WORDS) for _ in range(rng.randint(25, 60))]
            paragraphs.append(" ".join(words).capitalize() + ".")
        # Newest first, a few a day, all inside the category's year.
        day = date(2021, 12, 31) - timedelta(days=(number * 365) // max(self.articles, 1))
        article_id = FIRST_ID + self.articles - number
        return SyntheticArticle(number, article_id, title, _fold(title), day, tuple(paragraphs))

    @property
    def article_urls(self) -> list[str]:
        return [self.article(n).url for n in range(self.articles)]

    @property
    def listing_pages(self) -> int:
        return -(-self.articles // self.per_page)

    # -- serving (the Mirror interface) ----------------------------------------
    def find(self, host: str, path_and_query: str) -> dict | None:
        parts = urlsplit(path_and_query)
        if parts.path == "/robots.txt":
            return {"kind": "robots", "url": f"https://{HOST}/robots.txt",
                    "content_type": "text/plain"}
        if parts.path == CATEGORY:
            start = int(parse_qs(parts.query).get("start", ["0"])[0] or 0)
            if start % self.per_page or not 0 <= start < max(self.articles, 1):
                return None
            return {"kind": "listing", "start": start, "content_type": "text/html; charset=utf-8",
                    "url": f"https://{HOST}{CATEGORY}" + (f"?start={start}" if start else "")}
        match = re.fullmatch(re.escape(CATEGORY) + r"/(\d+)-([a-z0-9-]+)", parts.path)
        if match:
            number = FIRST_ID + self.articles - int(match.group(1))
            if 0 <= number < self.articles:
                article = self.article(number)
                if article.alias == match.group(2):
                    return {"kind": "article", "number": number, "url": article.url,
                            "content_type": "text/html; charset=utf-8"}
        return None

    def body(self, page: dict) -> bytes:
        if page["kind"] == "robots":
            return self._templates["robots"]
        if page["kind"] == "listing":
            return self.listing_html(page["start"]).encode()
        return self.article_html(self.article(page["number"])).encode()

    def listing_html(self, start: int) -> str:
        head, tail = self._templates["listing"]
        items = []
        for n in range(start, min(start + self.per_page, self.articles)):
            a = self.article(n)
            items.append(
                f'<div class="items-row cols-1 row-{n - start} row-fluid clearfix">\n'
                '<div class="span12">\n<div class="item column-1" itemprop="blogPost" '
                'itemscope itemtype="https://schema.org/BlogPosting">\n'
                f'<div class="page-header"><h2 itemprop="name"><a href="{a.path}" '
                f'itemprop="url">{a.title}</a></h2></div>\n'
                '<dl class="article-info muted"><dt class="article-info-term">Szczegóły</dt>\n'
                f'<dd class="published"><span class="icon-calendar icon-fw" aria-hidden="true">'
                f'</span><time datetime="{a.day.isoformat()}T09:00:00+01:00" '
                f'itemprop="datePublished">Opublikowano: {a.date_text}</time></dd></dl>\n'
                f'<p style="text-align: justify;">{a.paragraphs[0]}</p>\n'
                f'<p class="readmore"><a class="btn" href="{a.path}" itemprop="url">'
                'Czytaj więcej...</a></p>\n</div>\n</div>\n</div>')
        page_no, pages = start // self.per_page + 1, self.listing_pages
        nxt = (f'<li class="pagination-next"><a title="Następny" href="https://{HOST}'
               f'{CATEGORY}?start={start + self.per_page}" class="hasTooltip pagenav">'
               'Następny</a></li>' if page_no < pages else
               '<li class="pagination-next"><span class="pagenav">Następny</span></li>')
        pagination = (f'<div class="pagination"><p class="counter pull-right"> Strona {page_no}'
                      f' z {pages} </p><ul>{nxt}</ul></div>')
        return (head + '\n<h2> <span class="subheading-category">Archiwum 2021</span></h2>\n'
                + "\n".join(items) + "\n" + pagination + "\n" + tail)

    def article_html(self, a: SyntheticArticle) -> str:
        html = self._templates["article"]
        old_title = "Szkolenie dla członków zespołów interdyscyplinarnych"
        old_path = "/40-archiwum-2021/1404-szkolenie-dla-czlonkow-zespolow-interdyscyplinarnych"
        html = html.replace(old_path, a.path).replace(old_title, a.title)
        html = html.replace("2021-11-16T08:50:00+01:00", f"{a.day.isoformat()}T09:00:00+01:00")
        html = html.replace("16 listopad 2021", a.date_text)
        html = html.replace("dropdownMenuButton-1404", f"dropdownMenuButton-{a.id}")
        head, tail = _split_template(html, '<div itemprop="articleBody">',
                                     '</div>\n\n\t\n\t<ul class="pager pagenav">')
        body = "\n".join(f'<p style="text-align: justify;">{p}</p>' for p in a.paragraphs)
        return head + "\n" + body + " \t" + tail


def synthetic_mirror(articles: int = 300, seed: int = 0, per_page: int = 10) -> SyntheticSite:
    """A generated rops_torun site of ``articles`` articles (newest first, ``per_page``
    to a listing page)."""
    return SyntheticSite.create(articles=articles, per_page=per_page, seed=seed)


def main() -> None:
    from crawler.devtools.mirror import MirrorServer, serve_until_interrupted

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=300)
    parser.add_argument("--per-page", type=int, default=10)
    parser.add_argument("--port", type=int, default=8766)
    args = parser.parse_args()
    serve_until_interrupted(
        MirrorServer(synthetic_mirror(args.articles, per_page=args.per_page), port=args.port),
        f"a synthetic rops_torun of {args.articles} articles (a reconstruction)")


if __name__ == "__main__":
    main()
