"""Where each page lives, and where each feed item links.

An article's page is ``pages/<year>/<month>/<id>.html``: the month it was first published
(in the site's time zone) and twelve hex digits of a hash of its guid. The path is given
once and recorded in the manifest, so a page's URL never changes, however the article is
re-dated or renamed later. Every part is ASCII, so a hostile title cannot make a path.
"""

from __future__ import annotations

import hashlib
import posixpath
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path, PurePosixPath
from urllib.parse import quote
from zoneinfo import ZoneInfo

from feeds.config import Config, SiteConfig
from feeds.models import Article, Feed

BUNDLED_TEMPLATES = Path(__file__).parent / "templates"
PAGES = "pages"  # the folder of the article pages
CATEGORIES = "c"  # the folder of the feeds' listing pages: c/<slug>/index.html
INDEX = "index.html"
OPML = "feeds.opml"
STYLESHEET = "feed.xsl"  # what a browser opening a feed file shows it with
# An output whose path starts so is an article's page or a listing page.
PAGE_FOLDERS = (f"{PAGES}/", f"{CATEGORIES}/")


def page_paths(
    articles: Iterable[Article], known: Mapping[str, str], tz: ZoneInfo
) -> dict[str, str]:
    """The page path of each article's guid: the recorded one, else a new one."""
    taken = set(known.values())
    paths: dict[str, str] = {}
    for article in articles:
        guid = article.guid
        if guid in paths:
            continue
        path = known.get(guid)
        if path is None:
            path = _new_page_path(guid, article.date.astimezone(tz), taken)
            taken.add(path)
        paths[guid] = path
    return paths


def _new_page_path(guid: str, date: datetime, taken: set[str]) -> str:
    digest = hashlib.sha256(guid.encode("utf-8", "surrogatepass")).hexdigest()
    for length in range(12, len(digest) + 1):  # longer only in the rare case of a collision
        path = f"{PAGES}/{date:%Y}/{date:%m}/{digest[:length]}.html"
        if path not in taken:
            return path
    raise AssertionError("a SHA-256 collision")  # pragma: no cover


def feed_page(slug: str, number: int = 0) -> str:
    """The listing page of a feed: ``c/<slug>/index.html`` (its newest items), and its
    older pages ``c/<slug>/<number>.html``, numbered from the oldest so that they keep
    their items as new ones come."""
    return f"{CATEGORIES}/{slug}/{number}.html" if number else f"{CATEGORIES}/{slug}/{INDEX}"


def site_url(site: SiteConfig, path: str) -> str:
    """The absolute URL of an output at ``path``."""
    return site.url.rstrip("/") + "/" + quote(path)


def relative(path: str, start_page: str) -> str:
    """The link from the page at ``start_page`` to the output at ``path``, both relative to
    the output folder: pages link relatively, so the site works wherever it is served.

    What ``posixpath.relpath`` gives, without its ``abspath`` and ``normpath`` of both paths
    (a few links a page, for every page of the site): the paths made here are normal already.
    Any other goes to ``relpath``.
    """
    parts = path.split("/")
    folder = start_page.split("/")[:-1]
    if _ODD_PARTS.intersection(parts) or _ODD_PARTS.intersection(folder):
        return quote(posixpath.relpath(path, posixpath.dirname(start_page) or "."))
    common = 0
    for mine, theirs in zip(parts, folder, strict=False):
        if mine != theirs:
            break
        common += 1
    return quote("/".join([".."] * (len(folder) - common) + parts[common:]) or ".")


_ODD_PARTS = frozenset({"", ".", ".."})  # an absolute path, "a//b", "./a", "a/../b"


_PLACEHOLDER = re.compile(r":([a-z_]+)")


def pattern_link(pattern: str, article: Article, config: Config) -> str:
    """``pages.link`` filled for ``article``: Hexo's permalink placeholders, its date in the
    site's zone, ``:title`` the article's file path without its extension."""
    date = article.date.astimezone(config.tz)
    path = PurePosixPath(article.path)
    title = quote(str(path.with_suffix("")) if path.suffix else str(path))
    values = {
        "year": f"{date:%Y}",
        "month": f"{date:%m}",
        "day": f"{date:%d}",
        "i_month": str(date.month),
        "i_day": str(date.day),
        "hour": f"{date:%H}",
        "minute": f"{date:%M}",
        "second": f"{date:%S}",
        "title": title,
        "post_title": title,
        "name": quote(path.stem),
    }
    filled = _PLACEHOLDER.sub(lambda m: values[m.group(1)], pattern)
    if filled.startswith(("http://", "https://")):
        return filled
    base = config.site.link or config.site.url
    return base.rstrip("/") + "/" + filled.lstrip("/")


def item_links(
    articles: Iterable[Article], pages: Mapping[str, str], config: Config
) -> dict[str, str]:
    """Where each article's feed item links, by path: the original when its front matter
    names one, else ``pages.link`` filled, else its page."""
    links: dict[str, str] = {}
    pattern = config.pages.link
    for article in articles:
        if article.link:
            links[article.path] = article.link
        elif pattern:
            links[article.path] = pattern_link(pattern, article, config)
        elif article.guid in pages:
            links[article.path] = site_url(config.site, pages[article.guid])
    return links


def templates_digest(folder: Path | None) -> str:
    """A hash of every template a build may use: the bundled ones and every file of the
    config's folder (a template may include any of them). A change to one renders every
    page again, and is a change the nothing-changed shortcut sees. Cheap: no Jinja2."""
    h = hashlib.sha256()
    for base in (folder, BUNDLED_TEMPLATES):
        if base is None:
            continue
        try:
            files = sorted(p for p in base.rglob("*") if p.is_file())
            for path in files:
                name = path.relative_to(base).as_posix()
                h.update(f"{base == folder}\0{name}\0".encode() + path.read_bytes() + b"\0")
        except OSError as e:  # a missing folder is reported when the templates load
            h.update(f"unreadable: {e}".encode())
    return h.hexdigest()[:16]


@dataclass
class FeedNode:
    """A category of the feeds' tree: its feed, if it has one, and its subcategories."""

    name: str
    feed: Feed | None = None
    children: dict[str, FeedNode] = field(default_factory=dict)


def feed_tree(feeds: Sequence[Feed]) -> tuple[list[Feed], list[FeedNode]]:
    """The feeds without a category (the feed of all articles), and the others as a tree of
    their category paths, each level in the order of its names: what the index and the
    OPML both show."""
    top: list[Feed] = []
    root = FeedNode("")
    for feed in sorted(feeds, key=lambda f: tuple(f.path) or (f.name,)):
        if not feed.name:
            top.append(feed)
            continue
        node = root
        for name in tuple(feed.path) or (feed.name,):
            node = node.children.setdefault(name, FeedNode(name))
        node.feed = feed
    return top, list(root.children.values())
