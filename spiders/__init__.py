"""One Scrapy spider per site, named by its slug; no import-time work."""
