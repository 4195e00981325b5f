"""Incremental builds: what a run parses, re-renders and rewrites after each kind of change."""

from __future__ import annotations

import dataclasses
import gc
import json
import multiprocessing
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from feeds.build import build as build_feeds
from feeds.cli import app
from feeds.codec import decode_entry
from feeds.config import load_config
from feeds.errors import ConfigError
from feeds.publish.pages.paths import INDEX
from feeds.read import batch as reader
from feeds.read.batch import parse_sources
from feeds.read.discover import discover_files
from feeds.report import BuildOptions
from feeds.state.manifest import PENDING, Manifest, read_manifest, write_pending
from tests.helpers import (
    CORPUS,
    EXAMPLES,
    comparable_outputs,
    fix_mtimes,
    make_site,
    output_files,
    write_article,
)
from tests.helpers import build_json as build

Site = Callable[..., Path]
AD = '<p class="ad">广告时间</p>'


def snapshot(folder: Path) -> dict[str, tuple[bytes, int]]:
    return {
        p.relative_to(folder).as_posix(): (p.read_bytes(), p.stat().st_mtime_ns)
        for p in output_files(folder)
    }


def edit_config(config: Path, **changes: Any) -> None:
    settings = yaml.safe_load(config.read_text(encoding="utf-8"))
    settings.update(changes)
    config.write_text(yaml.safe_dump(settings, allow_unicode=True), encoding="utf-8")


def two_categories(config: Path) -> Path:
    """Three articles in 金融 and four in 科技, each with an ad paragraph; returns the folder."""
    articles = config.parent / "articles"
    for i in range(3):
        body = f"<p>金融新闻{i}。</p>{AD}"
        write_article(articles, f"fin/{i}.md", title=f"金融{i}", categories=("金融",), body=body)
    for i in range(4):
        body = f"<p>科技新闻{i}。</p>{AD}"
        write_article(articles, f"tech/{i}.md", title=f"科技{i}", categories=("科技",), body=body)
    return articles


def test_unchanged_archive_parses_nothing_and_rewrites_nothing(
    runner: CliRunner, site: Site
) -> None:
    config = site()
    two_categories(config)
    first = build(runner, config)
    assert (first["parsed"], first["cached"]) == (7, 0)
    out = config.parent / "output"
    before = snapshot(out)
    second = build(runner, config)
    assert (second["parsed"], second["cached"], second["changed"]) == (0, 7, [])
    assert snapshot(out) == before
    summary = runner.invoke(app, ["build", "-c", str(config)])
    assert "(0 parsed, 7 from cache;" in summary.stdout
    assert "wrote 3 feeds and 13 site files (22 files, 0 changed)" in summary.stdout


def test_a_run_with_nothing_to_do_reports_what_the_last_one_did(
    runner: CliRunner, site: Site
) -> None:
    config = site()
    articles = two_categories(config)
    (articles / "broken.md").write_text("no front matter", encoding="utf-8")
    os.symlink(articles / "gone.md", articles / "dangling.md")
    first = build(runner, config)
    assert first["loaded"] > 0  # a build that groups loads the HTML of its feed items
    second = build(runner, config)  # the shortcut: nothing is read, grouped or rendered
    third = build(runner, config)
    assert second["loaded"] == third["loaded"] == 0
    for key in ("articles", "skipped", "feeds", "problems"):
        assert first[key] == second[key] == third[key], key
    assert [p["stage"] for p in first["problems"]] == ["discover", "frontmatter"]
    assert (second["parsed"], second["changed"]) == (0, [])


def test_another_jobs_count_or_wait_keeps_the_shortcut(runner: CliRunner, site: Site) -> None:
    # --jobs, --wait and read.light_from change how a build runs, never what it writes: a
    # cron job and a manual run with -j 1 must not make each other read the whole cache again.
    config = site()
    two_categories(config)
    assert build(runner, config)["loaded"] > 0
    for args in (["--jobs", "1"], ["--jobs", "2", "--wait"], ["--jobs", "0"]):
        again = build(runner, config, *args)
        assert (again["parsed"], again["changed"], again["loaded"]) == (0, [], 0)
    edit_config(config, jobs=1, read={"light_from": 1})
    again = build(runner, config)
    assert (again["parsed"], again["changed"], again["loaded"]) == (0, [], 0)


def test_a_build_pauses_the_collector_and_leaves_the_process_as_it_found_it(
    site: Site, tmp_path: Path
) -> None:
    # With 100k articles loaded, the cyclic collector would walk them all again and again.
    config = site()
    two_categories(config)
    cfg = load_config(config)
    threshold, alarm = gc.get_threshold(), signal.getsignal(signal.SIGALRM)
    gc.collect()
    before = [generation["collections"] for generation in gc.get_stats()]
    build_feeds(cfg, BuildOptions())
    after = [generation["collections"] for generation in gc.get_stats()]
    # The build's allocations still count while the collector rests: the first one after it
    # is back may run one young collection. Without the pause there are dozens, and old ones.
    assert after[0] - before[0] <= 1 and after[1:] == before[1:]
    assert gc.isenabled() and gc.get_threshold() == threshold
    assert signal.getsignal(signal.SIGALRM) is alarm  # the time limits' handler is gone
    unwritable = tmp_path / "file"
    unwritable.write_text("", encoding="utf-8")
    with pytest.raises(ConfigError):  # a build that fails part way restores it too
        build_feeds(dataclasses.replace(cfg, output=unwritable / "out"), BuildOptions())
    assert gc.isenabled() and gc.get_threshold() == threshold


@pytest.mark.parametrize("pages", [True, False], ids=["pages", "feeds-only"])
def test_a_build_leaves_no_reference_cycle_holding_its_articles(site: Site, pages: bool) -> None:
    """With the collector paused, what a build holds is freed as it returns, by reference
    counting alone; a cycle would keep every article of the archive (and the cache, the
    catalog) until the collector's first run after it, and make that run traverse them."""
    config = site(pages={"enabled": pages})
    two_categories(config)
    cfg = load_config(config)
    gc.collect()
    gc.set_debug(gc.DEBUG_SAVEALL)  # what a collection finds is kept in gc.garbage to look at
    try:
        build_feeds(cfg, BuildOptions())  # cold
        write_article(config.parent / "articles", "fin/new.md", title="新的", body="<p>新</p>")
        build_feeds(cfg, BuildOptions())  # one new article
        gc.collect()
        held = {type(o).__module__ + "." + type(o).__qualname__ for o in gc.garbage}
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
    assert not {name for name in held if name.startswith("feeds.")}


def test_builds_in_one_process_give_what_builds_in_new_processes_give(
    runner: CliRunner, tmp_path: Path
) -> None:
    # A preview server builds again and again in one process: no build may leave behind
    # anything that changes the next one's output.
    first = make_site(tmp_path / "first", EXAMPLES)
    other = make_site(tmp_path / "other", CORPUS)
    fresh = subprocess.run(
        [sys.executable, "-m", "feeds", "build", "-c", str(first), "-q"], check=True
    )
    assert fresh.returncode == 0
    in_new_process = comparable_outputs(first.parent / "output")
    for config in (other, first, other, first):
        edit_config(config, output="again", cache={"enabled": False})
        build_feeds(load_config(config), BuildOptions())
        if config == first:
            assert comparable_outputs(first.parent / "again") == in_new_process


def test_a_deleted_output_is_written_again(runner: CliRunner, site: Site) -> None:
    config = site()
    two_categories(config)
    build(runner, config)
    (config.parent / "output" / "all.atom.xml").unlink()
    again = build(runner, config)
    assert again["changed"] == ["all.atom.xml"]
    assert again["parsed"] == 0


def test_a_new_file_is_the_only_one_parsed(runner: CliRunner, site: Site) -> None:
    config = site(pages=False)  # the feeds' own files: the pages' are tested in test_pages.py
    articles = two_categories(config)
    build(runner, config)
    write_article(articles, "fin/new.md", title="新来的", categories=("金融",))
    report = build(runner, config)
    assert (report["parsed"], report["cached"]) == (1, 7)
    jinrong = next(f["slug"] for f in report["feeds"] if f["name"] == "金融")
    assert sorted(report["changed"]) == sorted(
        [f"{stem}.{ext}" for stem in ("all", jinrong) for ext in ("rss.xml", "atom.xml", "json")]
    )
    feed = json.loads((config.parent / "output" / "all.json").read_text(encoding="utf-8"))
    assert "新来的" in [item["title"] for item in feed["items"]]


def test_a_touched_file_is_parsed_again(runner: CliRunner, site: Site) -> None:
    config = site()
    articles = two_categories(config)
    build(runner, config)
    os.utime(articles / "tech" / "2.md", ns=(1_700_000_000_000_000_000,) * 2)
    report = build(runner, config)
    assert (report["parsed"], report["cached"], report["changed"]) == (1, 6, [])


def test_limit_and_title_render_again_without_parsing(runner: CliRunner, site: Site) -> None:
    config = site()
    two_categories(config)
    build(runner, config)
    edit_config(config, limit=1)
    limited = build(runner, config)
    assert limited["parsed"] == 0
    assert {f["items"] for f in limited["feeds"]} == {1}
    assert len(limited["changed"]) == 9
    edit_config(config, site={"title": "另一个站"})
    retitled = build(runner, config)
    assert retitled["parsed"] == 0
    categories = [f for feed in retitled["feeds"] if feed["name"] for f in feed["files"].values()]
    assert set(categories) <= set(retitled["changed"])  # their titles name the site


def test_global_clean_settings_parse_everything_again(runner: CliRunner, site: Site) -> None:
    config = site()
    two_categories(config)
    build(runner, config)
    edit_config(config, clean={"remove": [".ad"]})
    report = build(runner, config)
    assert (report["parsed"], report["cached"]) == (7, 0)
    assert "广告时间" not in (config.parent / "output" / "all.json").read_text(encoding="utf-8")


def test_a_category_rule_parses_only_that_category_again(runner: CliRunner, site: Site) -> None:
    config = site()
    two_categories(config)
    build(runner, config)
    edit_config(config, clean={"rules": [{"categories": ["金融"], "remove": [".ad"]}]})
    report = build(runner, config)
    assert (report["parsed"], report["cached"]) == (3, 4)
    out = config.parent / "output"
    slugs = {f["name"]: f["slug"] for f in report["feeds"]}
    assert "广告时间" not in (out / f"{slugs['金融']}.json").read_text(encoding="utf-8")
    assert "广告时间" in (out / f"{slugs['科技']}.json").read_text(encoding="utf-8")
    again = build(runner, config)
    assert again["parsed"] == 0
    edit_config(config, clean={"rules": [{"categories": ["科技"], "remove": [".ad"]}]})
    assert build(runner, config)["parsed"] == 7  # 金融 lost its rule, 科技 gained one


def test_renaming_a_category_parses_only_its_articles_again(runner: CliRunner, site: Site) -> None:
    config = site()
    articles = two_categories(config)
    write_article(articles, "none/0.md", title="无类", categories=("  ",))  # not a name
    build(runner, config)
    edit_config(config, categories={"aliases": {"金融": "财经"}})
    report = build(runner, config)
    assert (report["parsed"], report["cached"]) == (3, 5)
    assert sorted(f["name"] for f in report["feeds"]) == ["", "未分类", "科技", "财经"]
    edit_config(config, categories={"aliases": {"金融": "财经"}, "default": "其他"})
    report = build(runner, config)
    assert (report["parsed"], report["cached"]) == (1, 7)  # the article filed under the default
    assert sorted(f["name"] for f in report["feeds"]) == ["", "其他", "科技", "财经"]
    edit_config(config, categories={"default": "其他"})  # the alias goes: 金融 is back
    report = build(runner, config)
    assert (report["parsed"], report["cached"]) == (3, 5)
    assert sorted(f["name"] for f in report["feeds"]) == ["", "其他", "科技", "金融"]
    # What the cache gave is what a build from scratch gives.
    shutil.rmtree(config.parent / "output")
    (config.parent / "cache.sqlite").unlink()
    assert build(runner, config)["feeds"] == report["feeds"]


def test_deleted_articles_leave_the_feeds_and_the_cache(runner: CliRunner, site: Site) -> None:
    config = site()
    articles = two_categories(config)
    build(runner, config)
    (articles / "fin" / "0.md").unlink()
    report = build(runner, config)
    assert (report["parsed"], report["cached"], report["articles"]) == (0, 6, 6)
    feed = json.loads((config.parent / "output" / "all.json").read_text(encoding="utf-8"))
    assert "金融0" not in [item["title"] for item in feed["items"]]
    db = sqlite3.connect(config.parent / "cache.sqlite")
    (rows,) = db.execute("SELECT count(*) FROM sources").fetchone()
    db.close()
    assert rows == 6


def test_stale_feeds_are_removed_only_with_prune(runner: CliRunner, site: Site) -> None:
    config = site(pages=False)  # the feeds' own files: the pages' are tested in test_pages.py
    articles = two_categories(config)
    first = build(runner, config)
    tech = next(f["slug"] for f in first["feeds"] if f["name"] == "科技")
    out = config.parent / "output"
    (out / "index.html").write_text("the user's own file", encoding="utf-8")
    shutil.rmtree(articles / "tech")
    kept = build(runner, config)
    assert kept["removed"] == []
    assert (out / f"{tech}.rss.xml").is_file()
    pruned = build(runner, config, "--prune")
    assert pruned["removed"] == [f"{tech}.atom.xml", f"{tech}.json", f"{tech}.rss.xml"]
    assert not list(out.glob(f"{tech}.*"))
    assert (out / "index.html").is_file()
    manifest = json.loads((out / ".feeds-manifest.json").read_text(encoding="utf-8"))
    assert not [name for name in manifest["files"] if name.startswith(tech)]
    summary = runner.invoke(app, ["build", "-c", str(config), "--prune"])
    assert "0 changed)" in summary.stdout  # nothing left to remove, so no "removed"


def test_a_file_this_tool_did_not_write_is_never_overwritten_nor_pruned(
    runner: CliRunner, site: Site
) -> None:
    config = site(categories={"feeds": {"游戏": {"slug": "zeta"}}}, pages=False)
    articles = two_categories(config)
    build(runner, config)
    out = config.parent / "output"
    own = out / "zeta.rss.xml"
    own.write_text("<rss>written by hand</rss>", encoding="utf-8")
    write_article(articles, "game/0.md", title="游戏0", categories=("游戏",))
    for _ in range(2):  # the second run has nothing new, and says the same
        report = build(runner, config, "--prune")
        assert report["problems"] == [
            {
                "path": str(own),
                "stage": "write",
                "reason": "a file this tool did not write has this feed's name; left as it is "
                "(move it away, or give the category another slug)",
                "skipped": False,
            }
        ]
        assert own.read_text(encoding="utf-8") == "<rss>written by hand</rss>"
        assert (out / "zeta.atom.xml").is_file() and (out / "zeta.json").is_file()
    shutil.rmtree(articles / "game")
    assert build(runner, config, "--prune")["removed"] == ["zeta.atom.xml", "zeta.json"]
    assert own.read_text(encoding="utf-8") == "<rss>written by hand</rss>"
    strict = runner.invoke(app, ["build", "-c", str(config), "--strict", "--quiet"])
    assert (strict.exit_code, strict.stdout, strict.stderr) == (0, "", "")  # zeta: no feed now
    write_article(articles, "game/0.md", title="游戏0", categories=("游戏",))
    strict = runner.invoke(app, ["build", "-c", str(config), "--strict", "--json"])
    assert strict.exit_code == 1  # a feed file left unwritten fails a strict build
    assert json.loads(strict.stdout)["feeds"][-1]["files"] == {
        "atom": "zeta.atom.xml",
        "json": "zeta.json",
    }
    shutil.rmtree(articles / "game")
    build(runner, config)
    # Once it is moved away, the feed's own file takes its place.
    own.unlink()
    write_article(articles, "game/0.md", title="游戏0", categories=("游戏",))
    assert "zeta.rss.xml" in build(runner, config)["changed"]
    assert "游戏0" in own.read_text(encoding="utf-8")


@pytest.mark.parametrize("how", ["manifest deleted", "copied without it", "site moved"])
def test_feeds_go_on_updating_when_the_manifest_is_lost(
    runner: CliRunner, site: Site, how: str
) -> None:
    # This tool's own files are known by their generator mark, manifest or not.
    config = site(pages=False)  # the feeds' own files: the pages' are tested in test_pages.py
    articles = two_categories(config)
    build(runner, config)
    out = config.parent / "output"
    if how == "manifest deleted":
        (out / ".feeds-manifest.json").unlink()
    else:  # cp -r output/* deploy/: the dot files stay behind
        deploy = config.parent / "deploy"
        shutil.copytree(out, deploy, ignore=shutil.ignore_patterns(".*"))
        edit_config(config, output="deploy")
        if how == "site moved":  # every self link changes
            edit_config(config, site={"url": "https://new.example.org/feeds/"})
        out = deploy
    write_article(articles, "fin/new.md", title="新的一篇", date=NEWEST, categories=("金融",))
    report = build(runner, config, "--strict")
    assert report["problems"] == []
    changed = 3 * 3 if how == "site moved" else 2 * 3  # 金融 and all (or every feed) x 3
    assert len(report["changed"]) == changed
    assert "新的一篇" in (out / "all.rss.xml").read_text(encoding="utf-8")
    assert build(runner, config)["changed"] == []


def test_what_a_killed_build_was_writing_is_tracked_and_written_again(
    runner: CliRunner, site: Site
) -> None:
    config = site()
    two_categories(config)
    build(runner, config)
    out = config.parent / "output"
    last = read_manifest(out)
    # What a build killed while writing leaves beside the last manifest: its record of the
    # files it was writing (one it had not reached yet, one new it wrote), and the new file.
    feed, new = "all.rss.xml", "c/gone/index.html"
    (out / new).parent.mkdir(parents=True)
    (out / new).write_bytes((out / INDEX).read_bytes())
    write_pending(out, Manifest(files=(feed,), pages={"urn:uuid:gone": "pages/2022/05/x.html"}))
    write_pending(out, Manifest(files=(new,)))  # and then another build, killed too
    read = read_manifest(out)
    assert {feed, new} <= set(read.files) and set(last.files) <= set(read.files)
    assert feed not in read.fingerprints and feed not in read.stats  # not held as written
    assert read.fingerprints == {k: v for k, v in last.fingerprints.items() if k != feed}
    assert read.pages == last.pages | {"urn:uuid:gone": "pages/2022/05/x.html"}
    report = build(runner, config, "--prune")
    assert report["problems"] == [] and report["removed"] == [new]  # tracked: it was ours
    assert report["changed"] == []  # the feed made again is the file it was: left alone
    assert not (out / PENDING).exists()
    assert read_manifest(out).fingerprints == last.fingerprints
    assert build(runner, config)["changed"] == []


def test_a_hand_written_feed_of_any_format_is_kept(runner: CliRunner, site: Site) -> None:
    config = site(categories={"feeds": {"游戏": {"slug": "zeta"}}})
    articles = two_categories(config)
    build(runner, config)
    out = config.parent / "output"
    # Feeds at the very addresses this tool would serve, written by a person or another
    # program named "feeds", or quoting this tool's marks in an item.
    mark = '<generator uri="https://pypi.org/project/feeds/">feeds</generator>'
    mine = {
        "zeta.json": json.dumps(
            {
                "version": "https://jsonfeed.org/version/1.1",
                "title": "mine",
                "feed_url": "http://localhost:8000/zeta.json",
                "items": [{"id": "1", "content_html": f"<p>{mark}</p>", "_feeds": {}}],
            },
            indent=2,
        ),
        "zeta.atom.xml": '<feed xmlns="http://www.w3.org/2005/Atom"><link '
        'href="http://localhost:8000/zeta.atom.xml" rel="self"/><title>mine</title>'
        f"<entry><content><![CDATA[{mark}]]></content></entry></feed>",
        "zeta.rss.xml": '<rss version="2.0"><channel><title>mine</title>'
        "<generator>feeds</generator><item><title>precious</title></item></channel></rss>",
    }
    for name, text in mine.items():
        (out / name).write_text(text, encoding="utf-8")
    write_article(articles, "game/0.md", title="游戏0", categories=("游戏",))
    report = build(runner, config)
    assert sorted(Path(p["path"]).name for p in report["problems"]) == sorted(mine)
    assert {name: (out / name).read_text(encoding="utf-8") for name in mine} == mine


def test_a_fifo_in_a_feeds_place_is_left_alone_without_waiting(tmp_path: Path) -> None:
    config = make_site(tmp_path / "site")
    write_article(config.parent / "articles", "a.md")
    (config.parent / "output").mkdir()
    os.mkfifo(config.parent / "output" / "all.rss.xml")
    done = subprocess.run(
        [sys.executable, "-m", "feeds", "build", "-c", str(config), "--json"],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert [Path(p["path"]).name for p in json.loads(done.stdout)["problems"]] == ["all.rss.xml"]
    assert (config.parent / "output" / "all.rss.xml").is_fifo()


def test_prune_never_deletes_this_tools_own_files(runner: CliRunner, site: Site) -> None:
    config = site()
    two_categories(config)
    build(runner, config)
    out = config.parent / "output"
    path = out / ".feeds-manifest.json"
    manifest = json.loads(path.read_text(encoding="utf-8"))
    manifest["files"] += [".feeds.lock", ".feeds-manifest.json", "../config.yaml", "/etc/hosts"]
    path.write_text(json.dumps(manifest), encoding="utf-8")
    assert build(runner, config, "--prune")["removed"] == []
    assert (out / ".feeds.lock").exists() and path.exists() and config.exists()
    assert build(runner, config)["parsed"] == 0


@pytest.mark.parametrize("damage", ["emptied", "edited", "deleted", "deleted, unrecorded"])
def test_a_damaged_output_file_is_repaired_by_the_next_run(
    runner: CliRunner, site: Site, damage: str
) -> None:
    config = site()
    two_categories(config)
    first = build(runner, config)
    out = config.parent / "output"
    name = first["feeds"][0]["files"]["rss"]
    good = (out / name).read_bytes()
    if damage == "emptied":
        (out / name).write_bytes(b"")
    elif damage == "edited":  # same size, other bytes: only its mtime tells
        (out / name).write_bytes(good.replace(b"<", b"[", 1))
    else:
        (out / name).unlink()
    if damage == "deleted, unrecorded":  # a manifest of a version that kept no stats
        manifest = json.loads((out / ".feeds-manifest.json").read_text(encoding="utf-8"))
        del manifest["stats"]
        (out / ".feeds-manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    report = build(runner, config)
    assert (report["parsed"], report["changed"]) == (0, [name])
    assert (out / name).read_bytes() == good
    assert build(runner, config)["changed"] == []


def test_parallel_and_serial_builds_are_byte_identical(runner: CliRunner, tmp_path: Path) -> None:
    articles = tmp_path / "articles"
    count = 300
    assert count >= reader.PARALLEL_FROM
    topics = ["金融", "科技", "游戏", "设计", "学习"]
    for i in range(count):
        write_article(
            articles,
            f"{i % 7}/{i:04d}.md",
            title=f"第{i}号新闻",
            categories=(topics[i % 5], f"来源{i % 11}"),
            date=f"2022-05-{1 + i % 28:02d} {i % 24:02d}:{i % 60:02d}:00",
            body=f"<p>正文{i}。</p><p><img src='https://img.example.com/{i}.jpg'></p>",
        )
    outputs = {}
    for jobs in ("1", "2"):
        config = tmp_path / f"jobs{jobs}.yaml"
        settings = {"sources": ["articles"], "output": f"out{jobs}", "cache": {"enabled": False}}
        config.write_text(yaml.safe_dump(settings), encoding="utf-8")
        report = build(runner, config, "--jobs", jobs)
        assert report["parsed"] == count
        outputs[jobs] = comparable_outputs(tmp_path / f"out{jobs}")
    assert len(outputs["1"]) > 30
    assert outputs["1"] == outputs["2"]


@pytest.mark.parametrize("content", [True, False], ids=["full", "light"])
def test_many_files_are_parsed_in_worker_processes(tmp_path: Path, content: bool) -> None:
    # Enough files that each worker's results overfill its pipe (64 KiB): neither can end
    # before this process reads them, however the two cores are shared out meanwhile.
    for i in range(4 * reader.PARALLEL_FROM):
        write_article(tmp_path / "articles", f"{i:04d}.md", title=f"文章{i}")
    config = tmp_path / "config.yaml"
    config.write_text("sources: [articles]\njobs: 2\n", encoding="utf-8")
    cfg = load_config(config)
    files, _ = discover_files(cfg)
    parsed = parse_sources(files, cfg, content=content)
    first = next(parsed)
    assert len(multiprocessing.active_children()) == 2  # the pool, running
    rest = list(parsed)
    serial = [(f, reader.parse_one(f, cfg, content=content)) for f in files]
    assert [first, *rest] == serial
    assert all(packed[3] == content for _, (packed, _) in serial)  # complete, or light


def test_only_the_html_of_feed_items_is_loaded(runner: CliRunner, site: Site) -> None:
    config = site(limit=1, pages=False)  # a page is made of every article's HTML
    articles = config.parent / "articles"
    for day in range(1, 51):
        date = f"2022-03-{day % 28 + 1:02d} {day % 24:02d}:00:00"
        write_article(articles, f"{day:02d}.md", title=f"第{day}篇", date=date)
    for run in ("cold", "cached"):
        edit_config(config, site={"title": run})  # no shortcut: this build must render
        report = build(runner, config)
        assert report["parsed"] == (50 if run == "cold" else 0)
        assert report["loaded"] == 1, run  # one feed item, shown in both feeds
        feed = json.loads((config.parent / "output" / "all.json").read_text(encoding="utf-8"))
        assert [item["title"] for item in feed["items"]] == ["第27篇"]  # 2022-03-28 03:00


def _tricky_archive(folder: Path) -> None:
    """The real sample, plus what cleaning only feed items could get wrong: copies of one
    story under other sources, syndicated copies with one title, a title taken from the body,
    a body without markup, images only, junk-only images, and many articles per feed."""
    shutil.copytree(CORPUS, folder)
    for i in range(30):
        body = (
            f"<p>　　第{i}条新闻，市场增长。</p><p><img src='https://img.example.com/{i}.jpg'></p>"
        )
        date = f"Thu, {1 + i % 28:02d} Apr 2022 08:00:00 GMT"
        write_article(folder, f"many/{i}.md", title=f"新闻{i}", date=date, body=body)
    story = "<p>【同一条新闻】财联社4月3日电，某公司发布财报，营收同比增长百分之二十。</p>"
    copies = [("财联社", story), ("新浪财经", story + "<p>（记者 张三）</p>"), ("36kr", story)]
    for i, (source, body) in enumerate(copies):
        categories, date = ("金融", source), f"Sun, 03 Apr 2022 09:0{i}:00 GMT"
        write_article(
            folder, f"copy/{i}.md", title="同一条", categories=categories, body=body, date=date
        )
    write_article(folder, "odd/untitled.md", title=" ", body="<h1>正文里的标题</h1><p>正文。</p>")
    write_article(folder, "odd/plain.md", title="没有标签", body="只有文字的正文。\n\n第二段。")
    write_article(
        folder, "odd/pictures.md", title="图集", body="<img src='https://i.example.com/p.jpg'>"
    )
    junk = "<div class='appendQr_wrap'><img src='https://n.sinaimg.cn/qr.png'></div>"
    for i in range(4):
        write_article(folder, f"odd/qr{i}.md", title=f"二维码{i}", body=f"<p>文{i}。</p>{junk}")
    fix_mtimes(folder)


def test_a_large_build_cleans_only_what_its_feeds_show_and_writes_the_same(
    runner: CliRunner, tmp_path: Path
) -> None:
    # Past read.light_from files to parse, articles are read for their light form only and
    # feed items cleaned in full afterwards. Both ways must write the same bytes, whatever
    # happens next: a new article, deleted feed items, a larger limit.
    _tricky_archive(tmp_path / "articles")
    configs = {
        way: make_site(
            tmp_path / way, tmp_path / "articles", limit=5, read={"light_from": n}, pages=False
        )
        for way, n in WAYS.items()
    }

    def add(site: Path) -> None:
        write_article(site / "articles", "new.md", title="新的一篇", date=NEWEST)

    def delete(site: Path) -> None:
        for i in (26, 27):
            (site / "articles" / f"many/{i}.md").unlink()

    def raise_limit(site: Path) -> None:
        edit_config(site / "config.yaml", limit=12)

    reports: dict[str, dict[str, Any]] = {}
    for step in (None, add, delete, raise_limit):
        for way, config in configs.items():
            if step:
                step(config.parent)
            reports[way] = build(runner, config)
        full, light = (outputs_of(config) for config in configs.values())
        assert full == light
        for key in ("articles", "problems", "feeds", "changed"):
            assert reports["full"][key] == reports["light"][key], key
    # The light way left most articles unclean: only feed items (and same-title copies,
    # compared by their summaries) were cleaned in full, once each.
    db = sqlite3.connect(configs["light"].parent / "cache.sqlite")
    rows = [(decode_entry(meta), complete) for meta, complete in db.execute(ROWS)]
    db.close()
    shown = {
        item["id"]
        for path in (configs["light"].parent / "output").glob("[!.]*.json")
        for item in json.loads(path.read_text(encoding="utf-8"))["items"]
    }
    unclean = [entry.guid for entry, complete in rows if not complete]
    assert unclean and not shown.intersection(unclean)
    assert len(rows) == reports["light"]["articles"] + reports["light"]["skipped"]
    again = build(runner, configs["light"], "--jobs", "1")
    assert (again["parsed"], again["changed"]) == (0, [])


WAYS = {"full": 10**9, "light": 1}  # read.light_from for each way
ROWS = "SELECT meta, complete FROM sources"
NEWEST = "Sat, 30 Apr 2022 08:00:00 GMT"


def outputs_of(config: Path) -> dict[str, bytes]:
    return comparable_outputs(config.parent / "output")


def test_a_light_article_changed_behind_the_caches_back_is_reported_when_shown(
    runner: CliRunner, site: Site
) -> None:
    # Read light, b.md is not shown (limit 1). Then its bytes change in a way no cache check
    # sees (made here by giving its row the file's new stamp); when a feed first shows it,
    # reading it in full fails: it is shown from its light form, without text, and reported.
    config = site(limit=1, read={"light_from": 1}, pages=False)
    articles = config.parent / "articles"
    write_article(articles, "a.md", title="新的", date="Sat, 30 Apr 2022 08:00:00 GMT")
    b = write_article(articles, "b.md", title="旧的", date="Fri, 29 Apr 2022 08:00:00 GMT")
    first = build(runner, config)
    assert first["problems"] == []
    b.write_bytes(b"x" * b.stat().st_size)
    (source,) = [s for s in discover_files(load_config(config))[0] if s.rel == "b.md"]
    db = sqlite3.connect(config.parent / "cache.sqlite")
    db.execute("UPDATE sources SET stamp = ? WHERE key = ?", (source.stamp, source.key))
    db.commit()
    db.close()
    edit_config(config, limit=2)
    second = build(runner, config)
    assert [(p["path"], p["stage"], p["skipped"]) for p in second["problems"]] == [
        ("b.md", "frontmatter", False)
    ]
    assert second["problems"][0]["reason"].endswith("; shown without its text")
    feed = json.loads((config.parent / "output" / "all.json").read_text(encoding="utf-8"))
    assert [item["title"] for item in feed["items"]] == ["新的", "旧的"]
    # The cache now holds the problem: once anything changes, b.md is skipped as it should be.
    edit_config(config, limit=3)
    third = build(runner, config)
    assert [(p["path"], p["skipped"]) for p in third["problems"]] == [("b.md", True)]
    assert third["articles"] == 1


def test_an_edit_that_keeps_size_and_mtime_is_seen(runner: CliRunner, site: Site) -> None:
    # rsync -t, or a scraper that dates its files by publication: same size, same mtime.
    config = site()
    path = write_article(config.parent / "articles", "a.md", title="旧标题")
    build(runner, config)
    stat = path.stat()
    path.write_text(path.read_text(encoding="utf-8").replace("旧标题", "新标题"), "utf-8")
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert path.stat().st_size == stat.st_size and path.stat().st_mtime_ns == stat.st_mtime_ns
    report = build(runner, config)
    assert report["parsed"] == 1
    feed = json.loads((config.parent / "output" / "all.json").read_text(encoding="utf-8"))
    assert [item["title"] for item in feed["items"]] == ["新标题"]
