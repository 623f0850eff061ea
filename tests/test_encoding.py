"""Polish pages under lying or missing charset declarations decode to the right text."""

from __future__ import annotations

import pytest

from crawler.extract import ExtractionError, decode_html, extract
from crawler.extract.encoding import sniff

POLISH = "Zażółć gęślą jaźń. ŚWIĘTO ŹRÓDEŁ, Ąą Śś Źź"
TEXT = POLISH + " – „cytat”"  # the dash and quotes are not in ISO-8859-2
PAGE = '<html><head>{meta}</head><body><p>{text}</p></body></html>'


def page(encoding: str, meta: str | None) -> bytes:
    html = PAGE.format(meta=f'<meta charset="{meta}">' if meta else "", text=TEXT)
    return html.encode(encoding, errors="xmlcharrefreplace")


@pytest.mark.parametrize(("body_encoding", "header", "meta", "expected"), [
    ("utf-8", "text/html; charset=utf-8", "utf-8", "utf-8"),           # honest
    ("cp1250", "text/html; charset=windows-1250", "windows-1250", "cp1250"),
    ("iso-8859-2", "text/html; charset=ISO-8859-2", None, "iso8859-2"),
    ("utf-8", "text/html; charset=ISO-8859-1", "utf-8", "utf-8"),     # AddDefaultCharset
    ("cp1250", "text/html; charset=utf-8", "windows-1250", "cp1250"),  # server default
    ("cp1250", "text/html", None, "cp1250"),                          # nothing declared
    ("iso-8859-2", "text/html", None, "iso8859-2"),
    ("iso-8859-2", "text/html; charset=ISO-8859-1", None, "iso8859-2"),
    ("utf-8", None, None, "utf-8"),
])
def test_the_encoding_polish_text_was_written_in_is_found(body_encoding, header, meta,
                                                          expected):
    body = page(body_encoding, meta)
    assert sniff(body, header) == expected
    assert POLISH in decode_html(body, header)
    # Extraction reads UTF-8 bodies without decoding them first: the same text either way.
    assert POLISH in extract(body, "https://ops.example.pl/a/1", content_type=header)["text"]


@pytest.mark.parametrize("body", [
    f"\ufeff<html><body><p>{TEXT}</p></body></html>".encode(),  # BOM
    f"<html><body><p>{TEXT}\x0c</p></body></html>".encode(),   # a C0 control
])
def test_utf8_pages_with_a_bom_or_control_characters_extract(body):
    record = extract(body, "https://ops.example.pl/a/1", content_type="text/html")
    assert record["text"].startswith(POLISH)


@pytest.mark.parametrize("body", [b"", b"   \r\n\t ", "\u00a0\u2003".encode("utf-8")])
def test_an_empty_page_is_refused_as_empty(body):
    with pytest.raises(ExtractionError, match="the page is empty"):
        extract(body, "https://ops.example.pl/a/1", content_type="text/html; charset=utf-8")


def test_ascii_pages_follow_the_declaration():
    assert sniff(b"<html><body>abc</body></html>", "text/html; charset=windows-1250") == "cp1250"


@pytest.mark.parametrize(("body", "kind"), [
    (b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n", "PDF"),
    (b"\x89PNG\r\n\x1a\n" + b"IHDR" * 10, "PNG"),
    (b"\xff\xd8\xff\xe0" + b"JFIF" * 10, "JPEG"),
    (b"PK\x03\x04" + b"word/document.xml" * 3, "ZIP/Office"),
])
def test_binary_files_served_as_html_are_refused(body, kind):
    with pytest.raises(ExtractionError, match=f"binary content: {kind}"):
        decode_html(body, "text/html; charset=utf-8")
    with pytest.raises(ExtractionError, match=f"binary content: {kind}"):
        extract(body, "https://ops.example.pl/a/1", content_type="text/html; charset=utf-8")
