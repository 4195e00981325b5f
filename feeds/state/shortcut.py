"""The nothing-changed shortcut: a build whose inputs are as the last one left them does nothing."""

from __future__ import annotations

import pickle
from pathlib import Path

from feeds.report import BuildReport, ProblemKey, problem_key
from feeds.state.cache import ArticleCache
from feeds.state.manifest import Manifest


def unchanged_since_last_build(
    cache: ArticleCache,
    key: str,
    file_count: int,
    manifest: Manifest,
    out: Path,
    report: BuildReport,
) -> bool:
    """True when every input is as the last build left it: then there is nothing to do.

    The key covers the version, the whole config, every file's path, size and mtime, and
    the manifest the last build wrote; the outputs it lists must still be there, as it
    wrote them (size and mtime). Only this check, discovery and start-up stand between cron
    and an idle exit.
    """
    saved = cache.saved_build(key)
    if saved is None or not all(manifest.intact(out, name) for name in manifest.fingerprints):
        return False
    try:
        articles, feeds, problems, _ = pickle.loads(saved)
    except Exception:  # a damaged report can raise almost anything: then build in full
        return False
    report.articles, report.feeds, report.cached = articles, feeds, file_count
    report.problems += problems
    return True


def saved_report(report: BuildReport) -> bytes:
    # Discovery's problems are found again by every run's discovery; a damaged cache was
    # this run's news only.
    problems = [p for p in report.problems if p.stage not in ("discover", "cache")]
    seen = {problem_key(p) for p in report.problems if p.stage != "cache"}
    return pickle.dumps((report.articles, report.feeds, problems, seen))


def seen_in_last_build(cache: ArticleCache) -> frozenset[ProblemKey]:
    """Every problem the last build that saved its report had: a run tells only the others."""
    saved = cache.saved_build(None)
    try:
        return frozenset(pickle.loads(saved)[3]) if saved else frozenset()
    except Exception:  # damaged, or saved by another version: everything is news then
        return frozenset()
