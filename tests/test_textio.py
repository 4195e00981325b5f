from __future__ import annotations

import codecs
import os
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from feeds.errors import ArticleError
from feeds.read.decode import _read_to_end, decode_bytes, read_article_text
from tests.helpers import REAL_FILES

LIMIT = 8 * 1024 * 1024

SIMPLIFIED = (
    "---\ntitle: '新浪财经：工业互联网平台赋能数字化转型'\n---\n"
    "<p>中国工业互联网研究院指出，平台体系已初具规模。</p>\n"
)
TRADITIONAL = (
    "---\ntitle: '新浪財經：工業互聯網平台賦能數字化轉型'\n---\n"
    "<p>中國工業互聯網研究院指出，平台體系已初具規模。</p>\n"
)


def _write(tmp_path: Path, data: bytes, name: str = "article.md") -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def _read_error(path: Path, max_bytes: int = LIMIT) -> str:
    with pytest.raises(ArticleError) as caught:
        read_article_text(path, max_bytes)
    assert caught.value.stage == "read"
    return caught.value.reason


def test_utf8_is_read_without_a_note(tmp_path: Path) -> None:
    path = _write(tmp_path, SIMPLIFIED.encode())
    assert read_article_text(path, LIMIT) == (SIMPLIFIED, None)


def test_utf8_byte_order_mark_is_dropped(tmp_path: Path) -> None:
    path = _write(tmp_path, codecs.BOM_UTF8 + SIMPLIFIED.encode())
    assert read_article_text(path, LIMIT) == (SIMPLIFIED, None)


@pytest.mark.parametrize("newline", ["\r\n", "\r"])
def test_line_ends_become_lf(tmp_path: Path, newline: str) -> None:
    path = _write(tmp_path, SIMPLIFIED.replace("\n", newline).encode())
    assert read_article_text(path, LIMIT)[0] == SIMPLIFIED


@pytest.mark.parametrize(
    ("bom", "encoding"),
    [
        (codecs.BOM_UTF16_LE, "utf-16-le"),
        (codecs.BOM_UTF16_BE, "utf-16-be"),
        (codecs.BOM_UTF32_LE, "utf-32-le"),
        (codecs.BOM_UTF32_BE, "utf-32-be"),
    ],
)
def test_unicode_with_byte_order_mark(tmp_path: Path, bom: bytes, encoding: str) -> None:
    data = bom + TRADITIONAL.replace("\n", "\r\n").encode(encoding)
    text, note = read_article_text(_write(tmp_path, data), LIMIT)
    assert text == TRADITIONAL
    assert note == f"decoded as {encoding}"


@pytest.mark.parametrize(
    ("text", "encoding", "decoded_as"),
    [
        (SIMPLIFIED, "gbk", "gb18030"),
        (SIMPLIFIED + "𠀀€", "gb18030", "gb18030"),  # beyond GBK: four-byte sequences
        (TRADITIONAL, "gbk", "gb18030"),  # traditional characters exist in GBK too
        (TRADITIONAL, "big5", "big5"),
        ("标题：你好", "gbk", "gb18030"),  # also valid Big5 bytes: 梓枙ㄩ斕疑
        ("標題：你好", "big5", "big5"),  # also valid GB18030 bytes, into private-use code points
        ("'第1集'", "big5", "big5"),  # also valid GB18030 bytes: '材1栋'
    ],
)
def test_legacy_chinese_encodings(
    tmp_path: Path, text: str, encoding: str, decoded_as: str
) -> None:
    path = _write(tmp_path, text.encode(encoding))
    assert read_article_text(path, LIMIT) == (text, f"decoded as {decoded_as}")


@pytest.mark.parametrize("path", REAL_FILES, ids=lambda path: path.name)
def test_real_files_read_as_utf8(path: Path) -> None:
    text, note = read_article_text(path, LIMIT)
    assert note is None
    assert text == path.read_bytes().decode("utf-8").replace("\r\n", "\n")


@pytest.mark.parametrize("encoding", ["gb18030", "big5"])
@pytest.mark.parametrize("path", REAL_FILES, ids=lambda path: path.name)
def test_real_files_in_legacy_encodings_decode_exactly(path: Path, encoding: str) -> None:
    """Every real article, re-encoded (minus what the encoding lacks), comes back unchanged."""
    text = "".join(char for char in path.read_text("utf-8") if _encodable(char, encoding))
    decoded, note = decode_bytes(text.encode(encoding))
    assert decoded == text
    assert note in (None, f"decoded as {encoding}")  # None: nothing but ASCII was left


def _encodable(char: str, encoding: str) -> bool:
    try:
        char.encode(encoding)
    except UnicodeEncodeError:
        return False
    return True


@pytest.mark.parametrize(
    "data",
    [b"", b"   \n\t\r\n", codecs.BOM_UTF8, codecs.BOM_UTF16_LE + " \n".encode("utf-16-le")],
)
def test_empty_file(tmp_path: Path, data: bytes) -> None:
    assert _read_error(_write(tmp_path, data)) == "empty file"


@pytest.mark.parametrize(
    "data",
    [
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x01\x00",
        b"title: text with a NUL \x00 inside",
        bytes(range(1, 32)) * 50,  # valid UTF-8, but control characters
        bytes(range(128, 256)) * 10,  # no encoding makes text of this
        bytes((index * 7919) % 255 + 1 for index in range(3000)),  # noise, no NUL
    ],
)
def test_binary_file(tmp_path: Path, data: bytes) -> None:
    assert _read_error(_write(tmp_path, data)).startswith("binary file")


def test_broken_utf16_with_byte_order_mark(tmp_path: Path) -> None:
    data = codecs.BOM_UTF16_LE + "abc".encode("utf-16-le") + b"a"
    reason = _read_error(_write(tmp_path, data))
    assert reason == "not valid utf-16-le despite its byte order mark"


def test_oversized_file_is_skipped_before_reading(tmp_path: Path) -> None:
    path = tmp_path / "huge.md"
    with path.open("wb") as file:  # sparse: 12.3 MiB that were never written
        file.truncate(int(12.3 * 1024 * 1024))
    assert _read_error(path) == "file is 12.3 MiB, over the 8 MiB limit"


def test_file_at_the_limit_is_read(tmp_path: Path) -> None:
    path = _write(tmp_path, b"x" * 1000)
    assert read_article_text(path, 1000)[0] == "x" * 1000
    assert _read_error(path, 999) == "file is 1000 bytes, over the 999 bytes limit"


def test_missing_file(tmp_path: Path) -> None:
    assert _read_error(tmp_path / "gone.md") == "file not found"


def test_directory(tmp_path: Path) -> None:
    folder = tmp_path / "looks-like-a-file.md"
    folder.mkdir()
    assert _read_error(folder) == "is a directory"


def test_broken_symlink(tmp_path: Path) -> None:
    link = tmp_path / "dangling.md"
    link.symlink_to(tmp_path / "nowhere.md")
    assert _read_error(link) == "broken symlink"


def test_symlink_loop(tmp_path: Path) -> None:
    first, second = tmp_path / "a.md", tmp_path / "b.md"
    first.symlink_to(second)
    second.symlink_to(first)
    assert _read_error(first) == "symlink loop"


def test_fifo_does_not_hang(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.md"
    os.mkfifo(fifo)
    assert _read_error(fifo) == "not a regular file"


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads files whatever their mode")
def test_unreadable_file(tmp_path: Path) -> None:
    path = _write(tmp_path, b"---\ntitle: x\n---\n")
    path.chmod(0)
    try:
        assert _read_error(path) == "permission denied"
    finally:
        path.chmod(0o644)


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=2000))
def test_any_bytes_give_text_or_article_error(data: bytes) -> None:
    try:
        text, note = decode_bytes(data)
    except ArticleError as error:
        assert error.stage == "read"
        return
    assert text.strip()
    assert "\r" not in text
    assert "\x00" not in text
    assert note is None or note.startswith("decoded as ") or DAMAGED_NOTE.fullmatch(note)


DAMAGED_NOTE = re.compile(r"\d+ invalid UTF-8 byte sequences? replaced")
ONE_REPLACED = "1 invalid UTF-8 byte sequence replaced"


@pytest.mark.parametrize(
    ("damage", "expected_text", "note"),
    [
        (
            lambda b: b[:-2],
            "正文内容，很长的一段中文\ufffd",
            "1 invalid UTF-8 byte sequence replaced",
        ),
        (
            lambda b: b + b"\xff",
            "正文内容，很长的一段中文。\ufffd",
            "1 invalid UTF-8 byte sequence replaced",
        ),
    ],
)
def test_utf8_with_a_bad_byte_is_kept(
    damage: Callable[[bytes], bytes], expected_text: str, note: str
) -> None:
    text, got = decode_bytes(damage("正文内容，很长的一段中文。".encode()))
    assert (text, got) == (expected_text, note)


def test_legacy_text_is_not_taken_for_damaged_utf8() -> None:
    text = "中文标题：正文内容，很长的一段中文。" * 5
    assert decode_bytes(text.encode("gb18030")) == (text, "decoded as gb18030")


@settings(max_examples=150, deadline=None)
@given(st.text(min_size=1, max_size=300).filter(lambda text: text.strip()))
def test_any_text_round_trips_through_utf8(text: str) -> None:
    try:
        decoded, note = decode_bytes(text.encode("utf-8"))
    except ArticleError as error:
        assert error.reason.startswith(("binary file", "empty file"))
        return
    expected = text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    assert (decoded, note) == (expected, None)


@pytest.mark.parametrize(("limit", "expected_bytes"), [(60_000, 50_000), (10_000, 10_000)])
def test_a_file_longer_than_its_size_said_is_read_to_the_end_or_the_limit(
    limit: int, expected_bytes: int
) -> None:
    data = bytes(range(256)) * 196  # 50,176 bytes: more than one read's worth past "expected"
    data = data[:50_000]
    reader, writer = os.pipe()
    try:
        os.write(writer, data)
        os.close(writer)
        assert _read_to_end(reader, 3, limit) == data[:expected_bytes]
    finally:
        os.close(reader)


def test_a_read_that_ends_at_the_expected_size_is_the_last() -> None:
    # The writer stays open and the pipe does not block: one more read would raise.
    reader, writer = os.pipe()
    try:
        os.write(writer, b"abc")
        os.set_blocking(reader, False)
        assert _read_to_end(reader, 3, 100) == b"abc"
    finally:
        os.close(reader)
        os.close(writer)
