"""Grouping: every category an article lists gets a feed, plus one feed of everything.

In path mode (Hexo's meaning, the default) an article's categories are a path from the top,
``金融 › 新浪财经 › 新浪财经－国內``, and every node of the tree is a feed holding its own
and its descendants' articles, as Hexo's category pages do: the 快讯 of 36kr and the 快讯 of
金色财经 are two feeds. A node's name is its path joined by ``/`` (``36kr/快讯``, the shape
of Hexo's category URLs): config keys name it so, and its slug follows it. In flat mode every
name is a feed of its own, wherever it stands.
"""

from __future__ import annotations

import itertools
import operator
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import NamedTuple

from feeds.config import CategoryMode, Config
from feeds.group.identity import same_story
from feeds.group.slug import SlugProcess, assign_slugs
from feeds.models import Article, Feed, Problem

# Above this many articles, the slug dictionaries (tens of MB) load in a separate process.
ISOLATE_SLUGS_FROM = 1000
# path of a dropped copy -> (path of the kept one, names of the feeds it was left out of)
Duplicates = dict[str, tuple[str, list[str]]]
SummaryOf = Callable[[Article], str]
_NO_SUMMARIES: Mapping[str, str] = MappingProxyType({})


@dataclass(frozen=True, slots=True)
class Grouping:
    feeds: list[Feed]
    duplicates: list[Problem]
    # Light articles (no summary in memory) that had to be compared with a same-title one
    # by their summaries, and whose summaries were not given: group again with them.
    wanted: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class Plan:
    """What grouping decides before it picks items: the order, the members, the slugs."""

    articles: list[Article]  # newest first (ties by guid, then path); every feed's order
    members: dict[str, list[Article]]  # category name -> its articles
    slugs: dict[str, str]  # category name -> slug
    paths: dict[str, tuple[str, ...]]  # feed name -> its category path


class Listing(NamedTuple):
    """A feed's listing: every article of its category, newest first, once a story (by
    guid); ``newest`` holds them all, or in a build that only adds articles its newest few,
    as many as its changed listing pages show (see group.index)."""

    total: int  # how many articles it lists
    newest: list[Article]  # the first of them, newest first


def listings_of(plan: Plan, feeds: Iterable[Feed]) -> dict[str, Listing]:
    """Each feed's listing, by feed name, whole."""
    listings = {}
    for feed in feeds:
        members = plan.members[feed.name] if feed.name else plan.articles
        listed = _once_a_guid(members)
        listings[feed.name] = Listing(len(listed), listed)
    return listings


def _once_a_guid(articles: Iterable[Article]) -> list[Article]:
    seen: set[str] = set()
    kept = []
    for article in articles:
        if article.guid not in seen:
            seen.add(article.guid)
            kept.append(article)
    return kept


def group_by_category(
    articles: Sequence[Article],
    config: Config,
    known_slugs: Mapping[str, str],
    summaries: Mapping[str, str] = _NO_SUMMARIES,
    slug_helper: SlugProcess | None = None,
) -> Grouping:
    """Build the feeds: newest first, duplicates dropped, at most ``config.limit`` items each."""
    return pick_items(plan_feeds(articles, config, known_slugs, slug_helper), config, summaries)


def plan_feeds(
    articles: Sequence[Article],
    config: Config,
    known_slugs: Mapping[str, str],
    slug_helper: SlugProcess | None = None,
) -> Plan:
    """Order the articles and give each category its members and slug.

    ``slug_helper`` is a slug process the caller started early; a large archive without
    one gets a new one, so the slug dictionaries never load into the build.
    """
    articles = newest_first(articles)
    members: dict[str, list[Article]] = {}
    paths: dict[str, tuple[str, ...]] = {}
    nodes = FeedNodes(config)
    # Articles share a few hundred category lists: the member lists of each are found once.
    lists_by_key: dict[_ArticleKey, list[list[Article]]] = {}
    for article, key in zip(articles, nodes.keys_of(articles), strict=True):
        lists = lists_by_key.get(key)
        if lists is None:
            lists = lists_by_key[key] = []
            for name, path in nodes.of(article).items():
                if name not in members:
                    members[name], paths[name] = [], path
                lists.append(members[name])
        for found in lists:
            found.append(article)
    helper = (slug_helper or SlugProcess()) if len(articles) >= ISOLATE_SLUGS_FROM else None
    slugs = category_slugs(members, config, known_slugs, helper=helper)
    return Plan(articles, members, slugs, paths)


_date_of = operator.attrgetter("date")
_tie_order = operator.attrgetter("guid", "path")


def newest_first(articles: Iterable[Article]) -> list[Article]:
    """The articles newest first, articles of one date by guid, then path.

    Sorted on the dates alone, compared in C, then each run of one date by its tie keys:
    the order of a key of ``(-date.timestamp(), guid, path)``, without making a tuple in
    Python for each of 100k articles and comparing them.
    """
    by_date = sorted(articles, key=_date_of, reverse=True)
    ordered: list[Article] = []
    for _, same_date in itertools.groupby(by_date, _date_of):
        run = list(same_date)
        if len(run) > 1:
            run.sort(key=_tie_order)
        ordered += run
    return ordered


PATH_SEPARATOR = "/"  # between the names of a path in a feed's name and in config keys
TAG_MARK = "#"  # a tag's feed is named "#python" (its slug: tag-python)
# What an article's feeds depend on: its source's settings, categories, paths and tags.
_Names = tuple[str, ...]
_ArticleKey = tuple[tuple[CategoryMode, bool], tuple[_Names, tuple[_Names, ...], _Names]]
# An article's categories, category paths and tags, in one call in C
_category_fields: Callable[[Article], tuple[_Names, tuple[_Names, ...], _Names]] = (
    operator.attrgetter("categories", "category_paths", "tags")
)


def path_name(path: Sequence[str]) -> str:
    """A category path's feed name: its names joined by ``/`` (``36kr/快讯``)."""
    return PATH_SEPARATOR.join(path)


class FeedNodes:
    """The feeds an article is in, by name, each with its path: every node of each of its
    category paths (path mode) or every name (flat mode), as its source's mode says."""

    def __init__(self, config: Config) -> None:
        from feeds.read.discover import source_prefixes

        default = (config.categories.mode, config.categories.tags)
        settings = {
            s.folder: (s.category_mode or default[0], default[1] if s.tags is None else s.tags)
            for s in config.sources
            if s.folder
        }
        self._default: tuple[CategoryMode, bool] = default
        self._by_prefix = {
            prefix: settings.get(folder, default)
            for folder, prefix in source_prefixes(config.folders)
        }
        # A path alias renames a node and everything under it: {"36kr/快讯": "36kr/快报"}.
        self._aliases = {
            tuple(key.split(PATH_SEPARATOR)): tuple(value.split(PATH_SEPARATOR))
            for key, value in config.categories.aliases.items()
            if PATH_SEPARATOR in key
        }
        # One source folder: the same settings for every article, found once.
        self._only: tuple[CategoryMode, bool] | None = None
        if len(self._by_prefix) <= 1:
            self._only = next(iter(self._by_prefix.values()), default)
        # Articles share a few hundred category lists: each is worked out once.
        self._seen: dict[_ArticleKey, dict[str, tuple[str, ...]]] = {}

    def settings_of(self, article: Article) -> tuple[CategoryMode, bool]:
        """The category mode of the article's source, and whether its tags are feeds."""
        if self._only is not None:
            return self._only
        prefix = article.path.partition("/")[0] + "/"
        return self._by_prefix.get(prefix, self._default)

    def key_of(self, article: Article) -> _ArticleKey:
        """A key of everything ``of`` depends on, cheaper to make than its answer."""
        return (self._only or self.settings_of(article), _category_fields(article))

    def keys_of(self, articles: Iterable[Article]) -> Iterator[_ArticleKey]:
        """``key_of`` each article, in order; made in C when one source folder means one
        setting for all."""
        if self._only is not None:
            return zip(itertools.repeat(self._only), map(_category_fields, articles))
        return map(self.key_of, articles)

    def of(self, article: Article) -> dict[str, tuple[str, ...]]:
        key = self.key_of(article)
        found = self._seen.get(key)
        if found is None:
            found = self._seen[key] = self._nodes(article, *key[0])
        return found

    def names_of(self, article: Article) -> list[str]:
        """The names of the feeds ``article`` is in, the feed of all articles ("") first."""
        return ["", *self.of(article)]

    def _nodes(
        self, article: Article, mode: CategoryMode, tags_on: bool
    ) -> dict[str, tuple[str, ...]]:
        nodes: dict[str, tuple[str, ...]] = {}
        if mode == "path":
            for path in map(self._aliased, article.paths()):
                for end in range(1, len(path) + 1):
                    nodes.setdefault(path_name(path[:end]), path[:end])
        else:  # each name a path of its own
            nodes = {name: (name,) for name in article.categories}
        for tag in article.tags if tags_on else ():  # flat, beside the tree: "#python"
            nodes.setdefault(TAG_MARK + tag, (TAG_MARK + tag,))
        return nodes

    def _aliased(self, path: tuple[str, ...]) -> tuple[str, ...]:
        for end in range(len(path), 0, -1):  # the longest path alias that leads it
            target = self._aliases.get(path[:end])
            if target is not None:
                return tuple(dict.fromkeys((*target, *path[end:])))
        return path


def pick_items(plan: Plan, config: Config, summaries: Mapping[str, str]) -> Grouping:
    """Each feed's first ``config.limit`` stories, one copy of each.

    ``summaries`` holds the summaries of light articles (whose own is empty), by path;
    those asked for and not found are ``Grouping.wanted``, and the feeds made without them
    may be wrong: pick again with them.
    """
    wanted: set[str] = set()
    summary_of = _summary_from(summaries, wanted)
    duplicates: Duplicates = {}
    feeds = []
    if config.categories.all.enabled:
        feeds.append(_all_feed(plan.articles, config, duplicates, summary_of))
    for name in sorted(plan.members, key=lambda n: plan.slugs[n]):
        items = newest_unique(plan.members[name], name, duplicates, config.limit, summary_of)
        path = plan.paths[name]
        feeds.append(_category_feed(name, path, plan.slugs[name], items, config))
    return Grouping(feeds, _report(duplicates, config), frozenset(wanted))


def _summary_from(summaries: Mapping[str, str], wanted: set[str]) -> SummaryOf:
    def summary_of(article: Article) -> str:
        if article.summary or article.content_html:  # complete: its own
            return article.summary
        found = summaries.get(article.path)
        if found is None:
            wanted.add(article.path)
            return ""
        return found

    return summary_of


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
        articles=tuple(items),
    )


def _category_feed(
    name: str, path: tuple[str, ...], slug: str, items: Sequence[Article], config: Config
) -> Feed:
    spec = config.categories.feeds.get(name)
    title = (spec.title if spec else None) or " · ".join(path)
    site_title = config.site.title
    return Feed(
        name=name,
        slug=slug,
        title=title,
        description=(spec.description if spec else None) or f"{site_title}: {title}",
        image=(spec.image if spec else None) or config.site.image,
        default_thumbnail=(spec.default_thumbnail if spec else None) or config.thumbnail.default,
        articles=tuple(items),
        path=path,
    )
