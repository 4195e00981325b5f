"""JSON text as ``json.dumps(value, ensure_ascii=False, indent=2)`` writes it, made in C,
and read back into a typed record, in C too.

With ``indent`` the json module encodes in pure Python: for a manifest of thousands of
outputs, or a report of thousands of feeds, that was a large share of a small rebuild.
msgspec writes the same text for what these hold: str keys, strings, ints, bools, None,
lists, tuples and dataclasses (as their fields, in order, like ``dataclasses.asdict``), and
floats that ``repr`` writes without an exponent (for ``1e-07`` and ``nan`` msgspec
writes ``1e-7`` and ``null``). A lone surrogate (a file name that is not UTF-8) is not encodable by
msgspec; then the json module writes the text, as it always did.
"""

from __future__ import annotations

import dataclasses
import json
from typing import Any, TypeVar

import msgspec

T = TypeVar("T")


def indented_json(value: Any) -> str:
    try:
        compact = msgspec.json.encode(value)
    except UnicodeEncodeError:
        return json.dumps(_plain(value), ensure_ascii=False, indent=2)
    return msgspec.json.format(compact, indent=2).decode("utf-8")


def indented_json_bytes(value: Any) -> bytes:
    """``indented_json(value)`` and a newline, UTF-8 encoded, made without the text between:
    for a manifest of 100,000 pages that is tens of MB, held twice (a str of CJK slugs takes
    up to four bytes a character, and adding the newline copies it). Text holding a lone
    surrogate has no UTF-8: it is written all in ASCII escapes, as json reads it back."""
    try:
        compact = msgspec.json.encode(value)
    except UnicodeEncodeError:
        return (json.dumps(_plain(value), indent=2) + "\n").encode("ascii")
    indented = msgspec.json.format(compact, indent=2)
    del compact  # not held beside the two copies of the indented text
    return indented + b"\n"


def json_value(data: bytes, kind: type[T]) -> T:
    """The JSON in ``data`` as a ``kind`` (a msgspec Struct, say): decoded and checked in
    one pass by msgspec, no Python loop over what it holds. JSON msgspec does not parse
    (a lone surrogate, NaN) is read by json and then checked. A ValueError for what is
    not JSON or not a ``kind``."""
    try:
        return msgspec.json.decode(data, type=kind)
    except msgspec.ValidationError:
        raise
    except msgspec.DecodeError:
        return msgspec.convert(json.loads(data.decode("utf-8")), kind)


def _plain(value: Any) -> Any:
    """``value`` with its dataclasses made dicts, for the json module."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.asdict(value)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value
