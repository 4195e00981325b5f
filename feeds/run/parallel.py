"""Work shared over forked processes: parsing articles, rendering feeds.

Each worker gets its own pipe and a fixed share of the work, decided in advance. There is no
shared task queue whose lock a killed worker could take to its grave (ProcessPoolExecutor can
then hang for ever on Python 3.11), and results come back in input order whatever the timing.
Forking also hands each worker the parent's data (config, feeds) without pickling it.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import signal
import threading
from collections.abc import Callable, Iterator, Sequence
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from typing import TypeVar

from feeds.errors import BuildError
from feeds.run.orphans import die_with_parent

T = TypeVar("T")
R = TypeVar("R")
Worker = tuple[BaseProcess, Connection]
# Chunks a worker does before a fresh fork takes its place. A forked worker shares the
# parent's memory until one of them writes to a page, and a worker's allocations land in the
# free spaces of the heap it inherited: one that read 50,000 articles had copied most of its
# parent's heap. A fresh fork costs a few milliseconds.
FRESH_AFTER = 100


def can_fork() -> bool:
    """Whether this process may fork workers: where fork exists, and with no other thread.

    A thread (a preview server's, say) may hold a lock at the moment of the fork, and the
    child would wait on it for ever; a process with threads does its work itself.
    """
    return "fork" in multiprocessing.get_all_start_methods() and threading.active_count() == 1


def map_maybe_forked(
    function: Callable[[T], R],
    items: Sequence[T],
    jobs: int,
    parallel_from: int,
    chunk: int,
    *,
    died: str,
    fork_below: int | None = None,
    parent_works: bool = False,
) -> Iterator[R]:
    """``function`` of each item, in order: over ``jobs`` processes (0: every core) when
    there are at least ``parallel_from`` items, else here, where starting processes would
    cost more than it saves. With ``parent_works``, this process is one of the ``jobs``.

    With ``fork_below``, only while this process holds fewer bytes than that in memory: for
    a short job. A worker copies each page of its parent's heap that it writes to, and its
    allocations land in the free spaces of the heap it inherited, so beside a large heap a
    few workers cost more memory than their seconds are worth.
    """
    jobs = jobs or available_cores()
    if jobs == 1 or len(items) < parallel_from or not can_fork():
        return map(function, items)
    if fork_below is not None and resident_bytes() >= fork_below:
        return map(function, items)
    return map_forked(function, items, jobs, chunk, died=died, parent_works=parent_works)


def resident_bytes() -> int:
    """The memory this process holds (its resident set); 0 where the system does not say."""
    try:
        with open("/proc/self/statm", "rb") as statm:
            return int(statm.read().split()[1]) * _PAGE_SIZE
    except (OSError, ValueError, IndexError):
        return 0


_PAGE_SIZE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096


def available_cores() -> int:
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))  # the cores this process may use, not the machine's
    return os.cpu_count() or 1


def map_forked(
    function: Callable[[T], R],
    items: Sequence[T],
    jobs: int,
    chunk: int,
    *,
    died: str,
    fresh_after: int = FRESH_AFTER,
    parent_works: bool = False,
) -> Iterator[R]:
    """``function`` of each item, in order, computed by ``jobs`` forked processes, or by
    ``jobs - 1`` and this one (``parent_works``).

    Items go out in chunks of ``chunk``, dealt round-robin. An exception in a worker is raised
    here, in the parent; a worker that dies (the OOM killer) raises BuildError(``died``).
    A worker does at most ``fresh_after`` chunks, then a fresh one is forked in its place.

    A worker's memory of its own is the pages of its parent's it writes to (reference counts
    included) and what it allocates; the parent's work costs neither. While the parent does
    its chunk, a worker does its next one (a pipe holds only part of a chunk's results, so it
    waits there for the parent to take them, not longer).
    """
    chunks = [items[i : i + chunk] for i in range(0, len(items), chunk)]
    per_round = jobs * fresh_after
    for start in range(0, len(chunks), per_round):
        part = chunks[start : start + per_round]
        yield from _one_round(function, part, jobs, died, parent_works)


def _one_round(
    function: Callable[[T], R],
    chunks: Sequence[Sequence[T]],
    jobs: int,
    died: str,
    parent_works: bool,
) -> Iterator[R]:
    workers: list[Worker] = []
    forked = jobs - 1 if parent_works else jobs
    try:  # started inside: a fork that fails (no memory) must not orphan the ones before it
        for j in range(min(forked, len(chunks))):
            with signals_held():
                workers.append(_start(function, chunks[j::jobs]))
        for k in range(len(chunks)):
            if k % jobs < forked:
                yield from _receive(workers[k % jobs], died)
            else:  # the parent's share
                yield from [function(item) for item in chunks[k]]
    finally:
        for process, conn in workers:
            conn.close()
            process.kill()  # finished ones are gone already; others were abandoned
            process.join()


# The signals that stop a build (run.signals).
_HELD = {signal.SIGINT, signal.SIGTERM}


@contextlib.contextmanager
def signals_held() -> Iterator[None]:
    """SIGINT and SIGTERM held back within, and delivered as it ends: while a worker starts.

    Arriving inside multiprocessing's start (a finalizer half made), the build's ``Stopped``
    left a traceback of multiprocessing's on the way out; once the worker is listed, it is
    stopped with the others. Where signals cannot be held (no pthread_sigmask), nothing is.
    """
    if not hasattr(signal, "pthread_sigmask"):
        yield
        return
    before = signal.pthread_sigmask(signal.SIG_BLOCK, _HELD)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, before)


def _start(function: Callable[[T], R], chunks: Sequence[Sequence[T]]) -> Worker:
    receiver, sender = multiprocessing.Pipe(duplex=False)
    context = multiprocessing.get_context("fork")
    process = context.Process(target=_work, args=(function, chunks, sender, os.getpid()))
    process.daemon = True
    try:
        process.start()
    except OSError as e:
        receiver.close()
        raise BuildError(f"cannot start a worker process: {e.strerror or e}") from None
    finally:
        sender.close()  # the parent's copy: the pipe reports EOF once the worker's is gone
    return process, receiver


def _receive(worker: Worker, died: str) -> list[R]:
    try:
        failed, results = worker[1].recv()
    except (EOFError, OSError):
        raise BuildError(died) from None
    except Exception as e:  # sent, but cannot be rebuilt here (an odd exception class)
        raise BuildError(f"a worker's result could not be read: {type(e).__name__}: {e}") from None
    if failed:
        raise results
    return results  # type: ignore[no-any-return]


def _work(
    function: Callable[[T], R], chunks: Sequence[Sequence[T]], conn: Connection, parent: int
) -> None:
    # Ctrl-C is the parent's to handle: it stops the workers and exits with one message.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # The CLI's SIGTERM handler, copied by the fork, unwinds the build in the parent; a
    # worker told to end just ends.
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    if hasattr(signal, "pthread_sigmask"):  # forked while they were held (signals_held)
        signal.pthread_sigmask(signal.SIG_UNBLOCK, _HELD)
    # A worker orphaned by a killed build would otherwise go on to the end of its share.
    die_with_parent()
    if os.getppid() != parent:  # the parent died before prctl took effect
        os._exit(1)
    for chunk in chunks:
        try:
            message: tuple[bool, object] = (False, [function(item) for item in chunk])
        except Exception as e:  # raised again in the parent, as if the work were done there
            message = (True, e)
        _send(conn, message)
        if message[0]:
            break
    conn.close()


def _send(conn: Connection, message: tuple[bool, object]) -> None:
    try:
        conn.send(message)
    except Exception as e:  # an exception that cannot be pickled: its text still gets there
        failed, value = message
        conn.send((True, BuildError(f"{type(value).__name__}: {value}" if failed else str(e))))
