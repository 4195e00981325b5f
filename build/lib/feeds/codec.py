"""An entry as the cache stores it and workers send it: its light form pickled, its text beside."""

from __future__ import annotations

import pickle

from feeds.models import Article, Problem

Entry = Article | Problem  # a readable file gives an article, a bad one its problem


# An entry as stored: its light form pickled, its HTML and summary, and whether those are
# there (an article read for its light form only has neither yet). See pack.
Packed = tuple[bytes, str, str, bool]


_PROTOCOL = pickle.HIGHEST_PROTOCOL


def pack(entry: Entry, complete: bool = True) -> Packed:
    """An entry as the cache stores it: its light form pickled, then its HTML and summary.

    ``complete`` is False for an article read for its light form only (no HTML yet).

    Done where the file was parsed (a worker process): the main process then stores the
    pickle as it came, and only loads it for the light article it keeps. Pickling the
    light form again there would be work for the one process the workers wait on.
    """
    if isinstance(entry, Article):
        light = entry.light()  # the HTML and summary are most of an article's size
        return pickle.dumps(light, _PROTOCOL), entry.content_html, entry.summary, complete
    return pickle.dumps(entry, _PROTOCOL), "", "", True


def unpack(packed: Packed) -> Entry:
    """The light entry of ``pack``'s result: what stays in memory for every file."""
    entry: Entry = pickle.loads(packed[0])
    return entry
