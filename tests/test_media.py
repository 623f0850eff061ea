"""Unit tests for crawler.extract.media: gallery images and linked documents.

The snippets are small reconstructions of the markup documented in
docs/research/sites.md (MOPS Radomsko, police WebAdministrator, older MCPS site), plus the
usual lazy-loading and lightbox patterns.
"""

import lxml.html
import pytest

from crawler.extract.media import (
    ATTACHMENT_EXTENSIONS,
    collect_attachments,
    collect_images,
    is_placeholder_label,
)

MOPS_URL = (
    "http://mops-radomsko.pl/art,923,jubileuszowa-x-konferencja-organizowana-pod-haslem-"
    "oczekiwania-na-nowe-w-pomocy-spolecznej"
)
POLICE_URL = (
    "http://radomsko.policja.gov.pl/era/prewencja/aktywnosc-dzielnicowy/26359,"
    "Konferencja-otwierajaca-projekt-socjalny-Mamo-Tato-bycie-z-Toba-daje-moc.html"
)
MCPS_URL = (
    "http://www.mcps.com.pl/362-z-wizyta-u-naszych-sasiadow-poznajemy-system-wsparcia-rodzin-"
    "w-wojewodztwie-lodzkim"
)
EXAMPLE_URL = "https://rops.example.pl/aktualnosci/2023/konferencja/"


def roots(html, xpath="//body"):
    return lxml.html.document_fromstring(html).xpath(xpath)


def image(url, thumbnail_url=None, caption=None, alt=None):
    return {"url": url, "thumbnail_url": thumbnail_url, "caption": caption, "alt": alt}


def attachment(url, title, media_type):
    return {"url": url, "title": title, "media_type": media_type}


# --- images -------------------------------------------------------------------------------

MOPS_PAGE = """<html><body>
<div id="menu"><a href="/"><img src="/img/herb.png" alt="Herb Radomska" width="32"></a></div>
<div id="article">
  <h1>Jubileuszowa X Konferencja organizowana pod hasłem „Oczekiwania na NOWE w pomocy społecznej”</h1>
  <ul class="print">
    <li><a href="/drukuj/art,923">Drukuj zawartość bieżącej strony</a></li>
    <li><a href="/pdf/art,923">Zapisz tekst bieżącej strony do PDF</a></li>
  </ul>
  <p>28 czerwca 2024</p>
  <p>W dniu 27 czerwca 2024 r. odbyła się jubileuszowa X Konferencja…</p>
  <p class="autor">Autor: Andrzej Barszcz</p>
  <div class="galeria">
    <h3>Galeria</h3>
    <ul>
      <li><a href="/upload/galeria/923/duze/konferencja_1.jpg" rel="lightbox[galeria]" title="Powiększ zdjęcie"><img src="/upload/galeria/923/male/konferencja_1.jpg" alt="Powiększ zdjęcie"></a></li>
      <li><a href="/upload/galeria/923/duze/konferencja_2.jpg" rel="lightbox[galeria]" title="Powiększ zdjęcie"><img src="/upload/galeria/923/male/konferencja_2.jpg" alt="Powiększ zdjęcie"></a></li>
      <li><a href="/upload/galeria/923/duze/konferencja_3.jpg" rel="lightbox[galeria]" title="Powiększ zdjęcie"><img src="/upload/galeria/923/male/konferencja_3.jpg" alt="Powiększ zdjęcie"></a></li>
      <li><a href="/upload/galeria/923/duze/konferencja_4.jpg" rel="lightbox[galeria]" title="Powiększ zdjęcie"><img src="/upload/galeria/923/male/konferencja_4.jpg" alt="Powiększ zdjęcie"></a></li>
    </ul>
  </div>
</div>
</body></html>"""


def test_mops_gallery_keeps_full_size_links_and_drops_powieksz_zdjecie_labels():
    found = collect_images(roots(MOPS_PAGE, '//div[@id="article"]'), MOPS_URL)
    assert found == [
        image(
            f"http://mops-radomsko.pl/upload/galeria/923/duze/konferencja_{n}.jpg",
            f"http://mops-radomsko.pl/upload/galeria/923/male/konferencja_{n}.jpg",
        )
        for n in (1, 2, 3, 4)
    ]


def test_mops_page_has_no_attachments_despite_save_as_pdf_link():
    assert collect_attachments(roots(MOPS_PAGE, '//div[@id="article"]'), MOPS_URL) == []


def test_image_links_without_img_are_images_and_their_link_text_is_no_caption():
    html = """<body><div class="galeria"><h3>Galeria</h3><ul>
      <li><a href="/galeria/duze/1.jpg" data-lightbox="g">Powiększ zdjęcie</a></li>
      <li><a href="/galeria/duze/2.JPG?v=2" data-lightbox="g">Powiększ zdjęcie</a></li>
      <li><a href="/galeria/duze/3.jpg" data-lightbox="g" data-title="Laureaci konkursu">Powiększ zdjęcie</a></li>
      <li><a href="/galeria/index.html">Galeria</a></li>
    </ul></div></body>"""
    assert collect_images(roots(html), "http://mops-radomsko.pl/art,923,x") == [
        image("http://mops-radomsko.pl/galeria/duze/1.jpg"),
        image("http://mops-radomsko.pl/galeria/duze/2.JPG?v=2"),
        image("http://mops-radomsko.pl/galeria/duze/3.jpg", caption="Laureaci konkursu"),
    ]


POLICE_PAGE = """<html><body>
<div id="content">
  <article>
    <h2>Konferencja otwierająca projekt socjalny „Mamo, Tato – bycie z Tobą daje moc!”</h2>
    <ul class="tools"><li><a href="#" onclick="window.print()"><img src="/dokumenty/szablony/1/img/ico_print.png" width="16" height="16" alt="Drukuj"></a></li></ul>
    <p>11 maja 2018roku w Miejskim Ośrodku Pomocy Społecznej w Radomsku…</p>
    <p>Źródło: MOPS w Radomsku</p>
    <div class="gallery">
      <ul class="media-list">
        <li class="media"><a class="link2" href="/dokumenty/zalaczniki/160/160-104839_g.jpg" title="Konferencja otwierająca projekt socjalny"><div class="imgcontainer"><div class="imgwraper"><img class="img_item" src="/dokumenty/zalaczniki/160/mini/160-104839_mo14.jpg" alt="Konferencja otwierająca projekt socjalny"></div></div></a><strong>Konferencja otwierająca projekt socjalny</strong></li>
        <li class="media"><a class="link2" href="/dokumenty/zalaczniki/160/160-104840_g.jpg" title="Konferencja otwierająca projekt socjalny"><div class="imgcontainer"><div class="imgwraper"><img class="img_item" src="/dokumenty/zalaczniki/160/mini/160-104840_mo14.jpg" alt="Konferencja otwierająca projekt socjalny"></div></div></a><strong>Konferencja otwierająca projekt socjalny</strong></li>
        <li class="media"><a class="link2" href="/dokumenty/zalaczniki/160/160-104841_g.jpg"><div class="imgcontainer"><div class="imgwraper"><img class="img_item" src="/dokumenty/zalaczniki/160/mini/160-104841_mo14.jpg" alt="zdjęcie"></div></div><strong>Uczestnicy konferencji w sali MOPS</strong></a></li>
      </ul>
    </div>
    <div id="back-to-top"><a href="#page"><span class="sr-only">Powrót na górę strony</span></a></div>
  </article>
</div>
</body></html>"""


def test_police_baguettebox_gallery_maps_mini_thumbnails_to_g_originals():
    found = collect_images(roots(POLICE_PAGE, '//div[@id="content"]'), POLICE_URL)
    base = "http://radomsko.policja.gov.pl/dokumenty/zalaczniki/160"
    caption = "Konferencja otwierająca projekt socjalny"
    assert found == [
        image(f"{base}/160-104839_g.jpg", f"{base}/mini/160-104839_mo14.jpg", caption, caption),
        image(f"{base}/160-104840_g.jpg", f"{base}/mini/160-104840_mo14.jpg", caption, caption),
        image(
            f"{base}/160-104841_g.jpg",
            f"{base}/mini/160-104841_mo14.jpg",
            caption="Uczestnicy konferencji w sali MOPS",
        ),
    ]


MCPS_PAGE = """<html><head><base href="http://www.mcps.com.pl/"></head><body>
<div class="item-page">
  <p>W dniu 6 października 2017 roku w Bionanoparku w Łodzi odbyła się konferencja (…)</p>
  <p>
    <a href="images/aktualnosci/2017/10/1_0910.jpg" class="jcepopup" rel="lightbox[362]"><img src="images/aktualnosci/2017/10/thumbs/1_0910.jpg" alt="1 0910" width="200" height="133"></a>
    <a href="images/aktualnosci/2017/10/2_0910.jpg" class="jcepopup" rel="lightbox[362]"><img src="images/aktualnosci/2017/10/thumbs/2_0910.jpg" alt="2 0910" width="200" height="133"></a>
    <a href="images/aktualnosci/2017/10/3_0910.jpg" class="jcepopup" rel="lightbox[362]"><img src="images/aktualnosci/2017/10/thumbs/3_0910.jpg" alt="3 0910" width="200" height="133"></a>
    <a href="images/aktualnosci/2017/10/4_0910.jpg" class="jcepopup" rel="lightbox[362]"><img src="images/aktualnosci/2017/10/thumbs/4_0910.jpg" alt="4 0910" width="200" height="133"></a>
    <a href="images/aktualnosci/2017/10/5_0910.jpg" class="jcepopup" rel="lightbox[362]"><img src="images/aktualnosci/2017/10/thumbs/5_0910.jpg" alt="5 0910" width="200" height="133"></a>
  </p>
</div>
</body></html>"""


def test_mcps_file_name_alts_are_dropped_and_relative_urls_resolved_against_page_url():
    found = collect_images(roots(MCPS_PAGE, '//div[@class="item-page"]'), MCPS_URL)
    base = "http://www.mcps.com.pl/images/aktualnosci/2017/10"
    assert found == [
        image(f"{base}/{n}_0910.jpg", f"{base}/thumbs/{n}_0910.jpg") for n in range(1, 6)
    ]


LAZY_PAGE = """<html><body><div class="entry-content">
  <p><img class="lazyload" src="data:image/gif;base64,R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7"
          data-src="/wp-content/uploads/2023/05/konferencja-1.jpg" alt="Uczestnicy konferencji w Bionanoparku" width="800" height="533"></p>
  <p><img src="/wp-content/themes/rops/img/blank.gif" data-lazy-src="/wp-content/uploads/2023/05/konferencja-2.jpg" alt="IMG_1234"></p>
  <p><img src="/wp-content/themes/rops/img/loading.gif"
          data-srcset="/wp-content/uploads/2023/05/sala-400.jpg 400w, /wp-content/uploads/2023/05/sala-1600.jpg 1600w, /wp-content/uploads/2023/05/sala-800.jpg 800w"
          alt="Sala obrad"></p>
  <p><img class="lazy" src="data:image/svg+xml,%3Csvg%20xmlns='http://www.w3.org/2000/svg'%3E%3C/svg%3E"><noscript><img src="/wp-content/uploads/2023/05/dyplomy.jpg" alt="Wręczenie dyplomów"></noscript></p>
  <p><img src="/wp-content/uploads/2023/05/panel-300x200.jpg"
          srcset="/wp-content/uploads/2023/05/panel-300x200.jpg 300w, /wp-content/uploads/2023/05/panel-1024x683.jpg 1024w, /wp-content/uploads/2023/05/panel.jpg 2048w"
          alt="Panel dyskusyjny" width="300" height="200"></p>
  <p><img src="data:image/gif;base64,R0lGODlhAQABAAAAACw=" data-src="/wp-content/uploads/2023/05/warsztaty.jpg" alt="Warsztaty">
     <noscript><img src="/wp-content/uploads/2023/05/warsztaty-1024x683.jpg" alt="Warsztaty"></noscript></p>
  <p><img src="/foto/wicemarszalek.jpg" srcset="/foto/wicemarszalek.jpg 1x, /foto/wicemarszalek@2x.jpg 2x" alt="Marta Malec-Lech z zarządu województwa"></p>
</div></body></html>"""


def test_lazy_images_data_src_srcset_and_noscript():
    found = collect_images(roots(LAZY_PAGE), EXAMPLE_URL)
    up = "https://rops.example.pl/wp-content/uploads/2023/05"
    assert found == [
        image(f"{up}/konferencja-1.jpg", alt="Uczestnicy konferencji w Bionanoparku"),
        image(f"{up}/konferencja-2.jpg"),
        image(f"{up}/sala-1600.jpg", alt="Sala obrad"),
        image(f"{up}/dyplomy.jpg", alt="Wręczenie dyplomów"),
        image(f"{up}/panel.jpg", f"{up}/panel-300x200.jpg", alt="Panel dyskusyjny"),
        image(f"{up}/warsztaty.jpg", alt="Warsztaty"),
        image(
            "https://rops.example.pl/foto/wicemarszalek@2x.jpg",
            "https://rops.example.pl/foto/wicemarszalek.jpg",
            alt="Marta Malec-Lech z zarządu województwa",
        ),
    ]


def test_noscript_given_as_raw_text_is_parsed():
    # Parsers other than libxml2 keep noscript content as text; simulate that.
    (body,) = roots(
        '<body><p><img class="lazy" src="/img/lazy-placeholder.gif">'
        '<noscript><img src="/foto/dyplomy.jpg" alt="Wręczenie dyplomów"></noscript></p></body>'
    )
    noscript = body.find(".//noscript")
    for child in list(noscript):
        noscript.remove(child)
    noscript.text = '<img src="/foto/dyplomy.jpg" alt="Wręczenie dyplomów">'
    assert collect_images([body], EXAMPLE_URL) == [
        image("https://rops.example.pl/foto/dyplomy.jpg", alt="Wręczenie dyplomów")
    ]


def test_lightbox_gallery_with_thumbnails_and_caption_sources():
    html = """<body><div class="article">
      <figure><a href="/foto/1.jpg" data-fancybox="g" title="Powiększ zdjęcie"><img src="/foto/m/1.jpg" title="Sala"></a>
        <figcaption>  Marta Malec-Lech
          z zarządu województwa </figcaption></figure>
      <a href="/foto/2.jpg" class="baguetteBox" title="Zobacz zdjęcie" data-caption="Laureaci konkursu"><img src="/foto/m/2.jpg" title="Scena"></a>
      <a href="/foto/3.jpg" rel="lightbox[g]"><img src="/foto/m/3.jpg" title="Wręczenie nagród" alt="$image_alt"></a>
      <a href="/foto/4.jpg" class="gallery-item"><img src="/foto/m/4.jpg" alt="DSC01234"> Jan Kowalski, dyrektor MCPS</a>
      <a href="/foto/5.png"><img src="/foto/5.png" alt=""></a>
    </div></body>"""
    assert collect_images(roots(html), "https://www.malopolska.pl/aktualnosci/x") == [
        image("https://www.malopolska.pl/foto/1.jpg", "https://www.malopolska.pl/foto/m/1.jpg",
              caption="Marta Malec-Lech z zarządu województwa"),
        image("https://www.malopolska.pl/foto/2.jpg", "https://www.malopolska.pl/foto/m/2.jpg",
              caption="Laureaci konkursu"),
        image("https://www.malopolska.pl/foto/3.jpg", "https://www.malopolska.pl/foto/m/3.jpg",
              caption="Wręczenie nagród"),
        image("https://www.malopolska.pl/foto/4.jpg", "https://www.malopolska.pl/foto/m/4.jpg",
              caption="Jan Kowalski, dyrektor MCPS"),
        image("https://www.malopolska.pl/foto/5.png"),
    ]


def test_relative_urls_are_made_absolute():
    html = """<body>
      <img src="../galeria/a.jpg?w=800" width="800">
      <img src="  //static.example.pl/img/b.jpg  ">
      <img src="c.jpg#top">
      <img src="/d%C5%BCwig.jpg">
      <img src="http://inna.example.pl/e.jpg">
    </body>"""
    assert collect_images(roots(html), EXAMPLE_URL) == [
        image("https://rops.example.pl/aktualnosci/2023/galeria/a.jpg?w=800"),
        image("https://static.example.pl/img/b.jpg"),
        image("https://rops.example.pl/aktualnosci/2023/konferencja/c.jpg"),
        image("https://rops.example.pl/d%C5%BCwig.jpg"),
        image("http://inna.example.pl/e.jpg"),
    ]


def test_duplicates_are_merged_in_first_position():
    html = """<body><div class="article">
      <p><img src="/media/mini/a.jpg" alt="Jan Kowalski, dyrektor MCPS"></p>
      <div class="gallery">
        <a href="/media/big/a.jpg" data-lightbox="g"><img src="/media/mini/a.jpg"></a>
        <a href="/media/big/b.jpg" data-lightbox="g" title="Sala obrad"><img src="/media/mini/b.jpg"></a>
        <a href="/media/big/b.jpg" data-lightbox="g"><img src="/media/mini/b.jpg" alt="Radni sejmiku"></a>
        <a href="/media/big/c.jpg" data-lightbox="g">Powiększ zdjęcie</a>
      </div>
      <p><img src="/media/mini/b.jpg" alt="Inny opis"></p>
      <p><img src="/media/big/a.jpg" title="Późny podpis"></p>
      <p><a href="/media/big/c.jpg"><img src="/media/mini/c.jpg"></a></p>
    </div></body>"""
    h = "https://rops.example.pl/media"
    assert collect_images(roots(html), EXAMPLE_URL) == [
        image(f"{h}/big/a.jpg", f"{h}/mini/a.jpg", "Późny podpis", "Jan Kowalski, dyrektor MCPS"),
        image(f"{h}/big/b.jpg", f"{h}/mini/b.jpg", "Sala obrad", "Radni sejmiku"),
        image(f"{h}/big/c.jpg", f"{h}/mini/c.jpg"),
    ]


def test_decorative_images_are_skipped():
    html = """<body>
      <img src="/icons/pdf.svg" alt="PDF">
      <img src="/img/ico_print.png" width="16" height="16" alt="Drukuj">
      <img src="/img/spacer.gif" alt="">
      <img src="/img/separator.png" role="presentation">
      <img src="/img/strzalka.png" aria-hidden="true">
      <img src="/img/fb.png" height="24px" alt="Facebook">
      <img src="/img/pixel.png">
      <a href="/foto/duze/7.jpg" class="fancybox"><img src="/img/zoom.svg" alt="zoom"></a>
      <img src="/foto/sala.jpg" width="640" height="480" alt="Sala konferencyjna">
    </body>"""
    assert collect_images(roots(html), EXAMPLE_URL) == [
        image("https://rops.example.pl/foto/duze/7.jpg"),
        image("https://rops.example.pl/foto/sala.jpg", alt="Sala konferencyjna"),
    ]


def test_page_order_follows_documents_and_roots_order():
    html = """<body>
      <div id="lead"><img src="/f/lead.jpg" alt="Wicemarszałek"></div>
      <div id="body">
        <p><img src="/f/1.jpg"></p>
        <p><a href="/f/2.jpg">Zdjęcie</a></p>
        <p><a href="/f/3.jpg"><img src="/f/m/3.jpg"></a></p>
        <p><img src="/f/4.jpg"></p>
      </div>
    </body>"""
    doc = lxml.html.document_fromstring(html)
    lead, body = doc.get_element_by_id("lead"), doc.get_element_by_id("body")
    urls = [i["url"] for i in collect_images([body, lead], "http://x.pl/")]
    assert urls == [
        "http://x.pl/f/1.jpg", "http://x.pl/f/2.jpg", "http://x.pl/f/3.jpg",
        "http://x.pl/f/4.jpg", "http://x.pl/f/lead.jpg",
    ]


# --- labels -------------------------------------------------------------------------------

PLACEHOLDERS = [
    "Powiększ zdjęcie", "Powiększ", "Zdjęcie", "Zobacz zdjęcie", "Galeria", "Galeria zdjęć",
    "GALERIA", "zoom", "image", "foto", "$image_alt", "  powiększ   ZDJĘCIE ",
    "1 0910", "2 0910", "3 0910", "4 0910", "5 0910",
    "2019 12 19 rada seniorow ef 02", "2019 07 10 posiedzenie konwentu 02 aa",
    "4G8A3803", "1-1", "2-2", "IMG_1234", "DSC01234", "P1010123.JPG", "P1010123",
    "wyzwania-pomoc-spoleczna-16523-1671200091.jpg", "konferencja.png", "Zdjęcie 3",
]
REAL_CAPTIONS = [
    "Marta Malec-Lech z zarządu województwa", "Uczestnicy konferencji w Bionanoparku",
    "Jan Kowalski, dyrektor MCPS", "10 grudnia 2019", "2019 12 19 Rada Seniorów w Krakowie",
    "Fot. arch. MCPS", "Kraków", None, "",
]


@pytest.mark.parametrize("label", PLACEHOLDERS)
def test_placeholder_labels(label):
    assert is_placeholder_label(label) is True


@pytest.mark.parametrize("label", REAL_CAPTIONS)
def test_real_captions_are_not_placeholders(label):
    assert is_placeholder_label(label) is False


# --- attachments --------------------------------------------------------------------------

ATTACHMENTS_PAGE = """<html><body><div class="tresc">
  <p>Zapraszamy do zapoznania się z <a href="/aktualnosci/regulamin.html">zasadami</a>.</p>
  <a href="/upload/plan.pdf"><img src="/img/ico-pdf.png" alt="PDF" width="16"></a>
  <a href="/upload/plan.pdf">Plan pracy na 2024 rok</a>
  <ul class="zalaczniki">
    <li><a href="/upload/Regulamin%20konkursu.pdf">Regulamin konkursu (PDF, 1,2 MB)</a></li>
    <li><a href="/upload/formularz.docx?v=3">Formularz zgłoszeniowy - plik DOCX 120 kB</a></li>
    <li><a href="/dokumenty/zalaczniki/160/160-104850.pdf">Ulotka projektu [pdf 245 KB]</a></li>
    <li><a href="/upload/program.odt" title="Program konferencji">Pobierz</a></li>
    <li><a href="/upload/Lista%20uczestnik%C3%B3w.xlsx">pobierz plik</a></li>
    <li><a href="files/sprawozdanie_2023.PDF">Do pobrania (PDF, 300 KB)</a></li>
    <li><a href="/upload/prezentacja.pptx">Prezentacja.pptx 3.4MB</a></li>
    <li><a href="/upload/zdjecia.zip">Zdjęcia
        z konferencji (zip)</a></li>
    <li><a href="/upload/dane.csv#arkusz">Dane do raportu</a></li>
  </ul>
  <a href="/upload/Regulamin%20konkursu.pdf">Regulamin</a>
  <a href="/dokumenty/zalaczniki/160/160-104839_g.jpg">Zdjęcie</a>
  <a href="/pdf/art,923">Zapisz tekst bieżącej strony do PDF</a>
</div></body></html>"""


def test_attachments_titles_media_types_and_order():
    found = collect_attachments(roots(ATTACHMENTS_PAGE), "http://mops-radomsko.pl/art,923,x")
    h = "http://mops-radomsko.pl"
    assert found == [
        attachment(f"{h}/upload/plan.pdf", "Plan pracy na 2024 rok", "application/pdf"),
        attachment(f"{h}/upload/Regulamin%20konkursu.pdf", "Regulamin konkursu", "application/pdf"),
        attachment(
            f"{h}/upload/formularz.docx?v=3", "Formularz zgłoszeniowy",
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        ),
        attachment(f"{h}/dokumenty/zalaczniki/160/160-104850.pdf", "Ulotka projektu",
                   "application/pdf"),
        attachment(f"{h}/upload/program.odt", "Program konferencji",
                   "application/vnd.oasis.opendocument.text"),
        attachment(
            f"{h}/upload/Lista%20uczestnik%C3%B3w.xlsx", "Lista uczestników.xlsx",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        ),
        attachment(f"{h}/files/sprawozdanie_2023.PDF", "sprawozdanie_2023.PDF", "application/pdf"),
        attachment(
            f"{h}/upload/prezentacja.pptx", "Prezentacja",
            "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        ),
        attachment(f"{h}/upload/zdjecia.zip", "Zdjęcia z konferencji", "application/zip"),
        attachment(f"{h}/upload/dane.csv", "Dane do raportu", "text/csv"),
    ]


@pytest.mark.parametrize(
    ("text", "title"),
    [
        ("Regulamin (PDF, 1,2 MB)", "Regulamin"),
        ("Regulamin [pdf 245 KB]", "Regulamin"),
        ("Regulamin - plik PDF 120 kB", "Regulamin"),
        ("Regulamin (pdf)", "Regulamin"),
        ("regulamin.pdf 1.2MB", "regulamin"),
        ("Regulamin (rozmiar: 1,5 MB)", "Regulamin"),
        ("Regulamin (wersja 2)", "Regulamin (wersja 2)"),
        ("Załącznik nr 1 (docx, 35 KB)", "Załącznik nr 1"),
        ("Pobierz plik PDF", "Wniosek.pdf"),
        ("Do pobrania", "Wniosek.pdf"),
        ("Pobierz", "Wniosek.pdf"),
    ],
)
def test_attachment_title_cleanup(text, title):
    (body,) = roots(f'<body><a href="/upload/Wniosek.pdf">{text}</a></body>')
    assert collect_attachments([body], "http://x.pl/") == [
        attachment("http://x.pl/upload/Wniosek.pdf", title, "application/pdf")
    ]


def test_attachment_extension_table_is_complete():
    assert sorted(ATTACHMENT_EXTENSIONS) == sorted(
        "pdf doc docx odt ods odp rtf xls xlsx ppt pptx zip 7z rar txt csv".split()
    )
    assert ATTACHMENT_EXTENSIONS["doc"] == "application/msword"
    assert ATTACHMENT_EXTENSIONS["ods"] == "application/vnd.oasis.opendocument.spreadsheet"
    assert ATTACHMENT_EXTENSIONS["xls"] == "application/vnd.ms-excel"
    links = "".join(f'<a href="/f/plik.{e.upper()}?x=1">Plik {e}</a>' for e in ATTACHMENT_EXTENSIONS)
    found = collect_attachments(roots(f"<body>{links}</body>"), "http://x.pl/")
    assert [a["media_type"] for a in found] == list(ATTACHMENT_EXTENSIONS.values())


def test_every_link_of_a_declared_attachments_block_counts():
    root = lxml.html.fromstring(
        '<div class="filesWrapper"><ul>'
        '<li><a href="index.php?c=getfile&amp;id=57">Wniosek o świadczenie</a> (PDF, 245 KB)</li>'
        '<li><a href="index.php?c=getfile&amp;id=58">Regulamin (DOCX, 20 KB)</a></li>'
        '<li><a href="index.php?c=getfile&amp;id=59">Klauzula informacyjna</a></li>'
        '</ul></div>')
    assert collect_attachments([], "http://mops.example.pl/art,1,a", declared=[root]) == [
        {"url": "http://mops.example.pl/index.php?c=getfile&id=57",
         "title": "Wniosek o świadczenie", "media_type": "application/pdf"},
        {"url": "http://mops.example.pl/index.php?c=getfile&id=58", "title": "Regulamin",
         "media_type": "application/vnd.openxmlformats-officedocument.wordprocessingml.document"},
        {"url": "http://mops.example.pl/index.php?c=getfile&id=59",
         "title": "Klauzula informacyjna", "media_type": "application/octet-stream"},
    ]
    # Outside a declared block the same links are not documents.
    assert collect_attachments([root], "http://mops.example.pl/art,1,a") == []


def test_ui_words_glued_before_a_real_caption_are_dropped():
    root = lxml.html.fromstring(
        '<div><a href="/g/1.jpg"><img src="/g/m1.jpg" alt="Powiększ zdjęcie Otwarcie konferencji">'
        '</a><a href="/g/2.jpg"><img src="/g/m2.jpg" alt="Powiększ zdjęcie"></a></div>')
    images = collect_images([root], "http://x.pl/")
    assert [(i["alt"], i["caption"]) for i in images] == [("Otwarcie konferencji", None),
                                                         (None, None)]


def test_classic_wordpress_gallery_and_caption_boxes():
    root = lxml.html.fromstring(
        '<div><dl class="gallery-item"><dt class="gallery-icon"><a href="/up/duze1.jpg">'
        '<img src="/up/male1.jpg" alt="DSC_0415"></a></dt>'
        '<dd class="wp-caption-text gallery-caption">Uczestnicy szkolenia</dd></dl>'
        '<div class="wp-caption"><img src="/up/plakat.jpg" alt="Plakat" width="300">'
        '<p class="wp-caption-text">Plakat wydarzenia</p></div></div>')
    assert [(i["url"], i["caption"]) for i in collect_images([root], "http://x.pl/")] == [
        ("http://x.pl/up/duze1.jpg", "Uczestnicy szkolenia"),
        ("http://x.pl/up/plakat.jpg", "Plakat wydarzenia")]


def test_template_graphics_are_not_article_images():
    root = lxml.html.fromstring(
        '<div><ul class="printers"><li><a href="#"><img src="/templates/mops/images/butPDF.png" '
        'alt="Zapisz tekst bieżącej strony do PDF"></a></li></ul>'
        '<img src="/templates/mops/images/logo.png" alt="MOPS">'
        '<img src="/img/fb_icon.gif" alt="Facebook">'
        '<img src="/files/pl/konferencja-2024.jpg" alt="Sala"></div>')
    assert [i["url"] for i in collect_images([root], "http://x.pl/")] == [
        "http://x.pl/files/pl/konferencja-2024.jpg"]


def test_a_link_python_cannot_parse_does_not_fail_the_page():
    """Found by the fuzzer: an unclosed IPv6 bracket makes urljoin raise ValueError."""
    from crawler.extract import extract

    html = ("<html><body><article><h1>Tytuł</h1><p>Tekst artykułu o pomocy społecznej, "
            'z linkiem <a href="https://[::1">do strony</a> i obrazem.</p>'
            '<a href="https://[::1/duze.jpg"><img src="https://[::1/male.jpg"></a>'
            "</article></body></html>")
    record = extract(html.encode(), "https://example.org/a")
    assert "z linkiem do strony i obrazem" in record["text"]
    assert "[::1" not in record["html"] and record["images"] == []
