"""Grouping: one feed per category plus one of everything; newest first; no duplicates."""

from __future__ import annotations

import random
from pathlib import Path

from feeds.group.feeds import group_by_category
from tests.helpers import make_article, make_config

FLAT = {"mode": "flat"}


def test_every_listed_category_gets_a_feed() -> None:
    """Flat categories: every name is a feed, wherever it stands in the list."""
    seed = make_article("seed", categories=("金融", "新浪财经", "新浪财经－国內"), hours=0)
    other = make_article("other", categories=("Technology",), hours=1)
    grouping = group_by_category([seed, other], make_config(categories=FLAT), {})
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
    grouping = group_by_category([old, new], make_config(categories=FLAT), {})
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


def test_path_categories_make_a_feed_of_every_node_holding_its_descendants() -> None:
    """Hexo's meaning (the default): a list is one path; each node is a feed of its own and
    its descendants' articles; the same leaf under two parents is two feeds."""
    seed = make_article("seed", categories=("金融", "新浪财经", "新浪财经－国內"), hours=0)
    kr = make_article("kr", categories=("科技", "36kr", "快讯"), hours=1)
    jinse = make_article("jinse", categories=("新媒体", "金色财经", "快讯"), hours=2)
    sina = make_article("sina", categories=("金融", "新浪财经"), hours=3)
    grouping = group_by_category([seed, kr, jinse, sina], make_config(), {})
    feeds = {f.path: f for f in grouping.feeds}
    assert feeds[("金融",)].articles == (sina, seed)
    assert feeds[("金融", "新浪财经")].articles == (sina, seed)
    assert feeds[("金融", "新浪财经", "新浪财经－国內")].articles == (seed,)
    assert feeds[("科技", "36kr", "快讯")].articles == (kr,)
    assert feeds[("新媒体", "金色财经", "快讯")].articles == (jinse,)
    assert not any(f.name == "快讯" for f in grouping.feeds)
    leaf = feeds[("科技", "36kr", "快讯")]
    assert (leaf.name, leaf.title, leaf.slug) == (
        "科技/36kr/快讯",
        "科技 · 36kr · 快讯",
        "keji-36kr-kuaixun",
    )
    assert feeds[()].name == "" and len(grouping.feeds) == 1 + 3 + 3 + 3


def test_nested_category_lists_are_several_paths() -> None:
    """``[[a, b], [c]]``: two paths, a › b and c."""
    article = make_article(
        "a", categories=("a", "b", "c"), category_paths=(("a", "b"), ("c",)), hours=0
    )
    grouping = group_by_category([article], make_config(), {})
    assert {f.path for f in grouping.feeds} == {(), ("a",), ("a", "b"), ("c",)}


def test_config_names_a_path_and_path_aliases_move_a_subtree() -> None:
    cfg = make_config(
        categories={
            "feeds": {"科技/36kr": {"slug": "kr", "title": "36氪"}},
            "aliases": {"科技/36kr/快讯": "科技/36kr/快报", "金融": "财经"},
        }
    )
    kr = make_article("kr", categories=("科技", "36kr", "快讯"), hours=1)
    grouping = group_by_category([kr], cfg, {})
    feeds = {f.name: f for f in grouping.feeds}
    assert set(feeds) == {"", "科技", "科技/36kr", "科技/36kr/快报"}
    assert (feeds["科技/36kr"].slug, feeds["科技/36kr"].title) == ("kr", "36氪")
    assert feeds["科技/36kr/快报"].path == ("科技", "36kr", "快报")


def test_a_source_folder_can_keep_flat_categories(tmp_path: Path) -> None:
    (tmp_path / "hexo").mkdir()
    (tmp_path / "hugo").mkdir()
    cfg = make_config(tmp_path, sources=["hexo", {"folder": "hugo", "category_mode": "flat"}])
    hexo = make_article("hexo/a.md", categories=("科技", "36kr"), hours=1)
    hugo = make_article("hugo/b.md", categories=("go", "tools"), hours=2)
    grouping = group_by_category([hexo, hugo], cfg, {})
    assert {f.path for f in grouping.feeds} == {
        (),
        ("科技",),
        ("科技", "36kr"),
        ("go",),
        ("tools",),
    }


def test_tags_are_flat_feeds_when_asked() -> None:
    tagged = make_article("a", categories=("科技", "36kr"), tags=("python", "编程"), hours=1)
    off = group_by_category([tagged], make_config(), {})
    assert {f.path for f in off.feeds} == {(), ("科技",), ("科技", "36kr")}
    on = group_by_category([tagged], make_config(categories={"tags": True}), {})
    feeds = {f.name: f for f in on.feeds}
    assert set(feeds) == {"", "科技", "科技/36kr", "#python", "#编程"}
    assert (feeds["#python"].slug, feeds["#python"].title) == ("tag-python", "#python")
    assert feeds["#编程"].slug == "tag-biancheng" and feeds["#编程"].articles == (tagged,)


def test_newest_first_is_the_order_of_date_then_guid_then_path() -> None:
    """Articles of one instant (in any zone) go by guid, then path; the input order never
    shows, however the runs of equal dates fall."""
    from datetime import timedelta, timezone

    from feeds.group.feeds import newest_first

    rng = random.Random(18)
    articles = []
    for i in range(400):
        article = make_article(f"p{rng.randrange(40)}/{i}.md", hours=rng.randrange(12))
        zone = timezone(timedelta(hours=rng.choice((-5, 0, 8))))
        guid = f"g{rng.randrange(30)}"  # shared guids: the path breaks the tie
        articles.append(article.replaced(date=article.date.astimezone(zone), guid=guid))
    expected = sorted(articles, key=lambda a: (-a.date.timestamp(), a.guid, a.path))
    for _ in range(3):
        rng.shuffle(articles)
        assert newest_first(articles) == expected
    assert newest_first([]) == []
