"""What a build reports, and the outputs its publishers give."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from feeds.models import Problem
from feeds.records import record


@record
class BuildOptions:
    write: bool = True  # False for `feeds check`: read and validate, write nothing
    force: bool = False  # publish even what looks like an accident: an emptied source
    prune: bool = False  # delete feeds this tool wrote earlier that have no articles now
    wait: bool = False  # wait for another build's lock instead of failing


ProblemKey = tuple[str, str, str]  # path, stage, reason


def problem_key(problem: Problem) -> ProblemKey:
    return (problem.path, problem.stage, problem.reason)


@record
class FeedReport:
    name: str
    path: list[str]  # the category's names from the top; [] for the feed of all articles
    slug: str
    items: int
    files: dict[str, str]  # format -> file name relative to the output folder


@dataclass(slots=True)
class BuildReport:
    articles: int = 0  # files that became articles
    parsed: int = 0  # files read and cleaned this run
    cached: int = 0  # files taken from the cache
    loaded: int = 0  # articles whose HTML was loaded: feed items, and copies compared
    by_source: dict[str, int] = field(default_factory=dict)  # source prefix -> articles
    first_seen: dict[str, int] = field(default_factory=dict)  # for the manifest (article.py)
    # The problems the last build had: a cron job is told only the others (``is_new``)
    seen_before: frozenset[ProblemKey] = frozenset()
    feeds: list[FeedReport] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    outputs: int = 0  # every output file of the build: feeds, and the site's pages
    seconds: float = 0.0

    def is_new(self, problem: Problem) -> bool:
        return problem_key(problem) not in self.seen_before

    @property
    def skipped(self) -> list[Problem]:
        return [p for p in self.problems if p.skipped]

    @property
    def unwritten(self) -> list[Problem]:
        """Feed files left unwritten: a file this tool did not write has their name."""
        return [p for p in self.problems if p.stage == "write"]

    @property
    def internal_errors(self) -> list[Problem]:
        return [p for p in self.problems if p.stage == "internal"]


@record
class Rendered:
    """What publishers give: the outputs to write, and what every output was made from."""

    # files whose inputs changed, freshly rendered (the pages spooled to disk: publish.spool)
    outputs: Mapping[str, bytes]
    fingerprints: dict[str, str]  # every output file -> hash of what it was rendered from
    # article guid -> its page's path: recorded, so that a page's URL never changes
    pages: dict[str, str] = field(default_factory=dict)
    # Outputs left for the next build (pages over ``pages.per_build``): it must not take the
    # nothing-changed shortcut
    deferred: int = 0


# Whether the output at a path is as a build left it from inputs of this fingerprint:
# then it need not be made again.
Unchanged = Callable[[str, str], bool]
