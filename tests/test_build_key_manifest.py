"""The build key's part of the manifest: hashed in pieces, it still tells every change."""

from __future__ import annotations

from feeds.state.keys import manifest_digest
from feeds.state.manifest import Manifest


def _manifest(pages: int) -> Manifest:
    names = [f"pages/{i:05d}.html" for i in range(pages)]
    return Manifest(
        files=tuple(names),
        slugs={"金融": "jinrong"},
        fingerprints={name: f"{i:024x}" for i, name in enumerate(names)},
    )


def test_the_order_the_manifest_holds_its_entries_in_does_not_count() -> None:
    manifest = _manifest(7)
    shuffled = Manifest(
        files=tuple(reversed(manifest.files)),
        slugs=manifest.slugs,
        fingerprints=dict(reversed(manifest.fingerprints.items())),
    )
    assert manifest_digest(manifest, 3) == manifest_digest(shuffled, 3)
    assert manifest_digest(manifest) == manifest_digest(manifest, 2)


def test_every_change_to_what_it_lists_changes_the_digest() -> None:
    manifest = _manifest(7)
    changed = [
        Manifest(manifest.files[:-1], manifest.slugs, manifest.fingerprints),
        Manifest(manifest.files, {"金融": "finance"}, manifest.fingerprints),
        Manifest(manifest.files, manifest.slugs, manifest.fingerprints | {"pages/00006.html": ""}),
        Manifest(manifest.files, manifest.slugs, manifest.fingerprints | {"x.html": "1"}),
        # A name moved from the files to the slugs: the same entries, otherwise grouped.
        Manifest(manifest.files[:-1], {**manifest.slugs, manifest.files[-1]: ""}),
    ]
    digests = {manifest_digest(m, 3) for m in [manifest, *changed]}
    assert len(digests) == len(changed) + 1
    # Stats, first dates and pages are not in it (the outputs' stats are checked apart).
    same = Manifest(
        manifest.files,
        manifest.slugs,
        manifest.fingerprints,
        stats={"pages/00000.html": (1, 2)},
        pages={"guid": "pages/00000.html"},
    )
    assert manifest_digest(same, 3) == manifest_digest(manifest, 3)


def test_a_name_that_is_not_utf_8_is_hashed_all_the_same() -> None:
    # A lone surrogate (a file name's byte that is not UTF-8) has no msgpack: its piece is
    # hashed otherwise, and still tells one name from another.
    manifest = _manifest(5)
    odd = [
        Manifest((*manifest.files, f"pages/{c}.html"), manifest.slugs, manifest.fingerprints)
        for c in ("\udcff", "\udcfe", "\\udcff")
    ]
    digests = {manifest_digest(m, 2) for m in [manifest, *odd]}
    assert len(digests) == 4
    assert all(manifest_digest(m, 2) == manifest_digest(m) for m in odd)
