"""The extraction cascade on small but complete pages: site path, chrome, fallback."""

from __future__ import annotations

import pytest

from crawler import extract_article
from crawler.extract import SiteRules, extract, undouble
from crawler.extract.profile import Profile
from crawler.extract.validation import schema_errors
from tests.harness import NOW

PAGE = """<!DOCTYPE html>
<html lang="pl"><head><meta charset="utf-8"><title>{title} - Ośrodek</title>
<meta property="og:title" content="{title}"></head>
<body>
<div id="cookie-bar">Używamy plików cookie, aby poprawić jakość przeglądania oraz analizować ruch na stronie. <button>OK</button></div>
<ul class="skip-links"><li><a href="#tresc">Przejdź do treści</a></li><li><a href="#menu">Przejdź do menu</a></li></ul>
<header><a href="/"><img src="/logo.png" alt="Logo"></a><nav><ul><li><a href="/aktualnosci">Aktualności</a></li><li><a href="/kontakt">Kontakt</a></li></ul></nav></header>
<div class="breadcrumbs">Jesteś tutaj: <a href="/">Strona główna</a> &raquo; <a href="/aktualnosci">Aktualności</a></div>
<main id="tresc">
 <div class="news-item">
  <p class="news-date">Dodano: 28 czerwca 2024</p>
  <h1 class="news-title">{title}</h1>
  <div class="share"><a href="https://facebook.com/sharer">Udostępnij na Facebook</a> <a href="javascript:print()">Drukuj</a></div>
  <div class="news-body">
   <p class="lead"><strong>Krótki wstęp do artykułu o konferencji.</strong></p>
   {body}
   <p><a href="/aktualnosci" class="back">Powrót</a></p>
  </div>
 </div>
</main>
<aside><h3>Zobacz również</h3><ul><li><a href="/inny">Inny artykuł o czymś zupełnie innym</a></li></ul></aside>
<footer><p>Regionalny Ośrodek, ul. Piastowska 32, 30-070 Kraków</p><a href="#top">Powrót na górę strony</a></footer>
</body></html>"""

BODY = """<p>W dniach 13-15 czerwca 2024 w Zakopanem odbyła się konferencja pod hasłem „Oczekiwania na NOWE w pomocy społecznej”, na którą przybyli przedstawiciele ośrodków z całego kraju.</p>
<p>Tematem przewodnim była deinstytucjonalizacja usług społecznych jako ważny kierunek rozwoju i zmian polityki społecznej państwa; dyskusja trwała do wieczora.</p>
<p>Autor: Andrzej Barszcz</p>
<p>Źródło: MOPS w Radomsku</p>"""

PROFILE = Profile(layout="test", content_css="div.news-item", body_css="div.news-body",
                  title_css="h1.news-title", date_css="p.news-date", lead_css="p.lead")
RULES = SiteRules("testsite", (PROFILE,))
URL = "https://example.gov.pl/aktualnosci/konferencja"
TITLE = "Jubileuszowa X Konferencja"


def run(body=BODY, title=TITLE, rules=RULES, **kw):
    return extract(PAGE.format(title=title, body=body), URL, rules, now=NOW, **kw)


def test_site_path_takes_fields_and_leaves_chrome_behind():
    a = run()
    assert a["extraction"] == {"method": "site", "profile": "testsite/test", "warnings": []}
    assert a["title"] == TITLE
    assert (a["published"], a["published_raw"], a["published_source"]) == (
        "2024-06-28", "28 czerwca 2024", "page")
    assert a["author"] == "Andrzej Barszcz"
    assert a["source"] == "MOPS w Radomsku"
    assert a["lead"] == "Krótki wstęp do artykułu o konferencji."
    paragraphs = a["text"].split("\n\n")
    assert paragraphs[0].startswith("W dniach 13-15 czerwca 2024 w Zakopanem")
    assert paragraphs[-1].endswith("dyskusja trwała do wieczora.")
    assert len(paragraphs) == 2
    for chrome in ("Udostępnij", "Drukuj", "Powrót", "Autor:", "Źródło:", "cookie",
                   "Jesteś tutaj", "Zobacz również", "Krótki wstęp", TITLE):
        assert chrome not in a["text"] and chrome not in a["html"]
    assert schema_errors(a) == []


def test_html_is_minimal_and_links_absolute():
    a = run(body='<div class="x" style="color:red"><p>Tekst z <a href="/plik">odnośnikiem</a> '
                 'i <b>pogrubieniem</b>, wystarczająco długi akapit treści artykułu.</p></div>')
    assert a["html"] == ('<p>Tekst z <a href="https://example.gov.pl/plik">odnośnikiem</a> i '
                         '<strong>pogrubieniem</strong>, wystarczająco długi akapit treści '
                         'artykułu.</p>')


def test_title_printed_twice_appears_once():
    doubled = "Podsumowanie spotkania grupy ds. pieczyPodsumowanie spotkania grupy ds. pieczy"
    assert undouble(doubled) == "Podsumowanie spotkania grupy ds. pieczy"
    assert undouble("Abc Abc") == "Abc"
    assert undouble("Abc Abd") == "Abc Abd"
    a = run(title="Spotkanie grupy", body="<h2>Spotkanie grupy</h2>" + BODY)
    assert a["title"] == "Spotkanie grupy"
    assert "Spotkanie grupy" not in a["text"]


def test_date_only_in_the_body_is_not_a_publication_date():
    profile = Profile(layout="t", content_css="div.news-item", body_css="div.news-body",
                      title_css="h1.news-title")
    a = run(rules=SiteRules("testsite", (profile,)))
    assert a["published"] is None and a["published_source"] is None
    b = run(rules=SiteRules("testsite", (profile,)), listing_date="Dodano: 01.07.2024")
    assert (b["published"], b["published_raw"], b["published_source"]) == (
        "2024-07-01", "01.07.2024", "listing")


def test_meta_date_beats_listing():
    page = PAGE.replace("<head>", '<head><meta property="article:published_time" '
                        'content="2024-06-29T10:15:00+02:00">')
    profile = Profile(layout="t", content_css="div.news-item", body_css="div.news-body")
    a = extract(page.format(title=TITLE, body=BODY), URL, SiteRules("s", (profile,)),
                listing_date="01.07.2024", now=NOW)
    assert (a["published"], a["published_source"]) == ("2024-06-29T10:15:00+02:00", "meta")


def test_profile_missing_its_body_falls_back_to_generic_with_a_warning():
    broken = Profile(layout="test", content_css="div.news-item", body_css="div.tresc-artykulu",
                     title_css="h1.news-title")
    a = run(rules=SiteRules("testsite", (broken,)))
    assert a["extraction"]["method"] == "generic"
    assert a["extraction"]["profile"] == "testsite/test"
    assert a["extraction"]["warnings"] == ["profile found no body; generic extraction used"]
    assert "deinstytucjonalizacja usług społecznych" in a["text"]
    assert "Drukuj" not in a["text"] and "Powrót" not in a["text"]
    assert schema_errors(a) == []


def test_profile_body_far_shorter_than_generic_falls_back():
    long_body = "".join(f"<p>Akapit numer {i} opisuje przebieg spotkania, jego uczestników i "
                        f"wnioski, które z niego płyną dla pomocy społecznej w regionie.</p>"
                        for i in range(8))
    narrow = Profile(layout="test", content_css="div.news-item", body_css="p.lead",
                     title_css="h1.news-title")
    a = run(body=long_body, rules=SiteRules("testsite", (narrow,)))
    assert a["extraction"]["method"] == "generic"
    assert a["extraction"]["warnings"][0].startswith("profile body far shorter than generic")
    assert "Akapit numer 7" in a["text"]


def test_short_notice_stays_on_the_site_path():
    notice = "<p>W dniu 2 maja 2024 r. Ośrodek będzie nieczynny.</p>"
    a = run(body=notice)
    assert a["extraction"]["method"] == "site"
    assert a["text"] == "W dniu 2 maja 2024 r. Ośrodek będzie nieczynny."


def test_unknown_host_gets_the_generic_extractor():
    a = extract_article(PAGE.format(title=TITLE, body=BODY), "https://nieznany.example.pl/a/1")
    assert a["site"] == "generic"
    assert a["extraction"]["method"] == "generic" and a["extraction"]["profile"] is None
    assert a["title"] == TITLE
    assert "deinstytucjonalizacja" in a["text"]
    for chrome in ("Udostępnij", "Drukuj", "Powrót", "Autor:", "Jesteś tutaj", "cookie"):
        assert chrome not in a["text"]
    assert a["author"] == "Andrzej Barszcz"
    assert schema_errors(a) == []


@pytest.mark.parametrize("encoding", ["windows-1250", "iso-8859-2"])
def test_legacy_encodings_declared_in_meta_or_header(encoding):
    page = PAGE.replace('<meta charset="utf-8">',
                        f'<meta http-equiv="Content-Type" content="text/html; charset={encoding}">')
    raw = page.format(title="Zażółć gęślą jaźń", body=BODY).encode(encoding, "xmlcharrefreplace")
    from_meta = extract(raw, URL, RULES, now=NOW)
    from_header = extract(raw, URL, RULES, content_type=f"text/html; charset={encoding}", now=NOW)
    for a in (from_meta, from_header):
        assert a["title"] == "Zażółć gęślą jaźń"
        assert "społecznych" in a["text"]


def test_record_identity_and_hash():
    a = run()
    b = extract(PAGE.format(title=TITLE, body=BODY),
                "http://www.example.gov.pl/aktualnosci/konferencja?utm_source=fb#x", RULES,
                now=NOW)
    assert a["canonical_url"] == b["canonical_url"] == URL
    assert a["id"] == b["id"] and len(a["id"]) == 24
    assert a["content_hash"] == b["content_hash"]
    assert a["language"] == "pl"


def test_profile_author_and_source_elements_with_and_without_labels():
    page = PAGE.replace('<p class="news-date">', '<p class="byline">Jan Kowalski</p>'
                        '<p class="zrodlo">Źródło: UMWŁ</p><p class="news-date">')
    profile = Profile(layout="t", content_css="div.news-item", body_css="div.news-body",
                      title_css="h1.news-title", author_css="p.byline", source_css="p.zrodlo")
    a = extract(page.format(title=TITLE, body="<p>Jeden akapit treści artykułu.</p>"), URL,
                SiteRules("s", (profile,)), now=NOW)
    assert (a["author"], a["source"]) == ("Jan Kowalski", "UMWŁ")
    assert "Jan Kowalski" not in a["text"] and "UMWŁ" not in a["text"]


def test_inline_figure_caption_goes_to_images_not_to_text():
    body = ('<p>Pierwszy akapit relacji z wydarzenia w sali konferencyjnej urzędu.</p>'
            '<figure><a href="/upl/duze.jpg"><img src="/upl/male.jpg" alt="Sala"></a>'
            '<figcaption>Uczestnicy forum w sali obrad</figcaption></figure>'
            '<p>Drugi akapit relacji, już po przerwie kawowej.</p>')
    a = run(body=body)
    assert a["text"].split("\n\n") == [
        "Pierwszy akapit relacji z wydarzenia w sali konferencyjnej urzędu.",
        "Drugi akapit relacji, już po przerwie kawowej."]
    assert "<figcaption>Uczestnicy forum w sali obrad</figcaption>" in a["html"]
    assert a["images"] == [{"url": "https://example.gov.pl/upl/duze.jpg",
                            "thumbnail_url": "https://example.gov.pl/upl/male.jpg",
                            "caption": "Uczestnicy forum w sali obrad", "alt": "Sala"}]


def test_a_sidebar_time_element_is_not_the_publication_date():
    page = PAGE.replace("<aside>", '<aside><time datetime="2024-05-01">1 maja 2024</time>')
    profile = Profile(layout="t", content_css="div.news-item", body_css="div.news-body")
    a = extract(page.format(title=TITLE, body=BODY), URL, SiteRules("s", (profile,)), now=NOW)
    assert a["published"] is None
    inside = page.replace('<div class="news-body">',
                          '<time datetime="2024-06-30">30 czerwca 2024</time><div class="news-body">')
    b = extract(inside.format(title=TITLE, body=BODY), URL, SiteRules("s", (profile,)), now=NOW)
    assert (b["published"], b["published_source"]) == ("2024-06-30", "meta")


def test_generic_title_drops_only_the_site_name_segment():
    page = ('<html><head><title>Z wizytą u sąsiadów - system wsparcia rodzin - MCPS</title>'
            '</head><body><p>Tekst artykułu o wizycie, dość długi, by go rozpoznać jako treść '
            'artykułu, a nie menu strony.</p></body></html>')
    assert extract(page, "https://x.example.pl/1", None, now=NOW)["title"] == (
        "Z wizytą u sąsiadów - system wsparcia rodzin")


@pytest.mark.parametrize(("line", "author"), [
    ("nadkom. Anna Nowak", "nadkom. Anna Nowak"),
    ("mł. asp. Jan Kowalski, oficer prasowy KPP w Radomsku", "mł. asp. Jan Kowalski"),
    ("st. sierż. Piotr Zieliński-Nowak", "st. sierż. Piotr Zieliński-Nowak"),
    ("podinsp. Marek Wójcik / KPP Polkowice", "podinsp. Marek Wójcik"),
])
def test_police_sign_off_at_the_end_becomes_the_author(line, author):
    a = run(body=f"<p>{BODY.split('</p>')[0]}</p><p>{line}</p>")
    assert a["author"] == author
    assert line not in a["text"]


def test_a_rank_inside_the_text_is_not_a_sign_off():
    body = ("<p>kom. Jan Kowalski</p><p>Pierwszy akapit o spotkaniu z dzielnicowym.</p>"
            "<p>Drugi akapit.</p><p>Trzeci akapit zamykający tekst.</p>")
    a = run(body=body)
    assert a["author"] is None
    assert a["text"].startswith("kom. Jan Kowalski")


def test_a_directors_signature_block_becomes_the_author():
    body = (f"<p>{BODY.split('</p>')[0].removeprefix('<p>')}</p>"
            "<p>Jan Kowalewski<br>p.o. dyrektora MCPS</p>")
    a = run(body=body)
    assert a["author"] == "Jan Kowalewski"
    assert "dyrektora" not in a["text"]


def test_a_time_element_gives_its_exact_datetime():
    page = PAGE.replace('<p class="news-date">Dodano: 28 czerwca 2024</p>',
                        '<p class="news-date">Dodano: <time datetime="2024-06-28T09:15:00+00:00">'
                        '28 czerwca 2024</time></p>')
    a = extract(page.format(title=TITLE, body=BODY), URL, RULES, now=NOW)
    assert (a["published"], a["published_raw"], a["published_source"]) == (
        "2024-06-28T11:15:00+02:00", "2024-06-28T09:15:00+00:00", "page")


def test_generic_path_moves_a_file_list_from_text_to_attachments():
    body = (BODY.split("<p>Autor")[0] +
            '<ul><li><a href="/pliki/regulamin.pdf">Regulamin</a> (pdf, 212 kB)</li>'
            '<li><a href="/pliki/wniosek.docx">Wzór wniosku</a> (docx, 38 kB)</li></ul>'
            '<ul><li>Punkt zwykłej listy w treści artykułu</li>'
            '<li>z <a href="/pliki/a.pdf">linkiem</a> w środku</li><li>i bez</li></ul>')
    a = extract(PAGE.format(title=TITLE, body=body), "https://nieznany.example.pl/a/1", None,
                now=NOW)
    assert "Regulamin" not in a["text"] and "kB" not in a["text"]
    assert "- Punkt zwykłej listy w treści artykułu" in a["text"]
    assert [x["title"] for x in a["attachments"]][:2] == ["Regulamin", "Wzór wniosku"]


def test_whitespace_of_every_kind_collapses_in_text_and_html():
    # Source line breaks, tabs, no-break and other Unicode spaces, line separators and
    # invisible characters, as pasted from office documents; the spaces between inline
    # elements survive.
    body = ("<p>Ośrodek\u00a0zaprasza\n\t na <b>szkolenie</b>\u2003„Przemoc\u2028w rodzinie”"
            "\u200b – <a href='/plik.pdf'>program</a>\u202fszkolenia.   </p>" + BODY)
    record = run(body=body)
    assert record["text"].startswith(
        "Ośrodek zaprasza na szkolenie „Przemoc w rodzinie” – program szkolenia.\n")
    assert record["html"].startswith(
        '<p>Ośrodek zaprasza na <strong>szkolenie</strong> „Przemoc w rodzinie” – '
        '<a href="https://example.gov.pl/plik.pdf">program</a> szkolenia.</p>')
