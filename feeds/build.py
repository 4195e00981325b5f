"""The build, as a list of stages.

discover -> ask the cache -> read what it lacks (parse, clean, sanitize: in workers) ->
choose thumbnails -> group -> complete the feed items (the HTML of those a large build read
light) -> publish -> write. Everything is gathered before anything is written, so a failure
part way leaves the output folder as the last good build left it. Only this module asks the
cache and the manifest; the stages know nothing of them.
"""

from __future__ import annotations

import contextlib
import dataclasses
import gc
import time
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from feeds.codec import Entry, unpack
from feeds.config import Config, check_cache_outside_output, check_output_outside_sources
from feeds.errors import ConfigError
from feeds.models import Article, Problem, Progress, Source, forget_shared_values
from feeds.publish.write import prepare_output
from feeds.read.discover import count_by_source
from feeds.read.readers import ENTRY_KIND, FORGETFUL, Memory, discover_all
from feeds.report import BuildOptions, BuildReport, Rendered
from feeds.run.locks import output_lock
from feeds.state.cache import ArticleCache
from feeds.state.keys import build_key, manifest_digest, sources_digest
from feeds.state.manifest import Manifest, UnchangedOutputs, read_manifest
from feeds.state.output import (
    leave_files_in_the_way,
    refuse_accidents,
    refuse_another_owner,
    write_recorded,
)
from feeds.state.shortcut import last_build, saved_report, unchanged_since_last_build

if TYPE_CHECKING:
    from feeds.group.feeds import Grouping, Listing, Plan
    from feeds.group.index import Counts, FeedIndex
    from feeds.group.slug import SlugProcess
    from feeds.read.batch import ContentLoader


def build(config: Config, options: BuildOptions, progress: Progress | None = None) -> BuildReport:
    started = time.perf_counter()
    check_clean_rules(config)
    check_cache_outside_output(config)
    check_output_outside_sources(config)
    try:
        with _without_cycle_collection():
            sources, problems = _discover(config, options)
            report = BuildReport(problems=problems)
            if not options.write:
                with contextlib.closing(ArticleCache(None, config)) as cache:
                    empty = Manifest()
                    unchanged = UnchangedOutputs(config.output, empty)
                    _run_stages(
                        config, sources, cache, empty, report, progress, unchanged, write=False
                    )
            else:
                out = prepare_output(config)
                with output_lock(out, wait=options.wait):
                    _build_into(out, config, sources, options, report, progress)
    finally:
        forget_shared_values()
    report.seconds = time.perf_counter() - started
    return report


def _discover(config: Config, options: BuildOptions) -> tuple[list[Source], list[Problem]]:
    """Every source; feeds are fetched conditionally, from the records of their last good
    fetch (which ``feeds check`` reads but does not change)."""
    if not config.feed_sources:
        return discover_all(config, FORGETFUL)
    from feeds.state.fetches import fetch_records

    with fetch_records(config, keep=options.write) as records:
        return discover_all(config, Memory(records.recall, records.remember))


def _build_into(
    out: Path,
    config: Config,
    sources: Sequence[Source],
    options: BuildOptions,
    report: BuildReport,
    progress: Progress | None,
) -> None:
    manifest = read_manifest(out)
    refuse_another_owner(out, manifest, config.path, options.force)
    cache_path = config.cache.path if config.cache.enabled else None
    digest = sources_digest(sources)
    with contextlib.closing(ArticleCache(cache_path, config)) as cache:
        last = last_build(cache)
        report.seen_before = last.seen if last else frozenset()
        # A hash of the outputs the manifest lists: both keys hold it (100,000 pages' worth).
        outputs = manifest_digest(manifest)
        key = build_key(config, digest, options, outputs)
        if unchanged_since_last_build(last, key, len(sources), manifest, out, report):
            return
        unchanged = UnchangedOutputs(out, manifest)  # keeps the stats it takes, for the write
        last_index = _last_index(cache, config, manifest, outputs)
        read_again, rendered, index = _run_stages(
            config, sources, cache, manifest, report, progress, unchanged, last_index
        )
        # Every article is made: with the snapshot saved, the light articles go, and what
        # is made from now on (the manifest, the outputs' stats) takes their memory.
        cache.save()
        if cache.rebuilt:
            reason = "found damaged; started afresh, and read again what it held"
            report.problems.append(Problem(str(cache.path), "cache", reason, skipped=False))
        if cache.dropped:
            reason = f"{cache.dropped}; built without it (every file is read again next run)"
            report.problems.append(Problem(str(cache.path), "cache", reason, skipped=False))
        refuse_accidents(manifest, rendered, options, report, config.prune.max_share)
        rendered = leave_files_in_the_way(out, manifest, rendered, report)
        final = write_recorded(
            out, manifest, rendered, options, report, config.path, unchanged.stats
        )
        report.outputs = len(rendered.fingerprints)
        # A file left in the way is looked at again by every run, until it is moved away.
        if not (read_again or report.unwritten or rendered.deferred):
            outputs = manifest_digest(final)
            cache.save_build(build_key(config, digest, options, outputs), saved_report(report))
            _save_index(cache, config, final, outputs, index)
        elif last_index is not None or index is not None:
            cache.save_feed_index(None, None)  # what it holds may not be what this build wrote


def _last_index(
    cache: ArticleCache, config: Config, manifest: Manifest, outputs: str
) -> FeedIndex | None:
    """The feeds' index the last build kept, if it was made under this config and the
    manifest it wrote (see group.index)."""
    from feeds.group import index
    from feeds.state.index_key import index_key

    if not index.usable(config):
        return None
    data = cache.feed_index(index_key(config, manifest, outputs))
    return None if data is None else index.decode(data)


def _save_index(
    cache: ArticleCache,
    config: Config,
    manifest: Manifest,
    outputs: str,
    made: FeedIndex | None,
) -> None:
    from feeds.group import index
    from feeds.state.index_key import index_key

    if made is None:
        cache.save_feed_index(None, None)
    else:
        key = index_key(config, manifest, outputs)
        cache.save_feed_index(key, index.encode(made))


def _run_stages(
    config: Config,
    sources: Sequence[Source],
    cache: ArticleCache,
    manifest: Manifest,
    report: BuildReport,
    progress: Progress | None,
    unchanged: UnchangedOutputs,
    last_index: FeedIndex | None = None,
    *,
    write: bool = True,
) -> tuple[bool, Rendered, FeedIndex | None]:
    """Every stage after discovery; returns whether some source must be read again next
    run, and the feeds' index of this build (when it can keep one)."""
    # Imported here: a build with nothing to do (above) never needs them, and they are most
    # of its start-up time.
    from feeds.clean.thumbnail import with_thumbnails
    from feeds.group import index as group_index
    from feeds.group.slug import SlugProcess
    from feeds.publish.feeds import feed_report
    from feeds.publish.pages.catalog import Catalog
    from feeds.publish.publishers import publish_all

    sources = cache.without_own_files(sources)
    with SlugProcess() as slug_helper:
        picked = None
        if last_index is not None:
            picked = _pick_with_added(
                last_index, config, sources, cache, manifest, unchanged, slug_helper
            )
        if picked is None or isinstance(picked, _Abandoned):
            picked = _pick_from_all(config, sources, cache, manifest, slug_helper, picked, progress)
    plan, grouping, loader, thumbnails = (
        picked.plan,
        picked.grouping,
        picked.loader,
        picked.thumbnails,
    )
    report.first_seen = picked.first_seen
    feeds = with_thumbnails(loader.complete(grouping.feeds), thumbnails, config.thumbnail)
    # The pages are of every article: the catalog gives them (or, taking the shortcut, the
    # few it looked at, and the last build's pages for the others), their sources' stamps
    # (what tells a page to render again without loading its HTML) and the loader of their
    # HTML. Without pages no stamp is asked for: the dict of every source is not made.
    stamps = _stamps(sources, picked.source_of_path) if config.pages.enabled else {}
    catalog = Catalog(
        plan.articles,
        stamps,
        thumbnails,
        loader.texts,
        manifest.pages,
        listings=picked.listings or {},
        carried=picked.carried,
    )
    if not write:  # feeds check: no page is rendered, so no article's HTML is loaded for one
        catalog = dataclasses.replace(catalog, texts=None, render=False)
    rendered = publish_all(feeds, config, unchanged, catalog)
    report.problems += picked.problems + grouping.duplicates + loader.problems
    report.articles, report.loaded = picked.articles, len(loader.loaded)
    report.by_source = picked.by_source
    # A source read again for its HTML only was parsed by this run, not taken from the cache.
    report.parsed, report.cached = picked.parsed + loader.reread, picked.cached - loader.reread
    report.feeds = [feed_report(feed, config) for feed in feeds]
    index = None
    if write and group_index.usable(config):
        index = group_index.make_index(
            sources,
            picked.articles,
            picked.problems,
            picked.owners,
            plan,
            grouping,
            picked.counts,
            config.limit,
            picked.listings,
            2 * config.pages.per_page,  # as many as publish.pages.site.listing_pages asks
            picked.source_of_path,
        )
    return picked.retry or loader.retry, rendered, index


def _stamps(sources: Sequence[Source], where: Mapping[str, int] | None) -> dict[str, str]:
    """The stamps of the sources, by path: of those ``where`` places, when it is given."""
    if where is None:
        return {source.rel: source.stamp for source in sources}
    return {path: sources[i].stamp for path, i in where.items()}


@dataclasses.dataclass(slots=True)
class _Picked:
    """The feeds' items picked, and what the report and the index are told of the articles."""

    plan: Plan
    grouping: Grouping
    loader: ContentLoader
    thumbnails: Mapping[str, str]
    counts: Counts
    articles: int  # how many sources gave an article
    problems: list[Problem]  # the sources' problems, in source order
    owners: list[int]  # the position of each one's source
    first_seen: dict[str, int]
    by_source: dict[str, int]
    parsed: int
    cached: int
    retry: bool
    listings: dict[str, Listing] | None = None  # with pages: each feed's listing
    carried: dict[str, str] | None = None  # with pages, taking the shortcut: see Catalog
    source_of_path: dict[str, int] | None = None  # where some articles' sources are


@dataclasses.dataclass(slots=True)
class _Abandoned:
    """A shortcut given up after its new sources were read: the full way takes them as
    they are, and the loader with what it loaded (the same a full pick loads first)."""

    fresh: dict[str, Entry]
    loader: ContentLoader
    retry: bool


def _pick_from_all(
    config: Config,
    sources: Sequence[Source],
    cache: ArticleCache,
    manifest: Manifest,
    slug_helper: SlugProcess,
    abandoned: _Abandoned | None,
    progress: Progress | None,
) -> _Picked:
    """Every article, from the cache or read, grouped: the full way."""
    from feeds.article import keep_first_seen
    from feeds.clean.thumbnail import choose_thumbnail_urls
    from feeds.group.feeds import ISOLATE_SLUGS_FROM, listings_of, plan_feeds
    from feeds.group.index import Counts
    from feeds.read.batch import ContentLoader

    cached, stale = cache.lookup(sources)
    earlier = abandoned.fresh if abandoned else {}
    if earlier:  # read by the shortcut: its rows now stand in the cache
        for rel in earlier:
            cached.pop(rel, None)
        stale = [s for s in stale if s.rel not in earlier]
    fresh, retry = _parse(stale, cache, config, progress, len(cached), len(sources))
    fresh |= earlier
    articles, problems, owners = _in_source_order(sources, cached, fresh)
    # An article dated by its file's modification time keeps the date it was first seen
    # with: a clone or a lost cache must not re-date it.
    articles, first_seen = keep_first_seen(articles, manifest.first_seen)
    if abandoned is not None:
        loader, retry = abandoned.loader, retry or abandoned.retry
        loader.widen(sources)
    else:
        loader = ContentLoader(sources, config, cache.texts, cache.store, fresh)
    if not manifest.slugs and len(sources) >= ISOLATE_SLUGS_FROM:
        # A first build of a large archive: every name is new, so the slug process will
        # be needed; its dictionaries load while the thumbnails are chosen. Not sooner:
        # beside the readers, its 64 MiB would be on top of the build's peak.
        slug_helper.start()
    thumbnails = choose_thumbnail_urls(articles, config.thumbnail, config.clean.image_proxy)
    plan = plan_feeds(articles, config, manifest.slugs, slug_helper)
    grouping = _group(plan, config, loader)
    # Per folder: a feed's entries must not hide a folder that emptied (an unmounted disk).
    entries = {s.rel for s in sources if s.kind == ENTRY_KIND}
    files = (a.path for a in articles if a.path not in entries)
    listings = listings_of(plan, grouping.feeds) if config.pages.enabled else None
    return _Picked(
        plan,
        grouping,
        loader,
        thumbnails,
        Counts(thumbnails.boilerplate, thumbnails.near),
        len(articles),
        problems,
        owners,
        first_seen,
        count_by_source(files, config.folders),
        len(stale) + len(earlier),
        len(cached),
        retry,
        listings,
    )


def _pick_with_added(
    index: FeedIndex,
    config: Config,
    sources: Sequence[Source],
    cache: ArticleCache,
    manifest: Manifest,
    unchanged: UnchangedOutputs,
    slug_helper: SlugProcess,
) -> _Picked | _Abandoned | None:
    """The pick of a build whose only change since the last is added sources: from the
    last build's walks and the new articles (see group.index). None when the sources
    show otherwise; _Abandoned when the new articles do, or the last build's pages."""
    from feeds.article import keep_first_seen
    from feeds.clean.thumbnail import ChosenThumbnails, source_of
    from feeds.group import index as group_index
    from feeds.read.batch import ContentLoader

    added = group_index.added_sources(index, sources)
    if added is None:
        return None
    new_sources = [sources[i] for i in added]
    # The loader is asked only of walked and new articles: it is given their sources, not
    # a dict of every source.
    walked_at = group_index.walked_sources(index, sources, added)
    if walked_at is None:
        return None
    walked_at |= {source.rel: i for i, source in zip(added, new_sources, strict=True)}
    cached, stale = cache.lookup_rows(new_sources)
    fresh, retry = _parse(stale, cache, config, None, len(cached), len(new_sources))
    new, new_problems, owners = _in_source_order(new_sources, cached, fresh)
    new, seen = keep_first_seen(new, manifest.first_seen)
    shown = [sources[i] for i in walked_at.values()]
    loader = ContentLoader(shown, config, cache.texts, cache.store, fresh)
    abandoned = _Abandoned(fresh, loader, retry)
    counts = group_index.counts_of(index)
    if not group_index.boilerplate_unchanged(index, new, config.thumbnail.boilerplate_threshold):
        return abandoned
    by_source = count_by_source((a.path for a in new), config.folders)
    if by_source.keys() != manifest.articles.keys():
        return abandoned
    plan = group_index.plan_with_added(index, new, config, manifest.slugs, slug_helper)
    if plan is None:
        return abandoned
    grouping = _group(plan, config, loader)
    if not group_index.walks_complete(index, grouping, config.limit):
        return abandoned
    listings = carried = None
    if config.pages.enabled:
        site = _site_with_added(index, new, config, manifest, unchanged)
        if site is None:
            return abandoned
        listings, carried = site
    walked = {a.path: a for a in plan.articles}
    for members in plan.members.values():
        walked.update((a.path, a) for a in members)
    with_images = [(a, source_of(a)) for a in walked.values() if a.image_candidates]
    boilerplate = frozenset(index.boilerplate)
    thumbnails = ChosenThumbnails(with_images, boilerplate, config.clean.image_proxy)
    problems, positions = group_index.problems_in_order(
        index, added, [(added[i], p) for i, p in zip(owners, new_problems, strict=True)]
    )
    return _Picked(
        plan,
        grouping,
        loader,
        thumbnails,
        counts.with_added(new),
        index.articles + len(new),
        problems,
        positions,
        manifest.first_seen | seen,
        {prefix: n + manifest.articles[prefix] for prefix, n in by_source.items()},
        len(stale),
        len(sources) - len(stale),
        retry,
        listings,
        carried,
        walked_at,
    )


def _site_with_added(
    index: FeedIndex,
    new: Sequence[Article],
    config: Config,
    manifest: Manifest,
    unchanged: UnchangedOutputs,
) -> tuple[dict[str, Listing], dict[str, str]] | None:
    """The feeds' listings and the last build's pages' fingerprints, in a build with pages
    that only adds articles, when those pages can stand (see Catalog.carried); None when a
    new article's guid is listed already (or another new one's), when one is older than
    what its feeds list, or when a page is not as the last build left it (edited, removed,
    never written). A page left for a later build (pages.per_build) never meets an
    index: a build that leaves one keeps none."""
    from feeds.group import index as group_index
    from feeds.publish.pages.paths import PAGE_FOLDERS

    guids = {article.guid for article in new}
    if len(guids) < len(new) or not guids.isdisjoint(manifest.pages):
        return None
    listings = group_index.listings_with_added(index, new, config)
    if listings is None:
        return None
    pages = {n: f for n, f in manifest.fingerprints.items() if n.startswith(PAGE_FOLDERS)}
    return (listings, pages) if unchanged.all_as_left(pages) else None


def _parse(
    stale: Sequence[Source],
    cache: ArticleCache,
    config: Config,
    progress: Progress | None,
    done: int,
    total: int,
) -> tuple[dict[str, Entry], bool]:
    """Parse the sources the cache lacks and keep them in it; and whether some could not
    be kept (a read error that may pass), so must be read again next run."""
    from feeds.read.batch import parse_sources

    fresh: dict[str, Entry] = {}
    retry = False
    # Pages are made of every article's HTML: reading light first would read each twice.
    content = len(stale) < config.read.light_from or config.pages.enabled
    for source, (packed, keep) in parse_sources(stale, config, content=content):
        fresh[source.rel] = cache.store(source, packed) if keep else unpack(packed)
        retry = retry or not keep
        done += 1
        if progress and (done % 100 == 0 or done == total):
            progress(done, total)
    return fresh, retry


def _in_source_order(
    sources: Sequence[Source], cached: dict[str, Entry], fresh: dict[str, Entry]
) -> tuple[list[Article], list[Problem], list[int]]:
    """The articles, and the problems, in source order: reports and ties never depend on
    which came from the cache or on worker timing; and the position of each problem's
    source."""
    articles: list[Article] = []
    problems: list[Problem] = []
    owners: list[int] = []
    for position, source in enumerate(sources):
        entry = cached.get(source.rel) or fresh[source.rel]
        if isinstance(entry, Problem):
            problems.append(entry)
            owners.append(position)
        else:
            if entry.notes:  # few have any: no call for the others
                problems.extend(entry.notes)
                owners += [position] * len(entry.notes)
            articles.append(entry)
    return articles, problems, owners


def _group(plan: Plan, config: Config, loader: ContentLoader) -> Grouping:
    """Pick each feed's items. Light articles that must be compared by their summaries get
    them loaded, and the items are picked again with them, until none is missing."""
    from feeds.group.feeds import pick_items

    summaries: dict[str, str] = {}
    grouping = pick_items(plan, config, summaries)
    while grouping.wanted:
        summaries |= loader.summaries(grouping.wanted)
        grouping = pick_items(plan, config, summaries)
    return grouping


@contextlib.contextmanager
def _without_cycle_collection() -> Iterator[None]:
    """Python's cyclic garbage collector paused for the build; reference counting goes on.

    A build makes a few objects per article and next to no reference cycles: none in
    reading, over the real corpus and every kind of bad file; a few dozen per build in
    rendering. Yet with 100k articles loaded the collector would traverse them all again
    and again, a large share of a rebuild. It is as it was once the build ends, however
    it ends.
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
