"""One small hostile file or config stalls nothing, crashes nothing, and costs itself alone.

Each input here stalled or crashed the build at c4e511a: a title of quotes (cubic: 20 s at
1.5 KB, half an hour at 8 KB), runs of spaces (quadratic: a megabyte took twenty minutes), a
srcset that names no picture first (IndexError), YAML aliases in the categories (millions of
notes) or in the config (minutes, gigabytes, then a traceback). The time bounds are generous
hang checks, a hundred times what these inputs take now.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import time
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from feeds.clean.body import clean_body, fold_line_breaks
from feeds.cli import app
from feeds.config import CleanConfig
from feeds.read.frontmatter import item_line, key_line, quote_run_inner
from tests.helpers import (
    build_command,
    build_json,
    comparable_outputs,
    executable_findings,
    make_site,
    run_build,
    write_article,
)

# The definitions the linear readers keep to, as the regexes they replace had them.
KEY_LINE = re.compile(r"([^\s#:-][^:]*?)[ \t]*:(?:[ \t]+(.*?))?[ \t]*")
ITEM_LINE = re.compile(r"[ \t]*-(?:[ \t]+(.*?))?[ \t]*")
QUOTE_RUN = re.compile(r"""(["'])\1+(.*?)\1{2,}""", re.DOTALL)
NEWLINE_RUN = re.compile(r"[ \t\r]*\n[ \t\r\n]*")
LINES = st.text(alphabet=" \t:#-ab'\"\u3000\r\xa0", max_size=14)
BOUND = 20.0  # seconds: these inputs take well under a tenth of one now


@given(LINES)
@settings(max_examples=2000)
def test_the_line_readers_read_as_their_regexes_did(line: str) -> None:
    pair = KEY_LINE.fullmatch(line)
    old_pair = (pair.group(1), pair.group(2) or "") if pair and not line[0].isspace() else None
    assert key_line(line) == old_pair
    item = ITEM_LINE.fullmatch(line)
    assert item_line(line) == ((item.group(1) or "") if item else None)
    run = QUOTE_RUN.fullmatch(line)
    assert quote_run_inner(line) == (run.group(2) if run else line)


@given(st.text(alphabet=" \t\r\nab", max_size=20))
@settings(max_examples=1000)
def test_line_breaks_fold_as_they_did(text: str) -> None:
    assert fold_line_breaks(text) == NEWLINE_RUN.sub("\n", text)


def test_quote_runs_are_stripped_as_before() -> None:
    assert quote_run_inner('"""""""\'第2集\'"""""""') == "'第2集'"
    assert quote_run_inner('""""') == ""
    assert quote_run_inner('"""') == '"""'
    assert quote_run_inner("''it''") == "it"


def test_pathological_titles_and_bodies_build_at_once(runner: CliRunner, tmp_path: Path) -> None:
    # Bodies of megabytes are cut to clean.max_content, raised here to see them cleaned whole.
    config = make_site(tmp_path / "site", jobs=1, clean={"max_content": 10_000_000})
    articles = config.parent / "articles"
    quotes = '"' * 8000 + "x"  # a run of quotes that no run closes
    (articles / "quotes.md").write_text(
        f"---\ntitle: {quotes}\ndate: 2022-05-01 10:00:00\ncategories: [a]\n---\n<p>一</p>\n",
        encoding="utf-8",
    )
    spaces = " " * 1_000_000
    (articles / "key.md").write_text(
        f"---\ntitle{spaces}x: 1\ntitle: 二\ndate: 2022-05-01 10:00:00\n"
        f"categories:\n- b{spaces}c\n- d\n---\n<p>二</p>\n",
        encoding="utf-8",
    )
    write_article(articles, "body.md", title="三", body=f"<p>三{spaces}字</p><p>四\n{spaces}\n</p>")
    started = time.perf_counter()
    report = build_json(runner, config)
    assert time.perf_counter() - started < BOUND
    assert report["articles"] == 3 and report["skipped"] == 0
    feed = json.loads((config.parent / "output" / "all.json").read_text(encoding="utf-8"))
    body = next(item for item in feed["items"] if item["title"] == "三")
    assert body["content_html"].endswith("字</p>\n<p>四\n</p>")  # the blank run folded


def test_a_srcset_that_names_no_picture_first_costs_nothing(
    runner: CliRunner, tmp_path: Path
) -> None:
    config = make_site(tmp_path / "site")
    articles = config.parent / "articles"
    write_article(articles, "a.md", title="一", body='<p>一</p><img srcset=", x">')
    write_article(articles, "b.md", title="二", body='<p>二</p><img data-srcset=" , ">')
    write_article(
        articles, "c.md", title="三",
        body='<p>三</p><img srcset=" , https://img.example.com/c.jpg 2x">',
    )  # fmt: skip
    report = build_json(runner, config)
    assert (report["articles"], report["skipped"]) == (3, 0)
    feed = json.loads((config.parent / "output" / "all.json").read_text(encoding="utf-8"))
    images = {item["title"]: item.get("image") for item in feed["items"]}
    assert images == {"一": None, "二": None, "三": "https://img.example.com/c.jpg"}


def _alias_bomb(leaf: str) -> str:
    """Nine levels of nine aliases: a few hundred bytes that stand for 9**9 values."""
    names = "abcdefghi"
    levels = [f"&a [{', '.join([leaf] * 9)}]"]
    levels += [f"&{names[i]} [{', '.join([f'*{names[i - 1]}'] * 9)}]" for i in range(1, 9)]
    return "[" + ", ".join(levels) + "]"


def test_aliased_categories_give_one_note_of_each_kind(runner: CliRunner, tmp_path: Path) -> None:
    config = make_site(tmp_path / "site")
    articles = config.parent / "articles"
    # 150 x 150 x 150 mappings in under 2 KB: a note for each was 3.4 million notes, 3 GB.
    front = "title: 一\ndate: 2022-05-01 10:00:00\nm: &m {k: 1}\n"
    front += f"a: &a [{', '.join(['*m'] * 150)}]\nb: &b [{', '.join(['*a'] * 150)}]\n"
    front += f"categories: [{', '.join(['*b'] * 150)}]\n"
    (articles / "bomb.md").write_text(f"---\n{front}---\n<p>一</p>\n", encoding="utf-8")
    write_article(articles, "good.md", title="二", categories=("金融",))
    started = time.perf_counter()
    report = build_json(runner, config)
    assert time.perf_counter() - started < BOUND
    notes = [p["reason"] for p in report["problems"] if p["path"] == "bomb.md"]
    assert notes == [
        "categories: a mapping is not a name; ignored",
        "categories: too many nested values; the rest ignored",
        "no categories; filed under 未分类",
    ]
    assert report["articles"] == 2


def test_a_config_of_aliases_fails_at_once_in_one_line(runner: CliRunner, tmp_path: Path) -> None:
    config = tmp_path / "config.yaml"
    config.write_text(f"limit: {_alias_bomb('lol')}\n", encoding="utf-8")
    started = time.perf_counter()
    result = runner.invoke(app, ["build", "-c", str(config)])
    assert time.perf_counter() - started < BOUND
    assert result.exit_code == 1
    (line,) = result.stderr.splitlines()
    assert line.startswith(f"Error: {config}: limit: expected an integer, got [[")
    assert len(line) < 400


@pytest.mark.parametrize(
    ("setting", "message"),
    [
        ({"site": {"link": "javascript:alert(1)"}}, "site.link: must be an absolute http(s) URL"),
        ({"site": {"image": "https://x.example/a b.png"}}, "site.image: must be an absolute"),
        ({"site": {"image": "//x.example/a.png"}}, "site.image: must be an absolute"),
        ({"thumbnail": {"default": "data:image/png;base64,AAAA"}}, "thumbnail.default: must"),
        (
            {"categories": {"feeds": {"金融": {"image": 'https://x.example/"onload=1'}}}},
            "categories.feeds.金融.image: must be an absolute http(s) URL",
        ),
        (
            {"categories": {"feeds": {"金融": {"default_thumbnail": "file:///etc/passwd"}}}},
            "categories.feeds.金融.default_thumbnail: must be an absolute http(s) URL",
        ),
        ({"site": {"author": "<script>x</script>"}}, "site.author: must be plain text"),
        ({"site": {"title": "a\x01b"}}, "site.title: must be plain text"),
        (
            {"categories": {"feeds": {"金融": {"title": "<b>金融</b>"}}}},
            "categories.feeds.金融.title: must be plain text",
        ),
        ({"categories": {"all": {"description": "<img src=x>"}}}, "categories.all.description"),
        ({"read": {"future_days": 100000}}, "read.future_days: must be from 0 to 3650"),
    ],
)
def test_config_values_obey_the_rules_articles_do(
    runner: CliRunner, tmp_path: Path, setting: dict[str, object], message: str
) -> None:
    config = make_site(tmp_path / "site", **setting)
    result = runner.invoke(app, ["build", "-c", str(config)])
    assert result.exit_code == 1
    (line,) = result.stderr.splitlines()
    assert line.startswith(f"Error: {config}: {message}")
    assert not (config.parent / "output").exists()


def test_plain_config_values_and_web_urls_pass(runner: CliRunner, tmp_path: Path) -> None:
    config = make_site(
        tmp_path / "site",
        site={"title": "财经 & 科技 <3", "author": "编辑部", "link": "https://example.com/?a=1&b=2",
              "image": "http://example.com/logo.png"},
        categories={"feeds": {"金融": {"title": "金融 > 新闻", "image": "https://x.example/a.png"}}},
    )  # fmt: skip
    write_article(config.parent / "articles", "a.md")
    assert runner.invoke(app, ["build", "-c", str(config), "-q"]).exit_code == 0


def test_an_output_folder_inside_a_source_is_a_config_error(
    runner: CliRunner, tmp_path: Path
) -> None:
    config = make_site(tmp_path / "site", output="articles/public")
    result = runner.invoke(app, ["build", "-c", str(config)])
    assert result.exit_code == 1
    assert result.stderr == (
        f"Error: {config}: output: the output folder {config.parent / 'articles/public'} is "
        "inside the source folder sources[0] (" + str(config.parent / "articles") + "); put it "
        "beside the sources\n"
    )
    assert not (config.parent / "articles" / "public").exists()


def test_a_lock_that_is_a_symlink_is_not_followed(runner: CliRunner, tmp_path: Path) -> None:
    config = make_site(tmp_path / "site")
    write_article(config.parent / "articles", "a.md")
    out = config.parent / "output"
    out.mkdir()
    elsewhere = tmp_path / "not-a-lock.txt"
    elsewhere.write_text("someone's file", encoding="utf-8")
    (out / ".feeds.lock").symlink_to(elsewhere)
    result = runner.invoke(app, ["build", "-c", str(config), "-q"])
    assert result.exit_code == 1
    assert result.stderr.startswith(f"Error: cannot lock {out / '.feeds.lock'}: ")
    assert elsewhere.read_text(encoding="utf-8") == "someone's file"


@pytest.mark.parametrize("depth", [300, 3000])
@pytest.mark.parametrize(("opening", "closing"), [("<div>", "</div>"), ("<ul><li>", "</li></ul>")])
def test_deep_nesting_loses_nothing(
    runner: CliRunner, tmp_path: Path, depth: int, opening: str, closing: str
) -> None:
    # libxml2 stops at 256 levels (2048 with huge_tree) and drops all that follows.
    config = make_site(tmp_path / "site")
    body = opening * depth + "深处的话" + closing * depth + "<p>之后的段落</p>"
    write_article(config.parent / "articles", "deep.md", title="深", body=body)
    build_json(runner, config)
    feed = json.loads((config.parent / "output" / "all.json").read_text(encoding="utf-8"))
    (item,) = feed["items"]
    assert "深处的话" in item["content_html"] and "之后的段落" in item["content_html"]


# HTML-like text: the pieces scraped pages and attack vectors are made of, in any order.
_PIECE_LIST = [
        "<div>",
        "</div>",
        "<p>",
        "</p>",
        "<span style='color:red'>",
        "</span>",
        "<img ",
        "src=",
        "srcset=",
        "data-srcset=",
        "data-src=",
        '"',
        "'",
        ">",
        "<",
        "/>",
        ", ",
        " 2x",
        "https://img.example.com/a.jpg",
        "javascript:alert(1)",
        "data:image/svg+xml,<svg>",
        "onerror=alert(1) ",
        "<script>",
        "</script>",
        "<svg><a xlink:href=javascript:x>",
        "<a href=",
        "</a>",
        "<table><tr><td>",
        "&#0;",
        "&#x110000;",
        "&amp;",
        "&",
        "\n",
        " ",
        "\u3000",
        "正文",
        "<!--",
        "-->",
        "<![CDATA[",
        "]]>",
        "<style>",
        "</style>",
        "<br>",
        "<h1>",
        "</h1>",
        "<iframe src=x>",
        "<math><mi xlink:href=javascript:1>",
        "\x0b",
    ]  # fmt: skip
_PIECES = st.sampled_from(_PIECE_LIST)


@given(st.lists(_PIECES, max_size=40).map("".join))
@settings(max_examples=300, deadline=None)
def test_the_cleaner_takes_any_html_like_text(fragment: str) -> None:
    for content in (True, False):
        cleaned = clean_body(fragment, CleanConfig(), content=content)
        if content:
            assert executable_findings(cleaned.html) == []


def test_a_huge_body_is_cut_at_a_block_with_a_link_to_the_original(
    runner: CliRunner, tmp_path: Path
) -> None:
    config = make_site(tmp_path / "site", clean={"max_content": 2000})
    articles = config.parent / "articles"
    paragraphs = "".join(f"<p>第{i}段，一些文字。</p>" for i in range(100_000))  # 2 MB
    write_article(articles, "huge.md", title="长", body=paragraphs,
                  extra="link: https://news.example.com/long\n")  # fmt: skip
    write_article(articles, "short.md", title="短", body="<p>短文。</p>")
    started = time.perf_counter()
    report = build_json(runner, config)
    assert time.perf_counter() - started < BOUND
    notes = [p["reason"] for p in report["problems"] if p["path"] == "huge.md"]
    (note,) = notes
    cut = re.fullmatch(r"body of ([\d,]+) characters cut \(clean.max_content: 2,000\)", note)
    assert cut and int(cut.group(1).replace(",", "")) > len(paragraphs)
    feed = json.loads((config.parent / "output" / "all.json").read_text(encoding="utf-8"))
    content = {item["title"]: item["content_html"] for item in feed["items"]}
    huge = content["长"]
    assert len(huge) <= 2000 + 100 and huge.startswith("<p>第0段，一些文字。</p>")
    assert re.fullmatch(r"(<p>第\d+段，一些文字。</p>\n?)+<p><a [^>]+>…</a></p>", huge)
    assert 'href="https://news.example.com/long"' in huge
    assert content["短"] == "<p>短文。</p>"


@pytest.mark.slow
@pytest.mark.parametrize("jobs", [1, 2])
def test_a_file_over_the_time_limit_is_skipped_and_the_build_goes_on(
    runner: CliRunner, tmp_path: Path, jobs: int
) -> None:
    # Cleaning 8 MB of markup whole takes seconds: well over a limit of one and a half;
    # the others take milliseconds, with the imports a worker makes first.
    config = make_site(
        tmp_path / "site", jobs=jobs, read={"time_limit": 1.5},
        clean={"max_content": 100_000_000},
    )  # fmt: skip
    articles = config.parent / "articles"
    write_article(articles, "slow.md", title="慢", body="<p>x</p>" * 1_000_000)
    for i in range(250):  # past the count that forks workers, with jobs 2
        write_article(articles, f"{i:03d}.md", title=f"快{i}")
    report = build_json(runner, config)
    problems = [(p["path"], p["stage"], p["reason"], p["skipped"]) for p in report["problems"]]
    assert problems == [("slow.md", "read", "took longer than 1.5 s to read; skipped", True)]
    assert report["articles"] == 250
    assert build_json(runner, config)["parsed"] == 0  # kept: read again only once it changes


def _on_a_full_disk(
    folder: Path, size: str, command: list[str]
) -> subprocess.CompletedProcess[str]:
    """Run ``command`` with ``folder`` a fresh tmpfs of ``size``: a disk that fills for real.

    A private mount namespace (unshare), so no root is needed and nothing outside sees it.
    """
    folder.mkdir()
    mount = 'mount -t tmpfs -o size="$1" tmpfs "$2" && shift 2 && exec "$@"'
    wrapped = ["unshare", "-rm", "sh", "-c", mount, "sh", size, str(folder), *command]
    return subprocess.run(wrapped, capture_output=True, text=True, timeout=300)


def _can_mount_tmpfs(tmp_path: Path) -> bool:
    probe = _on_a_full_disk(tmp_path / "probe", "64k", ["true"])
    return shutil.which("unshare") is not None and probe.returncode == 0


def test_a_cache_on_a_full_disk_is_dropped_and_the_build_goes_on(tmp_path: Path) -> None:
    if not _can_mount_tmpfs(tmp_path):
        pytest.skip("this machine cannot mount a tmpfs in a user namespace (unshare -rm)")
    full = tmp_path / "full"
    config = make_site(tmp_path / "site", cache={"path": str(full / "cache.sqlite")})
    paragraph = "<p>" + "市场数据增长，企业投资政策发展。" * 40 + "</p>"
    for i in range(60):
        write_article(config.parent / "articles", f"{i:03d}.md", title=f"第{i}篇", body=paragraph)
    reference = make_site(tmp_path / "reference", cache={"enabled": False})
    shutil.copytree(config.parent / "articles", reference.parent / "articles", dirs_exist_ok=True)
    assert run_build(reference).returncode == 0

    # 60 articles of 2 kB each do not fit in 96 kB with SQLite's pages of 16 kB.
    result = _on_a_full_disk(full, "96k", [*build_command(config), "--json"])
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    notes = [p for p in report["problems"] if p["stage"] == "cache"]
    assert len(notes) == 1
    assert "cannot write the cache" in notes[0]["reason"]
    assert "built without it" in notes[0]["reason"]
    assert not notes[0]["skipped"]
    assert report["articles"] == 60
    assert comparable_outputs(config.parent / "output") == comparable_outputs(
        reference.parent / "output"
    )


def test_a_huge_body_without_tags_is_cut_not_emptied() -> None:
    # Text or Markdown over four times clean.max_content has no tag end to cut at.
    text = "市场数据增长，企业投资政策发展。" * 1000  # 16,000 characters, no ">" at all
    cleaned = clean_body(text, CleanConfig(max_content=1000))
    assert "市场数据增长" in cleaned.html
    assert 0 < len(cleaned.html) <= 2000
