"""Writing many outputs: in batches, and reading a spooled page back only to write it, or to
compare it with a file of its size."""

from __future__ import annotations

from pathlib import Path

import pytest

from feeds.publish import write
from feeds.publish.spool import Spool
from feeds.publish.write import write_outputs


class CountedReads(Spool):
    """A spool that counts how often each output's bytes are read back."""

    def __init__(self, folder: Path) -> None:
        super().__init__(folder)
        self.reads: dict[str, int] = {}

    def __getitem__(self, name: str) -> bytes:
        self.reads[name] = self.reads.get(name, 0) + 1
        return super().__getitem__(name)


def test_outputs_are_written_in_batches_each_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(write, "WRITE_BATCH", 5)
    outputs = {f"pages/{n % 4}/{n}.html": f"<p>{n}</p>".encode() for n in range(12)}
    assert write_outputs(tmp_path, outputs) == sorted(outputs)
    for name, data in outputs.items():
        assert (tmp_path / name).read_bytes() == data
    assert not list(tmp_path.rglob(".feeds-tmp-*"))
    assert write_outputs(tmp_path, outputs) == []


def test_only_a_file_of_the_same_size_is_read_to_compare(tmp_path: Path) -> None:
    (tmp_path / "same.html").write_bytes(b"<p>1</p>")
    (tmp_path / "edited.html").write_bytes(b"<p>2</p>")
    (tmp_path / "longer.html").write_bytes(b"<p>three</p>")
    outputs = CountedReads(tmp_path)
    outputs.add("same.html", b"<p>1</p>")
    outputs.add("edited.html", b"<p>X</p>")
    outputs.add("longer.html", b"<p>3</p>")
    outputs.add("new/missing.html", b"<p>4</p>")
    assert write_outputs(tmp_path, outputs) == ["edited.html", "longer.html", "new/missing.html"]
    # Compared: the two of the same size; written: the three that changed.
    assert outputs.reads == {
        "same.html": 1,
        "edited.html": 2,
        "longer.html": 1,
        "new/missing.html": 1,
    }
    assert (tmp_path / "new/missing.html").read_bytes() == b"<p>4</p>"
    assert (tmp_path / "longer.html").read_bytes() == b"<p>3</p>"
