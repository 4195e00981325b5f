"""The command line, driven through CliRunner on real files in temporary folders."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import feedparser
import pytest
from typer.testing import CliRunner

from feeds import __version__
from feeds.cli.app import app
from feeds.cli.run import report_json_text
from feeds.models import Problem
from feeds.report import BuildOptions, BuildReport, FeedReport
from tests.helpers import EXAMPLES, output_files, write_article

Site = Callable[..., Path]


def test_version(runner: CliRunner) -> None:
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0
    assert result.stdout == f"feeds {__version__}\n"


@pytest.mark.parametrize("command", [[], ["build"], ["check"]])
@pytest.mark.parametrize("flag", ["-h", "--help"])
def test_every_command_has_help(runner: CliRunner, command: list[str], flag: str) -> None:
    result = runner.invoke(app, [*command, flag])
    assert result.exit_code == 0
    assert "Usage:" in result.stdout
    assert "Show this message and exit." in result.stdout


def test_python_dash_m_runs_the_cli() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "feeds", "--version"], capture_output=True, text=True, check=True
    )
    assert done.stdout == f"feeds {__version__}\n"


def test_build_examples_writes_every_format(runner: CliRunner, site: Site) -> None:
    config = site(EXAMPLES)
    result = runner.invoke(app, ["build", "--config", str(config)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    out = config.parent / "output"
    seed = "jinrong-xinlang-caijing-xinlang-caijing-guonei"  # 金融 › 新浪财经 › 新浪财经－国內
    for stem in ["all", "jinrong", "jinrong-xinlang-caijing", seed]:
        for ext in [".rss.xml", ".atom.xml", ".json"]:
            assert (out / f"{stem}{ext}").is_file(), f"{stem}{ext} missing"
    parsed = feedparser.parse((out / f"{seed}.rss.xml").read_bytes())
    assert not parsed.bozo
    titles = [e.title for e in parsed.entries]
    assert "工信部将研制中小企业数字化转型指导文件" in titles
    assert result.stdout.startswith("Read ")
    assert "wrote 46 feeds and 75 site files (213 files, 213 changed)" in result.stdout


def test_second_run_changes_no_byte_and_no_mtime(runner: CliRunner, site: Site) -> None:
    config = site(EXAMPLES)
    first = runner.invoke(app, ["build", "-c", str(config), "--json"])
    assert first.exit_code == 0, first.output
    out = config.parent / "output"
    before = {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in output_files(out)}
    second = runner.invoke(app, ["build", "-c", str(config), "--json"])
    assert second.exit_code == 0, second.output
    after = {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in output_files(out)}
    assert json.loads(first.stdout)["changed"], "the first build wrote nothing"
    assert json.loads(second.stdout)["changed"] == []
    assert after == before


def test_json_report_shape(runner: CliRunner, site: Site, tmp_path: Path) -> None:
    config = site()
    articles = config.parent / "articles"
    write_article(articles, "a.md", title="第一篇", categories=("金融", "新浪财经"))
    write_article(articles, "b.md", title="Second", categories=("Technology",))
    (articles / "broken.md").write_text("no front matter here", encoding="utf-8")
    result = runner.invoke(app, ["build", "-c", str(config), "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    feeds = {f["name"]: f for f in report["feeds"]}
    assert set(feeds) == {"", "金融", "金融/新浪财经", "Technology"}
    assert feeds["金融/新浪财经"] == {
        "name": "金融/新浪财经",
        "path": ["金融", "新浪财经"],
        "slug": "jinrong-xinlang-caijing",
        "items": 1,
        "files": {
            "rss": "jinrong-xinlang-caijing.rss.xml",
            "atom": "jinrong-xinlang-caijing.atom.xml",
            "json": "jinrong-xinlang-caijing.json",
        },
    }
    assert feeds["金融"]["path"] == ["金融"] and feeds[""]["path"] == []
    assert feeds[""]["items"] == 2
    assert report["articles"] == 2
    assert report["skipped"] == 1
    assert report["problems"] == [
        {
            "path": "broken.md",
            "stage": "frontmatter",
            "reason": "no front matter block",
            "skipped": True,
        }
    ]
    assert "all.rss.xml" in report["changed"]
    assert "skipped: broken.md: frontmatter: no front matter block\n" in result.stderr


def test_json_report_text_is_as_the_json_module_writes_it(runner: CliRunner, site: Site) -> None:
    """msgspec writes the report (quicker); its text must be json.dumps's, byte for byte."""
    config = site()
    articles = config.parent / "articles"
    write_article(articles, "a.md", title='第一篇 "引号" \\ \t', categories=("金融", "新浪财经"))
    (articles / "broken.md").write_text("no front matter here", encoding="utf-8")
    for _ in range(2):  # a build, then one with nothing to do
        result = runner.invoke(app, ["build", "-c", str(config), "--json"])
        assert result.exit_code == 0, result.output
        value = json.loads(result.stdout)
        assert value["feeds"] and value["problems"]
        assert result.stdout == json.dumps(value, ensure_ascii=False, indent=2) + "\n"


def test_json_report_keeps_a_file_name_that_is_not_utf8() -> None:
    report = BuildReport(problems=[Problem("bad-\udcff.md", "frontmatter", "no front matter")])
    report.feeds = [FeedReport("", [], "all", 0, {"rss": "all.rss.xml"})]
    text = report_json_text(report, BuildOptions(write=True))
    value = json.loads(text)
    assert value["problems"][0]["path"] == "bad-\udcff.md"
    assert text == json.dumps(value, ensure_ascii=False, indent=2)


def test_strict_turns_a_skip_into_exit_1(runner: CliRunner, site: Site) -> None:
    config = site()
    articles = config.parent / "articles"
    write_article(articles, "good.md")
    (articles / "bad.md").write_text("", encoding="utf-8")
    assert runner.invoke(app, ["build", "-c", str(config)]).exit_code == 0
    strict = runner.invoke(app, ["build", "-c", str(config), "--strict"])
    assert strict.exit_code == 1
    assert (config.parent / "output" / "all.rss.xml").is_file()


def test_limit_option_overrides_config(runner: CliRunner, site: Site) -> None:
    config = site(limit=10)
    articles = config.parent / "articles"
    for day in range(1, 6):
        write_article(articles, f"{day}.md", title=f"第{day}天", date=f"2022-05-0{day} 10:00:00")
    result = runner.invoke(app, ["build", "-c", str(config), "--limit", "2"])
    assert result.exit_code == 0, result.output
    parsed = feedparser.parse((config.parent / "output" / "all.atom.xml").read_bytes())
    assert [e.title for e in parsed.entries] == ["第5天", "第4天"]


def test_source_and_output_options(runner: CliRunner, site: Site, tmp_path: Path) -> None:
    config = site()
    other = tmp_path / "elsewhere"
    write_article(other, "x.md", title="来自别处", categories=("Elsewhere",))
    out = tmp_path / "public"
    result = runner.invoke(
        app, ["build", "-c", str(config), "--source", str(other), "--output", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert (out / "elsewhere.json").is_file()
    assert not (config.parent / "output").exists()


def test_quiet_prints_only_new_skips(runner: CliRunner, site: Site) -> None:
    # From cron: a mail for a file newly skipped, none every ten minutes after it.
    config = site()
    write_article(config.parent / "articles", "a.md", title="无日期", date="Invalid Date")
    (config.parent / "articles" / "bad.md").write_text("x", encoding="utf-8")
    result = runner.invoke(app, ["build", "-c", str(config), "--quiet"])
    assert (result.exit_code, result.stdout) == (0, "")
    assert result.stderr == "skipped: bad.md: frontmatter: no front matter block\n"  # no note
    write_article(config.parent / "articles", "b.md", title="新")  # a change, then none
    for _ in range(2):
        again = runner.invoke(app, ["build", "-c", str(config), "--quiet"])
        assert (again.exit_code, again.stdout, again.stderr) == (0, "", "")


def test_a_run_tells_only_what_is_new_unless_verbose(runner: CliRunner, site: Site) -> None:
    config = site()
    write_article(config.parent / "articles", "a.md", title="无日期", date="Invalid Date")
    (config.parent / "articles" / "bad.md").write_text("x", encoding="utf-8")
    note = "note: a.md: date: 'Invalid Date' is not a date; used the file's modification time\n"
    skip = "skipped: bad.md: frontmatter: no front matter block\n"
    first = runner.invoke(app, ["build", "-c", str(config)])
    assert first.stderr == note + skip
    write_article(config.parent / "articles", "b.md", title="新")
    second = runner.invoke(app, ["build", "-c", str(config)])
    assert second.stderr == ""
    assert "(1 parsed, 2 from cache; 1 skipped, 1 notes)" in second.stdout  # still counted
    verbose = runner.invoke(app, ["build", "-c", str(config), "--verbose"])
    assert verbose.stderr == note + skip
    check = runner.invoke(app, ["check", "-c", str(config)])
    assert (check.exit_code, check.stderr) == (1, note + skip)
    (config.parent / "articles" / "bad.md").write_text("still bad", encoding="utf-8")
    changed = runner.invoke(app, ["build", "-c", str(config)])
    assert changed.stderr == ""  # the same skip, for the same reason: no news


def test_an_error_is_a_json_object_too_under_json(runner: CliRunner, site: Site) -> None:
    config = site(limit=-1)
    result = runner.invoke(app, ["build", "-c", str(config), "--json"])
    assert result.exit_code == 1
    message = f"{config}: limit: must be a positive integer, got -1"
    assert json.loads(result.stdout) == {"error": message, "exit_code": 1}
    assert result.stderr == f"Error: {message}\n"


def test_check_writes_nothing_and_fails_on_skips(runner: CliRunner, site: Site) -> None:
    config = site()
    write_article(config.parent / "articles", "a.md")
    ok = runner.invoke(app, ["check", "-c", str(config)])
    assert ok.exit_code == 0, ok.output
    assert "would write" in ok.stdout
    (config.parent / "articles" / "bad.md").write_text("\x00\x01binary", encoding="utf-8")
    bad = runner.invoke(app, ["check", "-c", str(config)])
    assert bad.exit_code == 1
    assert "skipped: bad.md: read:" in bad.stderr
    assert not (config.parent / "output").exists()


@pytest.mark.parametrize(
    ("yaml_text", "message"),
    [
        ("limit: -1\n", "limit: must be a positive integer, got -1"),
        ("formats: [rss, xml]\n", "formats[1]: must be one of rss, atom, json, got 'xml'"),
        ("colour: blue\n", "colour: unknown key (expected one of: site, sources, output, "),
        ("site: {tz: UTC}\n", "site.tz: unknown key"),
        ("limit: ten\n", "limit: expected an integer, got 'ten'"),
        ("sources: [nowhere]\n", "sources[0]: no such folder: "),
        ("sources: [{folder: nowhere}]\n", "sources[0]: no such folder: "),
        ("sources: [{folder: a, feed: b}]\n", "sources[0]: name a folder or a feed, not both"),
        ("sources: [{category_mode: flat}]\n", "sources[0]: name a folder or a feed, not both"),
        ("sources: [{folder: a, mode: flat}]\n", "sources[0].mode: unknown key"),
        ("categories: {mode: tree}\n", "categories.mode: must be one of path, flat, got 'tree'"),
        (
            "sources: [{folder: a, base_url: /blog/}]\n",
            "sources[0].base_url: must be an absolute http(s) URL, got '/blog/'",
        ),
        ("- a\n- b\n", "must contain a mapping of settings"),
        ("limit: [\n", "not valid YAML"),
        ("categories: {feeds: {金融: {slug: ../x}}}\n", "categories.feeds.金融.slug: '../x' is"),
        ("clean: {remove: ['p..bad']}\n", "clean.remove: invalid CSS selector 'p..bad'"),
        ("clean: {remove_text: ['(']}\n", "clean.remove_text: invalid regular expression"),
        ("cache: {path: /}\n", "cache.path: must name a file, got '/'"),
        ("categories: {aliases: {金融: ' '}}\n", "categories.aliases.金融: ' ' is not a category"),
    ],
)
def test_bad_config_is_one_error_line(
    runner: CliRunner, tmp_path: Path, yaml_text: str, message: str
) -> None:
    config = tmp_path / "config.yaml"
    config.write_text(yaml_text, encoding="utf-8")
    result = runner.invoke(app, ["build", "-c", str(config)])
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr.startswith(f"Error: {config}: {message}")
    assert result.stderr.count("\n") == 1
    assert not (tmp_path / "output").exists()


def test_missing_config_file(runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(app, ["build", "-c", str(tmp_path / "nope.yaml")])
    assert result.exit_code == 1
    assert result.stderr == f"Error: {tmp_path / 'nope.yaml'}: file not found\n"


def test_unwritable_output_is_a_config_error(runner: CliRunner, site: Site) -> None:
    config = site(output="output/feeds")
    write_article(config.parent / "articles", "a.md")
    (config.parent / "output").write_text("a file where a folder should be", encoding="utf-8")
    result = runner.invoke(app, ["build", "-c", str(config)])
    assert result.exit_code == 1
    assert result.stderr.startswith(f"Error: {config}: output: cannot write to ")


def test_a_folder_in_place_of_the_lock_is_one_error_line(runner: CliRunner, site: Site) -> None:
    config = site()
    write_article(config.parent / "articles", "a.md")
    lock = config.parent / "output" / ".feeds.lock"
    lock.mkdir(parents=True)
    result = runner.invoke(app, ["build", "-c", str(config)])
    assert result.exit_code == 1
    assert result.stderr == f"Error: cannot lock {lock}: Is a directory\n"


@pytest.mark.parametrize(
    "cache", ["output/.feeds", "output/all.json", "output/sub/c.sqlite", "output"]
)
@pytest.mark.parametrize("command", ["build", "check"])
def test_a_cache_in_the_output_folder_is_one_error_line(
    runner: CliRunner, site: Site, cache: str, command: str
) -> None:
    # Served to the world; output/.feeds locked output/.feeds.lock, which the build holds,
    # and waited for itself for ever; output/all.json took the feed's place.
    config = site(cache={"path": cache})
    write_article(config.parent / "articles", "a.md")
    result = runner.invoke(app, [command, "-c", str(config)])
    assert result.exit_code == 1
    assert result.stderr == (
        f"Error: {config}: cache.path: the cache {config.parent / cache} would be inside the "
        f"output folder {config.parent / 'output'}, which is served as it is (set cache.path "
        "to a file outside it, or cache.enabled: false)\n"
    )
    assert not (config.parent / "output").exists()


def test_a_link_in_the_output_folder_to_a_cache_elsewhere_is_refused(
    runner: CliRunner, site: Site
) -> None:
    # The link (and the lock beside it) would be served with the feeds.
    config = site(cache={"path": "output/c.sqlite"})
    write_article(config.parent / "articles", "a.md")
    (config.parent / "output").mkdir()
    (config.parent / "elsewhere").mkdir()
    (config.parent / "output" / "c.sqlite").symlink_to(config.parent / "elsewhere" / "c.sqlite")
    result = runner.invoke(app, ["build", "-c", str(config)])
    assert result.exit_code == 1
    assert "would be inside the output folder" in result.stderr
    assert sorted(p.name for p in (config.parent / "output").iterdir()) == ["c.sqlite"]


def test_usage_error_exits_2(runner: CliRunner) -> None:
    assert runner.invoke(app, ["build", "--limit", "0"]).exit_code == 2
    assert runner.invoke(app, ["build", "--no-such-flag"]).exit_code == 2


@pytest.mark.parametrize(
    ("args", "error"),
    [
        (
            ["--jobs", "-1"],
            "Error: Invalid value for '--jobs' / '-j': -1 is not in the range x>=0.",
        ),
        (["--no-such-flag"], "Error: No such option: --no-such-flag"),
    ],
)
def test_a_usage_error_ends_in_one_plain_error_line(
    runner: CliRunner, args: list[str], error: str
) -> None:
    result = runner.invoke(app, ["build", *args])
    assert result.exit_code == 2
    assert result.stderr.splitlines()[-1] == error
    assert "╭" not in result.stderr  # no box drawn around it


def test_an_unwritable_feed_file_is_one_clear_error(runner: CliRunner, site: Site) -> None:
    config = site()
    write_article(config.parent / "articles", "a.md")
    assert runner.invoke(app, ["build", "-c", str(config)]).exit_code == 0
    (config.parent / "output" / "all.rss.xml").unlink()
    (config.parent / "output" / "all.rss.xml").mkdir()  # a folder in the place of its file
    result = runner.invoke(app, ["build", "-c", str(config)])
    assert result.exit_code == 1
    out = config.parent / "output"
    assert result.stderr == f"Error: cannot write {out / 'all.rss.xml'}: Is a directory\n"
