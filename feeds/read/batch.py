"""Reading every article: from the cache when the file is unchanged, else parsed, in parallel.

A large build reads each file for its light form only (dates, categories, ids, images: all
that choosing feed items takes); the articles its feeds show are then cleaned in full
(``Texts``). Cleaning and sanitizing the HTML is about a third of parsing an article, and
feeds show a few thousand articles at most, whatever the size of the archive.

Each file is isolated: a bad one becomes a Problem with its stage and reason, and even an
unexpected exception (a bug) costs that file alone.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field

from feeds.article import read_article
from feeds.codec import Entry, Packed, pack, unpack
from feeds.config import Config
from feeds.errors import ArticleError, wrapped_interruption
from feeds.models import Article, Feed, Problem, Progress, SourceFile
from feeds.run.parallel import available_cores, can_fork, map_forked
from feeds.state.cache import ArticleCache

Parsed = tuple[Packed, bool]  # the entry packed for the cache, and whether it may be cached
PARALLEL_FROM = 200  # below this many files, starting processes costs more than it saves
CHUNK = 32  # files per message: large enough to amortize pickling, small for even shares
# From this many files to parse, each is read for its light form only: feeds show a few
# thousand articles at most, and only those are then cleaned in full (``Texts``).
LIGHT_FROM = 2000


@dataclass(slots=True)
class ReadResult:
    articles: list[Article] = field(default_factory=list)  # light: HTML stays in the cache
    problems: list[Problem] = field(default_factory=list)
    parsed: int = 0
    cached: int = 0
    retry: bool = False  # some entries were not cached (read errors): try them again next run
    parsed_paths: frozenset[str] = frozenset()


def read_articles(
    files: Sequence[SourceFile],
    config: Config,
    cache: ArticleCache,
    progress: Progress | None = None,
) -> ReadResult:
    files = [f for f in files if not cache.owns(f)]
    cached, stale = cache.lookup(files, config)
    total, done = len(files), len(cached)
    fresh: dict[str, Entry] = {}
    retry = False
    content = len(stale) < LIGHT_FROM
    try:
        for file, (packed, keep) in parse_files(stale, config, content=content):
            fresh[file.rel] = cache.store(file, packed, config) if keep else unpack(packed)
            retry = retry or not keep
            done += 1
            if progress and (done % 100 == 0 or done == total):
                progress(done, total)
    finally:
        cache.flush()  # what was parsed before a failure is not parsed again
    result = ReadResult(
        parsed=len(stale), cached=len(cached), retry=retry, parsed_paths=frozenset(fresh)
    )
    for file in files:  # file order, so reports and ties never depend on worker timing
        entry = cached.get(file.rel) or fresh[file.rel]
        if isinstance(entry, Problem):
            result.problems.append(entry)
        else:
            result.problems.extend(entry.notes)
            result.articles.append(entry)
    return result


def parse_files(
    files: Sequence[SourceFile], config: Config, *, content: bool = True
) -> Iterator[tuple[SourceFile, Parsed]]:
    """Parse ``files`` in order, over ``config.jobs`` processes when there are many.

    Without ``content``, each article is read for its light form only (``read_article``).
    """

    def parse(file: SourceFile) -> Parsed:
        return parse_one(file, config, content=content)

    jobs = config.jobs or available_cores()
    if jobs == 1 or len(files) < PARALLEL_FROM or not can_fork():
        yield from zip(files, map(parse, files), strict=True)
        return
    died = (
        "a reader process died (killed for using too much memory?); "
        "files read before it are cached, the rest are read next run"
    )
    yield from zip(files, map_forked(parse, files, jobs, CHUNK, died=died), strict=True)


def parse_one(file: SourceFile, config: Config, *, content: bool = True) -> Parsed:
    entry, keep = _parse(file, config, content)
    # Some articles come out clean in full all the same (a title from the body, a body
    # without markup): their HTML says so, as read_article's summary rule has it. One with
    # no HTML at all is read again when a feed shows it, once.
    complete = content or not isinstance(entry, Article) or bool(entry.content_html)
    return pack(entry, complete), keep


def _parse(file: SourceFile, config: Config, content: bool) -> tuple[Entry, bool]:
    try:
        return read_article(file, config, content=content), True
    except ArticleError as e:
        # An OSError (permission denied, file vanished) may be gone next run with no change
        # to the file's size or mtime: such a problem must not be cached.
        return Problem(file.rel, e.stage, e.reason), not isinstance(e.__context__, OSError)
    except Exception as e:  # a bug, not bad input: report the file, keep building
        if (interruption := wrapped_interruption(e)) is not None:
            raise interruption from None
        return Problem(file.rel, "internal", f"{type(e).__name__}: {e}"), False


class Texts:
    """The HTML and summary of light articles: from the cache, or read again in full.

    An article read for its light form only (a large build, ``LIGHT_FROM``) is cleaned in
    full the first time a feed shows it, and saved complete, so no later build reads it
    again. ``reread`` counts the files read here that this run had not parsed before. A file
    that cannot be read again (changed behind the cache's back, unreadable now) is shown
    with its light form and no text, and reported in ``problems``; ``retry`` asks the next
    run to try again when the failure may pass.
    """

    def __init__(
        self, cache: ArticleCache, files: Sequence[SourceFile], config: Config, read: ReadResult
    ) -> None:
        self.cache, self.config, self.parsed_paths = cache, config, read.parsed_paths
        self._files = files
        self.reread = 0
        self.problems: list[Problem] = []
        self.retry = False

    @functools.cached_property
    def _by_rel(self) -> dict[str, SourceFile]:
        # Made on the first miss only: a rebuild whose feed items are all complete, as most
        # are, never needs this index of every file (100k entries on a large archive).
        return {f.rel: f for f in self._files}

    def get(self, rels: Iterable[str]) -> dict[str, tuple[str, str]]:
        rels = list(dict.fromkeys(rels))
        texts = self.cache.texts(rels)
        missing = [rel for rel in rels if rel not in texts]
        if not missing:
            return texts
        missing_files = [self._by_rel[rel] for rel in missing]
        try:
            for file, (packed, keep) in parse_files(missing_files, self.config):
                _, html, summary, _ = packed
                texts[file.rel] = (html, summary)
                if not (html or summary) and isinstance(problem := unpack(packed), Problem):
                    reason = f"{problem.reason}; shown without its text"
                    self.problems.append(Problem(file.rel, problem.stage, reason, skipped=False))
                if keep:
                    self.cache.store(file, packed, self.config)
                else:
                    self.retry = True
        finally:
            self.cache.flush()
        self.reread += sum(1 for rel in missing if rel not in self.parsed_paths)
        return texts


def load_content(
    feeds: Sequence[Feed], source: Texts, thumbnails: Mapping[str, str], config: Config
) -> list[Feed]:
    """Give the articles that made it into a feed (and only those) their HTML, summary and
    thumbnail."""
    from feeds.clean.thumbnail import inline_thumbnail

    texts = source.get(a.path for feed in feeds for a in feed.articles)
    full: dict[str, Article] = {}  # an article in several feeds is made once

    def complete(article: Article) -> Article:
        if article.path not in full:
            html, summary = texts[article.path]
            thumbnail = thumbnails.get(article.path)
            done = dataclasses.replace(
                article, content_html=html, summary=summary, thumbnail=thumbnail
            )
            full[article.path] = inline_thumbnail(done, config.thumbnail)
        return full[article.path]

    return [
        dataclasses.replace(feed, articles=tuple(map(complete, feed.articles))) for feed in feeds
    ]


def _summaries(texts: Texts) -> Callable[[Article], str]:
    """Summaries of light articles, fetched one by one: only same-title articles need them."""

    def summary_of(article: Article) -> str:
        return texts.get([article.path])[article.path][1]

    return summary_of
