"""Feeds as sources: fetched from a server on 127.0.0.1, read, cleaned and republished."""

from __future__ import annotations

import calendar
import contextlib
import json
import socket
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import feedparser
import pytest
import yaml
from typer.testing import CliRunner

from feeds.cli.app import app
from tests.feedserver import FIXTURES, FeedServer, serve_feeds
from tests.helpers import build_json, write_article

# fixture -> the category its items go under (the config's, else the feed's title)
GOOD = {
    "rss2.xml": "科技/36kr",  # the path [科技, 36kr], by its name
    "atom.xml": "少数派",
    "feed.json": "掘金 JSON",
    "gb18030.xml": "新浪财经－国内",
}
REDIRECTED = ("rdf.xml", "Slashdot Example")
FAILING = {  # path -> stage, and a word of the reason
    "/feeds/truncated.xml": ("feed", "cut short"),
    "/feeds/page.html": ("feed", "HTML page"),
    "/cut": ("fetch", "truncated"),
    "/slow": ("fetch", "timed out"),
    "/status/404": ("fetch", "HTTP 404"),
    "/status/500": ("fetch", "HTTP 500"),
    "/loop": ("fetch", "redirects"),
}


@pytest.fixture
def server(tmp_path: Path) -> Iterator[FeedServer]:
    with serve_feeds(tmp_path / "served") as feeds:
        yield feeds


def write_config(root: Path, sources: list[Any], **settings: Any) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    config = {
        "sources": sources,
        "output": "output",
        "cache": {"path": "cache/feeds.sqlite"},
        "fetch": {"timeout": 0.5, "max_redirects": 3},
        **settings,
    }
    path = root / "config.yaml"
    path.write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    return path


def good_sources(server: FeedServer) -> list[Any]:
    sources: list[Any] = [
        {"feed": server.url("/feeds/rss2.xml"), "categories": ["科技", "36kr"], "tags": True}
    ]
    sources += [{"feed": server.url(f"/feeds/{name}")} for name in GOOD if name != "rss2.xml"]
    sources.append({"feed": server.url(f"/redirect/{REDIRECTED[0]}")})
    return sources


def fixture_entries(name: str) -> list[tuple[str, int | None]]:
    """(link, date as POSIX seconds, None if undated) of each entry of a fixture, read
    independently."""
    data = (FIXTURES / name).read_bytes()
    if name.endswith(".json"):
        items = json.loads(data)["items"]
        return [(i["url"], _seconds(i["date_published"])) for i in items]
    entries = feedparser.parse(data).entries
    found = []
    for e in entries:
        date = e.get("published_parsed") or e.get("updated_parsed")
        found.append((e.link, calendar.timegm(date) if date else None))
    return found


def _seconds(iso: str) -> int:
    from datetime import datetime

    return int(datetime.fromisoformat(iso).timestamp())


def published(out: Path, report: dict[str, Any], name: str) -> dict[str, int]:
    """Link -> date of every item of the feed of category ``name``, read back with feedparser."""
    (feed,) = [f for f in report["feeds"] if f["name"] == name]
    parsed = feedparser.parse((out / feed["files"]["atom"]).read_bytes())
    assert not parsed.bozo, parsed.get("bozo_exception")
    return {e.link: calendar.timegm(e.updated_parsed) for e in parsed.entries}


def test_every_entry_reaches_its_feeds_with_its_link_and_date(
    runner: CliRunner, server: FeedServer, tmp_path: Path
) -> None:
    config = write_config(tmp_path / "site", good_sources(server))
    report = build_json(runner, config)
    out = tmp_path / "site" / "output"
    assert report["problems"] == []
    for name, category in [*GOOD.items(), REDIRECTED]:
        expected = dict(fixture_entries(name))
        assert published(out, report, category) == expected, name
    everything = published(out, report, "")
    assert len(everything) == report["articles"] == 11
    # The config's path, and with tags: true the entries' own categories too
    assert set(published(out, report, "科技")) == set(dict(fixture_entries("rss2.xml")))
    assert list(published(out, report, "新能源")) == ["https://36kr.example.com/newsflashes/1001"]
    assert not any(f["name"] == "效率" for f in report["feeds"])  # atom.xml: tags off


def test_entries_keep_their_author_thumbnail_enclosure_and_clean_body(
    runner: CliRunner, server: FeedServer, tmp_path: Path
) -> None:
    config = write_config(tmp_path / "site", good_sources(server))
    report = build_json(runner, config)
    (feed,) = [f for f in report["feeds"] if f["name"] == "科技/36kr"]
    rss = feedparser.parse((tmp_path / "site" / "output" / feed["files"]["rss"]).read_bytes())
    items = {e.link.rsplit("/", 1)[1]: e for e in rss.entries}
    first = items["1001"]
    assert first.author == "36氪"
    assert first.media_thumbnail[0]["url"] == "https://img.36kr.example.com/thumb/1001.jpg"
    body = first.content[0].value
    assert "<strong>三季度</strong>" in body and "<script" not in body and "alert" not in body
    # a relative image in content:encoded is made absolute, against the feed's own URL
    assert f'src="{server.url("/images/1001.jpg")}"' in body
    assert items["1002"].media_thumbnail[0]["url"].endswith("/content/1002.png")  # media:content
    assert "https://cdn.36kr.example.com/podcast/1003.mp3" in items["1003"].content[0].value
    (json_feed,) = [f for f in report["feeds"] if f["name"] == "掘金 JSON"]
    data = json.loads((tmp_path / "site" / "output" / json_feed["files"]["json"]).read_bytes())
    by_url = {item["url"]: item for item in data["items"]}
    assert by_url["https://juejin.example.cn/post/4001"]["image"].endswith("/4001.webp")
    assert by_url["https://juejin.example.cn/post/4001"]["authors"][0]["name"] == "程序员小李"
    assert "第二段：图片与字体。" in by_url["https://juejin.example.cn/post/4002"]["content_html"]
    (gb,) = [f for f in report["feeds"] if f["name"] == "新浪财经－国内"]
    text = (tmp_path / "site" / "output" / gb["files"]["rss"]).read_text(encoding="utf-8")
    assert "工信部将研制中小企业数字化转型指导文件" in text and "𠀀" in text


def test_the_second_run_asks_conditionally_gets_304_and_parses_nothing(
    runner: CliRunner, server: FeedServer, tmp_path: Path
) -> None:
    config = write_config(tmp_path / "site", good_sources(server))
    first = build_json(runner, config)
    assert first["parsed"] == 11
    asked = server.requests[:]
    assert all(h["user-agent"].startswith("feeds/") and "http" in h["user-agent"] for _, h in asked)
    assert all("gzip" in h["accept-encoding"] for _, h in asked)
    server.clear()
    second = build_json(runner, config)
    assert (second["parsed"], second["cached"], second["loaded"]) == (0, 11, 0)
    assert second["changed"] == [] and second["problems"] == []
    feeds_asked = [(p, h) for p, h in server.requests if p.startswith("/feeds/")]
    assert len(feeds_asked) == len(GOOD) + 1  # and the redirect's target
    for path, headers in feeds_asked:
        assert headers.get("if-none-match", "").startswith('"'), path
        assert headers.get("if-modified-since") == "Wed, 05 Oct 2022 09:00:00 GMT", path


def test_a_new_entry_is_one_parse(runner: CliRunner, server: FeedServer, tmp_path: Path) -> None:
    config = write_config(tmp_path / "site", good_sources(server))
    build_json(runner, config)
    rss = server.root / "rss2.xml"
    new_item = """<item><title>新条目</title><link>https://36kr.example.com/newsflashes/1004</link>
      <guid isPermaLink="false">36kr-1004</guid><pubDate>Thu, 06 Oct 2022 08:00:00 GMT</pubDate>
      <description>新的一条快讯。</description></item>
    """
    rss.write_text(rss.read_text("utf-8").replace("<item>", new_item + "<item>", 1), "utf-8")
    report = build_json(runner, config)
    assert (report["parsed"], report["cached"]) == (1, 11)
    links = published(tmp_path / "site" / "output", report, "科技/36kr")
    assert "https://36kr.example.com/newsflashes/1004" in links and len(links) == 4
    # an entry that leaves its feed leaves its feeds, and the cache
    text = rss.read_text("utf-8")
    rss.write_text(text[: text.index("<item>")] + text[text.index("</item>") + 7 :], "utf-8")
    report = build_json(runner, config)
    assert (report["parsed"], report["cached"]) == (0, 11)
    assert "https://36kr.example.com/newsflashes/1004" not in published(
        tmp_path / "site" / "output", report, "科技/36kr"
    )
    with contextlib.closing(sqlite3.connect(tmp_path / "site" / "cache" / "feeds.sqlite")) as db:
        keys = [key for (key,) in db.execute("SELECT key FROM sources")]
    assert len(keys) == 11 and not any(key.endswith("#36kr-1004") for key in keys)


def test_failing_feeds_are_reported_and_nothing_else_is_fetched(
    runner: CliRunner, server: FeedServer, tmp_path: Path
) -> None:
    sources = good_sources(server) + [{"feed": server.url(path)} for path in FAILING]
    config = write_config(tmp_path / "site", sources)
    report = build_json(runner, config)
    assert report["articles"] == 11
    problems = {p["path"]: p for p in report["problems"]}
    assert set(problems) == {server.url(path) for path in FAILING}
    for path, (stage, words) in FAILING.items():
        problem = problems[server.url(path)]
        assert problem["stage"] == stage and words in problem["reason"], problem
        assert problem["skipped"]
    configured = {s["feed"].removeprefix(server.url("")) for s in sources}
    followed = {"/feeds/rdf.xml", "/loop"}  # the redirect's target; the loop's own
    assert set(server.paths()) == configured | followed


def test_tls_and_refused_connections_are_reported(
    runner: CliRunner, server: FeedServer, tmp_path: Path
) -> None:
    with socket.socket() as probe:  # a port nobody listens on once it is closed
        probe.bind(("127.0.0.1", 0))
        free = probe.getsockname()[1]
    tls = f"https://127.0.0.1:{server.port}/feeds/rss2.xml"  # TLS to a plain HTTP server
    refused = f"http://127.0.0.1:{free}/feed.xml"
    config = write_config(tmp_path / "site", [{"feed": tls}, {"feed": refused}])
    report = build_json(runner, config)
    reasons = {p["path"]: (p["stage"], p["reason"]) for p in report["problems"]}
    assert reasons[tls][0] == reasons[refused][0] == "fetch"
    assert reasons[tls][1].startswith("cannot connect: ") and "SSL" in reasons[tls][1]
    assert reasons[refused][1].startswith("cannot connect: ") and "refused" in reasons[refused][1]


def test_a_server_that_asks_to_wait_is_not_asked_again_before_then(
    runner: CliRunner, server: FeedServer, tmp_path: Path
) -> None:
    config = write_config(tmp_path / "site", [{"feed": server.url("/busy")}])
    (first,) = build_json(runner, config)["problems"]
    assert (
        first["reason"] == "HTTP 429 Too Many Requests (asked to wait 3600 s)" and first["skipped"]
    )
    server.clear()
    (second,) = build_json(runner, config)["problems"]
    assert server.paths() == []
    assert "asked not to be fetched before" in second["reason"] and not second["skipped"]


def test_one_request_at_a_time_per_host(
    runner: CliRunner, server: FeedServer, tmp_path: Path
) -> None:
    sources = [{"feed": server.url(f"/hold?{n}")} for n in range(3)]
    config = write_config(tmp_path / "site", sources, fetch={"parallel": 4})
    runner.invoke(app, ["build", "-c", str(config), "--json"])
    assert sorted(server.paths()) == ["/hold?0", "/hold?1", "/hold?2"]
    assert server.most_in_flight == 1


def test_a_feed_over_the_size_limit_is_refused(
    runner: CliRunner, server: FeedServer, tmp_path: Path
) -> None:
    sources = [{"feed": server.url("/feeds/rss2.xml")}, {"feed": server.url("/feeds/atom.xml")}]
    size = len((FIXTURES / "atom.xml").read_bytes())
    config = write_config(tmp_path / "site", sources, fetch={"max_bytes": size + 10})
    report = build_json(runner, config, "--force")
    (problem,) = report["problems"]
    assert problem["path"] == server.url("/feeds/rss2.xml")
    assert "larger than fetch.max_bytes" in problem["reason"]
    assert report["articles"] == 2


def test_a_failing_feed_keeps_the_items_of_its_last_good_fetch(
    runner: CliRunner, server: FeedServer, tmp_path: Path
) -> None:
    config = write_config(tmp_path / "site", good_sources(server))
    first = build_json(runner, config)
    out = tmp_path / "site" / "output"
    before = published(out, first, "科技/36kr")
    server.broken.add("/feeds/rss2.xml")
    result = runner.invoke(app, ["build", "-c", str(config), "--json"])
    assert result.exit_code == 0, result.output
    second = json.loads(result.stdout)
    assert published(out, second, "科技/36kr") == before and len(before) == 3
    (problem,) = second["problems"]
    assert problem["path"] == server.url("/feeds/rss2.xml") and problem["stage"] == "fetch"
    assert "HTTP 500" in problem["reason"] and "kept" in problem["reason"]
    assert "HTTP 500" in result.stderr
    # the feed's page turned into HTML: not a feed, the items stay too
    server.broken.clear()
    (server.root / "rss2.xml").write_bytes((FIXTURES / "page.html").read_bytes())
    third = build_json(runner, config)
    assert published(out, third, "科技/36kr") == before
    assert [p["stage"] for p in third["problems"]] == ["feed"]


def test_a_loose_feed_is_read_with_a_note(runner: CliRunner, tmp_path: Path) -> None:
    config = write_config(tmp_path / "site", [{"feed": str(FIXTURES / "entities.xml")}])
    report = build_json(runner, config)
    assert published(tmp_path / "site" / "output", report, "Loose & Real") == dict(
        fixture_entries("entities.xml")
    )
    (note,) = report["problems"]
    assert note["stage"] == "feed" and not note["skipped"] and "read leniently" in note["reason"]


def test_a_feed_does_not_hide_an_emptied_folder(runner: CliRunner, tmp_path: Path) -> None:
    articles = tmp_path / "site" / "articles"
    write_article(articles, "a.md", title="文件文章")
    sources = ["articles", {"feed": str(FIXTURES / "atom.xml")}]
    config = write_config(tmp_path / "site", sources)
    assert build_json(runner, config)["articles"] == 3
    (articles / "a.md").unlink()
    result = runner.invoke(app, ["build", "-c", str(config)])
    assert result.exit_code == 1
    assert "had 1 articles at the last build and has none now" in result.stderr


def test_check_fetches_but_keeps_nothing(
    runner: CliRunner, server: FeedServer, tmp_path: Path
) -> None:
    config = write_config(tmp_path / "site", [{"feed": server.url("/feeds/atom.xml")}])
    result = runner.invoke(app, ["check", "-c", str(config)])
    assert result.exit_code == 0, result.output
    assert (
        not (tmp_path / "site" / "cache").exists() and not (tmp_path / "site" / "output").exists()
    )
    build_json(runner, config)
    server.clear()
    assert runner.invoke(app, ["check", "-c", str(config)]).exit_code == 0
    (only,) = server.requests  # asked conditionally, from the records the build kept
    assert only[1].get("if-none-match")


def test_a_feed_sent_again_unchanged_without_validators_is_not_parsed(
    runner: CliRunner, server: FeedServer, tmp_path: Path
) -> None:
    config = write_config(tmp_path / "site", [{"feed": server.url("/plain/entities.xml")}])
    first = build_json(runner, config)
    assert [p["stage"] for p in first["problems"]] == ["feed"]  # read leniently: parsed
    second = build_json(runner, config)
    assert second["problems"] == [] and second["parsed"] == 0  # the same bytes: not parsed
    assert not any("if-none-match" in headers for _, headers in server.requests)
    feed = server.root / "entities.xml"
    feed.write_text(feed.read_text("utf-8").replace("Second", "Second, edited"), "utf-8")
    third = build_json(runner, config)
    assert [p["stage"] for p in third["problems"]] == ["feed"] and third["parsed"] == 1


def test_a_feed_moved_for_good_is_read_with_a_note(
    runner: CliRunner, server: FeedServer, tmp_path: Path
) -> None:
    config = write_config(tmp_path / "site", [{"feed": server.url("/moved/atom.xml")}])
    report = build_json(runner, config)
    assert report["articles"] == 2
    (note,) = report["problems"]
    assert not note["skipped"] and note["path"] == server.url("/moved/atom.xml")
    assert note["reason"].startswith(f"moved permanently to {server.url('/feeds/atom.xml')};")


def test_build_source_url(
    runner: CliRunner, server: FeedServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "out"
    url = server.url("/feeds/atom.xml")
    monkeypatch.chdir(tmp_path)  # no config.yaml here: the defaults
    result = runner.invoke(app, ["build", "--source", url, "--output", str(out), "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert dict(fixture_entries("atom.xml")) == published(out, report, "少数派")


def test_a_feed_file_is_a_source_too(runner: CliRunner, tmp_path: Path) -> None:
    config = write_config(tmp_path / "site", [{"feed": str(FIXTURES / "rdf.xml")}])
    report = build_json(runner, config)
    assert published(tmp_path / "site" / "output", report, "Slashdot Example") == dict(
        fixture_entries("rdf.xml")
    )
    assert build_json(runner, config)["parsed"] == 0


def test_filter_filterout_limit_and_brief_shape_a_feed(runner: CliRunner, tmp_path: Path) -> None:
    rss = str(FIXTURES / "rss2.xml")
    sources = [
        {"feed": rss, "categories": ["kept"], "filter": "交付|融资|播客", "filterout": "播客"},
        {"feed": rss, "categories": ["newest"], "limit": 1, "brief": 10},
        {
            "feed": rss,
            "categories": ["by-tag"],
            "filter": "^新能源$",
            "filter_fields": ["category"],
        },
    ]
    config = write_config(tmp_path / "site", sources)
    report = build_json(runner, config)
    out = tmp_path / "site" / "output"
    kept = published(out, report, "kept")
    assert sorted(link.rsplit("/", 1)[1] for link in kept) == ["1001", "1002"]
    assert list(published(out, report, "by-tag")) == ["https://36kr.example.com/newsflashes/1001"]
    (newest,) = [f for f in report["feeds"] if f["name"] == "newest"]
    data = json.loads((out / newest["files"]["json"]).read_bytes())
    (item,) = data["items"]
    assert item["url"].endswith("/1001") and "<strong>" not in item["content_html"]
    assert len(item["content_text"] if "content_text" in item else item["summary"]) <= 12


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ({"feed": "ftp://example.org/feed.xml"}, "sources[0].feed: must be an http(s) URL"),
        ({"feed": "https://example.org/f", "filter": "("}, "sources[0].filter: not a regex"),
        ({"feed": "https://example.org/f", "limit": 0}, "sources[0].limit: must be a positive"),
        ({"feed": "https://example.org/f", "nope": 1}, "sources[0].nope: unknown key"),
    ],
)
def test_bad_feed_sources_are_one_error_line(
    runner: CliRunner, tmp_path: Path, source: dict[str, Any], message: str
) -> None:
    config = write_config(tmp_path / "site", [source])
    result = runner.invoke(app, ["build", "-c", str(config)])
    assert result.exit_code == 1
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith(f"Error: {config}: ") and message in line


def test_an_undated_entry_keeps_its_first_fetch_time(runner: CliRunner, tmp_path: Path) -> None:
    """An undated entry is dated when it was first fetched, and stays so."""
    feed = tmp_path / "undated.xml"
    feed.write_text(
        "<rss version='2.0'><channel><title>U</title><link>https://u.example/</link>"
        "<description>d</description><item><title>No date</title>"
        "<link>https://u.example/1</link><description>x</description></item></channel></rss>",
        encoding="utf-8",
    )
    config = write_config(tmp_path / "site", [{"feed": str(feed)}])
    first = published(tmp_path / "site" / "output", build_json(runner, config), "U")
    assert abs(first["https://u.example/1"] - time.time()) < 3600
    feed.write_text(feed.read_text("utf-8").replace("x</desc", "yz</desc"), encoding="utf-8")
    second = published(tmp_path / "site" / "output", build_json(runner, config), "U")
    assert second == first


def test_full_text_fetches_no_page_of_a_private_network_for_a_feed_elsewhere(
    runner: CliRunner, server: FeedServer, tmp_path: Path
) -> None:
    feed = tmp_path / "teasers.xml"  # a feed file: it is on no host
    feed.write_text(TEASERS.format(page=server.url("/feeds/atom.xml"), missing="http://10.0.0.1/"))
    config = write_config(tmp_path / "site", [{"feed": str(feed), "full_text": True}])
    report = build_json(runner, config)
    assert server.paths() == []
    reasons = sorted(p["reason"] for p in report["problems"])
    assert len(reasons) == 2 and all("private network" in r for r in reasons), reasons
    assert report["articles"] == 2
    # nor through a redirect, from a page on the feed's own host
    feed = TEASERS.format(page=server.url("/away"), missing=server.url("/status/404"))
    (server.root / "teasers.xml").write_text(feed, encoding="utf-8")
    config = write_config(
        tmp_path / "site2", [{"feed": server.url("/feeds/teasers.xml"), "full_text": True}]
    )
    reasons = sorted(p["reason"] for p in build_json(runner, config)["problems"])
    assert len(reasons) == 2
    assert reasons[0].startswith(server.url("/away") + ": 10.0.0.1 is an address of a private")
    assert reasons[1].startswith(server.url("/status/404") + ": HTTP 404")


TEASERS = """<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>摘要源</title><link>https://t.example/</link>
<description>teasers only</description>
<item><title>完整文章</title><link>{page}</link><guid>t-1</guid>
<pubDate>Sat, 01 Oct 2022 10:00:00 GMT</pubDate><description>只有摘要……</description></item>
<item><title>失踪的文章</title><link>{missing}</link><guid>t-2</guid>
<pubDate>Fri, 30 Sep 2022 10:00:00 GMT</pubDate><description>另一段摘要……</description></item>
</channel></rss>
"""


def test_full_text_fetches_each_entry_page_once(
    runner: CliRunner, server: FeedServer, tmp_path: Path
) -> None:
    paragraphs = "".join(
        f"<p>这是完整文章的第{n}段，讲述第{n}个要点，内容足够长，足以被正文提取工具识别出来。</p>"
        for n in range(1, 9)
    )
    page = (
        "<html><head><title>完整文章</title></head><body><nav><a href='/'>首页</a> 菜单导航</nav>"
        f"<article><h1>完整文章</h1>{paragraphs}</article>"
        "<footer>版权所有 页脚</footer></body></html>"
    )
    (server.root / "article-1.html").write_text(page, encoding="utf-8")
    feed = TEASERS.format(
        page=server.url("/feeds/article-1.html"), missing=server.url("/status/404")
    )
    (server.root / "teasers.xml").write_text(feed, encoding="utf-8")
    source = {"feed": server.url("/feeds/teasers.xml"), "full_text": True}
    config = write_config(tmp_path / "site", [source])
    report = build_json(runner, config)
    assert server.paths() == ["/feeds/teasers.xml", "/feeds/article-1.html", "/status/404"]
    (feed_report,) = [f for f in report["feeds"] if f["name"] == "摘要源"]
    out = tmp_path / "site" / "output" / feed_report["files"]["json"]
    items = {item["title"]: item["content_html"] for item in json.loads(out.read_bytes())["items"]}
    assert "这是完整文章的第8段" in items["完整文章"] and "只有摘要" not in items["完整文章"]
    assert "菜单导航" not in items["完整文章"] and "页脚" not in items["完整文章"]
    assert "另一段摘要" in items["失踪的文章"]
    (problem,) = report["problems"]
    assert problem["stage"] == "full text" and not problem["skipped"]
    assert "HTTP 404" in problem["reason"] and "content is kept" in problem["reason"]
    server.clear()
    again = build_json(runner, config)
    assert server.paths() == ["/feeds/teasers.xml"] and again["parsed"] == 0
