"""The article-file reader: one file in, its front matter fields and body out."""

from __future__ import annotations

from datetime import datetime

from feeds.config import Config
from feeds.models import Problem, RawArticle, Source

KIND = "file"


def file_source(path: str, rel: str, size: int, mtime_ns: int) -> Source:
    """The source of one article file: keyed by its absolute path, stamped by size and mtime."""
    return Source(KIND, path, rel, f"{size}:{mtime_ns}")


def read_file(source: Source, config: Config) -> RawArticle:
    """Read and decode one file and split off its front matter; raises ArticleError."""
    # Imported here: a build with nothing to do reads no file, and never needs them.
    from feeds.read.decode import read_article_text
    from feeds.read.frontmatter import read_front_matter

    notes: list[Problem] = []
    text, decoded = read_article_text(source.key, config.read.max_bytes)
    if decoded:
        notes.append(Problem(source.rel, "read", decoded, skipped=False))
    front, body, warnings = read_front_matter(
        text, config.thumbnail.fields, config.read.link_fields
    )
    notes += [Problem(source.rel, "frontmatter", w, skipped=False) for w in warnings]
    mtime = _modification_time(source, config)
    return RawArticle(source, front, body, mtime, "the file's modification time", tuple(notes))


def _modification_time(source: Source, config: Config) -> datetime | None:
    """The file's mtime as discovery saw it: the date of an article that names none."""
    mtime_ns = int(source.stamp.rpartition(":")[2])
    try:
        return datetime.fromtimestamp(mtime_ns // 1_000_000_000, config.tz)
    except (OverflowError, ValueError, OSError):  # an mtime years past 9999 or before 1
        return None
