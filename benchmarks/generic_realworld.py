"""kronika's generic text extraction against trafilatura on real pages nobody here wrote.

The corpus is trafilatura's evaluation set (990 pages with human-written `with` /
`without` snippets), kept outside the repository at ``../shared/data/trafilatura-eval/``
(see its README.md for source, licence and metric). Three extractors read every page in
one run:

* kronika: ``extract_article(html_bytes, url)``, its ``lead`` and ``text``. Corpus hosts
  have no kronika profile, so the generic path runs; the methods actually recorded are counted and
  printed, so a page that went through a site profile would show up. kronika decodes
  the bytes itself: its encoding sniffer is part of what is measured;
* trafilatura: ``trafilatura.extract(html, include_comments=False)``, on the text
  decoded as the README prescribes;
* trafilatura with ``favor_precision=True`` as well.

Scoring is the corpus's own metric: after whitespace normalisation each `with` snippet
found is a TP (else FN), each `without` snippet found is an FP (else TN); counts are
summed over pages before precision, recall, F1 and accuracy are computed. Scores are
given over all pages and over the Polish ones (rule in ``is_polish``). Speed is pages per
second of each extractor (CPU time, extractors interleaved page by page), from the page's
bytes (decoding included) to its text.

    python benchmarks/generic_realworld.py [--corpus PATH] [--limit N] [--lang pl]
                                           [--json PATH]
"""

from __future__ import annotations

import argparse
import gzip
import json
import re
import sys
import time
from collections import Counter
from pathlib import Path
from urllib.parse import urlsplit

import trafilatura
from w3lib.encoding import html_to_unicode

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from crawler import extract_article  # noqa: E402

DEFAULT_CORPUS = Path(__file__).resolve().parents[2] / "shared" / "data" / "trafilatura-eval"
# Letters Polish has and the corpus's other languages (German, English, Spanish, French...)
# do not: a snippet holding one was written from a Polish text.
_POLISH_LETTERS = re.compile("[ąęłńśźżĄĘŁŃŚŹŻ]")
_HTML_LANG = re.compile(r"<html\b[^>]*?\blang\s*=\s*[\"']?([A-Za-z-]+)", re.I)


def normalize(text: str) -> str:
    """The metric's whitespace rule: runs of whitespace become one space, ends stripped."""
    return " ".join((text or "").split())


def page_url(key: str) -> str:
    # Keys that are labels ("hard::...", "recall::...", the disabled "xhttps://...") are
    # not URLs: the README says to give those pages an empty URL.
    return key if key.startswith(("http://", "https://")) else ""


def is_polish(url: str, page: dict, html: str) -> bool:
    """The README names 21 Polish pages: 17 declare <html lang="pl">, 4 more are Polish by
    their text. Rule: a declared pl language, or a .pl host (the archived one included),
    or a Polish-only letter in the page's ground-truth snippets."""
    declared = _HTML_LANG.search(html[:20000])
    if declared and declared.group(1).lower().split("-")[0] == "pl":
        return True
    hosts = [urlsplit(u).hostname or "" for u in re.findall(r"https?://[^/]+", url)]
    if any(host.endswith(".pl") for host in hosts):
        return True
    return any(_POLISH_LETTERS.search(s) for s in page["with"] + page["without"])


def decode(body: bytes) -> str:
    # BOM, <meta charset>, UTF-8, cp1252: what the README prescribes (w3lib does exactly
    # that when there are no HTTP headers).
    return html_to_unicode(None, body)[1]


def run_kronika(body: bytes, url: str, methods: Counter) -> str:
    try:
        record = extract_article(body, url, site=None)
    except ValueError:  # crawler's ExtractionError: an empty or binary page, no text
        methods["error"] += 1
        return ""
    methods[record["extraction"]["method"]] += 1
    # The article's text is its lead (the standfirst, a field of its own) and its body.
    return "\n\n".join(filter(None, (record["lead"], record["text"])))


def run_trafilatura(body: bytes, precision: bool) -> str:
    return trafilatura.extract(decode(body), include_comments=False,
                               favor_precision=precision) or ""


class Score:
    """The four counts of the corpus metric, summed over pages."""

    def __init__(self):
        self.tp = self.fn = self.fp = self.tn = 0

    def add(self, text: str, page: dict) -> None:
        text = normalize(text)
        for snippet in page["with"]:
            if normalize(snippet) in text:
                self.tp += 1
            else:
                self.fn += 1
        for snippet in page["without"]:
            if normalize(snippet) in text:
                self.fp += 1
            else:
                self.tn += 1

    def numbers(self) -> dict:
        precision = self.tp / ((self.tp + self.fp) or 1)
        recall = self.tp / ((self.tp + self.fn) or 1)
        f1 = 2 * precision * recall / ((precision + recall) or 1)
        total = self.tp + self.fn + self.fp + self.tn
        return {"precision": round(precision, 4), "recall": round(recall, 4),
                "f1": round(f1, 4), "accuracy": round((self.tp + self.tn) / (total or 1), 4),
                "tp": self.tp, "fn": self.fn, "fp": self.fp, "tn": self.tn}


def load_pages(corpus: Path, lang: str | None, limit: int | None) -> list[tuple]:
    evaldata = json.loads((corpus / "evaldata.json").read_text(encoding="utf-8"))
    pages = []
    for key, page in evaldata.items():
        body = gzip.decompress((corpus / "html" / f"{page['file']}.gz").read_bytes())
        url = page_url(key)
        polish = is_polish(url, page, decode(body))
        if lang == "pl" and not polish:
            continue
        pages.append((key, url, page, body, polish))
        if limit and len(pages) >= limit:
            break
    return pages


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS,
                        help="the trafilatura-eval directory (default: %(default)s)")
    parser.add_argument("--limit", type=int, help="only the first N pages (quick runs)")
    parser.add_argument("--lang", choices=["pl"], help="only the Polish pages")
    parser.add_argument("--json", type=Path, help="write the numbers here")
    args = parser.parse_args()
    if not (args.corpus / "evaldata.json").is_file():
        print(f"corpus not found: {args.corpus} (pass --corpus PATH)", file=sys.stderr)
        return 2

    pages = load_pages(args.corpus, args.lang, args.limit)
    methods: Counter = Counter()
    extractors = {
        "kronika generic": lambda body, url: run_kronika(body, url, methods),
        "trafilatura (no comments)": lambda body, url: run_trafilatura(body, False),
        "trafilatura favor_precision": lambda body, url: run_trafilatura(body, True),
    }
    # One untimed call each: imports, the spider registry and lxml's parser set-up are
    # paid once per process, not per page.
    for run in extractors.values():
        run(pages[0][3], pages[0][1])
    methods.clear()

    names = list(extractors)
    overall = {name: Score() for name in names}
    polish = {name: Score() for name in names}
    seconds = dict.fromkeys(names, 0.0)
    for index, (_key, url, page, body, is_pl) in enumerate(pages):
        # Extractors take turns on each page, in rotating order, and are timed in CPU
        # time of this process: on a shared machine, load that comes and goes then
        # weighs on all of them alike instead of on whichever ran during it.
        for name in names[index % len(names):] + names[:index % len(names)]:
            start = time.process_time()
            text = extractors[name](body, url)
            seconds[name] += time.process_time() - start
            overall[name].add(text, page)
            if is_pl:
                polish[name].add(text, page)
    results = {name: {"all": overall[name].numbers(), "pl": polish[name].numbers(),
                      "cpu_seconds": round(seconds[name], 3),
                      "pages_per_second": round(len(pages) / seconds[name], 1)}
               for name in names}

    n_pl = sum(1 for *_, is_pl in pages if is_pl)
    print(f"{len(pages)} pages ({n_pl} Polish), corpus {args.corpus}")
    print(f"{'extractor':<28} {'P':>6} {'R':>6} {'F1':>6} {'acc':>6}   "
          f"{'P pl':>6} {'R pl':>6} {'F1 pl':>6}   {'pages/s':>7}")
    for name, r in results.items():
        a, p = r["all"], r["pl"]
        print(f"{name:<28} {a['precision']:6.3f} {a['recall']:6.3f} {a['f1']:6.3f} "
              f"{a['accuracy']:6.3f}   {p['precision']:6.3f} {p['recall']:6.3f} "
              f"{p['f1']:6.3f}   {r['pages_per_second']:7.1f}")
    ratio = (results["kronika generic"]["pages_per_second"]
             / results["trafilatura (no comments)"]["pages_per_second"])
    print(f"kronika extraction methods: {dict(methods)}; speed {ratio:.2f}x trafilatura")
    if args.json:
        args.json.write_text(json.dumps({
            "corpus": str(args.corpus), "pages": len(pages), "polish_pages": n_pl,
            "trafilatura_version": trafilatura.__version__,
            "kronika_methods": dict(methods), "speed_ratio": round(ratio, 3),
            "results": results}, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
