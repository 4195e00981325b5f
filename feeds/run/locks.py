"""Locks: one build at a time per output folder and per cache.

Locks are ``flock`` locks that forked children (the parallel readers) do not keep: a killed
build's orphaned workers must never hold the next build off.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import Iterator
from pathlib import Path

from feeds.errors import BuildError
from feeds.run.files import TMP_PREFIX

LOCK = ".feeds.lock"


_held_locks: set[int] = set()  # descriptors of the locks this process holds


def remove_stale_temporaries(out: Path) -> None:
    """Temporary files left by a killed build are garbage: the real files were never touched.

    Outputs lie in folders too (the pages), and each is written beside its final name.
    """
    for folder, subfolders, files in os.walk(out):
        subfolders[:] = [d for d in subfolders if not d.startswith(".")]  # not this tool's
        for name in files:
            if name.startswith(TMP_PREFIX):
                with contextlib.suppress(OSError):
                    os.unlink(os.path.join(folder, name))


@contextlib.contextmanager
def output_lock(out: Path, *, wait: bool) -> Iterator[None]:
    """Hold the output folder's lock; a second build fails at once unless ``wait``.

    Stale temporary files are removed only under the lock: outside it they might be the
    files a running build is about to rename into place.
    """
    with contextlib.ExitStack() as stack:
        try:
            stack.enter_context(hold_lock(out / LOCK, wait=wait))
        except BlockingIOError:
            raise BuildError(
                f"another feeds build is running on {out} (lock {out / LOCK}); "
                "use --wait to wait for it"
            ) from None
        except OSError as e:  # a folder in its place, say
            raise BuildError(f"cannot lock {out / LOCK}: {e.strerror or e}") from None
        remove_stale_temporaries(out)
        yield


@contextlib.contextmanager
def hold_lock(path: Path, *, wait: bool) -> Iterator[None]:
    """Hold an exclusive lock on ``path``; raise BlockingIOError if it is taken and not ``wait``.

    The kernel drops the lock when the process dies, however it dies.
    """
    # Not through a symlink: one planted in its place would make the lock a file elsewhere.
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX if wait else fcntl.LOCK_EX | fcntl.LOCK_NB)
        _held_locks.add(fd)
        yield
    finally:
        _held_locks.discard(fd)
        os.close(fd)  # releases the lock


def _drop_inherited_locks() -> None:
    # A forked child shares the parent's lock; closing its copy leaves the parent's intact.
    for fd in _held_locks:
        with contextlib.suppress(OSError):
            os.close(fd)
    _held_locks.clear()


os.register_at_fork(after_in_child=_drop_inherited_locks)
