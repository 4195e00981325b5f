"""The feeds publisher: every Feed as RSS 2.0, Atom 1.0 and JSON Feed 1.1 bytes.

Output depends only on the Feed and the SiteConfig, never on the clock or the feedgen version,
so an unchanged category gives byte-identical files and the writer can leave them alone.
feedgen's traps, worked around here: ``add_entry`` prepends (entries are added in order with
``order="append"``); feed and entry ``updated`` default to now (always set); 1.0.0 drops
``rel`` and ``type`` on Atom entry links (an extension writes them); the RSS channel's
``<link>`` is the last one added; datetimes need a time zone.
"""

from __future__ import annotations

import dataclasses
import hashlib
import html
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from feedgen.ext.base import BaseEntryExtension, BaseExtension
from feedgen.feed import FeedGenerator
from feedgen.util import xml_elem

from feeds import __version__
from feeds.clean.images import image_mime_type
from feeds.clean.sanitize import strip_xml_illegal
from feeds.config import Config, Format, SiteConfig
from feeds.errors import BuildError
from feeds.models import Article, Feed
from feeds.publish.names import (
    GENERATOR,
    GENERATOR_URI,
    MEDIA_TYPES,
    RSS_GENERATOR,
    feed_url,
    output_name,
)
from feeds.report import FeedReport, Rendered, Unchanged
from feeds.run.jsontext import indented_json
from feeds.run.parallel import map_maybe_forked

Renderer = Callable[[Feed, SiteConfig], bytes]

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)  # "updated" of a feed without items, instead of now()
RSS_DOCS = "https://www.rssboard.org/rss-specification"
JSON_FEED_VERSION = "https://jsonfeed.org/version/1.1"


def render_feed(feed: Feed, fmt: Format, site: SiteConfig) -> bytes:
    try:
        return RENDERERS[fmt](feed, site)
    except (ValueError, TypeError) as e:  # feedgen/lxml refusing a value: name the feed
        raise BuildError(f"cannot render {output_name(feed.slug, fmt)}: {e}") from e


# --- values shared by the three formats -------------------------------------------------------


# Every string goes through this before feedgen: lxml refuses the whole document for one
# illegal character, and the fields come from scraped pages.
xml_safe = strip_xml_illegal


def _utc(date: datetime) -> datetime:
    if date.tzinfo is None:  # astimezone() would silently read it in the machine's zone
        raise ValueError(f"date without a time zone: {date.isoformat()}")
    # RSS dates have no sub-seconds: drop them everywhere so the formats agree.
    return date.astimezone(UTC).replace(microsecond=0)


def feed_updated(feed: Feed) -> datetime:
    """The newest article's date, so a rebuild without new articles changes nothing."""
    return max((_utc(a.date) for a in feed.articles), default=EPOCH)


def _feed_title(feed: Feed, site: SiteConfig) -> str:
    return xml_safe(feed.title).strip() or xml_safe(feed.name).strip() or site.title


def _site_link(site: SiteConfig) -> str:
    return site.link or site.url


def _feed_image(feed: Feed, site: SiteConfig) -> str | None:
    return feed.image or site.image


def _title(article: Article) -> str:
    # An empty title makes feedgen refuse the whole Atom feed; fall back to the summary.
    title = xml_safe(article.title)
    return title if title.strip() else xml_safe(article.summary)[:80] or "Untitled"


def _content(article: Article) -> str:
    content = xml_safe(article.content_html)
    return content if content.strip() else html.escape(xml_safe(article.summary) or _title(article))


def _link(article: Article) -> str | None:
    return xml_safe(article.link) if article.link else None


def _author(article: Article) -> str:
    return xml_safe(article.author).strip()


def _thumbnail(article: Article, feed: Feed) -> tuple[str, str] | None:
    """The item's image URL and MIME type; the feed's default when the article has none."""
    url = article.thumbnail or feed.default_thumbnail
    return (xml_safe(url), image_mime_type(url)) if url else None


def _names(values: tuple[str, ...]) -> list[str]:
    return [v for v in (xml_safe(v).strip() for v in values) if v]


# --- RSS and Atom through feedgen -------------------------------------------------------------


class _AtomLinks(BaseEntryExtension):  # type: ignore[misc]
    """Entry links written by us: feedgen 1.0.0 drops rel/type on Atom entry links (#135)."""

    def __init__(self) -> None:
        self.links: list[dict[str, str]] = []

    def extend_atom(self, entry: Any) -> Any:
        for attrs in self.links:
            # No namespace: feedgen builds Atom elements un-namespaced under a literal xmlns.
            xml_elem("link", entry, **attrs)
        return entry


def _generator(feed: Feed, site: SiteConfig, fmt: Format) -> Any:
    fg = FeedGenerator()
    fg.load_extension("media")
    fg.title(_feed_title(feed, site))
    if site.language:
        fg.language(site.language)
    # feedgen's RSS <link> is the LAST link added: self first, the site's page last.
    fg.link(href=feed_url(site, feed.slug, fmt), rel="self", type=MEDIA_TYPES[fmt])
    fg.link(href=_site_link(site), rel="alternate", type="text/html")
    fg.generator(RSS_GENERATOR if fmt == "rss" else GENERATOR, uri=GENERATOR_URI)
    fg.updated(feed_updated(feed))  # also lastBuildDate; feedgen's default is now()
    return fg


def _add_entry(fg: Any, article: Article, thumbnail: tuple[str, str] | None) -> Any:
    fe = fg.add_entry(order="append")  # feedgen prepends by default
    fe.id(xml_safe(article.guid))
    fe.title(_title(article))
    date = _utc(article.date)
    fe.published(date)
    fe.updated(date)  # feedgen's default is now()
    summary = xml_safe(article.summary)
    if summary:
        fe.summary(summary)  # Atom <summary>, RSS <description>
    fe.content(_content(article), type="html")  # Atom <content>, RSS <content:encoded>
    for term in _names(article.categories):
        fe.category(term=term)
    if thumbnail:
        url, mime = thumbnail
        # group=None: top level, where FreshRSS and Miniflux look, not inside <media:group>.
        fe.media.thumbnail(url=url, group=None)
        fe.media.content(url=url, medium="image", type=mime, group=None)
    return fe


def render_rss(feed: Feed, site: SiteConfig) -> bytes:
    fg = _generator(feed, site, "rss")
    fg.load_extension("dc")
    title = _feed_title(feed, site)
    fg.description(xml_safe(feed.description).strip() or title)  # required by RSS
    fg.docs(RSS_DOCS)  # pinned: feedgen's default could change with an upgrade
    if image := _feed_image(feed, site):
        fg.image(url=image, title=title, link=_site_link(site))
    for article in feed.articles:
        thumbnail = _thumbnail(article, feed)
        fe = _add_entry(fg, article, thumbnail)
        if summary := xml_safe(article.summary):
            # RSS <description> is HTML to readers: plain text goes in escaped.
            fe.description(html.escape(summary), isSummary=True)
        if link := _link(article):
            fe.link(href=link)
        if author := _author(article):
            fe.dc.dc_creator(author)  # RSS <author> must be an e-mail address
        if thumbnail:
            url, mime = thumbnail
            fe.enclosure(url, 0, mime)  # length 0: unknown, as the RSS board advises
    return bytes(fg.rss_str(pretty=True))


def render_atom(feed: Feed, site: SiteConfig) -> bytes:
    fg = _generator(feed, site, "atom")
    fg.register_extension("links", BaseExtension, _AtomLinks, atom=True, rss=False)
    fg.id(feed_url(site, feed.slug, "atom"))
    # Atom needs an author on the feed unless every entry has one.
    fg.author(name=xml_safe(site.author).strip() or site.title)
    if description := xml_safe(feed.description).strip():
        fg.subtitle(description)
    if image := _feed_image(feed, site):
        fg.icon(image)
        fg.logo(image)
    for article in feed.articles:
        thumbnail = _thumbnail(article, feed)
        fe = _add_entry(fg, article, thumbnail)
        if author := _author(article):
            fe.author(name=author)
        if link := _link(article):
            fe.links.links.append({"rel": "alternate", "type": "text/html", "href": link})
        if thumbnail:
            url, mime = thumbnail
            fe.links.links.append({"rel": "enclosure", "type": mime, "href": url})
    return bytes(fg.atom_str(pretty=True))


# --- JSON Feed --------------------------------------------------------------------------------


def _json_item(article: Article, feed: Feed) -> dict[str, Any]:
    item: dict[str, Any] = {"id": xml_safe(article.guid)}
    if link := _link(article):
        item["url"] = link
    item["title"] = _title(article)
    item["content_html"] = _content(article)
    if summary := xml_safe(article.summary):
        item["summary"] = summary
    if thumbnail := _thumbnail(article, feed):
        item["image"] = thumbnail[0]  # the only item image NetNewsWire reads
    item["date_published"] = _utc(article.date).isoformat()
    if author := _author(article):
        item["authors"] = [{"name": author}]
    if tags := _names(article.categories):
        item["tags"] = tags
    return item


def render_json(feed: Feed, site: SiteConfig) -> bytes:
    data: dict[str, Any] = {
        "version": JSON_FEED_VERSION,
        "title": _feed_title(feed, site),
        "home_page_url": _site_link(site),
        "feed_url": feed_url(site, feed.slug, "json"),
    }
    if description := xml_safe(feed.description).strip():
        data["description"] = description
    if image := _feed_image(feed, site):
        data["icon"] = image
        data["favicon"] = image
    if author := xml_safe(site.author).strip():
        data["authors"] = [{"name": author}]
    if site.language:
        data["language"] = site.language
    data["_feeds"] = {"about": GENERATOR_URI, "generator": GENERATOR}  # made_here's mark
    data["items"] = [_json_item(article, feed) for article in feed.articles]
    # json.dumps(data, ensure_ascii=False, indent=2)'s text, in C: strings only, no float
    return (indented_json(data) + "\n").encode("utf-8")


RENDERERS: dict[Format, Renderer] = {"rss": render_rss, "atom": render_atom, "json": render_json}


# Rendering is forked over the cores from this many files to render: below it, starting the
# processes costs more than it saves. A chunk is a few files, so the shares stay even.
RENDER_PARALLEL_FROM = 24
RENDER_CHUNK = 4
# Feeds are rendered here, not forked, once the build holds this much: a build of 100,000
# articles. Its forked renderers would add more to the build's peak memory than the fraction
# of a second they save is worth. Not with pages: there the peak is the pages' rendering,
# and the ~25 MB that rendering the feeds here leaves in this process would be on top of it.
RENDER_FORK_BELOW = 128 * 2**20


def publish_feeds(feeds: Sequence[Feed], config: Config, unchanged: Unchanged) -> Rendered:
    """Every feed in every format: rendered where its inputs differ from the last build's;
    the rest stay as they are (``unchanged`` says which).

    Rendering is the slowest stage of a no-change run, and its output is a pure function of
    the feed, the site settings and this tool's version: the fingerprint of those decides.
    """
    fingerprints: dict[str, str] = {}
    wanted: list[tuple[Feed, Format]] = []
    names: list[str] = []
    styled = config.pages.enabled
    article_digest = _article_digests()
    # repr, not pickle: pickle's bytes depend on which equal strings share one object
    site = repr((__version__, config.site, styled)).encode()
    for feed in feeds:
        header = repr(dataclasses.replace(feed, articles=())).encode("utf-8", "surrogatepass")
        inputs = hashlib.sha256(site + len(header).to_bytes(8, "big") + header)
        for article in feed.articles:
            inputs.update(article_digest(article))
        for fmt in config.formats:
            name = output_name(feed.slug, fmt)
            digest = inputs.copy()
            digest.update(fmt.encode())
            fingerprints[name] = digest.hexdigest()[:24]
            if not unchanged(name, fingerprints[name]):
                wanted.append((feed, fmt))
                names.append(name)
    rendered = render_all(wanted, config)
    if styled:
        rendered = (with_stylesheet(data) for data in rendered)
    outputs = dict(zip(names, rendered, strict=True))
    return Rendered(outputs, fingerprints)


# A browser that opens a feed file shows it through this stylesheet (as jekyll-feed does);
# readers and the W3C validator ignore the processing instruction. Relative: the
# stylesheet lies beside the feeds, and a browser fetches it from where the feed came.
STYLESHEET_PI = b'<?xml-stylesheet href="feed.xsl" type="text/xsl"?>\n'


def with_stylesheet(data: bytes) -> bytes:
    """An RSS or Atom document with the stylesheet's processing instruction after its XML
    declaration; JSON as it is."""
    if not data.startswith(b"<?xml "):
        return data
    end = data.index(b"?>") + 2
    return data[:end] + b"\n" + STYLESHEET_PI.rstrip(b"\n") + data[end:]


def with_item_links(feeds: Sequence[Feed], links: Mapping[str, str]) -> list[Feed]:
    """The feeds, each item linking where ``links`` says (its original, or its page)."""
    if not links:
        return list(feeds)
    done: dict[str, Article] = {}

    def linked(article: Article) -> Article:
        if article.path not in done:
            link = links.get(article.path, article.link)
            same = link == article.link
            done[article.path] = article if same else article.replaced(link=link)
        return done[article.path]

    return [dataclasses.replace(feed, articles=tuple(map(linked, feed.articles))) for feed in feeds]


def _article_digests() -> Callable[[Article], bytes]:
    """A digest of everything in an article, made once per article however many feeds show
    it: the repr of its fields but the HTML and summary, then those two, each part
    prefixed by its length.

    Not the repr of the whole article in every feed it is in: repr reads each character of
    the HTML to escape it, and a feed's repr holds the HTML of all its items, so that was
    most of a build that renders a few feeds. A version of this tool fingerprints as it
    likes: the version is part of every fingerprint.
    """
    done: dict[int, tuple[Article, bytes]] = {}  # by id; the article kept, so its id stays

    def digest(article: Article) -> bytes:
        if (found := done.get(id(article))) is not None:
            return found[1]
        hashed = hashlib.sha256()
        light = repr(article.fields(content_html="", summary=""))  # no Article made
        for part in (light, article.content_html, article.summary):
            data = part.encode("utf-8", "surrogatepass")
            hashed.update(len(data).to_bytes(8, "big"))
            hashed.update(data)
        done[id(article)] = (article, hashed.digest())
        return done[id(article)][1]

    return digest


def render_all(wanted: Sequence[tuple[Feed, Format]], config: Config) -> Iterator[bytes]:
    """Each (feed, format) rendered, in order; over several processes when there are many."""

    def render(job: tuple[Feed, Format]) -> bytes:
        return render_feed(job[0], job[1], config.site)

    died = "a rendering process died (killed for using too much memory?); nothing was written"
    return map_maybe_forked(
        render,
        wanted,
        config.jobs,
        RENDER_PARALLEL_FROM,
        RENDER_CHUNK,
        died=died,
        fork_below=None if config.pages.enabled else RENDER_FORK_BELOW,
    )


def feed_report(feed: Feed, config: Config) -> FeedReport:
    files = {str(fmt): output_name(feed.slug, fmt) for fmt in config.formats}
    return FeedReport(
        name=feed.name, path=list(feed.path), slug=feed.slug, items=len(feed.articles), files=files
    )
