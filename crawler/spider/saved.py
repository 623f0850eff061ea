"""Sites without a profile: their slugs, and the ones saved in a harvest's sites file.

A site crawled with ``kronika crawl --url`` is a site like any other: its articles are
stored under a slug of its own, derived from its host (``slug_for_url``) or given with
``--name``. The slug rule: the host, lowercased, without a leading ``www.`` and without
its top-level domain (with the second-level label of ``.com.pl``-style domains); every
run of characters other than ``a-z`` and ``0-9`` becomes ``_``
(``gops-starakepa.pl`` -> ``gops_starakepa``). A slug that would be a profiled site's (or
``generic``) keeps the whole host instead (``mcps.com.pl`` -> ``mcps_com_pl``); one that
would not begin with a letter (an IP address) gets ``site_`` before it.

``kronika crawl --url ... --save NAME`` records the site in ``sites.json`` in the harvest
directory (written atomically: a temporary file renamed over the old one), so that
``kronika crawl NAME`` and ``kronika crawl --all`` run it next to the profiled sites.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Collection
from dataclasses import asdict, dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

SITES_FILE = "sites.json"
SLUG = re.compile(r"[a-z][a-z0-9_]*")
RESERVED = frozenset({"generic"})
# Second-level labels that say nothing of the site (mcps.com.pl, x.org.pl, y.gov.pl).
_SECOND_LEVEL = frozenset({"com", "org", "net", "gov", "edu", "info", "biz", "co", "waw"})


class SavedSitesError(ValueError):
    """A sites file that cannot be read, or a name that cannot be a slug."""


def _slugify(text: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")
    return slug if SLUG.fullmatch(slug) else f"site_{slug}"


def slug_for_url(url: str, taken: Collection[str] = frozenset()) -> str:
    """The slug of the site at ``url`` (see the module's docstring); ``taken``: the
    profiled sites' slugs, which it must not be."""
    host = (urlsplit(url).hostname or "").lower().rstrip(".").removeprefix("www.")
    labels = host.split(".")
    if re.fullmatch(r"[\d.]+|\[?[0-9a-f:]+\]?", host) or len(labels) < 2:
        return _slugify(host)
    core = labels[:-1]
    if len(core) > 1 and core[-1] in _SECOND_LEVEL:
        core = core[:-1]
    slug = _slugify("_".join(core))
    if slug in taken or slug in RESERVED:
        slug = _slugify(host)
    return slug


def check_name(name: str, taken: Collection[str] = frozenset()) -> str:
    """``name`` as a slug for a site without a profile; raises SavedSitesError when it is
    not one (lowercase letters, digits, ``_``, a letter first) or is a profiled site's."""
    if not SLUG.fullmatch(name):
        raise SavedSitesError(f"bad site name {name!r}: lowercase letters, digits and _, "
                              "beginning with a letter")
    if name in taken or name in RESERVED:
        raise SavedSitesError(f"site name {name!r} is taken by a site with a profile")
    return name


@dataclass
class SavedSite:
    """A site without a profile, as `kronika crawl --url ... --save NAME` recorded it."""

    name: str
    url: str                      # the start page (a listing)
    base_url: str | None = None   # a mirror the site's hosts are sent to
    max_pages: int | None = None  # listing pages read at most
    media: bool = True            # gallery images and attachments fetched
    saved_by: str = ""            # the command that saved it
    extra: dict = field(default_factory=dict)


def sites_path(out_dir: Path) -> Path:
    """The sites file of the harvest directory ``out_dir``."""
    return Path(out_dir) / SITES_FILE


def load_saved(out_dir: Path) -> dict[str, SavedSite]:
    """Name -> SavedSite of the harvest's sites file (empty when there is none).
    Raises SavedSitesError when the file is not a sites file."""
    path = sites_path(out_dir)
    try:
        text = path.read_text(encoding="utf-8")
    except (FileNotFoundError, NotADirectoryError):  # no harvest there (yet)
        return {}
    except OSError as exc:
        raise SavedSitesError(f"cannot read {path}: {exc.strerror or exc}") from None
    try:
        data = json.loads(text)
        known = SavedSite.__dataclass_fields__
        return {name: SavedSite(name=name, **{k: v for k, v in entry.items()
                                              if k in known and k != "name"})
                for name, entry in data["sites"].items()}
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise SavedSitesError(f"{path} is not a kronika sites file ({exc}); move it "
                              "aside") from None


def save_site(out_dir: Path, site: SavedSite) -> bool:
    """Add or replace ``site`` in the harvest's sites file, atomically. True when it
    replaced a site saved before under that name."""
    sites = load_saved(out_dir)
    replaced = site.name in sites
    sites[site.name] = site
    data = {"format": "kronika-sites/1",
            "sites": {name: {k: v for k, v in asdict(s).items() if k != "name"}
                      for name, s in sorted(sites.items())}}
    path = sites_path(out_dir)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open(tmp, "w", encoding="utf-8") as fh:
        fh.write(json.dumps(data, indent=2, ensure_ascii=False) + "\n")
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)
    return replaced
