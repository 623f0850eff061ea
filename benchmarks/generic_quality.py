"""Generic extraction quality over every fixture article, profiles switched off.

For each article page of every fixture mirror (pages marked "duplicate_of" skipped), two
extractors read the stored bytes: kronika's generic path (``extract`` with no site
rules: trafilatura plus kronika's chrome rules, Polish dates, headline and gallery logic)
and trafilatura alone (``bare_extraction`` with its metadata, images on). Each is scored
against the reviewed golden Article:

* body F1: token F1 of the body (lead + text) against the golden's lead + text;
* chrome leaked: share of articles whose body holds a line of the chrome vocabulary or
  any of the page's recorded ``must_not_contain`` strings;
* title: exact match; date: the same calendar day (or both none);
* images: share of the golden's images found (full-size URL or thumbnail URL).

    python benchmarks/generic_quality.py [--json PATH]

Prints a Markdown table (means over all articles) and the per-site body F1.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from collections import defaultdict
from pathlib import Path

import trafilatura

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from crawler.devtools.fixtures import FixtureSite, available  # noqa: E402
from crawler.extract import decode_html, extract  # noqa: E402
from crawler.extract.chrome import is_chrome_text  # noqa: E402

FIXTURES = Path(__file__).resolve().parents[1] / "tests" / "fixtures"
_WORD = re.compile(r"\w+", re.UNICODE)


def tokens(text: str) -> list[str]:
    return _WORD.findall((text or "").lower())


def f1(found: str, expected: str) -> float:
    a, b = tokens(found), tokens(expected)
    if not a and not b:
        return 1.0
    if not a or not b:
        return 0.0
    counts = defaultdict(int)
    for w in b:
        counts[w] += 1
    common = 0
    for w in a:
        if counts[w] > 0:
            counts[w] -= 1
            common += 1
    return 2 * common / (len(a) + len(b))


def leaked(body: str, page: dict) -> bool:
    lines = [line.removeprefix("- ").strip() for line in body.split("\n")]
    if any(is_chrome_text(line) for line in lines if line):
        return True
    own = page.get("must_contain", [])
    return any(s in body for s in page.get("must_not_contain", []) if not any(s in o for o in own))


def kronika_generic(html: bytes, page: dict) -> dict:
    # extract() with no rules: the generic path even on a host kronika has a profile for.
    record = extract(html, page["url"], None, content_type=page.get("content_type"))
    urls = {u for i in record["images"] for u in (i["url"], i["thumbnail_url"]) if u}
    return {"body": "\n\n".join(filter(None, (record["lead"], record["text"]))),
            "title": record["title"], "date": record["published"], "images": urls}


def trafilatura_alone(html: bytes, page: dict) -> dict:
    text = decode_html(html, page.get("content_type"))
    doc = trafilatura.bare_extraction(text, url=page["url"], with_metadata=True,
                                      include_images=True, include_tables=True)
    if doc is None:
        return {"body": "", "title": None, "date": None, "images": set()}
    data = doc.as_dict() if hasattr(doc, "as_dict") else dict(doc)
    xml = trafilatura.extract(text, url=page["url"], output_format="xml", include_images=True)
    images = set(re.findall(r'<graphic[^>]*src="([^"]+)"', xml or ""))
    return {"body": data.get("text") or "", "title": data.get("title"),
            "date": data.get("date"), "images": images}


def score(result: dict, golden: dict, page: dict) -> dict:
    expected_body = "\n\n".join(filter(None, (golden["lead"], golden["text"])))
    wanted = golden["images"]
    found = sum(1 for i in wanted if {i["url"], i["thumbnail_url"]} & result["images"])
    return {
        "body_f1": f1(result["body"], expected_body),
        "chrome_leaked": float(leaked(result["body"], page)),
        "title": float((result["title"] or "") == golden["title"]),
        "date": float((result["date"] or "")[:10] == (golden["published"] or "")[:10]),
        "images": found / len(wanted) if wanted else 1.0,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", help="write per-article scores here")
    args = parser.parse_args()
    extractors = {"kronika generic": kronika_generic, "trafilatura alone": trafilatura_alone}
    rows, seconds = defaultdict(list), defaultdict(float)
    per_site = defaultdict(lambda: defaultdict(list))
    from_listing = 0
    for slug in available(FIXTURES):
        site = FixtureSite.load(slug, FIXTURES)
        for page in site.articles():
            if page.get("duplicate_of"):
                continue
            golden = json.loads(site.golden_path(page).read_text(encoding="utf-8"))
            from_listing += golden["published_source"] == "listing"
            html = site.body(page)
            for name, extractor in extractors.items():
                started = time.perf_counter()
                result = extractor(html, page)
                seconds[name] += time.perf_counter() - started
                scores = score(result, golden, page)
                rows[name].append({"site": slug, "url": page["url"], **scores})
                per_site[slug][name].append(scores["body_f1"])
    n = len(rows["kronika generic"])
    metrics = ("body_f1", "chrome_leaked", "title", "date", "images")
    print(f"{n} fixture articles from {len(per_site)} sites; {from_listing} golden dates "
          "come from listings, which neither extractor sees\n")
    print("| extractor | body F1 | chrome leaked | title | date | images | ms/page |")
    print("|---|---|---|---|---|---|---|")
    for name in extractors:
        means = [sum(r[m] for r in rows[name]) / n for m in metrics]
        print(f"| {name} | " + " | ".join(f"{v:.3f}" for v in means)
              + f" | {1000 * seconds[name] / n:.1f} |")
    print("\n| site | articles | kronika generic body F1 | trafilatura body F1 |")
    print("|---|---|---|---|")
    for slug, by in sorted(per_site.items()):
        k, t = by["kronika generic"], by["trafilatura alone"]
        print(f"| {slug} | {len(k)} | {sum(k) / len(k):.3f} | {sum(t) / len(t):.3f} |")
    if args.json:
        Path(args.json).write_text(json.dumps(rows, ensure_ascii=False, indent=1) + "\n",
                                   encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
