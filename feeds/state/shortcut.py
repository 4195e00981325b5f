"""The nothing-changed shortcut: a build whose inputs are as the last one left them does nothing."""

from __future__ import annotations

from pathlib import Path

import msgspec

from feeds.models import Problem
from feeds.records import record
from feeds.report import BuildReport, FeedReport, ProblemKey, problem_key
from feeds.state.cache import ArticleCache
from feeds.state.manifest import Manifest


@record
class LastBuild:
    """What the last build that saved its report left: read once, for the shortcut and for
    telling only the problems it did not have."""

    key: str  # of all its inputs (state.keys.build_key)
    articles: int
    feeds: list[FeedReport]
    problems: list[Problem]  # less discovery's, which every run's discovery finds again
    seen: frozenset[ProblemKey]  # every problem it had


def last_build(cache: ArticleCache) -> LastBuild | None:
    saved = cache.last_build()
    if saved is None:
        return None
    try:
        articles, feeds, problems, seen = _REPORT.decode(saved[1])
    except msgspec.DecodeError:  # damaged, or saved by another version: then build in full
        return None
    return LastBuild(saved[0], articles, feeds, problems, frozenset(seen))


def unchanged_since_last_build(
    last: LastBuild | None,
    key: str,
    file_count: int,
    manifest: Manifest,
    out: Path,
    report: BuildReport,
) -> bool:
    """True when every input is as the last build left it: then there is nothing to do.

    The key covers the version, the whole config, every source's name and stamp, and the
    manifest the last build wrote; the outputs it lists must still be there, as it wrote
    them (size and mtime). Only this check, discovery and start-up stand between cron and
    an idle exit.
    """
    if last is None or last.key != key:
        return False
    if not manifest.all_intact(out):
        return False
    report.articles, report.feeds, report.cached = last.articles, last.feeds, file_count
    report.outputs = len(manifest.fingerprints)
    report.problems += last.problems
    return True


# The stages of discovery's problems: a file that cannot be listed, a feed that cannot be
# fetched ("fetch") or is no feed ("feed").
DISCOVERY_STAGES = ("discover", "fetch", "feed")


def saved_report(report: BuildReport) -> bytes:
    # Discovery's problems are found again by every run's discovery; a damaged cache was
    # this run's news only.
    problems = [p for p in report.problems if p.stage not in (*DISCOVERY_STAGES, "cache")]
    seen = {problem_key(p) for p in report.problems if p.stage != "cache"}
    return msgspec.msgpack.encode((report.articles, report.feeds, problems, sorted(seen)))


# Data only, decoded against its types: the cache file is not trusted to hold code.
_REPORT = msgspec.msgpack.Decoder(tuple[int, list[FeedReport], list[Problem], list[ProblemKey]])
