"""The article-file reader: one file in, its front matter fields and body out."""

from __future__ import annotations

from feeds.config import Config
from feeds.models import Problem, RawArticle, Source
from feeds.read.decode import read_article_text
from feeds.read.discover import mtime_of
from feeds.read.frontmatter import read_front_matter


def read_file(source: Source, config: Config) -> RawArticle:
    """Read and decode one file and split off its front matter; raises ArticleError."""
    notes: list[Problem] = []
    text, decoded = read_article_text(source.key, config.read.max_bytes)
    if decoded:
        notes.append(Problem(source.rel, "read", decoded, skipped=False))
    front, body, warnings = read_front_matter(
        text, config.thumbnail.fields, config.read.link_fields
    )
    notes += [Problem(source.rel, "frontmatter", w, skipped=False) for w in warnings]
    mtime = mtime_of(source.stamp)  # as discovery saw it
    return RawArticle(source, front, body, mtime, "the file's modification time", tuple(notes))
