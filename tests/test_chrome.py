"""Chrome stripping: every string of docs/research/sites.md section 9 and every widget kind, placed
inside the article container itself, is gone from the body; the article text stays."""

from __future__ import annotations

import html

import pytest

from crawler.extract import SiteRules, extract
from crawler.extract.chrome import CHROME_PHRASES
from crawler.extract.profile import Profile
from tests.harness import NOW

PARAGRAPHS = [
    "Regionalny Ośrodek zaprasza przedstawicieli gmin na spotkanie poświęcone wsparciu "
    "rodzin z dziećmi, które odbędzie się w sali konferencyjnej urzędu.",
    "W programie przewidziano prezentację wyników badań oraz dyskusję o potrzebach "
    "lokalnych ośrodków pomocy społecznej w regionie.",
    "Zgłoszenia przyjmujemy do końca miesiąca pod wskazanym numerem telefonu.",
]

# Variable chrome from section 9 that the vocabulary covers with patterns.
PATTERN_CHROME = [
    "Jesteś tutaj: Strona główna » Aktualności » Spotkanie",
    "Poprzedni Sierpień 2020 Następny",
    "26 27 28 29 30 31 1 2 3 4 5 6",
    "Maj 1 2 3 4 5 6 7 8 9 10",
    "……………………………………",
    "Projekt współfinansowany przez Unię Europejską z Europejskiego Funduszu Społecznego "
    "w ramach Programu Operacyjnego Kapitał Ludzki",
    "Czytaj więcej o: Spotkanie w sprawie wsparcia rodzin",
    "Przejdź do - Spotkanie w sprawie wsparcia rodzin",
    "Liczba wyświetleń: 1234",
    "Wygenerowano: Poniedziałek, 2 stycznia 2017, 01:23",
    "ZOBACZ ZDJĘCIA (2)",
]

# Widgets recognised by the DOM rules, whatever their wording.
WIDGETS = [
    '<nav class="submenu"><a href="/a">Dział A</a> <a href="/b">Dział B</a></nav>',
    '<div role="navigation"><a href="/x">Inna nawigacja</a></div>',
    '<header class="article-header"><span>Nagłówek serwisu</span></header>',
    '<aside><p>Polecamy inne wydarzenia w regionie</p></aside>',
    '<footer><p>Stopka artykułu z licznikiem</p></footer>',
    '<div class="breadcrumb"><a href="/">Start</a> / <a href="/n">Wiadomości</a></div>',
    '<ul class="share-buttons"><li><a href="https://fb.example/share">Facebook</a></li></ul>',
    '<div class="print-tools"><a href="?print=1">Wersja do wydruku</a></div>',
    '<div id="cookie-notice">Ta witryna korzysta z ciasteczek <a href="#">Akceptuję</a></div>',
    '<div class="wcag-toolbar"><a href="#">A</a> <a href="#">A+</a> <a href="#">Kontrast żółty</a></div>',
    '<table class="calendar"><tr><td>Pn</td><td>Wt</td></tr><tr><td>1</td><td>2</td></tr></table>',
    '<div id="back-to-top"><a href="#page"><span class="sr-only">Na samą górę</span></a></div>',
    '<span class="sr-only">Treść dla czytników ekranu</span>',
    '<a class="skip-link" href="#main">Pomiń nawigację</a>',
    '<form><label>Szukaj w serwisie</label><input name="q"><button>Szukaj</button></form>',
    '<script>var tracker = "Kod śledzący";</script>',
    '<div aria-hidden="true">Ukryty element dekoracyjny</div>',
]

WIDGET_TEXTS = ["Dział A", "Inna nawigacja", "Nagłówek serwisu", "Polecamy", "Stopka artykułu",
                "Start", "Facebook", "Wersja do wydruku", "ciasteczek", "Kontrast żółty",
                "Pn", "Na samą górę", "czytników", "Pomiń nawigację", "Szukaj w serwisie",
                "Kod śledzący", "Ukryty element"]

PROFILE = Profile(layout="t", content_css="div#tresc", title_css="h1")


def page(noise: list[str]) -> str:
    """The article container: its title, then chrome around the three real paragraphs
    (before the first, between them, after the last)."""
    third = len(noise) // 3 or 1
    parts = (noise[:third] + [f"<p>{PARAGRAPHS[0]}</p>"] + noise[third:2 * third]
             + [f"<p>{PARAGRAPHS[1]}</p>"] + noise[2 * third:] + [f"<p>{PARAGRAPHS[2]}</p>"])
    return ('<html lang="pl"><head><meta charset="utf-8"><title>T</title></head><body>'
            '<div id="tresc"><h1>Spotkanie w sprawie wsparcia rodzin</h1>'
            + "\n".join(parts) + "</div></body></html>")


def body_text(noise):
    record = extract(page(noise), "https://ops.example.pl/aktualnosci/1",
                     SiteRules("t", (PROFILE,)), now=NOW)
    assert record["extraction"]["method"] == "site"
    return record["text"]


def test_every_section_9_phrase_inside_the_container_is_removed():
    shapes = ["<p>{}</p>", "<div>{}</div>", '<a href="/x">{}</a>', "<span>{}</span>",
              "<ul><li>{}</li></ul>", "<h3>{}</h3>", "<p><strong>{}</strong></p>"]
    phrases = sorted(CHROME_PHRASES) + PATTERN_CHROME
    noise = [shapes[i % len(shapes)].format(html.escape(p)) for i, p in enumerate(phrases)]
    assert body_text(noise).split("\n\n") == PARAGRAPHS


@pytest.mark.parametrize("widget", WIDGETS)
def test_each_widget_kind_inside_the_container_is_removed(widget):
    assert body_text([widget]).split("\n\n") == PARAGRAPHS


def test_all_widgets_together_leave_only_the_article():
    text = body_text(WIDGETS)
    assert text.split("\n\n") == PARAGRAPHS
    for leftover in WIDGET_TEXTS:
        assert leftover not in text


def test_words_of_the_vocabulary_inside_sentences_are_kept():
    sentence = ("Drukuj formularz, a potem Powrót do domu – czytaj więcej w Galeria zdjęć "
                "na stronie Aktualności gminy.")
    assert sentence in body_text([f"<p>{sentence}</p>"])


@pytest.mark.parametrize("names, chrome", [
    ('class="share_bar"', True), ('id="Cookie-Notice"', True), ('class="x  print"', True),
    ('class="box" id="sidebar-left"', True), ('class="cookies"', True),
    ('class="printable-content"', False), ('class="shared-services"', False),
    ('id="menubox"', False), ('class="socialny"', False),
])
def test_class_and_id_names_are_read_as_whole_tokens(names, chrome):
    # "printable-content" is no print button: a chrome word must be a whole token of a
    # class or id, between whitespace, "_" and "-", in any case.
    widget = f"<div {names}><p>Treść wyróżniona w ramce obok artykułu</p></div>"
    text = body_text([widget])
    assert ("Treść wyróżniona" not in text) is chrome
    assert all(p in text for p in PARAGRAPHS)


def test_text_bounds_never_undercut_what_the_cleaner_leaves():
    # The site path skips trafilatura when these bounds say a generic body could not be
    # much longer than the profile's; a bound below what strip_chrome really leaves
    # would skip it wrongly. Every fixture page, and the widget page above.
    import copy

    from crawler.devtools.fixtures import FixtureSite, available
    from crawler.devtools.mirror import FIXTURES
    from crawler.extract import parse_document
    from crawler.extract.clean import strip_chrome, text_bounds, text_length

    pages = [page(WIDGETS + PATTERN_CHROME)] + [
        site.body(p).decode("utf-8", "replace")
        for slug in available(FIXTURES) for site in [FixtureSite.load(slug, FIXTURES)]
        for p in site.articles()]
    for html_text in pages:
        body = parse_document(html_text).find("body")
        bounds = list(text_bounds(body))
        cleaned = copy.deepcopy(body)
        strip_chrome(cleaned)
        assert bounds == sorted(bounds, reverse=True)
        assert bounds[-1] >= text_length(cleaned)
        assert bounds[-1] < bounds[0]  # every page has some chrome to subtract
