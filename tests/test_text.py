"""Plain-text fields: titles, authors, summaries and the text of HTML."""

from __future__ import annotations

import re
import unicodedata

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from feeds.clean.text import ELLIPSIS, collapse_spaces, plain_text, summarize


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        # The real 雪球 title holds a literal &nbsp; (twice).
        (
            "2021年雪球上的十大热门话题吧雪球视频_&nbsp;2021年度雪球十大热门话题&nbsp;视频链接",
            "2021年雪球上的十大热门话题吧雪球视频_ 2021年度雪球十大热门话题 视频链接",
        ),
        # A Mastodon title spans several lines.
        ('@003_miss_ "\n20話😢😢😢😢\n"', '@003_miss_ " 20話😢😢😢😢 "'),
        ("<b>Bold</b> &amp; <i>italic</i>", "Bold & italic"),
        ("Don&#39;t Panic!", "Don't Panic!"),
        ("  spaced \t out\u3000title  ", "spaced out title"),
        (" ", ""),
        ("!", "!"),
        ("-", "-"),
        ("a < b and c > d", "a < b and c > d"),
        ("<<三体>> 第2集", "<<三体>> 第2集"),
        ("bell\x07 and null\x00 and \ufffe gone", "bell and null and gone"),
    ],
)
def test_plain_text(raw: str, expected: str) -> None:
    assert plain_text(raw) == expected


@pytest.mark.parametrize(
    "raw",
    [
        "&lt;script&gt;alert(1)&lt;/script&gt;",
        "&lt;img src=x onerror=alert(1)&gt;",
        "<scr<b>ipt>alert(1)</script>",
        "&#60;svg/onload=alert(1)&#62;",
    ],
)
def test_plain_text_never_holds_markup_even_after_decoding(raw: str) -> None:
    # Many readers show RSS titles as HTML: no "<" may start a tag in the result.
    assert "<" not in plain_text(raw)


def test_summarize_keeps_short_text_whole() -> None:
    assert summarize("  短文本\n两行  ", 10) == "短文本 两行"


def test_summarize_cuts_at_length_with_ellipsis() -> None:
    text = "工信部将研制中小企业数字化转型指导文件" * 3
    result = summarize(text, 10)
    assert result == text[:9] + ELLIPSIS
    assert len(result) == 10


@pytest.mark.parametrize(
    ("text", "length", "expected"),
    [
        ("cafe\u0301s and more", 5, "caf…"),  # é is e + combining acute: not split
        ("cafe\u0301s and more", 6, "cafe\u0301…"),
        ("ab👨\u200d👩\u200d👧 family", 5, "ab…"),  # a ZWJ family is one picture
        ("ok 👍🏽 fine", 5, "ok…"),  # thumb + skin tone
        ("flags 🇨🇳🇯🇵 here", 9, "flags 🇨🇳…"),  # a flag is two regional indicators
        ("flags 🇨🇳🇯🇵 here", 8, "flags…"),
    ],
)
def test_summarize_never_splits_a_grapheme(text: str, length: int, expected: str) -> None:
    assert summarize(text, length) == expected


@settings(max_examples=200, deadline=None)
@given(st.text(), st.integers(min_value=1, max_value=60))
# A text that opens with a mark (U+0591) cut to one character keeps nothing but the ellipsis:
# the mark has no base to be split from.
@example("\u05910", 1)
def test_summarize_is_bounded_and_a_prefix(text: str, length: int) -> None:
    result = summarize(text, length)
    assert len(result) <= length
    whole = " ".join(text.split())
    if result.endswith(ELLIPSIS) and result != whole:
        kept = result[: -len(ELLIPSIS)]
        assert whole.startswith(kept)
        following = whole[len(kept) :]
        # A cut after some text never leaves a mark on the far side, cut off from its base.
        assert not (kept and following) or unicodedata.combining(following[0]) == 0
        assert not kept.endswith("\u200d")
    else:
        assert result == whole


@settings(max_examples=150, deadline=None)
@given(st.text())
def test_plain_text_output_is_clean(value: str) -> None:
    result = plain_text(value)
    assert result == result.strip()
    assert "  " not in result
    assert not any(ord(ch) < 0x20 or ch in "\ufffe\uffff" for ch in result)


# Whitespace of every kind Python knows, and characters that look like it but are not.
_SPACEY = st.text(
    alphabet=st.sampled_from(
        list(" \t\n\r\x0b\x0c\x1c\x1d\x1e\x1f\x85\xa0\u1680\u2000\u2028\u2029\u202f\u3000")
        + list("a中\u200b\ufeff\u180e_-")
    )
)


@pytest.mark.slow
@settings(max_examples=500, deadline=None)
@given(st.one_of(_SPACEY, st.text()))
def test_collapse_spaces_is_the_regex_it_replaces(text: str) -> None:
    assert collapse_spaces(text) == re.sub(r"\s+", " ", text).strip()
