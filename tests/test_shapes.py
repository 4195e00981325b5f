"""What real archives hold: Markdown, text and HTML bodies, every front matter shape, dates
and links under many names. Each file is built for real and its item read back with
feedparser: the published HTML, the date and the link."""

from __future__ import annotations

import json
import os
import textwrap
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import feedparser
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import html as lxml_html
from typer.testing import CliRunner

from feeds.clean.markdown import is_markdown, is_text_with_inline_tags
from tests.helpers import FIXED_MTIME, build_json, make_site

FRONT = "---\ntitle: 标题\ncategories: [博客]\ndate: 2022-06-13 10:00:00\nlink: https://example.com/a\n---\n"


def build_items(
    tmp_path: Path, runner: CliRunner, files: dict[str, str], **settings: Any
) -> tuple[dict[str, Any], list[Any]]:
    """Write ``files`` (name -> text) as the archive, build, and read the RSS of every
    article back with feedparser (newest first)."""
    config = make_site(tmp_path / "site", **settings)
    articles = config.parent / "articles"
    for name, text in files.items():
        path = articles / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        os.utime(path, (FIXED_MTIME, FIXED_MTIME))
    report = build_json(runner, config)
    parsed = feedparser.parse((config.parent / "output" / "all.rss.xml").read_bytes())
    assert not parsed.bozo, parsed.get("bozo_exception")
    return report, parsed.entries


def build_one(
    tmp_path: Path, runner: CliRunner, text: str, name: str = "a.md", **settings: Any
) -> Any:
    report, entries = build_items(tmp_path, runner, {name: text}, **settings)
    assert report["skipped"] == 0, report["problems"]
    (entry,) = entries
    return entry


def body_of(entry: Any) -> Any:
    """The item's published HTML, parsed."""
    return lxml_html.fragment_fromstring(entry.content[0].value, create_parent="div")


def published(entry: Any) -> datetime:
    return datetime(*entry.published_parsed[:6], tzinfo=UTC)


# --- Markdown, text and HTML bodies ------------------------------------------------------

MARKDOWN = """![cover](https://img.example.com/cover.jpg)

## 小标题

正文有 **粗体**、*斜体*、~~删除线~~ 和 [一个链接](https://example.com/x)。

- 第一
- 第二

1. one
2. two

| 名称 | 数量 |
|------|-----:|
| 苹果 | 3 |

```python
print("<b>not bold</b>")
```
"""


def test_markdown_body_is_rendered(tmp_path: Path, runner: CliRunner) -> None:
    entry = build_one(tmp_path, runner, FRONT + MARKDOWN)
    body = body_of(entry)
    assert body.xpath("//h2/text()") == ["小标题"]
    assert body.xpath("//strong/text()") == ["粗体"] and body.xpath("//em/text()") == ["斜体"]
    assert body.xpath("//s/text() | //del/text()") == ["删除线"]
    assert body.xpath("//a[@href='https://example.com/x']/text()") == ["一个链接"]
    assert body.xpath("//ul/li/text()") == ["第一", "第二"]
    assert body.xpath("//ol/li/text()") == ["one", "two"]
    assert body.xpath("//table//th/text()") == ["名称", "数量"]
    assert body.xpath("//table//td/text()") == ["苹果", "3"]
    assert body.xpath("//pre/code/text()") == ['print("<b>not bold</b>")\n']
    assert body.xpath("//img/@src") == ["https://img.example.com/cover.jpg"]
    raw = entry.content[0].value
    for markup in ("**", "](", "## ", "~~", "|---"):
        assert markup not in raw
    # The cover is shown once: the body shows it, so it is not inlined again above it.
    assert raw.count("cover.jpg") == 1
    assert entry.media_thumbnail[0]["url"] == "https://img.example.com/cover.jpg"
    assert published(entry) == datetime(2022, 6, 13, 2, 0, tzinfo=UTC)
    assert entry.link == "https://example.com/a"


def test_html_opening_with_p_but_holding_markdown_between_the_tags(
    tmp_path: Path, runner: CliRunner
) -> None:
    text = (
        FRONT + "<p>导语。</p>\n\n**要点一**：内容。\n\n更多见 [原文](https://example.com/more)。\n"
    )
    entry = build_one(tmp_path, runner, text)
    assert published(entry) == datetime(2022, 6, 13, 2, 0, tzinfo=UTC)
    assert entry.link == "https://example.com/a"
    body = body_of(entry)
    assert body.xpath("//p[1]/text()") == ["导语。"]
    assert body.xpath("//strong/text()") == ["要点一"]
    assert body.xpath("//a/@href") == ["https://example.com/more"]


def test_html_body_stays_html(tmp_path: Path, runner: CliRunner) -> None:
    """A page's HTML, even with Markdown-looking text inside code and styles, is HTML."""
    html_body = (
        "\n<div>   \n<style>\n  # not a heading\n  .a{color:red}\n</style>\n"
        "<p>价格 ** 不是粗体 **，1. 不是列表</p>\n<pre># comment\n**x**</pre>\n</div>   "
    )
    entry = build_one(tmp_path, runner, FRONT + html_body)
    body = body_of(entry)
    assert body.xpath("//p/text()") == ["价格 ** 不是粗体 **，1. 不是列表"]
    assert published(entry) == datetime(2022, 6, 13, 2, 0, tzinfo=UTC)
    assert entry.link == "https://example.com/a"
    assert body.xpath("//pre/text()") == ["# comment\n**x**"]
    assert not body.xpath("//h1 | //strong | //ol")


def test_plain_text_keeps_its_line_breaks(tmp_path: Path, runner: CliRunner) -> None:
    text = FRONT + "第一行\n第二行\n\n第二段\n"
    entry = build_one(tmp_path, runner, text)
    assert published(entry) == datetime(2022, 6, 13, 2, 0, tzinfo=UTC)
    assert entry.link == "https://example.com/a"
    body = body_of(entry)
    assert [p.text_content() for p in body.xpath("//p")] == ["第一行第二行", "第二段"]
    assert len(body.xpath("//p[1]/br")) == 1


def test_plain_text_with_a_few_inline_tags_keeps_its_line_breaks(
    tmp_path: Path, runner: CliRunner
) -> None:
    text = FRONT + "第一行 <b>重点</b>\n第二行 <a href='https://example.com/l'>链接</a>\n\n第二段\n"
    entry = build_one(tmp_path, runner, text)
    assert published(entry) == datetime(2022, 6, 13, 2, 0, tzinfo=UTC)
    assert entry.link == "https://example.com/a"
    body = body_of(entry)
    paragraphs = body.xpath("//p")
    assert [p.text_content().replace("\n", "") for p in paragraphs] == [
        "第一行 重点第二行 链接",
        "第二段",
    ]
    assert len(paragraphs[0].xpath("br")) == 1
    assert body.xpath("//b/text()") == ["重点"] and body.xpath("//a/@href") == [
        "https://example.com/l"
    ]


@pytest.mark.parametrize(
    "body",
    [
        "# 标题\n\n正文",
        "正文 **粗体** 正文",
        "见 [链接](https://e.com/x)",
        "![图](https://e.com/a.png)",
        "~~删~~",
        "| a | b |\n|---|---|\n| 1 | 2 |",
        "```\ncode\n```",
        "<p>导语</p>\n\n**粗体**",
        "<div>text</div>\n\n## 小节",
    ],
)
def test_the_rule_markdown_side(body: str) -> None:
    assert is_markdown(body)


@pytest.mark.parametrize(
    "body",
    [
        "纯文本\n第二行",
        "1. 第一点\n2. 第二点\n> 引用",  # lists and quotes alone: plain text has them too
        "#话题# 不是标题",
        "<p>价格 ** 上涨 **</p>",
        "<pre>## code\n**x**</pre>",
        "<style>\n# x {}\n</style><p>text</p>",
        '<a href="https://e.com/[x](y)">t</a>',
        "<!-- **x** -->\n<p>t</p>",
    ],
)
def test_the_rule_not_markdown_side(body: str) -> None:
    assert not is_markdown(body)


def test_the_rule_text_with_inline_tags() -> None:
    assert is_text_with_inline_tags("一行 <b>粗</b>\n二行")
    assert not is_text_with_inline_tags("一行 <p>段</p>\n二行")  # a block tag: HTML
    assert not is_text_with_inline_tags("一行<br>\n二行")  # breaks of its own: HTML
    assert not is_text_with_inline_tags("一行 <b>粗</b>")  # one line: nothing to keep


def test_markdown_read_light_publishes_the_same(tmp_path: Path, runner: CliRunner) -> None:
    """A large build reads light, then cleans the feed items in full: the same item."""
    full = build_one(tmp_path / "full", runner, FRONT + MARKDOWN)
    light = build_one(tmp_path / "light", runner, FRONT + MARKDOWN, read={"light_from": 0})
    assert light.content[0].value == full.content[0].value
    assert light.media_thumbnail == full.media_thumbnail


# --- front matter shapes -----------------------------------------------------------------

BODY = "第一段。\n\n第二段有 **粗体**。\n"
SHAPES = {
    "yaml": f"---\ntitle: 标题\ncategories: [博客, 随笔]\ndate: 2022-06-13 10:00:00\n"
    f"link: https://example.com/a\n---\n{BODY}",
    "toml": f'+++\ntitle = "标题"\ncategories = ["博客", "随笔"]\n'
    f'date = 2022-06-13T10:00:00+08:00\noriginal_url = "https://example.com/a"\n+++\n{BODY}',
    "hexo-json": f'"title": "标题",\n"categories": ["博客", "随笔"],\n'
    f'"date": "2022/6/13 10:00:00",\n"canonicalUrl": "https://example.com/a"\n;;;\n{BODY}',
    "hexo-json-opened": f';;;\n"title": "标题",\n"categories": ["博客", "随笔"],\n'
    f'"pubDate": "2022-06-13 10:00:00",\n"lien": "https://example.com/a"\n;;;\n{BODY}',
    "hugo-json": f'{{\n  "title": "标题",\n  "categories": ["博客", "随笔"],\n'
    f'  "date": "2022-06-13T10:00:00+08:00",\n  "url": "https://example.com/a"\n}}\n{BODY}',
    "indented": "    ---\n    title: 标题\n    categories: [博客, 随笔]\n"
    "    date: 2022-06-13 10:00:00\n    video_url: https://example.com/a\n    ---\n"
    "    第一段。\n\n    第二段有 **粗体**。\n",
    "any-case": f"---\nTitle: 标题\nCategories: 博客, 随笔\npubDate: 2022-06-13 10:00:00\n"
    f"canonicalUrl: https://example.com/a\n---\n{BODY}",
}


@pytest.mark.parametrize("shape", SHAPES)
def test_every_front_matter_shape(tmp_path: Path, runner: CliRunner, shape: str) -> None:
    report, (entry,) = build_items(tmp_path, runner, {"a.md": SHAPES[shape]})
    assert report["skipped"] == 0, report["problems"]
    assert entry.title == "标题"
    assert published(entry) == datetime(2022, 6, 13, 2, 0, tzinfo=UTC)
    assert entry.link == "https://example.com/a"
    body = body_of(entry)
    assert [p.text_content() for p in body.xpath("//p")] == ["第一段。", "第二段有 粗体。"]
    assert body.xpath("//strong/text()") == ["粗体"] and not body.xpath("//pre")
    paths = {tuple(f["path"]) for f in report["feeds"]}
    assert paths == {(), ("博客",), ("博客", "随笔")}  # a comma-joined list split too


@pytest.mark.parametrize(
    "key", ["link", "url", "original_url", "canonicalUrl", "canonical_url", "permalink",
            "source", "lien", "video_url"]
)  # fmt: skip
def test_every_link_field(tmp_path: Path, runner: CliRunner, key: str) -> None:
    text = f"---\ntitle: t\ndate: 2022-06-13 10:00:00\n{key}: https://example.com/{key}\n---\nx\n"
    entry = build_one(tmp_path, runner, text)
    assert entry.link == f"https://example.com/{key}"
    assert published(entry) == datetime(2022, 6, 13, 2, 0, tzinfo=UTC)
    assert body_of(entry).xpath("//p/text()") == ["x"]


def test_link_with_spaces_is_encoded_and_relative_links_need_a_base(
    tmp_path: Path, runner: CliRunner
) -> None:
    spaced = (
        "---\ntitle: a\ndate: 2024-10-25\n"
        "link: https://example.com/p#Free Mobile-2024-10-25\n---\nx\n"
    )
    relative = (
        "---\ntitle: b\ndate: 2024-10-24\nlink: /posts/b/\n---\n<p>见 <a href='c/'>c</a></p>\n"
    )
    report, (a, b) = build_items(tmp_path / "1", runner, {"a.md": spaced, "b.md": relative})
    assert a.link == "https://example.com/p#Free%20Mobile-2024-10-25"
    # Relative, and no base: dropped, with a note; the item links to its own page instead.
    assert b.link.startswith("http://localhost:8000/pages/"), b.link
    notes = [p for p in report["problems"] if p["stage"] == "link"]
    assert [(p["path"], p["skipped"]) for p in notes] == [("b.md", False)]
    config = {"folder": "articles", "base_url": "https://blog.example.org/"}
    _, (a, b) = build_items(
        tmp_path / "2", runner, {"a.md": spaced, "b.md": relative}, sources=[config]
    )
    assert b.link == "https://blog.example.org/posts/b/"
    assert body_of(b).xpath("//a/@href") == ["https://blog.example.org/posts/b/c/"]
    assert published(b) == datetime(2024, 10, 23, 16, 0, tzinfo=UTC)


def test_date_fields_in_the_configured_order(tmp_path: Path, runner: CliRunner) -> None:
    text = "---\ntitle: t\nlastmod: 2023-01-01 08:00:00\npubDate: 2022-06-13 10:00:00\n---\nx\n"
    entry = build_one(tmp_path / "1", runner, text)
    assert published(entry) == datetime(2022, 6, 13, 2, 0, tzinfo=UTC)  # pubDate before lastmod
    entry = build_one(tmp_path / "2", runner, text, read={"date_fields": ["lastmod", "date"]})
    assert published(entry) == datetime(2023, 1, 1, 0, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    "field",
    ["cover:\n  url: https://img.example.com/c.jpg", "image: {src: https://img.example.com/c.jpg}"],
)
def test_nested_image_values(tmp_path: Path, runner: CliRunner, field: str) -> None:
    text = (
        f"---\ntitle: t\ndate: 2022-06-13 10:00:00\nlink: https://example.com/a\n{field}\n---\nx\n"
    )
    entry = build_one(tmp_path, runner, text)
    assert entry.media_thumbnail[0]["url"] == "https://img.example.com/c.jpg"
    assert body_of(entry).xpath("//img/@src") == ["https://img.example.com/c.jpg"]  # inlined
    assert entry.link == "https://example.com/a"


def test_tags_and_keywords_are_read() -> None:
    from feeds.read.frontmatter import read_front_matter

    front, _, _ = read_front_matter("---\ntags: [a, b]\n---\n", [], [])
    assert front.tags == ("a", "b")
    front, _, _ = read_front_matter("+++\nkeywords = 'x, y'\n+++\n", [], [])
    assert front.tags == ("x", "y")


def test_nested_category_lists_are_paths_end_to_end(tmp_path: Path, runner: CliRunner) -> None:
    text = "---\ntitle: t\ndate: 2022-06-13\ncategories:\n  - [技术, Python]\n  - [生活]\n---\nx\n"
    report, _ = build_items(tmp_path, runner, {"a.md": text})
    assert {tuple(f["path"]) for f in report["feeds"]} == {
        (),
        ("技术",),
        ("技术", "Python"),
        ("生活",),
    }


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("+++\ntitle = \n+++\nx", "front matter is not valid TOML"),
        ("+++\ntitle = 't'\nx", "front matter is not closed by +++"),
        (';;;\n"title": t\n;;;\nx', "front matter is not valid JSON"),
        ('{"title": "t"', "front matter is not valid JSON"),
        ("+++\n- a\n+++\n", "front matter is not valid TOML"),
        ('{"title": [}\nx', "front matter is not valid JSON"),
    ],
)
def test_broken_blocks_are_skipped_with_their_reason(text: str, reason: str) -> None:
    from feeds.errors import ArticleError
    from feeds.read.frontmatter import read_front_matter

    with pytest.raises(ArticleError) as caught:
        read_front_matter(text, [], [])
    assert str(caught.value.reason).startswith(reason)


# --- stable dates ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "day"),
    [
        ("2022-06-13-title.md", (2022, 6, 13)),
        ("posts/2021/03/04/title.md", (2021, 3, 4)),
        ("2020_01_02/2019-12-31-last.md", (2019, 12, 31)),  # the file's own name first
    ],
)
def test_undated_article_takes_the_date_in_its_path(
    tmp_path: Path, runner: CliRunner, name: str, day: tuple[int, int, int]
) -> None:
    text = "---\ntitle: t\nlink: https://example.com/a\n---\n<p>x</p>\n"
    report, (entry,) = build_items(tmp_path, runner, {name: text})
    start = datetime(*day, tzinfo=ZoneInfo("Asia/Shanghai"))
    assert published(entry) == start.astimezone(UTC)
    assert entry.link == "https://example.com/a" and body_of(entry).xpath("//p/text()") == ["x"]
    (note,) = [p for p in report["problems"] if p["stage"] == "date"]
    assert note["reason"] == "no date; used the date in its path"


def test_undated_article_keeps_the_date_it_was_first_seen_with(
    tmp_path: Path, runner: CliRunner
) -> None:
    """A fresh clone (new mtimes, no cache) does not re-date an article with no date."""
    text = "---\ntitle: t\nlink: https://example.com/a\n---\n<p>x</p>\n"
    _, (entry,) = build_items(tmp_path, runner, {"a.md": text})
    assert published(entry) == datetime.fromtimestamp(FIXED_MTIME, UTC)
    site = tmp_path / "site"
    manifest = json.loads((site / "output" / ".feeds-manifest.json").read_text())
    assert manifest["first_seen"] == {"a.md": FIXED_MTIME}
    later = FIXED_MTIME + 86400 * 300
    os.utime(site / "articles" / "a.md", (later, later))  # the clone's checkout time
    (site / "cache.sqlite").unlink()  # and no cache
    build_json(runner, site / "config.yaml")
    (entry,) = feedparser.parse((site / "output" / "all.rss.xml").read_bytes()).entries
    assert published(entry) == datetime.fromtimestamp(FIXED_MTIME, UTC)
    assert entry.link == "https://example.com/a" and body_of(entry).xpath("//p/text()") == ["x"]
    # A new undated article is first seen with its own modification time.
    new = site / "articles" / "b.md"
    new.write_text(text.replace("/a", "/b"), encoding="utf-8")
    os.utime(new, (later, later))
    build_json(runner, site / "config.yaml")
    manifest = json.loads((site / "output" / ".feeds-manifest.json").read_text())
    assert manifest["first_seen"] == {"a.md": FIXED_MTIME, "b.md": later}


def test_a_dated_article_is_not_first_seen(tmp_path: Path, runner: CliRunner) -> None:
    build_items(tmp_path, runner, {"a.md": FRONT + "x"})
    manifest = json.loads((tmp_path / "site" / "output" / ".feeds-manifest.json").read_text())
    assert manifest["first_seen"] == {}


# --- private media, broken entities, alike items ---------------------------------------


@pytest.mark.parametrize(
    "private",
    [
        "http://localhost/a.jpg",
        "http://192.168.1.10/a.jpg",
        "http://127.1/a.jpg",
        "http://[::1]/a.jpg",
        "http://nas/a.jpg",
        "http://printer.local/a.jpg",
        "file:///home/me/a.jpg",
        "ftp://example.com/a.jpg",
    ],
)
def test_private_or_non_web_images_are_never_media(
    tmp_path: Path, runner: CliRunner, private: str
) -> None:
    text = (
        f"---\ntitle: t\ndate: 2022-06-13 10:00:00\nlink: https://example.com/a\n"
        f"thumbnail: {private}\n---\n<p>x</p><img src='{private}'>"
        "<img src='https://img.example.com/real.jpg'>"
    )
    entry = build_one(tmp_path, runner, text)
    assert entry.media_thumbnail[0]["url"] == "https://img.example.com/real.jpg"
    assert [e["href"] for e in entry.enclosures] == ["https://img.example.com/real.jpg"]
    assert published(entry) == datetime(2022, 6, 13, 2, 0, tzinfo=UTC)
    assert entry.link == "https://example.com/a"
    only_private = text.replace("<img src='https://img.example.com/real.jpg'>", "")
    entry = build_one(tmp_path / "2", runner, only_private)
    assert "media_thumbnail" not in entry and not entry.enclosures


def test_entity_missing_its_hash_is_repaired_where_plain(tmp_path: Path, runner: CliRunner) -> None:
    text = (
        "---\ntitle: '&8220;引号&8221;'\ndate: 2022-06-13 10:00:00\nlink: https://example.com/a\n"
        "---\n<p>他说&8220;你好&8221;。编号&99999999;与&1;</p>"
    )
    entry = build_one(tmp_path, runner, text)
    assert entry.title == "“引号”"
    assert body_of(entry).xpath("//p/text()") == ["他说“你好”。编号&99999999;与&1;"]
    assert published(entry) == datetime(2022, 6, 13, 2, 0, tzinfo=UTC)
    assert entry.link == "https://example.com/a"


def test_alike_items_with_different_links_of_one_site_are_not_merged(
    tmp_path: Path, runner: CliRunner
) -> None:
    def stream(n: int, hour: int) -> str:
        return (
            f"---\ntitle: 直播回放\ndate: 2022-06-13 {hour}:00:00\ncategories: [视频]\n"
            f"link: https://www.youtube.com/watch?v={n}\n---\n<p>今晚八点准时开播，欢迎来看。</p>"
        )

    report, entries = build_items(tmp_path, runner, {"a.md": stream(1, 10), "b.md": stream(2, 11)})
    assert [e.link for e in entries] == [
        "https://www.youtube.com/watch?v=2",
        "https://www.youtube.com/watch?v=1",
    ]
    assert not [p for p in report["problems"] if p["stage"] == "duplicate"]
    assert [published(e).hour for e in entries] == [3, 2]
    assert all(body_of(e).xpath("//p/text()") == ["今晚八点准时开播，欢迎来看。"] for e in entries)


def test_tags_as_feeds_end_to_end(tmp_path: Path, runner: CliRunner) -> None:
    text = (
        "---\ntitle: t\ndate: 2022-06-13 10:00:00\nlink: https://example.com/a\n"
        "categories: [技术]\ntags: [Python, '<b>x</b>']\n---\n<p>x</p>\n"
    )
    config = make_site(tmp_path / "site", categories={"tags": True})
    (config.parent / "articles" / "a.md").write_text(text, encoding="utf-8")
    report = build_json(runner, config)
    feeds = {f["name"]: f for f in report["feeds"]}
    assert set(feeds) == {"", "技术", "#Python", "#x"}
    rss = config.parent / "output" / feeds["#Python"]["files"]["rss"]
    (entry,) = feedparser.parse(rss.read_bytes()).entries
    assert entry.link == "https://example.com/a"
    assert published(entry) == datetime(2022, 6, 13, 2, 0, tzinfo=UTC)
    assert body_of(entry).xpath("//p/text()") == ["x"]


# --- properties: one front matter, every shape ---------------------------------------------

_NAME = (
    st.text(st.characters(categories=["L", "N", "Zs"]), min_size=1, max_size=8)
    .map(str.strip)
    .filter(bool)
)
_TEXT = st.text(st.characters(categories=["L", "N", "P", "S", "Zs"]), max_size=20)


def _shapes(title: str, categories: list[str], link: str) -> dict[str, str]:
    fields = {"title": title, "categories": categories, "date": "2022-06-13 10:00:00", "link": link}
    members = json.dumps(fields, ensure_ascii=False, indent=1)
    toml = "\n".join(
        f"{key} = {json.dumps(value, ensure_ascii=False)}" for key, value in fields.items()
    )
    yaml_block = yaml.safe_dump(fields, allow_unicode=True)
    return {
        "yaml": f"---\n{yaml_block}---\nbody",
        "toml": f"+++\n{toml}\n+++\nbody",
        "json": f"{members}\nbody",
        "hexo-json": f"{members.strip()[1:-1].strip()}\n;;;\nbody",
        "indented": textwrap.indent(f"---\n{yaml_block}---\n", "  ") + "body",
    }


@settings(max_examples=60, deadline=None)
@given(title=_TEXT, categories=st.lists(_NAME, min_size=1, max_size=3, unique=True),
       slug=st.from_regex(r"[a-z0-9]{1,8}", fullmatch=True))  # fmt: skip
def test_every_shape_reads_the_same_fields(title: str, categories: list[str], slug: str) -> None:
    from feeds.read.frontmatter import read_front_matter

    link = f"https://example.com/{slug}"
    read = {
        shape: read_front_matter(text, [], ["link"])
        for shape, text in _shapes(title, categories, link).items()
    }
    for shape, (front, body, _) in read.items():
        assert (front.title, front.date, front.link) == (title, "2022-06-13 10:00:00", link), shape
        assert front.categories == tuple(categories), shape
        assert body.strip() == "body", shape


@settings(max_examples=200, deadline=None)
@given(
    number=st.integers(0, 10**7),
    before=_TEXT.filter(lambda t: "&" not in t),
    after=_TEXT.filter(lambda t: "&" not in t),
)
def test_a_repaired_entity_is_a_character_xml_carries(number: int, before: str, after: str) -> None:
    from lxml import etree

    from feeds.clean.text import repair_entities

    text = f"{before}&{number};{after}"
    repaired = repair_entities(text)
    if repaired == text:
        return  # left as text: escaped as &amp;... when written
    assert repaired == f"{before}&#{number};{after}"
    etree.fromstring(f"<p>&#{number};</p>")  # XML 1.0 takes it: no validator warning


def test_one_source_keeps_flat_categories(tmp_path: Path, runner: CliRunner) -> None:
    """``sources: [hexo, {folder: hugo, category_mode: flat}]``: each its own reading."""
    root = tmp_path / "site"
    text = "---\ntitle: {t}\ndate: 2022-06-13 10:00:00\nlink: https://example.com/{t}\n"
    for folder, name in (("hexo", "h"), ("hugo", "g")):
        path = root / folder / f"{name}.md"
        path.parent.mkdir(parents=True)
        cats = "[科技, 36kr]" if folder == "hexo" else "[go, tools]"
        path.write_text(text.format(t=name) + f"categories: {cats}\n---\nx\n", encoding="utf-8")
    config = make_site(root, sources=["hexo", {"folder": "hugo", "category_mode": "flat"}])
    report = build_json(runner, config)
    assert {tuple(f["path"]) for f in report["feeds"]} == {
        (),
        ("科技",),
        ("科技", "36kr"),
        ("go",),
        ("tools",),
    }
    feeds = {f["name"]: f for f in report["feeds"]}
    for name, link in (("科技/36kr", "https://example.com/h"), ("tools", "https://example.com/g")):
        rss = root / "output" / feeds[name]["files"]["rss"]
        (entry,) = feedparser.parse(rss.read_bytes()).entries
        assert entry.link == link and published(entry) == datetime(2022, 6, 13, 2, tzinfo=UTC)
