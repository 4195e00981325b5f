"""Grouping: one feed per category plus one of everything; newest first; no duplicates."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from feeds.config import Config, config_from_dict
from feeds.group.feeds import group_by_category
from feeds.models import Article

BASE = datetime(2022, 5, 26, 12, 0, tzinfo=UTC)


def article(path: str, cats: tuple[str, ...], hours: int, **kw: str) -> Article:
    return Article(
        path=path,
        guid=kw.get("guid", f"urn:x:{path}"),
        title=path,
        categories=cats,
        author="",
        date=BASE + timedelta(hours=hours),
        link=None,
        content_html="<p>x</p>",
        summary="x",
        dedupe_key=kw.get("key", f"key:{path}"),
    )


def config(**settings: object) -> Config:
    return config_from_dict(dict(settings), Path("config.yaml"))


def test_every_listed_category_gets_a_feed() -> None:
    seed = article("seed", ("金融", "新浪财经", "新浪财经－国內"), 0)
    other = article("other", ("Technology",), 1)
    grouping = group_by_category([seed, other], config(), {})
    feeds = {f.name: f for f in grouping.feeds}
    assert set(feeds) == {"", "金融", "新浪财经", "新浪财经－国內", "Technology"}
    for name in ["金融", "新浪财经", "新浪财经－国內"]:
        assert feeds[name].articles == (seed,)
    assert feeds[""].articles == (other, seed)  # newest first
    assert feeds["新浪财经"].slug == "xinlang-caijing"
    assert feeds["新浪财经－国內"].slug == "xinlang-caijing-guonei"


def test_newest_first_limited_and_ties_are_stable() -> None:
    items = [article(f"a{i}", ("c",), hours=i % 3) for i in range(7)]
    feed = next(f for f in group_by_category(items, config(limit=4), {}).feeds if f.name == "c")
    dates = [a.date for a in feed.articles]
    assert dates == sorted(dates, reverse=True) and len(dates) == 4
    again = group_by_category(list(reversed(items)), config(limit=4), {})
    assert next(f for f in again.feeds if f.name == "c").articles == feed.articles


def test_duplicates_keep_the_newest_and_are_reported_once() -> None:
    old = article("36kr/快讯/a.md", ("新媒体", "36kr"), 0, key="text:same")
    new = article("财联社/电报/a.md", ("新媒体", "财联社"), 2, key="text:same")
    grouping = group_by_category([old, new], config(), {})
    feeds = {f.name: f for f in grouping.feeds}
    assert feeds["新媒体"].articles == (new,)
    assert feeds["36kr"].articles == (old,)  # unique within its own source feed
    assert [(p.path, p.stage) for p in grouping.duplicates] == [("36kr/快讯/a.md", "duplicate")]


def test_config_titles_slugs_and_all_feed_switch() -> None:
    cfg = config(
        categories={
            "feeds": {"金融": {"slug": "finance", "title": "Finance", "description": "money"}},
            "all": {"enabled": False},
        }
    )
    grouping = group_by_category([article("a", ("金融",), 0)], cfg, {})
    (feed,) = grouping.feeds
    assert (feed.slug, feed.title, feed.description) == ("finance", "Finance", "money")


def test_known_slugs_are_kept() -> None:
    grouping = group_by_category([article("a", ("金融",), 0)], config(), {"金融": "old-name"})
    assert [(f.name, f.slug) for f in grouping.feeds] == [("", "all"), ("金融", "old-name")]


def test_copies_past_the_last_item_are_not_looked_at() -> None:
    newest = article("new.md", ("c",), 10, key="text:a")
    copy_in_feed = article("copy.md", ("c",), 9, key="text:a")
    old = article("old.md", ("c",), 1, key="text:b")
    old_copy = article("old-copy.md", ("c",), 0, key="text:b")
    cfg = config(limit=1, categories={"all": {"enabled": False}})
    grouping = group_by_category([old_copy, old, copy_in_feed, newest], cfg, {})
    assert grouping.feeds[0].articles == (newest,)
    assert [p.path for p in grouping.duplicates] == []  # the feed ends before the first copy
    cfg = config(limit=2, categories={"all": {"enabled": False}})
    grouping = group_by_category([old_copy, old, copy_in_feed, newest], cfg, {})
    assert grouping.feeds[0].articles == (newest, old)
    assert [p.path for p in grouping.duplicates] == ["copy.md"]
