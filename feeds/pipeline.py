"""The build, as a list of stages: discover -> read -> thumbnails -> group -> render -> write."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from feeds.article import read_article
from feeds.config import Config
from feeds.discover import discover_files
from feeds.errors import ArticleError
from feeds.group import group_by_category
from feeds.models import Article, Feed, Problem, SourceFile
from feeds.render import output_name, render_feed
from feeds.thumbnail import choose_thumbnails
from feeds.write import (
    Manifest,
    output_lock,
    prepare_output,
    prune_outputs,
    read_manifest,
    write_manifest,
    write_outputs,
)

Progress = Callable[[int, int], None]  # (done, total)


@dataclass(frozen=True, slots=True)
class BuildOptions:
    write: bool = True  # False for `feeds check`: read and validate, write nothing
    prune: bool = False  # delete feeds this tool wrote earlier that have no articles now
    wait: bool = False  # wait for another build's lock instead of failing


@dataclass(frozen=True, slots=True)
class FeedReport:
    name: str
    slug: str
    items: int
    files: dict[str, str]  # format -> file name relative to the output folder


@dataclass(slots=True)
class BuildReport:
    articles: int = 0  # files that became articles
    feeds: list[FeedReport] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def skipped(self) -> list[Problem]:
        return [p for p in self.problems if p.skipped]

    @property
    def internal_errors(self) -> list[Problem]:
        return [p for p in self.problems if p.stage == "internal"]


def build(config: Config, options: BuildOptions, progress: Progress | None = None) -> BuildReport:
    started = time.perf_counter()
    report = BuildReport()
    files, report.problems = discover_files(config)
    if not options.write:
        _build_in_memory(config, files, report, Manifest(), progress)
    else:
        out = prepare_output(config)
        with output_lock(out, wait=options.wait):
            manifest = read_manifest(out)
            outputs = _build_in_memory(config, files, report, manifest, progress)
            report.changed = write_outputs(out, outputs)
            if options.prune:
                report.removed = prune_outputs(out, manifest, outputs)
            kept = set(outputs) | (set() if options.prune else set(manifest.files))
            slugs = manifest.slugs | _slugs(report)  # remembered even while a category is empty
            write_manifest(out, Manifest(files=tuple(sorted(kept)), slugs=slugs))
    report.seconds = time.perf_counter() - started
    return report


def _build_in_memory(
    config: Config,
    files: Sequence[SourceFile],
    report: BuildReport,
    manifest: Manifest,
    progress: Progress | None,
) -> dict[str, bytes]:
    articles = read_articles(files, config, report.problems, progress)
    articles = choose_thumbnails(articles, config.thumbnail, config.clean.image_proxy)
    grouping = group_by_category(articles, config, manifest.slugs)
    report.problems.extend(grouping.duplicates)
    report.articles = len(articles)
    outputs = render_all(grouping.feeds, config)
    report.feeds = [_feed_report(feed, config) for feed in grouping.feeds]
    return outputs


def read_articles(
    files: Sequence[SourceFile],
    config: Config,
    problems: list[Problem],
    progress: Progress | None = None,
) -> list[Article]:
    """Read every file; a bad one costs that file alone and is reported with its stage."""
    articles = []
    for done, file in enumerate(files, 1):
        try:
            article = read_article(file, config)
        except ArticleError as e:
            problems.append(Problem(file.rel, e.stage, e.reason))
        except Exception as e:  # a bug, not bad input: report the file, keep building
            problems.append(Problem(file.rel, "internal", f"{type(e).__name__}: {e}"))
        else:
            problems.extend(article.notes)
            articles.append(article)
        if progress:
            progress(done, len(files))
    return articles


def render_all(feeds: Sequence[Feed], config: Config) -> dict[str, bytes]:
    return {
        output_name(feed.slug, fmt): render_feed(feed, fmt, config.site)
        for feed in feeds
        for fmt in config.formats
    }


def _feed_report(feed: Feed, config: Config) -> FeedReport:
    files = {str(fmt): output_name(feed.slug, fmt) for fmt in config.formats}
    return FeedReport(name=feed.name, slug=feed.slug, items=len(feed.articles), files=files)


def _slugs(report: BuildReport) -> dict[str, str]:
    return {f.name: f.slug for f in report.feeds if f.name}
