"""Exports of the store's Articles, streamed: JSON Lines, CSV, Atom.

Records are read one at a time from SQLite and written as they come, so an export of
a large store never holds it in memory.
"""

from __future__ import annotations

import csv
import json
from datetime import UTC, datetime
from xml.sax.saxutils import XMLGenerator
from xml.sax.xmlreader import AttributesImpl

FORMATS = ("jsonl", "csv", "atom")
CSV_FIELDS = ("id", "site", "url", "canonical_url", "title", "published", "modified",
              "author", "source", "category", "lead", "text", "images", "attachments",
              "language", "content_hash", "fetched_at")


def write_jsonl(records, out) -> int:
    """One Article JSON per line (the full record)."""
    n = 0
    for record in records:
        n += 1
        out.write(json.dumps(record, ensure_ascii=False) + "\n")
    return n


def write_csv(records, out) -> int:
    """One row per Article; images and attachments as JSON in their cells."""
    writer = csv.DictWriter(out, fieldnames=CSV_FIELDS, extrasaction="ignore")
    writer.writeheader()
    n = 0
    for record in records:
        n += 1
        row = dict(record)
        row["images"] = json.dumps(record["images"], ensure_ascii=False)
        row["attachments"] = json.dumps(record["attachments"], ensure_ascii=False)
        writer.writerow(row)
    return n


def write_atom(records, out, title: str = "kronika", feed_id: str = "all") -> int:
    """An Atom 1.0 feed: one entry per Article, its clean HTML as content."""
    xml = XMLGenerator(out, encoding="utf-8", short_empty_elements=True)
    xml.startDocument()
    xml.startElement("feed", _attrs({"xmlns": "http://www.w3.org/2005/Atom"}))

    def element(name, text, attrs=None):
        xml.startElement(name, _attrs(attrs))
        if text:
            xml.characters(text)
        xml.endElement(name)

    now = datetime.now(UTC).isoformat(timespec="seconds")
    element("title", title)
    element("id", f"urn:kronika:feed:{feed_id}")
    element("updated", now)
    n = 0
    for record in records:
        n += 1
        xml.startElement("entry", _attrs())
        element("id", f"urn:kronika:article:{record['id']}")
        element("title", record["title"])
        xml.startElement("link", _attrs({"href": record["url"], "rel": "alternate"}))
        xml.endElement("link")
        published = _atom_date(record["published"])
        element("updated", _atom_date(record["modified"]) or published or record["fetched_at"]
                or now)
        if published:
            element("published", published)
        if record["author"]:
            xml.startElement("author", _attrs())
            element("name", record["author"])
            xml.endElement("author")
        if record["category"]:
            xml.startElement("category", _attrs({"term": record["category"]}))
            xml.endElement("category")
        if record["lead"]:
            element("summary", record["lead"])
        element("content", record["html"], {"type": "html"})
        xml.endElement("entry")
    xml.endElement("feed")
    xml.endDocument()
    return n


def _attrs(attrs: dict[str, str] | None = None) -> AttributesImpl[str]:
    # XMLGenerator.startElement is typed for AttributesImpl; it only calls .items().
    return AttributesImpl(attrs or {})


def _atom_date(value: str | None) -> str | None:
    # Atom wants a full timestamp; a date alone is taken as midnight, Warsaw time unknown.
    if not value:
        return None
    return value if "T" in value else f"{value}T00:00:00Z"
