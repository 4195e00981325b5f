"""An entry as the cache stores it and workers send it: its light form encoded, its text beside.

The light form is msgpack, decoded against the typed fields of ``Article`` or ``Problem``:
data only, never code. A cache file is a file on disk like any other, and unpickling one
that someone else wrote would run what they put there; a value of the wrong shape is a
``msgspec.DecodeError`` here, which the cache treats as damage.
"""

from __future__ import annotations

import msgspec

from feeds.models import Article, Problem, shared_values

Entry = Article | Problem  # a readable file gives an article, a bad one its problem


# An entry as stored: its light form encoded, its HTML and summary, and whether those are
# there (an article read for its light form only has neither yet). See pack.
Packed = tuple[bytes, str, str, bool]

DecodeError = msgspec.DecodeError  # a damaged or foreign entry (ValidationError is one too)

_ENCODER = msgspec.msgpack.Encoder()
# One tag byte first: msgspec decodes a union of two dataclasses only by a tag field.
_ARTICLE, _PROBLEM = b"a", b"p"
_DECODERS: dict[int, msgspec.msgpack.Decoder[Article] | msgspec.msgpack.Decoder[Problem]] = {
    _ARTICLE[0]: msgspec.msgpack.Decoder(Article),
    _PROBLEM[0]: msgspec.msgpack.Decoder(Problem),
}


def pack(entry: Entry, complete: bool = True) -> Packed:
    """An entry as the cache stores it: its light form encoded, then its HTML and summary.

    ``complete`` is False for an article read for its light form only (no HTML yet).

    Done where the file was parsed (a worker process): the main process then stores the
    bytes as they came, and only decodes them for the light article it keeps.
    """
    if isinstance(entry, Article):
        light = entry.light()  # the HTML and summary are most of an article's size
        return _ARTICLE + _ENCODER.encode(light), entry.content_html, entry.summary, complete
    return _PROBLEM + _ENCODER.encode(entry), "", "", True


def unpack(packed: Packed) -> Entry:
    """The light entry of ``pack``'s result: what stays in memory for every file."""
    return decode_entry(packed[0])


def decode_entry(meta: bytes) -> Entry:
    """The entry ``pack`` encoded in ``meta``; raises DecodeError for anything else."""
    decoder = _DECODERS.get(meta[0]) if meta else None
    if decoder is None:
        raise DecodeError("not an encoded entry")
    entry: Entry = decoder.decode(memoryview(meta)[1:])
    return shared_values(entry) if isinstance(entry, Article) else entry
