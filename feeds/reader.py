"""Reading every article: from the cache when the file is unchanged, else parsed, in parallel.

Each file is isolated: a bad one becomes a Problem with its stage and reason, and even an
unexpected exception (a bug) costs that file alone.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

from feeds.article import read_article
from feeds.cache import ArticleCache, Entry, Packed, pack, unpack
from feeds.config import Config
from feeds.errors import ArticleError
from feeds.models import Article, Problem, Progress, SourceFile
from feeds.parallel import available_cores, can_fork, map_forked

Parsed = tuple[Packed, bool]  # the entry packed for the cache, and whether it may be cached
PARALLEL_FROM = 200  # below this many files, starting processes costs more than it saves
CHUNK = 32  # files per message: large enough to amortize pickling, small for even shares


@dataclass(slots=True)
class ReadResult:
    articles: list[Article] = field(default_factory=list)  # light: HTML stays in the cache
    problems: list[Problem] = field(default_factory=list)
    parsed: int = 0
    cached: int = 0
    retry: bool = False  # some entries were not cached (read errors): try them again next run


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
    try:
        for file, (packed, keep) in parse_files(stale, config):
            fresh[file.rel] = cache.store(file, packed, config) if keep else unpack(packed)
            retry = retry or not keep
            done += 1
            if progress and (done % 100 == 0 or done == total):
                progress(done, total)
    finally:
        cache.flush()  # what was parsed before a failure is not parsed again
    result = ReadResult(parsed=len(stale), cached=len(cached), retry=retry)
    for file in files:  # file order, so reports and ties never depend on worker timing
        entry = cached.get(file.rel) or fresh[file.rel]
        if isinstance(entry, Problem):
            result.problems.append(entry)
        else:
            result.problems.extend(entry.notes)
            result.articles.append(entry)
    return result


def parse_files(files: Sequence[SourceFile], config: Config) -> Iterator[tuple[SourceFile, Parsed]]:
    """Parse ``files`` in order, over ``config.jobs`` processes when there are many."""
    jobs = config.jobs or available_cores()
    if jobs == 1 or len(files) < PARALLEL_FROM or not can_fork():
        yield from ((file, parse_one(file, config)) for file in files)
        return

    def parse(file: SourceFile) -> Parsed:
        return parse_one(file, config)

    died = (
        "a reader process died (killed for using too much memory?); "
        "files read before it are cached, the rest are read next run"
    )
    yield from zip(files, map_forked(parse, files, jobs, CHUNK, died=died), strict=True)


def parse_one(file: SourceFile, config: Config) -> Parsed:
    entry, keep = _parse(file, config)
    return pack(entry), keep


def _parse(file: SourceFile, config: Config) -> tuple[Entry, bool]:
    try:
        return read_article(file, config), True
    except ArticleError as e:
        # An OSError (permission denied, file vanished) may be gone next run with no change
        # to the file's size or mtime: such a problem must not be cached.
        return Problem(file.rel, e.stage, e.reason), not isinstance(e.__context__, OSError)
    except Exception as e:  # a bug, not bad input: report the file, keep building
        return Problem(file.rel, "internal", f"{type(e).__name__}: {e}"), False
