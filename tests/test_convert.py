"""``feeds convert``: every fixture in, one valid feed out, read back as clients read it."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import feedparser
import pytest
from lxml import etree
from typer.testing import CliRunner

from feeds.cli.app import app
from tests.feedserver import FIXTURES, FeedServer, serve_feeds
from tests.test_build import assert_valid_atom, assert_valid_rss
from tests.test_feed_sources import TEASERS, fixture_entries

FIXTURE_NAMES = ["rss2.xml", "atom.xml", "rdf.xml", "feed.json", "gb18030.xml"]
OLD_DIALECTS = ["rss091.xml", "atom03.xml"]  # RSS 0.91 in Latin-1, undated; Atom 0.3
LOOSE = ["entities.xml"]  # HTML entities and bare ampersands: not XML, read all the same


@pytest.fixture
def server(tmp_path: Path) -> Iterator[FeedServer]:
    with serve_feeds(tmp_path / "served") as feeds:
        yield feeds


@pytest.fixture(autouse=True)
def no_config_here(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # the defaults: no config.yaml in the folder


def convert(runner: CliRunner, *args: str, stdin: bytes | None = None) -> bytes:
    result = runner.invoke(app, ["convert", *args], input=stdin)
    assert result.exit_code == 0, result.output
    return result.stdout_bytes


def read_back(data: bytes, fmt: str) -> list[tuple[str, str]]:
    """(link, title) of every item, as a reader gets them; the document checked valid."""
    if fmt == "json":
        feed = json.loads(data)
        assert feed["version"] == "https://jsonfeed.org/version/1.1"
        assert all(item["id"] and item["content_html"] for item in feed["items"])
        return [(item["url"], item["title"]) for item in feed["items"]]
    parsed = feedparser.parse(data)
    assert not parsed.bozo, parsed.get("bozo_exception")
    root = etree.fromstring(data)
    (assert_valid_rss if fmt == "rss" else assert_valid_atom)(root)
    return [(e.link, e.title) for e in parsed.entries]


@pytest.mark.parametrize("fmt", ["rss", "atom", "json"])
@pytest.mark.parametrize("name", FIXTURE_NAMES + OLD_DIALECTS + LOOSE)
def test_every_fixture_converts_to_a_valid_feed_with_every_entry(
    runner: CliRunner, name: str, fmt: str
) -> None:
    items = read_back(convert(runner, str(FIXTURES / name), "--to", fmt), fmt)
    expected = fixture_entries(name)
    assert sorted(link for link, _ in items) == sorted(link for link, _ in expected)
    by_link = dict(expected)
    dates = [by_link[link] for link, _ in items]
    assert dates == sorted(dates, key=lambda d: -(d or 0))  # newest first


def test_inputs_merge_newest_first_one_copy_each(runner: CliRunner, server: FeedServer) -> None:
    urls = [server.url(f"/feeds/{name}") for name in FIXTURE_NAMES]
    data = convert(runner, *urls, str(FIXTURES / "rss2.xml"), "--to", "atom")
    items = read_back(data, "atom")
    assert len(items) == 11  # rss2.xml twice: its entries once
    dates = [e.updated_parsed for e in feedparser.parse(data).entries]
    assert dates == sorted(dates, reverse=True)
    assert set(server.paths()) == {f"/feeds/{name}" for name in FIXTURE_NAMES}


def test_stdin_and_output_file(runner: CliRunner, tmp_path: Path) -> None:
    out = tmp_path / "merged.json"
    stdin = (FIXTURES / "gb18030.xml").read_bytes()
    assert convert(runner, "-", "--to", "json", "--output", str(out), stdin=stdin) == b""
    feed = json.loads(out.read_bytes())
    assert feed["feed_url"].endswith("/merged.json")
    titles = [item["title"] for item in feed["items"]]
    assert titles == ["工信部将研制中小企业数字化转型指导文件", "央行：保持流动性合理充裕"]


def test_shaping_options(runner: CliRunner) -> None:
    rss, atom = str(FIXTURES / "rss2.xml"), str(FIXTURES / "atom.xml")
    items = read_back(convert(runner, rss, atom, "--filterout", "播客|键盘"), "rss")
    assert len(items) == 3
    items = read_back(convert(runner, rss, atom, "--limit-each", "1", "--limit", "1"), "rss")
    assert [title for _, title in items] == ["效率工具推荐：十月篇"]
    only = convert(runner, rss, "--filter", "^融资$", "--filter-field", "category", "--to", "json")
    (item,) = json.loads(only)["items"]
    assert item["title"] == "芯片公司完成新一轮融资"
    short = json.loads(convert(runner, atom, "--brief", "8", "--to", "json", "--title", "短"))
    assert short["title"] == "短"
    assert all("<em>" not in item["content_html"] for item in short["items"])


def test_a_bad_input_is_reported_and_the_rest_converted(
    runner: CliRunner, server: FeedServer
) -> None:
    bad = server.url("/status/404")
    result = runner.invoke(app, ["convert", str(FIXTURES / "atom.xml"), bad])
    assert result.exit_code == 0
    assert f"skipped: {bad}: fetch: HTTP 404" in result.stderr
    assert len(read_back(result.stdout_bytes, "rss")) == 2
    result = runner.invoke(app, ["convert", str(FIXTURES / "page.html")])
    assert result.exit_code == 1 and result.stdout == ""
    assert result.stderr.startswith("Error: no feed could be read (")
    assert "not a feed (an HTML page)" in result.stderr


def test_full_text(runner: CliRunner, server: FeedServer) -> None:
    paragraphs = "".join(
        f"<p>Paragraph {n} of the whole article, long enough to keep.</p>" for n in range(8)
    )
    article = f"<article><h1>Whole</h1>{paragraphs}</article>"
    page = f"<html><body><nav>Menu Home</nav>{article}</body></html>"
    (server.root / "whole.html").write_text(page, encoding="utf-8")
    feed = TEASERS.format(page=server.url("/feeds/whole.html"), missing=server.url("/status/410"))
    (server.root / "teasers.xml").write_text(feed, encoding="utf-8")
    result = runner.invoke(
        app, ["convert", server.url("/feeds/teasers.xml"), "--full-text", "--to", "json"]
    )
    assert result.exit_code == 0, result.output
    items = {item["title"]: item["content_html"] for item in json.loads(result.stdout)["items"]}
    assert (
        "Paragraph 7 of the whole article" in items["完整文章"] and "Menu" not in items["完整文章"]
    )
    assert "另一段摘要" in items["失踪的文章"]
    assert "full text: " in result.stderr and "HTTP 410" in result.stderr


def test_bad_options_are_one_error_line(runner: CliRunner) -> None:
    atom = str(FIXTURES / "atom.xml")
    for args, message in [
        (["--filter", "("], "Error: --filter: not a regex: "),
        (["--filter-field", "body"], "Error: --filter-field: unknown field 'body'"),
    ]:
        result = runner.invoke(app, ["convert", atom, *args])
        assert result.exit_code == 1 and result.stdout == ""
        (line,) = result.stderr.splitlines()
        assert line.startswith(message)
