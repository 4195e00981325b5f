"""Discovery: every article file, recursively, in a stable order, whatever the names."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from feeds.config import config_from_dict
from feeds.errors import ConfigError
from feeds.models import Source, make_source
from feeds.read.discover import _matcher, _regex_matcher, discover_files
from feeds.run import halves
from tests.helpers import build_json, make_config, write_article


def test_real_tree_names(tmp_path: Path) -> None:
    src = tmp_path / "src"
    names = [
        "金融/新浪财经/新浪财经－国內/000_80468b9762698496.txt",
        'post/二次元/AGE 动漫 - 番剧详情/""""\'第2集\'"""".md',
        "学习/Mind42/分类/ .md",
        "x/.md",
        "长/" + "长" * 70 + ".md",  # 214 bytes of name
        "UPPER.MD",
    ]
    for name in names:
        (src / name).parent.mkdir(parents=True, exist_ok=True)
        (src / name).write_text("x", encoding="utf-8")
    (src / "notes.json").write_text("{}", encoding="utf-8")
    (src / ".git").mkdir()
    (src / ".git" / "HEAD.md").write_text("x", encoding="utf-8")
    files, problems = discover_files(make_config(tmp_path, sources=["src"]))
    assert problems == []
    assert [f.rel for f in files] == sorted(names)
    assert all(os.path.isfile(f.key) and os.path.isabs(f.key) for f in files)
    assert {f.kind for f in files} == {"file"} and {f.stamp[:2] for f in files} == {"1:"}


def test_symlinks_loops_and_output_folder(tmp_path: Path) -> None:
    src = tmp_path / "src"
    (src / "a").mkdir(parents=True)
    (src / "a" / "one.md").write_text("x", encoding="utf-8")
    os.symlink(src, src / "a" / "loop")  # a folder that contains itself
    os.symlink(src / "missing.md", src / "broken.md")
    (src / "out").mkdir()
    (src / "out" / "feed.md").write_text("x", encoding="utf-8")
    files, problems = discover_files(make_config(tmp_path, sources=["src"], output="src/out"))
    assert [f.rel for f in files] == ["a/one.md"]
    assert [(p.path, p.stage) for p in problems] == [("broken.md", "discover")]


@pytest.mark.skipif(not hasattr(os, "fork"), reason="no fork here")
def test_a_large_archive_stated_from_two_processes_is_found_the_same(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # From halves.SPLIT_FROM files, half the stat()s are a forked process's: what cannot
    # be read is reported the same, in either half.
    src = tmp_path / "src"
    for folder in ("a", "b", "c"):
        (src / folder).mkdir(parents=True)
        for i in range(7):
            (src / folder / f"{i}.md").write_text(f"{folder}{i}", encoding="utf-8")
    os.symlink(src / "missing.md", src / "a" / "broken.md")
    os.symlink(src / "c" / "loop.md", src / "c" / "loop.md")
    os.mkfifo(src / "c" / "pipe.md")
    os.symlink(src / "b" / "3.md", src / "c" / "link.md")
    config = make_config(tmp_path, sources=["src"])
    alone = discover_files(config)
    monkeypatch.setattr(halves, "SPLIT_FROM", 2)
    shared = discover_files(config)
    assert shared == alone
    files, problems = shared
    assert len(files) == 22 and "c/link.md" in [f.rel for f in files]
    assert [(p.path, p.reason) for p in problems] == [
        ("a/broken.md", "broken symlink (its target does not exist)"),
        ("c/loop.md", "symlink loop"),
        ("c/pipe.md", "not a regular file (a FIFO, socket or device)"),
    ]


def test_missing_source_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"config.yaml: sources\[0\]: no such folder: "):
        discover_files(make_config(tmp_path, sources=["src"]))


def test_several_sources_are_prefixed(tmp_path: Path) -> None:
    for name in ["one", "two"]:
        (tmp_path / name).mkdir()
        (tmp_path / name / "a.md").write_text("x", encoding="utf-8")
    config = config_from_dict({"sources": ["one", "two"]}, tmp_path / "config.yaml")
    files, _ = discover_files(config)
    assert [f.rel for f in files] == ["one/a.md", "two/a.md"]


def test_a_source_inside_another_is_read_once(tmp_path: Path) -> None:
    (tmp_path / "all" / "sub").mkdir(parents=True)
    (tmp_path / "all" / "top.md").write_text("x", encoding="utf-8")
    (tmp_path / "all" / "sub" / "a.md").write_text("x", encoding="utf-8")
    config = config_from_dict({"sources": ["all/sub", "all"]}, tmp_path / "config.yaml")
    files, problems = discover_files(config)
    assert [f.rel for f in files] == ["sub/a.md", "top.md"]
    assert problems == []


NAME = st.text(st.sampled_from("aMdDkKsS.-_ 文章\u212aİſß\n"), max_size=12)


@pytest.mark.slow
@settings(max_examples=500, deadline=None)
@given(
    name=NAME,
    patterns=st.sampled_from(
        [["*.md", "*.markdown", "*.html", "*.txt"], ["*.MD"], ["*.文章", "*k"], ["*ss", "*.ß"]]
    ),
)
def test_suffix_patterns_match_as_fnmatch_does(name: str, patterns: list[str]) -> None:
    assert _matcher(patterns)(name) == _regex_matcher([p.casefold() for p in patterns])(name)


def test_patterns_with_wildcards_after_the_star_use_fnmatch() -> None:
    matches = _matcher(["*.m?"])
    assert matches("a.md") and matches("A.MK") and not matches("a.mdx")


def test_names_and_patterns_are_compared_casefolded() -> None:
    assert _matcher(["*.md"])("标题.MD")
    assert _matcher(["*.rss"])("x.rſs")  # ſ is a long s
    assert _matcher(["*.m?"])("X.MD")  # the regex path folds too
    assert not _matcher(["*.md"])("a.md.bak")


def test_no_patterns_match_every_name() -> None:
    assert _matcher([])("anything.bin")  # as fnmatch's empty alternation always did


def test_a_source_made_fast_is_the_source_its_fields_make() -> None:
    values = ("file", "/a/b.md", "b.md", "1:2:3:4", "data")
    made = make_source(*values)
    assert made == Source(*values) and repr(made) == repr(Source(*values))
    assert hash(made) == hash(Source(*values))
    assert [getattr(made, name) for name in Source.__slots__] == list(values)  # every slot set
    assert make_source(*values[:4]) == Source(*values[:4])
    assert make_source(*values[:4]).data == ""


def _write_bytes_name(folder: Path, name: bytes, text: str) -> None:
    path = os.path.join(os.fsencode(folder), name)
    with open(path, "wb") as file:
        file.write(text.encode("utf-8"))


def test_a_name_that_is_not_utf8_is_reported_not_read(tmp_path: Path) -> None:
    src = tmp_path / "src"
    (src / "ok").mkdir(parents=True)
    (src / "ok" / "好.md").write_text("x", encoding="utf-8")
    _write_bytes_name(src / "ok", b"bad\xff.md", "x")
    _write_bytes_name(src / "ok", b"notes\xff.json", "{}")  # not an article: not reported
    os.mkdir(os.path.join(os.fsencode(src), b"dir\xfe"))
    _write_bytes_name(src / os.fsdecode(b"dir\xfe"), b"inside.md", "x")
    os.mkdir(os.path.join(os.fsencode(src), b".hidden\xfe"))
    files, problems = discover_files(make_config(tmp_path, sources=["src"]))
    assert [f.rel for f in files] == ["ok/好.md"]
    assert [(p.path, p.stage, p.skipped) for p in problems] == [
        ("dir\\xfe/", "discover", True),
        ("ok/bad\\xff.md", "discover", True),
    ]
    assert all("not UTF-8" in p.reason for p in problems)


def test_a_build_beside_a_name_that_is_not_utf8_reports_it_and_goes_on(tmp_path: Path) -> None:
    articles = tmp_path / "articles"
    write_article(articles, "good.md", title="好文章")
    bad = os.path.join(os.fsencode(articles), b"bad\xff.md")
    os.link(articles / "good.md", bad)
    config = tmp_path / "config.yaml"
    config.write_text("sources: [articles]\noutput: out\n", encoding="utf-8")
    report = build_json(CliRunner(), config)
    assert report["articles"] == 1
    assert [(p["path"], p["stage"]) for p in report["problems"]] == [("bad\\xff.md", "discover")]
    feed = (tmp_path / "out" / "jinrong.rss.xml").read_text("utf-8")
    assert feed.count("<item>") == 1 and "好文章" in feed
    again = build_json(CliRunner(), config)  # the shortcut: nothing changed
    assert again["articles"] == 1 and len(again["problems"]) == 1
