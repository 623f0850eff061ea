"""`kronika discover URL`: what the generic spider would do on a site, before cron runs it.

One small Scrapy crawl (the Twisted reactor cannot restart: one per process, like every
command) of ``crawler.spider.discovery.DiscoverySpider``, with the crawl's politeness
(robots.txt, the User-Agent, the delay between requests) and no harvest: the start page,
its feeds, the sitemap guess and two article pages. The findings are printed for a person
(``report_lines``) or as JSON (``--json``).
"""

from __future__ import annotations

from typing import Any

from scrapy.crawler import CrawlerProcess

from crawler.components.settings import REQUISITES, crawl_settings, keep_offline
from crawler.spider.discovery import DiscoverySpider

EXIT_OK, EXIT_START_FAILED, EXIT_NOTHING = 0, 1, 3


def run_discover(start_url: str, slug: str, base_url: str | None,
                 settings: dict | None = None) -> dict:
    """The findings of one discovery crawl from ``start_url`` (see DiscoverySpider), with
    ``requests``: how many responses it took."""
    keep_offline()
    # A probe: it archives nothing, so it asks for no page requisites either.
    process = CrawlerProcess({**crawl_settings(**{
        "LOG_ENABLED": False, **(settings or {}), "SPIDER_MIDDLEWARES": {REQUISITES: None}}),
        "ITEM_PIPELINES": {}})
    crawler = process.create_crawler(DiscoverySpider)
    process.crawl(crawler, start_url=start_url, name=slug, base_url=base_url)
    process.start()
    spider = crawler.spider
    findings: dict[str, Any] = spider.findings if isinstance(spider, DiscoverySpider) else {
        "start_url": start_url, "start_error": "the crawl did not start"}
    findings["requests"] = crawler.stats.get_value("downloader/response_count") or 0
    return findings


def exit_status(findings: dict) -> int:
    """0 when articles were found, 1 when the start page could not be read, 3 when it
    was read but no source of articles was found."""
    if findings.get("start_error"):
        return EXIT_START_FAILED
    listing = findings.get("listing") or {}
    sitemap = findings.get("sitemap") or {}
    if listing.get("links") or sitemap.get("articles") or any(
            f.get("items") for f in findings.get("feeds", ())):
        return EXIT_OK
    return EXIT_NOTHING


def report_lines(f: dict) -> list[str]:
    """The findings for a person: a dozen lines."""
    if f.get("start_error"):
        return [f"{f['start_url']}: the start page could not be read ({f['start_error']})"]
    lines = [f"{f['start_url']}: site {f['site']}, hosts {', '.join(f['hosts'])}"
             + (f" (read from the mirror {f['mirror']})" if f.get("mirror") else "")]
    feeds = [f"{feed['url']} ({feed['error'] or _count(feed.get('items'), 'item')})"
             for feed in f["feeds"]]
    lines.append("feeds: " + ("; ".join(feeds) if feeds else "none advertised"))
    sitemap = f["sitemap"]
    if sitemap["error"]:
        lines.append(f"sitemap: {sitemap['url']}: none ({sitemap['error']})")
    else:
        index = f", an index of {sitemap['sitemaps']}" if sitemap.get("sitemaps") else ""
        lines.append(f"sitemap: {sitemap['url']}: {_count(sitemap['articles'], 'URL')} "
                     f"under the start page's path{index}")
    listing = f["listing"]
    if listing["links"]:
        lines.append(f"listing: {_count(listing['links'], 'article link')} of shape "
                     f"{listing['shape']}, {listing['dated']} with a date in their item")
        for sample in listing["samples"]:
            lines.append(f"  {sample['date'] or '(no date)':<10}  {sample['title']}")
    else:
        lines.append("listing: no group of article links on the start page")
    lines.append(f"next page: {listing['next_page'] or 'none (one listing page)'}")
    for article in f["articles"]:
        if article.get("error"):
            lines.append(f"article {article['url']}: {article['error']}")
            continue
        lines.append(f"dates: {_date_source(article, listing)}")
        lines.append(f"titles: from the {article['title_source']}"
                     + (", as the listing's link" if article["same_as_listing"] else
                        f" (listing: another text); e.g. {article['title']!r}"))
        break
    if f.get("offsite_dropped"):
        lines.append(f"off-site: {_count(f['offsite_dropped'], 'link')} to other sites "
                     "dropped")
    lines.append(f"({_count(f['requests'], 'request')}; nothing stored)")
    return lines


def _date_source(article: dict, listing: dict) -> str:
    where = {"page": "the article page", "listing": "the listing item", "meta": "the "
             "page's metadata", "url": "the URL", "text": "the article's text"}
    if not article["date"]:
        return "none found on the article page" + (
            ", the listing items show them" if listing["dated"] else "")
    source = where.get(article["date_source"], article["date_source"])
    line = f"from {source} ({article['date_raw']!r} -> {article['date'][:10]})"
    if listing["dated"] and article["date_source"] != "listing":
        line += (f"; the listing items date {listing['dated']} of {listing['links']} links "
                 "(taken when a page has no date of its own)")
    return line


def _count(n: int | None, what: str) -> str:
    if n is None:
        return "not read"
    return f"{n} {what}{'' if n == 1 else 's'}"
