"""Runs and the command line: the crawl runner, re-extraction, the live check and `kronika` itself."""
