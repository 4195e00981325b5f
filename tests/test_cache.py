"""The cache is never trusted: damaged, foreign or outdated caches are rebuilt, and the
build still gives the right output. Plus the odd situations of a real archive."""

from __future__ import annotations

import contextlib
import dataclasses
import gc
import json
import os
import pickle
import shutil
import sqlite3
import subprocess
import sys
import threading
import time
import zlib
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import msgspec
import pytest
from typer.testing import CliRunner

from feeds.cli.app import app
from feeds.codec import DecodeError, decode_entry, pack, unpack
from feeds.config import Config, load_config
from feeds.models import Article, Problem, Source
from feeds.read.batch import parse_sources, read_article
from feeds.read.discover import discover_files
from feeds.run.locks import hold_lock
from feeds.state import cache as cache_module
from feeds.state import keys as keys_module
from feeds.state import output as output_module
from feeds.state.cache import ArticleCache
from tests.helpers import build_json as build
from tests.helpers import comparable_outputs, make_site, write_article

Site = Callable[..., Path]
COUNT = 40


def outputs(config: Path) -> dict[str, bytes]:
    return comparable_outputs(config.parent / "output")


@pytest.fixture
def built(runner: CliRunner, site: Site) -> tuple[Path, dict[str, bytes]]:
    """A site built once over COUNT articles: its config, and its output files."""
    config = site()
    for i in range(COUNT):
        body = "".join(f"<p>第{i}篇的第{k}段，内容足够长，让缓存占好几页。</p>" for k in range(30))
        write_article(config.parent / "articles", f"{i:03d}.md", title=f"文章{i}", body=body)
    assert build(runner, config)["parsed"] == COUNT
    return config, outputs(config)


def cache_db(config: Path) -> Path:
    return config.parent / "cache.sqlite"


def is_ours(path: Path) -> bool:
    db = sqlite3.connect(path)
    try:
        app_id = db.execute("PRAGMA application_id").fetchone()[0]
        return bool(app_id == cache_module._APP_ID)
    finally:
        db.close()


def garbage(path: Path) -> None:
    path.write_bytes(b"\x00garbage\xff" * 1000)


def halved(path: Path) -> None:
    data = path.read_bytes()
    assert len(data) > 8 * 4096, "too small a cache to truncate meaningfully"
    path.write_bytes(data[: len(data) // 2])


def last_page_lost(path: Path) -> None:
    data = path.read_bytes()
    page_size = int.from_bytes(data[16:18], "big")  # where SQLite's file header keeps it
    assert len(data) > 2 * page_size >= 2 * 4096
    path.write_bytes(data[:-page_size])


def foreign(path: Path) -> None:
    path.unlink()
    db = sqlite3.connect(path)
    db.execute("CREATE TABLE files (rel TEXT, size INT, mtime_ns INT, parse_key TEXT)")
    db.commit()
    db.close()


def older_schema(path: Path) -> None:
    db = sqlite3.connect(path)
    db.execute(f"PRAGMA user_version = {cache_module.SCHEMA_VERSION - 1}")
    db.commit()
    db.close()


def empty(path: Path) -> None:
    path.write_bytes(b"")


def other_tables(path: Path) -> None:
    # Our id and version, but not our tables: "no such table" on every run, if trusted.
    db = sqlite3.connect(path)
    db.executescript("DROP TABLE sources; CREATE TABLE sources (key TEXT PRIMARY KEY);")
    db.close()


@pytest.mark.parametrize("damage", [halved, last_page_lost, older_schema, empty, other_tables])
def test_a_bad_cache_is_rebuilt_and_the_output_is_right(
    runner: CliRunner, built: tuple[Path, dict[str, bytes]], damage: Callable[[Path], None]
) -> None:
    config, clean = built
    damage(cache_db(config))
    report = build(runner, config)
    assert (report["parsed"], report["cached"]) == (COUNT, 0)
    assert outputs(config) == clean
    assert is_ours(cache_db(config))
    assert build(runner, config)["parsed"] == 0


def test_a_cache_of_before_the_feeds_index_is_kept_and_given_its_table(
    runner: CliRunner, built: tuple[Path, dict[str, bytes]]
) -> None:
    config, _ = built
    db = sqlite3.connect(cache_db(config))
    db.execute("DROP TABLE feed_index")
    db.commit()
    db.close()
    write_article(config.parent / "articles", "new/one.md", date="Mon, 06 May 2024 08:00:00 GMT")
    report = build(runner, config)
    assert (report["parsed"], report["cached"]) == (1, COUNT)  # nothing read again
    assert is_ours(cache_db(config))
    with contextlib.closing(sqlite3.connect(cache_db(config))) as db:
        assert cache_module._tables(db) == cache_module._expected_tables()


def test_a_reader_that_reads_otherwise_reads_every_cached_file_again(
    runner: CliRunner, built: tuple[Path, dict[str, bytes]], monkeypatch: pytest.MonkeyPatch
) -> None:
    # A repair in a reader changes what some file turns into: a cache of before would keep
    # publishing the old reading of every file until it changed.
    config, clean = built
    monkeypatch.setattr(keys_module, "READER_REVISION", keys_module.READER_REVISION + 1)
    report = build(runner, config)
    assert (report["parsed"], report["cached"]) == (COUNT, 0)
    assert outputs(config) == clean
    assert build(runner, config)["parsed"] == 0


def notes(path: Path) -> None:
    path.write_text("my notes: do not lose them\n", encoding="utf-8")


@pytest.mark.parametrize("not_a_cache", [garbage, foreign, notes])
def test_a_file_this_tool_did_not_make_is_refused_and_kept(
    runner: CliRunner, built: tuple[Path, dict[str, bytes]], not_a_cache: Callable[[Path], None]
) -> None:
    # cache.path set by mistake to someone's file: deleting it to make a cache loses data.
    config, clean = built
    path = cache_db(config)
    not_a_cache(path)
    before = path.read_bytes()
    result = runner.invoke(app, ["build", "-c", str(config)])
    assert result.exit_code == 1
    assert result.stderr == (
        f"Error: cannot use the cache {path}: it is a file this tool did not make, and it is "
        "left as it is (set cache.path to another file, or delete this one)\n"
    )
    assert path.read_bytes() == before
    assert outputs(config) == clean
    path.unlink()
    assert build(runner, config)["parsed"] == COUNT


def test_the_config_file_is_never_taken_for_a_cache(runner: CliRunner, site: Site) -> None:
    config = site(cache={"path": "config.yaml"})
    write_article(config.parent / "articles", "a.md")
    before = config.read_bytes()
    result = runner.invoke(app, ["build", "-c", str(config)])
    assert result.exit_code == 1
    assert result.stderr.startswith(f"Error: cannot use the cache {config}: it is a file this")
    assert config.read_bytes() == before
    assert not (config.parent / "config.yaml.lock").exists()  # nothing made beside it


# What any change to the archive or the config would make the next build forget: its key (it
# would stop before reading any row) and the feeds' index (it would take the shortcut).
FORGET_LAST_BUILD = ("DELETE FROM builds", "DELETE FROM feed_index")


def tamper(config: Path, *statements: str) -> None:
    db = sqlite3.connect(cache_db(config))
    for statement in statements:
        assert db.execute(statement).rowcount > 0, statement
    db.commit()
    db.close()


# Text columns holding bytes that are not UTF-8: Python cannot read such a row at all.
NOT_UTF8 = "CAST(x'ff00fe41' AS TEXT)"


@pytest.mark.parametrize("column", ["key", "parse_key"])
def test_text_that_is_not_utf8_is_damage_found_on_lookup(
    runner: CliRunner, built: tuple[Path, dict[str, bytes]], column: str
) -> None:
    config, clean = built
    tamper(config, f"UPDATE sources SET {column} = {NOT_UTF8} WHERE key LIKE '%/007.md'",
           *FORGET_LAST_BUILD)  # fmt: skip
    for _ in range(2):  # and the cache made afresh is a good one
        report = build(runner, config)
        assert outputs(config) == clean
    assert (report["parsed"], report["cached"]) == (0, COUNT)


@pytest.mark.parametrize("column", ["content", "summary"])
def test_damage_found_late_in_a_build_costs_that_build_nothing(
    runner: CliRunner, built: tuple[Path, dict[str, bytes]], column: str
) -> None:
    # The HTML is read after every article's light form, when the feeds are known: a cache
    # that fails then is started afresh in the middle of the build, which still succeeds.
    config, _ = built
    tamper(config, f"UPDATE sources SET {column} = {NOT_UTF8}")
    write_article(config.parent / "articles", "new.md", title="新的一篇")
    report = build(runner, config)
    assert report["problems"] == [
        {
            "path": str(cache_db(config)),
            "stage": "cache",
            "reason": "found damaged; started afresh, and read again what it held",
            "skipped": False,
        }
    ]
    assert report["articles"] == COUNT + 1
    assert report["parsed"] == COUNT + 1  # the new file, and every feed item read again
    fresh_site = config.parent / "fresh"
    shutil.copytree(config.parent / "articles", fresh_site / "articles")
    fresh = make_site(fresh_site)
    assert build(runner, fresh)["articles"] == COUNT + 1
    assert outputs(config) == outputs(fresh)
    assert is_ours(cache_db(config))
    again = build(runner, config)
    assert (again["parsed"], again["problems"]) == (0, [])


def test_a_damaged_report_of_the_last_build_is_not_trusted(
    runner: CliRunner, built: tuple[Path, dict[str, bytes]]
) -> None:
    config, clean = built
    tamper(config, "UPDATE builds SET report = x'80049f0000deadbeef'")
    for _ in range(2):
        report = build(runner, config)
        assert (report["parsed"], report["cached"], report["changed"]) == (0, COUNT, [])
        assert outputs(config) == clean


def test_one_byte_changed_in_the_report_of_the_last_build_is_noticed(
    runner: CliRunner, built: tuple[Path, dict[str, bytes]]
) -> None:
    # Still a valid report, with another article count: only its checksum tells.
    config, _ = built
    db = sqlite3.connect(cache_db(config))
    (stored,) = db.execute("SELECT report FROM builds").fetchone()
    # The report is msgpack's array of 4 (articles, feeds, problems, seen): the article
    # count follows as a small int, 0x94 then the int (after the 4-byte checksum).
    count = bytes([0x94, COUNT])
    assert stored[4:].startswith(count)
    db.execute("UPDATE builds SET report = ?", (stored.replace(count, b"\x94c", 1),))
    db.commit()
    db.close()
    report = build(runner, config)
    assert (report["articles"], report["parsed"], report["cached"]) == (COUNT, 0, COUNT)


def test_a_light_row_marked_complete_is_not_published(runner: CliRunner, site: Site) -> None:
    # A light row (no HTML yet) whose flag says complete would publish an empty body.
    config = site(limit=2, read={"light_from": 1}, pages=False)  # pages load every HTML
    for i in range(6):
        date = f"2022-05-0{i + 1} 10:00:00"
        write_article(config.parent / "articles", f"{i}.md", title=f"文{i}", date=date,
                      body=f"<p>第{i}篇的正文。</p>")  # fmt: skip
    build(runner, config)
    tamper(config, "UPDATE sources SET complete = 1 WHERE complete = 0", *FORGET_LAST_BUILD)
    fresh = make_site(config.parent / "fresh", config.parent / "articles", limit=6)
    config.write_text(fresh.read_text(encoding="utf-8"), encoding="utf-8")
    report = build(runner, config)
    assert report["parsed"] == 4  # the four light ones, read again for their HTML
    assert build(runner, fresh)["parsed"] == 6
    assert outputs(config) == outputs(fresh)
    assert "第0篇的正文" in (config.parent / "output" / "all.json").read_text(encoding="utf-8")


def test_a_device_or_fifo_is_never_taken_for_a_cache(tmp_path: Path) -> None:
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    config = make_site(tmp_path / "site", cache={"path": str(fifo)})
    write_article(config.parent / "articles", "a.md")
    done = subprocess.run(
        [sys.executable, "-m", "feeds", "build", "-c", str(config)],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 1
    assert done.stderr == f"Error: cannot use the cache {fifo}: it is not a regular file\n"
    assert fifo.is_fifo() and not (tmp_path / "fifo.lock").exists()


def test_a_hot_journal_of_a_killed_build_is_rolled_back(
    runner: CliRunner, built: tuple[Path, dict[str, bytes]]
) -> None:
    config, clean = built
    # A transaction that never commits, as if the process died in the middle of it.
    script = (
        "import os, sqlite3, sys\n"
        "db = sqlite3.connect(sys.argv[1])\n"
        "db.execute('PRAGMA cache_size = 1')\n"  # spill: the main file gets half-written
        "db.execute('DELETE FROM sources')\n"
        "os._exit(0)\n"
    )
    subprocess.run([sys.executable, "-c", script, str(cache_db(config))], check=True)
    assert (config.parent / "cache.sqlite-journal").exists()
    report = build(runner, config)
    assert (report["parsed"], report["cached"]) == (0, COUNT)
    assert outputs(config) == clean


@pytest.mark.parametrize(
    "tamper",
    [
        "UPDATE sources SET meta = x'8004deadbeef' WHERE key LIKE '%/007.md'",
        "UPDATE sources SET meta = (SELECT meta FROM sources WHERE key LIKE '%/001.md') "
        "WHERE key LIKE '%/007.md'",
        "UPDATE sources SET parse_key = 'from-an-older-article-model:' WHERE key LIKE '%/007.md'",
        "UPDATE sources SET stamp = '1' || stamp WHERE key LIKE '%/007.md'",
    ],
    ids=["damaged-entry", "another-files-entry", "old-parse-key", "other-size"],
)
def test_an_untrustworthy_row_is_parsed_again(
    runner: CliRunner, built: tuple[Path, dict[str, bytes]], tamper: str
) -> None:
    config, clean = built
    db = sqlite3.connect(cache_db(config))
    assert db.execute(tamper).rowcount == 1
    # No input changed, so the next build would stop before reading any row: forget the
    # last build, as any change to the archive or the config would.
    assert db.execute("DELETE FROM builds").rowcount == 1
    assert db.execute("DELETE FROM feed_index").rowcount == 1
    db.commit()
    db.close()
    report = build(runner, config)
    assert (report["parsed"], report["cached"]) == (1, COUNT - 1)
    assert outputs(config) == clean


@pytest.mark.parametrize("column", ["meta", "content"])
def test_a_value_changed_inside_a_row_is_not_published(
    runner: CliRunner, built: tuple[Path, dict[str, bytes]], column: str
) -> None:
    # A byte changed on disk inside a value, not in SQLite's structure: the row still reads,
    # and its entry still decodes (same length, same path). Only a checksum tells.
    config, clean = built
    db = sqlite3.connect(cache_db(config))
    query = f"SELECT key, {column} FROM sources WHERE key LIKE '%/007.md'"
    path, value = db.execute(query).fetchone()
    if column == "meta":
        changed = value.replace("文章7".encode(), "文章9".encode())
    else:
        changed = value.replace("第7篇", "第9篇")
    assert changed != value
    db.execute(f"UPDATE sources SET {column} = ? WHERE key = ?", (changed, path))
    for statement in FORGET_LAST_BUILD:
        db.execute(statement)
    db.commit()
    db.close()
    report = build(runner, config)
    assert (report["parsed"], report["cached"]) == (1, COUNT - 1)
    assert outputs(config) == clean


def test_an_unwritable_cache_folder_is_one_clear_error(runner: CliRunner, site: Site) -> None:
    config = site(cache={"path": "blocker/cache.sqlite"})
    write_article(config.parent / "articles", "a.md")
    (config.parent / "blocker").write_text("a file where a folder should be", encoding="utf-8")
    result = runner.invoke(app, ["build", "-c", str(config)])
    assert result.exit_code == 1
    assert result.stderr.startswith(f"Error: cannot use the cache {config.parent / 'blocker'}")
    assert "cache.enabled: false" in result.stderr
    assert result.stderr.count("\n") == 1


def test_disabled_cache_parses_everything_every_run(runner: CliRunner, site: Site) -> None:
    config = site(cache={"enabled": False})
    write_article(config.parent / "articles", "a.md")
    assert build(runner, config)["parsed"] == 1
    assert build(runner, config)["parsed"] == 1
    assert not list(config.parent.glob("*.sqlite*"))
    assert not (config.parent / ".feeds-cache").exists()


def test_two_configs_in_one_folder_keep_a_cache_each(runner: CliRunner, tmp_path: Path) -> None:
    # Other source roots and other settings over the same files: one shared cache would
    # have each run re-parse every file the other one stored.
    write_article(tmp_path / "articles" / "fin", "a.md")
    write_article(tmp_path / "articles" / "fin", "b.md", title="另一篇")
    (tmp_path / "whole.yaml").write_text("sources: [articles]\noutput: out1\n", "utf-8")
    (tmp_path / "part.yaml").write_text(
        "sources: [articles/fin]\noutput: out2\nclean: {remove: ['.ad']}\n", "utf-8"
    )
    configs = [tmp_path / "whole.yaml", tmp_path / "part.yaml"]
    assert [build(runner, config)["parsed"] for config in configs] == [2, 2]
    assert [build(runner, config)["parsed"] for config in configs + configs] == [0, 0, 0, 0]
    caches = sorted(p.name for p in (tmp_path / ".feeds-cache").glob("*.sqlite"))
    assert caches == ["part.sqlite", "whole.sqlite"]


def test_a_cache_inside_a_source_folder_is_not_an_article(runner: CliRunner, site: Site) -> None:
    config = site(cache={"path": "articles/cache.sqlite"}, read={"patterns": ["*"]})
    write_article(config.parent / "articles", "a.md")
    first = build(runner, config, "--strict")
    assert first["articles"] == 1
    again = build(runner, config, "--strict")
    assert (again["parsed"], again["cached"], again["problems"]) == (0, 1, [])


def test_two_sources_share_no_entries(runner: CliRunner, site: Site, tmp_path: Path) -> None:
    # Same relative path, same size, same mtime, different text: only the path tells them apart.
    config = site()
    one, two = tmp_path / "one" / "articles", tmp_path / "two" / "articles"
    for folder, title in [(one, "甲"), (two, "乙")]:
        path = write_article(folder, "same.md", title=title)
        os.utime(path, ns=(1_650_000_000_000_000_000,) * 2)
    build(runner, config, "--source", str(one))
    report = build(runner, config, "--source", str(two))
    assert report["parsed"] == 1
    feed = json.loads((config.parent / "output" / "all.json").read_text(encoding="utf-8"))
    assert [item["title"] for item in feed["items"]] == ["乙"]
    assert build(runner, config, "--source", str(one))["parsed"] == 0  # kept: not under two


def discover(config: Path) -> tuple[Config, list[Source]]:
    cfg = load_config(config)
    return cfg, discover_files(cfg)[0]


def read_through(
    cache: ArticleCache, sources: list[Source], cfg: Config
) -> tuple[list[Article], list[Problem], int]:
    """As a build reads: the cache asked first, what it lacks parsed and kept in it.
    Returns the articles, the problems and how many sources were parsed."""
    cached, stale = cache.lookup(sources)
    fresh = {
        source.rel: cache.store(source, packed) if keep else unpack(packed)
        for source, (packed, keep) in parse_sources(stale, cfg)
    }
    entries = [cached.get(source.rel) or fresh[source.rel] for source in sources]
    articles = [entry for entry in entries if isinstance(entry, Article)]
    return articles, [entry for entry in entries if isinstance(entry, Problem)], len(stale)


def test_a_file_changed_after_discovery_is_parsed_again_next_run(site: Site) -> None:
    config = site()
    write_article(config.parent / "articles", "a.md", title="旧标题")
    cfg, files = discover(config)
    write_article(config.parent / "articles", "a.md", title="新的标题，更长")  # after the stat
    cache = ArticleCache(cfg.cache.path, cfg)
    try:
        first, _, _ = read_through(cache, files, cfg)
        assert [a.title for a in first] == ["新的标题，更长"]
        again = discover(config)[1]
        second, _, parsed = read_through(cache, again, cfg)
    finally:
        cache.close()
    assert (parsed, len(second)) == (1, 1)
    assert again[0].stamp != files[0].stamp


def test_a_file_that_could_not_be_read_is_not_cached(site: Site) -> None:
    config = site()
    path = write_article(config.parent / "articles", "a.md")
    cfg, files = discover(config)
    text = path.read_bytes()
    path.unlink()  # vanished between discovery and reading (or permission denied)
    cache = ArticleCache(cfg.cache.path, cfg)
    try:
        _, problems, _ = read_through(cache, files, cfg)
        assert [p.stage for p in problems] == ["read"]
        # Nothing kept: asked again with the very stamp discovery saw, it is to be read.
        assert cache.lookup(files) == ({}, files)
        path.write_bytes(text)  # back
        second, problems, parsed = read_through(cache, discover(config)[1], cfg)
    finally:
        cache.close()
    assert (parsed, len(second), problems) == (1, 1, [])


def test_a_bad_file_is_cached_like_a_good_one(runner: CliRunner, site: Site) -> None:
    config = site()
    write_article(config.parent / "articles", "good.md")
    (config.parent / "articles" / "bad.md").write_text("no front matter", encoding="utf-8")
    assert build(runner, config)["skipped"] == 1
    again = build(runner, config)
    assert (again["parsed"], again["cached"], again["skipped"]) == (0, 2, 1)


def test_a_briefly_locked_cache_is_waited_for_not_deleted(
    runner: CliRunner, built: tuple[Path, dict[str, bytes]]
) -> None:
    config, _ = built
    other = sqlite3.connect(cache_db(config), check_same_thread=False)
    other.execute("BEGIN EXCLUSIVE")  # another program (sqlite3 shell, backup) holds it
    timer = threading.Timer(0.5, other.rollback)
    timer.start()
    try:
        report = build(runner, config)
    finally:
        timer.join()
        other.close()
    assert (report["parsed"], report["cached"]) == (0, COUNT)


def test_builds_sharing_a_cache_take_turns(
    runner: CliRunner, built: tuple[Path, dict[str, bytes]], tmp_path: Path
) -> None:
    config, clean = built
    command = [sys.executable, "-m", "feeds", "build", "-c", str(config), "--json", "-q"]
    command += ["--output", str(tmp_path / "elsewhere")]
    with hold_lock(config.parent / "cache.sqlite.lock", wait=False):
        proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        time.sleep(1.0)
        assert proc.poll() is None, proc.communicate()
        assert not (tmp_path / "elsewhere" / "all.json").exists()
    stdout, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 0, stderr
    assert json.loads(stdout)["parsed"] == 0
    assert (tmp_path / "elsewhere" / "all.json").read_bytes() == clean["all.json"]


def test_light_entries_hold_no_html(built: tuple[Path, dict[str, bytes]]) -> None:
    config, _ = built
    db = sqlite3.connect(cache_db(config))
    metas = [decode_entry(m) for (m,) in db.execute("SELECT meta FROM sources")]
    db.close()
    assert len(metas) == COUNT
    assert {m.content_html for m in metas} == {""}


def test_articles_survive_the_cache_whole_and_share_equal_categories(tmp_path: Path) -> None:
    write_article(tmp_path / "a", "one.md", title="一", categories=("金融", "新浪财经"))
    write_article(tmp_path / "a", "two.md", title="二", categories=("金融", "新浪财经"))
    # A date without a zone is read in the site's zone: read back, it must be equal in repr
    # too (fingerprints are made of reprs), not only as an instant.
    write_article(tmp_path / "a", "zoned.md", date="2022-05-26 12:04:07")
    config = tmp_path / "config.yaml"
    config.write_text("sources: [a]\nsite: {timezone: Asia/Shanghai}\n", encoding="utf-8")
    cfg = load_config(config)
    files, _ = discover_files(cfg)
    articles = [read_article(f, cfg) for f in files]
    loaded = [decode_entry(pack(a)[0]) for a in articles]
    assert loaded == [a.light() for a in articles]
    assert [repr(a) for a in loaded] == [repr(a.light()) for a in articles]  # for fingerprints
    assert articles[2].date == datetime(2022, 5, 26, 4, 4, 7, tzinfo=UTC)
    assert loaded[0].categories is loaded[1].categories
    light = articles[0].light()
    assert (light.content_html, light.summary) == ("", "")
    assert light == dataclasses.replace(articles[0], content_html="", summary="")


@pytest.mark.parametrize("skipped", [True, False])
def test_problems_survive_the_cache(skipped: bool) -> None:
    problem = Problem("金融/a.md", "date", "'Invalid Date' is not a date", skipped)
    assert decode_entry(pack(problem)[0]) == problem


@pytest.mark.parametrize(
    "meta",
    [
        b"",
        b"\x80\x04\x95",  # a pickle's first bytes
        pickle.dumps(Problem("a.md", "read", "x")),
        b"a" + msgspec.msgpack.encode({"path": "a.md", "title": 1}),  # the wrong types
        b"p" + msgspec.msgpack.encode(["a.md"]),  # too few fields
    ],
    ids=["empty", "pickle-header", "a-pickle", "wrong-types", "too-few-fields"],
)
def test_the_cache_decodes_data_only(meta: bytes) -> None:
    # A pickle in the cache file would run code when loaded: it is refused like damage.
    with pytest.raises(DecodeError):
        decode_entry(meta)


def test_a_pickle_in_the_cache_is_not_run(
    runner: CliRunner, built: tuple[Path, dict[str, bytes]], tmp_path: Path
) -> None:
    config, clean = built
    marker = tmp_path / "ran"

    class Payload:
        def __reduce__(self) -> tuple[object, tuple[str]]:
            return (open, (str(marker), "w"))

    db = sqlite3.connect(cache_db(config))
    bomb = pickle.dumps(Payload())
    query = "UPDATE sources SET meta = ?, meta_crc = ? WHERE key LIKE '%/007.md'"
    assert db.execute(query, (bomb, zlib.crc32(bomb))).rowcount == 1
    for statement in FORGET_LAST_BUILD:
        db.execute(statement)
    db.commit()
    db.close()
    report = build(runner, config)
    assert not marker.exists()
    assert (report["parsed"], report["cached"]) == (1, COUNT - 1)
    assert outputs(config) == clean


def snapshot_rows(config: Path) -> tuple[int, int]:
    """How many parts the snapshot has, and how many rows changed since it was made."""
    db = sqlite3.connect(cache_db(config))
    try:
        (parts,) = db.execute("SELECT count(*) FROM snapshot").fetchone()
        (recent,) = db.execute("SELECT count(*) FROM recent").fetchone()
        return parts, recent
    finally:
        db.close()


def test_a_build_leaves_a_snapshot_that_stands_for_its_rows(
    runner: CliRunner, built: tuple[Path, dict[str, bytes]]
) -> None:
    config, clean = built
    assert snapshot_rows(config) == (1, 0)
    tamper(config, *FORGET_LAST_BUILD)
    report = build(runner, config)
    assert (report["parsed"], report["cached"]) == (0, COUNT)
    assert outputs(config) == clean


def test_the_snapshot_is_saved_and_its_articles_let_go_before_the_outputs_are_written(
    runner: CliRunner, site: Site, monkeypatch: pytest.MonkeyPatch
) -> None:
    # What a build makes after its last article (the manifest, the feeds' index) is made in
    # the memory of the light articles the snapshot is made from, not on top of it: at
    # 100,000 articles with pages, ~100 MB.
    config = site(limit=2, pages=False)  # pages keep their listings' newest in the index
    for i in range(COUNT):
        write_article(config.parent / "articles", f"{i:03d}.md", title=f"文章{i}")
    seen: list[tuple[tuple[int, int], int]] = []
    write_outputs = output_module.write_outputs

    def observed(out: Path, rendered: dict[str, bytes]) -> list[str]:
        alive = sum(1 for thing in gc.get_objects() if type(thing) is Article)
        seen.append((snapshot_rows(config), alive))
        return write_outputs(out, rendered)

    monkeypatch.setattr(output_module, "write_outputs", observed)
    assert build(runner, config)["parsed"] == COUNT
    [(rows, alive)] = seen
    assert rows == (1, 0)
    assert alive < COUNT // 4  # those the feeds' index keeps: the few its feeds walked
    monkeypatch.undo()
    tamper(config, *FORGET_LAST_BUILD)
    assert build(runner, config)["cached"] == COUNT  # from the snapshot saved then


def test_a_damaged_snapshot_is_not_trusted_and_is_made_again(
    runner: CliRunner, built: tuple[Path, dict[str, bytes]]
) -> None:
    # One byte changed inside the snapshot, its checksum left as it was: the rows are read.
    config, clean = built
    db = sqlite3.connect(cache_db(config))
    (data,) = db.execute("SELECT data FROM snapshot").fetchone()
    changed = data.replace("文章7".encode(), "文章9".encode())
    assert changed != data
    db.execute("UPDATE snapshot SET data = ?", (changed,))
    for statement in FORGET_LAST_BUILD:
        db.execute(statement)
    db.commit()
    db.close()
    report = build(runner, config)
    assert (report["parsed"], report["cached"]) == (0, COUNT)
    assert outputs(config) == clean
    db = sqlite3.connect(cache_db(config))
    (data, crc) = db.execute("SELECT data, crc FROM snapshot").fetchone()
    db.close()
    assert zlib.crc32(data) == crc and "文章7".encode() in data
    assert snapshot_rows(config) == (1, 0)


def test_a_snapshot_of_other_settings_is_not_used(
    runner: CliRunner, built: tuple[Path, dict[str, bytes]]
) -> None:
    # An alias renames the category of every article: every entry is made again.
    config, _ = built
    make_site(config.parent, categories={"aliases": {"金融": "别名"}})
    report = build(runner, config)
    assert report["parsed"] == COUNT
    assert "别名" in (config.parent / "output" / "all.json").read_text(encoding="utf-8")


def test_a_file_changed_since_the_snapshot_is_read_from_its_row(
    runner: CliRunner, built: tuple[Path, dict[str, bytes]]
) -> None:
    config, _ = built
    articles = config.parent / "articles"
    write_article(articles, "007.md", title="改过的标题")
    assert build(runner, config)["parsed"] == 1
    assert snapshot_rows(config) == (1, 1)  # kept: one row changed since
    tamper(config, *FORGET_LAST_BUILD)
    again = build(runner, config)  # the new row, not the snapshot's entry
    assert (again["parsed"], again["cached"]) == (0, COUNT)
    feed = (config.parent / "output" / "all.json").read_text(encoding="utf-8")
    assert "改过的标题" in feed and "文章7" not in feed
    (articles / "007.md").unlink()
    assert build(runner, config)["articles"] == COUNT - 1


def test_the_snapshot_is_made_again_once_enough_rows_changed(
    runner: CliRunner, built: tuple[Path, dict[str, bytes]], monkeypatch: pytest.MonkeyPatch
) -> None:
    config, _ = built
    monkeypatch.setattr(cache_module, "_RECENT_ALLOWED", 0)
    for i in range(5):  # more than a tenth of the rows
        write_article(config.parent / "articles", f"{i:03d}.md", title=f"改过的标题{i}")
    assert build(runner, config)["parsed"] == 5
    assert snapshot_rows(config) == (1, 5)  # the next lookup finds them: it makes one
    tamper(config, *FORGET_LAST_BUILD)
    again = build(runner, config)
    assert (again["parsed"], again["cached"]) == (0, COUNT)
    assert snapshot_rows(config) == (1, 0)
    monkeypatch.setattr(cache_module, "_RECENT_ALLOWED", 200)
    tamper(config, *FORGET_LAST_BUILD)
    third = build(runner, config)  # from the new snapshot alone
    assert (third["parsed"], third["cached"]) == (0, COUNT)
    assert "改过的标题" in (config.parent / "output" / "all.json").read_text(encoding="utf-8")


def test_a_row_given_a_key_that_is_not_text_is_parsed_again(
    runner: CliRunner, built: tuple[Path, dict[str, bytes]]
) -> None:
    # Both keys are listed as changed since the snapshot: the old one, and one no file has.
    config, clean = built
    tamper(config, "UPDATE sources SET key = x'3132333435' WHERE key LIKE '%/007.md'",
           *FORGET_LAST_BUILD)  # fmt: skip
    report = build(runner, config)
    assert (report["parsed"], report["cached"]) == (1, COUNT - 1)
    assert outputs(config) == clean


def test_a_damaged_part_after_good_ones_leaves_none_of_the_snapshot_used(
    runner: CliRunner, site: Site, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(cache_module, "_PART_SIZE", 10)
    config = site()
    for i in range(COUNT):
        write_article(config.parent / "articles", f"{i:03d}.md", title=f"文章{i}")
    build(runner, config)
    clean = outputs(config)
    assert snapshot_rows(config) == (COUNT // 10, 0)
    db = sqlite3.connect(cache_db(config))
    db.execute("UPDATE snapshot SET data = CAST(x'00' || data AS BLOB) WHERE part = 2")
    for statement in FORGET_LAST_BUILD:
        db.execute(statement)
    db.commit()
    db.close()
    report = build(runner, config)
    assert (report["parsed"], report["cached"]) == (0, COUNT)
    assert outputs(config) == clean
    assert snapshot_rows(config) == (COUNT // 10, 0)  # made again, whole
