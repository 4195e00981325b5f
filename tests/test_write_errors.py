"""A folder or file of the output that cannot be written or deleted: one ``Error:`` line
naming it, nothing half-written, and the next build recovers once it can write again."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from feeds.errors import BuildError
from feeds.publish.write import prune_outputs, write_outputs
from feeds.run.files import TMP_PREFIX, write_many_atomic
from feeds.state.manifest import PENDING
from tests.helpers import build_command, make_site, output_mtimes, write_article

# Root writes into a read-only folder (CAP_DAC_OVERRIDE): the builds that must be refused
# run without that capability, as the cron job's user would.
_SETPRIV = shutil.which("setpriv")
_DROPPED = "-dac_override,-dac_read_search,-fowner"


def _unprivileged(command: list[str]) -> subprocess.CompletedProcess[str]:
    """Run ``command`` as a process that mode bits stop, whoever runs the tests."""
    if os.geteuid() == 0:
        if _SETPRIV is None:
            pytest.skip("root ignores mode bits, and there is no setpriv to drop that")
        command = [_SETPRIV, f"--inh-caps={_DROPPED}", f"--bounding-set={_DROPPED}", *command]
    return subprocess.run(command, capture_output=True, text=True, timeout=120)


def _read_only(*folders: Path) -> None:
    for folder in folders:
        for path in [folder, *folder.rglob("*")]:
            path.chmod(path.stat().st_mode & ~0o222)


def _writable(folder: Path) -> None:
    for path in [folder, *folder.rglob("*")]:
        path.chmod(path.stat().st_mode | 0o200)


def _temporaries(out: Path) -> list[Path]:
    return list(out.rglob(f"{TMP_PREFIX}*"))


def test_a_read_only_folder_of_the_output_is_one_error_line_and_the_next_build_recovers(
    tmp_path: Path,
) -> None:
    config = make_site(tmp_path / "site")
    articles, out = config.parent / "articles", config.parent / "output"
    write_article(articles, "a.md", categories=("c", "gen1"))
    assert _unprivileged(build_command(config)).returncode == 0
    write_article(articles, "b.md", title="another", categories=("c", "gen2"))
    before = output_mtimes(out)
    _read_only(out / "c", out / "pages")
    try:
        failed = _unprivileged(build_command(config))
    finally:
        _writable(out)
    assert (failed.returncode, failed.stderr) == (
        1,
        f"Error: cannot write {out / 'c' / 'c-gen2'}: Permission denied\n",
    )
    # The folders are made before any file is written: no file changed, none half-made;
    # only the list of what the build was about to write is new, for the next one.
    assert output_mtimes(out).keys() - before.keys() == {PENDING}
    assert {k: v for k, v in output_mtimes(out).items() if k != PENDING} == before
    assert _temporaries(out) == []
    again = _unprivileged(build_command(config))
    assert again.returncode == 0, again.stderr
    assert (out / "c-gen2.rss.xml").is_file() and (out / "c" / "c-gen2" / "index.html").is_file()


def test_a_feed_that_prune_cannot_delete_is_one_error_line_and_the_next_prune_deletes_it(
    tmp_path: Path,
) -> None:
    config = make_site(tmp_path / "site")
    articles, out = config.parent / "articles", config.parent / "output"
    write_article(articles, "a.md", categories=("c", "gen1"))
    gone = write_article(articles, "b.md", title="another", categories=("c", "gen2"))
    assert _unprivileged(build_command(config)).returncode == 0
    gone.unlink()
    _read_only(out / "c" / "c-gen2")
    try:
        failed = _unprivileged(build_command(config, "--prune", "--force"))
    finally:
        _writable(out)
    page = out / "c" / "c-gen2" / "index.html"
    assert (failed.returncode, failed.stderr) == (
        1,
        f"Error: cannot delete {page}: Permission denied\n",
    )
    assert page.is_file() and _temporaries(out) == []
    again = _unprivileged(build_command(config, "--prune", "--force"))
    assert again.returncode == 0, again.stderr
    assert not page.exists() and not (out / "c-gen2.rss.xml").exists()


def test_a_file_where_a_folder_of_the_output_must_be_is_a_build_error(tmp_path: Path) -> None:
    (tmp_path / "c").write_bytes(b"a file of someone's")
    with pytest.raises(BuildError) as raised:
        write_outputs(tmp_path, {"a.xml": b"1", "c/sub/index.html": b"2"})
    assert str(raised.value) == f"cannot write {tmp_path / 'c' / 'sub'}: Not a directory"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["c"]  # a.xml not written either


def test_a_prune_that_cannot_delete_is_a_build_error_naming_the_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "old.xml").write_bytes(b"x")

    def refused(path: Path, missing_ok: bool = False) -> None:
        raise PermissionError(13, "Permission denied", str(path))

    monkeypatch.setattr(Path, "unlink", refused)
    with pytest.raises(BuildError) as raised:
        prune_outputs(tmp_path, ["old.xml"], [])
    assert str(raised.value) == f"cannot delete {tmp_path / 'old.xml'}: Permission denied"


def test_the_error_names_the_file_that_could_not_be_written_not_the_first_of_the_batch(
    tmp_path: Path,
) -> None:
    (tmp_path / "a.xml").write_bytes(b"old")
    (tmp_path / "blocked").write_bytes(b"a file where a folder must be")
    items = [(tmp_path / "a.xml", b"new"), (tmp_path / "blocked" / "b.xml", b"new")]
    with pytest.raises(BuildError) as raised:
        write_many_atomic(items, len(items))
    assert str(raised.value) == f"cannot write {tmp_path / 'blocked' / 'b.xml'}: Not a directory"
    assert (tmp_path / "a.xml").read_bytes() == b"old"  # nothing renamed: the batch is whole
    assert _temporaries(tmp_path) == []
