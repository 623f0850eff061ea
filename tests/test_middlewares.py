"""The mirror router: every request for the site's hosts goes to the mirror, redirects too."""

from __future__ import annotations

from types import SimpleNamespace

from scrapy.http import HtmlResponse, Request

from archive.meta import REAL_URL
from crawler.components.router import MirrorRouterMiddleware
from spiders.rops_krakow import RopsKrakowSpider


def router(base_url="http://127.0.0.1:8765"):
    spider = RopsKrakowSpider(base_url=base_url)
    return MirrorRouterMiddleware(SimpleNamespace(spider=spider))


def test_site_hosts_go_to_the_mirror_with_their_host_header():
    mw = router()
    routed = mw.process_request(Request("http://www.szkoleniapokl.rops.krakow.pl/;s,aktualnosci"))
    assert routed.url == "http://127.0.0.1:8765/;s,aktualnosci"
    assert routed.headers["Host"] == b"www.szkoleniapokl.rops.krakow.pl"
    assert routed.meta[REAL_URL] == "http://www.szkoleniapokl.rops.krakow.pl/;s,aktualnosci"
    assert mw.process_request(routed) is None  # already at the mirror
    assert mw.process_request(Request("https://example.org/x")) is None  # not the site's


def test_a_redirect_to_another_real_host_is_routed_again():
    mw = router()
    first = mw.process_request(Request("https://rops.krakow.pl/stary-adres"))
    # RedirectMiddleware builds the next request with the old meta copied over.
    redirected = first.replace(url="https://2023.rops.krakow.pl/aktualnosci/nowy",
                               meta=dict(first.meta))
    routed = mw.process_request(redirected)
    assert routed is not None and routed.url == "http://127.0.0.1:8765/aktualnosci/nowy"
    assert routed.headers["Host"] == b"2023.rops.krakow.pl"
    assert routed.meta[REAL_URL] == "https://2023.rops.krakow.pl/aktualnosci/nowy"


def test_responses_get_their_real_url_back():
    mw = router()
    routed = mw.process_request(Request("https://rops.krakow.pl/aktualnosci?page=2"))
    response = HtmlResponse(routed.url, body=b"<html></html>", request=routed)
    assert mw.process_response(routed, response).url == "https://rops.krakow.pl/aktualnosci?page=2"
