"""The feed parser on any input: a feed's entries, or ArticleError, never anything else."""

from __future__ import annotations

import json
from html import escape

from hypothesis import given, settings
from hypothesis import strategies as st

from feeds.errors import ArticleError
from feeds.read.feedparse import parse_feed


def _reads_as_double_encoded(text: str) -> bool:
    """Whether feedparser takes ``text`` for UTF-8 that was read as Latin-1 and encoded
    again (mojibake such as 'Ã©'), and repairs it, on purpose: such titles are rare."""
    try:
        text.encode("iso-8859-1").decode("utf-8")
    except UnicodeError:
        return False
    return any(ord(c) > 127 for c in text)


# Text XML 1.0 can carry (no control characters, no lone surrogates)
TEXT = st.text(st.characters(blacklist_categories=("Cc", "Cs")), max_size=40).filter(
    lambda t: not _reads_as_double_encoded(t)
)
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=20,
)


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=400))
def test_any_bytes_are_a_feed_or_an_article_error(data: bytes) -> None:
    try:
        parse_feed(data)
    except ArticleError as e:
        assert e.stage == "feed"


@settings(max_examples=200, deadline=None)
@given(st.lists(st.dictionaries(
    st.sampled_from(["id", "url", "title", "content_html", "content_text", "summary", "image",
                     "date_published", "date_modified", "authors", "author", "tags",
                     "attachments", "external_url"]),
    JSON_VALUES, max_size=8), max_size=5))  # fmt: skip
def test_any_json_feed_items_read_without_error(items: list[dict[str, object]]) -> None:
    document = {"version": "https://jsonfeed.org/version/1.1", "title": "t", "items": items}
    feed = parse_feed(json.dumps(document).encode())
    assert len(feed.entries) == len(items)
    assert all(isinstance(e.id, str) and e.id for e in feed.entries)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(TEXT, TEXT), min_size=1, max_size=5))
def test_rss_items_come_back_with_their_titles_and_links(items: list[tuple[str, str]]) -> None:
    entries = "".join(
        f"<item><title>{escape(title)}</title><link>https://example.org/{n}</link>"
        f"<description>{escape(text)}</description></item>"
        for n, (title, text) in enumerate(items)
    )
    document = (
        "<?xml version='1.0' encoding='utf-8'?><rss version='2.0'><channel><title>t</title>"
        f"<link>https://example.org/</link><description>d</description>{entries}</channel></rss>"
    )
    feed = parse_feed(document.encode("utf-8"))
    assert [e.link for e in feed.entries] == [f"https://example.org/{n}" for n in range(len(items))]
    assert [e.title for e in feed.entries] == [title.strip() for title, _ in items]
