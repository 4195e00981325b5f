"""Reading: each kind of source has a reader, in a table; each gives ``RawArticle``s.

A reader discovers its sources (``discover``) and reads one of them (``read``). Reading
runs in worker processes, with cleaning (``read.batch``): the two are most of a cold build.
"""

from __future__ import annotations

import functools
import importlib
from collections.abc import Callable
from dataclasses import dataclass

from feeds.config import Config
from feeds.models import Problem, RawArticle, Source
from feeds.read import discover

ReadFn = Callable[[Source, Config], RawArticle]  # raises ArticleError for a bad source


@dataclass(frozen=True, slots=True)
class Reader:
    discover: Callable[[Config], tuple[list[Source], list[Problem]]]
    # "module:function" of its read, imported when the first source of its kind is read: a
    # build with nothing to do discovers every source but reads none, and a reader's parsers
    # are slow to import.
    read: str


READERS: dict[str, Reader] = {
    discover.KIND: Reader(discover.discover_files, "feeds.read.files:read_file"),
}


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
    return _read_function(source.kind)(source, config)


@functools.cache
def _read_function(kind: str) -> ReadFn:
    module, _, name = READERS[kind].read.partition(":")
    function: ReadFn = getattr(importlib.import_module(module), name)
    return function
