"""Feed slugs: readable, ASCII, unique, sticky, and never a path."""

from __future__ import annotations

import json
import random
import re
import subprocess
import sys
from importlib.resources import files
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from feeds.config import check_slug
from feeds.group.slug import SlugProcess, assign_slugs, short_hash, slugify, slugify_all


def test_chinese_names_become_pinyin_words() -> None:
    assert slugify("新浪财经") == "xinlang-caijing"
    assert slugify("新浪财经－国內") == "xinlang-caijing-guonei"
    assert slugify("金融") == "jinrong"
    assert slugify("掘金 - 热门") == "juejin-remen"


def test_words_read_otherwise_than_their_characters() -> None:
    assert slugify("长沙") == "changsha"  # not zhangsha
    assert slugify("音乐节") == "yinyuejie"  # not yinlejie
    assert slugify("银行行长") == "yinhanghangzhang"  # two phrases in one word
    assert slugify("厦门会计") == "xiamen-kuaiji"


def _slugs_in_a_new_process(names: list[str], *, whole_dictionary: bool = False) -> list[Any]:
    """``[slugs of names, phrases loaded, pypinyin variables left in the environment]``."""
    script = "import json, os, sys\nimport feeds.group.slug as s\n"
    if whole_dictionary:  # as with a pypinyin whose phrases are no JSON file
        script += "def no_file(*args):\n    raise OSError\ns._phrases_in = no_file\n"
    script += (
        "slugs = s._slugify_many(json.load(sys.stdin))\n"
        "from pypinyin.constants import PHRASES_DICT\n"
        "env = [k for k in os.environ if k.startswith('PYPINYIN')]\n"
        "print(json.dumps([slugs, len(PHRASES_DICT), env]))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script],
        input=json.dumps(names),
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    result: list[Any] = json.loads(done.stdout)
    return result


def test_only_the_phrases_in_the_names_are_loaded_and_they_give_the_same_slugs() -> None:
    """pypinyin's 47,000 phrases take ~45 MB loaded; the slugs need those in their names."""
    text = files("pypinyin").joinpath("phrases_dict.json").read_text("utf-8")
    phrases = sorted(json.loads(text))
    rng = random.Random(6)
    names = rng.sample(phrases, 300) + ["".join(rng.sample(phrases, 3)) for _ in range(300)]
    slugs, loaded, env = _slugs_in_a_new_process(names)
    assert len(phrases) > 40_000 and 300 <= loaded < 3_000 and env == []
    everything = _slugs_in_a_new_process(names, whole_dictionary=True)
    assert everything == [slugs, len(phrases), []]


def test_names_without_han_characters_load_no_dictionary() -> None:
    script = (
        "import sys\nfrom feeds.group.slug import slugify_all\n"
        "slugify_all([]), slugify_all(['Café', 'ボタン'])\n"
        "print([name for name in ('pypinyin', 'rjieba') if name in sys.modules])\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert done.stdout == "[]\n", done.stderr


def test_other_scripts_and_markdown_links() -> None:
    assert slugify("Technology") == "technology"
    assert slugify("Webtoons - [Naver](https://comic.naver.com)") == "webtoons-naver"
    assert slugify("5億年ボタン") == "5-yinian-botan"
    assert slugify("Café Crème") == "cafe-creme"


def test_hostile_names_never_escape() -> None:
    for name in ["../..", "/", "", "🎉🎉", "x" * 300, "..\\..\\etc", "\x00"]:
        slug = slugify(name)
        assert re.fullmatch(r"[a-z0-9-]*", slug)
        assert len(slug) <= 60


def test_assign_slugs_collisions_overrides_and_memory() -> None:
    slugs = assign_slugs(["a b", "A-B", "", "金融"], {"金融": "finance"}, {})
    assert slugs["金融"] == "finance"
    assert slugs["A-B"] == "a-b"  # the first name in sorted order wins the plain slug
    assert slugs["a b"] == "a-b-" + short_hash("a b")
    assert slugs[""] == "feed"
    assert len(set(slugs.values())) == 4
    # a name keeps the slug it had before, even if a new name would now claim it
    again = assign_slugs(["A-B", "a b"], {}, {"a b": "a-b"})
    assert again["a b"] == "a-b"
    assert again["A-B"] == "a-b-" + short_hash("A-B")


def test_reserved_slug_is_not_given_away() -> None:
    assert assign_slugs(["All"], {}, {}, reserved=["all"])["All"] != "all"


@settings(max_examples=150, deadline=None)
@given(st.lists(st.text(max_size=80), max_size=12))
def test_assigned_slugs_are_unique_and_safe(names: list[str]) -> None:
    slugs = assign_slugs(names, {}, {}, reserved=["all"])
    assert len(set(slugs.values())) == len(slugs)
    assert "all" not in slugs.values()
    assert all(check_slug(s) for s in slugs.values())


def test_check_slug_refuses_paths() -> None:
    assert check_slug("finance")
    for bad in ["../x", "a/b", ".hidden", "", "a" * 101, "a..b"]:
        assert not check_slug(bad)


def test_slugs_made_in_a_separate_process_are_the_same() -> None:
    names = ["新浪财经", "Technology", "重庆银行", "掘金 - 热门"]
    assert slugify_all(names, SlugProcess()) == {name: slugify(name) for name in names}
    assert slugify_all(names, SlugProcess())["重庆银行"] == "chongqing-yinhang"


def test_a_slug_process_started_early_gives_the_same_slugs() -> None:
    names = ["新浪财经", "重庆银行", "ボタン"]
    helper = SlugProcess()
    helper.start()
    process = helper._process
    assert process is not None and process.poll() is None  # loading while the build reads
    slugs = slugify_all(names, helper)
    assert slugs == {name: slugify(name) for name in names}
    assert process.returncode == 0 and helper._process is None


def test_a_slug_process_not_needed_is_stopped() -> None:
    with SlugProcess() as helper:
        helper.start()
        process = helper._process
        assert slugify_all(["Technology"], helper) == {
            "Technology": "technology"
        }  # no Han: slugified here, the process is not used
    assert process is not None and process.returncode is not None


def test_slugs_from_a_script_on_stdin(tmp_path: Path) -> None:
    """The separate process must work whatever the caller's main module is."""
    script = (
        "from feeds.group.slug import SlugProcess, slugify_all\n"
        "print(slugify_all(['新浪财经'], SlugProcess()))\n"
    )
    done = subprocess.run(
        [sys.executable, "-"],
        input=script,
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
    )
    assert done.stdout == "{'新浪财经': 'xinlang-caijing'}\n", done.stderr


def test_a_slug_process_ignores_a_feeds_folder_in_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "feeds").mkdir()
    (tmp_path / "feeds" / "__init__.py").write_text("raise ImportError('not this one')\n")
    monkeypatch.chdir(tmp_path)
    assert SlugProcess().slugify(["新浪财经"]) == ["xinlang-caijing"]


def test_a_remembered_slug_is_not_given_to_a_new_name() -> None:
    # "Foo" had "foo" in an earlier build and has no article now; "foo" is new.
    slugs = assign_slugs(["foo"], {}, {"Foo": "foo"})
    assert slugs["foo"] == "foo-" + short_hash("foo")
    again = assign_slugs(["Foo", "foo"], {}, {"Foo": "foo", "foo": slugs["foo"]})
    assert again == {"Foo": "foo", "foo": slugs["foo"]}
