"""indented_json writes the text json.dumps(..., ensure_ascii=False, indent=2) writes."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from feeds.models import Problem
from feeds.run.jsontext import indented_json, indented_json_bytes

# Every character, lone surrogates included (a file name that is not UTF-8 has them).
TEXT = st.text(st.characters(blacklist_categories=()))
VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | TEXT,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(TEXT, inner, max_size=4),
    max_leaves=20,
)


@settings(max_examples=500, deadline=None)
@given(VALUES)
def test_the_text_is_json_dumps_text(value: Any) -> None:
    assert indented_json(value) == json.dumps(value, ensure_ascii=False, indent=2)


def test_dataclasses_are_written_as_their_fields() -> None:
    for path in ("a.md", "bad-\udcff.md"):
        value = {"problems": [Problem(path, "frontmatter", "no front matter")], "seconds": 0.123}
        plain = {"problems": [{"path": path, "stage": "frontmatter", "reason": "no front matter",
                               "skipped": True}], "seconds": 0.123}  # fmt: skip
        assert indented_json(value) == json.dumps(plain, ensure_ascii=False, indent=2)


@settings(max_examples=300, deadline=None)
@given(VALUES)
def test_the_bytes_read_back_as_the_value_even_with_lone_surrogates(value: Any) -> None:
    data = indented_json_bytes(value)
    assert json.loads(data.decode("utf-8")) == value
    if data.isascii():  # no UTF-8 holds a lone surrogate: then all is written in escapes
        assert data == (json.dumps(value, indent=2) + "\n").encode("ascii")
    else:
        assert data == (indented_json(value) + "\n").encode("utf-8")
