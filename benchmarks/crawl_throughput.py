"""Crawl throughput and memory on a synthetic mirror, against plain Scrapy as the ceiling.

A synthetic rops_torun site (tests/synthetic.py) of N articles is served on loopback by
its own process. Three crawls fetch all of it, each in a fresh process, with politeness
off (no delay, no AutoThrottle, 16 requests in flight, robots.txt still read):

* ceiling: a plain Scrapy spider that follows the same listing pages and article links
  and does nothing with the pages (no extraction, no store, no WARC);
* kronika, WARC off: the real ``rops_torun`` spider with the store and extraction, the
  WARC recorder switched off;
* kronika, WARC on: the same with the recorder, as every real crawl runs.

Pages per second count every response (robots.txt, listings, articles) over Scrapy's own
``elapsed_time_seconds`` (process start-up excluded). Peak memory is the crawl
process's maximum resident set size. Each configuration runs ``--runs`` times; the table
gives medians. Targets: WARC on at least half the ceiling's pages per second;
peak memory under 400 MB at 50,000 articles, and not growing with the crawl.

    python benchmarks/crawl_throughput.py --articles 10000 [--runs 3] [--only kronika-warc]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

FAST = {"DOWNLOAD_DELAY": 0, "AUTOTHROTTLE_ENABLED": False, "CONCURRENT_REQUESTS": 16,
        "CONCURRENT_REQUESTS_PER_DOMAIN": 16, "DOWNLOAD_DELAY_JITTER": 0,
        "LOG_LEVEL": "INFO", "TELNETCONSOLE_ENABLED": False}
MODES = ("ceiling", "kronika-nowarc", "kronika-warc")


# -- children: one crawl each, in a fresh process --------------------------------------
def child_ceiling(base_url: str) -> None:
    import scrapy
    from scrapy.crawler import CrawlerProcess

    from crawler.components.settings import keep_offline

    class PlainSpider(scrapy.Spider):
        name = "plain"
        start_urls = [f"{base_url}/40-archiwum-2021"]

        def parse(self, response):
            # Links resolve against the page's <base href> (the real host): sent to the
            # mirror instead, as kronika's --base-url does.
            for href in response.css("div.blog h2 a::attr(href)").getall():
                yield scrapy.Request(_local(response.urljoin(href)), self.parse_article)
            nxt = response.css("li.pagination-next a::attr(href)").get()
            if nxt:
                yield scrapy.Request(_local(response.urljoin(nxt)), priority=-2)

        def parse_article(self, response):
            return None

    def _local(url: str) -> str:
        return re.sub(r"^https?://[^/]+", base_url, url)

    keep_offline()
    process = CrawlerProcess({**FAST, "ROBOTSTXT_OBEY": True, "USER_AGENT": "plain-scrapy"})
    crawler = process.create_crawler(PlainSpider)
    process.crawl(crawler)
    process.start()
    _report(crawler.stats.get_stats())


def child_kronika(base_url: str, out: str, warc: bool) -> None:
    from crawler.components.settings import crawl_settings
    from crawler.run.runner import CrawlJob, run_crawl

    settings = dict(FAST)
    middlewares = dict(crawl_settings()["DOWNLOADER_MIDDLEWARES"])
    if not warc:
        middlewares["archive.recorder.WarcRecorderMiddleware"] = None
    settings["DOWNLOADER_MIDDLEWARES"] = middlewares
    Path(out).mkdir(parents=True, exist_ok=True)
    job = CrawlJob(slugs=["rops_torun"], out_dir=Path(out), base_url=base_url, full=True,
                   quiet=True, media=False, settings=settings)
    code = run_crawl(job, "benchmarks/crawl_throughput.py")
    log = next(Path(out, "logs").glob("run-*.log")).read_text(encoding="utf-8")
    stats = {k: float(v) for k, v in re.findall(
        r"'(elapsed_time_seconds|downloader/response_count)': ([\d.]+)", log)}
    stats["exit_code"] = code
    _report(stats)


def _report(stats: dict) -> None:
    import resource

    print("RESULT " + json.dumps({
        "elapsed": stats.get("elapsed_time_seconds"),
        "responses": stats.get("downloader/response_count"),
        "exit_code": stats.get("exit_code", 0),
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}), flush=True)


# -- the parent: serve, run, tabulate ------------------------------------------------------
def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def serve(articles: int):
    port = _free_port()
    server = subprocess.Popen([sys.executable, "-m", "tests.synthetic", "--articles",
                               str(articles), "--port", str(port)], cwd=ROOT,
                              stdout=subprocess.PIPE, text=True)
    server.stdout.readline()  # "serving ..." once it listens
    return server, f"http://127.0.0.1:{port}"


def run_one(mode: str, base_url: str) -> dict:
    out = tempfile.mkdtemp(prefix="kronika-bench-")
    try:
        args = [sys.executable, __file__, "--child", mode, "--base-url", base_url, "--out", out]
        started = time.perf_counter()
        result = subprocess.run(args, capture_output=True, text=True, cwd=ROOT)
        wall = time.perf_counter() - started
        line = next((x for x in result.stdout.splitlines() if x.startswith("RESULT ")), None)
        if line is None:
            raise SystemExit(f"{mode} failed:\n{result.stdout[-2000:]}\n{result.stderr[-2000:]}")
        data = json.loads(line[7:])
        data["wall"] = wall
        data["pages_per_second"] = data["responses"] / data["elapsed"]
        return data
    finally:
        shutil.rmtree(out, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--only", choices=MODES, action="append")
    parser.add_argument("--json", metavar="PATH")
    parser.add_argument("--child", choices=MODES, help=argparse.SUPPRESS)
    parser.add_argument("--base-url", help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child == "ceiling":
        return child_ceiling(args.base_url)
    if args.child:
        return child_kronika(args.base_url, args.out, warc=args.child == "kronika-warc")

    modes = args.only or list(MODES)
    server, base_url = serve(args.articles)
    results: dict[str, list[dict]] = {m: [] for m in modes}
    try:
        for run in range(args.runs):
            for mode in modes:
                results[mode].append(run_one(mode, base_url))
                r = results[mode][-1]
                print(f"run {run + 1} {mode}: {r['responses']:.0f} responses, "
                      f"{r['pages_per_second']:.0f} pages/s, peak {r['peak_rss_mb']:.0f} MB, "
                      f"exit {r['exit_code']}", file=sys.stderr, flush=True)
    finally:
        server.terminate()
        server.wait()
    summary = {m: {"pages_per_second": statistics.median(r["pages_per_second"] for r in rs),
                   "peak_rss_mb": statistics.median(r["peak_rss_mb"] for r in rs),
                   "responses": rs[0]["responses"], "runs": rs} for m, rs in results.items()}
    print(f"{args.articles} articles, median of {args.runs} runs; {platform.machine()}, "
          f"{os.cpu_count()} cores, Python {platform.python_version()}\n")
    print("| crawl | responses | pages/s | share of ceiling | peak memory |")
    print("|---|---|---|---|---|")
    ceiling = summary.get("ceiling", {}).get("pages_per_second")
    for mode, s in summary.items():
        share = f"{s['pages_per_second'] / ceiling:.2f}" if ceiling else "-"
        print(f"| {mode} | {s['responses']:.0f} | {s['pages_per_second']:.0f} | {share} | "
              f"{s['peak_rss_mb']:.0f} MB |")
    if args.json:
        Path(args.json).write_text(json.dumps({"articles": args.articles, **summary},
                                              indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
