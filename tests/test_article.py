"""One file to one Article: titles, categories, dates and identity, on real files."""

from __future__ import annotations

import dataclasses
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from feeds.article import MAX_CATEGORIES, MAX_CATEGORY, MAX_TITLE
from feeds.config import Config
from feeds.errors import ArticleError
from feeds.group.identity import make_dedupe_key, same_story
from feeds.models import Article, Source
from feeds.read.batch import read_article
from feeds.read.discover import file_source
from tests.helpers import CORPUS, FIXED_MTIME, make_config

BODY = "<div>   \n<p>正文内容。第二句。</p>\n</div>            "


def _file(path: Path, rel: str | None = None, mtime_ns: int | None = None) -> Source:
    info = path.stat()
    if mtime_ns is None:
        return file_source(str(path), rel or path.name, info)
    stamp = f"{info.st_size}:{mtime_ns}:{info.st_ino}:{info.st_ctime_ns}"  # as discovery makes
    return Source("file", str(path), rel or path.name, stamp)


def _write(tmp_path: Path, front: str, body: str = BODY, name: str = "a.md") -> Source:
    path = tmp_path / name
    path.write_text(f"\n---\n{front}---\n\n{body}", encoding="utf-8")
    os.utime(path, (FIXED_MTIME, FIXED_MTIME))
    return _file(path)


def _read(
    tmp_path: Path, front: str, body: str = BODY, name: str = "a.md", **settings: Any
) -> Article:
    return read_article(_write(tmp_path, front, body, name), make_config(tmp_path, **settings))


def _notes(article: Article) -> list[tuple[str, str]]:
    return [(n.stage, n.reason) for n in article.notes]


DATED = "categories: [金融]\ndate: 2022-05-26 10:00:00\n"


# --- titles -------------------------------------------------------------------------------


def test_a_usable_title_is_kept_without_a_note(tmp_path: Path) -> None:
    article = _read(tmp_path, "title: 好文章\n" + DATED)
    assert article.title == "好文章"
    assert article.notes == ()


@pytest.mark.parametrize(
    ("title_line", "body", "name", "expected"),
    [
        # the heading that opens the body, whole (a sentence end inside does not cut it)
        (
            "",
            "<h2>Python 3.12 released. What's new</h2><p>正文。</p>",
            "a.md",
            "Python 3.12 released. What's new",
        ),
        (
            "title: ' '\n",
            "<p><img src='https://x.org/a.png'></p><h3>小标题</h3><p>正文。</p>",
            "a.md",
            "小标题",
        ),
        # a later <h2> is a section, not the title; an <h1> anywhere is the title
        ("title: '-'\n", "<p>第一句。第二句。</p><h2>相关阅读</h2>", "a.md", "第一句。"),
        ("", "<p>By someone</p><h1>The real title</h1><p>Text.</p>", "a.md", "The real title"),
        ("title: '!'\n", "<p>First sentence here. Second.</p>", "a.md", "First sentence here."),
        ("title: '...'\n", "<p>第一行没有句号\n第二行</p>", "a.md", "第一行没有句号"),
        # nothing in the body: the file name, without its extension
        (
            "title: '-'\n",
            "<div>   \n<img src='https://x.org/a.png'>\n</div>",
            "某个标题.md",
            "某个标题",
        ),
        # nothing anywhere: the title as written, else "Untitled"
        ("title: '!'\n", "", "!.md", "!"),
        ("title: ' '\n", "", ".md", "Untitled"),
        ("title: ''\n", "", "-.md", "Untitled"),
    ],
)
def test_title_fallbacks(
    tmp_path: Path, title_line: str, body: str, name: str, expected: str
) -> None:
    article = _read(tmp_path, title_line + DATED, body, name)
    assert article.title == expected
    (stage, reason), *_ = _notes(article)
    assert stage == "title"
    assert reason.endswith(f"used {expected[:40]!r}")


def test_missing_title_note_says_so(tmp_path: Path) -> None:
    article = _read(tmp_path, DATED, "<p>只有正文。</p>")
    assert article.title == "只有正文。"
    assert _notes(article) == [("title", "no title; used '只有正文。'")]


@pytest.mark.parametrize(
    ("title_line", "expected"),
    [
        ("title: 'A&nbsp;B 🎉'\n", "A B 🎉"),  # a literal &nbsp; from the archive
        ("title: '🎉🎉'\n", "🎉🎉"),  # pictographs say something: kept
        ("title: 12345\n", "12345"),
        ("title: '<b>粗体</b> &amp; 标题'\n", "粗体 & 标题"),
        ('title: "第一行\n  第二行"\n', "第一行 第二行"),  # Mastodon titles span lines
        ("title: '@user said: hi'\n", "@user said: hi"),  # not YAML: read line by line
    ],
)
def test_title_text(tmp_path: Path, title_line: str, expected: str) -> None:
    assert _read(tmp_path, title_line + DATED).title == expected


def test_very_long_title_is_shortened_with_a_note(tmp_path: Path) -> None:
    article = _read(tmp_path, f"title: '{'长' * 500}'\n" + DATED)
    assert len(article.title) == MAX_TITLE
    assert article.title == "长" * (MAX_TITLE - 1) + "…"
    assert _notes(article) == [("title", f"title of 500 characters shortened to {MAX_TITLE}")]


def test_title_of_the_wrong_type_falls_back_with_two_notes(tmp_path: Path) -> None:
    article = _read(tmp_path, "title: [a, [b]]\n" + DATED, "<p>正文第一句。</p>")
    assert article.title == "正文第一句。"
    assert [stage for stage, _ in _notes(article)] == ["frontmatter", "title"]


# --- categories ---------------------------------------------------------------------------


def test_hostile_category_names(tmp_path: Path) -> None:
    names = [
        "../../etc/passwd",
        "<script>alert(1)</script>",
        "&lt;b&gt;",  # markup once decoded: nothing left
        ".",
        "..",
        "－",  # a full-width dash alone
        "金融\u200b",  # a zero-width space: the same feed as 金融
        "金融",
        "\u202eevil",  # a bidi override would flip the feed title in readers
        "Cafe\u0301",  # decomposed é: the same feed as the composed one
        "Café",
        "新浪财经－国內",  # real: full-width dash and 內 are kept as written
        "🎮",
    ]
    front = "title: t\ndate: 2022-05-26 10:00:00\ncategories:\n" + "".join(
        f" - {_quoted(n)}\n" for n in names
    )
    article = _read(tmp_path, front)
    assert article.categories == (
        "../../etc/passwd",
        "alert(1)",
        "金融",
        "evil",
        "Café",
        "新浪财经－国內",
        "🎮",
    )
    assert _notes(article) == [
        ("categories", f"category {n!r} is not a name; ignored")
        for n in ["&lt;b&gt;", ".", "..", "－"]
    ]


def _quoted(text: str) -> str:
    return '"' + text.encode("unicode_escape").decode("ascii").replace('"', '\\"') + '"'


def test_long_category_is_shortened(tmp_path: Path) -> None:
    article = _read(tmp_path, f"title: t\ncategories: ['{'类' * 300}']\ndate: 2022-05-26\n")
    (name,) = article.categories
    assert name == "类" * (MAX_CATEGORY - 1) + "…"
    assert _notes(article) == [
        ("categories", f"category of 300 characters shortened to {MAX_CATEGORY}")
    ]


def test_too_many_categories_keeps_the_first(tmp_path: Path) -> None:
    names = [f"c{i}" for i in range(50)]
    article = _read(tmp_path, f"title: t\ncategories: [{', '.join(names)}]\ndate: 2022-05-26\n")
    assert article.categories == tuple(names[:MAX_CATEGORIES])
    assert _notes(article) == [("categories", f"50 categories; kept the first {MAX_CATEGORIES}")]


@pytest.mark.parametrize(
    ("categories_line", "reason", "frontmatter_notes"),
    [
        ("", "no categories; filed under 其他", 0),
        ("categories: []\n", "no categories; filed under 其他", 0),
        ("categories: {a: 1}\n", "no categories; filed under 其他", 1),  # a dict: ignored
        ("categories: ['-', '&nbsp;']\n", "no usable category; filed under 其他", 0),
    ],
)
def test_default_category_is_configurable(
    tmp_path: Path, categories_line: str, reason: str, frontmatter_notes: int
) -> None:
    front = "title: t\ndate: 2022-05-26\n" + categories_line
    article = _read(tmp_path, front, categories={"default": "其他"})
    assert article.categories == ("其他",)
    notes = _notes(article)
    assert notes[-1] == ("categories", reason)
    assert sum(stage == "frontmatter" for stage, _ in notes) == frontmatter_notes


def test_nested_category_lists_are_flattened(tmp_path: Path) -> None:
    article = _read(tmp_path, "title: t\ncategories: [[a, b], [c, [d]]]\ndate: 2022-05-26\n")
    assert article.categories == ("a", "b", "c", "d")


def test_aliases_match_the_cleaned_name(tmp_path: Path) -> None:
    front = "title: t\ndate: 2022-05-26\ncategories: ['金融\u200b', '<b>Finance</b>']\n"
    article = _read(tmp_path, front, categories={"aliases": {"金融": "Finance"}})
    assert article.categories == ("Finance",)


# --- dates --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("date_line", "reason"),
    [
        ("", "no date"),
        ("date: Invalid Date\n", "'Invalid Date' is not a date"),
        ("date: 2022-13-45 99:00\n", "'2022-13-45 99:00' is not a date"),
        ("date: [2022]\n", "no date"),  # not text: a frontmatter note, then no date
    ],
)
def test_missing_date_uses_mtime_or_skips(tmp_path: Path, date_line: str, reason: str) -> None:
    front = "title: t\ncategories: [a]\n" + date_line
    article = _read(tmp_path, front)
    assert article.date == datetime.fromtimestamp(FIXED_MTIME, UTC)
    assert article.date.tzinfo is UTC  # every date is kept in UTC (article.dated)
    assert _notes(article)[-1] == ("date", f"{reason}; used the file's modification time")
    with pytest.raises(ArticleError) as caught:
        _read(tmp_path, front, read={"missing_date": "skip"})
    assert (caught.value.stage, caught.value.reason) == ("date", reason)


def test_unusable_mtime_skips_the_article(tmp_path: Path) -> None:
    file = _write(tmp_path, "title: t\ncategories: [a]\n")
    far = _file(Path(file.key), file.rel, mtime_ns=10**30)
    with pytest.raises(ArticleError, match=r"modification time is out of range") as caught:
        read_article(far, make_config(tmp_path))
    assert caught.value.stage == "date"


def test_far_future_date_is_kept_with_a_note(tmp_path: Path) -> None:
    article = _read(tmp_path, "title: t\ncategories: [a]\ndate: 2099-01-01 00:00:00\n")
    assert article.date == datetime(2099, 1, 1, tzinfo=ZoneInfo("Asia/Shanghai"))  # kept as it is
    ((stage, reason),) = _notes(article)
    assert stage == "date"
    assert reason.startswith("2099-01-01T00:00:00+08:00 is ") and "days in the future" in reason


def test_far_future_date_can_be_replaced_or_skipped(tmp_path: Path) -> None:
    front = "title: t\ncategories: [a]\ndate: 2099-01-01 00:00:00\n"
    replaced = _read(tmp_path, front, read={"future_dates": "mtime"})
    assert replaced.date == datetime.fromtimestamp(FIXED_MTIME, UTC)
    ((stage, reason),) = _notes(replaced)
    assert stage == "date" and reason.endswith(
        "days in the future; used the file's modification time"
    )
    with pytest.raises(ArticleError) as caught:
        _read(tmp_path, front, read={"future_dates": "skip"})
    assert caught.value.stage == "date" and caught.value.reason.endswith("days in the future")


def test_near_future_date_within_the_allowance_has_no_note(tmp_path: Path) -> None:
    tomorrow = (datetime.now(UTC) + timedelta(days=1)).strftime("%Y-%m-%d %H:%M:%S +00:00")
    front = f"title: t\ncategories: [a]\ndate: {tomorrow}\n"
    assert _read(tmp_path, front).notes == ()
    (note,) = _read(tmp_path, front, read={"future_days": 0}).notes
    assert note.stage == "date"


# --- the file itself ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "stage"),
    [
        (b"", "read"),
        (b"   \n\n", "read"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "read"),
        (b"just text, no front matter", "frontmatter"),
        (b"---\ntitle: x\n\nbody that never closes", "frontmatter"),
        (b"---\n- a\n- b\n---\nbody", "frontmatter"),
        (b"---\njust a string\n---\nbody", "frontmatter"),
        (b"---\n42\n---\nbody", "frontmatter"),
    ],
)
def test_unusable_files_raise_article_errors(tmp_path: Path, data: bytes, stage: str) -> None:
    path = tmp_path / "bad.md"
    path.write_bytes(data)
    with pytest.raises(ArticleError) as caught:
        read_article(_file(path), make_config(tmp_path))
    assert caught.value.stage == stage


@pytest.mark.parametrize(
    ("encoding", "bom", "noted"),
    [
        ("utf-8", b"", False),
        ("utf-8", b"\xef\xbb\xbf", False),
        ("utf-16-le", b"\xff\xfe", True),
        ("utf-16-be", b"\xfe\xff", True),
        ("gbk", b"", True),
        ("gb18030", b"", True),
    ],
)
def test_encodings_decode_to_the_same_article(
    tmp_path: Path, encoding: str, bom: bytes, noted: bool
) -> None:
    text = "\n---\ntitle: 新浪财经：工业互联网平台\ncategories: [金融, 新浪财经]\n"
    text += "date: 2022-05-26\n---\n"
    text += "<p>中国工业互联网研究院指出，平台体系已初具规模。这是一个测试。</p>"
    path = tmp_path / "a.md"
    path.write_bytes(bom + text.encode(encoding))
    article = read_article(_file(path), make_config(tmp_path))
    assert article.title == "新浪财经：工业互联网平台"
    assert article.categories == ("金融", "新浪财经")
    assert article.summary == "中国工业互联网研究院指出，平台体系已初具规模。这是一个测试。"
    assert [n.stage for n in article.notes] == (["read"] if noted else [])


def test_big5_decodes_to_traditional_text(tmp_path: Path) -> None:
    text = "---\ntitle: 新浪財經：工業互聯網\ncategories: [金融]\ndate: 2022-05-26\n---\n"
    text += "<p>中國工業互聯網研究院指出，平台體系已初具規模。這是一個測試。</p>"
    path = tmp_path / "a.md"
    path.write_bytes(text.encode("big5"))
    article = read_article(_file(path), make_config(tmp_path))
    assert article.title == "新浪財經：工業互聯網"
    assert [(n.stage, n.reason) for n in article.notes] == [("read", "decoded as big5")]


# --- identity: duplicates -----------------------------------------------------------------


def test_dedupe_key_ignores_what_re_scrapes_change() -> None:
    key = make_dedupe_key(None, "10月房地产贷款环比多增", "从金融管理部门了解到，贷款 回升。")
    variants = [
        ("10月房地产贷款环比多增 ", "从金融管理部门了解到,贷款回升."),  # punctuation, spaces
        ("１０月房地产贷款环比多增", "从金融管理部门了解到，贷款\n回升。"),  # full-width digits
        ("10月房地产贷款环比多增", "【10月房地产贷款环比多增】从金融管理部门了解到，贷款回升。"),
    ]
    for title, text in variants:
        assert make_dedupe_key(None, title, text) == key, (title, text)
    assert make_dedupe_key(None, "10月房地产贷款环比多增", "另一个故事。") != key
    assert make_dedupe_key(None, "另一个标题", "从金融管理部门了解到，贷款回升。") != key


def test_dedupe_key_of_picture_posts_and_empty_posts() -> None:
    one = make_dedupe_key(None, "!", "", ("https://x.org/1.jpg",), "a.md")
    two = make_dedupe_key(None, "!", "", ("https://x.org/2.jpg",), "b.md")
    assert one != two
    assert one == make_dedupe_key(None, "!", "", ("https://x.org/1.jpg",), "c.md")
    # no title, no text, no picture: nothing to compare, so never a copy of anything
    assert make_dedupe_key(None, "-", "", (), "a.md") != make_dedupe_key(None, "-", "", (), "b.md")
    link = "https://example.com/story"
    assert make_dedupe_key(link, "x", "y") == make_dedupe_key(link, "z", "w") == "link:" + link


def _corpus_article(rel: str) -> Article:
    path = CORPUS / rel
    return read_article(_file(path, rel), Config())


SYNDICATED = [
    (
        "新媒体/36kr/快讯/10月房地产贷款环比多增超1500亿元.md",
        "金融/财联社/电报/10月房地产贷款环比多增超1500亿元.md",
    ),
    (
        "新媒体/36kr/快讯/10月份光伏电池组件出口额同比增长48%.md",
        "金融/财联社/电报/10月份光伏电池组件出口额同比增长48%.md",
    ),
]


@pytest.mark.parametrize(("one", "two"), SYNDICATED)
def test_syndicated_copies_are_the_same_story(one: str, two: str) -> None:
    a = _corpus_article("source/_posts/" + one)
    b = _corpus_article("source/_posts/" + two)
    assert a.dedupe_key != b.dedupe_key  # each source wraps it in its own lead and credit
    assert same_story(a, b)
    assert same_story(b, a)


def test_same_title_different_story_is_not_the_same_story() -> None:
    douban = _corpus_article("source/_posts/社交媒体/豆瓣/正在上映的电影/一周的朋友.md")
    maoyan = _corpus_article("source/_posts/音视频/猫眼电影/正在热映/一周的朋友.md")
    assert douban.title == maoyan.title
    assert not same_story(douban, maoyan)
    a, b = (_corpus_article("source/_posts/" + rel) for rel in SYNDICATED[0])
    assert not same_story(a, dataclasses.replace(b, title="另一个标题"))
    assert not same_story(dataclasses.replace(a, summary=""), b)


def test_dedupe_key_joins_decomposed_letters() -> None:
    composed = make_dedupe_key(None, "Café", "Crème brûlée à la carte.")
    decomposed = "Cafe\u0301", "Cre\u0300me bru\u0302le\u0301e a\u0300 la carte."
    assert make_dedupe_key(None, *decomposed) == composed
    assert make_dedupe_key(None, "Cafe", "Creme brulee a la carte.") != composed


MARKS = [" ", "\n", "，", "。", "、", "-", "!", "\u3000"]
NOISE = st.lists(st.tuples(st.integers(min_value=0), st.sampled_from(MARKS)))


@settings(max_examples=200, deadline=None)
@given(title=st.text(max_size=30), text=st.text(max_size=600), noise=NOISE)
def test_spacing_and_punctuation_never_change_the_dedupe_key(
    title: str, text: str, noise: list[tuple[int, str]]
) -> None:
    noisy = list(text)
    for position, mark in noise:
        noisy.insert(position % (len(noisy) + 1), mark)
    key = make_dedupe_key(None, title, text, (), "a.md")
    assert make_dedupe_key(None, title + " ", "".join(noisy), (), "b.md") == key or (
        key.startswith("path:")  # nothing to compare: never a copy
    )
