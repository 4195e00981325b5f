"""Bad input never crashes a run, and nothing is lost silently.

A generated corpus holds every kind of bad file next to good ones. The build must keep every
good article in every feed it belongs to, report every bad file once with its stage, write
nothing outside its output folder, and fail only under ``--strict`` (or ``feeds check``).
Hypothesis then feeds arbitrary bytes and front matter to the reader and to whole builds.
"""

from __future__ import annotations

import codecs
import json
import os
import random
import re
import tempfile
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import feedparser
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree
from typer.testing import CliRunner

from feeds.article import MAX_TITLE
from feeds.build import build
from feeds.cli.app import app
from feeds.config import Config, config_from_dict
from feeds.errors import ArticleError
from feeds.models import Article, Source
from feeds.read.batch import read_article
from feeds.read.discover import discover_files, file_source
from feeds.report import BuildOptions
from tests.helpers import CORPUS, FIXED_MTIME, make_site

MAX_BYTES = 64 * 1024
BODY = "<p>中国工业互联网研究院指出，平台体系已初具规模。这是一个测试。</p>"


@dataclass
class Corpus:
    """What the build must make of each file."""

    root: Path  # the articles folder
    kept: dict[str, tuple[str, tuple[str, ...]]] = field(default_factory=dict)  # title, feeds
    notes: dict[str, set[str]] = field(default_factory=dict)  # kept with a note: stages
    skipped: dict[str, str] = field(default_factory=dict)  # path -> stage

    def article(
        self,
        rel: str,
        front: dict[str, Any] | str,
        body: str = BODY,
        *,
        title: str | None = None,
        feeds: tuple[str, ...] | None = None,
        notes: tuple[str, ...] = (),
        encoding: str = "utf-8",
        bom: bytes = b"",
    ) -> None:
        """Write an article that must be kept, under ``title``, in ``feeds``."""
        block = front if isinstance(front, str) else yaml.safe_dump(front, allow_unicode=True)
        text = f"\n---\n{block}---\n\n<div>   \n{body}\n</div>            "
        self._write(rel, bom + text.encode(encoding))
        given = front.get("title") if isinstance(front, dict) else None
        categories = front.get("categories") if isinstance(front, dict) else None
        self.kept[rel] = (title or str(given), feeds or tuple(categories or ()))
        if notes:
            self.notes[rel] = set(notes)

    def bad(self, rel: str, data: bytes, stage: str) -> None:
        self._write(rel, data)
        self.skipped[rel] = stage

    def duplicate(self, rel: str, front: dict[str, Any], body: str = BODY) -> None:
        """A copy of a kept story: reported, and in no feed."""
        block = yaml.safe_dump(front, allow_unicode=True)
        self._write(rel, f"---\n{block}---\n{body}".encode())
        self.notes[rel] = {"duplicate"}

    def _write(self, rel: str, data: bytes) -> None:
        path = self.root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        os.utime(path, (FIXED_MTIME, FIXED_MTIME))


def good(title: str, *categories: str, date: str = "2022-05-26 10:00:00", **extra: Any) -> Any:
    return {"title": title, "categories": list(categories), "date": date, **extra}


def make_corpus(root: Path) -> Corpus:
    corpus = Corpus(root)
    _good_files(corpus)
    _repaired_files(corpus)
    _bad_files(corpus)
    _unreachable_files(corpus)
    _duplicates(corpus)
    return corpus


def _good_files(c: Corpus) -> None:
    c.article("金融/新浪财经/好文章.md", good("工信部：中小企业数字化转型", "金融", "新浪财经"))
    c.article("科技/one.md", good("Rust 1.80 released", "Technology"))
    c.article("科技/two.txt", good("第二篇科技文章", "Technology", "科技"))
    c.article("post/old.markdown", good("旧格式文章", "金融", date="Sun, 31 Jul 2022 06:13:25 GMT"))
    # every encoding decodes to the same text: no mojibake in any feed
    front = good("编码测试：{}", "编码")
    c.article("enc/utf8-bom.md", {**front, "title": "编码测试：BOM"}, bom=codecs.BOM_UTF8)
    for name, encoding, bom in [
        ("utf16le", "utf-16-le", codecs.BOM_UTF16_LE),
        ("utf16be", "utf-16-be", codecs.BOM_UTF16_BE),
        ("gbk", "gbk", b""),
        ("gb18030", "gb18030", b""),
    ]:
        title = f"编码测试：{name}"
        c.article(
            f"enc/{name}.md", {**front, "title": title}, encoding=encoding, bom=bom, notes=("read",)
        )
    traditional = "<p>中國工業互聯網研究院指出，平台體系已初具規模。這是一個測試。</p>"
    c.article(
        "enc/big5.md", good("編碼測試：繁體", "繁體"), traditional, encoding="big5", notes=("read",)
    )


def _repaired_files(c: Corpus) -> None:
    """Kept, with a note saying what was repaired."""
    dated = {"categories": ["修复"], "date": "2022-05-20 08:00:00"}
    c.article(
        "fix/no-title.md",
        dated,
        "<h2>开篇的小标题</h2><p>正文。</p>",
        title="开篇的小标题",
        notes=("title",),
    )
    c.article(
        "fix/blank.md",
        {**dated, "title": " "},
        "<p>First sentence. Second.</p>",
        title="First sentence.",
        notes=("title",),
    )
    c.article(
        "fix/dash.md",
        {**dated, "title": "-"},
        "<img src='https://x.org/1.jpg'>",
        title="dash",
        notes=("title",),
    )
    c.article("fix/nbsp.md", {**dated, "title": "雪球视频&nbsp;2021 🎉"}, title="雪球视频 2021 🎉")
    long = "很长的标题" * 60
    c.article(
        "fix/long.md", {**dated, "title": long}, title=long[: MAX_TITLE - 1] + "…", notes=("title",)
    )
    c.article(
        "fix/number.md", "title: 12345\ncategories: [修复]\ndate: 2022-05-20\n", title="12345"
    )
    c.article(
        "fix/dict-categories.md",
        "title: 字典分类\ncategories: {a: 1}\ndate: 2022-05-20\n",
        title="字典分类",
        feeds=("默认",),
        notes=("frontmatter", "categories"),
    )
    c.article(
        "fix/nested.md",
        "title: 嵌套列表\ncategories: [[修复, [嵌套]]]\ndate: 2022-05-20\n",
        title="嵌套列表",
        feeds=("修复", "嵌套"),
    )
    c.article(
        "fix/not-yaml.md",
        "title: @大道无形 关注了股票\ncategories:\n - 修复\ndate: 2022-05-20\n",
        title="@大道无形 关注了股票",
        feeds=("修复",),
        notes=("frontmatter",),
    )
    for name, date in [("invalid", "Invalid Date"), ("garbage", "下周二"), ("missing", None)]:
        front = {"title": f"日期{name}", "categories": ["修复"]}
        if date:
            front["date"] = date
        c.article(f"fix/date-{name}.md", front, notes=("date",))
    c.article(
        "fix/future.md", good("来自未来", "修复", date="2099-01-01 00:00:00"), notes=("date",)
    )
    c.article(
        "fix/no-categories.md",
        {"title": "没有分类", "date": "2022-05-20"},
        feeds=("默认",),
        notes=("categories",),
    )
    hostile = [
        "../../etc/passwd",
        "<script>alert(1)</script>",
        "&lt;b&gt;",
        "..",
        "CON",
        "金融\u200b",
    ]
    c.article(
        "fix/hostile-categories.md",
        good("恶意分类", *hostile),
        feeds=("../../etc/passwd", "alert(1)", "CON", "金融"),
        notes=("categories",),
    )


def _bad_files(c: Corpus) -> None:
    """Skipped, each at its stage."""
    c.bad("bad/no-front-matter.md", "只有正文，没有前言。".encode(), "frontmatter")
    c.bad("bad/unterminated.md", b"---\ntitle: x\ncategories: [a]\n\nbody", "frontmatter")
    c.bad("bad/list.md", b"---\n- a\n- b\n---\nbody", "frontmatter")
    c.bad("bad/scalar.md", b"---\njust a sentence\n---\nbody", "frontmatter")
    c.bad("bad/empty.md", b"", "read")
    c.bad("bad/blank.md", b" \n\n\t\n", "read")
    c.bad("bad/binary.md", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)), "read")
    noise = random.Random(7)
    c.bad("bad/noise.md", bytes(noise.randrange(0x80, 0x100) for _ in range(4000)), "read")
    c.bad("bad/huge.md", b"---\ntitle: huge\n---\n" + b"x" * (MAX_BYTES + 1), "read")


def _unreachable_files(c: Corpus) -> None:
    folder = c.root / "links"
    folder.mkdir()
    os.symlink("missing.md", folder / "broken.md")
    os.symlink("loop-b.md", folder / "loop-a.md")
    os.symlink("loop-a.md", folder / "loop-b.md")
    os.symlink("..", folder / "parent")  # a folder loop: walked once, not reported
    c.skipped.update({"links/broken.md": "discover", "links/loop-a.md": "discover"})
    c.skipped["links/loop-b.md"] = "discover"
    os.mkfifo(folder / "pipe.md")
    c.skipped["links/pipe.md"] = "discover"
    unreadable = folder / "unreadable.md"
    if os.geteuid() != 0:
        unreadable.write_text("---\ntitle: x\n---\n", encoding="utf-8")
        unreadable.chmod(0)
    elif Path("/proc/self/mem").exists():
        # root reads any file whatever its mode; this one fails to read for root too (EIO),
        # and it is out of the source folder: a link there is not even followed.
        os.symlink("/proc/self/mem", unreadable)
        c.skipped["links/unreadable.md"] = "discover"
        return
    else:  # pragma: no cover
        return
    c.skipped["links/unreadable.md"] = "read"


def _duplicates(c: Corpus) -> None:
    link = "https://finance.sina.com.cn/story/1.html"
    c.article("dup/link-new.md", good("同一链接", "重复", date="2022-05-02", link=link))
    c.duplicate("dup/link-old.md", good("同一链接（旧标题）", "重复", date="2022-05-01", link=link))
    text = "<p>从金融管理部门了解到，贷款回升。</p>"
    c.article("dup/text-new.md", good("10月房地产贷款环比多增", "重复", date="2022-05-02"), text)
    rescrape = "<p>  从金融管理部门了解到 ,贷款回升. </p><!-- ad --><p></p>"
    c.duplicate(
        "dup/text-old.md", good("10月房地产贷款环比多增 ", "重复", date="2022-05-01"), rescrape
    )


# --- helpers ------------------------------------------------------------------------------


def site_with_corpus(tmp_path: Path, mode: str = "path", **settings: Any) -> tuple[Path, Corpus]:
    config = make_site(
        tmp_path / "site",
        limit=1000,
        jobs=1,
        read={"max_bytes": MAX_BYTES},
        categories={"default": "默认", "mode": mode},
        cache={"enabled": False},
        **settings,
    )
    return config, make_corpus(config.parent / "articles")


def test_hostile_corpus_build_with_category_paths(runner: CliRunner, tmp_path: Path) -> None:
    """Path categories: hostile names (``../../etc/passwd``, emoji, markup) as nodes of a
    path still make plain file names inside the output folder, and every kept article is
    in the feed of each node of its path."""
    config, corpus = site_with_corpus(tmp_path)
    out = config.parent / "output"
    result = run(runner, "build", "-c", str(config), "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    feeds = {tuple(f["path"]): f for f in report["feeds"]}
    for feed in report["feeds"]:
        assert feed["name"] == "/".join(feed["path"])
        for name in feed["files"].values():
            assert "/" not in name and (out / name).is_file()
    for rel, (title, names) in corpus.kept.items():
        for end in range(len(names) + 1):
            node = tuple(names[:end])
            assert node in feeds, (rel, node)
            assert title in read_back(out, feeds[node]["files"])["rss"], (rel, node)


def snapshot(root: Path) -> dict[str, tuple[int, int]]:
    """Every path under ``root`` (symlinks not followed) with its size and mtime."""
    found = {}
    for folder, dirs, files in os.walk(root):
        for name in dirs + files:
            path = Path(folder, name)
            info = path.lstat()
            found[path.relative_to(root).as_posix()] = (info.st_size, info.st_mtime_ns)
    return found


def read_back(out: Path, files: dict[str, str]) -> dict[str, list[str]]:
    """Each format's item titles, parsed as a reader would: strict XML, feedparser, JSON."""
    titles: dict[str, list[str]] = {}
    for fmt, name in files.items():
        data = (out / name).read_bytes()
        if fmt == "json":
            titles[fmt] = [item["title"] for item in json.loads(data)["items"]]
            continue
        etree.fromstring(data)  # well-formed, or this raises
        parsed = feedparser.parse(data)
        assert not parsed.bozo, (name, parsed.get("bozo_exception"))
        titles[fmt] = [entry.title for entry in parsed.entries]
    return titles


def run(runner: CliRunner, *args: str) -> Any:
    result = runner.invoke(app, list(args))
    assert "Traceback" not in result.output
    return result


# --- the hostile corpus -------------------------------------------------------------------


def test_hostile_corpus_build(runner: CliRunner, tmp_path: Path) -> None:
    """Flat categories: the corpus's names are each a feed (path mode: the next test)."""
    config, corpus = site_with_corpus(tmp_path, mode="flat")
    out = config.parent / "output"
    before = snapshot(tmp_path)
    result = run(runner, "build", "-c", str(config), "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)

    # every bad file is reported, once, at its stage; nothing else is skipped
    skipped = {p["path"]: p["stage"] for p in report["problems"] if p["skipped"]}
    assert skipped == corpus.skipped
    assert report["skipped"] == len(corpus.skipped)
    assert report["articles"] == len(corpus.kept) + len(
        [p for p, stages in corpus.notes.items() if stages == {"duplicate"}]
    )
    problems = [(p["path"], p["stage"], p["reason"]) for p in report["problems"]]
    assert len(problems) == len(set(problems)), Counter(problems).most_common(3)
    for problem in report["problems"]:
        verb = "skipped" if problem["skipped"] else "note"
        line = f"{verb}: {problem['path']}: {problem['stage']}: {problem['reason']}\n"
        assert result.stderr.count(line) == 1, line

    # repairs are notes on the right files; good files have none
    stages: dict[str, set[str]] = {}
    for p in report["problems"]:
        if not p["skipped"]:
            stages.setdefault(p["path"], set()).add(p["stage"])
    for rel, expected in corpus.notes.items():
        assert expected <= stages.get(rel, set()), rel
    assert set(stages) == set(corpus.notes), set(stages) ^ set(corpus.notes)

    # every kept article is in every feed it belongs to, in every format
    feeds = {f["name"]: f for f in report["feeds"]}
    read = {name: read_back(out, feed["files"]) for name, feed in feeds.items()}
    for rel, (title, names) in corpus.kept.items():
        for name in ("", *names):
            assert name in feeds, (rel, name)
            for fmt, titles in read[name].items():
                assert titles.count(title) == 1, (rel, name, fmt, titles)
    duplicates = {rel for rel, s in corpus.notes.items() if s == {"duplicate"}}
    assert all(feed["items"] == len(read[name]["rss"]) for name, feed in feeds.items())
    assert read[""]["json"].__len__() == len(corpus.kept)
    assert duplicates and not duplicates & set(corpus.kept)

    # nothing outside the output folder was written, created or removed (the folder that
    # holds it changes only in that it now holds it)
    after = snapshot(tmp_path)
    changed = {p for p in before.keys() | after.keys() if before.get(p) != after.get(p)}
    outside = {p for p in changed if not p.startswith("site/output/")} - {"site", "site/output"}
    assert outside == set()
    assert "site/output/all.rss.xml" in changed


def test_hostile_corpus_summary_and_strict(runner: CliRunner, tmp_path: Path) -> None:
    config, corpus = site_with_corpus(tmp_path)
    result = run(runner, "build", "-c", str(config))
    assert result.exit_code == 0, result.output
    skipped = result.stderr.count("\nskipped: ") + result.stderr.startswith("skipped: ")
    notes = result.stderr.count("\nnote: ") + result.stderr.startswith("note: ")
    assert skipped == len(corpus.skipped)
    assert f"; {skipped} skipped, {notes} notes)" in result.stdout
    strict = run(runner, "build", "-c", str(config), "--strict")
    assert strict.exit_code == 1
    assert strict.stderr == result.stderr  # the same report, then the failure


def test_check_reports_the_same_and_writes_nothing(runner: CliRunner, tmp_path: Path) -> None:
    config, corpus = site_with_corpus(tmp_path)
    before = snapshot(tmp_path)
    checked = run(runner, "check", "-c", str(config), "--json")
    assert checked.exit_code == 1
    assert snapshot(tmp_path) == before
    built = run(runner, "build", "-c", str(config), "--json")
    check_report, build_report = json.loads(checked.stdout), json.loads(built.stdout)
    assert check_report["problems"] == build_report["problems"]
    assert check_report["written"] is False
    assert {p["path"] for p in check_report["problems"] if p["skipped"]} == set(corpus.skipped)


def test_check_passes_on_a_clean_corpus(runner: CliRunner, tmp_path: Path) -> None:
    config = make_site(tmp_path / "site", cache={"enabled": False})
    corpus = Corpus(config.parent / "articles")
    _good_files(corpus)
    result = run(runner, "check", "-c", str(config))
    assert result.exit_code == 0, result.output
    assert "would write" in result.stdout
    assert not (config.parent / "output").exists()


def test_skip_policy_for_missing_dates(runner: CliRunner, tmp_path: Path) -> None:
    config = make_site(tmp_path / "site", read={"missing_date": "skip"}, cache={"enabled": False})
    corpus = Corpus(config.parent / "articles")
    corpus.article("ok.md", good("有日期", "金融"))
    corpus.article(
        "invalid.md", {"title": "无效日期", "categories": ["金融"], "date": "Invalid Date"}
    )
    corpus.article("none.md", {"title": "没有日期", "categories": ["金融"]})
    result = run(runner, "build", "-c", str(config), "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert [(p["path"], p["stage"], p["reason"]) for p in report["problems"]] == [
        ("invalid.md", "date", "'Invalid Date' is not a date"),
        ("none.md", "date", "no date"),
    ]
    assert report["articles"] == 1
    assert run(runner, "build", "-c", str(config), "--strict").exit_code == 1


def test_an_internal_error_costs_one_article_and_says_so_even_when_quiet(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # No input is known to trigger a bug, so one is injected: the reader fails on one file.
    import feeds.read.batch

    def buggy(file: Source, config: Config, *, content: bool = True) -> Article:
        if file.rel == "b.md":
            raise KeyError("oops")
        return read_article(file, config, content=content)

    monkeypatch.setattr(feeds.read.batch, "read_article", buggy)
    config = make_site(tmp_path / "site", jobs=1, cache={"enabled": False})
    corpus = Corpus(config.parent / "articles")
    corpus.article("a.md", good("甲", "金融"))
    corpus.article("b.md", good("乙", "金融"))
    result = run(runner, "build", "-c", str(config), "--quiet")
    assert (result.exit_code, result.stdout) == (0, "")
    assert result.stderr == "skipped: b.md: internal: KeyError: 'oops'\n"
    feed = json.loads((config.parent / "output" / "jinrong.json").read_text(encoding="utf-8"))
    assert [item["title"] for item in feed["items"]] == ["甲"]  # every other article is built
    strict = run(runner, "build", "-c", str(config), "--quiet", "--strict")
    assert (strict.exit_code, strict.stderr) == (1, result.stderr)


@pytest.mark.parametrize(
    ("setting", "message"),
    [
        (
            "read: {missing_date: never}",
            "read.missing_date: must be one of mtime, skip, got 'never'",
        ),
        ("read: {max_bytes: -5}", "read.max_bytes: must be positive"),
        ("read: {max_bytes: big}", "read.max_bytes: expected an integer, got 'big'"),
        ("read: {future_days: -1}", "read.future_days: must be from 0 to 3650"),
        ("read: {colour: red}", "read.colour: unknown key"),
        ("categories: {default: [a]}", "categories.default: expected a string, got a list"),
        ("cache: {enabled: maybe}", "cache.enabled: expected true or false, got 'maybe'"),
        ("formats: []", "formats: must name at least one format"),
        ("jobs: -2", "jobs: must be 0 (every core) or more, got -2"),
        ("limit: 0", "limit: must be a positive integer, got 0"),
        ("site: {timezone: Mars/Base}", "site.timezone: unknown time zone 'Mars/Base'"),
    ],
)
@pytest.mark.parametrize("command", ["build", "check"])
def test_bad_config_values(
    runner: CliRunner, tmp_path: Path, command: str, setting: str, message: str
) -> None:
    config = make_site(tmp_path / "site")
    write_article = Corpus(config.parent / "articles").article
    write_article("a.md", good("标题", "金融"))
    config.write_text(config.read_text(encoding="utf-8") + setting + "\n", encoding="utf-8")
    before = snapshot(tmp_path)
    result = run(runner, command, "-c", str(config))
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr.startswith(f"Error: {config}: {message}")
    assert result.stderr.count("\n") == 1
    assert snapshot(tmp_path) == before


@pytest.mark.parametrize("command", ["build", "check"])
def test_missing_source_folder_is_a_config_error(
    runner: CliRunner, tmp_path: Path, command: str
) -> None:
    config = make_site(tmp_path / "site")
    before = snapshot(tmp_path)
    result = run(runner, command, "-c", str(config), "--source", str(tmp_path / "nowhere"))
    assert result.exit_code == 1
    # The value came from the command line, not from the config file: the option is named.
    assert result.stderr == (
        f"Error: --source {tmp_path / 'nowhere'}: no such folder: {tmp_path / 'nowhere'}\n"
    )
    assert snapshot(tmp_path) == before


# --- discovery ----------------------------------------------------------------------------


def _discover(
    tmp_path: Path, *sources: str, **read: object
) -> tuple[list[str], list[tuple[str, str]]]:
    settings = {"sources": list(sources), "read": read}
    config = config_from_dict(settings, tmp_path / "config.yaml")
    files, problems = discover_files(config)
    return [f.rel for f in files], [(p.path, p.reason) for p in problems]


def test_a_folder_reached_through_a_symlink_keeps_its_real_path(tmp_path: Path) -> None:
    real = tmp_path / "src" / "z-real"
    real.mkdir(parents=True)
    (real / "x.md").write_text("x", encoding="utf-8")
    os.symlink("z-real", tmp_path / "src" / "a-link")  # listed first, walked last
    os.symlink(str(tmp_path / "elsewhere"), tmp_path / "src" / "b-outside")
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "elsewhere" / "y.md").write_text("y", encoding="utf-8")
    os.symlink(str(tmp_path / "elsewhere" / "y.md"), real / "w.md")
    outside = "symlink that leads out of the source folder; not followed (read.follow_links)"
    assert _discover(tmp_path, "src") == (
        ["z-real/x.md"],
        [("b-outside/", outside), ("z-real/w.md", outside)],
    )
    followed = _discover(tmp_path, "src", follow_links=True)
    assert followed == (["b-outside/y.md", "z-real/w.md", "z-real/x.md"], [])


def test_sources_with_the_same_name_do_not_hide_each_other(tmp_path: Path) -> None:
    for parent in ("one", "two"):
        (tmp_path / parent / "articles").mkdir(parents=True)
        (tmp_path / parent / "articles" / "a.md").write_text(parent, encoding="utf-8")
    files, problems = _discover(tmp_path, "one/articles", "two/articles")
    assert (files, problems) == (["articles-2/a.md", "articles/a.md"], [])
    assert _discover(tmp_path, "one/articles", "one/articles/") == (["a.md"], [])


def test_only_names_that_match_the_patterns_are_reported(tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    os.symlink("missing.jpg", src / "picture.jpg")  # not an article: no report
    os.symlink("missing.md", src / "article.md")
    os.mkfifo(src / "notes.fifo")
    assert _discover(tmp_path, "src") == (
        [],
        [("article.md", "broken symlink (its target does not exist)")],
    )


# --- arbitrary input ----------------------------------------------------------------------

KEYS = ["title", "categories", "category", "date", "author", "link", "thumbnail", "headimg"]
SCALARS = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=True)
    | st.text(max_size=40)
    | st.sampled_from(["Invalid Date", "2099-01-01", " ", "-", "&nbsp;", "<b>x</b>", "..", "🎉"])
)
VALUES = st.recursive(
    SCALARS,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=12,
)
FRONT = st.dictionaries(st.sampled_from(KEYS) | st.text(max_size=10), VALUES, max_size=6)
BODIES = st.text(max_size=300) | st.sampled_from(["", "<h1>标题</h1><p>正文。</p>", "<img src=x>"])


@st.composite
def article_bytes(draw: st.DrawFn) -> bytes:
    """Arbitrary bytes, an arbitrary front matter block, or arbitrary YAML-shaped fields."""
    kind = draw(st.sampled_from(["bytes", "block", "fields"]))
    if kind == "bytes":
        return draw(st.binary(max_size=600))
    body = draw(BODIES)
    if kind == "block":
        block = draw(st.text(max_size=200))
    else:
        block = yaml.safe_dump(draw(FRONT), allow_unicode=draw(st.booleans()))
    encoding = draw(st.sampled_from(["utf-8", "utf-16", "gb18030", "big5"]))
    return f"---\n{block}\n---\n{body}".encode(encoding, errors="replace")


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=article_bytes())
def test_reader_never_raises_anything_but_article_error(tmp_path: Path, data: bytes) -> None:
    path = tmp_path / "a.md"
    path.write_bytes(data)
    info = path.stat()
    file = file_source(str(path), "a.md", info)
    config = Config(path=tmp_path / "config.yaml")
    try:
        article = read_article(file, config)
    except ArticleError as e:
        assert e.stage in {"read", "frontmatter", "date"} and e.reason
        return
    assert article.title and len(article.title) <= MAX_TITLE
    assert not re.search(r"<[a-zA-Z/!?]", article.title)  # nothing a reader takes for a tag
    assert article.categories and all(article.categories)
    assert article.date.utcoffset() is not None
    assert article.dedupe_key and article.guid.startswith("urn:uuid:")


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(files=st.lists(article_bytes(), min_size=1, max_size=4))
def test_whole_build_of_arbitrary_files_gives_well_formed_feeds(files: list[bytes]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        (root / "articles").mkdir()
        for i, data in enumerate(files):
            (root / "articles" / f"{i}.md").write_bytes(data)
        # The feeds only: test_pages.py builds pages of hostile files
        settings: dict[str, object] = {"sources": ["articles"], "jobs": 1, "pages": False}
        settings["cache"] = {"enabled": False}
        config = config_from_dict(settings, root / "config.yaml")
        report = build(config, BuildOptions())
        assert report.internal_errors == []
        read = {p.path for p in report.skipped}
        assert report.articles + len(read) == len(files)
        outputs = sorted((root / "output").glob("[!.]*"))
        assert len(outputs) == 3 * len(report.feeds) >= 3
        for path in outputs:
            data = path.read_bytes()
            if path.suffix == ".json":
                assert json.loads(data)["version"] == "https://jsonfeed.org/version/1.1"
                continue
            etree.fromstring(data)
            parsed = feedparser.parse(data)
            assert not parsed.bozo, (path.name, parsed.get("bozo_exception"))


def test_syndicated_copies_are_one_story_in_a_shared_feed(
    runner: CliRunner, tmp_path: Path
) -> None:
    config = make_site(tmp_path / "site", cache={"enabled": False})
    articles = config.parent / "articles"
    for rel in SYNDICATED_PAIR:
        (articles / rel).parent.mkdir(parents=True, exist_ok=True)
        (articles / rel).write_bytes((CORPUS / "source/_posts" / rel).read_bytes())
    result = run(runner, "build", "-c", str(config), "--json")
    report = json.loads(result.stdout)
    all_feed = next(f for f in report["feeds"] if f["name"] == "")
    assert all_feed["items"] == 1
    (duplicate,) = [p for p in report["problems"] if p["stage"] == "duplicate"]
    assert duplicate["path"] in SYNDICATED_PAIR and not duplicate["skipped"]


SYNDICATED_PAIR = (
    "新媒体/36kr/快讯/10月房地产贷款环比多增超1500亿元.md",
    "金融/财联社/电报/10月房地产贷款环比多增超1500亿元.md",
)
