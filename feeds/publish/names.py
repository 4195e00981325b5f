""""""

from __future__ import annotations

import re
from urllib.parse import quote

from feeds.config import Format, SiteConfig

EXTENSIONS: dict[Format, str] = {"rss": ".rss.xml", "atom": ".atom.xml", "json": ".json"}


MEDIA_TYPES: dict[Format, str] = {
    "rss": "application/rss+xml",
    "atom": "application/atom+xml",
    "json": "application/feed+json",
}


GENERATOR = "feeds"


GENERATOR_URI = "https://pypi.org/project/feeds/"  # no version: upgrades must not change output


# RSS's generator is plain text: the URI in it makes the mark (made_here) this tool's alone.
RSS_GENERATOR = f"{GENERATOR} ({GENERATOR_URI})"


def output_name(slug: str, fmt: Format) -> str:
    """The file name of a feed inside the output folder, e.g. ``xinlang-caijing.rss.xml``."""
    return slug + EXTENSIONS[fmt]


# What marks a file as written by this tool, in its head (before the first item): RSS's
# and Atom's generator, with this tool's URI, and the JSON Feed extension object
# ``_feeds`` at the top level (JSON Feed has no generator field). Text inside an item
# cannot pass for them: it comes after the head, and JSON escapes its quotes.
_MARK = re.compile(
    re.escape(f"<generator>{RSS_GENERATOR}</generator>".encode())
    + b"|"
    + re.escape(f'<generator uri="{GENERATOR_URI}">{GENERATOR}</generator>'.encode())
    + b"|"
    + re.escape(f'\n  "_feeds": {{\n    "about": "{GENERATOR_URI}"'.encode())
)


_FIRST_ITEM = re.compile(rb'<item[\s>]|<entry[\s>]|\n  "items": ')


def made_here(head: bytes) -> bool:
    """Whether a file that starts with ``head`` was written by this tool.

    It tells this tool's own feed files when the manifest that listed them is gone
    (deleted, or the folder copied without it), whatever ``site.url`` was then; a feed a
    person or another program wrote does not carry the mark. Files written before the
    mark existed (RSS and JSON before 0.1.0's last changes) are not recognised.
    """
    first_item = _FIRST_ITEM.search(head)
    return _MARK.search(head, 0, first_item.start() if first_item else len(head)) is not None


def feed_url(site: SiteConfig, slug: str, fmt: Format) -> str:
    """Where the feed file is served: ``site.url`` (with or without a final /) + its name."""
    return site.url.rstrip("/") + "/" + quote(output_name(slug, fmt))
