"""Grouping: every category an article lists gets a feed, plus one feed of everything."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from feeds.config import Config
from feeds.models import Article, Feed, Problem
from feeds.slug import assign_slugs


@dataclass(frozen=True, slots=True)
class Grouping:
    feeds: list[Feed]
    slugs: dict[str, str]  # category name -> slug, to remember for the next build
    duplicates: list[Problem]


def group_by_category(
    articles: Sequence[Article], config: Config, known_slugs: Mapping[str, str]
) -> Grouping:
    """Build the feeds: newest first, duplicates dropped, at most ``config.limit`` items each."""
    members: dict[str, list[Article]] = defaultdict(list)
    for article in articles:
        for name in article.categories:
            members[name].append(article)
    slugs = category_slugs(members, config, known_slugs)
    duplicates: dict[str, Problem] = {}
    feeds = []
    if config.categories.all.enabled:
        feeds.append(_all_feed(articles, config, duplicates))
    for name in sorted(members, key=lambda n: slugs[n]):
        items = newest_unique(members[name], name, duplicates)
        feeds.append(_category_feed(name, slugs[name], items[: config.limit], config))
    return Grouping(feeds=feeds, slugs=slugs, duplicates=list(duplicates.values()))


def category_slugs(
    names: Iterable[str], config: Config, known: Mapping[str, str]
) -> dict[str, str]:
    overrides = {n: f.slug for n, f in config.categories.feeds.items() if f.slug}
    reserved = [config.categories.all.slug] if config.categories.all.enabled else []
    return assign_slugs(names, overrides, known, reserved)


def newest_unique(
    articles: Iterable[Article], feed_name: str, duplicates: dict[str, Problem]
) -> list[Article]:
    """Sort newest first (ties by guid, then path) and keep the first of each story.

    A story is a guid or a dedupe key; the kept copy is the newest, so the choice does not
    depend on file order. A dropped copy is reported once, whatever number of feeds drop it.
    """
    ordered = sorted(articles, key=lambda a: (-a.date.timestamp(), a.guid, a.path))
    seen: dict[str, Article] = {}
    kept = []
    for article in ordered:
        first = seen.get(article.guid) or seen.get(article.dedupe_key)
        if first is None:
            seen[article.guid] = seen[article.dedupe_key] = article
            kept.append(article)
        elif article.path not in duplicates:
            where = f" in {feed_name}" if feed_name else ""
            duplicates[article.path] = Problem(
                article.path, "duplicate", f"same story as {first.path}{where}", skipped=False
            )
    return kept


def _all_feed(articles: Sequence[Article], config: Config, dups: dict[str, Problem]) -> Feed:
    spec = config.categories.all
    items = newest_unique(articles, "", dups)
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
