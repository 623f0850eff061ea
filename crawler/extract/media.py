"""Images and attachments of an article, read from its parsed HTML.

Galleries on these sites are lightbox lists of thumbnails linking to the full-size file (MOPS
"Powiększ zdjęcie", fancybox, baguetteBox on police WebAdministrator pages, where
`/dokumenty/zalaczniki/<site>/mini/<site>-<file>_mo14.jpg` links to `.../<site>-<file>_g.jpg`),
lazy-loaded images (data-src, srcset, a <noscript> copy) and plain inline images. Their labels are
rarely captions: link texts and file names such as "1 0910" are dropped. Attachments are the
documents (PDF, office files, archives) linked from the article. Nothing here fetches anything or
rewrites URLs beyond making them absolute.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache
from urllib.parse import parse_qsl, unquote, urldefrag, urlsplit

import lxml.html
from lxml import etree

from crawler.extract import chrome
from crawler.extract.urls import document_base, join

_ODF = "application/vnd.oasis.opendocument."
_OOXML = "application/vnd.openxmlformats-officedocument."
ATTACHMENT_EXTENSIONS: dict[str, str] = {
    "pdf": "application/pdf", "rtf": "application/rtf", "txt": "text/plain", "csv": "text/csv",
    "doc": "application/msword", "docx": _OOXML + "wordprocessingml.document",
    "xls": "application/vnd.ms-excel", "xlsx": _OOXML + "spreadsheetml.sheet",
    "ppt": "application/vnd.ms-powerpoint", "pptx": _OOXML + "presentationml.presentation",
    "odt": _ODF + "text", "ods": _ODF + "spreadsheet", "odp": _ODF + "presentation",
    "zip": "application/zip", "7z": "application/x-7z-compressed", "rar": "application/vnd.rar",
}

IMAGE_EXTENSIONS = frozenset({"jpg", "jpeg", "png", "gif", "webp", "bmp", "tif", "tiff"})

_LAZY_ATTRIBUTES = ("data-src", "data-lazy-src", "data-original")
# Lightbox links that name the full-size file in an attribute (fancybox, WordPress
# attachment data, jQuery lightboxes), preferred to the href.
_FULL_SIZE_ATTRIBUTES = ("data-full", "data-full-url", "data-large", "data-large-file",
                         "data-orig-file", "data-big", "data-fancybox-href", "data-zoom-image",
                         "data-image")

# Thumbnail variants of a picture and their full-size file, as data: applied to a gallery
# link's target, which some CMSs point at a thumbnail too.
# Query parameters that ask for a thumbnail (Liferay ?imageThumbnail=1, documentThumbnail).
THUMBNAIL_PARAMS = frozenset({"imagethumbnail", "documentthumbnail", "thumbnail", "thumb",
                              "miniatura", "imagepreview", "itok"})
# (pattern, replacement) rewrites of the path. The first two are the CMSes' own layout
# (the original file is always there): they also name the file of an image shown without
# a link to it (CERTAIN_RULES); the folder guesses only correct a link's target.
FULL_SIZE_PATH_RULES = (
    # WordPress size suffixes: photo-300x200.jpg -> photo.jpg
    (re.compile(r"-\d{2,4}x\d{2,4}(?=\.(?:jpe?g|png|gif|webp)$)", re.I), ""),
    # Drupal image styles: /sites/<site>/files/styles/<style>/public/<path> is a derivative
    # of /sites/<site>/files/<path> (its ?itok= token goes with it, THUMBNAIL_PARAMS)
    (re.compile(r"(/sites/[^/]+/files)/styles/[^/]+/public/", re.I), r"\1/"),
    # thumbnail folders: /male/ -> /duze/, /small/ -> /large/, /thumbs/ and /mini/ dropped
    (re.compile(r"/male/(?=[^/]+$)", re.I), "/duze/"),
    (re.compile(r"/small/(?=[^/]+$)", re.I), "/large/"),
    (re.compile(r"/(?:thumbs?|thumbnails|miniatury|mini)/(?=[^/]+$)", re.I), "/"),
)
CERTAIN_RULES = 2
# Liferay serves files as /documents/<group>/<folder>/<name.ext>/<uuid>: the file name is
# the segment before an id.
_ID_SEGMENT = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|\d+",
                         re.I)
# A declared picture this much wider than high, and no higher than _STRIP_HEIGHT, is a
# strip of logos (EU funding bars), not a photo.
_STRIP_RATIO = 4
_STRIP_HEIGHT = 150
_MIN_SIZE = 40  # icons, bullets and tracking pixels are smaller than any photo
# File names of template graphics (toolbar buttons, logos, social badges), which pages
# show without width/height: "butPDF.png", "logo.png", "ico-print.svg", "fb_icon.gif".
_UI_FILE = re.compile(
    r"^(?:but|btn|ico|icon|ikon[ay]?|logo|arrow|strzalk|bullet|spacer|rss|fb|facebook|email|"
    r"twitter|youtube|instagram|print|drukuj|pdf|herb|flag)[-_A-Z.]|"
    r"(?:^|[-_])(?:icon|ikona|logo|button|btn)[-_.]", re.I)
_PLACEHOLDER_FILE = re.compile(
    r"^(?:blank|spacer|pixel|transparent|empty|clear|loading|loader|lazy(?:load)?|placeholder|1x1)"
    r"(?![a-z])", re.I)
_NON_FETCHABLE = re.compile(r"(?:data|javascript|mailto|tel|about|blob):", re.I)
_SRCSET_URL = re.compile(r"[\s,]*(\S+)")
_NON_TEXT_TAGS = frozenset({"script", "style", "noscript", "template"})

# Link texts and alt texts that CMSs print in place of a caption.
_UI_LABELS = frozenset({
    "powiększ zdjęcie", "powiększ", "powiększenie", "zdjęcie", "zdjęcia", "zobacz zdjęcie",
    "zobacz zdjęcia", "galeria", "galeria zdjęć", "galerie", "fotorelacja", "fotografia", "foto",
    "obraz", "obrazek", "miniatura", "kliknij aby powiększyć", "kliknij, aby powiększyć",
    "zoom", "image", "img", "photo", "picture", "thumbnail",
})
_UI_PREFIX = re.compile(
    r"^(?:powiększ(?:\s+zdjęcie)?|zobacz\s+zdjęcie|kliknij,?\s+aby\s+powiększyć)\s*[:\-–]?\s+(?=\S)",
    re.I)
_OCTET = "application/octet-stream"
_TEMPLATE_VARIABLE = re.compile(r"\$\{?\w+\}?|\{\{.*\}\}")  # "$image_alt" left unrendered
_IMAGE_FILE_NAME = re.compile(r"\.(?:jpe?g|png|gif|webp|bmp|tiff?|heic)$", re.I)
_CAMERA_CODE = re.compile(r"(?=(?:\D*\d){3})[A-Za-z0-9_-]+")
_SHORT_ASCII_WORD = re.compile(r"[a-z]{1,15}")

_SIZE = r"\d+(?:[.,]\d+)?\s*(?:[kmg]i?b|bajt(?:y|ów)?)\b"
_FORMAT = r"(?:pdf|docx?|odt|ods|odp|rtf|xlsx?|pptx?|zip|7z|rar|txt|csv)\b"
_NOTE = (rf"(?:(?:plik|format|typ)\s*:?\s*)?(?:\.?{_FORMAT}(?:\s*[,;:/|-]?\s*(?:rozmiar\s*:?\s*)?"
         rf"{_SIZE})?|(?:rozmiar\s*:?\s*)?{_SIZE})")
_TRAILING_NOTE = re.compile(
    rf"\s*(?:[(\[]\s*{_NOTE}\s*[)\]]"  # "(PDF, 1,2 MB)", "[pdf 245 KB]", "(pdf)"
    rf"|[-–—|,:]\s*{_NOTE}"  # "- plik PDF 120 kB"
    rf"|(?:\s|\.){_FORMAT}(?:\s*{_SIZE})?"  # ".pdf 1.2MB", " PDF"
    rf"|\s{_SIZE})\s*$", re.I)
_GENERIC_LINK = re.compile(
    r"(?:pobierz(?:\s+(?:plik|załącznik|dokument|tutaj))?|do\s+pobrania|plik(?:\s+do\s+pobrania)?"
    r"|załącznik|tutaj|kliknij(?:\s+tutaj)?|link|więcej|download)[\s.:!]*", re.I)


def is_placeholder_label(text: str | None) -> bool:
    """True for labels that are never real captions: file-name-derived labels and UI link texts.

    None and blank text are not labels at all and give False.
    """
    label = " ".join((text or "").split())
    if not label:
        return False
    key = label.casefold().strip(" .:")
    if key in _UI_LABELS or re.sub(r"\s+(?:nr\.?\s*)?\d+$", "", key) in _UI_LABELS:
        return True
    if _TEMPLATE_VARIABLE.fullmatch(label) or _IMAGE_FILE_NAME.search(label):
        return True
    # A single ASCII token holding three or more digits is a camera code or a slug
    # ("IMG_1234", "4G8A3803", "wyzwania-pomoc-spoleczna-16523-1671200091"); real one-word
    # captions are names, which carry no digits.
    if _CAMERA_CODE.fullmatch(label):
        return True
    # File names turned into labels: separators became spaces, so only number groups remain
    # ("1 0910", "2-2"), or a leading date is followed by a few lowercase ASCII words that lost
    # their diacritics and capitals ("2019 12 19 rada seniorow ef 02"). A real caption has
    # capitals or Polish letters, or does not start with a date.
    tokens = [t for t in re.split(r"[\s_.-]+", label) if t]
    if all(t.isdigit() for t in tokens):
        return True
    if len(tokens) >= 3 and len(tokens[0]) == 4 and all(t.isdigit() for t in tokens[:3]):
        rest = tokens[3:]
    elif tokens[0].isdigit() and len(tokens[0]) in (6, 8):
        rest = tokens[1:]
    else:
        return False
    words = [t for t in rest if not t.isdigit()]
    return len(words) <= 5 and all(_SHORT_ASCII_WORD.fullmatch(w) for w in words)


def collect_images(roots: Sequence[lxml.html.HtmlElement], base_url: str) -> list[dict]:
    """Ordered, de-duplicated images found under roots (document order, roots in the given order).

    Each: {"url": str (absolute, full size), "thumbnail_url": str | None, "caption": str | None,
    "alt": str | None}
    """
    images: list[dict] = []
    seen: dict = {}  # img -> its entry: an anchor's images are read again as imgs
    # Pictures inside links to other pages of the site, by the page they link to.
    teasers: dict[str, list[dict]] = {}
    page = urldefrag(base_url).url

    def from_img(img, base_url):
        if img not in seen:
            seen[img] = _image_from_img(img, base_url)
            target = _page_linked(img, base_url, page) if seen[img] is not None else None
            if target is not None:
                teasers.setdefault(target, []).append(seen[img])
        return seen[img]

    for root in roots:
        base_url = document_base(root, base_url)
        for element in root.iter("img", "a"):
            entry = (from_img(element, base_url) if element.tag == "img"
                     else _image_from_anchor(element, base_url, from_img))
            if entry is not None:
                _merge_image(images, entry)
    if len(teasers) >= 2:
        # Pictures linking to two or more other pages of the site: teasers of other
        # articles ("see also", "latest posts"), not this article's pictures. (One such
        # link is kept: a poster that leads to a sign-up page is the article's.)
        linked = {id(entry) for entries in teasers.values() for entry in entries}
        images = [image for image in images if id(image) not in linked]
    return images


def _page_linked(img, base_url: str, page: str) -> str | None:
    """The page of the site an image links to (not a file, not this page), else None."""
    anchor = next((a for a in img.iterancestors("a") if a.get("href")), None)
    if anchor is None or _image_link(anchor, base_url) is not None:
        return None
    target = _absolute(base_url, anchor.get("href"))
    if not target or target == page or _extension(target) in _MEDIA_EXTENSIONS:
        return None
    if target.startswith(page.rstrip("/") + "/") or "attachment" in (anchor.get("rel") or ""):
        return None  # the picture's own page under this one (a WordPress attachment page)
    try:
        same_host = urlsplit(target).hostname == urlsplit(page).hostname
    except ValueError:
        return None
    return target if same_host else None


_MEDIA_EXTENSIONS = IMAGE_EXTENSIONS | frozenset(ATTACHMENT_EXTENSIONS)


def may_hold_media(root) -> bool:
    """False when collect_images and collect_attachments would find nothing under
    ``root``: no <img>, and no link whose target (href or a full-size attribute) ends
    in an image or document extension. Decided without resolving a URL (resolution
    keeps a target's last path segment), so a page without media is not copied and
    cleaned for nothing."""
    if next(root.iter("img"), None) is not None:
        return True
    return any(_extension(value) in _MEDIA_EXTENSIONS
               for anchor in root.iter("a")
               for value in (*(anchor.get(a) for a in _FULL_SIZE_ATTRIBUTES), anchor.get("href"))
               if value)


def collect_attachments(roots: Sequence[lxml.html.HtmlElement], base_url: str,
                        declared: Sequence[lxml.html.HtmlElement] = ()) -> list[dict]:
    """Linked documents, ordered and de-duplicated by absolute URL.

    Under ``roots`` a link counts when its path ends in a document extension; under
    ``declared`` (a profile's attachments block) every link counts, because CMSs also
    serve files as ``index.php?c=getfile&id=57``: the media type then comes from the
    link's "(PDF, 245 KB)" note, else it is application/octet-stream.
    Each: {"url", "title", "media_type"}
    """
    found: dict[str, tuple[int, dict]] = {}
    page = _stem(base_url)
    for root, any_link in [*((r, False) for r in roots), *((r, True) for r in declared)]:
        base_url = document_base(root, base_url)
        for anchor in root.iter("a"):
            href = anchor.get("href")
            if not any_link and not _may_end_in(href, _FILE_SUFFIXES):
                continue
            url = _absolute(base_url, href)
            if not url or _stem(url) == page:  # the page itself as a PDF ("Generuj PDF")
                continue
            media_type = ATTACHMENT_EXTENSIONS.get(_extension(url))
            if media_type is None and any_link:
                # The note may follow the link: "<a>Wniosek</a> (PDF, 245 KB)".
                holder = anchor.getparent() if anchor.getparent() is not None else anchor
                media_type = _media_type_from_note(_visible_text(anchor))
                if media_type == _OCTET:
                    media_type = _media_type_from_note(_visible_text(holder))
            if media_type is None:
                continue
            title, rank = _attachment_title(anchor, url)
            # Pages often link one file twice, first through a bare icon: keep the first
            # position but the best title (link text, then title attribute, then file name).
            if url not in found or rank < found[url][0]:
                position = found[url][1] if url in found else {}
                position.update(url=url, title=title, media_type=media_type)
                found[url] = (rank, position)
    return [entry for _, entry in found.values()]


def _stem(url: str) -> str:
    """A URL without its query, fragment, trailing slash and file extension: a page and
    the PDF its CMS renders of it share one."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return url
    path = parts.path.rstrip("/")
    name = path.rsplit("/", 1)[-1]
    if "." in name:
        path = path[: -len(name.rsplit(".", 1)[1]) - 1]
    return f"{parts.hostname}{path}"


def _media_type_from_note(text: str) -> str:
    match = re.search(rf"\b({_FORMAT})", text, re.I) if text else None
    return ATTACHMENT_EXTENSIONS.get(match[1].lower(), _OCTET) if match else _OCTET


def _image_from_img(img: lxml.html.HtmlElement, base_url: str) -> dict | None:
    if _is_decorative(img) or _is_noscript_copy(img) or _is_template(img):
        return None
    lazy, largest, src = _sources(img, base_url)
    twin = _noscript_twin(img) if not (lazy or largest or src) else None
    if twin is not None:
        lazy, largest, src = _sources(twin, base_url)
    source, small = lazy or largest or src, lazy or src
    anchor = next((a for a in img.iterancestors("a") if a.get("href")), None)
    full = _image_link(anchor, base_url)
    url: str | None
    thumbnail: str | None
    if full and anchor is not None:
        # The picture the page displays is the thumbnail, not the largest srcset entry;
        # some gallery plugins keep it only on the link (a[data-thumb]).
        url, thumbnail = full, small or source or _usable(base_url, anchor.get("data-thumb"))
    elif largest and small and largest != small:
        url, thumbnail = largest, small
    else:
        url, thumbnail = source, None
    if url and thumbnail is None and (larger := full_size(url, certain=True)) != url:
        # A thumbnail variant shown without a link to its file (a WordPress size suffix,
        # a Drupal image style, a thumbnail parameter): the CMS's layout names the file.
        url, thumbnail = larger, url
    if url is None or _extension(source or url) == "svg":
        return None
    alt = _label(img.get("alt")) or (_label(twin.get("alt")) if twin is not None else None)
    return {"url": url, "thumbnail_url": thumbnail if thumbnail != url else None,
            "caption": _caption(img, anchor), "alt": alt}


def _image_from_anchor(anchor: lxml.html.HtmlElement, base_url: str,
                       from_img=None) -> dict | None:
    url = _image_link(anchor, base_url)
    if url is None or next(anchor.iterancestors("noscript"), None) is not None:
        return None
    # An anchor whose own img yields an image is handled through that img.
    if any((from_img or _image_from_img)(img, base_url) for img in anchor.iter("img")):
        return None
    return {"url": url, "thumbnail_url": None, "caption": _caption(None, anchor), "alt": None}


def _sources(img, base_url: str) -> tuple[str | None, str | None, str | None]:
    lazy = next(filter(None, (_usable(base_url, img.get(a)) for a in _LAZY_ATTRIBUTES)), None)
    # Lazy loaders keep the real set in data-srcset and a placeholder in srcset; take both.
    candidates = [(_descriptor_rank(descriptor), url)
                  for attribute in ("data-srcset", "srcset")
                  for raw, descriptor in _srcset_candidates(img.get(attribute) or "")
                  if (url := _usable(base_url, raw))]
    largest = max(candidates, key=lambda c: c[0])[1] if candidates else None
    return lazy, largest, _usable(base_url, img.get("src"))


def _srcset_candidates(value: str) -> list[tuple[str, str]]:
    # URLs may hold commas (data: URIs, "id,Slug" paths), so split the way the HTML spec does:
    # a URL runs to whitespace, its descriptors run to the next comma.
    candidates, pos = [], 0
    while match := _SRCSET_URL.match(value, pos):
        url, pos = match.group(1), match.end()
        descriptor = ""
        if url.endswith(","):
            url = url.rstrip(",")
        else:
            end = value.find(",", pos)
            end = len(value) if end < 0 else end
            descriptor, pos = value[pos:end].strip(), end + 1
        candidates.append((url, descriptor))
    return candidates


def _descriptor_rank(descriptor: str) -> tuple[int, float]:
    # Width descriptors beat density ones; a missing descriptor means 1x.
    match = re.fullmatch(r"(\d+(?:\.\d+)?)([wx])", descriptor.lower() or "1x")
    return (("x", "w").index(match[2]) + 1, float(match[1])) if match else (0, 0.0)


def _noscript_twin(img) -> lxml.html.HtmlElement | None:
    for sibling in (img.getnext(), img.getprevious()):
        if sibling is None or sibling.tag != "noscript":
            continue
        inner = sibling.find(".//img")
        # libxml2 parses noscript content as elements, but other parsers leave it as text.
        if inner is None and "<" in (sibling.text or ""):
            try:
                parsed = lxml.html.fragment_fromstring(sibling.text, create_parent="div")
                inner = parsed.find(".//img")
            except (etree.LxmlError, ValueError):
                inner = None
        if inner is not None:
            return inner
    return None


def _is_noscript_copy(img) -> bool:
    # The img inside a noscript next to its lazy twin: the twin already stands for it.
    noscript = next(img.iterancestors("noscript"), None)
    return noscript is not None and any(
        s is not None and s.tag == "img" for s in (noscript.getprevious(), noscript.getnext()))


_OPTIMIZERS = ("/_next/image", "/_vercel/image")


def full_size(url: str, certain: bool = False) -> str:
    """The full-size file of a thumbnail variant's URL (THUMBNAIL_PARAMS,
    FULL_SIZE_PATH_RULES, only the CMS layouts when ``certain``); any other URL
    unchanged."""
    try:
        parts = urlsplit(url)
    except ValueError:  # an unparseable link stays as it is
        return url
    query = parts.query
    if query and parts.path.endswith(_OPTIMIZERS):
        # An image optimizer's URL (Next.js /_next/image?url=<file>&w=...): the file.
        original = dict(parse_qsl(query)).get("url")
        if original:
            return join(url, original) or url
    if query:
        pairs = [p for p in query.split("&") if p]
        kept = [p for p in pairs if p.split("=", 1)[0].lower() not in THUMBNAIL_PARAMS]
        query = "&".join(kept) if len(kept) != len(pairs) else query
    path = parts.path
    for pattern, replacement in FULL_SIZE_PATH_RULES[:CERTAIN_RULES] if certain else \
            FULL_SIZE_PATH_RULES:
        path = pattern.sub(replacement, path)
    return parts._replace(path=path, query=query).geturl()


def _tokens(text: str) -> set[str]:
    return {t for t in re.split(r"[^a-ząćęłńóśźż0-9]+", text.lower()) if t}


_HEADER_TOKENS = frozenset({"header", "naglowek"})


def _is_template(img) -> bool:
    """A template picture: a logo, an EU-funding strip, a partner badge or a banner, by
    its file name or folder, its alt text, its container's class or id, or a declared
    strip shape (chrome.TEMPLATE_IMAGE_*)."""
    source = next((v for v in (*(img.get(a) for a in _LAZY_ATTRIBUTES), img.get("src"))
                   if v and not _NON_FETCHABLE.match(v.strip())
                   and not _PLACEHOLDER_FILE.match(v.rsplit("/", 1)[-1])), "")
    try:
        path = unquote(urlsplit(source).path).lower()
    except ValueError:  # an unparseable link
        path = ""
    segments = [s for s in path.split("/") if s]
    name = segments[-1] if segments else ""
    if segments and _ID_SEGMENT.fullmatch(name) and len(segments) > 1:
        name = segments[-2]
    if _tokens(name.rsplit(".", 1)[0]) & chrome.TEMPLATE_IMAGE_FILE_WORDS:
        return True
    if any(s in chrome.TEMPLATE_IMAGE_FOLDERS for s in segments[:-1]):
        return True
    alt = f" {(img.get('alt') or '').casefold()} "
    if any(word in alt for word in chrome.TEMPLATE_IMAGE_ALT):
        return True
    # The picture's own class or id ("author-box__avatar", "site-logo").
    if _tokens(f"{img.get('class', '')} {img.get('id', '')}") & chrome.TEMPLATE_IMAGE_CONTAINERS:
        return True
    for node in img.iterancestors():
        if node.tag in ("body", "article", "main"):
            break
        hits = _tokens(f"{node.get('class', '')} {node.get('id', '')}") & (
            chrome.TEMPLATE_IMAGE_CONTAINERS)
        if hits and not (hits <= _HEADER_TOKENS and node.find(".//h1") is not None):
            # (A header that holds the headline is the article's: its picture is the
            # featured image, as in WordPress's header.entry-header.)
            return True
    width_match, height_match = (re.fullmatch(r"\s*(\d+)\s*(?:px)?\s*", img.get(a) or "")
                                 for a in ("width", "height"))
    if width_match and height_match:
        width, height = int(width_match[1]), int(height_match[1])
        if height <= _STRIP_HEIGHT and width >= _STRIP_RATIO * height:
            return True
    return False


def _is_decorative(img) -> bool:
    if (img.get("role") or "").lower() in ("presentation", "none"):
        return True
    source = img.get("src") or img.get("data-src") or ""
    if _UI_FILE.search(source.rsplit("/", 1)[-1]):
        return True
    sizes = [re.fullmatch(r"\s*(\d+)\s*(?:px)?\s*", img.get(a) or "") for a in ("width", "height")]
    return (img.get("aria-hidden") or "").strip().lower() == "true" or any(
        m and int(m[1]) < _MIN_SIZE for m in sizes)


def _usable(base_url: str, value: str | None) -> str | None:
    url = _absolute(base_url, value)
    return url if url and not _PLACEHOLDER_FILE.match(_file_name(url)) else None


_IMAGE_SUFFIXES = tuple(f".{e}" for e in IMAGE_EXTENSIONS)
_FILE_SUFFIXES = tuple(f".{e}" for e in ATTACHMENT_EXTENSIONS)


def _may_end_in(value: str | None, suffixes: tuple[str, ...]) -> bool:
    """False only when ``value``, resolved, cannot have one of ``suffixes`` as its
    extension: without a percent escape its letters are the resolved path's, so most
    links of a page are refused without resolving them (urljoin was most of the image
    step's time)."""
    if not value:
        return False
    low = value.lower()
    return "%" in low or any(suffix in low for suffix in suffixes)


def _image_link(anchor, base_url: str) -> str | None:
    if anchor is None:
        return None
    for value in (*(anchor.get(a) for a in _FULL_SIZE_ATTRIBUTES), anchor.get("href")):
        if not _may_end_in(value, _IMAGE_SUFFIXES):
            continue
        url = _absolute(base_url, value)
        if url and _extension(url) in IMAGE_EXTENSIONS:
            return full_size(url)
    return None


def _caption(img, anchor) -> str | None:
    element = img if img is not None else anchor
    candidates: list[str | None] = []
    figure = next(element.iterancestors("figure"), None)
    if figure is not None:
        candidates += [_visible_text(fc) for fc in figure.findall("figcaption")]
    # Classic WordPress: [gallery] items (dl.gallery-item > dd.gallery-caption) and
    # captioned images (div.wp-caption > p.wp-caption-text).
    for holder, caption_xpath in (("dl", "dd[contains(@class, 'gallery-caption')]"),
                                  ("div", "p[contains(@class, 'wp-caption-text')]")):
        box = next((a for a in element.iterancestors(holder)
                    if "gallery-item" in (a.get("class") or "")
                    or "wp-caption" in (a.get("class") or "")), None)
        if box is not None:
            candidates += [_visible_text(c) for c in box.xpath(caption_xpath)]
    if anchor is not None:
        candidates += [anchor.get(a) for a in ("title", "data-caption", "data-title")]
    if img is not None:
        candidates.append(img.get("title"))
    if anchor is not None:
        candidates.append(_visible_text(anchor))
    # A placeholder in one place does not hide a real caption further down the list.
    return next(filter(None, map(_label, candidates)), None)


def _merge_image(images: list[dict], entry: dict) -> None:
    match = next((i for i in images if i["url"] == entry["url"]), None)
    if match is None:
        # A thumbnail shown again inline, or an inline copy of a thumbnail seen before its
        # gallery: both are the same picture, kept at its first position under the full size.
        match = next((i for i in images if i["thumbnail_url"] == entry["url"]), None)
    if match is None and entry["thumbnail_url"]:
        match = next((i for i in images if i["url"] == entry["thumbnail_url"]), None)
        if match is not None:
            match["url"], match["thumbnail_url"] = entry["url"], entry["thumbnail_url"]
    if match is None:
        images.append(entry)
        return
    for key in ("thumbnail_url", "caption", "alt"):
        if match[key] is None and entry[key] and entry[key] != match["url"]:
            match[key] = entry[key]


def _attachment_title(anchor, url: str) -> tuple[str, int]:
    for rank, raw in enumerate((_visible_text(anchor), anchor.get("title"))):
        title = _strip_notes(raw)
        if title and not _GENERIC_LINK.fullmatch(title):
            return title, rank
    return _file_name(url) or url, 2


def _strip_notes(text: str | None) -> str | None:
    title = " ".join((text or "").split())
    while (shorter := _TRAILING_NOTE.sub("", title).rstrip(" -–—|,;:")) != title:
        title = shorter
    return title or None


def _label(text: str | None) -> str | None:
    text = " ".join((text or "").split())
    # "Powiększ zdjęcie Otwarcie konferencji": the UI words glued before a real caption.
    text = _UI_PREFIX.sub("", text) or text
    return text if text and not is_placeholder_label(text) else None


def _visible_text(element) -> str:
    parts = [element.text or ""]
    for child in element:
        if isinstance(child.tag, str) and child.tag not in _NON_TEXT_TAGS:
            separator = " " if child.tag in ("br", "p", "div", "li", "figcaption") else ""
            parts += [separator, _visible_text(child), separator]
        parts.append(child.tail or "")
    return "".join(parts)


@lru_cache(maxsize=4096)  # a page asks for the same links several times over
def _absolute(base_url: str, value: str | None) -> str | None:
    value = re.sub(r"[\t\n\r]", "", value or "").strip()
    if not value or value.startswith("#") or _NON_FETCHABLE.match(value):
        return None
    joined = join(base_url, value)
    return urldefrag(joined).url if joined else None


def _file_name(url: str) -> str:
    try:
        segments = unquote(urlsplit(url).path).split("/")
    except ValueError:  # an unparseable link
        return ""
    if len(segments) > 2 and _ID_SEGMENT.fullmatch(segments[-1]) and "." in segments[-2]:
        return segments[-2]  # /documents/20182/1304756/photo.jpg/<uuid>
    return segments[-1]


def _extension(url: str | None) -> str:
    name = _file_name(url or "")
    return name.rsplit(".", 1)[-1].lower() if "." in name else ""
