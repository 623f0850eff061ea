"""The spider framework: SiteSpider, the generic spider, registry and platforms.

SiteSpider, the generic spider, the site registry and the platform mixins.
"""
