"""The build, as a list of stages.

discover -> read (cache, parse, clean, sanitize) -> thumbnails -> group -> load content
(cleaning in full the feed items a large build read light) -> render -> write. Everything is
gathered before anything is written, so a failure part way leaves the output folder as the
last good build left it.
"""

from __future__ import annotations

import contextlib
import dataclasses
import gc
import hashlib
import pickle
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from feeds import __version__
from feeds.cache import ArticleCache
from feeds.config import Config, Format, check_cache_outside_output
from feeds.discover import discover_files
from feeds.errors import ConfigError
from feeds.models import Article, Feed, Problem, Progress, SourceFile
from feeds.write import (
    Manifest,
    files_in_the_way,
    output_lock,
    output_stats,
    prepare_output,
    prune_outputs,
    read_manifest,
    write_manifest,
    write_outputs,
)

if TYPE_CHECKING:  # imported where used: a build with nothing to do never needs the reader
    from feeds.reader import Texts

# Rendering is forked over the cores from this many files to render: below it, starting the
# processes costs more than it saves. A chunk is a few files, so the shares stay even.
RENDER_PARALLEL_FROM = 24
RENDER_CHUNK = 4


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
    parsed: int = 0  # files read and cleaned this run
    cached: int = 0  # files taken from the cache
    feeds: list[FeedReport] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    seconds: float = 0.0

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


@dataclass(frozen=True, slots=True)
class Rendered:
    outputs: dict[str, bytes]  # files whose inputs changed, freshly rendered
    fingerprints: dict[str, str]  # every output file -> hash of what it was rendered from


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
    from feeds.clean import check_clean_config

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
    sources = _sources_digest(files)
    with contextlib.closing(ArticleCache(cache_path)) as cache:
        key = _build_key(config, sources, options, manifest)
        if _unchanged_since_last_build(cache, key, len(files), manifest, out, report):
            return
        read_again, rendered = _run_stages(config, files, cache, manifest, report, progress)
        if cache.rebuilt:
            reason = "found damaged; started afresh, and read again what it held"
            report.problems.append(Problem(str(cache.path), "cache", reason, skipped=False))
        blocked = _files_in_the_way(out, manifest, rendered, report)
        final = _write(out, manifest, _without(rendered, blocked), options, report)
        # A blocked file is looked at again by every run, until it is moved away.
        if not (read_again or blocked):
            cache.save_build(_build_key(config, sources, options, final), _saved(report))


def _files_in_the_way(
    out: Path, manifest: Manifest, rendered: Rendered, report: BuildReport
) -> set[str]:
    """Output files this tool did not write, where it would write a feed: reported, kept."""
    from feeds.render import made_here

    blocked = set(files_in_the_way(out, manifest, rendered.outputs, made_here))
    reason = (
        "a file this tool did not write has this feed's name; left as it is "
        "(move it away, or give the category another slug)"
    )
    report.problems += [
        Problem(str(out / name), "write", reason, False) for name in sorted(blocked)
    ]
    report.feeds = [_unwritten_left_out(feed, blocked) for feed in report.feeds]
    return blocked


def _unwritten_left_out(feed: FeedReport, blocked: set[str]) -> FeedReport:
    if not blocked.intersection(feed.files.values()):
        return feed
    files = {fmt: name for fmt, name in feed.files.items() if name not in blocked}
    return dataclasses.replace(feed, files=files)


def _without(rendered: Rendered, names: set[str]) -> Rendered:
    if not names:
        return rendered
    outputs = {k: v for k, v in rendered.outputs.items() if k not in names}
    prints = {k: v for k, v in rendered.fingerprints.items() if k not in names}
    return Rendered(outputs, prints)


def _write(
    out: Path, old: Manifest, rendered: Rendered, options: BuildOptions, report: BuildReport
) -> Manifest:
    """Write what changed, prune if asked, and record it all in the manifest."""
    slugs = old.slugs | {f.name: f.slug for f in report.feeds if f.name}
    names = set(rendered.fingerprints)
    # Listed before they are written: a build killed in between leaves no file untracked.
    listed = _sorted(names | set(old.files))
    write_manifest(out, Manifest(listed, slugs, old.fingerprints, old.stats))
    report.changed = write_outputs(out, rendered.outputs)
    if options.prune:
        report.removed = prune_outputs(out, old, names)
    kept = names if options.prune else names | set(old.files)
    final = Manifest(_sorted(kept), slugs, rendered.fingerprints, output_stats(out, kept))
    write_manifest(out, final)
    return final


def _unchanged_since_last_build(
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
        articles, feeds, problems = pickle.loads(saved)
    except Exception:  # a damaged report can raise almost anything: then build in full
        return False
    report.articles, report.feeds, report.cached = articles, feeds, file_count
    report.problems += problems
    return True


def _build_key(config: Config, sources: str, options: BuildOptions, manifest: Manifest) -> str:
    state = (
        sorted(manifest.files),
        sorted(manifest.slugs.items()),
        sorted(manifest.fingerprints.items()),
    )
    # How many processes, and whether to wait for a lock, shape no output: a manual run
    # with -j 1 between two cron runs must not cost the next one its shortcut.
    config = dataclasses.replace(config, jobs=0)
    options = dataclasses.replace(options, wait=False)
    inputs = repr((__version__, config, options, state, sources))
    return hashlib.sha256(inputs.encode()).hexdigest()


def _sources_digest(files: Sequence[SourceFile]) -> str:
    """A hash of every file's path, size and mtime; hashed once per run, in one piece."""
    lines = "".join([f"{f.rel}\0{f.size}\0{f.mtime_ns}\n" for f in files])
    return hashlib.sha256(lines.encode()).hexdigest()


def _saved(report: BuildReport) -> bytes:
    # Discovery's problems are found again by every run's discovery; a damaged cache was
    # this run's news only.
    problems = [p for p in report.problems if p.stage not in ("discover", "cache")]
    return pickle.dumps((report.articles, report.feeds, problems))


def _sorted(names: set[str]) -> tuple[str, ...]:
    return tuple(sorted(names))


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
    from feeds.group import ISOLATE_SLUGS_FROM, group_by_category
    from feeds.reader import Texts, read_articles
    from feeds.slug import SlugProcess
    from feeds.thumbnail import choose_thumbnail_urls

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
    report.feeds = [_feed_report(feed, config) for feed in feeds]
    return read.retry or texts.retry, rendered


def load_content(
    feeds: Sequence[Feed], source: Texts, thumbnails: Mapping[str, str], config: Config
) -> list[Feed]:
    """Give the articles that made it into a feed (and only those) their HTML, summary and
    thumbnail."""
    from feeds.thumbnail import inline_thumbnail

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


def render_changed(feeds: Sequence[Feed], config: Config, manifest: Manifest) -> Rendered:
    """Render every feed whose inputs differ from the last build's; the rest stay as they are.

    Rendering is the slowest stage of a no-change run, and its output is a pure function of
    the feed, the site settings and this tool's version: the fingerprint of those decides.
    """
    from feeds.render import output_name

    fingerprints: dict[str, str] = {}
    wanted: list[tuple[Feed, Format]] = []
    names: list[str] = []
    # repr, not pickle: pickle's bytes depend on which equal strings share one object
    site = repr((__version__, config.site)).encode()
    for feed in feeds:
        inputs = site + repr(feed).encode()  # once per feed: a feed's repr holds its HTML
        for fmt in config.formats:
            name = output_name(feed.slug, fmt)
            fingerprints[name] = hashlib.sha256(inputs + fmt.encode()).hexdigest()[:24]
            unchanged = manifest.fingerprints.get(name) == fingerprints[name]
            if not (unchanged and manifest.intact(config.output, name)):
                wanted.append((feed, fmt))
                names.append(name)
    outputs = dict(zip(names, render_all(wanted, config), strict=True))
    return Rendered(outputs, fingerprints)


def render_all(wanted: Sequence[tuple[Feed, Format]], config: Config) -> Iterator[bytes]:
    """Each (feed, format) rendered, in order; over several processes when there are many."""
    from feeds.parallel import available_cores, can_fork, map_forked
    from feeds.render import render_feed

    def render(job: tuple[Feed, Format]) -> bytes:
        return render_feed(job[0], job[1], config.site)

    jobs = config.jobs or available_cores()
    if jobs == 1 or len(wanted) < RENDER_PARALLEL_FROM or not can_fork():
        return map(render, wanted)
    died = "a rendering process died (killed for using too much memory?); nothing was written"
    return map_forked(render, wanted, jobs, RENDER_CHUNK, died=died)


def _feed_report(feed: Feed, config: Config) -> FeedReport:
    from feeds.render import output_name

    files = {str(fmt): output_name(feed.slug, fmt) for fmt in config.formats}
    return FeedReport(name=feed.name, slug=feed.slug, items=len(feed.articles), files=files)
