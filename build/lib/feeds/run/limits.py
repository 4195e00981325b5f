"""A time limit for the work on one item: one file must not hold a build (and its lock)."""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator
from types import FrameType


class TimeUp(BaseException):
    """Raised where the work is when its time is up. Not an Exception: no ``except
    Exception`` on the way may take it for the work's own error and carry on."""


def _expired(signum: int, frame: FrameType | None) -> None:
    raise TimeUp


@contextlib.contextmanager
def time_limits() -> Iterator[None]:
    """Let ``time_limit`` work in this process (and the workers it forks) for a while.

    Only the main thread receives signals; elsewhere no limit applies. The handler before
    is back afterwards: a process that builds again and again keeps its own.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGALRM, _expired)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def start_time_limit(seconds: float) -> bool:
    """Raise TimeUp once ``seconds`` have passed (0: no limit), inside ``time_limits``;
    returns whether a limit runs, to end with ``end_time_limit``. Work in C (a regex,
    libxml2) is stopped when it returns to Python. Two calls, not a context manager: this
    runs once per article of a cold build."""
    if seconds <= 0 or signal.getsignal(signal.SIGALRM) is not _expired:
        return False
    signal.setitimer(signal.ITIMER_REAL, seconds)
    return True


def end_time_limit() -> None:
    signal.setitimer(signal.ITIMER_REAL, 0)
