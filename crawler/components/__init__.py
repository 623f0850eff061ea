"""Scrapy components: the settings, the mirror router, politeness, the pipelines and the progress display."""
