"""`kronika frontier status` and `kronika frontier drain`: watch a shared crawl, stop it.

An operator's view of a shared crawl, and the way to stop all of its workers cleanly.

Both read and write the keys crawler.scale.frontier keeps (its docstring lists them),
with the same connection options (the password from the environment, no redis-py
retries: an operator asking about a Redis that is down wants to hear it at once).
"""

from __future__ import annotations

import time
from datetime import UTC, datetime

from crawler.scale.frontier import (
    PREFIX,
    FrontierUnreachable,
    _one_line,
    _redact,
    connection_options,
    parse_frontier_url,
    redis,
)


def _client(url: str):
    redis_url, _lease = parse_frontier_url(url)
    return redis.Redis.from_url(redis_url, decode_responses=True,
                                **connection_options(redis_url))


def _text(value) -> str:
    return value if isinstance(value, str) else value.decode("utf-8", "replace")


def status(url: str) -> dict:
    """The state of the shared crawl at ``url``: its generation (the crawl hash), each
    worker (alive or not, heartbeat time left, requests done, articles, in flight), and
    per site the queue, the requests in flight and the articles so far. Raises
    FrontierUnreachable when Redis does not answer."""
    client = _client(url)
    try:
        crawl = client.hgetall(f"{PREFIX}:crawl")
        generation = crawl.get("generation")
        report: dict = {"frontier": _redact(url), "generation": None, "workers": {},
                        "sites": {}}
        if generation is None:
            return report
        report["generation"] = {
            "number": int(generation), "id": crawl.get("id"),
            "incremental": crawl.get("incremental") == "1", "founder": crawl.get("founder"),
            "started": crawl.get("started"), "draining": "drain" in crawl,
            "unfinished": crawl.get("unfinished")}
        g = f"{PREFIX}:g{generation}"
        done = client.hgetall(f"{g}:done")
        articles = client.hgetall(f"{g}:articles")
        crawled = client.hgetall(f"{g}:yield")
        names = set(client.smembers(f"{PREFIX}:workers")) | set(done) | set(articles)
        workers = report["workers"]
        for name in sorted(names):
            ttl = client.pttl(f"{PREFIX}:worker:{name}")
            workers[name] = {"alive": ttl > 0, "heartbeat_left": round(ttl / 1000, 1)
                             if ttl > 0 else None, "done": int(done.get(name, 0)),
                             "articles": int(articles.get(name, 0)), "in_flight": 0}
        sites = report["sites"]

        def site(name: str) -> dict:
            return sites.setdefault(name, {"queued": 0, "in_flight": 0, "articles": 0})

        for key in client.scan_iter(match=f"{g}:*:requests", count=1000):
            site(_text(key).split(":")[2])["queued"] = client.zcard(key)
        for key in client.scan_iter(match=f"{g}:*:inflight:*", count=1000):
            parts = _text(key).split(":")
            spider, worker = parts[2], ":".join(parts[4:])
            held = client.hlen(key)
            site(spider)["in_flight"] += held
            workers.setdefault(worker, {"alive": False, "heartbeat_left": None, "done": 0,
                                        "articles": 0, "in_flight": 0})["in_flight"] += held
        for name, count in crawled.items():
            site(name)["articles"] = int(count)
        report["sites"] = dict(sorted(sites.items()))
        return report
    except (redis.ConnectionError, redis.TimeoutError) as exc:
        raise FrontierUnreachable(f"cannot reach the frontier at {_redact(url)!r}: "
                                  f"{_one_line(exc)}") from None
    finally:
        client.close()


def status_lines(report: dict) -> list[str]:
    """``status`` for a person: the generation, a table of workers, a table of sites."""
    lines = [f"frontier {report['frontier']}"]
    gen = report["generation"]
    if gen is None:
        return [*lines, "no crawl has started in this frontier"]
    state = ("draining" if gen["draining"] else
             f"unfinished ({gen['unfinished']})" if gen["unfinished"] else "running")
    lines.append(f"generation {gen['number']}: {'incremental' if gen['incremental'] else 'full'}"
                 f", started {gen['started']} by {gen['founder']}, {state}")
    rows = [("worker", "state", "heartbeat", "in flight", "done", "articles")]
    for name, w in report["workers"].items():
        rows.append((name, "alive" if w["alive"] else "gone",
                     f"{w['heartbeat_left']} s left" if w["alive"] else "-",
                     str(w["in_flight"]), str(w["done"]), str(w["articles"])))
    rows.append(("", "", "", "", "", ""))
    rows.append(("site", "queued", "in flight", "articles", "", ""))
    for name, s in report["sites"].items():
        rows.append((name, str(s["queued"]), str(s["in_flight"]), str(s["articles"]), "", ""))
    widths = [max(len(r[i]) for r in rows) for i in range(6)]
    lines += ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip()
              for r in rows]
    return lines


def drain(url: str) -> tuple[int | None, int]:
    """Ask every worker of the running generation to stop: each finishes what it holds,
    puts the rest back and exits (within a quarter of the lease: its next heartbeat). The
    generation is marked unfinished, so the next one walks everything. Returns (the
    generation, its live workers); (None, 0) when no crawl has started."""
    client = _client(url)
    try:
        generation = client.hget(f"{PREFIX}:crawl", "generation")
        if generation is None:
            return None, 0
        now = datetime.now(UTC).isoformat(timespec="seconds")
        client.hset(f"{PREFIX}:crawl", mapping={"drain": now})
        client.hsetnx(f"{PREFIX}:crawl", "unfinished", "drained by kronika frontier drain")
        live = sum(client.exists(f"{PREFIX}:worker:{w}") for w in
                   client.smembers(f"{PREFIX}:workers"))
        return int(generation), live
    except (redis.ConnectionError, redis.TimeoutError) as exc:
        raise FrontierUnreachable(f"cannot reach the frontier at {_redact(url)!r}: "
                                  f"{_one_line(exc)}") from None
    finally:
        client.close()


def wait_drained(url: str, timeout: float) -> bool:
    """Whether every worker has left within ``timeout`` seconds of a drain."""
    client = _client(url)
    deadline = time.monotonic() + timeout
    try:
        while True:
            live = [w for w in client.smembers(f"{PREFIX}:workers")
                    if client.exists(f"{PREFIX}:worker:{w}")]
            if not live:
                return True
            if time.monotonic() > deadline:
                return False
            time.sleep(0.5)
    except (redis.ConnectionError, redis.TimeoutError) as exc:
        raise FrontierUnreachable(f"cannot reach the frontier at {_redact(url)!r}: "
                                  f"{_one_line(exc)}") from None
    finally:
        client.close()
