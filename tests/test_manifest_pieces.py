"""The manifest written in pieces: the same bytes as written whole, atomically, only if changed."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from feeds.errors import BuildError
from feeds.publish.names import is_output_path
from feeds.run.files import TMP_PREFIX
from feeds.run.jsontext import indented_json_bytes
from feeds.state.manifest import MANIFEST, Manifest, _record, read_manifest, write_manifest
from feeds.state.pieces import indented_json_pieces, write_pieces_if_changed


def _whole(manifest: Manifest) -> bytes:
    """The manifest's file as it was written whole, before it was written in pieces."""
    data: dict[str, Any] = {
        "version": 1,
        "files": sorted(manifest.files),
        "slugs": dict(sorted(manifest.slugs.items())),
        "fingerprints": dict(sorted(manifest.fingerprints.items())),
        "stats": dict(sorted(manifest.stats.items())),
        "articles": dict(sorted(manifest.articles.items())),
        "owner": manifest.owner,
        "first_seen": dict(sorted(manifest.first_seen.items())),
    }
    if manifest.pages:
        data["pages"] = dict(sorted(manifest.pages.items()))
    return indented_json_bytes(data)


def _large(pages: int) -> Manifest:
    names = [f"a/{i % 97:02d}/页面-{i}.html" for i in range(pages)]
    return Manifest(
        files=tuple(sorted(["all.rss.xml", *names])),
        slugs={"金融": "jinrong", "": "all"},
        fingerprints={name: f"{i:024x}" for i, name in enumerate(names)},
        stats={name: (i * 7, 1_700_000_000_000_000_000 + i) for i, name in enumerate(names)},
        articles={"": pages},
        owner="../site.yaml",
        first_seen={f"articles/{i}.md": 1_600_000_000 + i for i in range(0, pages, 3)},
        pages={f'guid-{i}\u2028"\\': name for i, name in enumerate(reversed(names))},
    )


TEXT = st.text(st.characters(exclude_categories=("Cs",)), max_size=12)


@settings(max_examples=60, deadline=None)
@given(
    files=st.lists(TEXT, max_size=9),
    prints=st.dictionaries(TEXT, TEXT, max_size=9),
    stats=st.dictionaries(
        TEXT, st.tuples(st.integers(0, 2**62), st.integers(0, 2**62)), max_size=9
    ),
    first_seen=st.dictionaries(TEXT, st.integers(-(2**40), 2**40), max_size=9),
    pages=st.dictionaries(TEXT, TEXT, max_size=9),
    piece=st.integers(1, 4),
)
def test_pieces_join_to_the_whole_text(
    files: list[str],
    prints: dict[str, str],
    stats: dict[str, tuple[int, int]],
    first_seen: dict[str, int],
    pages: dict[str, str],
    piece: int,
) -> None:
    manifest = Manifest(
        files=tuple(files),
        slugs=dict(prints),
        fingerprints=prints,
        stats=stats,
        first_seen=first_seen,
        pages=pages,
    )
    assert b"".join(indented_json_pieces(_record(manifest), piece)) == _whole(manifest)


def test_a_large_manifest_is_the_file_written_whole_and_reads_back(tmp_path: Path) -> None:
    manifest = _large(5003)  # cut into pieces of 2,000, the last one short
    assert write_manifest(tmp_path, manifest)
    assert (tmp_path / MANIFEST).read_bytes() == _whole(manifest)
    assert read_manifest(tmp_path) == manifest
    assert [p.name for p in tmp_path.iterdir()] == [MANIFEST]  # no temporary file left


def test_an_empty_manifest_is_the_file_written_whole(tmp_path: Path) -> None:
    assert write_manifest(tmp_path, Manifest())
    assert (tmp_path / MANIFEST).read_bytes() == _whole(Manifest())
    assert read_manifest(tmp_path) == Manifest()


def test_an_unchanged_manifest_is_left_alone(tmp_path: Path) -> None:
    manifest = _large(2500)
    assert write_manifest(tmp_path, manifest)
    path = tmp_path / MANIFEST
    os.utime(path, ns=(1, 1))
    assert not write_manifest(tmp_path, manifest)
    assert path.stat().st_mtime_ns == 1


@pytest.mark.parametrize(
    "damage",
    [
        lambda data: data[:-1],  # cut short
        lambda data: data + b" ",  # a byte more
        lambda data: data[:-10] + b"X" + data[-9:],  # one byte changed near the end
        lambda data: b"",
    ],
)
def test_a_manifest_differing_anywhere_is_written_again(tmp_path: Path, damage: Any) -> None:
    manifest = _large(2500)
    write_manifest(tmp_path, manifest)
    path = tmp_path / MANIFEST
    path.write_bytes(damage(path.read_bytes()))
    assert write_manifest(tmp_path, manifest)
    assert path.read_bytes() == _whole(manifest)


def test_a_failed_write_leaves_the_old_file_and_no_temporary_one(tmp_path: Path) -> None:
    path = tmp_path / "record.json"
    path.write_bytes(b"old")

    def pieces() -> Any:
        yield b"new, "
        raise RuntimeError("the pieces broke off")

    with pytest.raises(RuntimeError):
        write_pieces_if_changed(path, pieces)
    assert path.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["record.json"]


def test_a_folder_in_the_way_is_a_build_error_naming_the_file(tmp_path: Path) -> None:
    (tmp_path / MANIFEST).mkdir()
    with pytest.raises(BuildError, match=MANIFEST):
        write_manifest(tmp_path, _large(3))
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(TMP_PREFIX)]


def test_the_written_file_is_readable_by_all(tmp_path: Path) -> None:
    old = os.umask(0o077)
    try:
        write_manifest(tmp_path, _large(3))
    finally:
        os.umask(old)
    assert (tmp_path / MANIFEST).stat().st_mode & 0o777 == 0o644


def test_an_outputs_name_is_held_once_by_the_manifest_read(tmp_path: Path) -> None:
    manifest = _large(50)
    write_manifest(tmp_path, manifest)
    read = read_manifest(tmp_path)
    assert read == manifest
    listed = {name: name for name in read.files}
    for name in read.fingerprints:
        assert name is listed[name]
    for name in read.stats:
        assert name is listed[name]
    for page in read.pages.values():
        assert page is listed[page]


def test_a_manifest_naming_files_that_are_not_utf_8_reads_back(tmp_path: Path) -> None:
    # json writes a lone surrogate as an escape msgspec does not parse: json reads it then.
    odd = "pages/\udcff.html"
    manifest = Manifest(
        files=("all.rss.xml", odd),
        slugs={"\udcfe": "x"},
        fingerprints={odd: "1"},
        stats={odd: (1, 2)},
        pages={"guid": odd},
    )
    assert write_manifest(tmp_path, manifest)
    assert b"\\udcff" in (tmp_path / MANIFEST).read_bytes()
    assert read_manifest(tmp_path) == manifest


@pytest.mark.parametrize(
    "damage",
    [
        {"files": ["a.xml", 3]},
        {"slugs": {"x": None}},
        {"fingerprints": {"a.xml": 12}},
        {"stats": {"a.xml": [1, 2, 3]}},
        {"stats": {"a.xml": [1, "2"]}},
        {"articles": {"": True}},
        {"first_seen": {"a.md": 1.5}},
        {"owner": ["site.yaml"]},
        {"pages": {"guid": None}},
        {"files": None},
    ],
    ids=repr,
)
def test_a_manifest_holding_a_value_of_another_type_is_not_trusted(
    tmp_path: Path, damage: dict[str, Any]
) -> None:
    record = _record(Manifest(files=("a.xml",), slugs={"x": "y"}, fingerprints={"a.xml": "1"}))
    (tmp_path / MANIFEST).write_bytes(indented_json_bytes(record | damage))
    assert read_manifest(tmp_path) == Manifest()
    (tmp_path / MANIFEST).write_bytes(indented_json_bytes(record))
    assert read_manifest(tmp_path).fingerprints == {"a.xml": "1"}


@settings(max_examples=60, deadline=None)
@given(
    files=st.lists(st.text(max_size=12), max_size=9),
    prints=st.dictionaries(st.text(max_size=12), st.text(max_size=12), max_size=9),
    stats=st.dictionaries(
        st.text(max_size=12), st.tuples(st.integers(0, 2**62), st.integers(0, 2**62)), max_size=9
    ),
    pages=st.dictionaries(st.text(max_size=12), st.text(max_size=12), max_size=9),
)
def test_what_is_written_reads_back_but_the_paths_no_build_may_write(
    tmp_path_factory: pytest.TempPathFactory,
    files: list[str],
    prints: dict[str, str],
    stats: dict[str, tuple[int, int]],
    pages: dict[str, str],
) -> None:
    # Any text, lone surrogates too: names read back as written, or left out as unsafe.
    folder = tmp_path_factory.mktemp("m")
    written = Manifest(tuple(files), dict(prints), prints, stats, {"": 2}, "o", {}, pages)
    write_manifest(folder, written)
    read = read_manifest(folder)
    assert read.files == tuple(sorted(f for f in files if is_output_path(f)))
    assert read.fingerprints == prints and read.stats == stats and read.slugs == prints
    assert read.pages == {k: v for k, v in pages.items() if is_output_path(v)}
    assert (read.articles, read.owner) == ({"": 2}, "o")
