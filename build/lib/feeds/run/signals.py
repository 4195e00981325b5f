"""SIGINT and SIGTERM as an exception (``Stopped``) that unwinds a command like any error."""

from __future__ import annotations

import contextlib
import os
import signal
import threading
from collections.abc import Iterator
from types import FrameType


class Stopped(BaseException):
    """Raised where the build is when SIGINT or SIGTERM arrives.

    Not an Exception: no ``except Exception`` in the build swallows it. It unwinds the build
    as any error does, so the cleanup already there runs: temporary files unlinked, worker
    processes killed, the cache and the output lock released. Nothing was half-written:
    files are renamed into place whole.
    """

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


STOPPED_BY: dict[int, str] = {signal.SIGINT: "interrupted", signal.SIGTERM: "terminated"}


@contextlib.contextmanager
def stopped_by_signals() -> Iterator[None]:
    """Within: SIGINT and SIGTERM raise Stopped in the main thread. Handlers restored after.

    A signal that whoever started the build ignores (``nohup``, a shell's background job)
    stays ignored. Only the main thread may set handlers; elsewhere this changes nothing.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    owner = os.getpid()

    def stop(signum: int, frame: FrameType | None) -> None:
        # A child forked by the build (a worker, the slug helper before its exec) that has
        # not set its own handlers yet: the build's cleanup is not its to do.
        if os.getpid() != owner:
            _die_as_by_default(signum)
            return
        # Once only: a second signal would break into the cleanup the first one started.
        for sig in old:
            signal.signal(sig, signal.SIG_IGN)
        raise Stopped(signum)

    old = {sig: signal.getsignal(sig) for sig in STOPPED_BY}
    for sig, handler in old.items():
        if handler in (signal.SIG_DFL, signal.default_int_handler):
            signal.signal(sig, stop)
    try:
        yield
    finally:
        for sig, handler in old.items():
            signal.signal(sig, handler)


def _die_as_by_default(signum: int) -> None:
    """In a child: SIGTERM kills it, as with no handler; SIGINT is ignored, as the workers
    ignore it (the parent stops them)."""
    if signum == signal.SIGTERM:
        signal.signal(signum, signal.SIG_DFL)
        os.kill(os.getpid(), signum)
