"""Half of a list's work in a forked process while this one does the other half.

For work that waits on the system more than it computes: the ``stat()`` of every file of a
large archive, on every run. Apart from ``run.parallel``: that one imports multiprocessing,
which costs a build with nothing to do more than it would save.
"""

from __future__ import annotations

import marshal
import os
import threading
from collections.abc import Callable, Sequence
from typing import Any, NoReturn, TypeVar

T = TypeVar("T")
# Below this many items, the fork and the pipe would cost more than the half they save.
SPLIT_FROM = 20_000


def in_two_halves(work: Callable[[Sequence[T]], list[Any]], items: Sequence[T]) -> list[Any]:
    """``work(items)``: its first half done here while a forked process does the second.

    ``work`` gives one result an item, each a value ``marshal`` takes (str, None, ...). The
    results are the same whichever process made them: where there is no fork, beside other
    threads (one may hold a lock the child would wait on), or when the fork or the child
    fails, this process does it all; and below ``SPLIT_FROM`` items.
    """
    half = len(items) // 2
    if len(items) < max(SPLIT_FROM, 2) or not hasattr(os, "fork") or threading.active_count() > 1:
        return work(items)
    try:
        reader, writer = os.pipe()
    except OSError:
        return work(items)
    try:
        pid = os.fork()
    except OSError:
        os.close(reader)
        os.close(writer)
        return work(items)
    if pid == 0:
        _child(work, items[half:], reader, writer)
    os.close(writer)
    try:
        mine = work(items[:half])
        theirs = _read_all(reader)
    finally:
        os.close(reader)  # a child still writing (this one was interrupted) gets EPIPE
        os.waitpid(pid, 0)
    results = _results(theirs, len(items) - half)
    return mine + (work(items[half:]) if results is None else results)


def _child(
    work: Callable[[Sequence[T]], list[Any]], items: Sequence[T], reader: int, writer: int
) -> NoReturn:
    # Whatever happens here (an error, Ctrl-C, the CLI's SIGTERM handler), this process
    # ends at once: it never runs the parent's cleanup, never flushes the parent's buffers.
    code = 1
    try:
        os.close(reader)
        data = memoryview(marshal.dumps(work(items)))
        while data:
            data = data[os.write(writer, data) :]
        code = 0
    finally:
        os._exit(code)


def _read_all(fd: int) -> bytes:
    parts = []
    while part := os.read(fd, 1 << 20):
        parts.append(part)
    return b"".join(parts)


def _results(data: bytes, count: int) -> list[Any] | None:
    """The child's results; None if it died before it sent them all."""
    try:
        results = marshal.loads(data)
    except (EOFError, ValueError, TypeError):
        return None
    return results if isinstance(results, list) and len(results) == count else None
