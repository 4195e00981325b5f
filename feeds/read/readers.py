"""Reading: each kind of source has a reader, in a table; each gives ``RawArticle``s.

A reader discovers its sources (``discover``) and reads one of them (``read``). Reading
runs in worker processes, with cleaning (``read.batch``): the two are most of a cold build.
"""

from __future__ import annotations

import functools
import importlib
from collections.abc import Callable

from feeds.config import Config
from feeds.models import Problem, RawArticle, Source
from feeds.read import discover
from feeds.records import record

ENTRY_KIND = "entry"  # a feed's entry (read.entries)


class Memory:
    """What the build keeps between runs for a reader (a feed's last good fetch), as two
    plain functions: ``recall(key)`` gives the bytes ``remember(key, bytes)`` kept."""

    __slots__ = ("recall", "remember")

    def __init__(
        self, recall: Callable[[str], bytes | None], remember: Callable[[str, bytes], None]
    ) -> None:
        self.recall, self.remember = recall, remember


FORGETFUL = Memory(lambda key: None, lambda key, record: None)

ReadFn = Callable[[Source, Config], RawArticle]  # raises ArticleError for a bad source
# A reader's discovery: its sources, and the problems of those it could not take
Discover = Callable[[Config, Memory], tuple[list[Source], list[Problem]]]


@record
class Reader:
    discover: Discover
    # "module:function" of its read, imported when the first source of its kind is read: a
    # build with nothing to do discovers every source but reads none, and a reader's parsers
    # are slow to import.
    read: str


def _discover_files(config: Config, memory: Memory) -> tuple[list[Source], list[Problem]]:
    return discover.discover_files(config)  # files need no memory: their stat says it all


def _discover_entries(config: Config, memory: Memory) -> tuple[list[Source], list[Problem]]:
    if not config.feed_sources:
        return [], []  # the usual build: the feed reader is not even imported
    from feeds.read.entries import discover_entries

    return discover_entries(config, memory)


READERS: dict[str, Reader] = {
    discover.KIND: Reader(_discover_files, "feeds.read.files:read_file"),
    ENTRY_KIND: Reader(_discover_entries, "feeds.read.entries:read_entry"),
}


def discover_all(config: Config, memory: Memory = FORGETFUL) -> tuple[list[Source], list[Problem]]:
    """Every source of every reader, each reader's in its own stable order."""
    sources: list[Source] = []
    problems: list[Problem] = []
    for reader in READERS.values():
        found, trouble = reader.discover(config, memory)
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
