"""Reading every article: from the cache when the file is unchanged, else parsed, in parallel.

Each file is isolated: a bad one becomes a Problem with its stage and reason, and even an
unexpected exception (a bug) costs that file alone.
"""

from __future__ import annotations

import ctypes
import multiprocessing
import os
import signal
import sys
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field

from feeds.article import read_article
from feeds.cache import ArticleCache, Entry
from feeds.config import Config
from feeds.errors import ArticleError, BuildError
from feeds.models import Article, Problem, SourceFile

Progress = Callable[[int, int], None]  # (done, total)
Parsed = tuple[Entry, bool]  # the entry, and whether it may be cached
PARALLEL_FROM = 200  # below this many files, starting processes costs more than it saves
_PR_SET_PDEATHSIG = 1  # from <linux/prctl.h>
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
    files = [f for f in files if not cache.owns(f)]
    cached, stale = cache.lookup(files, config)
    total, done = len(files), len(cached)
    fresh: dict[str, Entry] = {}
    try:
        for file, (entry, keep) in parse_files(stale, config):
            fresh[file.rel] = cache.store(file, entry, config) if keep else entry
            done += 1
            if progress and (done % 100 == 0 or done == total):
                progress(done, total)
    finally:
        cache.flush()  # what was parsed before a failure is not parsed again
    result = ReadResult(parsed=len(stale), cached=len(cached))
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
    if (
        jobs == 1
        or len(files) < PARALLEL_FROM
        or "fork" not in multiprocessing.get_all_start_methods()
    ):
        yield from ((file, parse_one(file, config)) for file in files)
        return
    # fork: workers inherit the loaded modules and the config, so they start in milliseconds.
    # Not multiprocessing.Pool: it waits forever for the work of a worker the OOM killer took.
    pool = ProcessPoolExecutor(
        jobs,
        mp_context=multiprocessing.get_context("fork"),
        initializer=_init_worker,
        initargs=(config, os.getpid()),
    )
    try:
        chunk = max(8, min(64, len(files) // (jobs * 8)))
        yield from zip(files, pool.map(_parse_in_worker, files, chunksize=chunk), strict=True)
    except BrokenProcessPool:
        raise BuildError(
            "a reader process died (killed for using too much memory?); "
            "files read before it are cached, the rest are read next run"
        ) from None
    finally:
        pool.shutdown(cancel_futures=True)


def parse_one(file: SourceFile, config: Config) -> Parsed:
    try:
        return read_article(file, config), True
    except ArticleError as e:
        # An OSError (permission denied, file vanished) may be gone next run with no change
        # to the file's size or mtime: such a problem must not be cached.
        return Problem(file.rel, e.stage, e.reason), not isinstance(e.__context__, OSError)
    except Exception as e:  # a bug, not bad input: report the file, keep building
        return Problem(file.rel, "internal", f"{type(e).__name__}: {e}"), False


def available_cores() -> int:
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))  # the cores this process may use, not the machine's
    return os.cpu_count() or 1


def _init_worker(config: Config, parent: int) -> None:
    global _worker_config
    _worker_config = config
    # Ctrl-C is the parent's to handle: it stops the pool and exits with one message.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # A worker orphaned by a killed build would otherwise wait for work forever.
    if sys.platform == "linux":
        ctypes.CDLL(None).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent:  # the parent died before prctl took effect
        os._exit(1)


def _parse_in_worker(file: SourceFile) -> Parsed:
    assert _worker_config is not None
    return parse_one(file, _worker_config)
