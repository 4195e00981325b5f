"""Atomic, change-only writes, the manifest, pruning and the lock."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from feeds.errors import BuildError
from feeds.publish.write import prune_outputs, write_outputs
from feeds.run.files import TMP_PREFIX, write_atomic
from feeds.run.locks import output_lock, remove_stale_temporaries
from feeds.state.manifest import Manifest, read_manifest, write_manifest


def test_only_changed_files_are_rewritten(tmp_path: Path) -> None:
    assert write_outputs(tmp_path, {"a.xml": b"1", "b.xml": b"2"}) == ["a.xml", "b.xml"]
    os.utime(tmp_path / "a.xml", ns=(1, 1))
    assert write_outputs(tmp_path, {"a.xml": b"1", "b.xml": b"3"}) == ["b.xml"]
    assert (tmp_path / "a.xml").stat().st_mtime_ns == 1
    assert (tmp_path / "b.xml").read_bytes() == b"3"
    assert oct((tmp_path / "b.xml").stat().st_mode & 0o777) == "0o644"
    assert not list(tmp_path.glob(TMP_PREFIX + "*"))


def test_manifest_round_trip_and_damage(tmp_path: Path) -> None:
    assert read_manifest(tmp_path) == Manifest()
    manifest = Manifest(files=("b", "a"), slugs={"金融": "finance"})
    assert write_manifest(tmp_path, manifest)
    assert not write_manifest(tmp_path, manifest)
    assert read_manifest(tmp_path) == Manifest(files=("a", "b"), slugs={"金融": "finance"})
    (tmp_path / ".feeds-manifest.json").write_text("{not json", encoding="utf-8")
    assert read_manifest(tmp_path) == Manifest()


def test_prune_deletes_only_what_the_manifest_lists(tmp_path: Path) -> None:
    for name in ["old.xml", "kept.xml", "users-own.html"]:
        (tmp_path / name).write_text("x", encoding="utf-8")
    old = ("old.xml", "kept.xml", "../outside.xml")
    (tmp_path.parent / "outside.xml").write_text("x", encoding="utf-8")
    assert prune_outputs(tmp_path, old, {"kept.xml": b"x"}) == ["old.xml"]
    assert (tmp_path / "users-own.html").exists()
    assert (tmp_path.parent / "outside.xml").exists()


def test_stale_temporaries_are_removed(tmp_path: Path) -> None:
    (tmp_path / f"{TMP_PREFIX}abc").write_bytes(b"torn")
    (tmp_path / "feed.xml").write_bytes(b"whole")
    remove_stale_temporaries(tmp_path)
    assert [p.name for p in tmp_path.iterdir()] == ["feed.xml"]


def test_second_lock_fails_at_once(tmp_path: Path) -> None:
    with (
        output_lock(tmp_path, wait=False),
        pytest.raises(BuildError, match="another feeds build is running"),
        output_lock(tmp_path, wait=False),
    ):
        pass
    with output_lock(tmp_path, wait=False):
        pass  # released: a later build gets it


def test_a_signal_as_the_temporary_file_is_made_leaves_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # SIGINT/SIGTERM raise in the build where it is: here, once the temporary file exists
    # but before the call that made it has returned (mkstemp used to lose it there).
    real_open = os.open

    def open_then_interrupted(*args: object, **kwargs: object) -> int:
        os.close(real_open(*args, **kwargs))  # type: ignore[arg-type]
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "open", open_then_interrupted)
    with pytest.raises(KeyboardInterrupt):
        write_atomic(tmp_path / "a.xml", b"x")
    monkeypatch.undo()
    assert list(tmp_path.iterdir()) == []
