"""Rendered outputs kept on disk, not in memory, until they are written.

A build gathers every output before it writes any, so that a failure part way leaves the
output folder as the last good build left it; with a page per article, that is the whole
site. A spool appends them to one temporary file with no name (unlinked from the start: a
killed build leaves nothing behind), on the output's file system rather than in a /tmp that
may be memory, and gives them back one at a time, as the writer asks for them.
"""

from __future__ import annotations

import os
import tempfile
import weakref
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import IO

from feeds.run.files import TMP_PREFIX

_LENGTH_BITS = 48  # an output of up to 256 TiB
_LENGTH_MASK = (1 << _LENGTH_BITS) - 1


class Spool(Mapping[str, bytes]):
    """``{relative path: bytes}``, the bytes in a temporary file in ``folder`` (the system's
    temporary folder if None). The file is made by the first ``add``: a spool left empty
    (a build with nothing to render, ``feeds check``) touches no disk."""

    def __init__(self, folder: Path | None) -> None:
        self._folder = folder
        self._file: IO[bytes] | None = None
        # name -> offset << _LENGTH_BITS | length: one int, not a tuple of two, for each of
        # a large archive's 100,000 pages (a third of the memory)
        self._index: dict[str, int] = {}
        self._end = 0
        self._source: Spool | None = None  # the spool whose file this one reads, kept open

    def add(self, name: str, data: bytes) -> None:
        """Keep ``data`` as the output ``name`` (a name added again: its last bytes)."""
        fd = self._fileno()
        offset = self._end
        view = memoryview(data)
        while view:
            written = os.pwrite(fd, view, offset)
            view, offset = view[written:], offset + written
        self._index[name] = self._end << _LENGTH_BITS | len(data)
        self._end = offset

    def size(self, name: str) -> int:
        """The length of the output ``name``, without reading it back."""
        return self._index[name] & _LENGTH_MASK

    def omitting(self, names: set[str]) -> Spool:
        """This spool without ``names``: the same file, read through a smaller index."""
        view = Spool(self._folder)
        view._file, view._end = self._file, self._end
        view._index = {k: v for k, v in self._index.items() if k not in names}
        view._source = self
        return view

    def __getitem__(self, name: str) -> bytes:
        place = self._index[name]
        offset, length = place >> _LENGTH_BITS, place & _LENGTH_MASK
        if not length:
            return b""
        assert self._file is not None  # something was added, so the file was made
        parts = []
        while length:
            part = os.pread(self._file.fileno(), length, offset)
            if not part:  # the file shrank under us: never this tool's doing
                raise OSError(f"the spool of rendered outputs lost {name}")
            parts.append(part)
            offset, length = offset + len(part), length - len(part)
        return b"".join(parts)

    def __contains__(self, name: object) -> bool:
        return name in self._index  # the Mapping default would read the bytes back

    def __iter__(self) -> Iterator[str]:
        return iter(self._index)

    def __len__(self) -> int:
        return len(self._index)

    def _fileno(self) -> int:
        if self._file is None:
            # Named like the writer's temporary files where the system cannot make a file
            # without a name (it is unlinked at once): a build killed in between leaves one
            # that the next build removes.
            self._file = tempfile.TemporaryFile(prefix=TMP_PREFIX, dir=self._folder)  # noqa: SIM115
            # Closed when the last spool reading it is gone (omitting() shares it), however
            # the build ends.
            weakref.finalize(self, self._file.close)
        return self._file.fileno()


def output_size(outputs: Mapping[str, bytes], name: str) -> int:
    """The length of the output ``name``; from a spool, without reading it back."""
    return outputs.size(name) if isinstance(outputs, Spool) else len(outputs[name])


def omitting(outputs: Mapping[str, bytes], names: set[str]) -> Mapping[str, bytes]:
    """``outputs`` less ``names``; from a spool, without reading it back."""
    if isinstance(outputs, Spool):
        return outputs.omitting(names)
    return {name: data for name, data in outputs.items() if name not in names}


def spooled(outputs: Mapping[str, bytes], folder: Path) -> Mapping[str, bytes]:
    """``outputs`` in a spool in ``folder`` (the system's temporary folder if it is none
    yet); a spool, or no outputs, as they are."""
    if isinstance(outputs, Spool) or not outputs:
        return outputs
    spool = Spool(folder if folder.is_dir() else None)
    for name, data in outputs.items():
        spool.add(name, data)
    return spool


def joined(parts: list[Mapping[str, bytes]]) -> Mapping[str, bytes]:
    """The outputs of every part in one mapping: into the largest spool among them, if any
    (the others are small: the feeds), else a dict."""
    spools = [part for part in parts if isinstance(part, Spool)]
    if not spools:
        return {name: data for part in parts for name, data in part.items()}
    spool = max(spools, key=len)
    for part in parts:
        if part is not spool:
            for name, data in part.items():
                spool.add(name, data)
    return spool
