"""Outputs named by paths that hold folders: written, recorded, recognised and pruned."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from feeds.publish.names import HTML_MARK, RSS_GENERATOR, XML_MARK, is_output_path, made_here
from feeds.publish.write import files_in_the_way, prune_outputs, write_outputs
from feeds.state.manifest import Manifest, read_manifest, write_manifest

PAGE = f"<!doctype html><html><head>{HTML_MARK}<title>x</title></head><body>x</body></html>"


@pytest.mark.parametrize(
    ("name", "ok"),
    [
        ("all.rss.xml", True),
        ("pages/2022/06/x.html", True),
        ("feeds.opml", True),
        ("", False),
        ("../outside.xml", False),
        ("pages/../../outside.xml", False),
        ("/etc/passwd", False),
        (".feeds-manifest.json", False),
        ("pages/.feeds-tmp-1", False),
        ("pages//x.html", False),
        ("pages/", False),
        ("pages\\x.html", False),
    ],
)
def test_output_paths_are_relative_visible_and_inside(name: str, ok: bool) -> None:
    assert is_output_path(name) is ok


@given(st.text(alphabet="/.\\a-", max_size=12) | st.text(max_size=12))
@example("")
@example("a/")
@example("/")
@example("a/.b")
@example("a./b.")
@example("pages/2022/06/x.html")
def test_an_output_path_is_one_of_visible_parts(name: str) -> None:
    parts = name.split("/")
    visible = bool(name) and "\\" not in name and all(p and not p.startswith(".") for p in parts)
    assert is_output_path(name) is visible


def test_outputs_in_folders_are_written_once_and_left_alone_after(tmp_path: Path) -> None:
    outputs = {"pages/2022/06/x.html": PAGE.encode(), "all.json": b"{}"}
    assert write_outputs(tmp_path, outputs) == ["all.json", "pages/2022/06/x.html"]
    page = tmp_path / "pages" / "2022" / "06" / "x.html"
    assert page.read_text(encoding="utf-8") == PAGE
    os.utime(page, ns=(1, 1))
    assert write_outputs(tmp_path, outputs) == []
    assert page.stat().st_mtime_ns == 1


def test_pruning_a_page_removes_the_folders_it_leaves_empty(tmp_path: Path) -> None:
    outputs = {
        "pages/2022/06/x.html": b"x",
        "pages/2022/07/y.html": b"y",
        "pages/2023/01/z.html": b"z",
    }
    write_outputs(tmp_path, outputs)
    (tmp_path / "pages" / "2023" / "notes.txt").write_text("a person's file", encoding="utf-8")
    removed = prune_outputs(tmp_path, list(outputs), {"pages/2022/07/y.html"})
    assert removed == ["pages/2022/06/x.html", "pages/2023/01/z.html"]
    assert not (tmp_path / "pages" / "2022" / "06").exists()
    assert (tmp_path / "pages" / "2022" / "07" / "y.html").exists()
    assert not (tmp_path / "pages" / "2023" / "01").exists()
    assert (tmp_path / "pages" / "2023" / "notes.txt").exists()  # its folder stays


def test_the_manifest_keeps_paths_in_folders_and_drops_the_rest(tmp_path: Path) -> None:
    listed = ("all.rss.xml", "pages/2022/06/x.html", "../x.html", "pages/.hidden", "a//b")
    write_manifest(tmp_path, Manifest(files=listed))
    assert read_manifest(tmp_path).files == ("all.rss.xml", "pages/2022/06/x.html")


def test_every_kind_of_output_is_known_by_its_mark() -> None:
    assert made_here(PAGE.encode())
    opml = f'<?xml version="1.0" encoding="UTF-8"?>\n{XML_MARK}\n<opml version="2.0">'
    assert made_here(f"{opml}<head><title>t</title></head><body><outline/></body>".encode())
    assert made_here(f"<rss><channel><generator>{RSS_GENERATOR}</generator>".encode())
    # A person's page, or the mark where any text can stand (in the body), is not the mark.
    assert not made_here(b"<!doctype html><html><head><title>mine</title></head><body>x")
    assert not made_here(f"<html><head></head><body><pre>{HTML_MARK}</pre>".encode())
    assert not made_here(f"<opml><body><outline text='{XML_MARK}'/>".encode())


def test_a_page_a_person_wrote_is_in_the_way_and_one_of_ours_is_not(tmp_path: Path) -> None:
    (tmp_path / "pages").mkdir()
    (tmp_path / "pages" / "mine.html").write_text("<html><body>mine</body></html>", "utf-8")
    (tmp_path / "pages" / "ours.html").write_text(PAGE, encoding="utf-8")
    names = ["pages/mine.html", "pages/ours.html", "pages/new.html"]
    assert files_in_the_way(tmp_path, (), names, made_here) == ["pages/mine.html"]
    assert files_in_the_way(tmp_path, ("pages/mine.html",), names, made_here) == []
