"""Scrapy settings for kronika: polite defaults for small public servers, offline-safe.

This module is kronika's one source of settings, in two forms:

* as a Scrapy settings module (its UPPERCASE names; ``scrapy.cfg`` points here), so that
  in a checkout ``scrapy list`` and ``scrapy crawl SLUG [-s KRONIKA_OUT=DIR]`` work with
  kronika's store, WARC recorder and politeness (``crawler.components.standalone`` opens
  the harvest directory a bare ``scrapy crawl`` has no runner to open);
* as ``crawl_settings()``, a dict built from the same names, for every kronika command
  that runs Scrapy (crawl, check --live, fixtures capture). Component dicts given to it
  are merged into kronika's, never replacing them, so no command can drop the politeness
  middleware by naming its own components.

Overrides come from the command line (``kronika crawl --user-agent ...``) or from the
environment: ``KRONIKA_CONTACT`` (an e-mail or URL put in the User-Agent) and
``KRONIKA_USER_AGENT`` (the whole string).
"""

from __future__ import annotations

import copy
import math
import os

from crawler import __version__

DEFAULT_CONTACT = "set KRONIKA_CONTACT"


def user_agent(contact: str | None = None) -> str:
    """The User-Agent: a browser-compatible token first (rops.krakow.pl answers 403 to
    clients that lack one), then who we are and how to reach the operator."""
    explicit = os.environ.get("KRONIKA_USER_AGENT")
    if explicit:
        return explicit
    contact = contact or os.environ.get("KRONIKA_CONTACT") or DEFAULT_CONTACT
    return f"Mozilla/5.0 (compatible; kronika/{__version__}; archival crawler; +{contact})"


def _env_number(name: str, default: float) -> float:
    """A cap from the environment: a finite number above 0, else ``default``."""
    try:
        value = float(os.environ.get(name, ""))
    except ValueError:
        return default
    return value if math.isfinite(value) and value > 0 else default


# -- The settings (module-level UPPERCASE names, as Scrapy reads a settings module) --------

BOT_NAME = "kronika"
SPIDER_MODULES = ["spiders"]
USER_AGENT = user_agent()
# Politeness: robots.txt, one request at a time per host, a delay that AutoThrottle may
# only lengthen, retries with backoff on overload codes.
ROBOTSTXT_OBEY = True
CONCURRENT_REQUESTS = 8
CONCURRENT_REQUESTS_PER_DOMAIN = 1
DOWNLOAD_DELAY = 1.0
DOWNLOAD_DELAY_JITTER = 0.5
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 1.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 1.0
RETRY_ENABLED = True
RETRY_TIMES = 3
RETRY_HTTP_CODES = [500, 502, 503, 504, 522, 524, 408, 429]
DOWNLOAD_TIMEOUT = 60
# The largest body kept, as received and as decoded (archive.recorder cuts or refuses
# what is larger); indexing decodes no more of an archived record (archive.indexes).
DOWNLOAD_MAXSIZE = int(_env_number("KRONIKA_DOWNLOAD_MAXSIZE", 64 * 1024 * 1024))
# The time one page may take, all its attempts together (crawler.components.deadline):
# a slow server costs at most this much per page, not (RETRY_TIMES + 1) x DOWNLOAD_TIMEOUT.
KRONIKA_PAGE_TIMEOUT = _env_number("KRONIKA_PAGE_TIMEOUT", 2.0 * DOWNLOAD_TIMEOUT)
# No component that opens a port or writes outside the harvest directory. Scrapy's
# defaults include two servers: the telnet console and (Scrapy 2.19) RemoteControl, an
# HTTP server on localhost that runs the Python code it is sent and leaves a job file in
# the user's profile directory. Both are off, by setting and in EXTENSIONS below; so are
# the memory debugger, the memory-usage e-mail, the HTTP cache (.scrapy/httpcache), job
# state (JOBDIR) and feed exports, which would write elsewhere. (EXTENSIONS_BASE holds
# nothing else that listens or writes: CoreStats, LogCount, CloseSpider, LogStats,
# SpiderState without JOBDIR, AutoThrottle.) tests/test_signals.py checks that a crawl
# opens no listening socket.
TELNETCONSOLE_ENABLED = False
REMOTE_CONTROL_ENABLED = False
MEMDEBUG_ENABLED = False
MEMUSAGE_NOTIFY_MAIL: list[str] = []
HTTPCACHE_ENABLED = False
JOBDIR = None
FEEDS: dict = {}
LOG_LEVEL = "INFO"
LOG_INSTALL_ROOT_HANDLER = True
# Hostile servers (README "Failure modes"): only http(s) is ever fetched, and the one
# scope check (crawler.components.scope) replaces Scrapy's offsite filter, which lets
# every retry and routed request (dont_filter) through, and its URL-length filter,
# which drops a long URL with one log line instead of a recorded failure.
DOWNLOAD_HANDLERS = {"file": None, "s3": None, "ftp": None, "data": None}
URLLENGTH_LIMIT = 0
KRONIKA_MAX_URL_LENGTH = 2083
# Caps on what a site may ask of us: a robots.txt Crawl-delay and a Retry-After (s),
# cookies kept per domain and their size, listing pages of the generic spider. Each may
# be set in the environment (a finite positive number; anything else is ignored).
KRONIKA_MAX_CRAWL_DELAY = _env_number("KRONIKA_MAX_CRAWL_DELAY", 60.0)
KRONIKA_MAX_BACKOFF = _env_number("KRONIKA_MAX_BACKOFF", 300.0)
KRONIKA_MAX_COOKIES = int(_env_number("KRONIKA_MAX_COOKIES", 50))
KRONIKA_MAX_COOKIE_BYTES = int(_env_number("KRONIKA_MAX_COOKIE_BYTES", 4096))
KRONIKA_GENERIC_MAX_PAGES = int(_env_number("KRONIKA_GENERIC_MAX_PAGES", 200))
DOWNLOADER_MIDDLEWARES = {
    # Before every other: nothing outside the site is sent, retries and redirects
    # included (they are scheduled again and pass here), nor the mirror's own address
    # except as the router's target.
    "scrapy.downloadermiddlewares.offsite.OffsiteMiddleware": None,
    "crawler.components.scope.ScopeMiddleware": 40,
    # After Scrapy's CookiesMiddleware (700) has read Set-Cookie: drops what exceeds
    # KRONIKA_MAX_COOKIES / KRONIKA_MAX_COOKIE_BYTES before it reaches the cookie jar.
    "crawler.components.caps.CookieCapMiddleware": 710,
    # Nearest the downloader: it must see the raw response (before decompression at
    # 590) and the real URL restored by the mirror router. Before RetryMiddleware (550)
    # sees a 429/503, so the retry waits.
    "crawler.components.politeness.PolitenessMiddleware": 560,
    # Between HttpCompression (590) and RetryMiddleware (550): it sees every attempt's
    # outcome before Retry decides on another, and sets each attempt's timeout after
    # DownloadTimeoutMiddleware (350) has.
    "crawler.components.deadline.PageDeadlineMiddleware": 600,
    # Switched off (NotConfigured) in a process that keeps no harvest (check, capture).
    "archive.recorder.WarcRecorderMiddleware": 950,
    "crawler.components.router.MirrorRouterMiddleware": 980,
}
# Asks for what each page loads to render (stylesheets, scripts, fonts, images), unless
# the spider's requisites are off (--no-requisites); off in commands that archive nothing.
REQUISITES = "crawler.components.requisites.RequisitesMiddleware"
SPIDER_MIDDLEWARES = {REQUISITES: 950}
EXTENSIONS = {
    "scrapy.extensions.telnet.TelnetConsole": None,
    "scrapy.extensions.remote_control.RemoteControl": None,
    # Opens the harvest directory (KRONIKA_OUT) for a bare `scrapy crawl`; idle when a
    # kronika command runs Scrapy (crawl_settings sets KRONIKA_OUT to None).
    "crawler.components.standalone.StandaloneHarvest": 0,
    "crawler.components.progress.ProgressDisplay": 500,
}
ITEM_PIPELINES = {
    "crawler.components.pipelines.ValidatePipeline": 100,
    "crawler.components.pipelines.StorePipeline": 300,
}
KRONIKA_PROGRESS = False
# Where a bare `scrapy crawl` keeps its harvest (`-s KRONIKA_OUT=DIR`).
KRONIKA_OUT = "harvest"

# The settings that name components: a command's own are merged into these. (Lower
# case, like every name here that is not a setting: Scrapy reads any UPPERCASE name.)
_components = ("DOWNLOADER_MIDDLEWARES", "SPIDER_MIDDLEWARES", "EXTENSIONS", "ITEM_PIPELINES")


# The caps a run works under, for its manifest (lower case: not a setting itself).
cap_names = ("DOWNLOAD_TIMEOUT", "KRONIKA_PAGE_TIMEOUT", "DOWNLOAD_MAXSIZE",
             "KRONIKA_MAX_CRAWL_DELAY", "KRONIKA_MAX_BACKOFF", "KRONIKA_MAX_COOKIES",
             "KRONIKA_MAX_COOKIE_BYTES", "KRONIKA_GENERIC_MAX_PAGES")


def caps(settings) -> dict:
    """The caps of a run's settings (a dict or Scrapy Settings), by name."""
    return {name: settings.get(name) for name in cap_names}


def _module_settings() -> dict:
    return {name: copy.deepcopy(value) for name, value in globals().items()
            if name.isupper() and name != "DEFAULT_CONTACT"}


def crawl_settings(**overrides) -> dict:
    """The settings of one kronika Scrapy process: this module's settings (the User-Agent
    read from the environment now), then ``overrides``. A component dict in the
    overrides (DOWNLOADER_MIDDLEWARES, EXTENSIONS, ...) is merged into kronika's; a
    component given as None is switched off, as in Scrapy. Every other override
    replaces the setting."""
    settings = _module_settings()
    settings.update(USER_AGENT=user_agent(), KRONIKA_OUT=None)
    for name, value in overrides.items():
        if name in _components and isinstance(value, dict):
            settings[name] = {**settings.get(name, {}), **value}
        else:
            settings[name] = value
    return settings


def fetch_settings(pipeline: str, **overrides) -> dict:
    """The settings of a command that fetches pages but keeps no harvest (``kronika check
    --live``, ``kronika fixtures capture``): the crawl's own, with every one of its
    politeness components (robots.txt, Crawl-delay, Retry-After, the 403 brake, the
    delays), and ``pipeline`` instead of the store's pipelines. No page requisites:
    nothing is archived."""
    settings = crawl_settings(**overrides)
    settings["ITEM_PIPELINES"] = {pipeline: 100}
    settings["SPIDER_MIDDLEWARES"] = {**settings["SPIDER_MIDDLEWARES"], REQUISITES: None}
    return settings


def delay_settings(delay: float | None) -> dict:
    """The settings of a command's ``--delay`` (None: the default): the delay between
    requests to a host, which robots.txt's Crawl-delay may only lengthen. No random
    variation on a delay of 0 (a mirror, a test), where it would only blur the
    Crawl-delay a site asks for."""
    if delay is None:
        return {}
    return {"DOWNLOAD_DELAY": delay, "AUTOTHROTTLE_START_DELAY": delay,
            "DOWNLOAD_DELAY_JITTER": DOWNLOAD_DELAY_JITTER if delay > 0 else 0}


def keep_offline() -> None:
    """Stop tldextract (used by Scrapy's cookie middleware) from downloading the public
    suffix list at first use: the bundled snapshot is enough, and our machines and
    cron hosts must not make surprise requests."""
    import tldextract
    from scrapy.downloadermiddlewares import cookies

    cookies._split_domain = tldextract.TLDExtract(
        suffix_list_urls=(), cache_dir=None, include_psl_private_domains=True)
