"""Reading: each kind of source has a reader, in a table; each gives ``RawArticle``s.

A reader discovers its sources (``discover``) and reads one of them (``read``). Reading
runs in worker processes, with cleaning (``read.batch``): the two are most of a cold build.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from feeds.config import Config
from feeds.models import Problem, RawArticle, Source
from feeds.read import files
from feeds.read.discover import discover_files


@dataclass(frozen=True, slots=True)
class Reader:
    discover: Callable[[Config], tuple[list[Source], list[Problem]]]
    read: Callable[[Source, Config], RawArticle]  # raises ArticleError for a bad source


READERS: dict[str, Reader] = {files.KIND: Reader(discover_files, files.read_file)}


def discover_all(config: Config) -> tuple[list[Source], list[Problem]]:
    """Every source of every reader, each reader's in its own stable order."""
    sources: list[Source] = []
    problems: list[Problem] = []
    for reader in READERS.values():
        found, trouble = reader.discover(config)
        sources += found
        problems += trouble
    return sources, problems


def read_raw(source: Source, config: Config) -> RawArticle:
    return READERS[source.kind].read(source, config)
