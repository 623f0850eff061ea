"""Scrapy components: settings, routing, politeness, pipelines and progress.

The settings, the mirror router, politeness, the item pipelines, the progress display,
and what a bare ``scrapy crawl`` needs to keep a harvest.
"""
