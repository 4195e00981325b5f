"""Publishing: each kind of output has a publisher, in a table.

A publisher takes the grouped feeds, the config and the catalog of every article, and
returns ``{relative path: bytes}`` for the outputs whose inputs changed, with a
fingerprint of every output it owns. Only the writer (``publish.write``, asked by the
build) touches the output folder.

Each article's page path and each item's link are settled first, here: the feeds link
their items to the pages the pages publisher writes.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence

from feeds.config import Config
from feeds.models import Feed
from feeds.publish.feeds import publish_feeds, with_item_links
from feeds.publish.pages.catalog import Catalog
from feeds.publish.pages.paths import item_links, page_paths
from feeds.publish.spool import joined, spooled
from feeds.report import Rendered, Unchanged

Publisher = Callable[[Sequence[Feed], Config, Unchanged, Catalog], Rendered]


def _feeds(
    feeds: Sequence[Feed], config: Config, unchanged: Unchanged, catalog: Catalog
) -> Rendered:
    return publish_feeds(with_item_links(feeds, catalog.links), config, unchanged)


def _pages(
    feeds: Sequence[Feed], config: Config, unchanged: Unchanged, catalog: Catalog
) -> Rendered:
    if not config.pages.enabled:
        return Rendered({}, {})
    # Imported here: Jinja2 and the templates are for builds with pages.
    from feeds.publish.pages.site import publish_pages

    return publish_pages(feeds, config, unchanged, catalog)


PUBLISHERS: dict[str, Publisher] = {"feeds": _feeds, "pages": _pages}


def publish_all(
    feeds: Sequence[Feed], config: Config, unchanged: Unchanged, catalog: Catalog | None = None
) -> Rendered:
    catalog = settle_links(feeds, config, catalog or Catalog())
    outputs: list[Mapping[str, bytes]] = []
    fingerprints: dict[str, str] = {}
    deferred = 0
    for publish in PUBLISHERS.values():
        rendered = publish(feeds, config, unchanged, catalog)
        fingerprints |= rendered.fingerprints
        deferred += rendered.deferred
        # Held on disk, not in memory, while the next publishers render: the feeds of a
        # large archive are tens of MB (each item's whole HTML), beside its pages' build.
        outputs.append(spooled(rendered.outputs, config.output))
        del rendered
    pages = dict(catalog.pages) if config.pages.enabled else {}
    return Rendered(joined(outputs), fingerprints, pages, deferred)


def settle_links(feeds: Sequence[Feed], config: Config, catalog: Catalog) -> Catalog:
    """The catalog with every article's page path and every feed item's link. In a build
    that only adds articles, the catalog holds a few, and the last build's pages hold the
    rest: they are all there still."""
    items = {a.path: a for feed in feeds for a in feed.articles}
    if not catalog.articles:  # only the feeds' items are known (a caller without a catalog)
        catalog = dataclasses.replace(catalog, articles=tuple(items.values()))
    pages = page_paths(catalog.articles, catalog.pages, config.tz) if config.pages.enabled else {}
    if config.pages.enabled and catalog.carried is not None:  # only new articles lack one
        pages = {**catalog.pages, **pages}
    links = item_links(items.values(), pages, config)
    return dataclasses.replace(catalog, pages=pages, links=links)
