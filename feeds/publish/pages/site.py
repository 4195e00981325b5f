"""The pages publisher: a page per article, a listing per feed, the index, OPML, XSLT.

Pages are for every article the sources hold, not only the feeds' items, so a large
archive has many: each page's fingerprint is made from what it shows without its HTML
(the article's fields, its source's stamp, the templates, the settings), and only the pages
whose fingerprint changed have their HTML loaded and are rendered again.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import sys
from collections.abc import Iterator, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any, NamedTuple

from markupsafe import Markup

from feeds import __version__
from feeds.clean.thumbnail import inline_thumbnail
from feeds.config import CacheConfig, Config, Format, PruneConfig
from feeds.group.feeds import FeedNodes, Listing
from feeds.models import Article, Feed
from feeds.publish.feeds import RENDER_CHUNK, RENDER_PARALLEL_FROM
from feeds.publish.names import HTML_MARK, MEDIA_TYPES, XML_MARK, output_name
from feeds.publish.pages.catalog import Catalog
from feeds.publish.pages.opml import render_opml
from feeds.publish.pages.paths import (
    INDEX,
    OPML,
    STYLESHEET,
    FeedNode,
    feed_page,
    feed_tree,
    relative,
    site_url,
)
from feeds.publish.pages.render import Templates, no_referrer_images
from feeds.publish.spool import Spool
from feeds.report import Rendered, Unchanged
from feeds.run.parallel import map_maybe_forked

FORMAT_LABELS: dict[Format, str] = {"rss": "RSS", "atom": "Atom", "json": "JSON Feed"}
DIED = "a rendering process died (killed for using too much memory?); nothing was written"
LATER = "later"  # the fingerprint of a page left for a later build: never a real one
_NOTHING_LISTED = Listing(0, [])
TEXT_CHUNK = 1000  # articles whose HTML is loaded at once (read over the cores): memory stays flat


def publish_pages(
    feeds: Sequence[Feed], config: Config, unchanged: Unchanged, catalog: Catalog
) -> Rendered:
    site = _Site(feeds, config, catalog)
    jobs = [*site.article_jobs(), *site.listing_jobs(), *site.fixed_jobs()]
    # In a build that only adds articles, the last build's pages stand but those made again.
    fingerprints = {**(catalog.carried or {}), **{job.path: job.fingerprint for job in jobs}}
    wanted = [job for job in jobs if catalog.render and not unchanged(job.path, job.fingerprint)]
    del jobs  # those not wanted (all but a few in a rebuild) are not held while rendering
    wanted, later = site.this_build(wanted)
    for job in later:  # recorded as not made yet: the next build renders them
        fingerprints[job.path] = LATER
    deferred = len(later)
    del later
    outputs = site.render(wanted)
    return Rendered(outputs, fingerprints, deferred=deferred)  # publish_all records pages


class _Job(NamedTuple):  # a tuple: one made per output, 100,000 for a large archive
    path: str
    fingerprint: str
    kind: str  # article, listing, fixed
    value: Any  # what the renderer of its kind takes


def _hash(*parts: object) -> str:
    return _digest(_utf8(repr(parts)))


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:24]


def _utf8(text: str) -> bytes:
    """``text`` as hashed: the UTF-8 of each character, a lone surrogate's too (so that the
    bytes of two parts are those of the two joined)."""
    return text.encode("utf-8", "surrogatepass")


def _date(date: datetime, config: Config) -> tuple[str, str]:
    local = date.astimezone(config.tz)
    return local.isoformat(), f"{local:%Y-%m-%d %H:%M}"


class _Site:
    def __init__(self, feeds: Sequence[Feed], config: Config, catalog: Catalog) -> None:
        self.feeds, self.config, self.catalog = feeds, config, catalog
        self.templates = Templates(config.pages.templates)
        self.by_name = {feed.name: feed for feed in feeds}
        self.nodes = FeedNodes(config)  # the feeds an article is in, as grouping made them
        self.by_path = {tuple(feed.path) or (feed.name,): feed for feed in feeds if feed.name}
        # What every page shows besides its own content: a change to it renders them all.
        shaping = dataclasses.replace(
            config,
            path=Path(),
            output=Path(),
            sources=[],
            jobs=0,
            limit=0,
            cache=CacheConfig(),
            prune=PruneConfig(),
        )
        slugs = [(f.name, f.slug, f.title, f.path) for f in feeds]
        self.shaping = _hash(__version__, self.templates.digest, shaping, slugs)
        self.full = {a.path: a for feed in feeds for a in feed.articles}  # loaded feed items
        self.listings = catalog.listings
        self.per_page = config.pages.per_page

    # --- what to render ----------------------------------------------------------------------

    def article_jobs(self) -> Iterator[_Job]:
        done: set[str] = set()
        # Looked up once: this runs for every article of the archive, on every build.
        pages, stamps, thumbnails = self.catalog.pages, self.catalog.stamps, self.catalog.thumbnails
        shaping = self.shaping
        for article in self.catalog.articles:
            path = pages.get(article.guid)
            if path is None or path in done:
                continue
            done.add(path)
            inputs = (
                shaping,
                article.guid,
                article.title,
                article.categories,
                article.paths(),
                article.tags,
                article.author,
                article.date.isoformat(),
                article.link,
                article.path,
                stamps.get(article.path),
                thumbnails.get(article.path),
            )
            yield _Job(path, _hash(*inputs), "article", article)

    def listing_jobs(self) -> Iterator[_Job]:
        """The listing pages whose articles are known: all of them, but in a build that only
        adds articles, where the pages past a listing's newest few are carried."""
        row_of = self._listing_rows()
        for feed in self.feeds:
            listing = self.listings.get(feed.name, _NOTHING_LISTED)
            for number, start, end, pager in listing_pages(listing.total, self.per_page):
                if end > len(listing.newest):
                    continue  # as the last build left it (see group.index)
                shown = listing.newest[start:end]
                # As _hash(self.shaping, feed.slug, pager, rows) hashes it, with each row's
                # repr made (and encoded) once: an article is listed by each of its feeds.
                head = _utf8(f"({self.shaping!r}, {feed.slug!r}, {pager!r}, [")
                rows = b", ".join([row_of[id(article)] for article in shown])
                fingerprint = _digest(head + rows + b"])")
                path = feed_page(feed.slug, number)
                yield _Job(path, fingerprint, "listing", (feed, shown, pager))

    def _listing_rows(self) -> dict[int, bytes]:
        """The repr of what a listing shows of each article (by its id: the listings hold
        them all meanwhile), made once per build however many feeds list it; UTF-8
        encoded, as it is hashed, and as it is smaller than a str of CJK text (two bytes a
        character), for 100,000."""
        rows: dict[int, bytes] = {}
        for listing in self.listings.values():
            for a in listing.newest:
                if id(a) not in rows:
                    rows[id(a)] = _utf8(repr((a.guid, a.title, a.author, a.date.isoformat())))
        return rows

    def fixed_jobs(self) -> Iterator[_Job]:
        """The index, the OPML and the stylesheet: few, rendered on every build (cheap), and
        fingerprinted by their bytes."""
        outputs = {
            INDEX: self._index(),
            OPML: render_opml(self.feeds, self.config, XML_MARK),
            STYLESHEET: self._stylesheet(),
        }
        for path, data in outputs.items():
            yield _Job(path, _digest(data), "fixed", data)

    def this_build(self, wanted: Sequence[_Job]) -> tuple[list[_Job], list[_Job]]:
        """The pages to render now, and those left for the next builds: at most
        ``pages.per_build`` article pages, those of the feeds' items first (their links
        must resolve at once), then the newest."""
        articles = [job for job in wanted if job.kind == "article"]
        limit = self.config.pages.per_build
        if len(articles) <= limit:
            return list(wanted), []
        # Sorted stably: catalog order (newest first) within each group.
        articles.sort(key=lambda job: job.value.path not in self.full)
        now, later = articles[:limit], articles[limit:]
        return [job for job in wanted if job.kind != "article"] + now, later

    def render(self, jobs: Sequence[_Job]) -> Spool:
        """The pages of ``jobs``, spooled to disk as they come: a cold build of a large
        archive renders its whole site before it writes any of it."""
        folder = self.config.output
        outputs = Spool(folder if folder.is_dir() else None)
        articles = [job for job in jobs if job.kind == "article"]
        for start in range(0, len(articles), TEXT_CHUNK):
            self._render_articles(articles[start : start + TEXT_CHUNK], outputs)
            # The chunk's HTML is garbage now: given back to the system, it is neither
            # resident nor shared with the next chunk's workers.
            _release_freed_memory()
        for job in jobs:
            if job.kind == "listing":
                outputs.add(job.path, self._listing(job.path, *job.value))
            elif job.kind == "fixed":
                outputs.add(job.path, job.value)
        return outputs

    def _render_articles(self, jobs: Sequence[_Job], outputs: Spool) -> None:
        full = self._with_text([job.value for job in jobs])

        def render(job: _Job) -> bytes:
            return self._article(full[job.value.path], job.path)

        # This process renders a share too: a worker's memory of its own (the parent's
        # pages it touches) is a large site's peak, and one fewer is as quick on every core.
        pages = map_maybe_forked(
            render,
            jobs,
            self.config.jobs,
            RENDER_PARALLEL_FROM,
            RENDER_CHUNK * 8,
            died=DIED,
            parent_works=True,
        )
        for job, page in zip(jobs, pages, strict=True):
            outputs.add(job.path, page)

    def _with_text(self, articles: Sequence[Article]) -> dict[str, Article]:
        """The articles with their HTML and thumbnail, shown atop when the body does not."""
        full = {a.path: self.full[a.path] for a in articles if a.path in self.full}
        light = [a for a in articles if a.path not in full]
        missing = [a.path for a in light if not (a.content_html or a.summary)]
        texts = self.catalog.texts(missing) if missing and self.catalog.texts else {}
        inline = dataclasses.replace(self.config.thumbnail, inline=True)
        for article in light:
            html, summary = texts.get(article.path, (article.content_html, article.summary))
            thumbnail = self.catalog.thumbnails.get(article.path)
            done = article.replaced(content_html=html, summary=summary, thumbnail=thumbnail)
            full[article.path] = inline_thumbnail(done, inline)
        return full

    # --- the pages ---------------------------------------------------------------------------

    def _common(self, page: str, feeds: Sequence[Feed]) -> dict[str, Any]:
        site = self.config.site
        return {
            "lang": site.language or "und",
            "generator": Markup(HTML_MARK),
            "site_title": site.title,
            "home": relative(INDEX, page),
            "opml": relative(OPML, page),
            "alternates": [
                {
                    "type": MEDIA_TYPES[fmt],
                    "title": f"{self._title(feed)} ({FORMAT_LABELS[fmt]})",
                    "href": site_url(site, output_name(feed.slug, fmt)),
                }
                for feed in feeds
                for fmt in self.config.formats
            ],
        }

    def _title(self, feed: Feed) -> str:
        return feed.title.strip() or feed.name or self.config.site.title

    def _feeds_of(self, article: Article) -> list[Feed]:
        """The feeds ``article`` is in, as grouping names them: its category paths' nodes,
        or its names, and its tags; the feed of all first."""
        names = self.nodes.names_of(article)
        return [self.by_name[name] for name in names if name in self.by_name]

    def _article(self, article: Article, page: str) -> bytes:
        iso, shown = _date(article.date, self.config)
        content = no_referrer_images(article.content_html)
        if not content.strip():
            content = f"<p>{Markup.escape(article.summary)}</p>"
        feeds = self._feeds_of(article)
        values = {
            **self._common(page, feeds),
            "article": {
                "title": article.title.strip() or article.summary[:80] or "Untitled",
                "iso": iso,
                "shown_date": shown,
                "author": article.author,
                "link": article.link,
                "content": Markup(content),
                "paths": self._crumbs(feeds, page),
                "thumbnail": article.thumbnail,
            },
        }
        return self.templates.page("article.html", values)

    def _crumbs(self, feeds: Sequence[Feed], page: str) -> list[list[dict[str, str | None]]]:
        """The category paths of an article in ``feeds``, each name a link to its feed's
        page; a path that is the start of another one is shown within it."""
        paths = [
            tuple(feed.path) or (feed.name,)
            for feed in feeds
            if feed.name  # the feed of all articles is no category
        ]
        deepest = [p for p in dict.fromkeys(paths) if not any(_starts(q, p) for q in paths)]
        crumbs = []
        for path in deepest:
            row: list[dict[str, str | None]] = []
            for depth in range(1, len(path) + 1):
                feed = self.by_path.get(path[:depth])
                href = relative(feed_page(feed.slug), page) if feed else None
                row.append({"name": path[depth - 1], "href": href})
            crumbs.append(row)
        return crumbs

    def _subscribe(self, feed: Feed, page: str) -> list[dict[str, str]]:
        return [
            {
                "href": relative(output_name(feed.slug, fmt), page),
                "type": MEDIA_TYPES[fmt],
                "label": FORMAT_LABELS[fmt],
            }
            for fmt in self.config.formats
        ]

    def _listing(
        self,
        page: str,
        feed: Feed,
        shown: Sequence[Article],
        pager: tuple[int, int | None, int | None],
    ) -> bytes:
        number, newer, older = pager
        items = []
        for article in shown:
            iso, when = _date(article.date, self.config)
            target = self.catalog.pages.get(article.guid)
            items.append(
                {
                    "title": article.title.strip() or "Untitled",
                    "href": relative(target, page) if target else "",
                    "iso": iso,
                    "shown_date": when,
                    "author": article.author,
                }
            )
        values = {
            **self._common(page, [feed]),
            "feed": {
                "title": self._title(feed),
                "description": feed.description,
                "subscribe": self._subscribe(feed, page),
            },
            "items": items,
            "pager": {
                "number": number,
                "newer": relative(feed_page(feed.slug, newer), page) if newer is not None else "",
                "older": relative(feed_page(feed.slug, older), page) if older else "",
            },
        }
        return self.templates.page("feed.html", values)

    def _index(self) -> bytes:
        values = {
            # The feed of everything; every feed when there is none (categories.all)
            **self._common(INDEX, [f for f in self.feeds if not f.name] or self.feeds),
            "description": self.config.site.description,
            "tree": self._tree(),
        }
        return self.templates.page("index.html", values)

    def _tree(self) -> list[dict[str, Any]]:
        """The feeds as a tree of their category paths; the feed of all articles first."""
        top, nodes = feed_tree(self.feeds)
        shown = [{"name": self._title(f), "feed": self._feed_entry(f), "children": []} for f in top]
        return shown + [self._listed(node) for node in nodes]

    def _listed(self, node: FeedNode) -> dict[str, Any]:
        # A method, not a function nested in _tree: one that calls itself holds its own
        # closure, a reference cycle that kept this site, and every article of the catalog,
        # alive until the cyclic collector ran once the build was over.
        return {
            "name": node.name,
            "feed": self._feed_entry(node.feed) if node.feed is not None else None,
            "children": [self._listed(child) for child in node.children.values()],
        }

    def _feed_entry(self, feed: Feed) -> dict[str, Any]:
        listing = self.listings.get(feed.name, _NOTHING_LISTED)
        latest = listing.newest[0].date if listing.newest else None  # newest first
        iso, shown = _date(latest, self.config) if latest else ("", "")
        return {
            "href": relative(feed_page(feed.slug), INDEX),
            "count": listing.total,
            "latest": shown,
            "latest_iso": iso,
            "subscribe": self._subscribe(feed, INDEX),
        }

    def _stylesheet(self) -> bytes:
        site = self.config.site
        values = {
            "mark": Markup(XML_MARK),
            "lang": site.language or "und",
            "style": Markup(self.templates.style),
            "home": INDEX,
            "site_title": site.title,
        }
        return self.templates.render("feed.xsl", values).encode("utf-8")


def _release_freed_memory() -> None:
    """Hand the C heap's free pages back to the system (glibc's malloc_trim). Python frees
    each page's HTML, but the allocator keeps the memory, among the small objects made
    meanwhile: a large archive's build would keep its peak for the rest of its run."""
    if sys.platform != "linux":
        return
    import ctypes  # here: only a build that renders many pages needs it

    with contextlib.suppress(OSError, AttributeError):  # a C library without it (musl)
        ctypes.CDLL(None).malloc_trim(0)


Pager = tuple[int, int | None, int | None]  # its number, the newer's and the older's


def listing_pages(count: int, per_page: int) -> Iterator[tuple[int, int, int, Pager]]:
    """The pages of a listing of ``count`` articles: each one's number, the slice of the
    listing it shows (``start``, ``end``) and its pager. Numbered from the oldest, so that
    they keep their articles as new ones come; the newest (the feed's index) is not.

    A build that only adds articles, newer than every one listed, makes again only the
    pages whose slice lies within its new articles and the newest ``2 * per_page`` of the
    last build's (``newest`` of group.index's listing): the newest page, and the pages whose
    pager a new page changed. Every other page shows what it showed, pager and all.
    """
    pages = -(-count // per_page)
    # The index shows the newest articles down to the top of the newest page below it that
    # it does not hold: from per_page to 2 * per_page - 1 of them (all, under 2 full pages),
    # so "older" never shows again what the index showed. The page of the newest full block
    # stays (its URL is fixed) but is linked from the page below it only.
    below = count // per_page - 1  # the newest page wholly older than the index
    end = count - below * per_page if below > 0 else count
    yield 0, 0, end, (0, None, below if below > 0 else None)
    for number in range(1, pages):
        end = count - (number - 1) * per_page
        newer = 0 if number == pages - 1 else number + 1
        yield number, max(0, end - per_page), end, (number, newer, number - 1 or None)


def _starts(longer: tuple[str, ...], prefix: tuple[str, ...]) -> bool:
    return len(longer) > len(prefix) and longer[: len(prefix)] == prefix
