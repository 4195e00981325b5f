"""Grouping: one feed per category plus one of everything; newest first; no duplicates."""

from __future__ import annotations

from feeds.group.feeds import group_by_category
from tests.helpers import make_article, make_config


def test_every_listed_category_gets_a_feed() -> None:
    seed = make_article("seed", categories=("金融", "新浪财经", "新浪财经－国內"), hours=0)
    other = make_article("other", categories=("Technology",), hours=1)
    grouping = group_by_category([seed, other], make_config(), {})
    feeds = {f.name: f for f in grouping.feeds}
    assert set(feeds) == {"", "金融", "新浪财经", "新浪财经－国內", "Technology"}
    for name in ["金融", "新浪财经", "新浪财经－国內"]:
        assert feeds[name].articles == (seed,)
    assert feeds[""].articles == (other, seed)  # newest first
    assert feeds["新浪财经"].slug == "xinlang-caijing"
    assert feeds["新浪财经－国內"].slug == "xinlang-caijing-guonei"


def test_newest_first_limited_and_ties_are_stable() -> None:
    items = [make_article(f"a{i}", categories=("c",), hours=i % 3) for i in range(7)]
    feed = next(
        f for f in group_by_category(items, make_config(limit=4), {}).feeds if f.name == "c"
    )
    dates = [a.date for a in feed.articles]
    assert dates == sorted(dates, reverse=True) and len(dates) == 4
    again = group_by_category(list(reversed(items)), make_config(limit=4), {})
    assert next(f for f in again.feeds if f.name == "c").articles == feed.articles


def test_duplicates_keep_the_newest_and_are_reported_once() -> None:
    old = make_article(
        "36kr/快讯/a.md", categories=("新媒体", "36kr"), hours=0, dedupe_key="text:same"
    )
    new = make_article(
        "财联社/电报/a.md", categories=("新媒体", "财联社"), hours=2, dedupe_key="text:same"
    )
    grouping = group_by_category([old, new], make_config(), {})
    feeds = {f.name: f for f in grouping.feeds}
    assert feeds["新媒体"].articles == (new,)
    assert feeds["36kr"].articles == (old,)  # unique within its own source feed
    assert [(p.path, p.stage) for p in grouping.duplicates] == [("36kr/快讯/a.md", "duplicate")]


def test_config_titles_slugs_and_all_feed_switch() -> None:
    cfg = make_config(
        categories={
            "feeds": {"金融": {"slug": "finance", "title": "Finance", "description": "money"}},
            "all": {"enabled": False},
        }
    )
    grouping = group_by_category([make_article("a", categories=("金融",), hours=0)], cfg, {})
    (feed,) = grouping.feeds
    assert (feed.slug, feed.title, feed.description) == ("finance", "Finance", "money")


def test_known_slugs_are_kept() -> None:
    grouping = group_by_category(
        [make_article("a", categories=("金融",), hours=0)], make_config(), {"金融": "old-name"}
    )
    assert [(f.name, f.slug) for f in grouping.feeds] == [("", "all"), ("金融", "old-name")]


def test_copies_past_the_last_item_are_not_looked_at() -> None:
    newest = make_article("new.md", categories=("c",), hours=10, dedupe_key="text:a")
    copy_in_feed = make_article("copy.md", categories=("c",), hours=9, dedupe_key="text:a")
    old = make_article("old.md", categories=("c",), hours=1, dedupe_key="text:b")
    old_copy = make_article("old-copy.md", categories=("c",), hours=0, dedupe_key="text:b")
    cfg = make_config(limit=1, categories={"all": {"enabled": False}})
    grouping = group_by_category([old_copy, old, copy_in_feed, newest], cfg, {})
    assert grouping.feeds[0].articles == (newest,)
    assert [p.path for p in grouping.duplicates] == []  # the feed ends before the first copy
    cfg = make_config(limit=2, categories={"all": {"enabled": False}})
    grouping = group_by_category([old_copy, old, copy_in_feed, newest], cfg, {})
    assert grouping.feeds[0].articles == (newest, old)
    assert [p.path for p in grouping.duplicates] == ["copy.md"]
