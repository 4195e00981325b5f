"""The build, as a list of stages.

discover -> read (cache, parse, clean, sanitize) -> thumbnails -> group -> load content
(cleaning in full the feed items a large build read light) -> render -> write. Everything is
gathered before anything is written, so a failure part way leaves the output folder as the
last good build left it.
"""

from __future__ import annotations

import contextlib
import gc
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from feeds.config import Config, check_cache_outside_output
from feeds.errors import ConfigError
from feeds.models import Problem, Progress, SourceFile
from feeds.publish.feeds import feed_report, render_changed
from feeds.publish.write import blocked_outputs, prepare_output, without_outputs, write_build
from feeds.read.batch import _summaries, load_content
from feeds.read.discover import discover_files
from feeds.report import BuildOptions, BuildReport, Rendered
from feeds.run.locks import output_lock
from feeds.state.cache import ArticleCache
from feeds.state.keys import build_key, sources_digest
from feeds.state.manifest import Manifest, read_manifest
from feeds.state.shortcut import saved_report, unchanged_since_last_build

if TYPE_CHECKING:  # imported where used: a build with nothing to do never needs the reader
    pass


def build(config: Config, options: BuildOptions, progress: Progress | None = None) -> BuildReport:
    started = time.perf_counter()
    report = BuildReport()
    check_clean_rules(config)
    check_cache_outside_output(config)
    with _without_cycle_collection():
        files, report.problems = discover_files(config)
        if not options.write:
            with contextlib.closing(ArticleCache(None)) as cache:
                _run_stages(config, files, cache, Manifest(), report, progress)
        else:
            out = prepare_output(config)
            with output_lock(out, wait=options.wait):
                _build_into(out, config, files, options, report, progress)
    report.seconds = time.perf_counter() - started
    return report


@contextlib.contextmanager
def _without_cycle_collection() -> Iterator[None]:
    """Python's cyclic garbage collector paused for the build; reference counting goes on.

    A build makes a few objects per article and next to no reference cycles: none in
    reading, over the real corpus and every kind of bad file; a few dozen per build in
    rendering. Yet with 100k articles loaded the collector traverses them all again and
    again: 0.6-0.9 s of a one-new rebuild at 100k, an eighth of it. It runs again after.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def check_clean_rules(config: Config) -> None:
    """A bad selector or regex is one config error, raised before anything is written.

    Only the config's own rules need checking: the built-in ones are known good, and the
    cleaner's import (lxml, cssselect) is a tenth of a run with nothing to do.
    """
    clean = config.clean
    if not (clean.remove or clean.remove_text or clean.rules):
        return
    from feeds.clean.body import check_clean_config

    try:
        check_clean_config(clean)
    except ConfigError as e:
        raise ConfigError(f"{config.path}: {e}") from None


def _build_into(
    out: Path,
    config: Config,
    files: Sequence[SourceFile],
    options: BuildOptions,
    report: BuildReport,
    progress: Progress | None,
) -> None:
    manifest = read_manifest(out)
    cache_path = config.cache.path if config.cache.enabled else None
    sources = sources_digest(files)
    with contextlib.closing(ArticleCache(cache_path)) as cache:
        key = build_key(config, sources, options, manifest)
        if unchanged_since_last_build(cache, key, len(files), manifest, out, report):
            return
        read_again, rendered = _run_stages(config, files, cache, manifest, report, progress)
        if cache.rebuilt:
            reason = "found damaged; started afresh, and read again what it held"
            report.problems.append(Problem(str(cache.path), "cache", reason, skipped=False))
        blocked = blocked_outputs(out, manifest, rendered, report)
        final = write_build(out, manifest, without_outputs(rendered, blocked), options, report)
        # A blocked file is looked at again by every run, until it is moved away.
        if not (read_again or blocked):
            cache.save_build(build_key(config, sources, options, final), saved_report(report))


def _run_stages(
    config: Config,
    files: Sequence[SourceFile],
    cache: ArticleCache,
    manifest: Manifest,
    report: BuildReport,
    progress: Progress | None,
) -> tuple[bool, Rendered]:
    """Every stage after discovery; returns whether some file must be read again next run."""
    # Imported here: a build with nothing to do (above) never needs them, and they are most
    # of its start-up time.
    from feeds.clean.thumbnail import choose_thumbnail_urls
    from feeds.group.feeds import ISOLATE_SLUGS_FROM, group_by_category
    from feeds.group.slug import SlugProcess
    from feeds.read.batch import Texts, read_articles

    with SlugProcess() as slug_helper:
        read = read_articles(files, config, cache, progress)
        if not manifest.slugs and len(files) >= ISOLATE_SLUGS_FROM:
            # A first build of a large archive: every name is new, so the slug process will
            # be needed; its dictionaries load while the thumbnails are chosen. Not sooner:
            # beside the readers, its 64 MiB would be on top of the build's peak.
            slug_helper.start()
        texts = Texts(cache, files, config, read)
        thumbnails = choose_thumbnail_urls(
            read.articles, config.thumbnail, config.clean.image_proxy, prefiltered=True
        )
        summaries = _summaries(texts)
        grouping = group_by_category(read.articles, config, manifest.slugs, summaries, slug_helper)
    feeds = load_content(grouping.feeds, texts, thumbnails, config)
    rendered = render_changed(feeds, config, manifest)
    report.problems += read.problems + grouping.duplicates + texts.problems
    report.articles = len(read.articles)
    # A file read again for its HTML only was parsed by this run, not taken from the cache.
    report.parsed, report.cached = read.parsed + texts.reread, read.cached - texts.reread
    report.feeds = [feed_report(feed, config) for feed in feeds]
    return read.retry or texts.retry, rendered
