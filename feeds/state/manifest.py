"""The manifest: what this tool wrote into the output folder, and from what."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import field
from pathlib import Path
from typing import Any

import msgspec

from feeds.publish.names import is_output_path
from feeds.records import record
from feeds.run.halves import in_two_halves
from feeds.run.jsontext import json_value
from feeds.state.pieces import indented_json_pieces, write_pieces_if_changed

MANIFEST = ".feeds-manifest.json"
# Beside the manifest while a build writes: the files it is about to write (the manifest's
# own maps for the new ones: slugs, pages, first seen). A build killed part way leaves the
# manifest of the build before it and this, which read together track every file it may
# have written, and hold none of those as written (so the next build writes them again).
# Made of what changes only: a site of 100,000 pages does not write its manifest twice.
PENDING = ".feeds-manifest-pending.json"


@record
class Manifest:
    """What earlier builds wrote: the only files ``--prune`` may delete, and sticky slugs."""

    files: tuple[str, ...] = ()
    slugs: dict[str, str] = field(default_factory=dict)
    fingerprints: dict[str, str] = field(default_factory=dict)  # file -> hash of its inputs
    # file -> (size, mtime_ns) as written: a file changed since (emptied, edited, damaged)
    # differs, and is written again although its inputs did not change.
    stats: dict[str, tuple[int, int]] = field(default_factory=dict)
    # source prefix ("" for a single source) -> its articles at that build: a source that
    # had some and has none now is an accident until --force says otherwise
    articles: dict[str, int] = field(default_factory=dict)
    # The config file whose builds write this folder: another one's would overwrite its
    # feeds on every run, and prune them ("" before any build recorded one)
    owner: str = ""
    # article path -> the date (POSIX seconds) an article dated only by its file's
    # modification time was first seen with: its date from then on, on every clone
    first_seen: dict[str, int] = field(default_factory=dict)
    # article guid -> the path of its page, given once: a page's URL never changes
    pages: dict[str, str] = field(default_factory=dict)

    def all_intact(self, out: Path) -> bool:
        """Whether every output of this manifest is still as the build that wrote it left it."""
        return UnchangedOutputs(out, self).all_as_left(self.fingerprints)


Stat = tuple[int, int]


class UnchangedOutputs:
    """Whether an output is as the build of ``manifest`` left it, from the same inputs (an
    ``Unchanged`` test); it keeps the stats it took (None: no file), so that the manifest
    written after is made without taking them again. The build holds the output's lock
    from the test to the write: nothing of this tool's changes them in between."""

    def __init__(self, out: Path, manifest: Manifest) -> None:
        self._folder = output_folder(out)
        self._fingerprints, self._stats = manifest.fingerprints, manifest.stats
        self.stats: dict[str, Stat | None] = {}

    def __call__(self, name: str, fingerprint: str) -> bool:
        return self._fingerprints.get(name) == fingerprint and self._as_left(name)

    def all_as_left(self, names: Iterable[str]) -> bool:
        """Whether each output of ``names`` is as the manifest's build left it (from the
        inputs it recorded, whatever they were)."""
        names = list(names)
        # Every page's stat() at 100,000 pages: half of them in a forked process.
        found = in_two_halves(self._stats_of, names)
        # Each one kept (all() would stop at the first change): the manifest written after
        # takes them as they are.
        kept = [self._kept(name, stat) for name, stat in zip(names, found, strict=True)]
        return all(kept)

    def _stats_of(self, names: Sequence[str]) -> list[Stat | None]:
        folder = self._folder
        return [output_stat(folder + name) for name in names]

    def _as_left(self, name: str) -> bool:
        return self._kept(name, output_stat(self._folder + name))

    def _kept(self, name: str, found: Stat | None) -> bool:
        """Keep the stat ``found`` of ``name``; whether it is the manifest's."""
        before = self._stats.get(name)
        if found is None or found != before:
            self.stats[name] = found
            return False
        self.stats[name] = before  # the manifest's own: not a second tuple for every page
        return True


def output_stat(path: str) -> Stat | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_size, st.st_mtime_ns)


def output_stats(
    out: Path,
    names: Collection[str],
    known: Mapping[str, Stat | None] | None = None,
    written: Collection[str] = (),
) -> dict[str, Stat]:
    """The stats of the outputs ``names`` that exist; those ``known`` are not taken again,
    unless they were ``written`` since."""
    folder = output_folder(out)
    known = known or {}
    stats = {}
    for name in names:  # sorted by the caller, and the manifest's file is sorted anyway
        taken = name in known and name not in written
        stat = known[name] if taken else output_stat(folder + name)
        if stat:
            stats[name] = stat
    return stats


def output_folder(out: Path) -> str:
    """The output folder as the start of its outputs' paths: ``output_folder(out) + name``.
    Joined as plain strings: a build stats thousands, and pathlib's joins cost as much as
    the system calls. A name that joins otherwise than pathlib would join it (never one
    this tool wrote) is only found changed, so rendered."""
    return os.path.join(out, "")


def read_manifest(out: Path) -> Manifest:
    """The manifest of the last build, with the files a build killed since was writing."""
    manifest = _read_record(out / MANIFEST) or Manifest()
    pending = _read_record(out / PENDING)
    return manifest if pending is None else _with_pending(manifest, pending)


def _read_record(path: Path) -> Manifest | None:
    try:
        data = json_value(path.read_bytes(), _Record)
    except (OSError, ValueError):
        return None  # missing or damaged: start afresh, never trust half of it
    files = tuple(f for f in data.files if is_output_path(f))
    # An output's name is in up to four of the maps: each is kept once, not four times
    # (100,000 pages' names are tens of MB).
    same = {name: name for name in files}
    prints = {same.get(k, k): v for k, v in data.fingerprints.items()}
    stats = {same.get(k, k): v for k, v in data.stats.items()}
    pages: dict[str, str] = {}
    for guid, page in data.pages.items():
        name = same.get(page)  # a name in ``files`` passed is_output_path already
        if name is not None:
            pages[guid] = name
        elif is_output_path(page):
            pages[guid] = page
    return Manifest(
        files, data.slugs, prints, stats, data.articles, data.owner, data.first_seen, pages
    )


class _Record(msgspec.Struct):
    """The manifest's file, as ``_record`` writes it: checked as it is decoded."""

    files: list[str]
    slugs: dict[str, str]
    fingerprints: dict[str, str] = {}
    stats: dict[str, tuple[int, int]] = {}
    articles: dict[str, int] = {}
    owner: str = ""
    first_seen: dict[str, int] = {}
    pages: dict[str, str] = {}


def _with_pending(manifest: Manifest, pending: Manifest) -> Manifest:
    """``manifest`` tracking the files of ``pending`` too, none of them as written: the
    killed build may have replaced each, or not yet."""
    coming = set(pending.files)
    return Manifest(
        tuple(sorted(coming.union(manifest.files))),
        manifest.slugs | pending.slugs,
        {k: v for k, v in manifest.fingerprints.items() if k not in coming},
        {k: v for k, v in manifest.stats.items() if k not in coming},
        pending.articles or manifest.articles,
        pending.owner or manifest.owner,
        manifest.first_seen | pending.first_seen,
        manifest.pages | pending.pages,
    )


def write_manifest(out: Path, manifest: Manifest) -> bool:
    """Write ``manifest`` unless the file holds it already; whether it wrote. In pieces:
    a site of 100,000 pages has a manifest of tens of MB (see ``state.pieces``). A pending
    record (``PENDING``) is gone once it is written."""
    wrote = _write_record(out / MANIFEST, manifest)
    with contextlib.suppress(FileNotFoundError):
        (out / PENDING).unlink()
    return wrote


def write_pending(out: Path, pending: Manifest) -> None:
    """Record the files a build is about to write (``PENDING``), with those a build killed
    before it was writing: this one may be killed too."""
    earlier = _read_record(out / PENDING)
    if earlier is not None:
        pending = _with_pending(earlier, pending)
    _write_record(out / PENDING, pending)


def _write_record(path: Path, manifest: Manifest) -> bool:
    def pieces() -> Iterator[bytes]:
        return indented_json_pieces(_record(manifest))

    return write_pieces_if_changed(path, pieces)


def _record(manifest: Manifest) -> dict[str, Any]:
    """The manifest as its file holds it, every map's keys sorted when it is written."""
    record: dict[str, Any] = {
        "version": 1,
        "files": sorted(manifest.files),
        "slugs": manifest.slugs,
        "fingerprints": manifest.fingerprints,
        "stats": manifest.stats,  # (size, mtime): a JSON array
        "articles": manifest.articles,
        "owner": manifest.owner,
        "first_seen": manifest.first_seen,
    }
    if manifest.pages:  # absent without pages: the manifests of feeds alone are as they were
        record["pages"] = manifest.pages
    return record
