from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from feeds.errors import ArticleError
from feeds.models import FrontMatter
from feeds.read.decode import read_article_text
from feeds.read.frontmatter import read_front_matter
from tests.helpers import REAL_FILES, SEED

IMAGE_FIELDS = ("thumbnail", "headimg", "cover", "image")
LINK_FIELDS = ("link", "url", "source", "permalink", "original")
NOT_YAML = {'"""""""\'第2集\'""""""".md', "@大道无形我有型 关注了股票 英特尔.md"}


def read(text: str) -> tuple[FrontMatter, str, list[str]]:
    return read_front_matter(text, IMAGE_FIELDS, LINK_FIELDS)


def front(block: str) -> FrontMatter:
    """The front matter of a block that must be valid YAML."""
    matter, _, warnings = read(f"---\n{block}---\nbody")
    assert warnings == []
    return matter


def error(text: str) -> str:
    with pytest.raises(ArticleError) as caught:
        read(text)
    assert caught.value.stage == "frontmatter"
    return caught.value.reason


# The real archive.


@pytest.mark.parametrize("path", REAL_FILES, ids=lambda path: path.name)
def test_every_real_file_reads(path: Path) -> None:
    text, _ = read_article_text(path, 8 * 1024 * 1024)
    matter, body, warnings = read(text)
    assert matter.title is not None
    assert len(matter.categories) >= 2
    assert matter.author
    assert matter.date
    assert body.startswith("\n<div>")
    assert body.endswith(" " * 12)  # the archive's wrapper, kept as it is
    if path.name in NOT_YAML:
        assert len(warnings) == 1
        assert warnings[0].startswith("front matter is not valid YAML (")
        assert warnings[0].endswith("; read line by line")
    else:
        assert warnings == []


def test_the_seed_article() -> None:
    text, _ = read_article_text(next(SEED.iterdir()), 8 * 1024 * 1024)
    matter, body, _ = read(text)
    qr_code = "https://n.sinaimg.cn/finance/cece9e13/20200514/343233024.png"
    assert matter == FrontMatter(
        title="工信部将研制中小企业数字化转型指导文件",
        categories=("金融", "新浪财经", "新浪财经－国內"),
        author="新浪财经",
        date="Thu, 26 May 2022 12:04:07 GMT",
        images=(qr_code,),  # thumbnail and headimg are the same URL
        link=None,
    )
    assert body.startswith("\n<div>   \n<p cms-style")


def _real(name: str) -> FrontMatter:
    (path,) = [path for path in REAL_FILES if path.name == name]
    return read(read_article_text(path, 8 * 1024 * 1024)[0])[0]


def test_real_title_starting_with_at_sign() -> None:
    matter = _real("@大道无形我有型 关注了股票 英特尔.md")
    assert matter.title == "@大道无形我有型 关注了股票 英特尔"
    assert matter.categories == ("金融", "雪球 - 用户自选动态")
    assert matter.date == "Sat, 24 Oct 2020 03:53:49 GMT"
    assert matter.images == ()  # "thumbnail:" is empty


def test_real_quote_run_title() -> None:
    matter = _real('"""""""\'第2集\'""""""".md')
    assert matter.title == "第2集"
    assert matter.categories == ("二次元", "AGE 动漫 - 番剧详情")
    assert matter.date == "2021-03-22 04:50:47"


def test_real_multi_line_title_is_folded() -> None:
    assert _real('@003_miss_ "20話😢😢😢😢".md').title == '@003_miss_ " 20話😢😢😢😢 "'


def test_real_titles_keep_their_text() -> None:
    assert _real(" .md").title == " "
    assert _real("!.md").title == "!"
    assert _real("Don't Panic!.md").title == "Don't Panic!"
    assert _real('"To our surprise".md').title == '"To our surprise"'
    nbsp = _real(next(p.name for p in REAL_FILES if "&nbsp;" in p.name))
    assert nbsp.title is not None
    assert "雪球视频_&nbsp;2021年度雪球十大热门话题&nbsp;视频链接" in nbsp.title


# The block and the body.


def test_body_is_everything_after_the_closing_line() -> None:
    body = "\n<div>\n---\n<p>a rule above, kept</p>\n</div>   "
    assert read(f"---\ntitle: t\n---{body}")[1] == body[1:]
    assert read(f"---\ntitle: t\n---\n{body}")[1] == body


def test_block_after_bom_and_blank_lines_with_dots_closing() -> None:
    matter, body, _ = read("\ufeff\n \n---  \ntitle: t\n...\nbody")
    assert matter.title == "t"
    assert body == "body"


def test_empty_block_and_empty_body() -> None:
    assert read("---\n---") == (FrontMatter(), "", [])


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("<div>no front matter</div>", "no front matter block"),
        ("", "no front matter block"),
        ("intro\n---\ntitle: t\n---\n", "no front matter block"),
        ("---\ntitle: t\nbody without end", "front matter is not closed by ---"),
        ("\n---", "front matter is not closed by ---"),
        ("---\n- a\n- b\n---\n", "front matter is a list, not a mapping"),
        ("---\njust some words\n---\n", "front matter is text, not a mapping"),
    ],
)
def test_errors(text: str, reason: str) -> None:
    assert error(text) == reason


@pytest.mark.parametrize(
    "block",
    [
        "!!int",
        "!!timestamp 2021-13-45",
        "!!float x",
        "!!binary '%%'",
        "!!set [a]",
        "!!python/object/apply:os.system [echo]",  # and the safe loader runs nothing
    ],
)
def test_malformed_yaml_tags_are_article_errors(block: str) -> None:
    assert error(f"---\n{block}\n---\n").startswith("front matter is")


def test_broken_yaml_tag_in_a_field_falls_back_to_lines() -> None:
    matter, _, warnings = read("---\ntitle: T\ndate: !!timestamp 2021-13-45\n---\n")
    assert matter.title == "T"
    assert matter.date == "!!timestamp 2021-13-45"
    assert warnings == [
        "front matter is not valid YAML (month must be in 1..12); read line by line"
    ]


def test_broken_yaml_without_any_field_is_an_error() -> None:
    reason = error("\n---\n\n\n@@@\n---\n")
    assert reason == (
        "front matter is not valid YAML (found character that cannot start any token, line 5)"
    )


# The line reader for blocks that are not YAML.


def test_line_reader_reads_every_field() -> None:
    text = (
        "---\n"
        "title: @someone said: it's “fine” &nbsp;\n"
        "Category: \n"
        "    - 金融\n"
        "    -   雪球 - 用户自选动态  \n"
        "    - 金融\n"
        "author: '雪球'\n"
        "date: 2021-03-22 04:50:47\n"
        "thumbnail: 'https://img/a.jpg'\n"
        'headimg: "https://img/a.jpg"\n'
        "link: https://example.com/a?b=c#d\n"
        "---\nbody"
    )
    matter, body, warnings = read(text)
    assert matter == FrontMatter(
        title="@someone said: it's “fine” &nbsp;",
        categories=("金融", "雪球 - 用户自选动态"),
        author="雪球",
        date="2021-03-22 04:50:47",
        images=("https://img/a.jpg",),
        link="https://example.com/a?b=c#d",
    )
    assert body == "body"
    assert warnings == [
        "front matter is not valid YAML (found character that cannot start any token, line 2);"
        " read line by line"
    ]


def test_line_reader_joins_continuation_lines() -> None:
    text = (
        "---\n"
        "title: '@x \"\n"
        "author: not a key inside the quote\n"
        "\"'\n"
        "date: @2021\n"
        "categories:\n"
        " - a long\n"
        "   name\n"
        "---\n"
    )
    matter, _, _ = read(text)
    assert matter.title == '@x " author: not a key inside the quote "'
    assert matter.author is None
    assert matter.date == "@2021"
    assert matter.categories == ("a long name",)


def test_line_reader_survives_a_quote_that_never_closes() -> None:
    matter, _, _ = read("---\ntitle: 'Don't stop\nauthor: @me\ncategories: [a, b]\n---\n")
    assert matter.title == "'Don't stop"
    assert matter.author == "@me"
    assert matter.categories == ("a", "b")


@pytest.mark.parametrize(
    ("raw", "title"),
    [
        ('"""""""\'Three Robots\'"""""""', "Three Robots"),
        ("''''", ""),  # a YAML-quoted empty string after the run: nothing left
        ("'it''s'", "it's"),
        ('"[Hot] news [1]"', "[Hot] news [1]"),
        ("[Hot] news [1]", "[Hot] news [1]"),  # not a list: only categories may be one
        ("'unbalanced\"", "'unbalanced\""),
    ],
)
def test_line_reader_unquotes_titles(raw: str, title: str) -> None:
    matter, _, warnings = read(f"---\nbroken: @\ntitle: {raw}\n---\n")
    assert warnings  # the first line forces the line reader
    assert matter.title == title


# Field normalisation.


@pytest.mark.parametrize(
    ("value", "title"),
    [
        ("yes", "yes"),
        ("no", "no"),
        ("1.10", "1.10"),
        ("0x1F", "0x1F"),
        ("2022-05-26", "2022-05-26"),
        ("42", "42"),
        ("!!int 42", "42"),
        ("!!bool yes", "true"),
        ("'  padded  '", "  padded  "),
        ("''", ""),
    ],
)
def test_title_keeps_the_text_written(value: str, title: str) -> None:
    assert front(f"title: {value}\n").title == title


@pytest.mark.parametrize("value", ["[a, b]", "{a: b}", "~", ""])
def test_title_that_is_not_text(value: str) -> None:
    matter, _, warnings = read(f"---\ntitle: {value}\n---\n")
    assert matter.title is None
    if value in ("~", ""):
        assert warnings == []
    else:
        kind = "a list" if "[" in value else "a mapping"
        assert warnings == [f"title is {kind}, not text; ignored"]


@pytest.mark.parametrize(
    ("block", "categories"),
    [
        ("categories:\n - a\n - ' b '\n - ''\n - a\n", ("a", "b")),
        ("categories: one name\n", ("one name",)),
        ("categories: a, b ,，c，a\n", ("a", "b", "c")),
        ("categories: [[a, b], c, [d, [e]]]\n", ("a", "b", "c", "d", "e")),
        ("categories: [2021, yes]\n", ("2021", "yes")),
        ("category: single\n", ("single",)),
        ("Categories: [A]\nCATEGORY: B\n", ("A",)),
        ("categories: []\ncategory: fallback\n", ("fallback",)),
        ("tags: [t]\n", ()),
        ("", ()),
    ],
)
def test_categories(block: str, categories: tuple[str, ...]) -> None:
    assert front(block).categories == categories


def test_categories_mapping_is_ignored_with_a_warning() -> None:
    matter, _, warnings = read("---\ncategories: {a: b}\ncategory: [x, {y: z}]\n---\n")
    assert matter.categories == ("x",)
    assert warnings == [
        "categories is a mapping, not a list of names; ignored",
        "category: a mapping is not a name; ignored",
    ]


def test_recursive_and_exploding_aliases_are_cheap() -> None:
    matter, _, _ = read("---\ncategories: &a [x, *a]\n---\n")
    assert matter.categories == ("x",)
    laughs = ["a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    for level in range(1, 9):
        refs = ", ".join([f"*{chr(96 + level)}"] * 10)
        laughs.append(f"{chr(97 + level)}: &{chr(97 + level)} [{refs}]")
    started = time.perf_counter()
    matter, _, _ = read("---\n" + "\n".join(laughs) + "\ncategories: *i\n---\n")
    assert time.perf_counter() - started < 1
    assert matter.categories == ()  # ten levels deep: not a category list


@pytest.mark.parametrize(
    ("block", "author"),
    [
        ("author: ' 新浪财经 '\n", "新浪财经"),
        ("author: {name: Ann, email: a@b.c}\n", "Ann"),
        ("author: [Ann, {name: Bob}, [Cy]]\n", "Ann, Bob"),
        ("author: ''\n", None),
        ("author: {email: a@b.c}\n", None),
    ],
)
def test_author(block: str, author: str | None) -> None:
    assert front(block).author == author


@pytest.mark.parametrize(
    ("value", "date"),
    [
        ("2021-03-22 04:50:47", "2021-03-22 04:50:47"),
        ("Sun, 31 Jul 2022 06:13:25 GMT", "Sun, 31 Jul 2022 06:13:25 GMT"),
        ("Invalid Date", "Invalid Date"),
        ("1653566647", "1653566647"),
        ("!!timestamp 2021-03-22 04:50:47", "2021-03-22T04:50:47"),
        ("!!timestamp 2021-03-22", "2021-03-22"),
        ("!!int 1653566647", "1653566647"),
        ("'  '", None),
    ],
)
def test_date_is_text(value: str, date: str | None) -> None:
    assert front(f"date: {value}\n").date == date


def test_images_in_field_order_without_duplicates() -> None:
    block = (
        "image: {url: ' https://i/4.jpg '}\n"
        "cover: [https://i/3.jpg, {src: https://i/1.jpg}, '']\n"
        "headimg: https://i/1.jpg\n"
        "Thumbnail: https://i/1.jpg\n"
        "picture: https://i/5.jpg\n"
    )
    assert front(block).images == ("https://i/1.jpg", "https://i/3.jpg", "https://i/4.jpg")


def test_image_fields_come_from_the_caller() -> None:
    matter, _, _ = read_front_matter("---\nbanner: b.jpg\nthumbnail: t.jpg\n---\n", ["banner"], [])
    assert matter.images == ("b.jpg",)


def test_link_is_the_first_non_empty_field() -> None:
    block = "url: ''\nsource: {href: https://s/}\npermalink: https://p/\nLINK: ~\n"
    assert front(block).link == "https://s/"


# Properties.


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=400))
def test_any_text_gives_front_matter_or_article_error(text: str) -> None:
    for candidate in (text, f"---\n{text}\n---\nbody"):
        try:
            matter, _, warnings = read(candidate)
        except ArticleError as caught:
            assert caught.stage == "frontmatter"
            continue
        assert isinstance(matter, FrontMatter)
        assert all(isinstance(warning, str) for warning in warnings)


_SCALARS = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=30)
_VALUES = st.recursive(
    _SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner),
    max_leaves=12,
)
_KEYS = st.sampled_from(
    ["title", "categories", "category", "author", "date", "thumbnail", "cover", "link", "Title"]
) | st.text(max_size=10)


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(_KEYS, _VALUES, max_size=8), st.booleans())
def test_any_front_matter_mapping_reads(data: dict[str, Any], flow: bool) -> None:
    block = yaml.safe_dump(data, allow_unicode=True, default_flow_style=flow)
    try:
        matter, _, _ = read(f"---\n{block}---\n")
    except ArticleError as caught:
        assert caught.stage == "frontmatter"
        return
    assert all(
        isinstance(name, str) and name.strip() == name and name for name in matter.categories
    )
    assert all(isinstance(url, str) and url for url in matter.images)


# YAML reads NEL, LS and PS as line breaks (folded into a space), and PyYAML writes them raw.
_YAML_TEXT = st.characters(codec="utf-8", exclude_characters="\x85\u2028\u2029")


@settings(max_examples=200, deadline=None)
@given(
    st.text(_YAML_TEXT, max_size=60),
    st.lists(st.text(_YAML_TEXT, max_size=20), max_size=5),
    st.text(_YAML_TEXT, max_size=30),
)
def test_text_fields_survive_yaml_exactly(title: str, categories: list[str], author: str) -> None:
    data = {"title": title, "categories": categories, "author": author}
    block = yaml.safe_dump(data, allow_unicode=True)
    matter, _, warnings = read(f"---\n{block}---\n")
    assert warnings == []
    assert matter.title == title
    assert matter.categories == tuple(dict.fromkeys(c.strip() for c in categories if c.strip()))
    assert matter.author == (author.strip() or None)
