"""What kronika keeps: WARC files, their indexes, the article store and exports.

The archive imports nothing of the crawler.
"""
