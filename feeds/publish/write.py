"""Writing the output folder: atomically, and only what changed.

A reader (nginx serving ``output/``) must never see a half-written file, so every file is
written to a temporary file in its folder, synced, and renamed over the old one. A file
whose bytes did not change is not touched, so its mtime, ETag and Last-Modified stay put.
Outputs are named by paths relative to the output folder, and may lie in folders of it.
"""

from __future__ import annotations

import contextlib
import os
import stat
from collections.abc import Callable, Collection, Mapping
from pathlib import Path

from feeds.config import Config, where
from feeds.errors import BuildError, ConfigError
from feeds.publish.names import is_output_path
from feeds.publish.spool import output_size
from feeds.run.files import sync_dir, temporary_name, unchanged_file, write_many_atomic


def files_in_the_way(
    out: Path, listed: Collection[str], names: Collection[str], made_here: Callable[[bytes], bool]
) -> list[str]:
    """Those of ``names`` that exist in ``out`` but that this tool did not write.

    A file a person put there (a hand-written feed with the name a new category's feed
    gets) is theirs: it is neither overwritten nor, later, pruned. A file not ``listed`` by
    the manifest but whose start ``made_here`` knows is this tool's.
    """
    listed = set(listed)
    return sorted(
        name
        for name in names
        if name not in listed
        and os.path.lexists(out / name)
        and not made_here(_head_of_regular_file(out / name))
    )


def _head_of_regular_file(path: Path, size: int = 65536) -> bytes:
    """The first bytes of ``path`` (a feed's head, past its title and description); none
    if it is not a regular file (reading a FIFO would hang)."""
    try:
        if not stat.S_ISREG(path.stat().st_mode):
            return b""
        with path.open("rb") as f:
            return f.read(size)
    except OSError:  # unreadable: nothing of this tool's
        return b""


def prepare_output(config: Config) -> Path:
    """Create the output folder and prove it is writable, or raise a ConfigError naming it."""
    out = config.output
    probe = temporary_name(out)
    try:
        out.mkdir(parents=True, exist_ok=True)
        os.close(os.open(probe, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except OSError as e:
        raise ConfigError(
            f"{where(config, 'output')}: cannot write to {out}: {_reason(e)}"
        ) from None
    finally:
        # A running build may delete it first, taking it for its own killed run's garbage.
        with contextlib.suppress(OSError):
            probe.unlink()
    return out


WRITE_BATCH = 5000  # files written, synced and renamed at a time


def write_outputs(out: Path, outputs: Mapping[str, bytes]) -> list[str]:
    """Write each ``path -> bytes`` into ``out`` atomically; return the paths that changed.

    The bytes are asked of ``outputs`` one at a time (a spool reads them back from disk):
    never all of them at once, and not at all to tell that a file is missing or of
    another size."""
    changed: list[str] = []
    made: set[str] = set()
    folders: set[str] = set()
    for name in sorted(outputs):
        path = out / name
        folder = os.path.dirname(name)
        if folder not in made:
            _make_folder(path.parent)
            made.add(folder)
        if not _unchanged(path, outputs, name):
            changed.append(name)
            folders.add(folder)
    # Written, synced to disk once for a batch, then renamed: a build of thousands of pages
    # would spend most of its time in one fsync per file. In batches: the names of the
    # temporary files of 100,000 pages, held until their renames, would be tens of MB. A
    # build killed between two batches leaves some files new and some old, as one killed
    # among the renames of a batch: its manifest has them all to be written again.
    for start in range(0, len(changed), WRITE_BATCH):
        batch = changed[start : start + WRITE_BATCH]
        write_many_atomic(((out / name, outputs[name]) for name in batch), len(batch))
    for folder in sorted(folders):  # once for every rename in a folder, not once per file
        sync_dir(out / folder)
    return changed


def _make_folder(folder: Path) -> None:
    """Make ``folder`` and those above it, or raise a BuildError naming the one that could
    not be made: a folder of the output made read-only, or a file where it must be, stops
    the build before any file is written (the folders come first), not as a crash."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise BuildError(f"cannot write {e.filename or folder}: {_reason(e)}") from None


def _reason(error: OSError) -> str:
    return error.strerror or str(error)


def _unchanged(path: Path, outputs: Mapping[str, bytes], name: str) -> bool:
    """Whether ``path`` holds the output ``name`` already: its bytes are read (from a
    spool, from disk) only for a file of their size."""
    try:
        size = os.stat(path).st_size
    except OSError:
        return False  # missing or unreadable: write it
    return size == output_size(outputs, name) and unchanged_file(path, outputs[name])


def prune_outputs(out: Path, written: Collection[str], keep: Collection[str]) -> list[str]:
    """Delete the files an earlier build ``written`` that this build no longer produces,
    and the folders of them that this leaves empty."""
    removed = []
    for name in sorted(set(written) - set(keep)):
        path = out / name
        if _prune_one(out, name, path):
            removed.append(name)
            _remove_empty_folders(out, path.parent)
    return removed


def _prune_one(out: Path, name: str, path: Path) -> bool:
    """Delete ``path`` if it is an output of this tool's in ``out``; whether it did. A file
    that cannot be deleted (its folder read-only) is a BuildError naming it: the manifest is
    not written then, so the next build still lists it and deletes it."""
    try:
        if not (is_output_path(name) and _inside(out, path) and path.is_file()):
            return False
        path.unlink()
    except FileNotFoundError:
        return False  # gone already: nothing to delete
    except OSError as e:
        raise BuildError(f"cannot delete {path}: {_reason(e)}") from None
    return True


def _remove_empty_folders(out: Path, folder: Path) -> None:
    while folder != out and _inside(out, folder):
        try:
            folder.rmdir()  # only if empty: a person's file in it keeps it
        except OSError:
            return
        folder = folder.parent


def _inside(root: Path, path: Path) -> bool:
    return os.path.realpath(path).startswith(os.path.realpath(root) + os.sep)
