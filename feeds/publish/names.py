"""The output folder's layout: every output's path and URL, and the marks of this tool's files.

Cheap to import: a build with nothing to do asks it, and nothing more of ``publish``.
"""

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
# The marks of the other kinds of output, for their publishers to write in their heads: an
# HTML page's generator, and a comment atop any other XML (OPML, XSLT).
HTML_MARK = f'<meta name="generator" content="{RSS_GENERATOR}">'
XML_MARK = f"<!-- generator: {RSS_GENERATOR} -->"


def output_name(slug: str, fmt: Format) -> str:
    """The file name of a feed inside the output folder, e.g. ``xinlang-caijing.rss.xml``."""
    return slug + EXTENSIONS[fmt]


def feed_url(site: SiteConfig, slug: str, fmt: Format) -> str:
    """Where the feed file is served: ``site.url`` (with or without a final /) + its name."""
    return site.url.rstrip("/") + "/" + quote(output_name(slug, fmt))


def is_output_path(name: str) -> bool:
    """A path this tool may write or delete: relative, inside the output folder, and none
    of its parts hidden (its own ``.feeds-*`` files) or ``..``.

    A hand-edited manifest could list anything; pruning trusts only paths of this shape.
    Checked in string operations alone, since a manifest lists every page: each part is
    neither empty nor hidden when the path with a slash before it holds no "//" and no
    "/." and does not end in "/".
    """
    marked = "/" + name
    return not (marked.endswith("/") or "//" in marked or "/." in marked or "\\" in name)


# What marks a file as written by this tool, in its head (before the first item or the
# body): RSS's and Atom's generator, with this tool's URI; the JSON Feed extension object
# ``_feeds`` at the top level (JSON Feed has no generator field); a page's generator meta;
# the comment atop other XML. Text inside an item cannot pass for them: it comes after the
# head, and JSON escapes its quotes.
_MARK = re.compile(
    b"|".join(
        re.escape(mark.encode())
        for mark in (
            f"<generator>{RSS_GENERATOR}</generator>",
            f'<generator uri="{GENERATOR_URI}">{GENERATOR}</generator>',
            f'\n  "_feeds": {{\n    "about": "{GENERATOR_URI}"',
            HTML_MARK,
            XML_MARK,
        )
    )
)
_MARKUP_CONTENT = re.compile(rb"<item[\s>]|<entry[\s>]|<body[\s>]|<outline[\s>]")
_JSON_CONTENT = re.compile(rb'\n  "items": ')


def made_here(head: bytes) -> bool:
    """Whether a file that starts with ``head`` was written by this tool.

    It tells this tool's own files when the manifest that listed them is gone (deleted, or
    the folder copied without it), whatever ``site.url`` was then; a file a person or
    another program wrote does not carry the mark.
    """
    content = _JSON_CONTENT if head.lstrip().startswith(b"{") else _MARKUP_CONTENT
    first = content.search(head)
    return _MARK.search(head, 0, first.start() if first else len(head)) is not None
