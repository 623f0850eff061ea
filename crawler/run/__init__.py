"""Runs and the command line: crawls, re-extraction, the live check and `kronika`.

The crawl runner, re-extraction from WARC files, the live canary check and the `kronika`
command itself.
"""
