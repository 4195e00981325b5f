"""Atomic files: written to a temporary name in the same folder, synced, renamed into place.

A reader (nginx serving ``output/``) must never see a half-written file; a file whose bytes
did not change is not touched, so its mtime, ETag and Last-Modified stay put.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterable
from pathlib import Path

from feeds.errors import BuildError

TMP_PREFIX = ".feeds-tmp-"


def temporary_name(folder: Path) -> Path:
    """A new temporary file's name in ``folder``, to create with O_EXCL.

    Named before it is made, not by ``mkstemp``: a signal that lands once the file exists
    but before ``mkstemp`` returns its name would leave it behind, unknown to the cleanup.
    """
    # secrets.token_hex(8), without importing secrets (and hmac, random) into every run.
    return folder / f"{TMP_PREFIX}{os.urandom(8).hex()}"


def write_if_changed(path: Path, data: bytes) -> bool:
    """Write ``data`` to ``path`` atomically unless it holds them already; whether it wrote."""
    if unchanged_file(path, data):
        return False
    write_atomic(path, data)
    return True


def write_atomic(path: Path, data: bytes | Iterable[bytes]) -> None:
    """Replace ``path`` with ``data`` (its bytes, or pieces of them written one after the
    other) in one rename, synced with its folder: a reader sees the old file or the new,
    and so does the disk after a power cut. A disk that is full or a folder where the file
    should be is a BuildError naming the file, not a crash."""
    write_many_atomic([(path, data)], 1)
    sync_dir(path.parent)


def sync_dir(folder: Path) -> None:
    # The rename is durable only once the folder entry is on disk.
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def unchanged_file(path: Path, data: bytes) -> bool:
    """Whether ``path`` holds ``data`` already (then it is left alone: mtime and all)."""
    try:
        return path.stat().st_size == len(data) and path.read_bytes() == data
    except OSError:
        return False  # missing or unreadable: write it


SYNC_EACH_UP_TO = 64


def write_many_atomic(items: Iterable[tuple[Path, bytes | Iterable[bytes]]], count: int) -> None:
    """Replace the ``count`` files of ``items``, each in one rename, with one flush to disk
    for them all. ``items`` may be made as they are written: their bytes are not kept.

    Each is written to a temporary file beside it; then the file system is synced once
    (an fsync per file cost most of a build that writes thousands of pages; a few files
    are synced each); then each is
    renamed over its old version. A build killed before a rename leaves that file old, its
    temporary file for the next build to remove; the folders are the caller's to sync.
    """
    # A few files are synced each: syncing the whole file system also waits for whatever
    # else is being written to it.
    few = count <= SYNC_EACH_UP_TO
    # (temporary, final) not renamed yet, as strings: a cold build of a large archive
    # writes 100,000 pages, and a Path weighs several times its string.
    written: list[tuple[str, str]] = []
    renamed = 0
    # The file being written or renamed, for the message: not the first of those not yet
    # renamed, which is another file when the tenth temporary file cannot be made.
    current = ""
    try:
        for path, data in items:
            tmp = os.fspath(temporary_name(path.parent))
            current = os.fspath(path)
            written.append((tmp, current))  # named before it exists: the cleanup knows it
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as f:
                f.writelines((data,) if isinstance(data, bytes) else data)
                if few:
                    f.flush()
                    os.fsync(f.fileno())
            os.chmod(tmp, 0o644)  # whatever the umask: the web server must read it
        if written and not few:
            _sync_file_system(written[0][0])
        for tmp, current in written:
            os.replace(tmp, current)
            renamed += 1
    except BaseException as e:
        for tmp, _ in written[renamed:]:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
        if isinstance(e, OSError):
            raise BuildError(f"cannot write {current or e.filename}: {e.strerror or e}") from None
        raise


def _sync_file_system(member: str) -> None:
    """Flush the file system ``member`` is on (Linux's syncfs; elsewhere every one)."""
    if sys.platform == "linux":
        import ctypes  # here: only a build that writes many files needs it

        fd = os.open(member, os.O_RDONLY)
        try:
            if ctypes.CDLL(None, use_errno=True).syncfs(fd) == 0:
                return
        finally:
            os.close(fd)
    os.sync()
