"""Writing the output folder: atomically, only what changed, under a lock, with a manifest.

A reader (nginx serving ``output/``) must never see a half-written file, so every file is
written to a temporary file in the same folder, synced, and renamed over the old one. A file
whose bytes did not change is not touched, so its mtime, ETag and Last-Modified stay put.

Locks are ``flock`` locks that forked children (the parallel readers) do not keep: a killed
build's orphaned workers must never hold the next build off.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import secrets
import stat
from collections.abc import Callable, Collection, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from feeds.config import Config
from feeds.errors import BuildError, ConfigError

MANIFEST = ".feeds-manifest.json"
LOCK = ".feeds.lock"
TMP_PREFIX = ".feeds-tmp-"
_held_locks: set[int] = set()  # descriptors of the locks this process holds


@dataclass(frozen=True, slots=True)
class Manifest:
    """What earlier builds wrote: the only files ``--prune`` may delete, and sticky slugs."""

    files: tuple[str, ...] = ()
    slugs: dict[str, str] = field(default_factory=dict)
    fingerprints: dict[str, str] = field(default_factory=dict)  # file -> hash of its inputs
    # file -> (size, mtime_ns) as written: a file changed since (emptied, edited, damaged)
    # differs, and is written again although its inputs did not change.
    stats: dict[str, tuple[int, int]] = field(default_factory=dict)

    def intact(self, out: Path, name: str) -> bool:
        """Whether ``out/name`` is still as the build that wrote this manifest left it."""
        found = output_stat(out / name)
        return found is not None and found == self.stats.get(name)


Stat = tuple[int, int]


def output_stat(path: Path) -> Stat | None:
    try:
        st = path.stat()
    except OSError:
        return None
    return (st.st_size, st.st_mtime_ns)


def output_stats(out: Path, names: Collection[str]) -> dict[str, Stat]:
    return {name: stat for name in sorted(names) if (stat := output_stat(out / name))}


def is_output_name(name: str) -> bool:
    """A name this tool may write or delete: a plain file name, not one of its hidden files.

    A hand-edited manifest could list anything; pruning trusts only names of this shape.
    """
    return bool(name) and "/" not in name and os.sep not in name and not name.startswith(".")


def files_in_the_way(
    out: Path, manifest: Manifest, names: Collection[str], made_here: Callable[[bytes], bool]
) -> list[str]:
    """Those of ``names`` that exist in ``out`` but that this tool did not write.

    A file a person put there (a hand-written feed with the name a new category's feed
    gets) is theirs: it is neither overwritten nor, later, pruned. A file the manifest does
    not list but whose start ``made_here`` knows is this tool's.
    """
    listed = set(manifest.files)
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
        reason = e.strerror or str(e)
        raise ConfigError(f"{config.path}: output: cannot write to {out}: {reason}") from None
    finally:
        # A running build may delete it first, taking it for its own killed run's garbage.
        with contextlib.suppress(OSError):
            probe.unlink()
    return out


def temporary_name(folder: Path) -> Path:
    """A new temporary file's name in ``folder``, to create with O_EXCL.

    Named before it is made, not by ``mkstemp``: a signal that lands once the file exists
    but before ``mkstemp`` returns its name would leave it behind, unknown to the cleanup.
    """
    return folder / f"{TMP_PREFIX}{secrets.token_hex(8)}"


def remove_stale_temporaries(out: Path) -> None:
    """Temporary files left by a killed build are garbage: the real files were never touched."""
    for path in out.glob(TMP_PREFIX + "*"):
        with contextlib.suppress(OSError):
            path.unlink()


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
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
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


def read_manifest(out: Path) -> Manifest:
    try:
        data = json.loads((out / MANIFEST).read_text(encoding="utf-8"))
        files = tuple(str(f) for f in data["files"] if is_output_name(str(f)))
        slugs = {str(k): str(v) for k, v in data["slugs"].items()}
        prints = {str(k): str(v) for k, v in data.get("fingerprints", {}).items()}
        stats = {str(k): (int(v[0]), int(v[1])) for k, v in data.get("stats", {}).items()}
    except (OSError, ValueError, KeyError, TypeError, AttributeError, IndexError):
        return Manifest()  # missing or damaged: start afresh, never trust half of it
    return Manifest(files=files, slugs=slugs, fingerprints=prints, stats=stats)


def write_outputs(out: Path, outputs: Mapping[str, bytes]) -> list[str]:
    """Write each ``name -> bytes`` into ``out`` atomically; return the names that changed."""
    changed = [
        name for name in sorted(outputs) if write_if_changed(out / name, outputs[name], sync=False)
    ]
    if changed:
        _sync_dir(out)  # once for every rename, not once per file
    return changed


def write_manifest(out: Path, manifest: Manifest) -> bool:
    data = {
        "version": 1,
        "files": sorted(manifest.files),
        "slugs": dict(sorted(manifest.slugs.items())),
        "fingerprints": dict(sorted(manifest.fingerprints.items())),
        "stats": {name: list(stat) for name, stat in sorted(manifest.stats.items())},
    }
    text = json.dumps(data, ensure_ascii=False, indent=2) + "\n"
    return write_if_changed(out / MANIFEST, text.encode("utf-8"))


def prune_outputs(out: Path, old: Manifest, keep: Collection[str]) -> list[str]:
    """Delete files an earlier build wrote that this build no longer produces."""
    removed = []
    for name in sorted(set(old.files) - set(keep)):
        path = out / name
        if is_output_name(name) and _inside(out, path) and path.is_file():
            path.unlink()
            removed.append(name)
    return removed


def write_if_changed(path: Path, data: bytes, *, sync: bool = True) -> bool:
    try:
        if path.stat().st_size == len(data) and path.read_bytes() == data:
            return False
    except OSError:
        pass  # missing or unreadable: write it
    write_atomic(path, data, sync=sync)
    return True


def write_atomic(path: Path, data: bytes, *, sync: bool = True) -> None:
    """Replace ``path`` with ``data`` in one rename: a reader sees the old file or the new.

    Syncing the folder makes the rename survive a power cut; ``sync=False`` leaves that to
    the caller, who syncs once after many renames. A disk that is full or a folder where
    the file should be is a BuildError naming the file, not a crash.
    """
    tmp = temporary_name(path.parent)
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o644)  # whatever the umask: the web server must read it
        os.replace(tmp, path)
    except BaseException as e:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        if isinstance(e, OSError):
            raise BuildError(f"cannot write {path}: {e.strerror or e}") from None
        raise
    if sync:
        _sync_dir(path.parent)


def _sync_dir(folder: Path) -> None:
    # The rename is durable only once the folder entry is on disk.
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _inside(root: Path, path: Path) -> bool:
    return os.path.realpath(path).startswith(os.path.realpath(root) + os.sep)
