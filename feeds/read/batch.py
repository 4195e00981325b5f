"""Reading many sources: each one read, made an article and cleaned, over worker processes.

Cleaning runs here, beside reading, so that it runs in the workers: the two are most of a
cold build. A large build reads each source for its light form only (dates, categories,
ids, images: all that choosing feed items takes); the articles its feeds show are then
cleaned in full (``ContentLoader``). Feeds show a few thousand articles at most, whatever
the size of the archive.

Each source is isolated: a bad one becomes a Problem with its stage and reason, and even an
unexpected exception (a bug) costs that source alone. Nothing here knows of the cache: the
build gives the loader what it needs of it as two plain functions.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable, Iterable, Iterator, Sequence

from feeds.article import make_article
from feeds.codec import Entry, Packed, pack, unpack
from feeds.config import Config
from feeds.errors import ArticleError, wrapped_interruption
from feeds.models import Article, Feed, Problem, Source
from feeds.read.readers import read_raw
from feeds.run.limits import TimeUp, end_time_limit, start_time_limit, time_limits
from feeds.run.parallel import map_maybe_forked

Parsed = tuple[Packed, bool]  # the entry packed for the cache, and whether it may be cached
PARALLEL_FROM = 200  # below this many sources, starting processes costs more than it saves
CHUNK = 32  # sources per message: large enough to amortize pickling, small for even shares
# (HTML, summary) by article path, of those of the given sources that the build kept whole
KeptTexts = Callable[[Sequence[Source]], dict[str, tuple[str, str]]]
Keep = Callable[[Source, Packed], object]  # keeps what was parsed, for later builds


def read_article(source: Source, config: Config, *, content: bool = True) -> Article:
    """The article of one source; raises ArticleError when it has none."""
    return make_article(read_raw(source, config), config, content=content)


def parse_sources(
    sources: Sequence[Source], config: Config, *, content: bool = True
) -> Iterator[tuple[Source, Parsed]]:
    """Parse ``sources`` in order, over ``config.jobs`` processes when there are many.

    Without ``content``, each article is read for its light form only.
    """
    died = (
        "a reader process died (killed for using too much memory?); "
        "files read before it are cached, the rest are read next run"
    )
    parse = functools.partial(parse_one, config=config, content=content)
    with time_limits():  # the workers forked inside inherit the handler
        parsed = map_maybe_forked(parse, sources, config.jobs, PARALLEL_FROM, CHUNK, died=died)
        yield from zip(sources, parsed, strict=True)


def parse_one(source: Source, config: Config, *, content: bool = True) -> Parsed:
    entry, keep = _parse(source, config, content)
    # Some articles come out clean in full all the same (a title from the body, a body
    # without markup): their HTML says so, as make_article's summary rule has it. One with
    # no HTML at all is read again when a feed shows it, once.
    complete = content or not isinstance(entry, Article) or bool(entry.content_html)
    return pack(entry, complete), keep


def _parse(source: Source, config: Config, content: bool) -> tuple[Entry, bool]:
    limit = config.read.time_limit
    limited = start_time_limit(limit)
    try:
        return read_article(source, config, content=content), True
    except TimeUp:  # kept, as a bad file's problem is: read again only once it changes
        return Problem(source.rel, "read", f"took longer than {limit:g} s to read; skipped"), True
    except ArticleError as e:
        # An OSError (permission denied, file vanished) may be gone next run with no change
        # to the source's stamp: such a problem must not be cached.
        return Problem(source.rel, e.stage, e.reason), not isinstance(e.__context__, OSError)
    except Exception as e:  # a bug, not bad input: report the source, keep building
        if (interruption := wrapped_interruption(e)) is not None:
            raise interruption from None
        return Problem(source.rel, "internal", f"{type(e).__name__}: {e}"), False
    finally:
        if limited:
            end_time_limit()


class ContentLoader:
    """The HTML and summary of light articles: as the build kept them, or read again in full.

    An article read for its light form only (a large build, ``read.light_from``) is cleaned in
    full the first time a feed shows it, and kept complete, so no later build reads it
    again. ``reread`` counts the sources read here that this run had not parsed before. A
    source that cannot be read again (changed behind the cache's back, unreadable now) is
    shown with its light form and no text, and reported in ``problems``; ``retry`` asks the
    next run to try again when the failure may pass.
    """

    def __init__(
        self,
        sources: Sequence[Source],
        config: Config,
        kept: KeptTexts,
        keep: Keep,
        parsed_this_run: Iterable[str] = (),
    ) -> None:
        self._sources, self._config = sources, config
        self._kept, self._keep = kept, keep
        self._parsed = frozenset(parsed_this_run)
        self.reread = 0
        self.loaded: set[str] = set()  # the paths of every article whose text was asked for
        self.problems: list[Problem] = []
        self.retry = False

    @functools.cached_property
    def _by_rel(self) -> dict[str, Source]:
        return {s.rel: s for s in self._sources}

    def widen(self, sources: Sequence[Source]) -> None:
        """Load the articles of ``sources`` from now on, keeping what was loaded so far."""
        self._sources = sources
        self.__dict__.pop("_by_rel", None)

    def texts(self, rels: Iterable[str]) -> dict[str, tuple[str, str]]:
        """(HTML, summary) of each article named, by path."""
        wanted = [self._by_rel[rel] for rel in dict.fromkeys(rels)]
        self.loaded.update(source.rel for source in wanted)
        texts = self._kept(wanted)
        missing = [source for source in wanted if source.rel not in texts]
        for source, (packed, keep) in parse_sources(missing, self._config):
            _, html, summary, _ = packed
            texts[source.rel] = (html, summary)
            if not (html or summary) and isinstance(problem := unpack(packed), Problem):
                reason = f"{problem.reason}; shown without its text"
                self.problems.append(Problem(source.rel, problem.stage, reason, skipped=False))
            if keep:
                self._keep(source, packed)
            else:
                self.retry = True
        self.reread += sum(1 for source in missing if source.rel not in self._parsed)
        return texts

    def summaries(self, rels: Iterable[str]) -> dict[str, str]:
        return {rel: summary for rel, (_, summary) in self.texts(rels).items()}

    def complete(self, feeds: Sequence[Feed]) -> list[Feed]:
        """The feeds, their articles (and only theirs) given their HTML and summary."""
        texts = self.texts(a.path for feed in feeds for a in feed.articles)
        full: dict[str, Article] = {}  # an article in several feeds is made once

        def complete(article: Article) -> Article:
            if article.path not in full:
                html, summary = texts[article.path]
                full[article.path] = _with_text(article, html, summary)
            return full[article.path]

        return [
            dataclasses.replace(feed, articles=tuple(map(complete, feed.articles)))
            for feed in feeds
        ]


def _with_text(article: Article, html: str, summary: str) -> Article:
    if article.content_html == html and article.summary == summary:
        return article
    return article.replaced(content_html=html, summary=summary)
