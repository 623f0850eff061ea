"""Peak memory and time of the extraction on hostile pages, each in a process of its own.

The pages are generated here, never stored: the 10 MB page of 400,000 small links (the
target: under 500 MB peak RSS on both paths), the 48 MB one that took 10.6 GB before the
extraction budget, a 50 MB paragraph of words, a 30 MB image pasted into an article as
a data: URI, and deep nesting (5,000 divs, spans, blockquotes; 1,500 <b>s). Each page
is extracted twice, in a fresh Python process each time:

* site path: ``extract_article(page, url)`` with an mcps.com.pl article URL, whose
  WordPress profile selects ``article.post`` / ``div.entry-content`` (the page puts the
  hostile content there);
* generic path: the same page under an unknown host.

Peak RSS is the child's ``resource.getrusage(RUSAGE_SELF).ru_maxrss`` after the
extraction: the whole process (interpreter, libraries, the page itself) at its highest;
"before" is the same reading after the imports and the page were made, before the
extraction ran. Time is the extraction's wall time.

    python benchmarks/extraction_memory.py [--only NAME ...] [--json PATH]
"""

from __future__ import annotations

import argparse
import json
import platform
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TARGET_MB = 500
URLS = {"site": "https://mcps.com.pl/aktualnosci/hostile-page/",
        "generic": "https://example.org/aktualnosci/hostile-page"}
_WORDS = "pomoc społeczna w regionie rodzina senior wsparcie projekt "


def _frame(inner: str) -> str:
    """A WordPress article page (mcps.com.pl's theme) around ``inner``, which goes into
    its body between a first and a last paragraph."""
    return ('<!doctype html><html lang="pl"><head><meta charset="utf-8">'
            '<title>Wrogi artykuł - MCPS</title></head><body>'
            '<header><nav><a href="/">Start</a> <a href="/aktualnosci/">Aktualności</a>'
            '</nav></header><main><article class="post">'
            '<h1 class="entry-title">Wrogi artykuł</h1>'
            '<time class="entry-date published" datetime="2023-03-14T10:00:00+01:00">'
            '14 marca 2023</time><div class="entry-content">'
            '<p>Pierwszy akapit artykułu o pomocy społecznej w regionie.</p>'
            + inner +
            '<p>Ostatni akapit artykułu, który ma zostać w tekście.</p>'
            '</div></article></main><footer>Mazowieckie Centrum Polityki Społecznej'
            '</footer></body></html>')


def _links(count: int) -> str:
    return "<p>" + "".join(f'<a href="/l{i}">x</a> ' for i in range(count)) + "</p>"


def _paragraph(megabytes: int) -> str:
    return "<p>" + _WORDS * (megabytes * 1024 * 1024 // len(_WORDS.encode())) + "</p>"


def _nested(tag: str, depth: int) -> str:
    return f"<{tag}>" * depth + "Tekst w środku zagnieżdżenia." + f"</{tag}>" * depth


def _data_uri(megabytes: int) -> str:
    payload = "QUJD" * (megabytes * 1024 * 1024 // 4)
    return f'<p><img src="data:image/jpeg;base64,{payload}" alt=""></p>'


PAGES = {
    "links-10MB-400k": lambda: _links(400_000),
    "links-48MB": lambda: _links(1_890_000),
    "paragraph-50MB": lambda: _paragraph(50),
    "data-uri-30MB": lambda: _data_uri(30),
    "div-5000": lambda: _nested("div", 5000),
    "span-5000": lambda: _nested("span", 5000),
    "blockquote-5000": lambda: _nested("blockquote", 5000),
    "b-1500": lambda: _nested("b", 1500),
}


def child(name: str, path: str) -> None:
    """Build the page, extract it once, print one JSON line of measurements."""
    sys.path.insert(0, str(ROOT))
    from crawler import extract_article

    page = _frame(PAGES[name]()).encode("utf-8")
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    start = time.perf_counter()
    record = extract_article(page, URLS[path])
    seconds = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    text = record["text"]
    print(json.dumps({
        "page": name, "path": path, "page_mb": len(page) / 1e6,
        "before_mb": before / 1024, "peak_mb": peak / 1024, "seconds": seconds,
        "method": record["extraction"]["method"], "text_chars": len(text),
        "last_paragraph_kept": text.endswith("ma zostać w tekście."),
        "record_mb": len(json.dumps(record, ensure_ascii=False).encode()) / 1e6,
        "warnings": record["extraction"]["warnings"]}, ensure_ascii=False))


def measure(name: str, path: str) -> dict:
    done = subprocess.run([sys.executable, __file__, "--child", name, path],
                          capture_output=True, text=True, cwd=ROOT)
    if done.returncode != 0:
        return {"page": name, "path": path, "error": done.stderr.strip().splitlines()[-1:]}
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="*", choices=sorted(PAGES), default=list(PAGES))
    parser.add_argument("--json", metavar="PATH")
    parser.add_argument("--child", nargs=2, metavar=("PAGE", "PATH"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(*args.child)
        return
    results = [measure(name, path) for name in args.only for path in URLS]
    print(f"One process per page and path; {platform.machine()}, "
          f"Python {platform.python_version()}\n")
    print("| page | path | page MB | peak RSS MB (before extraction) | s | method | "
          "text chars | last paragraph | record MB | warnings |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for r in results:
        if "error" in r:
            print(f"| {r['page']} | {r['path']} | FAILED: {r['error']} |")
            continue
        print(f"| {r['page']} | {r['path']} | {r['page_mb']:.1f} | {r['peak_mb']:.0f} "
              f"({r['before_mb']:.0f}) | {r['seconds']:.1f} | {r['method']} | "
              f"{r['text_chars']:,} | {'kept' if r['last_paragraph_kept'] else 'cut'} | "
              f"{r['record_mb']:.2f} | {len(r['warnings'])}: "
              f"{'; '.join(w.split(' (')[0] for w in r['warnings'])} |")
    target = [r for r in results if r["page"] == "links-10MB-400k" and "peak_mb" in r]
    if target:
        worst = max(r["peak_mb"] for r in target)
        print(f"\n10 MB page of 400,000 links: {worst:.0f} MB peak at most "
              f"(target: under {TARGET_MB} MB) -> {'met' if worst < TARGET_MB else 'MISSED'}")
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n",
                                   encoding="utf-8")


if __name__ == "__main__":
    main()
