"""Read an article file into text: size guard first, then decoding.

The archive is UTF-8, but scraped files also arrive as UTF-16 (with a byte order mark) and in the
legacy Chinese encodings GB18030/GBK and Big5. Those two decode each other's bytes without error
more often than not, into mojibake, so a legacy decoding is only accepted when the result looks
like Chinese text (see ``_plausibility``).
"""

from __future__ import annotations

import codecs
import errno
import os
import re
import stat
from functools import cache
from pathlib import Path
from typing import NamedTuple

from feeds.errors import ArticleError

MIB = 1024 * 1024

# Byte order marks, longest first: the UTF-32 LE mark starts with the UTF-16 LE one.
_BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
# Every byte but the C0 controls other than tab, LF, FF and CR: deleting them leaves the controls.
_TEXT_BYTES = bytes(byte for byte in range(256) if byte >= 0x20 or byte in b"\t\n\x0c\r")
_BINARY_SAMPLE = 4096  # binary data shows in its first bytes; checking them keeps reads fast
_MAX_CONTROL_SHARE = 0.05

# Control characters that never occur in text files (tab, newlines and form feed do), C1 controls,
# and the replacement character: a few of these mean binary data or a wrong decoding.
_NOT_TEXT = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f-\x9f\ufffd]")


class _Legacy(NamedTuple):
    """A legacy encoding, and what the other one's bytes become when decoded with it."""

    encoding: str
    impossible: re.Pattern[str]  # never in real text decoded with it
    unlikely: re.Pattern[str]  # rare in real Chinese text
    frequent_leads: range  # the lead bytes of its tier of frequent characters
    trails: tuple[range, ...]


# Chinese punctuation gives a wrong guess away: Big5's ，。、： become private-use code points in
# GB18030, and GBK's become bopomofo, small forms, shapes and stars (ㄛ﹝﹜ㄩ▲◎☆) in Big5. Big5's
# simplest (most frequent) characters become kana, Greek and Cyrillic letters in GB18030.
# Made on first use: their wide classes take milliseconds to compile, and nearly every
# archive is UTF-8.
@cache
def _legacies() -> tuple[_Legacy, ...]:
    return (
        _Legacy(
            "gb18030",
            impossible=re.compile(r"[\ue000-\uf8ff]"),
            unlikely=re.compile(r"[\u0391-\u03c9\u0401-\u0451\u2500-\u257f\u3040-\u30ff]"),
            frequent_leads=range(0xB0, 0xD8),  # GB2312 level 1: the 3755 most used characters
            trails=(range(0xA1, 0xFF),),
        ),
        _Legacy(
            "big5",
            impossible=re.compile(
                r"[\ue000-\uf8ff\u02b0-\u02ff\u203b\u2500-\u26ff\u3100-\u312f\ufe10-\ufe6f§]"
            ),
            unlikely=re.compile(r"[\u3040-\u30ff]"),
            frequent_leads=range(0xA4, 0xC6),  # Big5 level 1: the 5401 frequent ones (but 63)
            trails=(range(0x40, 0x7F), range(0xA1, 0xFF)),
        ),
    )


@cache
def _hanzi() -> re.Pattern[str]:
    return re.compile(r"[\u4e00-\u9fff]")


# The most frequent characters of written Chinese, simplified and traditional forms: about a
# third of a real text's characters (7% in the sparsest real article), far fewer in mojibake.
_COMMON_HANZI = frozenset(
    "的一是不了在人有我他这這个個们們中来來上大为為和国國地到以说說时時要就出会會可也你对對生"
    "能而子那得于於着著下自之年过過发發后後作里裡用道行所然家种種事成方多经經么麼去法学學如都同"
    "现現当當没沒动動面起看定天分还還进進好小部其些主样樣理心她本前开開但因只从從想实實新月市"
    "元业業公司场場第集报報记記者表示工机機高最全问問题題长長度价價网網"
)


def read_article_text(path: str | Path, max_bytes: int) -> tuple[str, str | None]:
    """Read and decode one article file; return its text (LF line ends) and a decoding note.

    The size is checked on the open file before anything is read, so a huge file costs nothing.
    """
    data = _read_bytes(path, max_bytes)
    return decode_bytes(data)


def decode_bytes(data: bytes) -> tuple[str, str | None]:
    """Decode a file's bytes; the note says which encoding was used when it was not UTF-8."""
    try:
        text, note = data.decode("utf-8"), None
    except UnicodeDecodeError:
        text, note = _decode_other(data)
    else:
        _reject_binary_utf8(data)
    if text.startswith("\ufeff"):
        text = text[1:]
    if not text or text.isspace():
        raise ArticleError("read", "empty file")
    if "\x00" in text:
        raise ArticleError("read", "binary file (it contains NUL characters)")
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text, note


def _reject_binary_utf8(data: bytes) -> None:
    """Valid UTF-8 can still be binary data: NUL bytes, or control bytes all over its start."""
    if b"\x00" in data:
        raise ArticleError("read", "binary file (it contains NUL bytes)")
    head = data[:_BINARY_SAMPLE]
    if len(head.translate(None, _TEXT_BYTES)) > _MAX_CONTROL_SHARE * len(head):
        raise ArticleError("read", "binary file (mostly control characters)")


def _read_bytes(path: str | Path, max_bytes: int) -> bytes:
    # O_NONBLOCK: opening a FIFO left among the articles must not hang the build.
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except OSError as e:
        raise ArticleError("read", _os_reason(path, e)) from None
    try:
        info = os.fstat(fd)
        _check_size(info, max_bytes)
        data = _read_to_end(fd, info.st_size, max_bytes + 1)
    except OSError as e:
        raise ArticleError("read", _os_reason(path, e)) from None
    finally:
        os.close(fd)
    if len(data) > max_bytes:
        raise ArticleError("read", _too_big(len(data), max_bytes))
    return data


def _read_to_end(fd: int, expected: int, limit: int) -> bytes:
    """At most ``limit`` bytes of ``fd``, in one read when the file is ``expected`` long.

    Plain os.read, not a file object: building one costs as much as reading a small file.
    One byte more than expected is asked for, so a file that grew is read on to its end.
    A read that stops short at the expected size is the end: asking again only to be told
    so would be one more system call for every article.
    """
    parts: list[bytes] = []
    total, want = 0, min(expected + 1, limit)
    while total < limit:
        part = os.read(fd, min(want, limit - total))
        if not part:
            break
        parts.append(part)
        total += len(part)
        if total == expected and len(part) < want:
            break
        want = 1 << 16
    return b"".join(parts)  # one part: the same object back, no copy


def _check_size(info: os.stat_result, max_bytes: int) -> None:
    if stat.S_ISDIR(info.st_mode):
        raise ArticleError("read", "is a directory")
    if not stat.S_ISREG(info.st_mode):
        raise ArticleError("read", "not a regular file")
    if info.st_size > max_bytes:
        raise ArticleError("read", _too_big(info.st_size, max_bytes))


def _os_reason(path: str | Path, error: OSError) -> str:
    if error.errno == errno.ENOENT:
        return "broken symlink" if os.path.islink(path) else "file not found"
    reasons = {
        errno.ELOOP: "symlink loop",
        errno.EACCES: "permission denied",
        errno.EPERM: "permission denied",
        errno.EISDIR: "is a directory",
        errno.ENAMETOOLONG: "file name too long",
    }
    return reasons.get(error.errno or 0) or (error.strerror or type(error).__name__).lower()


def _too_big(size: int, limit: int) -> str:
    return f"file is {_human_size(size)}, over the {_human_size(limit)} limit"


def _human_size(size: int) -> str:
    for unit, scale in (("MiB", MIB), ("KiB", 1024)):
        if size >= scale:
            return f"{size / scale:.1f}".removesuffix(".0") + f" {unit}"
    return f"{size} bytes"


def _decode_other(data: bytes) -> tuple[str, str]:
    """Decode bytes that are not UTF-8: by byte order mark, else as legacy Chinese, else guess."""
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            try:
                return data[len(bom) :].decode(encoding), f"decoded as {encoding}"
            except UnicodeDecodeError:
                raise ArticleError(
                    "read", f"not valid {encoding} despite its byte order mark"
                ) from None
    if b"\x00" in data:
        raise ArticleError("read", "binary file (it contains NUL bytes)")
    damaged = _decode_damaged_utf8(data)
    if damaged is not None:
        return damaged
    legacy = _decode_legacy_chinese(data)
    if legacy is not None:
        return legacy
    return _decode_guessed(data)


def _decode_damaged_utf8(data: bytes) -> tuple[str, str] | None:
    """UTF-8 with a few bad bytes (a file cut mid-character, one stray byte) is still UTF-8.

    Losing the article for one byte would be worse than showing one replacement character.
    A legacy-encoded file decoded this way is full of replacements, so it is not taken here.
    """
    text = data.decode("utf-8", errors="replace")
    bad = text.count("\ufffd")
    multibyte = sum(1 for char in text if char > "\x9f") - bad  # C1 controls are no text
    if multibyte < 10 * bad or bad > max(2, 0.001 * len(text)):
        return None
    return text, f"{bad} invalid UTF-8 byte sequence{'s' * (bad > 1)} replaced"


def _decode_legacy_chinese(data: bytes) -> tuple[str, str] | None:
    best: tuple[float, str, str] | None = None
    for legacy in _legacies():  # GB18030 first: it wins ties
        try:
            text = data.decode(legacy.encoding)
        except UnicodeDecodeError:
            continue
        score = _plausibility(text, legacy)
        if score is not None and (best is None or score > best[0]):
            best = (score, legacy.encoding, text)
    if best is None:
        return None
    return best[2], f"decoded as {best[1]}"


def _plausibility(text: str, legacy: _Legacy) -> float | None:
    """How much ``text`` looks like real Chinese; None when it is clearly a wrong decoding."""
    non_ascii = sum(1 for char in text if char > "\x7f")
    if not non_ascii:
        return None
    wrong = len(legacy.impossible.findall(text)) + len(_NOT_TEXT.findall(text))
    if wrong > 0.02 * non_ascii:
        return None
    hanzi = _hanzi().findall(text)
    common = sum(1 for char in hanzi if char in _COMMON_HANZI)
    # Long runs of Chinese with almost none of its everyday characters are random code points.
    if len(hanzi) >= 50 and common < 0.02 * len(hanzi):
        return None
    # Both encodings put their frequent characters first; mojibake lands half outside them.
    frequent = _frequent(legacy)
    rare = sum(1 for char in hanzi if char not in frequent)
    unlikely = len(legacy.unlikely.findall(text))
    return (common - rare - 3 * unlikely - 10 * wrong) / non_ascii


@cache
def _frequent(legacy: _Legacy) -> frozenset[str]:
    """The characters of the encoding's frequent tier, built once from its code table."""
    pairs = (
        bytes((lead, trail))
        for lead in legacy.frequent_leads
        for trails in legacy.trails
        for trail in trails
    )
    return frozenset(pair.decode(legacy.encoding, "ignore") for pair in pairs) - {""}


def _decode_guessed(data: bytes) -> tuple[str, str]:
    import charset_normalizer  # here: slow to import, and nearly every file is UTF-8

    match = charset_normalizer.from_bytes(data).best()
    if match is None or match.encoding is None:
        raise ArticleError("read", "binary file (not text in any known encoding)")
    text = str(match)
    if len(_NOT_TEXT.findall(text)) > _MAX_CONTROL_SHARE * len(text):
        raise ArticleError("read", "binary file (mostly not text)")
    return text, f"decoded as {match.encoding} (guessed)"
