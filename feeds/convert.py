"""``feeds convert``: feeds in (files, URLs, standard input), one clean feed out.

The same stages as a build, on entries held in memory: read, clean and sanitize each entry,
choose thumbnails, merge newest first with one copy of each story, render one feed. No
cache, no state, nothing written but the result.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from feeds.config import Config, Format, SourceConfig
from feeds.errors import ArticleError, FeedsError
from feeds.models import Article, Feed, Problem, Source, forget_shared_values

STDIN = "-"


@dataclass(frozen=True, slots=True)
class Converted:
    output: bytes
    problems: list[Problem] = field(default_factory=list)


def convert(
    inputs: Sequence[str],
    config: Config,
    *,
    fmt: Format = "rss",
    shape: SourceConfig | None = None,
    limit: int | None = None,
    title: str | None = None,
    slug: str = "feed",
    stdin: bytes = b"",
) -> Converted:
    """One feed of every entry of ``inputs`` (``-``: ``stdin``), each input shaped by
    ``shape`` (filter, filterout, limit per input, brief), at most ``limit`` items.

    An input that cannot be read is a problem; if none can be, FeedsError.
    """
    try:
        sources, titles, problems = _entry_sources(inputs, config, shape or SourceConfig(), stdin)
        if not titles:
            shown = "; ".join(f"{p.path}: {p.reason}" for p in problems)
            raise FeedsError(f"no feed could be read ({shown})")
        articles = _articles(sources, config, problems)
        feed = _merged(articles, config, limit, title or " + ".join(t for t in titles if t), slug)
        from feeds.publish.feeds import render_feed

        return Converted(render_feed(feed, fmt, config.site), problems)
    finally:
        forget_shared_values()


def _entry_sources(
    inputs: Sequence[str], config: Config, shape: SourceConfig, stdin: bytes
) -> tuple[list[Source], list[str], list[Problem]]:
    from feeds.read.entries import Record, add_full_texts, entry_sources, parsed_record
    from feeds.read.fetch import Request, Response, fetch_all
    from feeds.read.readers import FORGETFUL

    responses: Mapping[str, Response] = fetch_all(
        [Request(url) for url in dict.fromkeys(inputs) if url != STDIN], config.fetch
    )
    sources: dict[str, Source] = {}
    titles: list[str] = []
    problems: list[Problem] = []
    for n, url in enumerate(inputs):
        response = Response(url, "ok", stdin) if url == STDIN else responses[url]
        if response.status != "ok":
            problems.append(Problem(url, "fetch", response.reason))
            continue
        try:
            record = parsed_record(response.body, response.content_type, url, None)
        except ArticleError as e:
            problems.append(Problem(url, e.stage, e.reason))
            continue
        if record.repaired:
            problems.append(Problem(url, "feed", record.repaired, skipped=False))
        titles.append(record.title)
        # Each item's categories: its feed's title, then its own.
        feed = dataclasses.replace(shape, feed=url, folder=None, categories=[], tags=True)
        records = {url: Record(title=record.title, entries=record.entries)}
        problems += add_full_texts([feed], records, config, FORGETFUL)
        for source in entry_sources(feed, records[url], f"{n}:{url}"):
            sources.setdefault(source.key, source)
    return list(sources.values()), titles, problems


def _articles(sources: Sequence[Source], config: Config, problems: list[Problem]) -> list[Article]:
    from feeds.read.batch import read_article

    articles = []
    for source in sources:
        try:
            articles.append(read_article(source, config))
        except ArticleError as e:
            problems.append(Problem(source.rel, e.stage, e.reason))
    return articles


def _merged(
    articles: Sequence[Article], config: Config, limit: int | None, title: str, slug: str
) -> Feed:
    """Newest first, one copy of each story (the newest), thumbnails chosen and shown."""
    from feeds.clean.thumbnail import choose_thumbnail_urls, with_thumbnails
    from feeds.group.feeds import newest_unique

    thumbnails = choose_thumbnail_urls(articles, config.thumbnail, config.clean.image_proxy)
    newest = sorted(articles, key=lambda a: a.date, reverse=True)
    kept = newest_unique(newest, "", {}, limit or len(newest) or 1)
    feed = Feed(
        name="",
        slug=slug,
        title=title or config.site.title,
        description=config.site.description or title or config.site.title,
        image=config.site.image,
        default_thumbnail=config.thumbnail.default,
        articles=tuple(kept),
    )
    (done,) = with_thumbnails([feed], thumbnails, config.thumbnail)
    return done
