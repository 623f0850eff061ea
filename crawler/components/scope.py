"""One scope check for every request the crawl sends: the site, and nothing else.

Scrapy's offsite filter lets through any request marked ``dont_filter`` (every retry,
every request the mirror router makes) and knows nothing of schemes or ports, so a
hostile server could steer the crawl elsewhere: a 503 and then, on the retry, a redirect
to an internal host; a link to ``file:///etc/passwd``; a redirect to another port of the
site's host. ``ScopeMiddleware`` sees every request (retries, redirects, robots.txt,
feeds, sitemaps, media) before it is sent, and refuses with ``OutOfScope`` (an
IgnoreRequest, so the spider's errback records it as a failure with the reason):

* any scheme but http and https;
* a host that is not one of the site's (``allowed_domains``, ``host_aliases``, their
  subdomains and ``www.`` variants);
* a port that is not the site's: 80, 443, or one named in the spider's own URLs;
* under ``--base-url``, the mirror's own address except as the router's target;
* a URL longer than ``KRONIKA_MAX_URL_LENGTH`` (2,083 characters; Scrapy's own
  URLLENGTH_LIMIT filter, which drops such a request with one log line, is switched off).

It replaces Scrapy's OffsiteMiddleware (switched off in settings): a link the site gives
to another host is refused as ``OffSiteLink``, counted and not recorded, as before; a
redirect or retry that leads off the site is ``OutOfScope``, a recorded failure. A
refusal is permanent: the store pipeline records it once (kind "refused"), it is never
asked for again as a retry, and meeting it again in a later run only counts it
(crawler.components.pipelines, crawler.components.finish).
"""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit, urlunsplit

from archive.meta import ORIGIN_URL, REAL_URL, origin_url
from crawler.components.requisites import REQUISITE
from crawler.items import OffSiteLink, OutOfScope

DEFAULT_PORTS = {"http": 80, "https": 443}
# Imported from here by older code and tests; defined lower down, where spiders see them.
__all__ = ["OffSiteLink", "OutOfScope", "ScopeMiddleware", "origin_url"]


def _private_host(host: str) -> bool:
    """Whether ``host`` names a loopback, private, link-local or reserved address, or a
    name only a local network resolves (localhost, a single label)."""
    host = host.lower().strip("[]").rstrip(".")
    if host == "localhost" or host.endswith(".localhost") or "." not in host and ":" not in host:
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    return (address.is_private or address.is_loopback or address.is_link_local
            or address.is_reserved or address.is_multicast or address.is_unspecified)


def _router_target(base: str, real: str) -> str:
    """Where MirrorRouterMiddleware sends ``real`` under ``--base-url base``."""
    mirror, parts = urlsplit(base), urlsplit(real)
    return urlunsplit((mirror.scheme, mirror.netloc,
                       mirror.path.rstrip("/") + (parts.path or "/"), parts.query, ""))


class ScopeMiddleware:
    """Refuse every request outside the site (see the module docstring)."""

    def __init__(self, crawler):
        self.crawler = crawler
        self.max_length = crawler.settings.getint("KRONIKA_MAX_URL_LENGTH", 2083)
        self._ports: set[int] | None = None
        # Hosts other than the site's that a page requisite was let through to: their
        # robots.txt requests (Scrapy's, unmarked) must pass too, or the host's rules
        # would never be read.
        self._requisite_hosts: set[str] = set()

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def _site_ports(self, spider) -> set[int]:
        if self._ports is None:
            urls = [getattr(spider, "website", ""), getattr(spider, "start_url", ""),
                    *getattr(spider, "feeds", ()),
                    *(lst.start_url for lst in getattr(spider, "listings", ()))]
            ports = set(DEFAULT_PORTS.values())
            for url in urls:
                try:
                    port = urlsplit(url).port if url else None
                except ValueError:
                    port = None
                if port:
                    ports.add(port)
            self._ports = ports
        return self._ports

    def _covers(self, spider, host: str) -> bool:
        hosts = [*getattr(spider, "allowed_domains", ()), *getattr(spider, "host_aliases", {})]
        if not hosts:
            return True
        host = host.lower().rstrip(".")
        bare = host.removeprefix("www.")
        for h in hosts:
            h = h.lower()
            if host == h or host.endswith("." + h) or bare == h.removeprefix("www."):
                return True
        return False

    def why_not(self, spider, url: str, any_host: bool = False) -> str | None:
        """Why ``url`` (a real URL of the site) is out of scope; None when it is in.
        ``any_host``: a page requisite, which may come from any host, on the site's
        ports (80, 443 and those its own URLs name)."""
        if len(url) > self.max_length:
            return f"URL longer than {self.max_length} characters ({len(url)})"
        parts = urlsplit(url)
        scheme = parts.scheme.lower()
        if scheme not in DEFAULT_PORTS:
            return f"scheme {scheme or '(none)'}: is not http or https"
        host = parts.hostname or ""
        if not host:
            return "no host"
        if not any_host and not self._covers(spider, host):
            return f"host {host} is not the site's"
        if any_host and not self._covers(spider, host) and _private_host(host) and (
                not self._site_is_private(spider)):
            # A public site's page naming an internal address (a metadata service, the
            # crawl machine's own services): never asked for.
            return f"host {host} is a private address and the site's is not"
        try:
            port = parts.port or DEFAULT_PORTS[scheme]
        except ValueError:
            return f"invalid port in {parts.netloc}"
        if port not in self._site_ports(spider):
            return f"port {port} of {host} is not the site's"
        return None

    def process_request(self, request):
        spider = self.crawler.spider
        url = request.url
        base = getattr(spider, "base_url", None)
        if base and urlsplit(url).netloc.lower() == urlsplit(base).netloc.lower():
            real = request.meta.get(REAL_URL)
            if real and _router_target(base, real) == url:
                url = real  # the router's own request: judge the site's URL it stands for
            elif real and request.meta.get("redirect_urls"):
                # A redirect the mirror answered with a path of its own ("Location: /x",
                # joined to the mirror's address): the same path on the real host.
                parts, mirror = urlsplit(url), urlsplit(base)
                path = parts.path.removeprefix(mirror.path.rstrip("/")) or "/"
                r = urlsplit(real)
                url = urlunsplit((r.scheme, r.netloc, path, parts.query, ""))
                request.meta[REAL_URL] = url
            else:
                self._refuse(request, f"{url}: the mirror's own address is no page of the site")
        request.meta.setdefault(ORIGIN_URL, url)
        reason = self.why_not(spider, url)
        if reason and reason.startswith("host ") and not base and (
                request.meta.get(REQUISITE) or self._robots_of_requisite_host(request, url)):
            # A stylesheet, font or picture the site's page loads from another host (a
            # CDN): fetched as a browser would, under the same politeness.
            reason = self.why_not(spider, url, any_host=True)
            if reason is None:
                self._requisite_hosts.add((urlsplit(url).hostname or "").lower())
        if reason:
            if reason.startswith("host ") and not request.meta.get("redirect_urls"):
                self.crawler.stats.inc_value("kronika/offsite_links")
                raise OffSiteLink(f"link to another site: {url[:200]}")
            self._refuse(request, f"{url[:200]}: {reason}")
        return None

    def _robots_of_requisite_host(self, request, url: str) -> bool:
        parts = urlsplit(url)
        return (bool(request.meta.get("dont_obey_robotstxt")) and parts.path == "/robots.txt"
                and (parts.hostname or "").lower() in self._requisite_hosts)

    def _site_is_private(self, spider) -> bool:
        hosts = [*getattr(spider, "allowed_domains", ()),
                 urlsplit(getattr(spider, "start_url", "") or "").hostname or ""]
        return any(_private_host(h) for h in hosts if h)

    def _refuse(self, request, reason: str):
        self.crawler.stats.inc_value("kronika/out_of_scope")
        raise OutOfScope(f"out of scope: {reason}")
