"""Grouping: every category an article lists gets a feed, plus one feed of everything."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

from feeds.config import Config
from feeds.group.identity import same_story
from feeds.group.slug import SlugProcess, assign_slugs
from feeds.models import Article, Feed, Problem

# Above this many articles, the slug dictionaries (~50 MB) load in a separate process.
ISOLATE_SLUGS_FROM = 1000
# path of a dropped copy -> (path of the kept one, names of the feeds it was left out of)
Duplicates = dict[str, tuple[str, list[str]]]
SummaryOf = Callable[[Article], str]


@dataclass(frozen=True, slots=True)
class Grouping:
    feeds: list[Feed]
    slugs: dict[str, str]  # category name -> slug, to remember for the next build
    duplicates: list[Problem]


def group_by_category(
    articles: Sequence[Article],
    config: Config,
    known_slugs: Mapping[str, str],
    summary_of: SummaryOf | None = None,
    slug_helper: SlugProcess | None = None,
) -> Grouping:
    """Build the feeds: newest first, duplicates dropped, at most ``config.limit`` items each.

    ``summary_of`` gives the summary of a light article (whose own is empty) when two
    articles with one title must be compared; by default an article's own is used.
    ``slug_helper`` is a slug process the caller started early; a large archive without
    one gets a new one, so the slug dictionaries never load into the build.
    """
    # One sort, newest first (ties by guid, then path); every feed keeps this order.
    articles = sorted(articles, key=lambda a: (-a.date.timestamp(), a.guid, a.path))
    members: dict[str, list[Article]] = defaultdict(list)
    for article in articles:
        for name in article.categories:
            members[name].append(article)
    helper = (slug_helper or SlugProcess()) if len(articles) >= ISOLATE_SLUGS_FROM else None
    slugs = category_slugs(members, config, known_slugs, helper=helper)
    duplicates: Duplicates = {}
    feeds = []
    if config.categories.all.enabled:
        feeds.append(_all_feed(articles, config, duplicates, summary_of))
    for name in sorted(members, key=lambda n: slugs[n]):
        items = newest_unique(members[name], name, duplicates, config.limit, summary_of)
        feeds.append(_category_feed(name, slugs[name], items, config))
    return Grouping(feeds=feeds, slugs=slugs, duplicates=_report(duplicates, config))


def category_slugs(
    names: Iterable[str],
    config: Config,
    known: Mapping[str, str],
    *,
    helper: SlugProcess | None = None,
) -> dict[str, str]:
    overrides = {n: f.slug for n, f in config.categories.feeds.items() if f.slug}
    reserved = [config.categories.all.slug] if config.categories.all.enabled else []
    return assign_slugs(names, overrides, known, reserved, helper=helper)


def newest_unique(
    articles: Iterable[Article],
    feed_name: str,
    duplicates: Duplicates,
    limit: int,
    summary_of: SummaryOf | None = None,
) -> list[Article]:
    """The first ``limit`` stories of ``articles`` (newest first), one copy of each.

    A copy has the same guid, the same dedupe key, or tells the same story under another
    source's wrapping (``same_story``). The kept copy is the newest, so the choice does not
    depend on file order; each dropped copy is recorded with the feeds it was left out of.
    Articles past the feed's last item are not looked at: they change nothing it shows, and
    at 100k articles a full pass over every feed would be most of a rebuild.
    """
    seen: dict[str, Article] = {}
    by_title: dict[str, list[Article]] = defaultdict(list)
    kept = []
    for article in articles:
        first = seen.get(article.guid) or seen.get(article.dedupe_key)
        if first is None and article.title_key:
            same = (k for k in by_title[article.title_key] if same_story(k, article, summary_of))
            first = next(same, None)
        if first is None:
            seen[article.guid] = seen[article.dedupe_key] = article
            by_title[article.title_key].append(article)
            kept.append(article)
            if len(kept) == limit:
                break
        else:
            duplicates.setdefault(article.path, (first.path, []))[1].append(feed_name)
    return kept


def _report(duplicates: Duplicates, config: Config) -> list[Problem]:
    all_name = config.categories.all.slug
    problems = []
    for path, (original, feeds) in duplicates.items():
        names = ", ".join(name or all_name for name in feeds)
        reason = f"same story as {original}; left out of: {names}"
        problems.append(Problem(path, "duplicate", reason, skipped=False))
    return problems


def _all_feed(
    articles: Sequence[Article], config: Config, dups: Duplicates, summary_of: SummaryOf | None
) -> Feed:
    spec = config.categories.all
    items = newest_unique(articles, "", dups, config.limit, summary_of)
    return Feed(
        name="",
        slug=spec.slug,
        title=spec.title,
        description=spec.description or config.site.description or spec.title,
        image=config.site.image,
        default_thumbnail=config.thumbnail.default,
        articles=tuple(items[: config.limit]),
    )


def _category_feed(name: str, slug: str, items: Sequence[Article], config: Config) -> Feed:
    spec = config.categories.feeds.get(name)
    title = (spec.title if spec else None) or name
    site_title = config.site.title
    return Feed(
        name=name,
        slug=slug,
        title=title,
        description=(spec.description if spec else None) or f"{site_title}: {title}",
        image=(spec.image if spec else None) or config.site.image,
        default_thumbnail=(spec.default_thumbnail if spec else None) or config.thumbnail.default,
        articles=tuple(items),
    )
