"""feeds.opml: every feed in one file a reader imports, nested by category path (OPML 2.0).

Each feed is listed once, in the first configured format (the reader needs one); its
listing page is the ``htmlUrl``. A category that is both a feed and the parent of others
is a folder holding its own feed first.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from lxml import etree

from feeds.clean.sanitize import strip_xml_illegal
from feeds.config import Config
from feeds.models import Feed
from feeds.publish.names import output_name
from feeds.publish.pages.paths import FeedNode, feed_page, feed_tree, site_url

OPML_DOCS = "http://opml.org/spec2.opml"
OPML_TYPES = {"rss": "rss", "atom": "atom", "json": "json"}


def render_opml(feeds: Sequence[Feed], config: Config, mark: str) -> bytes:
    root = etree.Element("opml", version="2.0")
    head = etree.SubElement(root, "head")
    etree.SubElement(head, "title").text = strip_xml_illegal(config.site.title)
    etree.SubElement(head, "docs").text = OPML_DOCS
    body = etree.SubElement(root, "body")
    top, nodes = feed_tree(feeds)
    for feed in top:
        _feed_outline(body, feed, config)
    _add(body, nodes, config)
    text = etree.tostring(root, encoding="unicode", pretty_print=True)
    return f'<?xml version="1.0" encoding="utf-8"?>\n{mark}\n{text}'.encode()


def _add(parent: etree._Element, nodes: Iterable[FeedNode], config: Config) -> None:
    for node in nodes:
        if not node.children:
            if node.feed is not None:
                _feed_outline(parent, node.feed, config)
            continue
        safe = strip_xml_illegal(node.name)
        folder = etree.SubElement(parent, "outline", text=safe, title=safe)
        if node.feed is not None:
            _feed_outline(folder, node.feed, config)
        _add(folder, node.children.values(), config)


def _feed_outline(parent: etree._Element, feed: Feed, config: Config) -> None:
    fmt = config.formats[0]
    title = strip_xml_illegal(feed.title.strip() or feed.name or config.site.title)
    etree.SubElement(
        parent,
        "outline",
        type=OPML_TYPES[fmt],
        text=title,
        title=title,
        xmlUrl=site_url(config.site, output_name(feed.slug, fmt)),
        htmlUrl=site_url(config.site, feed_page(feed.slug)),
    )
