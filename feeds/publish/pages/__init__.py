"""The site beside the feeds: a page per article, a page per feed, the index, OPML, XSLT."""
