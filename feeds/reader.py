"""Reading every article: from the cache when the file is unchanged, else parsed, in parallel.

Each file is isolated: a bad one becomes a Problem with its stage and reason, and even an
unexpected exception (a bug) costs that file alone.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field

from feeds.article import read_article
from feeds.cache import ArticleCache, Entry
from feeds.config import Config
from feeds.errors import ArticleError
from feeds.models import Article, Problem, SourceFile

Progress = Callable[[int, int], None]  # (done, total)
PARALLEL_FROM = 200  # below this many files, starting processes costs more than it saves
_worker_config: Config | None = None


@dataclass(slots=True)
class ReadResult:
    articles: list[Article] = field(default_factory=list)  # light: HTML stays in the cache
    problems: list[Problem] = field(default_factory=list)
    parsed: int = 0
    cached: int = 0


def read_articles(
    files: Sequence[SourceFile],
    config: Config,
    cache: ArticleCache,
    progress: Progress | None = None,
) -> ReadResult:
    cached, stale = cache.lookup(files, config)
    total, done = len(files), len(cached)
    fresh: dict[str, Entry] = {}
    for file, light in zip(stale, cache.store(parse_files(stale, config), config), strict=True):
        fresh[file.rel] = light
        done += 1
        if progress and (done % 100 == 0 or done == total):
            progress(done, total)
    result = ReadResult(parsed=len(stale), cached=len(cached))
    for file in files:  # file order, so reports and ties never depend on worker timing
        entry = cached.get(file.rel) or fresh[file.rel]
        if isinstance(entry, Problem):
            result.problems.append(entry)
        else:
            result.problems.extend(entry.notes)
            result.articles.append(entry)
    return result


def parse_files(files: Sequence[SourceFile], config: Config) -> Iterator[tuple[SourceFile, Entry]]:
    """Parse ``files`` in order, over ``config.jobs`` processes when there are many."""
    jobs = config.jobs or os.cpu_count() or 1
    if (
        jobs == 1
        or len(files) < PARALLEL_FROM
        or "fork" not in multiprocessing.get_all_start_methods()
    ):
        yield from ((file, parse_one(file, config)) for file in files)
        return
    # fork: workers inherit the loaded modules and the config, so they start in milliseconds
    context = multiprocessing.get_context("fork")
    with context.Pool(jobs, initializer=_init_worker, initargs=(config,)) as pool:
        chunk = max(8, min(64, len(files) // (jobs * 8)))
        yield from zip(files, pool.imap(_parse_in_worker, files, chunksize=chunk), strict=True)


def parse_one(file: SourceFile, config: Config) -> Entry:
    try:
        return read_article(file, config)
    except ArticleError as e:
        return Problem(file.rel, e.stage, e.reason)
    except Exception as e:  # a bug, not bad input: report the file, keep building
        return Problem(file.rel, "internal", f"{type(e).__name__}: {e}")


def _init_worker(config: Config) -> None:
    global _worker_config
    _worker_config = config


def _parse_in_worker(file: SourceFile) -> Entry:
    assert _worker_config is not None
    return parse_one(file, _worker_config)
