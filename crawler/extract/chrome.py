"""Page chrome, kept as data: what is never part of an article on these sites.

Three kinds of rule, applied by ``crawler.extract.clean`` (which states none of its
own: ``strip_chrome`` and the text bound the cascade measures with both read them here):

* ``CHROME_TAGS`` and ``CHROME_SELECTORS``: DOM rules (semantic elements, ARIA roles,
  screen-reader-only text, skip links).
* ``CHROME_CLASS_TOKENS``: words that, as a token of an element's class or id, mark a
  widget (cookie banner, share bar, calendar...). Tokens, not substrings, so that
  ``class="printable-content"`` is not taken for a print button; and not on an element
  holding more than ``CLASS_TOKEN_MAX_SHARE`` of the text.
* ``CHROME_PHRASES`` / ``CHROME_PATTERNS``: the Polish vocabulary of
  shared/research/sites.md section 9. An element (of ``PHRASE_TAGS``) whose whole text
  is one of these is chrome wherever it sits, inside the content container included; so
  is a block (``SEPARATOR_TAGS``) left holding only separators.

Add a string here, not in a spider, when a second site shows it.
"""

from __future__ import annotations

import re

CHROME_TAGS = ("nav", "header", "footer", "aside", "address", "form", "button", "select",
               "input", "textarea", "label", "script", "style", "noscript", "template", "iframe",
               "object", "embed", "svg", "canvas", "map", "dialog", "link", "meta")

CHROME_SELECTORS = (
    "[role=navigation]", "[role=banner]", "[role=contentinfo]", "[role=complementary]",
    "[role=search]", "[role=dialog]", "[role=alertdialog]", "[role=toolbar]", "[role=menu]",
    "[role=menubar]", "[aria-hidden=true]",
    # Screen-reader-only text: "Powrót na górę strony", "(otwiera się w nowym oknie)".
    ".sr-only", ".visually-hidden", ".screen-reader-text", ".element-invisible", ".hidden",
    # Back-to-top anchors (WebAdministrator: div#back-to-top > a[href="#page"]).
    "a[href='#top']", "a[href='#page']", "a[href='#']",
)

CHROME_CLASS_TOKENS = frozenset({
    # cookies / consent
    "cookie", "cookies", "cookiebar", "consent", "rodo", "gdpr",
    # accessibility toolbars and skip links
    "skip", "skiplinks", "skiplink", "wcag", "accessibility", "dostepnosc", "kontrast",
    "contrast", "fontsize", "font", "czcionka", "a11y",
    # navigation
    "breadcrumb", "breadcrumbs", "okruszki", "sciezka", "menu", "navbar", "nav",
    "navigation", "pagination", "pager", "sidebar", "submenu", "topbar",
    # print / share / toolbars
    "share", "sharing", "social", "socials", "print", "drukuj", "toolbar", "tools",
    "narzedzia", "addthis", "sharethis",
    # calendars, banners, related
    "calendar", "kalendarz", "kalendarium", "banner", "banery", "banners", "related",
    "powiazane", "comments", "komentarze", "newsletter", "search", "szukaj", "wyszukiwarka",
    # back to top
    "totop", "backtotop", "gotop", "scrollup",
    # the institution's address block beside the article
    "adres", "address",
    # page footers, visitor counters, BIP metadata blocks, partner/EU logo strips
    "stopka", "licznik", "counter", "metryczka", "metryka", "partnerzy", "partners",
    "logotypy", "sponsorzy",
})
# A class-token match is ignored on an element holding more than this share of the text
# the DOM rules leave: a wrapper named "page-with-sidebar" is not a sidebar.
CLASS_TOKEN_MAX_SHARE = 0.5

# Whole-text matches (compared case-insensitively after whitespace normalisation).
CHROME_PHRASES = frozenset(p.casefold() for p in (
    # skip links / accessibility
    "Przejdź do informacji o dostępności", "Przejdź do strony głównej", "Przeskocz do menu",
    "Przeskocz za menu", "Przeskocz do głównej treści", "Przejdź do mapy strony",
    "Przejdź do menu głównego", "Przejdź do treści", "Przejdź do głównej treści",
    "Przejdź do wyszukiwarki", "Przejdź do menu", "Skip to content", "Skip to main content",
    "Przeskocz do treści", "Primary Menu", "Post navigation", "Nawigacja wpisu",
    "Mapa strony", "Mapa serwisu", "Wersja tekstowa", "Wersja testowa", "Kontrast",
    "Kontrast: wersja domyslna wersja kontrastowa", "wersja kontrastowa", "powiększ czcionkę",
    "Czcionka", "Czcionka domyślna", "Czcionka średnia", "Czcionka duża", "Czcionka: A A+ A++",
    "Rozmiar czcionki", "A A A", "Zmiana rozmiaru czcionki: A A A", "Powiększ Zwykły Pomniejsz",
    "Kontakt dla osób niesłyszących", "Włącz podkreślenie linków", "Wyłącz podkreślenie linków",
    "Ułatwienia dostępu", "Skróty klawiszowe:", "Deklaracja dostępności",
    "Please ensure Javascript is enabled for purposes of website accessibility",
    # navigation
    "Strona główna", "Aktualności", "Artykuły", "Artykuły z kategorii",
    "Kategoria: Aktualności", "Top menu", "Menu", "Menu Zamknij", "Zamknij menu",
    "AktualnościSzkoleniaDoradztwoGaleriaFAQKalendarium szkoleń", "Sprawdź ofertę szkoleń",
    "Najbliższe wydarzenia", "Informacje", "Informacja", "Tagi", "Tagi:",
    # print / share / toolbar
    "Drukuj zawartość bieżącej strony", "Zapisz tekst bieżącej strony do PDF", "Drukuj",
    "Generuj PDF", "Powiadom", "Wyślij znajomemu", "Udostępnij na Facebook",
    "Udostępnij na Twitter", "Udostępnij", "Udostępnij:", "Podziel się:", "Pobierz", "wstecz",
    "<<< wstecz", "Powrót",
    "do góry", "Wersja do druku", "Zapisz jako PDF",
    # back to top / end of page
    "Powrót na górę strony", "Mapa dojazdu", "Na górę",
    # calendars
    "Załaduj kalendarz", "KALENDARIUM", "Ni Po Wt Śr Cz Pi So", "Ukryj kalendarium",
    "Kalendarz",
    # listing / read-more
    "Czytaj więcej...", "Czytaj więcej", "Czytaj więcej »", "Czytaj dalej", "pokaż więcej",
    "Zobacz również", "Zobacz Także", "więcej »", "więcej", "Inne artykuły",
    # gallery headings and link texts
    "Galeria", "Galeria zdjęć", "Galerie", "Powiększ zdjęcie", "Zdjęcia:", "Fotorelacja tutaj",
    "Fotorelacja:", "Multimedia", "$image_alt",
    # archive banners
    "Strona znajduje się w archiwum.", "Uwaga! To jest archiwalna wersja serwisu.",
    "Jesteś w zasobie archiwalnym naszego portalu.",
    # cookies / JS
    "Ten adres pocztowy jest chroniony przed spamowaniem. Aby go zobaczyć, konieczne jest "
    "włączenie w przeglądarce obsługi JavaScript.",
    "Ciasteczka cookie", "Strona wykorzystuje pliki cookie.", "Ta strona używa cookies. OK",
    "Używamy plików cookie, aby poprawić jakość przeglądania oraz analizować ruch na stronie.",
    # footer / social / legal
    "Policja online", "Kanał RSS", "Odwiedź nas na YouTube", "Odwiedź nas na Facebook",
    "Odwiedź nas na Instagram", "Odwiedź nas na Twitter", "Biuletyn Informacji Publicznej",
    "Redakcja serwisu", "Kontakt z redakcją", "Nota prawna", "Zapoznaj się z zasadami",
    "Polityka prywatności", "Inne wersje portalu", "english version", "O stronie",
    "Osoby do kontaktu", "Osoba do kontaktu", "e-mail: napisz", "Do pobrania", "Do pobrania:",
    "Pliki do pobrania", "Pliki do pobrania:",
    "Załączniki:", "Załączniki", "Dowiedz się więcej", "Pobierz plik", "Pobierz plik:",
    "Metryczka", "Metryczka:", "Na skróty", "Na skróty:", "Rejestr zmian",
    "Pokaż rejestr zmian", "« powrót", "« wróć",
    "powrót", "wróć", "« Wróć", "<< powrót", "« powrót do listy", "Powrót do listy", "Banery",
    "Strefa banerowa",
    "Opracowanie Prekursor", "Proudly powered by WordPress", "Dumnie wspierane przez WordPress",
    "Kapitał LudzkiEuropejski Fundusz SpołecznyWojewództwo MałopolskieUnia Europejska",
    "zestaw: znak Funduszy Europejskich, barwy RP, logo Dolnego Śląska, znak Unii Europejskiej",
))

# BIP metadata labels ("metryczka"): a line or cell holding one of them, alone or with its
# value, is a field of the page, never body text (the dates among them are read first:
# DATE_LABELS).
METADATA_LABELS = (
    "Podmiot udostępniający informację", "Informację wytworzył", "Wytworzył", "Wytworzyła",
    "Wytworzone przez", "Odpowiedzialny za treść", "Osoba odpowiedzialna za treść",
    "Informację opublikował", "Opublikował", "Opublikowała", "Wprowadził", "Wprowadziła",
    "Redaktor BIP", "Zmodyfikował", "Zmodyfikowała", "Ostatnio modyfikował",
    "Data wytworzenia", "Data utworzenia", "Data stworzenia", "Data publikacji",
    "Data opublikowania", "Data wprowadzenia", "Data udostępnienia", "Data dodania",
    "Data modyfikacji", "Data aktualizacji", "Data ostatniej modyfikacji", "Data wydarzenia",
    "Ostatnia modyfikacja", "Ostatnia aktualizacja", "Liczba odwiedzin", "Liczba wyświetleń",
    "Ilość odwiedzin", "Ilość wyświetleń", "Liczba odsłon", "Licznik odwiedzin",
    "Ostatnia zmiana", "Data ostatniej zmiany", "Data zmiany",
    # The metryczka of the policja.gov.pl portals and other BIP-minded templates
    "Osoba wytwarzająca/odpowiadająca za informację", "Osoba wytwarzająca informację",
    "Osoba odpowiadająca za informację", "Osoba udostępniająca informację",
    "Osoba modyfikująca informację", "Osoba wprowadzająca informację",
    "Informację wprowadził", "Informację zmodyfikował",
)
# Visitor counters: "Odsłony: 2217", "Odwiedzin: 0184231", "Liczba odwiedzin serwisu: 183 442".
COUNTER_LABELS = ("Odsłony", "Odsłon", "Odsłona", "Wyświetleń", "Wyświetlenia", "Odwiedzin",
                  "Odwiedziny", "Liczba odwiedzin serwisu", "Licznik odwiedzin", "Licznik",
                  "Odwiedziło nas", "Czytano", "Przeczytano")
_LABELS = "|".join(map(re.escape, sorted(METADATA_LABELS, key=len, reverse=True)))
_COUNTERS = "|".join(map(re.escape, sorted(COUNTER_LABELS, key=len, reverse=True)))
METADATA_PATTERNS = (
    rf"^(?:{_LABELS})\s*:?$",                              # a label cell alone
    rf"^(?:{_LABELS})\s*:\s*.{{0,120}}$",                   # "Data publikacji: 12.03.2024 r."
    # "Odsłony: 2217", "Odwiedziło nas: 1 284 573 osób"
    rf"^(?:{_COUNTERS})\s*:?\s*[\d\s.]+(?:razy|osób|osoby|gości|użytkowników)?$",
    r"^Zobacz (?:całą )?galeri[eę](?: zdjęć)?(?: tutaj| tu)?\s*:?(?:\s.{0,60})?$",
)

_MONTHS_NOMINATIVE = ("Styczeń|Luty|Marzec|Kwiecień|Maj|Czerwiec|Lipiec|Sierpień|Wrzesień|"
                      "Październik|Listopad|Grudzień")

# Whole-text patterns: chrome whose wording varies.
CHROME_PATTERNS = tuple(re.compile(p, re.IGNORECASE) for p in (
    r"^Jesteś tutaj:.*",                                   # breadcrumb
    r"^Przejdź do\s*-\s*.+",                               # MOPS listing title links
    r"^Czytaj więcej o:.+",                                # MOPS read-more
    rf"^Poprzedni\s+({_MONTHS_NOMINATIVE})\s+\d{{4}}\s+Następny$",  # calendar header
    rf"^({_MONTHS_NOMINATIVE})\s+(\d{{1,2}}\s+){{6,}}\d{{1,2}}$",   # "Maj 1 2 3 4 ..."
    r"^(\d{1,2}\s+){6,}\d{1,2}$",                          # runs of calendar day numbers
    r"^[.…·_\-–\s]{5,}$",                                  # dotted separators (MCPS)
    r"^Projekt współfinansowany przez Unię Europejską.*",  # EU funding footer
    r"^Liczba wyświetleń:.*",
    r"^Wygenerowano:.*",                                   # WebAdministrator print footer
    r"^ZOBACZ ZDJĘCIA\s*\(\d+\)$", r"^\d+ zdję(cie|cia|ć)$",
    r"^Kontrast:.*", r"^Rozmiar czcionki:.*",
    r"^(?:Copyright\s*)?(?:©|\(c\)|&copy;)\s*(?:\d{4}\b.*)?$",      # "© 2024 ROPS ..."
    r"^Regionalny Ośrodek Polityki Społecznej w \w+\s*\|.*\|",  # ROPS Rzeszów top bar
    *METADATA_PATTERNS,
))

# An institution's address or contact line, printed in headers and footers: at the edges
# of a body (never inside it) such a short block is furniture.
_CONTACT_ITEM = (r"(?:tel\.?\s*/\s*fax|tel\.?(?:\s*kom\.?)?|telefon|fax|faks|kom\.?|e-mail|email"
                 r"|mail)\s*[:.]?\s*(?:[+(]?\d[\d ()/\-]{5,}\d(?:\s*wew\.?\s*\d+)?"
                 r"|[\w.+\-]+@[\w.\-]+)")
CONTACT_LINE = re.compile(
    r"^(?=.{0,220}$)(?:.*\b\d{2}-\d{3}\b.*\b(?:tel\.|telefon|fax|e-mail|ul\.).*"
    r"|.*\b(?:ul\.|al\.)\s.{0,60}\b\d{2}-\d{3}\b.*"
    # "tel. 24 356 00 00, fax 24 356 00 01, e-mail: gops@...": contact items only
    rf"|{_CONTACT_ITEM}(?:\s*[,;|]\s*{_CONTACT_ITEM})*"
    # "Stara Kępa 12, 99-320 Stara Kępa": a postcode and its town, after a short address
    r"|(?=.{0,80}$)(?:[^\n]{0,50},\s*)?\d{2}-\d{3}\s+[^\d,]{2,40})\s*$", re.I)

# Labels of the dates a page states about itself, by rank (lower wins as the publication
# date): publication, then creation; modification dates are the ``modified`` field; event
# dates are never the publication date (an unlabelled date line is not taken for them
# either).
DATE_LABELS = {
    0: ("Data publikacji", "Data opublikowania", "Opublikowano", "Opublikowany",
        "Data dodania", "Dodano", "Data wprowadzenia", "Wprowadzono", "Data udostępnienia",
        "Udostępniono", "Data wpisu", "Data umieszczenia", "Publikacja"),
    1: ("Data wytworzenia", "Data utworzenia", "Data stworzenia", "Wytworzono", "Utworzono",
        "Data sporządzenia"),
    2: ("Data modyfikacji", "Data aktualizacji", "Data ostatniej modyfikacji",
        "Ostatnia modyfikacja", "Ostatnia aktualizacja", "Zmodyfikowano", "Zaktualizowano",
        "Aktualizacja", "Modyfikacja", "Ostatnia zmiana", "Data ostatniej zmiany",
        "Data zmiany"),
    3: ("Data wydarzenia", "Termin wydarzenia", "Data zdarzenia", "Data spotkania", "Termin"),
}
PUBLICATION_RANKS = (0, 1)
MODIFICATION_RANK = 2

# Template images (logos, EU-funding strips, partner and sponsor badges, banners): words
# of their file names, of their alt texts, and class/id tokens of their containers.
TEMPLATE_IMAGE_FILE_WORDS = frozenset({
    "logo", "logotyp", "logotypy", "logos", "baner", "banner", "banery", "banners", "herb",
    "flaga", "godlo", "fe", "ue", "eu", "efs",
    "efrr", "rpo", "poir", "feniks", "fers", "kapital", "naglowek", "header", "layout",
    "fundusze", "unia", "mrpips", "mrips", "bip"})
TEMPLATE_IMAGE_FOLDERS = frozenset({"szablon", "szablony", "template", "templates", "layout",
                                    "theme", "themes", "skin", "skins", "grafika_szablonu",
                                    # a CMS plugin's own assets and commenters' avatars
                                    "plugins", "avatar", "avatars", "emoji", "icons"})
TEMPLATE_IMAGE_ALT = tuple(a.casefold() for a in (
    "Fundusze Europejskie", "Unia Europejska", "Unii Europejskiej", "Rzeczpospolita Polska",
    "Europejski Fundusz", "Kapitał Ludzki", "Program Operacyjny", "Program Regionalny",
    "Biuletyn Informacji Publicznej", "Ministerstwo"))
TEMPLATE_IMAGE_CONTAINERS = frozenset({
    "logo", "logos", "logotypy", "partnerzy", "partners", "partner", "sponsorzy", "sponsors",
    "banner", "banners", "baner", "banery", "ue", "eu", "unia", "fundusze", "brand",
    "header", "naglowek", "stopka", "footer", "avatar",
    # advertising slots
    "ad", "ads", "advert", "advertisement", "reklama", "reklamy", "sponsored",
    "sponsorowane"})

# Class or id tokens that mark an article's standfirst (the lead paragraph).
LEAD_CLASS_TOKENS = frozenset({"lead", "lid", "leadtext", "wstep", "wstęp", "zajawka",
                               "standfirst", "intro", "introtext", "article_lead"})

# Element kinds whose whole text is tested against the phrases and patterns.
PHRASE_TAGS = frozenset({
    "p", "li", "div", "span", "a", "h1", "h2", "h3", "h4", "h5", "h6", "td", "th", "strong",
    "b", "em", "i", "dt", "dd", "ul", "ol", "section", "small", "font", "center", "caption",
    "figcaption", "button", "label", "table", "tr", "tbody"})
# A block whose text is only separators once its links went as chrome ("Drukuj |
# Powrót") is chrome too, unless it holds an image. Only blocks: an inline "<b>–</b>"
# inside a sentence is text.
SEPARATOR_TAGS = frozenset({"p", "li", "div", "ul", "ol", "section", "center", "dt", "dd",
                            "h1", "h2", "h3", "h4", "h5", "h6"})
SEPARATORS_ONLY = re.compile(r"^[\s|/•·»«>\-–—:,.;()\[\]]*$")

# Lines that carry metadata rather than body: captured into fields, then removed.
# Not "Autor zdjęć:", "Autorka fot.": a credit for the pictures, not the text's author.
AUTHOR_RE = re.compile(r"^(?:(?:Napisane przez|Autor(?:ka)? tekstu)\s*:?"
                       r"|(?:Autor|AUTOR)(?!(?:ka)?\s*(?:zdj|fot|graf|ilustr|film|wide|nagr))"
                       r"(?:ka)?\s*:?|(?:Oprac(?:owanie)?\.?|oprac\.)\s*:?)\s*(?P<value>.+)$")
SOURCE_RE = re.compile(r"^(?:Źródło|źródło|ŹRÓDŁO|/źródło/)\s*:?\s*(?P<value>.+)$")
# A police closing signature: rank abbreviation + first name + surname, optionally
# followed by the function ("nadkom. Anna Nowak, oficer prasowy KPP w Radomsku").
_RANKS = (r"(?:gen\.\s*)?(?:nad|pod|mł\.\s*)?insp|(?:nad|pod)?kom"
          r"|(?:mł\.\s*|st\.\s*)?asp(?:\.\s*szt)?"
          r"|(?:st\.\s*)?sierż(?:\.\s*szt)?|(?:st\.\s*)?post")
SIGNATURE_RE = re.compile(
    rf"^(?P<value>(?:{_RANKS})\.\s+[A-ZĄĆĘŁŃÓŚŹŻ][\w-]+(?:\s+[A-ZĄĆĘŁŃÓŚŹŻ][\w-]+){{1,2}})"
    r"(?:\s*[,/–-]\s*.{0,80})?$")
# A director's closing signature: the name, then the office on the next line
# ("Jan Kowalewski\np.o. dyrektora MCPS", "Anna Nowak\nZastępca Dyrektora ROPS").
OFFICE_SIGNATURE_RE = re.compile(
    r"^(?P<value>[A-ZĄĆĘŁŃÓŚŹŻ][\w-]+(?:\s+[A-ZĄĆĘŁŃÓŚŹŻ][\w-]+){1,2})\n"
    r"(?:p\.\s?o\.\s+|z-ca\s+|zastępca\s+)?(?:dyrektor|dyrektora|kierownik|kierownika|prezes)\b"
    r"[^\n]{0,60}$", re.IGNORECASE)
# The patterns as one alternation: one match attempt per text instead of one per pattern.
_ANY_PATTERN = re.compile("|".join(f"(?:{p.pattern})" for p in CHROME_PATTERNS), re.IGNORECASE)
_LONGEST_PHRASE = max(map(len, CHROME_PHRASES))  # casefold() can lengthen: ß -> ss, fine
# "Opracowanie Prekursor" is a vendor credit in a footer, never an author.
NOT_AUTHORS = frozenset({"prekursor"})


# The longest text that can be chrome as a whole: a cookie notice or a funding footer is
# a few sentences. Longer text that merely begins with chrome words ("Jesteś tutaj: ..."
# and then the article, in one container) is content, never removed whole.
MAX_CHROME_TEXT = 600


def is_chrome_text(text: str) -> bool:
    """True when a whole element text (whitespace-normalised) is page chrome."""
    if not text or len(text) > MAX_CHROME_TEXT:
        return False
    if len(text) <= _LONGEST_PHRASE and text.casefold() in CHROME_PHRASES:
        return True
    return _ANY_PATTERN.match(text) is not None
