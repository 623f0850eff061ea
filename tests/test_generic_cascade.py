"""The generic path's block rules, the standfirst, the encoding rule and the retry of a
body far shorter than the page's own text, each on a small page."""

from __future__ import annotations

from crawler.extract import extract
from crawler.extract.document import parse_document
from crawler.extract.encoding import sniff
from crawler.extract.fallback import keep_block, standfirst
from crawler.extract.text import Block

URL = "https://ops.example.pl/aktualnosci/1"
PROSE = ("Ośrodek Pomocy Społecznej zaprasza mieszkańców gminy na spotkanie informacyjne "
         "o nowych zasadach przyznawania świadczeń dla seniorów i osób z niepełnosprawnościami. ")


def test_a_short_link_dense_block_is_dropped_a_sentence_with_a_link_kept():
    teaser = Block("p", '<p>Czytaj także: <a href="/a/2">Nowe zasady dodatku osłonowego</a></p>',
                   "Czytaj także: Nowe zasady dodatku osłonowego")
    sentence = Block("p", '<p>Wniosek można pobrać <a href="/w.pdf">tutaj</a> lub w sekretariacie '
                     'ośrodka przy ulicy Długiej.</p>',
                     "Wniosek można pobrać tutaj lub w sekretariacie ośrodka przy ulicy Długiej.")
    assert not keep_block(teaser)
    assert keep_block(sentence)


def test_credit_and_copyright_lines_are_dropped():
    for line in ("Fot. Jan Kowalski", "© 2024 Urząd Miasta", "Photo: Reuters",
                 "Źródło zdjęcia: archiwum OPS"):
        assert not keep_block(Block("p", f"<p>{line}</p>", line)), line
    assert keep_block(Block("p", "<p>Fotografie z wydarzenia wkrótce.</p>",
                            "Fotografie z wydarzenia wkrótce."))


def test_the_standfirst_shown_in_the_page_is_restored():
    lead = "Seniorzy z gminy mogą od marca korzystać z nowej usługi teleopiekuńczej."
    page = (f'<html><head><meta name="description" content="{lead[:50]}..."></head><body>'
            f'<header><h1>Teleopieka</h1><p class="lead">{lead}</p></header>'
            f'<article><p>{PROSE}</p></article></body></html>')
    assert standfirst(parse_document(page), PROSE) == lead
    assert standfirst(parse_document(page), lead + " " + PROSE) is None


def test_a_utf8_page_with_one_stray_byte_stays_utf8_a_cp1250_body_does_not():
    text = ("<html><head><meta charset='utf-8'></head><body><p>" + PROSE * 3 +
            "</p></body></html>")
    stray = text.encode("utf-8").replace(b"</p>", b"\xff</p>", 1)
    assert sniff(stray, "text/html; charset=utf-8") == "utf-8"
    record = extract(stray, URL, content_type="text/html; charset=utf-8")
    assert "niepełnosprawnościami" in record["text"]
    cp1250 = text.replace("utf-8", "windows-1250").encode("cp1250")
    assert sniff(cp1250, "text/html; charset=utf-8") == "cp1250"
    undeclared = text.replace("<meta charset='utf-8'>", "").encode("cp1250")
    assert sniff(undeclared, "text/html; charset=utf-8") == "cp1250"


def test_an_empty_generic_body_is_retried_and_warned_about():
    # The article's paragraphs sit in a table cell among link lists, where trafilatura
    # finds little; the page's own run of prose is much longer.
    paragraphs = "".join(f"<p>{PROSE}{i}</p>" for i in range(8))
    page = (f"<html><body><table><tr><td><a href='/'>Start</a></td>"
            f"<td class='x'>{paragraphs}</td></tr></table></body></html>")
    record = extract(page.encode("utf-8"), URL)
    assert "zaprasza mieszkańców" in record["text"]
    warnings = record["extraction"]["warnings"]
    if len(record["text"]) < 400:
        assert any("read again" in w for w in warnings)


def test_a_page_with_no_text_says_so():
    record = extract(b"<html><body><div><img src='/baner.png'></div></body></html>", URL)
    assert record["text"] == ""
    assert any("generic body empty" in w for w in record["extraction"]["warnings"])
