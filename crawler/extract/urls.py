"""Canonical URLs and stable article ids.

One article must have one id however it was reached: http or https, with or without
``www.``, through a host alias (``malopolska.mw.gov.pl``), with tracking parameters, or
with a comma percent-encoded as ``%2C``. Commas and semicolons are routing keys on these
sites (``art,923,slug``, ``;s,aktualnosci,id,426``) and are kept literally.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping
from urllib.parse import urljoin, urlsplit, urlunsplit

from w3lib.url import canonicalize_url, url_query_cleaner

# Parameters that never select content: analytics tags and session ids.
TRACKING_PARAMS = frozenset({
    "fbclid", "gclid", "dclid", "msclkid", "yclid", "mc_cid", "mc_eid", "_ga", "_gl",
    "igshid", "ref_src", "phpsessid", "sid", "sessionid", "jsessionid",
})
TRACKING_PREFIXES = ("utm_",)
# A Java session id glued to the path; the other semicolons in paths are content.
_JSESSION_RE = re.compile(r";jsessionid=[^/?#]*", re.IGNORECASE)


def _is_tracking(name: str, extra: Iterable[str]) -> bool:
    low = name.lower()
    return low in TRACKING_PARAMS or low.startswith(TRACKING_PREFIXES) or low in extra


def canonicalize(url: str, host_aliases: Mapping[str, str] | None = None,
                 drop_params: Iterable[str] = (),
                 rewrites: Iterable[tuple[str, str]] = ()) -> str:
    """Return the canonical form of ``url``.

    The scheme becomes https and a leading ``www.`` is dropped (both are the same article
    on every site we know); ``host_aliases`` then maps the remaining alias hosts to the
    site's main host. Tracking parameters, ``drop_params`` and the fragment go; the query
    is sorted; ``%2C``/``%3B`` in the path are decoded to ``,``/``;``. ``rewrites`` are a
    site's (regex, replacement) pairs applied to the result, e.g. to fold the many
    Joomla menu paths of one article into its shortest path.
    """
    extra = {p.lower() for p in drop_params}
    url = _JSESSION_RE.sub("", url.strip())
    parts = urlsplit(url)
    if parts.query:
        keep = [name for name in _query_names(parts.query) if not _is_tracking(name, extra)]
        url = url_query_cleaner(url, keep, keep_fragments=True) if keep else urlunsplit(
            parts._replace(query=""))
    url = canonicalize_url(url, keep_fragments=False)
    parts = urlsplit(url)
    host = (parts.hostname or "").lower().rstrip(".")
    if host.startswith("www."):
        host = host[4:]
    if host_aliases:
        host = host_aliases.get(host, host)
    port = parts.port
    netloc = host if port in (None, 80, 443) else f"{host}:{port}"
    # These sites route on literal commas and semicolons (art,923,slug; ;s,aktualnosci,id,N),
    # so an encoded one names the same page. w3lib decodes %2C but keeps %3B.
    path = re.sub(r"%2[cC]", ",", re.sub(r"%3[bB]", ";", parts.path or "/"))
    canonical = urlunsplit(("https", netloc, path, parts.query, ""))
    for pattern, replacement in rewrites:
        canonical = re.sub(pattern, replacement, canonical)
    return canonical


def _query_names(query: str) -> list[str]:
    return [pair.split("=", 1)[0] for pair in query.split("&") if pair]


def article_id(canonical_url: str) -> str:
    """The stable id of an article: the first 24 hex digits of sha256(canonical URL)."""
    return hashlib.sha256(canonical_url.encode("utf-8")).hexdigest()[:24]


def host_of(url: str) -> str:
    """The lower-cased host of ``url`` without port ('' when there is none)."""
    return (urlsplit(url).hostname or "").lower()


def join(base_url: str, value: str) -> str | None:
    """``urljoin``, or None for a link Python cannot parse (``https://[::1``: an unclosed
    IPv6 bracket raises ValueError); pages carry such links, and must not fail for them."""
    try:
        return urljoin(base_url, value)
    except ValueError:
        return None


def document_base(element, url: str) -> str:
    """The URL relative links of ``element``'s page resolve against: the page's
    ``<base href>`` (itself resolved against ``url``) when it has one, else ``url``."""
    try:
        root = element.getroottree().getroot()
    except AttributeError:
        return url
    for base in root.iter("base"):
        href = (base.get("href") or "").strip()
        if href and not href.startswith(("javascript:", "data:")):
            return join(url, href) or url
    return url
