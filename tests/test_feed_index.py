"""A build whose only change is added files picks each feed's items from the last build's
walks and the new articles (group.index). It must write what a cold build of the same
tree writes, byte for byte, and report the same problems; and it must go the full way
whenever the walks cannot show the result: a new category, an image that may become
boilerplate, a walk that runs out, a file edited or deleted, another config."""

from __future__ import annotations

import contextlib
import json
import shutil
import sqlite3
from pathlib import Path
from random import Random
from typing import Any

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st
from typer.testing import CliRunner

from feeds.group.index import _insertions
from feeds.publish.pages.site import listing_pages
from feeds.run import halves
from tests.helpers import MANIFEST, comparable_outputs, make_site, write_article
from tests.helpers import build_json as build

LOGO = "https://img.example.com/site/logo.jpg"
SOURCES = ("甲站", "乙站", "丙站")


def _article(
    articles: Path,
    name: str,
    day: int,
    *,
    categories: tuple[str, ...] = ("频道", "甲站"),
    title: str | None = None,
    body: str | None = None,
    extra: str = "",
    date: str | None = None,
) -> None:
    write_article(
        articles,
        name,
        title=title or f"第{name}篇",
        categories=categories,
        date=date or f"{day:02d} May 2024 08:00:00 GMT",
        body=body or f"<p>{name}的正文，每篇不同：{name * 3}。</p>",
        extra=extra,
    )


def _site(tmp_path: Path, limit: int = 2, pages: object = False) -> Path:
    """A small archive: one category of ten stories over three sources, and a second
    category of a few."""
    config = make_site(tmp_path / "site", None, pages=pages, limit=limit)
    articles = config.parent / "articles"
    for day in range(1, 11):
        source = SOURCES[day % 3]
        _article(articles, f"old/{day:02d}.md", day, categories=("频道", source))
    for day in (2, 5):
        _article(articles, f"other/{day:02d}.md", day, categories=("其他", "丙站"))
    return config


def _like_cold(runner: CliRunner, config: Path, name: str) -> dict[str, Any]:
    """Rebuild, then build the same tree cold; both must write the same and report the
    same problems. Returns the rebuild's report."""
    rebuilt = build(runner, config, "--prune")
    cold_config = config.parent / f"{name}.yaml"
    settings = yaml.safe_load(config.read_text(encoding="utf-8"))
    settings |= {"output": name, "cache": {"path": f"{name}.sqlite"}}
    cold_config.write_text(yaml.safe_dump(settings, allow_unicode=True), "utf-8")
    cold = build(runner, cold_config)
    files, cold_files = (
        comparable_outputs(config.parent / "output"),
        comparable_outputs(config.parent / name),
    )
    manifest, cold_manifest = json.loads(files.pop(MANIFEST)), json.loads(cold_files.pop(MANIFEST))
    assert files == cold_files
    slugs, cold_slugs = manifest.pop("slugs"), cold_manifest.pop("slugs")
    assert manifest == cold_manifest
    assert cold_slugs.items() <= slugs.items()
    assert rebuilt["problems"] == cold["problems"]
    assert rebuilt["articles"] == cold["articles"]
    shutil.rmtree(config.parent / name)
    (config.parent / f"{name}.sqlite").unlink()
    return rebuilt


def test_added_files_take_the_shortcut_build_after_build(
    runner: CliRunner, tmp_path: Path, full_lookups: list[int]
) -> None:
    config = _site(tmp_path)
    articles = config.parent / "articles"
    build(runner, config)
    assert full_lookups == [12]
    _article(articles, "new/newest.md", 20)
    rebuilt = _like_cold(runner, config, "cold1")
    assert (rebuilt["parsed"], rebuilt["cached"]) == (1, 12)
    # Older than every feed's items: read, and no feed changes.
    _article(articles, "new/oldest.md", 1, categories=("频道", "乙站"))
    # No date: dated by its file, with a note, and recorded as first seen now.
    _article(articles, "new/undated.md", 0, date="Invalid Date")
    rebuilt = _like_cold(runner, config, "cold2")
    assert [p["path"] for p in rebuilt["problems"]] == ["new/undated.md"]
    # Between items; and one of the second category, not full (its walk is all of it).
    _article(articles, "new/middle.md", 9, categories=("频道", "丙站"))
    _article(articles, "new/other.md", 3, categories=("其他", "丙站"))
    _like_cold(runner, config, "cold3")
    # Each cold build made a full lookup of its own cache; the rebuilds made none.
    assert len(full_lookups) == 4


def test_a_new_category_goes_the_full_way(
    runner: CliRunner, tmp_path: Path, full_lookups: list[int]
) -> None:
    config = _site(tmp_path)
    build(runner, config)
    _article(config.parent / "articles", "new/elsewhere.md", 20, categories=("新频道", "甲站"))
    rebuilt = _like_cold(runner, config, "cold")
    assert len(full_lookups) == 3  # the first build, the rebuild, the cold build
    assert rebuilt["parsed"] == 1


def test_a_new_article_that_makes_two_items_copies_goes_the_full_way(
    runner: CliRunner, tmp_path: Path, full_lookups: list[int]
) -> None:
    """The newest two items are two stories; a new one has the first's link and the
    second's title and text (another site passed it on), so both become its copies: the
    feeds then need a story past the last build's walks (the third, in no feed's walk),
    which the index does not hold."""
    config = _site(tmp_path)
    articles = config.parent / "articles"
    body = "<p>同一条消息的全文，足够长，可以比较三字组是否相同。</p>"
    _article(articles, "top/a.md", 30, extra="link: https://a.example.com/1\n")
    _article(articles, "top/b.md", 29, title="转载的消息", body=body)
    _article(articles, "top/c.md", 28)
    build(runner, config)
    _article(
        articles, "new/both.md", 31, title="转载的消息", body=body,
        extra="link: https://a.example.com/1\n",
    )  # fmt: skip
    rebuilt = _like_cold(runner, config, "cold")
    assert len(full_lookups) == 3
    dropped = {p["path"] for p in rebuilt["problems"] if p["stage"] == "duplicate"}
    assert dropped == {"top/a.md", "top/b.md"}
    shown = json.loads((config.parent / "output" / "all.json").read_text(encoding="utf-8"))
    assert [item["title"] for item in shown["items"]] == ["转载的消息", "第top/c.md篇"]


def test_a_copy_inside_the_walk_takes_the_shortcut(
    runner: CliRunner, tmp_path: Path, full_lookups: list[int]
) -> None:
    """A re-scrape of the newest item, dated later: it replaces it, and the feed is
    still full within the walk."""
    config = _site(tmp_path)
    articles = config.parent / "articles"
    build(runner, config)
    (articles / "new").mkdir()
    (articles / "new" / "again.md").write_text(
        (articles / "old" / "10.md").read_text(encoding="utf-8").replace("10 May", "20 May"),
        encoding="utf-8",
    )
    rebuilt = _like_cold(runner, config, "cold")
    assert len(full_lookups) == 2
    assert any(p["path"] == "old/10.md" and p["stage"] == "duplicate" for p in rebuilt["problems"])


@pytest.mark.parametrize(("earlier", "shortcut"), [(1, True), (2, False)])
def test_an_image_that_may_become_boilerplate_goes_the_full_way(
    runner: CliRunner, tmp_path: Path, full_lookups: list[int], earlier: int, shortcut: bool
) -> None:
    """The threshold is 3 stories of one source: a third story with the image makes it
    boilerplate, and the earlier ones lose it as their thumbnail; a second does not."""
    config = _site(tmp_path)
    articles = config.parent / "articles"
    for day in range(earlier):
        _article(articles, f"logo/{day}.md", 20 + day, extra=f"thumbnail: {LOGO}\n")
    build(runner, config)
    _article(articles, "new/logo.md", 25, extra=f"thumbnail: {LOGO}\n")
    _like_cold(runner, config, "cold")
    assert len(full_lookups) == (2 if shortcut else 3)


def test_an_edit_a_deletion_or_another_config_goes_the_full_way(
    runner: CliRunner, tmp_path: Path, full_lookups: list[int]
) -> None:
    config = _site(tmp_path)
    articles = config.parent / "articles"
    build(runner, config)
    _article(articles, "new/1.md", 20)
    (articles / "old" / "03.md").unlink()
    _like_cold(runner, config, "cold1")
    assert len(full_lookups) == 3
    _article(articles, "new/2.md", 21)
    _article(articles, "old/04.md", 4, title="改过的标题")
    _like_cold(runner, config, "cold2")
    assert len(full_lookups) == 5
    _article(articles, "new/3.md", 22)
    settings = yaml.safe_load(config.read_text(encoding="utf-8"))
    config.write_text(yaml.safe_dump(settings | {"limit": 3}, allow_unicode=True), "utf-8")
    _like_cold(runner, config, "cold3")
    assert len(full_lookups) == 7
    _article(articles, "new/4.md", 23)  # and now the index is this config's
    _like_cold(runner, config, "cold4")
    assert len(full_lookups) == 8


@given(
    st.lists(st.integers(0, 3000), unique=True, max_size=3000),
    st.sets(st.integers(3001, 6000), max_size=40),
    st.randoms(use_true_random=False),
)
def test_insertions_are_found_wherever_they_are(
    numbers: list[int], new: set[int], random: Random
) -> None:
    old = [str(n) for n in numbers]
    now = list(old)
    for n in sorted(new):
        now.insert(random.randint(0, len(now)), str(n))
    added = _insertions(now, old)
    assert added is not None
    assert sorted(now[i] for i in added) == sorted(map(str, new))
    assert [key for i, key in enumerate(now) if i not in set(added)] == old


@given(
    st.lists(st.integers(0, 3000), unique=True, min_size=2, max_size=3000),
    st.sets(st.integers(3001, 6000), max_size=5),
    st.randoms(use_true_random=False),
    st.booleans(),
)
def test_a_key_gone_or_moved_is_no_insertion(
    numbers: list[int], new: set[int], random: Random, move: bool
) -> None:
    old = [str(n) for n in numbers]
    now = list(old)
    gone = now.pop(random.randrange(len(now)))
    if move:  # elsewhere: another order
        now.insert(random.choice([i for i in range(len(now) + 1) if i != old.index(gone)]), gone)
    for n in sorted(new):
        now.insert(random.randint(0, len(now)), str(n))
    assert _insertions(now, old) is None


# --- with pages ----------------------------------------------------------------------------------


def _rebuilt_both_ways(runner: CliRunner, config: Path) -> dict[str, Any]:
    """Rebuild (it must take the shortcut); then from the same state again, the full way
    (the cache keeps no index): both must render the same pages and leave the same output,
    the manifest and every page's fingerprint with it. Returns the rebuild's report."""
    root = config.parent
    saved = root.parent / "saved"
    shutil.copytree(root / "output", saved / "output")
    shutil.copy2(root / "cache.sqlite", saved / "cache.sqlite")
    shortcut = build(runner, config, "--prune")
    made = comparable_outputs(root / "output")
    shutil.rmtree(root / "output")
    shutil.copytree(saved / "output", root / "output")
    shutil.copy2(saved / "cache.sqlite", root / "cache.sqlite")
    with contextlib.closing(sqlite3.connect(root / "cache.sqlite")) as db, db:
        db.execute("DELETE FROM feed_index")
    full = build(runner, config, "--prune")
    shutil.rmtree(saved)
    assert shortcut["changed"] == full["changed"]
    assert comparable_outputs(root / "output") == made
    return shortcut


@pytest.mark.parametrize("per_page", [2, 3, 50])
def test_with_pages_added_files_take_the_shortcut_and_render_what_the_full_way_renders(
    runner: CliRunner, tmp_path: Path, full_lookups: list[int], per_page: int
) -> None:
    """The listings of every feed a new article enters gain it, page after page (the
    listing of all articles grows from 12 to 18: a new numbered page every other time
    with two a page, every third with three); every other page stands as it was."""
    config = _site(tmp_path, pages={"per_page": per_page})
    articles = config.parent / "articles"
    build(runner, config)
    added = [["new/20.md"], ["new/21.md", "new/22.md"], ["new/23.md"], ["new/24.md", "new/25.md"]]
    for step, names in enumerate(added):
        for name in names:
            source = SOURCES[int(name[4:6]) % 3]
            _article(articles, name, int(name[4:6]), categories=("频道", source))
        rebuilt = _rebuilt_both_ways(runner, config)
        # The first build's, the full rebuild's and a cold build's a step: not the shortcut's.
        assert len(full_lookups) == 2 + 2 * step
        pages = {name for name in rebuilt["changed"] if name.startswith("pages/")}
        assert len(pages) == len(names)  # the new articles' own; no other article's
        _like_cold(runner, config, f"cold{step}")
    # And from the first page on: a feed of one page grows its second.
    _article(articles, "new/other.md", 26, categories=("其他", "丙站"))
    rebuilt = _like_cold(runner, config, "cold-other")
    assert len(full_lookups) == 10
    listings = {name for name in rebuilt["changed"] if name.startswith("c/")}
    assert listings >= {"c/qita/index.html"}


def test_with_pages_stated_half_in_a_forked_process_added_files_take_the_shortcut(
    runner: CliRunner, tmp_path: Path, full_lookups: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(halves, "SPLIT_FROM", 2)  # as at 20,000 pages and more
    config = _site(tmp_path, pages={"per_page": 2})
    build(runner, config)
    _article(config.parent / "articles", "new/20.md", 20, categories=("频道", "甲站"))
    rebuilt = _rebuilt_both_ways(runner, config)
    assert len(full_lookups) == 2  # the first build's, and the full rebuild's: not the shortcut's
    assert [name for name in rebuilt["changed"] if name.startswith("pages/")] != []


def test_with_pages_a_new_article_the_listings_cannot_take_goes_the_full_way(
    runner: CliRunner, tmp_path: Path, full_lookups: list[int]
) -> None:
    """Older than the newest of a listing it enters, or a story already listed (the same
    guid: a re-scrape dated later), it would move other articles from page to page."""
    config = _site(tmp_path, pages={"per_page": 2})
    articles = config.parent / "articles"
    build(runner, config)
    _article(articles, "new/older.md", 9, categories=("频道", "甲站"))
    _like_cold(runner, config, "cold1")
    assert len(full_lookups) == 3
    (articles / "new" / "again.md").write_text(
        (articles / "old" / "10.md").read_text(encoding="utf-8").replace("10 May", "20 May"),
        encoding="utf-8",
    )
    _like_cold(runner, config, "cold2")
    assert len(full_lookups) == 5
    _article(articles, "new/newest.md", 21)  # and then the shortcut again
    _like_cold(runner, config, "cold3")
    assert len(full_lookups) == 6


@pytest.mark.parametrize("split", [False, True], ids=["here", "half-forked"])
def test_with_pages_a_page_not_as_the_last_build_left_it_goes_the_full_way(
    runner: CliRunner,
    tmp_path: Path,
    full_lookups: list[int],
    monkeypatch: pytest.MonkeyPatch,
    split: bool,
) -> None:
    if split:  # the pages' stat()s half in a forked process, as at 20,000 pages and more
        monkeypatch.setattr(halves, "SPLIT_FROM", 2)
    config = _site(tmp_path, pages={"per_page": 2})
    articles, out = config.parent / "articles", config.parent / "output"
    build(runner, config)
    page = next((out / "pages").rglob("*.html"))
    page.unlink()
    listing = out / "c" / "pindao" / "1.html"
    listing.write_bytes(b"damaged")
    _article(articles, "new/newest.md", 20)
    rebuilt = _like_cold(runner, config, "cold")
    assert len(full_lookups) == 3
    assert {page.relative_to(out).as_posix(), "c/pindao/1.html"} <= set(rebuilt["changed"])


def test_with_pages_a_changed_template_or_pages_left_for_later_go_the_full_way(
    runner: CliRunner, tmp_path: Path, full_lookups: list[int]
) -> None:
    config = _site(tmp_path, pages={"per_page": 2, "per_build": 5, "templates": "templates"})
    articles = config.parent / "articles"
    (config.parent / "templates").mkdir()
    template = config.parent / "templates" / "article.html"
    template.write_text('{% extends "base.html" %}{% block main %}one{% endblock %}', "utf-8")
    first = build(runner, config)  # 12 pages to make, 5 a build
    assert len(full_lookups) == 1
    assert len([p for p in first["changed"] if p.startswith("pages/")]) == 5
    for n, rendered in enumerate((5, 4), start=1):  # of 13, then the last 3 and a new one
        _article(articles, f"new/{n}.md", 20 + n)
        report = build(runner, config)
        assert len(full_lookups) == 1 + n
        assert len([p for p in report["changed"] if p.startswith("pages/")]) == rendered
    _article(articles, "new/3.md", 23)  # every page made: the shortcut
    build(runner, config)
    assert len(full_lookups) == 3
    template.write_text('{% extends "base.html" %}{% block main %}two{% endblock %}', "utf-8")
    _article(articles, "new/4.md", 24)
    report = build(runner, config)
    assert len(full_lookups) == 4
    # Every page is to be made again: 5 of them (pages.per_build), and the rest later.
    assert len([p for p in report["changed"] if p.startswith("pages/")]) == 5
    _article(articles, "new/5.md", 25)
    build(runner, config)
    assert len(full_lookups) == 5


@given(st.integers(0, 400), st.integers(1, 120), st.integers(1, 30))
def test_a_listing_page_past_the_newest_known_shows_what_it_showed(
    listed: int, added: int, per_page: int
) -> None:
    """What the shortcut with pages relies on: once ``added`` articles newer than all come
    first in a listing of ``listed``, every page that shows an article past the new ones and
    the last build's newest ``2 * per_page`` shows the articles it showed, with the same
    pager; so its fingerprint carries over."""
    old = [f"old{n}" for n in range(listed)]  # newest first
    new = [f"new{n}" for n in range(added)] + old
    before = {
        number: (old[start:end], pager)
        for number, start, end, pager in listing_pages(len(old), per_page)
    }
    known = added + min(listed, 2 * per_page)
    after = list(listing_pages(len(new), per_page))
    carried = 0
    for number, start, end, pager in after:
        if end > known:
            assert before.get(number) == (new[start:end], pager)
            carried += 1
    # And it makes few again: the pages of the new articles, and three or four more.
    assert len(after) - carried <= added // per_page + 4
