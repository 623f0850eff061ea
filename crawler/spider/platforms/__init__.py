"""Platform mixins: what one CMS family's pages look like, shared by the sites built on it.

A mixin gives a spider its CMS's default selectors as ready-made ``Listing`` and
``Profile`` factories; the spider passes only what differs on its site.
"""
