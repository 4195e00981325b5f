"""Front matter repaired rather than refused: lone surrogates, and YAML's quoting in the
line reader (the fallback for the ~4% of blocks that are not valid YAML)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import feedparser
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from feeds.cli.app import app
from feeds.read.frontmatter import _read_lines, read_front_matter

NOT_YAML = "author: @someone\n"  # an unquoted @: the block goes to the line reader


def surrogate_note(count: int) -> str:
    what = "a lone surrogate" if count == 1 else f"{count} lone surrogates"
    return f"{what} (half of a UTF-16 pair, not a character) replaced by U+FFFD"


def build(
    runner: CliRunner, tmp_path: Path, files: dict[str, str]
) -> tuple[str, list[dict[str, Any]]]:
    """Build ``files`` as articles; the build's output and the items of all.json, by title."""
    source, output = tmp_path / "a", tmp_path / "out"
    source.mkdir()
    for name, text in files.items():
        (source / name).write_text(text, encoding="utf-8")
    result = runner.invoke(
        app, ["build", "--source", str(source), "--output", str(output), "--jobs", "1"]
    )
    assert result.exit_code == 0, result.output
    feed = json.loads((output / "all.json").read_text(encoding="utf-8"))
    return result.output, sorted(feed["items"], key=lambda item: item["date_published"])


@pytest.fixture(autouse=True)
def _cache_in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # a build without a config keeps its cache in the cwd


# Defect A: a lone surrogate in JSON front matter was an internal error.


def test_a_lone_surrogate_in_json_front_matter_is_replaced_with_a_note(
    runner: CliRunner, tmp_path: Path
) -> None:
    files = {
        "jsonsur.md": (
            ';;;\n"title": "JSON \\udcff lone",\n"categories": ["J\\ud800"],\n'
            '"date": "2023-01-14"\n;;;\nbody json\n'
        ),
        "jsonobj.md": (
            '{"title": "Obj \\udcff", "categories": ["K\\udcff"], "date": "2023-01-15"}\nbody obj\n'
        ),
    }
    output, items = build(runner, tmp_path, files)
    assert "internal" not in output and "skipped:" not in output
    assert f"note: jsonsur.md: frontmatter: {surrogate_note(2)}" in output
    assert f"note: jsonobj.md: frontmatter: {surrogate_note(2)}" in output
    assert [(item["title"], item["tags"]) for item in items] == [
        ("JSON \ufffd lone", ["J\ufffd"]),
        ("Obj \ufffd", ["K\ufffd"]),
    ]
    rss = feedparser.parse((tmp_path / "out" / "all.rss.xml").read_bytes())
    assert not rss.bozo
    assert sorted(entry.title for entry in rss.entries) == ["JSON \ufffd lone", "Obj \ufffd"]


SHAPES = {  # one title, one category, in every syntax front matter may have
    "yaml": '---\ntitle: "{title}"\ncategories: ["{category}"]\n---\nbody\n',
    "yaml, line reader": '---\ntitle: "{title}"\n' + NOT_YAML + 'categories: ["{category}"]\n---\n',
    "toml": '+++\ntitle = "{title}"\ncategories = ["{category}"]\n+++\nbody\n',
    "json": ';;;\n"title": "{title}",\n"categories": ["{category}"]\n;;;\nbody\n',
    "json object": '{{"title": "{title}", "categories": ["{category}"]}}\nbody\n',
}


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize(
    ("title", "category", "read_title", "read_category", "lone"),
    [
        ("lone \\udcff here", "sur\\udcffrogate", "lone \ufffd here", "sur\ufffdrogate", 2),
        ("pair \\ud83d\\ude00 emoji", "K\\ud800", "pair \U0001f600 emoji", "K\ufffd", 1),
        ("big \\U0000dcff", "ok", "big \ufffd", "ok", 1),
        ("reversed \\ude00\\ud83d", "ok", "reversed \ufffd\ufffd", "ok", 2),
    ],
)
def test_every_syntax_repairs_a_surrogate_escape_alike(
    shape: str, title: str, category: str, read_title: str, read_category: str, lone: int
) -> None:
    if shape.startswith("json") and "\\U" in title:
        title = title.replace("\\U0000", "\\u")  # JSON has no \U escape
    text = SHAPES[shape].format(title=title, category=category)
    matter, _, warnings = read_front_matter(text, [], [])
    assert (matter.title, matter.categories) == (read_title, (read_category,))
    assert warnings[-1] == surrogate_note(lone)


def test_front_matter_without_surrogates_gets_no_surrogate_note() -> None:
    for shape in SHAPES.values():
        text = shape.format(title="Caf\\u00e9", category="\\u00e9t\\u00e9")
        matter, _, warnings = read_front_matter(text, [], [])
        assert (matter.title, matter.categories) == ("Café", ("été",))
        assert not any("surrogate" in warning for warning in warnings)


# Defect B: the line reader kept YAML's escapes as text.


def test_the_line_reader_reads_escapes_as_yaml_does(runner: CliRunner, tmp_path: Path) -> None:
    def article(title: str, category: str, day: int) -> str:
        head = f'---\ntitle: "{title}"\n{NOT_YAML}categories: ["{category}"]\n'
        return f"{head}date: 2023-01-{day}\n---\nbody\n"

    files = {
        "cafe.md": article('Caf\\u00e9 \\"quoted\\"', "P", 17),
        "pair.md": article("Pair \\ud83d\\ude00 emoji", "Q", 18),
        "lone.md": article("Surrogate \\udcff here", "sur\\udcffrogate", 19),
    }
    output, items = build(runner, tmp_path, files)
    assert "skipped:" not in output
    assert f"note: lone.md: frontmatter: {surrogate_note(2)}" in output
    assert [(item["title"], item["tags"]) for item in items] == [
        ('Café "quoted"', ["P"]),
        ("Pair \U0001f600 emoji", ["Q"]),
        ("Surrogate \ufffd here", ["sur\ufffdrogate"]),
    ]
    assert not (tmp_path / "out" / "sur-udcffrogate.json").exists()
    rss = feedparser.parse((tmp_path / "out" / "all.rss.xml").read_bytes())
    assert 'Café "quoted"' in [entry.title for entry in rss.entries]


@pytest.mark.parametrize(
    "lines",
    [
        "categories: [\"a\\u00e9\", 'b''c', \"d, e\", f]\n",
        'title: "tab\\there\\\\ \\/ \\x41 \\N\\_\\L\\P \\e\\0 \\ end"\n',
        'title: "one\n  two\n\n  three\\\n  four\\\n  \\ five"\n',
        "title: 'one\n  two\n\n  three '' four'\n",
        'title: "a \\"quoted\\" word"\ncategories:\n - "x\\u00e9"\n - \'y\'\'z\'\n',
    ],
)
def test_the_line_reader_agrees_with_yaml(lines: str) -> None:
    assert _read_lines(lines) == yaml.safe_load(lines)
    matter, _, _ = read_front_matter(f"---\n{NOT_YAML}{lines}---\n", [], [])
    data = yaml.safe_load(lines)
    assert matter.title == data.get("title")


@pytest.mark.parametrize(
    ("raw", "title"),
    [
        ('"bad \\q escape"', "bad \\q escape"),  # YAML has no \q: the text as it is
        ('"short \\x4"', "short \\x4"),
        ('"beyond \\U00110000"', "beyond \\U00110000"),
        ('"""""""\'Three Robots\'"""""""', "Three Robots"),  # the archive's quote runs, as before
        ("''''", ""),
    ],
)
def test_a_value_that_is_no_yaml_scalar_reads_as_before_beside_one_that_is(
    raw: str, title: str
) -> None:
    block = f'---\n{NOT_YAML}title: {raw}\ncategories: ["caf\\u00e9"]\n---\n'
    matter, _, warnings = read_front_matter(block, [], [])
    assert warnings and (matter.title, matter.categories) == (title, ("café",))


@given(
    st.text(),
    st.sampled_from(['"', "'"]),
    st.sampled_from([12, 80, 10**6]),  # short widths fold the scalar over several lines
    st.booleans(),
)
@settings(max_examples=600, deadline=None)
def test_a_quoted_scalar_reads_back_through_the_line_reader_as_through_yaml(
    text: str, style: str, width: int, allow_unicode: bool
) -> None:
    block = yaml.safe_dump(
        {"title": text}, default_style=style, width=width, allow_unicode=allow_unicode
    )
    expected = yaml.safe_load(block)["title"]  # not always ``text``: PyYAML folds a NEL
    if style == "'" and text and not text.strip("'"):
        expected = ""  # quotes only: a quote run around nothing, as the line reader read it
    assert _read_lines(block)["title"] == expected


def test_a_quote_escaped_at_the_end_of_a_line_continues_the_value_as_in_yaml() -> None:
    lines = 'title: "say \\"hi\\"\n  there"\ndate: "2022-01-02"\n'
    matter, _, _ = read_front_matter(f"---\n{NOT_YAML}{lines}---\n", [], [])
    assert (matter.title, matter.date) == ('say "hi" there', "2022-01-02")
    assert matter.title == yaml.safe_load(lines)["title"]
    # Not YAML (\d is no escape): the last quote closes it, and the next line is its own.
    matter, _, _ = read_front_matter(
        f'---\n{NOT_YAML}title: "C:\\dir\\"\ndate: 2022-01-02\n---\n', [], []
    )
    assert (matter.title, matter.date) == ("C:\\dir\\", "2022-01-02")
