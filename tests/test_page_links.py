"""Pages link to each other relatively: ``paths.relative`` gives what ``posixpath.relpath``
gives for every pair of paths, the odd ones included."""

from __future__ import annotations

import posixpath
from urllib.parse import quote

from hypothesis import example, given, settings
from hypothesis import strategies as st

from feeds.publish.pages.paths import relative

_PART = st.sampled_from(["c", "pages", "2024", "05", "index.html", "a.html", "x y", "é", ".", ".."])


@settings(max_examples=1000)
@given(
    st.lists(_PART, min_size=1, max_size=5),
    st.lists(_PART, min_size=1, max_size=5),
    st.booleans(),
)
@example(["index.html"], ["pages", "2024", "05", "a.html"], False)
@example(["c", "x", "index.html"], ["c", "x", "2.html"], False)
@example(["c"], ["c", "index.html"], False)
@example(["pages", "a.html"], ["index.html"], False)
def test_relative_links_are_what_relpath_gives(
    path: list[str], page: list[str], leading: bool
) -> None:
    target, start = "/".join(path), ("/" if leading else "") + "/".join(page)
    folder = posixpath.dirname(start) or "."
    assert relative(target, start) == quote(posixpath.relpath(target, folder))


def test_links_between_pages() -> None:
    assert relative("index.html", "pages/2024/05/a.html") == "../../../index.html"
    assert relative("c/tech/2.html", "c/tech/index.html") == "2.html"
    assert relative("c/tech/index.html", "index.html") == "c/tech/index.html"
    assert relative("c/x y/index.html", "c/z/index.html") == "../x%20y/index.html"
    assert relative("c", "c/index.html") == "."
