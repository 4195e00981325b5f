"""A large JSON record written in pieces: the manifest of a site of 100,000 pages.

Made whole, its text was tens of MB held several times over (the sorted copies of its maps,
the compact text, the indented text, that text and a newline), on top of all a build holds
at its end: the top of a large build's memory. In pieces, only one piece is held at a time;
the bytes are the same as ``indented_json_bytes`` makes of the whole, so the files of older
and newer builds read alike.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

import msgspec

from feeds.run.files import write_atomic
from feeds.run.jsontext import indented_json_bytes

PIECE = 2000  # entries of a map or list encoded at once


def indented_json_pieces(record: Mapping[str, Any], piece: int = PIECE) -> Iterator[bytes]:
    """What ``indented_json_bytes`` makes of ``record`` (a dict of str keys) with each
    map it holds sorted by key, as pieces that join to it: no sorted copy of a map is made
    whole. Its maps and lists are cut every ``piece`` entries, each part encoded and
    indented on its own."""
    if not record:
        yield from _whole(record)
        return
    yield b"{\n"
    for number, (key, value) in enumerate(record.items()):
        yield (b",\n  " if number else b"  ") + msgspec.json.encode(key) + b": "
        for part in _value_pieces(value, piece):
            # One level deeper: no newline is inside a JSON string (it is written \n).
            yield part.replace(b"\n", b"\n  ")
    yield b"\n}\n"


def _value_pieces(value: Any, piece: int) -> Iterator[bytes]:
    if isinstance(value, dict) and value:
        keys = sorted(value)
        parts = ({k: value[k] for k in keys[i : i + piece]} for i in range(0, len(keys), piece))
        yield from _joined(parts, b"{", b"}")
    elif isinstance(value, list | tuple) and len(value) > piece:
        yield from _joined((value[i : i + piece] for i in range(0, len(value), piece)), b"[", b"]")
    else:
        yield from _whole(value)


def _joined(parts: Iterable[Any], opening: bytes, closing: bytes) -> Iterator[bytes]:
    """The indented text of a container whose entries come in ``parts`` (each a non-empty
    container of the same kind): each part's text without its brackets, joined."""
    yield opening
    for number, part in enumerate(parts):
        (text,) = _whole(part)
        # "{\n  entry,\n  entry\n}": the entries are between the first and last newline.
        yield (b",\n" if number else b"\n") + text[2:-2]
    yield b"\n" + closing


def _whole(value: Any) -> Iterator[bytes]:
    yield indented_json_bytes(value)[:-1]  # without the newline that ends a file


def write_pieces_if_changed(path: Path, pieces: Callable[[], Iterable[bytes]]) -> bool:
    """Write the bytes of ``pieces()`` to ``path`` atomically unless it holds them already;
    whether it wrote. ``pieces`` is called again to write what the comparison found changed:
    neither time are the pieces held together."""
    if _holds(path, pieces()):
        return False
    write_atomic(path, pieces())
    return True


def _holds(path: Path, pieces: Iterable[bytes]) -> bool:
    try:
        with path.open("rb") as f:
            return all(f.read(len(part)) == part for part in pieces) and not f.read(1)
    except OSError:
        return False  # missing or unreadable: write it
