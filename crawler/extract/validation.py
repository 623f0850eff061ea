"""Validation of Article records against the shipped JSON Schema.

Set ``KRONIKA_STRICT=1`` (the test suite does) and every record the extractor builds is
validated on the spot, so a schema violation fails loudly where it is made, in crawl
subprocesses too.
"""

from __future__ import annotations

import json
import os
from functools import cache

from jsonschema import Draft202012Validator, FormatChecker

from crawler import ARTICLE_SCHEMA_PATH


@cache
def article_validator() -> Draft202012Validator:
    """The validator of the shipped Article schema."""
    schema = json.loads(ARTICLE_SCHEMA_PATH.read_text(encoding="utf-8"))
    return Draft202012Validator(schema, format_checker=FormatChecker())


def schema_errors(record: dict) -> list[str]:
    """Human-readable schema violations of one record ([] when valid)."""
    return [f"{'/'.join(map(str, e.absolute_path)) or '(record)'}: {e.message}"
            for e in article_validator().iter_errors(record)]


def strict() -> bool:
    """True when records must be validated as they are built."""
    return os.environ.get("KRONIKA_STRICT") == "1"


def check(record: dict) -> dict:
    """Return ``record``; in strict mode raise ValueError if it breaks the schema."""
    if strict():
        errors = schema_errors(record)
        if errors:
            raise ValueError(f"Article for {record.get('url')} breaks the schema: {errors}")
    return record
