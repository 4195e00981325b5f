"""Feed sources that hold what no text can: a character reference or a JSON escape of a lone
UTF-16 surrogate, an entry that says nothing. Each is repaired or skipped with a reason, and
never costs another feed its items."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import feedparser
import pytest
import yaml
from typer.testing import CliRunner, Result

from feeds.cli.app import app
from feeds.read.entries import Record
from tests.feedserver import FeedServer, serve_feeds
from tests.helpers import write_article
from tests.test_feed_sources import write_config

EMPTY = "an empty entry (no title, content, summary or link)"

GOOD_RSS = """<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>Good RSS</title><link>https://ex.com/</link>
<description>d</description>
<item><title>Good one</title><link>https://ex.com/1</link><guid>g1</guid>
<pubDate>Tue, 03 Jan 2023 10:00:00 +0000</pubDate><description>fine body</description></item>
</channel></rss>
"""


def rss(title: str, *items: str, encoding: str = "utf-8") -> str:
    return (
        f'<?xml version="1.0" encoding="{encoding}"?>\n<rss version="2.0"><channel>'
        f"<title>{title}</title><link>https://ex.org/</link><description>d</description>"
        + "".join(items)
        + "</channel></rss>\n"
    )


def item(title: str, n: int, body: str = "x") -> str:
    return (
        f"<item><title>{title}</title><link>https://ex.org/{n}</link><guid>g{n}</guid>"
        f"<pubDate>Tue, 03 Jan 2023 1{n}:00:00 +0000</pubDate>"
        f"<description>{body}</description></item>"
    )


SUR_RSS = rss("Sur RSS", item("Char ref &#xDCFF; here", 2))


def json_feed(title: str, items: list[dict[str, Any]]) -> str:
    """A JSON Feed in ASCII: each lone surrogate a ``\\udcff`` escape, as json writes it."""
    return json.dumps(
        {"version": "https://jsonfeed.org/version/1.1", "title": title, "items": items}
    )


def write(folder: Path, name: str, text: str, encoding: str = "utf-8") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_bytes(text.encode(encoding))
    return path


@pytest.fixture
def server(tmp_path: Path) -> Iterator[FeedServer]:
    with serve_feeds(tmp_path / "served") as feeds:
        yield feeds


def invoked(runner: CliRunner, *args: str) -> Result:
    """A command run in this process: never an ``Error:`` line, never a traceback."""
    result = runner.invoke(app, list(args))
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert not re.search("^Error:|Traceback", result.output, re.MULTILINE), result.output
    return result


def build(runner: CliRunner, config: Path) -> dict[str, Any]:
    """``feeds build --json``, which succeeds: its report."""
    result = invoked(runner, "build", "-c", str(config), "--json", "--verbose")
    assert result.exit_code == 0
    report: dict[str, Any] = json.loads(result.stdout)
    return report


def items_of(config: Path, report: dict[str, Any], name: str) -> list[dict[str, Any]]:
    """The items of the feed of category ``name`` (``""``: all), as a JSON Feed reader has them."""
    (feed,) = [f for f in report["feeds"] if f["name"] == name]
    items: list[dict[str, Any]] = json.loads(
        (config.parent / "output" / feed["files"]["json"]).read_bytes()
    )["items"]
    return items


def rss_titles(data: bytes) -> list[str]:
    parsed = feedparser.parse(data)
    assert not parsed.bozo, parsed.get("bozo_exception")
    return [e.title for e in parsed.entries]


def problems(report: dict[str, Any]) -> list[tuple[str, str, str, bool]]:
    return [(p["path"], p["stage"], p["reason"], p["skipped"]) for p in report["problems"]]


# --- a character reference to a lone surrogate in RSS ---------------------------------------


@pytest.mark.parametrize("where", ["file", "url"])
def test_an_rss_surrogate_reference_is_read_as_fffd_beside_a_good_feed(
    runner: CliRunner, server: FeedServer, tmp_path: Path, where: str
) -> None:
    write(server.root, "sur.xml", SUR_RSS), write(server.root, "good.xml", GOOD_RSS)
    names = ["sur.xml", "good.xml"]
    feeds = [str(server.root / n) if where == "file" else server.url(f"/feeds/{n}") for n in names]
    config = write_config(tmp_path / "site", [{"feed": f} for f in feeds])
    report = build(runner, config)
    titles = {i["title"] for i in items_of(config, report, "")}
    assert titles == {"Char ref \ufffd here", "Good one"}
    ((path, stage, reason, skipped),) = problems(report)
    assert (path, stage, skipped) == (feeds[0], "feed", False)
    assert reason.startswith("1 character references to no character")
    check = invoked(runner, "check", "-c", str(config))
    assert check.exit_code == 0


def test_references_to_no_character_in_every_form_and_a_loose_feed(
    runner: CliRunner, tmp_path: Path
) -> None:
    refs = (
        "a &#xd83d;&#xde00; &#55357;&#56832; b &#xD800;&#xD800;&#xDC00; c &#56320; "
        "&#55000; d &#x110000; &#99999999999; e&nbsp;f"  # &nbsp;: not XML, read leniently
    )
    path = write(tmp_path, "refs.xml", rss("Refs", item(refs, 1, "body &#xDFFF;")))
    result = invoked(runner, "convert", str(path), "--to", "rss")
    assert result.exit_code == 0, result.output
    (title,) = rss_titles(result.stdout_bytes)
    # a pair written as two references is its character; anything else that names no
    # character is U+FFFD; a decimal reference near them that is a character stays one
    assert title == "a 😀 😀 b \ufffd𐀀 c \ufffd 훘 d \ufffd \ufffd e f"
    assert "body \ufffd" in result.stdout
    assert "note: " in result.stderr and "read leniently" in result.stderr
    assert "5 character references to no character" in result.stderr
    assert "3 surrogate pairs written as two character references joined" in result.stderr


def test_convert_reads_a_surrogate_reference_and_the_good_feed(
    runner: CliRunner, tmp_path: Path
) -> None:
    sur, good = write(tmp_path, "sur.xml", SUR_RSS), write(tmp_path, "good.xml", GOOD_RSS)
    result = invoked(runner, "convert", str(sur), str(good), "--to", "rss")
    assert result.exit_code == 0, result.output
    assert rss_titles(result.stdout_bytes) == ["Char ref \ufffd here", "Good one"]
    assert result.stderr.startswith(f"note: {sur}: feed: 1 character references")


def test_archive_writes_a_surrogate_reference_entry_without_a_traceback(
    runner: CliRunner, tmp_path: Path
) -> None:
    sur = write(tmp_path, "sur.xml", SUR_RSS)
    into = tmp_path / "archive"
    result = invoked(runner, "archive", "--into", str(into), "--source", str(sur))
    assert result.exit_code == 0, result.output
    (file,) = into.rglob("*.md")
    assert file.parent.name == "Sur RSS" and file.name.startswith("Char ref \ufffd here-")
    front = yaml.safe_load(file.read_text(encoding="utf-8").split("---")[1])
    assert front["title"] == "Char ref \ufffd here"


# --- a JSON escape of a lone surrogate in a JSON Feed ----------------------------------------

SURROGATE_FIELDS: dict[str, dict[str, Any]] = {
    "title": {"title": "T\udcff"},
    "url": {"url": "https://ex.net/a\udcff"},
    "content_html": {"content_html": "<p>c\udcff</p>"},
    "tags": {"tags": ["t\udcff"]},
    "authors": {"authors": [{"name": "A\udcff"}]},
    "image": {"image": "https://ex.net/i\udcff.png"},
}


def surrogate_item(field: str) -> dict[str, Any]:
    base = {"id": "a", "title": "T", "content_html": "<p>c</p>"}
    return base | {"date_published": "2023-01-03T10:00:00Z"} | SURROGATE_FIELDS[field]


def assert_repaired(field: str, item: dict[str, Any]) -> None:
    """The field's lone surrogate a U+FFFD, as a JSON Feed reader reads the item."""
    shown = {
        "title": lambda: item["title"] == "T\ufffd",
        "url": lambda: item["url"] == "https://ex.net/a%EF%BF%BD",
        "content_html": lambda: item["content_html"].endswith("<p>c\ufffd</p>"),
        "tags": lambda: "t\ufffd" in item["tags"],
        "authors": lambda: item["authors"] == [{"name": "A\ufffd"}],
        "image": lambda: item["image"] == "https://ex.net/i%EF%BF%BD.png",
    }
    assert shown[field](), item


@pytest.mark.parametrize("beside_a_folder", [False, True])
@pytest.mark.parametrize("field", list(SURROGATE_FIELDS))
def test_a_json_feed_surrogate_escape_is_read_as_fffd(
    runner: CliRunner, tmp_path: Path, field: str, beside_a_folder: bool
) -> None:
    site = tmp_path / "site"
    write(site, "feed.json", json_feed("J", [surrogate_item(field)]))
    folder = write_article(site / "articles", "a.md", title="文件文章").parent
    sources: list[Any] = [{"feed": "feed.json", "tags": True}]
    config = write_config(site, sources + ([str(folder)] if beside_a_folder else []))
    report = build(runner, config)
    (entry,) = items_of(config, report, "J")
    assert_repaired(field, entry)
    ((path, stage, reason, skipped),) = problems(report)
    assert (path, stage, skipped) == (str(site / "feed.json"), "feed", False)
    assert reason == "1 escapes of a lone surrogate (like \\uDCFF) read as U+FFFD"
    if beside_a_folder:
        assert {i["title"] for i in items_of(config, report, "")} >= {"文件文章"}
    check = invoked(runner, "check", "-c", str(config))
    assert check.exit_code == 0


def test_a_json_feed_with_a_surrogate_in_its_own_title_and_everywhere(
    runner: CliRunner, tmp_path: Path
) -> None:
    every = {k: v for field in SURROGATE_FIELDS for k, v in SURROGATE_FIELDS[field].items()}
    path = write(tmp_path, "feed.json", json_feed("J\udcff", [surrogate_item("title") | every]))
    result = invoked(runner, "convert", str(path), "--to", "json")
    assert result.exit_code == 0, result.output
    feed = json.loads(result.stdout)
    assert feed["title"] == "J\ufffd"
    (entry,) = feed["items"]
    for field in SURROGATE_FIELDS:
        if field != "tags":  # convert tags an item with its feed's title and its own
            assert_repaired(field, entry)
    assert set(entry["tags"]) == {"J\ufffd", "t\ufffd"}
    assert "7 escapes of a lone surrogate" in result.stderr
    # archive: the entry written, no traceback
    into = tmp_path / "archive"
    archived = invoked(runner, "archive", "--into", str(into), "--source", str(path))
    assert archived.exit_code == 0, archived.output
    (file,) = into.rglob("*.md")
    assert file.relative_to(into).parts[0] == "J\ufffd"


# --- a feed that cannot be read at all, beside a good one ----------------------------------


def test_a_feed_that_cannot_be_read_is_skipped_and_the_good_one_built(
    runner: CliRunner, tmp_path: Path
) -> None:
    # In UTF-16 the reference is not in the bytes as ASCII: feedparser fails on it, and that
    # failure is the source's, reported, while the other feed is built, converted, archived.
    site = tmp_path / "site"
    bad = write(site, "u16.xml", rss("U16", item("&#xDCFF;", 2), encoding="utf-16"), "utf-16")
    good = write(site, "good.xml", GOOD_RSS)
    config = write_config(site, [{"feed": str(bad)}, {"feed": str(good)}])
    report = build(runner, config)
    assert [i["title"] for i in items_of(config, report, "")] == ["Good one"]
    ((path, stage, reason, skipped),) = problems(report)
    assert (path, stage, skipped) == (str(bad), "feed", True)
    assert reason.startswith("unreadable (UnicodeEncodeError")
    converted = invoked(runner, "convert", str(bad), str(good), "--to", "rss")
    assert converted.exit_code == 0, converted.output
    assert rss_titles(converted.stdout_bytes) == ["Good one"]
    assert converted.stderr.startswith(f"skipped: {bad}: feed: unreadable (")
    into = tmp_path / "archive"
    archived = invoked(runner, "archive", "--into", str(into), "-c", str(config))
    assert archived.exit_code == 0, archived.output
    assert [p.parent.name for p in into.rglob("*.md")] == ["Good RSS"]
    assert "(1 written, 0 unchanged; 1 feeds failed)" in archived.stdout


# --- an entry that says nothing ----------------------------------------------------------------

EMPTY_JSON_ITEMS: list[dict[str, Any]] = [
    {},
    {"id": "y"},
    {"id": "z", "date_published": "2023-01-04T10:00:00Z", "image": "https://ex.org/i.png"},
    {"id": "real", "title": "Real", "date_published": "2023-01-03T10:00:00Z"},
    {"id": "linked", "url": "https://ex.org/only-a-link"},  # a link alone: kept
]
EMPTY_RSS_ITEMS = [
    "<item></item>",
    '<item><guid isPermaLink="false">k</guid></item>',
    "<item><title> </title><description>  </description></item>",
    item("Real RSS", 1),
]


def empty_feeds(folder: Path) -> tuple[Path, Path]:
    return (
        write(folder, "g3.json", json_feed("F", EMPTY_JSON_ITEMS)),
        write(folder, "empty.xml", rss("E", *EMPTY_RSS_ITEMS)),
    )


def test_empty_entries_are_skipped_with_a_reason_in_a_build_and_a_check(
    runner: CliRunner, tmp_path: Path
) -> None:
    site = tmp_path / "site"
    g3, xml = empty_feeds(site)
    config = write_config(site, [{"feed": str(g3)}, {"feed": str(xml)}])
    report = build(runner, config)
    items = {i.get("url"): i["title"] for i in items_of(config, report, "")}
    # the real ones, and one with a link alone (a reader can follow it); no empty one
    assert len(items) == 3 and {"Real", "Real RSS"} <= set(items.values())
    assert {"https://ex.org/1", "https://ex.org/only-a-link"} <= set(items)
    skipped = [(path, stage, reason) for path, stage, reason, s in problems(report) if s]
    assert len(skipped) == 6 and {(s, r) for _, s, r in skipped} == {("read", EMPTY)}
    assert {p.split("#")[0] for p, _, _ in skipped} == {str(g3), str(xml)}
    assert f"{g3}#y" in {p for p, _, _ in skipped} and f"{xml}#k" in {p for p, _, _ in skipped}
    check = invoked(runner, "check", "-c", str(config))
    assert check.exit_code == 1  # an entry skipped, as a file would be
    assert check.stderr.count(f"read: {EMPTY}") == 6


def test_empty_entries_are_skipped_with_a_reason_by_convert_and_archive(
    runner: CliRunner, tmp_path: Path
) -> None:
    g3, xml = empty_feeds(tmp_path)
    result = invoked(runner, "convert", str(g3), "--to", "json")
    assert result.exit_code == 0, result.output
    items = json.loads(result.stdout)["items"]
    assert len(items) == 2 and "Real" in {i["title"] for i in items}
    assert "https://ex.org/only-a-link" in {i.get("url") for i in items}
    assert result.stderr.count(f": read: {EMPTY}\n") == 3
    result = invoked(runner, "convert", str(xml), "--to", "rss")
    assert result.exit_code == 0, result.output
    assert rss_titles(result.stdout_bytes) == ["Real RSS"]
    assert result.stderr.count(f": read: {EMPTY}\n") == 3
    into = tmp_path / "archive"
    sources = ["--source", str(g3), "--source", str(xml)]
    archived = invoked(runner, "archive", "--into", str(into), *sources)
    assert archived.exit_code == 0, archived.output
    assert len(list(into.rglob("*.md"))) == 3
    assert archived.stderr.count(f"skipped: {g3}#") == 3
    assert archived.stderr.count(f"skipped: {xml}#") == 3
    assert "(3 written, 0 unchanged, 6 left out; 0 feeds failed)" in archived.stdout


def test_a_record_with_a_lone_surrogate_is_kept_in_ascii_escapes() -> None:
    # The parse repairs a feed's own text; text from elsewhere (a full text) that still holds
    # a lone surrogate must not stop the build when the record is kept, nor change when read.
    record = Record(title="J\udcff", entries=[{"id": "a", "full": "<p>c\udcff</p>"}])
    data = record.dump()
    assert data.isascii()
    assert Record.load(data) == record
