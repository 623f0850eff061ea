"""Developer tooling: fixtures, capture, the mirror server, scaffolding and docs.

Fixture folders and their capture, the fixture mirror server, the scaffolding of a new
site and the README's generated tables.
"""
