"""``feeds archive``: feed entries out as article files in the archive's shape, read back by
a build as the archive's own files are."""

from __future__ import annotations

import json
from pathlib import Path

import feedparser
import yaml
from typer.testing import CliRunner

from feeds.cli.app import app
from tests.feedserver import FIXTURES
from tests.test_feed_sources import fixture_entries, published, write_config

NAMES = ["rss2.xml", "atom.xml", "rdf.xml", "feed.json", "gb18030.xml"]


def archive(runner: CliRunner, config: Path, into: Path) -> str:
    result = runner.invoke(app, ["archive", "-c", str(config), "--into", str(into)])
    assert result.exit_code == 0, result.output
    return result.stdout


def test_archived_entries_build_back_to_the_same_items(runner: CliRunner, tmp_path: Path) -> None:
    sources = [{"feed": str(FIXTURES / name)} for name in NAMES]
    sources[0] |= {"categories": ["科技", "36kr"]}
    config = write_config(tmp_path / "site", sources)
    into = tmp_path / "archive"
    assert archive(runner, config, into).startswith("Archived 11 entries")
    files = sorted(into.rglob("*.md"))
    assert len(files) == 11
    for path in files:
        text = path.read_text(encoding="utf-8")
        assert text.startswith("\n---\ntitle: '") and text.endswith("\n</div>            ")
        front = yaml.safe_load(text.split("---")[1])
        assert front["comments"] is False and front["categories"]
    assert {p.parent.relative_to(into).as_posix() for p in files} == {
        "科技/36kr", "少数派", "Slashdot Example", "掘金 JSON", "新浪财经－国内"
    }  # fmt: skip
    # the same entries, the same names: nothing written again
    assert "(0 written, 11 unchanged" in archive(runner, config, into)
    assert sorted(into.rglob("*.md")) == files
    # and a build of the archive publishes every entry with its link and date
    out = tmp_path / "out"
    result = runner.invoke(
        app, ["build", "--source", str(into), "--output", str(out), "--json", "-c", str(config)]
    )
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["skipped"] == 0 and report["articles"] == 11
    everything = published(out, report, "")
    for name in NAMES:
        for link, date in fixture_entries(name):
            assert everything[link] == date, (name, link)
    (feed,) = [f for f in report["feeds"] if f["name"] == "科技/36kr"]
    rss = feedparser.parse(out / feed["files"]["rss"])
    assert {e.title for e in rss.entries} >= {"电动车企业三季度交付量创新高"}


def test_archive_needs_feed_sources(runner: CliRunner, tmp_path: Path) -> None:
    (tmp_path / "articles").mkdir()
    config = write_config(tmp_path / "site", [str(tmp_path / "articles")])
    result = runner.invoke(app, ["archive", "-c", str(config), "--into", str(tmp_path / "a")])
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: no feed sources to archive")


def test_archive_tells_each_feed_it_skipped_or_repaired(runner: CliRunner, tmp_path: Path) -> None:
    missing = tmp_path / "gone.xml"
    sources = [{"feed": str(FIXTURES / name)} for name in ("rss2.xml", "entities.xml")]
    config = write_config(tmp_path / "site", [*sources, {"feed": str(missing)}])
    result = runner.invoke(app, ["archive", "-c", str(config), "--into", str(tmp_path / "a")])
    assert result.exit_code == 0, result.output
    lines = result.stderr.splitlines()
    # a feed read all the same is a note; one that could not be read at all, a skip
    assert [line.split(": ")[0] for line in lines] == ["note", "skipped"], lines
    assert lines[0].startswith(f"note: {FIXTURES / 'entities.xml'}: feed: ")
    assert lines[1].startswith(f"skipped: {missing}: ")
