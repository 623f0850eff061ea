"""Scrapy settings for kronika: polite defaults for small public servers, offline-safe.

Overrides come from the command line (``kronika crawl --user-agent ...``) or from the
environment: ``KRONIKA_CONTACT`` (an e-mail or URL put in the User-Agent) and
``KRONIKA_USER_AGENT`` (the whole string).
"""

from __future__ import annotations

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


def crawl_settings(**overrides) -> dict:
    """The settings of one crawl process."""
    settings = {
        "BOT_NAME": "kronika",
        "SPIDER_MODULES": ["spiders"],
        "USER_AGENT": user_agent(),
        # Politeness: robots.txt, one request at a time per host, a delay that
        # AutoThrottle may only lengthen, retries with backoff on overload codes.
        "ROBOTSTXT_OBEY": True,
        "CONCURRENT_REQUESTS": 8,
        "CONCURRENT_REQUESTS_PER_DOMAIN": 1,
        "DOWNLOAD_DELAY": 1.0,
        "DOWNLOAD_DELAY_JITTER": 0.5,
        "AUTOTHROTTLE_ENABLED": True,
        "AUTOTHROTTLE_START_DELAY": 1.0,
        "AUTOTHROTTLE_TARGET_CONCURRENCY": 1.0,
        "RETRY_ENABLED": True,
        "RETRY_TIMES": 3,
        "RETRY_HTTP_CODES": [500, 502, 503, 504, 522, 524, 408, 429],
        "DOWNLOAD_TIMEOUT": 60,
        "DOWNLOAD_MAXSIZE": 64 * 1024 * 1024,
        "TELNETCONSOLE_ENABLED": False,
        "LOG_LEVEL": "INFO",
        "LOG_INSTALL_ROOT_HANDLER": True,
        "DOWNLOADER_MIDDLEWARES": {
            # Nearest the downloader: it must see the raw response (before
            # decompression at 590) and the real URL restored by the mirror router.
            # Before RetryMiddleware (550) sees a 429/503, so the retry waits.
            "crawler.components.politeness.PolitenessMiddleware": 560,
            "archive.recorder.WarcRecorderMiddleware": 950,
            "crawler.components.router.MirrorRouterMiddleware": 980,
        },
        "EXTENSIONS": {"crawler.components.progress.ProgressDisplay": 500},
        "KRONIKA_PROGRESS": False,
        "ITEM_PIPELINES": {
            "crawler.components.pipelines.ValidatePipeline": 100,
            "crawler.components.pipelines.StorePipeline": 300,
        },
    }
    settings.update(overrides)
    return settings


def keep_offline() -> None:
    """Stop tldextract (used by Scrapy's cookie middleware) from downloading the public
    suffix list at first use: the bundled snapshot is enough, and our machines and
    cron hosts must not make surprise requests."""
    import tldextract
    from scrapy.downloadermiddlewares import cookies

    cookies._split_domain = tldextract.TLDExtract(
        suffix_list_urls=(), cache_dir=None, include_psl_private_domains=True)
