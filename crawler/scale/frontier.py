"""A crawl frontier shared by worker processes on several machines, in Redis.

``kronika crawl ... --frontier redis://HOST:PORT/DB`` makes this process one worker of a
shared crawl. The queue and the duplicate filter are scrapy-redis's (its Scheduler,
PriorityQueue and RFPDupeFilter): every request any worker makes goes into one sorted set
in Redis, any worker pops it, and its fingerprint is kept in one set, so each URL is
fetched once across all workers. scrapy-redis alone is not enough for a polite, lossless
crawl of small public servers; the pieces below fill the gaps, each for one reason:

* **Host gate** (``HostGateMiddleware``): Scrapy's politeness (one request at a time per
  host, the delay between requests) lives in each process's downloader slots, so three
  workers would hit a host three at a time. The gate takes a per-host lock in Redis
  before a request goes out and spaces request starts by the host's delay, across
  workers. The lock is a lease (it expires unless its worker's heartbeat renews it), so
  a killed worker cannot block a host. Waiting is ``asyncio.sleep`` on the reactor's
  loop with redis.asyncio calls: the reactor is never blocked.
* **Claimed requests** (``ClaimingQueue``, ``SharedScheduler``): scrapy-redis pops a
  request and forgets it; a worker killed after the pop would lose it. Here the pop moves
  the request, atomically (a Lua script), into the worker's in-flight hash, where it
  stays until the engine has finished it: downloaded, its callback run, its items stored
  and its new requests queued. A worker's heartbeat key expires when it dies; the others
  then move its in-flight requests back to the queue and finish its share.
* **Idle handler** (``FrontierExtension``): a worker whose local queue is empty would
  close while another worker's listing page is about to queue fifty articles. It stays
  open while the shared queue or any worker's in-flight hash holds work.
* **Crawl generations** (``Frontier.join``): the dupefilter must be fresh for each
  nightly crawl yet shared by workers that start at slightly different times. The first
  worker to join when no worker is alive starts a new generation (all of the crawl's keys
  carry its number) and decides, for every worker, whether the crawl is incremental.
* **Canonical fingerprints** (``SharedDupeFilter``): one article under a site's alias
  hosts is one request (a single process has the spider's own memory for that; workers
  do not share it).
* **Crawl-wide yield** (``FrontierExtension``): each worker counts articles per site in
  Redis, so that "a site yielded nothing" (exit 3) is judged on the whole crawl, not on
  one worker's share of it.

* **Outages** (``Frontier.call``): redis-py's own retries block a worker for minutes and
  then fail anyway. Every Redis call goes through one retry loop with backoff and one log
  line; past the outage budget (``KRONIKA_OUTAGE_BUDGET``, seconds) the worker stops with
  EXIT_UNREACHABLE, and its claims, still in Redis, go back to the queue once its
  heartbeat has expired. A claim is dropped from the worker's own record only after Redis
  acknowledged its delete, and claims in the worker's in-flight hash that it does not
  hold (a pop whose reply was lost) are put back by its heartbeat. A Redis that came back
  without the crawl's keys (no persistence) is noticed by the generation check in the
  heartbeat and the idle handler: the worker stops rather than take an empty queue for
  a finished crawl.
* **Drain** (``kronika frontier drain``): a flag in the crawl hash; each worker's
  heartbeat sees it and stops its crawl as SIGTERM would, and the generation is marked
  unfinished, so the next night is a full one.

Keys (``kronika:`` prefix): ``workers`` (set of names), ``worker:NAME`` (heartbeat),
``generation``, ``crawl`` (hash), ``gN:SPIDER:requests`` (queue), ``gN:SPIDER:dupefilter``,
``gN:SPIDER:inflight:NAME``, ``gN:yield`` (articles per site), ``gN:done`` (requests
finished per worker), ``gN:articles`` (articles per worker), ``host:HOST:lock`` and
``host:HOST:next`` (politeness; not per generation). docs/SCALING.md shows how to watch them.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import os
import random
import re
import secrets
import socket
import time
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from scrapy import signals
from scrapy.exceptions import DontCloseSpider, NotConfigured

from archive.meta import GATE

try:  # the extra kronika[scale]; without it the CLI refuses --frontier in one line
    import redis
    from scrapy_redis.dupefilter import RFPDupeFilter
    from scrapy_redis.queue import PriorityQueue
    from scrapy_redis.scheduler import Scheduler
except ImportError:  # the module still loads: the runner imports its errors
    redis = None  # type: ignore[assignment]  # optional extra: the CLI checks for it first
    RFPDupeFilter = PriorityQueue = Scheduler = object

if TYPE_CHECKING:
    from twisted.internet.task import LoopingCall

logger = logging.getLogger(__name__)

PREFIX = "kronika"
DEFAULT_LEASE = 30.0        # seconds a worker (or its host lock) outlives its last heartbeat
# The first heartbeat comes when the reactor runs, after the spiders are set up; until
# then a joined worker counts as alive this much longer, or a short lease could let a
# second worker start a new generation beside a first one that is still starting.
STARTUP_GRACE = 30.0
IDLE_POLL = 0.2             # seconds between looks at the shared queue while waiting
# How long a worker keeps retrying a Redis (or PostgreSQL) that does not answer before
# it stops: long enough for a restart of either server, short enough that a crawl whose
# server is gone ends the same night with a status cron can alert on.
DEFAULT_OUTAGE_BUDGET = 120.0
OUTAGE_BUDGET_ENV = "KRONIKA_OUTAGE_BUDGET"
BACKOFF_FIRST, BACKOFF_MAX = 0.1, 5.0
# The Redis password, when it is not in the URL (where `ps` and the store would see it):
# kronika's variable, redis-cli's, or a file named by the third.
PASSWORD_ENV = ("KRONIKA_REDIS_PASSWORD", "REDISCLI_AUTH")
PASSWORD_FILE_ENV = "KRONIKA_REDIS_PASSWORD_FILE"
# Why a worker stopped its crawl early (the spiders' close reason, and the summary's
# finish_reason): never a success, and the generation is then unfinished.
DRAINED = "drained"
FRONTIER_LOST = "frontier unreachable"
STORE_LOST = "store unreachable"
# The exit status of a run that could not reach Redis or PostgreSQL (at start-up, or for
# longer than the outage budget while crawling): neither a usage error (2) nor a failed
# page (1), so that cron can tell "the servers are down" from everything else.
EXIT_UNREACHABLE = 7
_WORKER_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")


class FrontierError(Exception):
    """The frontier cannot be used (bad URL, Redis unreachable): a one-line message."""


class WorkerBusy(FrontierError):
    """A live worker of the same name is already crawling."""


class FrontierUnreachable(FrontierError):
    """Redis did not answer (at start-up, or for longer than the outage budget)."""


def outage_budget(value=None) -> float:
    """Seconds a worker keeps retrying an unreachable server: ``value`` (the
    KRONIKA_OUTAGE_BUDGET setting) or the environment variable of that name, else the
    default. A bad value is a FrontierError (a usage error)."""
    raw = value if value is not None else os.environ.get(OUTAGE_BUDGET_ENV)
    if raw is None or raw == "":
        return DEFAULT_OUTAGE_BUDGET
    try:
        budget = float(raw)
    except (TypeError, ValueError):
        budget = -1
    if not 0 <= budget <= 86400:
        raise FrontierError(f"bad {OUTAGE_BUDGET_ENV} {raw!r}: seconds, 0 to 86400")
    return budget


def redis_password(url: str) -> str | None:
    """The password for ``url``'s Redis when the URL has none: $KRONIKA_REDIS_PASSWORD,
    $REDISCLI_AUTH, or the first line of the file $KRONIKA_REDIS_PASSWORD_FILE."""
    if urlsplit(url).password:
        return None  # redis-py takes it from the URL
    for name in PASSWORD_ENV:
        if os.environ.get(name):
            return os.environ[name]
    path = os.environ.get(PASSWORD_FILE_ENV)
    if path:
        try:
            with open(path, encoding="utf-8") as fh:
                return fh.readline().rstrip("\r\n")
        except OSError as exc:
            raise FrontierError(f"cannot read ${PASSWORD_FILE_ENV} {path!r}: "
                                f"{exc.strerror}") from None
    return None


def connection_options(url: str, asynchronous: bool = False) -> dict:
    """redis-py options for every client of a worker: the password from the environment,
    a connect timeout, and no retries of redis-py's own (they block a call for a minute,
    then fail anyway; ``Frontier.call`` retries instead). Options in the URL win."""
    from redis.backoff import NoBackoff

    if asynchronous:
        from redis.asyncio.retry import Retry
    else:
        from redis.retry import Retry  # type: ignore[assignment]

    options = {"socket_connect_timeout": 5, "socket_timeout": 30,
               "retry": Retry(NoBackoff(), 0)}
    password = redis_password(url)
    if password is not None:
        options["password"] = password
    return options


def _redact(url: str) -> str:
    from archive.stores import redact

    return redact(url)


def parse_frontier_url(url: str) -> tuple[str, float]:
    """(redis URL for redis-py, lease seconds) of a --frontier value. kronika's own query
    parameter ``lease`` is taken out; the rest is redis-py's (e.g. ``socket_timeout``)."""
    parts = urlsplit(url)
    if parts.scheme not in ("redis", "rediss", "unix") or not (parts.hostname or parts.path):
        raise FrontierError(f"bad --frontier {_redact(url)!r}: expected redis://HOST:PORT/DB")
    db = parts.path.strip("/")
    if parts.scheme != "unix" and db and not db.isdigit():
        raise FrontierError(f"bad --frontier {_redact(url)!r}: the database is a number "
                            "(redis://HOST:PORT/0)")
    query = parse_qsl(parts.query)
    lease = DEFAULT_LEASE
    rest = []
    for name, value in query:
        if name == "lease":
            try:
                lease = float(value)
            except ValueError:
                lease = -1
            if not 1 <= lease <= 3600:
                raise FrontierError(f"bad --frontier {_redact(url)!r}: lease must be 1 to "
                                    "3600 seconds")
        else:
            rest.append((name, value))
    return urlunsplit(parts._replace(query=urlencode(rest))), lease


def worker_name(value: str | None) -> str:
    """The worker's name: as given (letters, digits, . _ -), else host name and PID, which
    is unique on a machine and names the WARC files and locks of this worker."""
    if value is None:
        host = re.sub(r"[^A-Za-z0-9._-]", "-", socket.gethostname())[:40] or "worker"
        return f"{host}-{os.getpid()}"
    if not _WORKER_NAME.fullmatch(value):
        raise FrontierError(f"bad --worker {value!r}: use up to 64 letters, digits, '.', "
                            "'_' or '-'")
    return value


# -- Lua scripts: each runs atomically in Redis, so no two workers interleave inside one.
_JOIN = """
-- KEYS: workers set, generation counter, crawl hash
-- ARGV: name, token, lease ms, incremental hint (1/0), heartbeat key prefix, now, crawl id
local live = 0
for _, w in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  if redis.call('EXISTS', ARGV[5] .. w) == 1 then live = live + 1 end
end
if redis.call('EXISTS', ARGV[5] .. ARGV[1]) == 1 then return {-1, 0, 0, ''} end
local founder = 0
if live == 0 then
  founder = 1
  local incremental = ARGV[4]
  -- The last generation was drained, stopped by a signal or cut short by an outage:
  -- this one walks everything, whatever the store says.
  if redis.call('HEXISTS', KEYS[3], 'unfinished') == 1 then incremental = '0' end
  local gen = redis.call('INCR', KEYS[2])
  redis.call('DEL', KEYS[1], KEYS[3])
  redis.call('HSET', KEYS[3], 'generation', gen, 'incremental', incremental,
             'founder', ARGV[1], 'started', ARGV[6], 'id', ARGV[7])
end
redis.call('SADD', KEYS[1], ARGV[1])
redis.call('SET', ARGV[5] .. ARGV[1], ARGV[2], 'PX', ARGV[3])
return {tonumber(redis.call('HGET', KEYS[3], 'generation')),
        tonumber(redis.call('HGET', KEYS[3], 'incremental')), founder,
        redis.call('HGET', KEYS[3], 'id') or ''}
"""
_HEARTBEAT = """
-- KEYS: heartbeat key, workers set, crawl hash. ARGV: token, lease ms, name, generation.
-- 0: the generation is gone (Redis lost its data); 2: a drain was asked for; else 1.
if redis.call('HGET', KEYS[3], 'generation') ~= ARGV[4] then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
redis.call('SADD', KEYS[2], ARGV[3])
if redis.call('HEXISTS', KEYS[3], 'drain') == 1 then return 2 end
return 1
"""
_ENQUEUE = """
-- KEYS: fingerprint set, queue. ARGV: fingerprint ('' when not filtered), request, score.
-- One step, so that a fingerprint is never kept for a request that was not queued (an
-- outage between the two would lose the request for the whole generation).
if ARGV[1] ~= '' and redis.call('SADD', KEYS[1], ARGV[1]) == 0 then return 0 end
redis.call('ZADD', KEYS[2], ARGV[3], ARGV[2])
return 1
"""
_ACK = """
-- KEYS: this worker's in-flight hash, requests done per worker. ARGV: worker, requests.
local n = redis.call('HDEL', KEYS[1], unpack(ARGV, 2))
redis.call('HINCRBY', KEYS[2], ARGV[1], n)
return n
"""
_RETURN_SOME = """
-- KEYS: an in-flight hash, the queue. ARGV: requests to put back, if still there.
local n = 0
for _, field in ipairs(ARGV) do
  local score = redis.call('HGET', KEYS[1], field)
  if score then
    redis.call('ZADD', KEYS[2], score, field)
    redis.call('HDEL', KEYS[1], field)
    n = n + 1
  end
end
return n
"""
_CLAIM = """
-- KEYS: queue (sorted set), this worker's in-flight hash. The popped request is kept
-- with its score (the priority) until the worker acknowledges it.
local top = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
if #top == 0 then return false end
redis.call('ZREM', KEYS[1], top[1])
redis.call('HSET', KEYS[2], top[1], top[2])
return top[1]
"""
_RETURN = """
-- KEYS: an in-flight hash, the queue. Every request in the hash goes back to the queue.
local entries = redis.call('HGETALL', KEYS[1])
for i = 1, #entries, 2 do redis.call('ZADD', KEYS[2], entries[i + 1], entries[i]) end
redis.call('DEL', KEYS[1])
return #entries / 2
"""
_RECLAIM = """
-- KEYS: workers set, queue. ARGV: heartbeat key prefix, in-flight key prefix.
-- Keys are built here from the member names: fine on one Redis server (not a cluster).
local moved = 0
for _, w in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  if redis.call('EXISTS', ARGV[1] .. w) == 0 then
    local entries = redis.call('HGETALL', ARGV[2] .. w)
    for i = 1, #entries, 2 do redis.call('ZADD', KEYS[2], entries[i + 1], entries[i]) end
    redis.call('DEL', ARGV[2] .. w)
    moved = moved + #entries / 2
  end
end
return moved
"""
_PENDING = """
-- KEYS: workers set, queue, crawl hash. ARGV: in-flight key prefix, generation.
-- Work that exists anywhere; -1 when the generation is gone (Redis lost its data), which
-- must not pass for an empty queue.
if redis.call('HGET', KEYS[3], 'generation') ~= ARGV[2] then return -1 end
local n = redis.call('ZCARD', KEYS[2])
for _, w in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  n = n + redis.call('HLEN', ARGV[1] .. w)
end
return n
"""
_ACQUIRE = """
-- KEYS: host lock, host next-start time. ARGV: token, lease ms, delay ms.
-- Returns 0 when the lock is ours, else how many ms to wait before asking again.
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local holder_ttl = redis.call('PTTL', KEYS[1])
if holder_ttl > 0 then return -holder_ttl end
local next_at = tonumber(redis.call('GET', KEYS[2]) or '0')
if now < next_at then return next_at - now end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
local delay = tonumber(ARGV[3])
if delay > 0 then redis.call('SET', KEYS[2], now + delay, 'PX', delay + 1000) end
return 0
"""
_RELEASE = """
-- KEYS: host lock. ARGV: token. Only the holder's own lock is released.
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""
_RENEW = """
-- KEYS: host lock. ARGV: token, lease ms.
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0
"""


class Frontier:
    """This worker's membership of the shared crawl: joining, heartbeats, leaving, and the
    keys of the current generation. One per process, shared by all of its spiders (the
    runner puts it in the settings, like the Harvest)."""

    def __init__(self, url: str, worker: str | None = None, budget: float | None = None):
        self.url = url
        self.redis_url, self.lease = parse_frontier_url(url)
        self.worker = worker_name(worker)
        self.budget = outage_budget() if budget is None else budget
        self.token = secrets.token_hex(8)  # tells this process's heartbeat from a namesake's
        self.generation: int | None = None
        self.crawl_id = ""                    # unique across Redis restarts (runs.crawl)
        self.incremental = True
        self.founder = False
        self.host_locks: dict[str, str] = {}  # token -> lock key, renewed by the heartbeat
        self.spiders: set[str] = set()        # open spiders, whose dead peers we reclaim
        self.schedulers: dict[str, SharedScheduler] = {}  # spider -> its scheduler
        self.crawlers: list = []              # stopped together (drain, outage)
        self.stop_reason: str | None = None   # why this worker stopped its crawl early
        self.lost: str | None = None          # the one-line message of an outage too long
        self._down_since: float | None = None
        self._heartbeat: LoopingCall | None = None
        try:
            self.options = connection_options(self.redis_url)
            self.redis = redis.Redis.from_url(self.redis_url, **self.options)
        except ValueError as exc:
            raise FrontierError(f"bad --frontier {self.safe_url!r}: {exc}") from None
        self._scripts = {name: self.redis.register_script(src) for name, src in (
            ("join", _JOIN), ("heartbeat", _HEARTBEAT), ("claim", _CLAIM),
            ("return", _RETURN), ("reclaim", _RECLAIM), ("pending", _PENDING),
            ("renew", _RENEW), ("release", _RELEASE), ("enqueue", _ENQUEUE),
            ("ack", _ACK), ("return_some", _RETURN_SOME))}

    def __deepcopy__(self, memo):
        # Scrapy deep-copies settings; the frontier is this process's one membership.
        return self

    @property
    def safe_url(self) -> str:
        """The --frontier URL with its password (if any) masked: for messages and logs."""
        return _redact(self.url)

    # -- keys --------------------------------------------------------------------
    def key(self, *parts) -> str:
        return ":".join([PREFIX, *map(str, parts)])

    def crawl_key(self, *parts) -> str:
        """A key of the current generation."""
        return self.key(f"g{self.generation}", *parts)

    def queue_key(self, spider: str) -> str:
        return self.crawl_key(spider, "requests")

    def inflight_prefix(self, spider: str) -> str:
        return self.crawl_key(spider, "inflight") + ":"

    def inflight_key(self, spider: str) -> str:
        return self.inflight_prefix(spider) + self.worker

    @property
    def heartbeat_prefix(self) -> str:
        return self.key("worker") + ":"

    # -- outages -------------------------------------------------------------------
    def _unreachable(self, exc: Exception) -> float:
        """Note a failed call; the seconds left of the outage budget (FrontierUnreachable
        when none are left: the worker stops)."""
        now = time.monotonic()
        if self._down_since is None:
            self._down_since = now
            logger.warning("frontier: Redis at %s does not answer (%s); retrying for up to "
                           "%g s", self.safe_url, _one_line(exc), self.budget)
        left = self._down_since + self.budget - now
        if left <= 0 or self.lost:
            self.lost = self.lost or (
                f"the frontier at {self.safe_url} did not answer for {self.budget:g} s "
                f"({_one_line(exc)})")
            self.stop(FRONTIER_LOST)
            raise FrontierUnreachable(self.lost)
        return left

    def _reachable(self) -> None:
        if self._down_since is not None:
            logger.warning("frontier: Redis at %s answers again after %.1f s",
                           self.safe_url, time.monotonic() - self._down_since)
            self._down_since = None

    def call(self, fn, *args, **kwargs):
        """``fn(*args, **kwargs)`` (a Redis call), retried with backoff while Redis does
        not answer, up to the outage budget; then FrontierUnreachable. Blocking: the
        worker has nothing better to do than wait for its frontier."""
        pause = BACKOFF_FIRST
        while True:
            try:
                result = fn(*args, **kwargs)
            except (redis.ConnectionError, redis.TimeoutError) as exc:
                left = self._unreachable(exc)
                time.sleep(min(pause, left))
                pause = min(pause * 2, BACKOFF_MAX)
                continue
            self._reachable()
            return result

    async def acall(self, fn, *args, **kwargs):
        """``call`` for redis.asyncio calls: the wait does not block the reactor."""
        pause = BACKOFF_FIRST
        while True:
            try:
                result = await fn(*args, **kwargs)
            except (redis.ConnectionError, redis.TimeoutError) as exc:
                left = self._unreachable(exc)
                await asyncio.sleep(min(pause, left))
                pause = min(pause * 2, BACKOFF_MAX)
                continue
            self._reachable()
            return result

    def stop(self, reason: str) -> None:
        """Stop this worker's crawl early (drain, outage): its spiders close with
        ``reason`` as on SIGTERM; what they hold is finished, unfinished claims go back."""
        if self.stop_reason is not None:
            return
        self.stop_reason = reason
        logger.warning("frontier: worker %s stops: %s", self.worker,
                       self.lost if reason == FRONTIER_LOST and self.lost else reason)
        from twisted.internet import reactor as installed

        from crawler.components.finish import stop_crawler

        reactor: Any = installed  # the installed reactor: IReactorTime among others
        for crawler in self.crawlers:
            if reason == DRAINED:
                # A drain finishes what the worker holds, the requests waiting in its
                # downloader for their turn at the host included (an outage fails them:
                # they could be neither stored nor acknowledged).
                reactor.callLater(0, _close_spider, crawler, reason)
            else:
                stop_crawler(crawler, reason)

    # -- membership --------------------------------------------------------------
    def join(self, incremental_hint: bool) -> None:
        """Join the running crawl, or start a new generation when no worker is alive (then
        ``incremental_hint``, this worker's reading of the store, decides the crawl's mode
        for everyone). Raises WorkerBusy when a live worker has this name, and
        FrontierUnreachable when Redis does not answer (no retries: cron hears it now)."""
        now = datetime.now(UTC).isoformat(timespec="seconds")
        try:
            generation, incremental, founder, crawl_id = self._scripts["join"](
                keys=[self.key("workers"), self.key("generation"), self.key("crawl")],
                args=[self.worker, self.token, int((self.lease + STARTUP_GRACE) * 1000),
                      int(incremental_hint), self.heartbeat_prefix, now,
                      f"{now}-{self.token}"])
        except redis.RedisError as exc:
            raise FrontierUnreachable(f"cannot reach the frontier at {self.safe_url!r}: "
                                      f"{_one_line(exc)}") from None
        if generation == -1:
            raise WorkerBusy(f"worker {self.worker!r} is already crawling this frontier "
                             "(its heartbeat is live in Redis)")
        self.generation = generation
        self.crawl_id = crawl_id.decode() if isinstance(crawl_id, bytes) else str(crawl_id)
        self.incremental, self.founder = bool(incremental), bool(founder)
        if self.founder:
            self._forget_old_generations()
        else:
            self._return_own_leftovers()
        logger.info("frontier %s: worker %s joined generation %s (%s, %s)", self.safe_url,
                    self.worker, generation, "founder" if founder else "joined",
                    "incremental" if incremental else "full")

    def _forget_old_generations(self) -> None:
        current = f"{PREFIX}:g{self.generation}:"
        for key in self.redis.scan_iter(match=f"{PREFIX}:g[0-9]*", count=1000):
            if not key.decode().startswith(current):
                self.redis.unlink(key)

    def _return_own_leftovers(self) -> None:
        # A worker restarted under the same name (after a crash) must not mistake its
        # previous life's in-flight requests for its own: they go back to the queue.
        for key in self.redis.scan_iter(match=self.crawl_key("*", "inflight", self.worker)):
            spider = key.decode().split(":")[2]
            self._scripts["return"](keys=[key, self.queue_key(spider)])

    def beat(self) -> None:
        """Renew this worker's heartbeat and its host locks; put back claims of this
        worker that it does not hold, and take back the in-flight requests of workers
        whose heartbeat has expired (they died). Drains and lost generations stop the
        crawl. One try per beat: the next beat is the retry."""
        if self.stop_reason == FRONTIER_LOST:
            return
        lease_ms = int(self.lease * 1000)
        try:
            state = self._scripts["heartbeat"](
                keys=[self.heartbeat_prefix + self.worker, self.key("workers"),
                      self.key("crawl")],
                args=[self.token, lease_ms, self.worker, str(self.generation)])
            if state == 0:
                self.generation_lost()
                return
            if state == 2:
                self.stop(DRAINED)
            for token, lock in list(self.host_locks.items()):
                self._scripts["renew"](keys=[lock], args=[token, lease_ms])
            for spider in list(self.spiders):
                scheduler = self.schedulers.get(spider)
                if scheduler is not None:
                    scheduler.return_orphans()
                self.reclaim(spider)
        except (redis.ConnectionError, redis.TimeoutError) as exc:
            try:
                self._unreachable(exc)
            except FrontierUnreachable:
                pass  # stop() was called: the crawl closes
            return
        except redis.RedisError as exc:  # e.g. a Redis still loading its data
            logger.warning("frontier heartbeat failed: %s", _one_line(exc))
            return
        self._reachable()

    def generation_lost(self) -> None:
        """Redis answers but holds no trace of this generation (restarted without its
        data): the queue and fingerprints are gone, so this crawl cannot go on."""
        self.lost = self.lost or (
            f"the frontier at {self.safe_url} lost generation {self.generation} (was Redis "
            "restarted without persistence?)")
        self.stop(FRONTIER_LOST)

    def start_heartbeat(self) -> None:
        if self._heartbeat is None:
            from twisted.internet import task

            self._heartbeat = task.LoopingCall(self.beat)
            self._heartbeat.start(max(0.2, self.lease / 4), now=True)

    def reclaim(self, spider: str) -> int:
        moved = self._scripts["reclaim"](keys=[self.key("workers"), self.queue_key(spider)],
                                         args=[self.heartbeat_prefix,
                                               self.inflight_prefix(spider)])
        if moved:
            logger.warning("frontier: %s request(s) of a dead worker back in the %s queue",
                           moved, spider)
        return moved

    def pending(self, spider: str) -> int:
        """Requests of ``spider`` queued or in flight anywhere in the crawl; -1 when the
        generation is gone from Redis."""
        return self.call(self._scripts["pending"],
                         keys=[self.key("workers"), self.queue_key(spider), self.key("crawl")],
                         args=[self.inflight_prefix(spider), self.generation])

    def count_yield(self, site: str) -> None:
        def count():
            with self.redis.pipeline(transaction=False) as pipe:
                pipe.hincrby(self.crawl_key("yield"), site, 1)
                pipe.hincrby(self.crawl_key("articles"), self.worker, 1)
                pipe.execute()

        self.call(count)

    def crawl_yield(self) -> dict[str, int]:
        """Articles (new, changed, unchanged) per site so far, all workers together."""
        counts = self.call(self.redis.hgetall, self.crawl_key("yield"))
        return {k.decode() if isinstance(k, bytes) else k: int(v) for k, v in counts.items()}

    def mark_unfinished(self, reason: str) -> None:
        """Record in the crawl hash that this generation did not finish (a worker was
        stopped, drained or cut off): the next generation's founder walks everything.
        If the hash is gone (a Redis without its data), this recreates it with only
        this mark, which is what the next founder needs to read."""
        try:
            self.call(self.redis.hsetnx, self.key("crawl"), "unfinished",
                      f"{self.worker}: {reason}")
        except FrontierUnreachable:
            logger.warning("frontier: could not mark generation %s unfinished",
                           self.generation)

    def leave(self) -> None:
        if self._heartbeat is not None and self._heartbeat.running:
            self._heartbeat.stop()
        try:
            for spider in self.spiders:  # nothing should be left; if it is, others take it
                self._scripts["return"](keys=[self.inflight_key(spider), self.queue_key(spider)])
            self.redis.srem(self.key("workers"), self.worker)
            hb = self.heartbeat_prefix + self.worker
            if self.redis.get(hb) == self.token.encode():
                self.redis.delete(hb)
        except redis.RedisError as exc:
            # Whatever this worker still held stays in its in-flight hash, which the
            # others (or its next life) put back once its heartbeat has expired.
            logger.warning("frontier: could not leave cleanly: %s", _one_line(exc))
        self.redis.close()

    def settings(self) -> dict:
        """Settings that make a crawl a worker of this frontier (merged by ``apply``)."""
        return {
            "SCHEDULER": "crawler.scale.frontier.SharedScheduler",
            "SCHEDULER_QUEUE_CLASS": "crawler.scale.frontier.ClaimingQueue",
            "DUPEFILTER_CLASS": "crawler.scale.frontier.SharedDupeFilter",
            # Never flush the shared queue when one worker closes; generations reset it.
            "SCHEDULER_PERSIST": True,
            "SCHEDULER_QUEUE_KEY": self.crawl_key("%(spider)s", "requests"),
            "SCHEDULER_DUPEFILTER_KEY": self.crawl_key("%(spider)s", "dupefilter"),
            # No REDIS_URL: every client is made from this object (its password, which
            # may come from the environment, must not travel in the settings).
            "KRONIKA_FRONTIER": self,
            # The gate waits with asyncio.sleep on the reactor's own loop.
            "TWISTED_REACTOR": "twisted.internet.asyncioreactor.AsyncioSelectorReactor",
        }


def _close_spider(crawler, reason: str) -> None:
    from scrapy.utils.defer import deferred_from_coro

    engine = getattr(crawler, "engine", None)
    if engine is None or engine.spider is None:
        return
    deferred = deferred_from_coro(engine.close_spider_async(reason=reason))
    deferred.addErrback(lambda failure: None)  # closed already: nothing to do


def _one_line(exc: Exception) -> str:
    return " ".join(str(exc).split()) or type(exc).__name__


def apply(settings: dict, frontier: Frontier) -> dict:
    """``settings`` with the frontier's scheduler, gate and idle handler added."""
    settings.update(frontier.settings())
    # The gate spaces request starts across workers, and applies the random jitter
    # itself; the downloader slot, after the gate, must not add its own on top (its wait
    # would let the next worker's request start too close behind this one).
    settings["KRONIKA_GATE_JITTER"] = settings.get("DOWNLOAD_DELAY_JITTER", 0.5)
    settings["DOWNLOAD_DELAY_JITTER"] = 0
    # After every other middleware (the mirror router is 980): the gate must be the last
    # step before the network, and the first to see the response or the error.
    settings["DOWNLOADER_MIDDLEWARES"] = {**settings.get("DOWNLOADER_MIDDLEWARES", {}),
                                          "crawler.scale.frontier.HostGateMiddleware": 990}
    settings["EXTENSIONS"] = {**settings.get("EXTENSIONS", {}),
                              "crawler.scale.frontier.FrontierExtension": 100}
    return settings


def frontier_of(crawler) -> Frontier:
    """The shared Frontier kept in ``crawler``'s settings (``KRONIKA_FRONTIER``); raises
    NotConfigured when the crawl has none (not a scaled-out crawl)."""
    frontier = crawler.settings.get("KRONIKA_FRONTIER")
    if frontier is None:
        raise NotConfigured("no shared frontier")
    return frontier


# -- scrapy-redis, extended ------------------------------------------------------------
class ClaimingQueue(PriorityQueue):
    """scrapy-redis's priority queue whose pop also records the request in this worker's
    in-flight hash, in one atomic step (see the module docstring)."""

    def __init__(self, server, spider, key, serializer=None):
        super().__init__(server, spider, key, serializer)
        self.frontier = frontier_of(spider.crawler)
        self.inflight = self.frontier.inflight_key(spider.name)
        self._claim = self.frontier._scripts["claim"]
        self.last_claim: bytes | None = None

    def __len__(self):
        return self.frontier.call(self.server.zcard, self.key)

    def pop(self, timeout=0):
        data = self.frontier.call(self._claim, keys=[self.key, self.inflight])
        self.last_claim = data
        return self._decode_request(data) if data else None


class SharedDupeFilter(RFPDupeFilter):
    """scrapy-redis's shared fingerprint set, with the spider's canonical URL (alias
    hosts folded, tracking parameters dropped) in the fingerprint."""

    spider = None

    @classmethod
    def from_spider(cls, spider):
        # The frontier's own client (scrapy-redis would open one of its own from REDIS_URL).
        settings = spider.settings
        key = settings.get("SCHEDULER_DUPEFILTER_KEY") % {"spider": spider.name}
        dupefilter = cls(frontier_of(spider.crawler).redis, key=key,
                         debug=settings.getbool("DUPEFILTER_DEBUG"))
        dupefilter.spider = spider
        return dupefilter

    def request_fingerprint(self, request):
        from crawler.extract.urls import canonicalize

        spider = self.spider
        if spider is not None and hasattr(spider, "host_aliases"):
            canonical = canonicalize(request.url, spider.host_aliases, spider.drop_params,
                                     spider.url_rewrites)
            request = request.replace(url=canonical)
        return super().request_fingerprint(request)


class SharedScheduler(Scheduler):
    """scrapy-redis's scheduler that acknowledges claimed requests once the engine has
    finished them, and gives back unfinished ones when it closes."""

    @classmethod
    def from_crawler(cls, crawler):
        frontier = frontier_of(crawler)
        settings = crawler.settings
        # scrapy-redis's from_settings would open a client of its own from REDIS_URL; the
        # worker's one client (and its password, retries) serves the scheduler too.
        scheduler = cls(server=frontier.redis, persist=True,
                        queue_key=settings.get("SCHEDULER_QUEUE_KEY"),
                        queue_cls=settings.get("SCHEDULER_QUEUE_CLASS"),
                        dupefilter_key=settings.get("SCHEDULER_DUPEFILTER_KEY"),
                        dupefilter_cls=settings.get("DUPEFILTER_CLASS"))
        scheduler.stats = crawler.stats
        scheduler.crawler = crawler
        scheduler.frontier = frontier
        scheduler.claimed = {}  # Request -> its encoded form (the in-flight hash field)
        return scheduler

    def open(self, spider):
        super().open(spider)
        self.frontier.spiders.add(spider.name)
        self.frontier.schedulers[spider.name] = self
        self._enqueue = self.frontier._scripts["enqueue"]
        self._ack = self.frontier._scripts["ack"]

    # enqueue_request and next_request are scrapy-redis's, minus the `spider` argument to
    # the stats that Scrapy 2.19 deprecates (a warning in every worker's log otherwise),
    # with the fingerprint and the push in one step, and Redis outages waited out.
    def enqueue_request(self, request):
        fingerprint = "" if request.dont_filter else self.df.request_fingerprint(request)
        try:
            added = self.frontier.call(
                self._enqueue, keys=[self.df.key, self.queue.key],
                args=[fingerprint, self.queue._encode_request(request), -request.priority])
        except FrontierUnreachable:
            # The worker is stopping; the request that produced this one is still
            # claimed in Redis, and the generation is marked unfinished.
            return False
        if not added:
            self.df.log(request, self.spider)
            return False
        self.stats.inc_value("scheduler/enqueued/redis")
        return True

    def next_request(self):
        if self.frontier.stop_reason is not None:
            return None  # stopping: whatever is queued stays for the others
        try:
            self.acknowledge()
            request = self.queue.pop()
        except FrontierUnreachable:
            return None
        if request is not None:
            self.claimed[request] = self.queue.last_claim
            self.stats.inc_value("scheduler/dequeued/redis")
        return request

    def has_pending_requests(self):
        if self.frontier.stop_reason is not None:
            return False
        try:
            return len(self.queue) > 0
        except FrontierUnreachable:
            return False

    def _in_progress(self) -> set:
        # The engine keeps every request it took from the scheduler in its slot's
        # `inprogress` set until the download, the callback, the item pipelines and the
        # scheduling of new requests are all done; Scrapy has no signal for that moment.
        slot = getattr(self.crawler.engine, "_slot", None)
        return slot.inprogress if slot is not None else set()

    def acknowledge(self) -> None:
        """Drop finished requests from this worker's in-flight hash. They leave this
        worker's own record only once Redis has deleted them: a delete lost in an outage
        is made again, never forgotten with the claim left behind in Redis."""
        if not self.claimed:
            return
        busy = self._in_progress()
        done = [r for r in self.claimed if r not in busy]
        if not done:
            return
        fields = [self.claimed[r] for r in done]
        if self.frontier.stop_reason == STORE_LOST:
            # Finished, but its article or failure may never have reached the store:
            # another worker (whose store answers) does it again.
            self.frontier.call(self.frontier._scripts["return_some"],
                               keys=[self.queue.inflight, self.queue.key], args=fields)
        else:
            self.frontier.call(self._ack,
                               keys=[self.queue.inflight, self.frontier.crawl_key("done")],
                               args=[self.frontier.worker, *fields])
        for request in done:
            del self.claimed[request]

    def return_orphans(self) -> int:
        """Put back claims in this worker's in-flight hash that it does not hold: a pop
        whose reply an outage lost (the request moved, the worker never heard), or an
        acknowledgement that Redis lost with its last second of writes. Nothing else
        would ever take them back while this worker is alive."""
        held = set(self.claimed.values())
        fields = self.server.hkeys(self.queue.inflight)
        orphans = [f for f in fields if f not in held]
        if not orphans:
            return 0
        moved = self.frontier._scripts["return_some"](
            keys=[self.queue.inflight, self.queue.key], args=orphans)
        if moved:
            logger.warning("frontier: %s claim(s) of this worker it did not hold (a reply "
                           "lost in an outage) back in the %s queue", moved,
                           self.spider.name)
        return moved

    def close(self, reason):
        try:
            self.acknowledge()
            # Anything still claimed was not finished (a shutdown): the others finish it.
            if self.claimed:
                self.frontier.call(self.frontier._scripts["return"],
                                   keys=[self.queue.inflight, self.queue.key])
                self.claimed.clear()
        except FrontierUnreachable:
            # Still in this worker's in-flight hash in Redis: the others put them back
            # once its heartbeat has expired.
            pass
        self.frontier.schedulers.pop(self.spider.name, None)
        return super().close(reason)


# -- politeness across workers -----------------------------------------------------------
class HostGateMiddleware:
    """One request at a time per host, and the host's delay between request starts, for
    all workers together (see the module docstring). Keyed by the host the request really
    connects to, as Scrapy's downloader slots are."""

    def __init__(self, crawler, frontier: Frontier):
        self.crawler = crawler
        self.frontier = frontier
        self.base_delay = crawler.settings.getfloat("DOWNLOAD_DELAY")
        self.jitter = crawler.settings.getfloat("KRONIKA_GATE_JITTER")
        self._redis = None
        self._tokens = itertools.count()
        self._local: dict[str, asyncio.Lock] = {}
        self._held: dict[str, tuple[str, asyncio.Lock]] = {}  # token -> (host key, lock)

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler, frontier_of(crawler))

    def _client(self):
        # Created on first use, inside the running loop the reactor drives.
        if self._redis is None:
            import redis.asyncio

            self._redis = redis.asyncio.Redis.from_url(
                self.frontier.redis_url,
                **connection_options(self.frontier.redis_url, asynchronous=True))
            self._acquire = self._redis.register_script(_ACQUIRE)
            self._release = self._redis.register_script(_RELEASE)
        return self._redis

    @staticmethod
    def host(request) -> str:
        parts = urlsplit(request.url)
        return (parts.netloc or "").lower()

    def _delay(self, request) -> float:
        # The downloader slot's delay includes what PolitenessMiddleware and AutoThrottle
        # learned (robots.txt Crawl-delay, Retry-After backoff); before the host's first
        # request there is no slot yet and the configured delay applies.
        downloader = self.crawler.engine.downloader
        slot = downloader.slots.get(downloader.get_slot_key(request))
        delay = max(self.base_delay, slot.delay if slot is not None else 0.0)
        # Scrapy's own jitter (DOWNLOAD_DELAY_JITTER), here where the gate applies it.
        return max(0.0, delay * (1 + random.uniform(-self.jitter, self.jitter)))

    async def _local_delay(self, request) -> None:
        """Wait until this worker's downloader slot would send the request at once. Its
        own delay (since this worker's last request to the host) runs after the gate; if
        it ran while we held the host, the next worker's request could follow ours too
        closely, or overlap it."""
        downloader = self.crawler.engine.downloader
        slot = downloader.slots.get(downloader.get_slot_key(request))
        if slot is not None and slot.delay:
            wait = slot.lastseen + slot.delay - time.monotonic()
            if wait > 0:
                await asyncio.sleep(wait)

    async def process_request(self, request):
        self._client()
        host = self.host(request)
        lock_key = self.frontier.key("host", host, "lock")
        next_key = self.frontier.key("host", host, "next")
        local = self._local.setdefault(host, asyncio.Lock())
        # Requests of this worker for one host queue here, so only one of them asks Redis.
        await local.acquire()
        try:
            await self._local_delay(request)
        except BaseException:
            local.release()
            raise
        token = f"{self.frontier.worker}:{self.frontier.token}:{next(self._tokens)}"
        lease_ms = int(self.frontier.lease * 1000)
        poll = 0.005
        delay_ms = int(self._delay(request) * 1000)
        try:
            while True:
                wait = await self.frontier.acall(self._acquire, keys=[lock_key, next_key],
                                                 args=[token, lease_ms, delay_ms])
                if wait == 0:
                    break
                if wait > 0:  # the delay since the last start: wait exactly that long
                    await asyncio.sleep(wait / 1000)
                else:         # another worker's request is out: ask again soon
                    await asyncio.sleep(min(poll, -wait / 1000))
                    poll = min(poll * 2, 0.1)
        except BaseException:
            local.release()
            raise
        self._held[token] = (lock_key, local)
        self.frontier.host_locks[token] = lock_key
        request.meta[GATE] = token
        return None

    async def _let_go(self, request) -> None:
        token = request.meta.get(GATE)
        held = self._held.pop(token, None) if token else None
        if held is None:  # not ours, or already released (a retry copies meta)
            return
        lock_key, local = held
        self.frontier.host_locks.pop(token, None)
        try:
            await self.frontier.acall(self._release, keys=[lock_key], args=[token])
        except FrontierUnreachable:
            pass  # the lock is a lease: it expires by itself
        finally:
            local.release()

    async def process_response(self, request, response):
        await self._let_go(request)
        return response

    async def process_exception(self, request, exception):
        await self._let_go(request)
        return None


# -- staying open while the crawl has work; crawl-wide counts --------------------------------
class FrontierExtension:
    """Keeps the worker open while any worker may still produce work, runs the heartbeat,
    and counts each site's articles crawl-wide."""

    def __init__(self, crawler, frontier: Frontier):
        self.crawler = crawler
        self.frontier = frontier
        frontier.crawlers.append(crawler)
        crawler.signals.connect(self.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(self.spider_idle, signal=signals.spider_idle)
        crawler.signals.connect(self.item_scraped, signal=signals.item_scraped)

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler, frontier_of(crawler))

    def spider_opened(self, spider):
        frontier = self.frontier
        if frontier._heartbeat is None:
            # Said again now that the log file is open (join() ran before it was).
            logger.info("frontier %s: worker %s in generation %s (%s, %s)",
                        frontier.safe_url, frontier.worker, frontier.generation,
                        "founder" if frontier.founder else "joined",
                        "incremental" if frontier.incremental else "full")
        frontier.start_heartbeat()

    def spider_idle(self, spider):
        engine = self.crawler.engine
        frontier = self.frontier
        if frontier.stop_reason is not None:
            return  # stopping: the spider closes with the stop's reason
        scheduler = engine.scheduler
        try:
            if isinstance(scheduler, SharedScheduler):
                scheduler.acknowledge()
            frontier.call(frontier.reclaim, spider.name)
            pending = frontier.pending(spider.name)
        except FrontierUnreachable:
            # stop() has asked the spider to close, with FRONTIER_LOST as its reason; an
            # idle spider left to close here would close as "finished".
            raise DontCloseSpider("the frontier is unreachable: stopping") from None
        if pending < 0:
            frontier.generation_lost()
            raise DontCloseSpider("the frontier lost this generation: stopping")
        if pending:
            # Look again soon: by then another worker's page may have queued requests, or
            # its in-flight ones finished. (Scrapy's own idle heartbeat is 5 s.)
            slot = getattr(engine, "_slot", None)
            if slot is not None:
                slot.nextcall.schedule(IDLE_POLL)
            raise DontCloseSpider(f"{pending} request(s) queued or in flight elsewhere")

    def item_scraped(self, item, spider):
        from crawler.items import Unchanged

        site = (item["site"] if isinstance(item, dict) and "site" in item
                else item.site if isinstance(item, Unchanged) else None)
        if site is None:
            return
        try:
            self.frontier.count_yield(site)
        except FrontierUnreachable:
            pass  # the worker is stopping; its run is not a success anyway
