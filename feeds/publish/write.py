"""Writing the output folder: atomically, only what changed, under a lock, with a manifest.

A reader (nginx serving ``output/``) must never see a half-written file, so every file is
written to a temporary file in the same folder, synced, and renamed over the old one. A file
whose bytes did not change is not touched, so its mtime, ETag and Last-Modified stay put.

Locks are ``flock`` locks that forked children (the parallel readers) do not keep: a killed
build's orphaned workers must never hold the next build off.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import stat
from collections.abc import Callable, Collection, Mapping
from pathlib import Path

from feeds.config import Config
from feeds.errors import ConfigError
from feeds.models import Problem
from feeds.report import BuildOptions, BuildReport, FeedReport, Rendered
from feeds.run.files import sync_dir, temporary_name, write_if_changed
from feeds.state.manifest import Manifest, is_output_name, output_stats, write_manifest


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


def write_outputs(out: Path, outputs: Mapping[str, bytes]) -> list[str]:
    """Write each ``name -> bytes`` into ``out`` atomically; return the names that changed."""
    changed = [
        name for name in sorted(outputs) if write_if_changed(out / name, outputs[name], sync=False)
    ]
    if changed:
        sync_dir(out)  # once for every rename, not once per file
    return changed


def prune_outputs(out: Path, old: Manifest, keep: Collection[str]) -> list[str]:
    """Delete files an earlier build wrote that this build no longer produces."""
    removed = []
    for name in sorted(set(old.files) - set(keep)):
        path = out / name
        if is_output_name(name) and _inside(out, path) and path.is_file():
            path.unlink()
            removed.append(name)
    return removed


def _inside(root: Path, path: Path) -> bool:
    return os.path.realpath(path).startswith(os.path.realpath(root) + os.sep)


def blocked_outputs(
    out: Path, manifest: Manifest, rendered: Rendered, report: BuildReport
) -> set[str]:
    """Output files this tool did not write, where it would write a feed: reported, kept."""
    from feeds.publish.names import made_here

    blocked = set(files_in_the_way(out, manifest, rendered.outputs, made_here))
    reason = (
        "a file this tool did not write has this feed's name; left as it is "
        "(move it away, or give the category another slug)"
    )
    report.problems += [
        Problem(str(out / name), "write", reason, False) for name in sorted(blocked)
    ]
    report.feeds = [_unwritten_left_out(feed, blocked) for feed in report.feeds]
    return blocked


def _unwritten_left_out(feed: FeedReport, blocked: set[str]) -> FeedReport:
    if not blocked.intersection(feed.files.values()):
        return feed
    files = {fmt: name for fmt, name in feed.files.items() if name not in blocked}
    return dataclasses.replace(feed, files=files)


def without_outputs(rendered: Rendered, names: set[str]) -> Rendered:
    if not names:
        return rendered
    outputs = {k: v for k, v in rendered.outputs.items() if k not in names}
    prints = {k: v for k, v in rendered.fingerprints.items() if k not in names}
    return Rendered(outputs, prints)


def write_build(
    out: Path, old: Manifest, rendered: Rendered, options: BuildOptions, report: BuildReport
) -> Manifest:
    """Write what changed, prune if asked, and record it all in the manifest."""
    slugs = old.slugs | {f.name: f.slug for f in report.feeds if f.name}
    names = set(rendered.fingerprints)
    # Listed before they are written: a build killed in between leaves no file untracked.
    listed = sorted_names(names | set(old.files))
    write_manifest(out, Manifest(listed, slugs, old.fingerprints, old.stats))
    report.changed = write_outputs(out, rendered.outputs)
    if options.prune:
        report.removed = prune_outputs(out, old, names)
    kept = names if options.prune else names | set(old.files)
    final = Manifest(sorted_names(kept), slugs, rendered.fingerprints, output_stats(out, kept))
    write_manifest(out, final)
    return final


def sorted_names(names: set[str]) -> tuple[str, ...]:
    return tuple(sorted(names))
