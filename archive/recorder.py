"""The WARC recorder: a downloader middleware that archives every response as received.

It sits next to the downloader (priority 950, above HttpCompression's 590), so it
records the body as received, still compressed if the server compressed it, with every
header value and the real URL the mirror router restored. The run's Harvest writes the
records (``archive.warc``) and the capture index; the capture's record id, payload
digest and WARC-Date go into ``request.meta``, from where they reach the Article
(``capture``, ``fetched_at``).
"""

from __future__ import annotations

from http import HTTPStatus
from urllib.parse import urlsplit

from archive.harvest import harvest_of
from archive.meta import WARC_CAPTURE, WARC_DATE, real_url

# Twisted hands over the body de-chunked: a Transfer-Encoding header kept as is would
# make replay tools de-chunk it again. The original value stays, under another name.
_RENAMED = {"transfer-encoding": "X-Archive-Orig-Transfer-Encoding"}


def _header_list(headers) -> list[tuple[str, str]]:
    return [(_RENAMED.get(k.decode("latin-1").lower(), k.decode("latin-1")), v.decode("latin-1"))
            for k, values in headers.items() for v in values]


class WarcRecorderMiddleware:
    """Hand every downloaded response (and its request) to the harvest to archive."""

    def __init__(self, harvest):
        self.harvest = harvest

    @classmethod
    def from_crawler(cls, crawler):
        return cls(harvest_of(crawler))

    def process_response(self, request, response):
        url = real_url(request)
        parts = urlsplit(url)
        path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        request_headers = _header_list(request.headers)
        if not any(k.lower() == "host" for k, _ in request_headers):
            request_headers.insert(0, ("Host", parts.netloc))
        try:
            reason = HTTPStatus(response.status).phrase
        except ValueError:
            reason = ""
        capture = self.harvest.archive_exchange(
            url, f"{request.method} {path} HTTP/1.1", request_headers, response.status,
            f"{response.status} {reason}".strip(), _header_list(response.headers),
            response.body, protocol=getattr(response, "protocol", None) or "HTTP/1.1")
        request.meta[WARC_CAPTURE] = {k: capture[k] for k in
                                      ("warc_file", "record_id", "payload_digest")}
        request.meta[WARC_DATE] = capture["date"]
        return response
