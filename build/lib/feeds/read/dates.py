"""Turn the date text of a front matter into an aware datetime, or None.

The archive has three shapes: ``Sun, 31 Jul 2022 06:13:25 GMT`` (RFC 2822), ``2021-03-22
04:50:47`` (naive ISO-like, Beijing time) and the literal ``Invalid Date``. Those two real shapes
take the standard library's fast parsers; other sources add slashes, Chinese dates and Unix
timestamps, and python-dateutil is the last resort.
"""

from __future__ import annotations

import contextlib
import re
import warnings
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from email.utils import parsedate_to_datetime

MIN_YEAR = 1970
MAX_YEAR = 2100
_MAX_LENGTH = 64  # no date is longer; a long text is a sentence, not a date

# 2022-05-26 12:04, 2022/5/26 12:04:07.5 +08:00, 2022年5月26日 12:04, 2022年05月26日12时04分
_NUMERIC = re.compile(
    r"""
    (?P<year>\d{4}) \s* [-/.年] \s* (?P<month>\d{1,2}) \s* [-/.月] \s* (?P<day>\d{1,2}) \s* 日?
    (?: (?: \s*T\s* | \s+ | (?<=日) )
        (?P<hour>\d{1,2}) \s* [:时時点點] \s* (?P<minute>\d{1,2})
        (?: \s* [:分] \s* (?P<second>\d{1,2}) (?: [.,] (?P<fraction>\d{1,9}) )? \s* 秒? )? \s* 分?
    )?
    \s* (?P<zone> Z | UTC | GMT | [+-]\d{2} (?: :?\d{2} )? )?
    """,
    re.VERBOSE | re.IGNORECASE,
)
# What email.utils is given: it is lenient and would read "May 26, 2022 10:00 PM" as 10:00.
_RFC2822 = re.compile(
    r"(?:[a-z]{3},?\s*)? \d{1,2} \s+ [a-z]{3} \s+ \d{2,4}"
    r"(?: \s+ \d{1,2}:\d{2} (?::\d{2})? )? (?: \s* (?:[+-]\d{4} | [a-z]{1,5}) )?",
    re.VERBOSE | re.IGNORECASE,
)
# Nearly every date of the archive, "Thu, 26 May 2022 12:04:07 GMT", read here without
# email.utils, which is several times slower, for every article of a cold build. Any other
# shape (another zone, lower case, no weekday) takes the path above, which gives the same.
# (A year below 1000 is not taken: email.utils reads "0022" as 2022.)
_MONTH_NAMES = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
_MONTHS = {name: number for number, name in enumerate(_MONTH_NAMES, 1)}
_ARCHIVE_SHAPE = re.compile(
    rf"(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun), (\d\d) ({'|'.join(_MONTH_NAMES)}) ([1-9]\d\d\d) "
    r"(\d\d):(\d\d):(\d\d) GMT"
)
_TIMESTAMP_SECONDS = 10
_TIMESTAMP_MILLISECONDS = 13
# dateutil accepts almost anything ("May" is this year's May); only let it see text with a
# four-digit year and a month name or three numbers.
_YEAR = re.compile(r"(?<!\d)(?:19|20|21)\d\d(?!\d)")
_MONTH_NAME = re.compile(
    r"\b(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
    r"|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\b",
    re.IGNORECASE,
)
_NUMBER = re.compile(r"\d+")
_DATEUTIL_DEFAULT = datetime(MIN_YEAR, 1, 1)  # fills missing fields; never "today"
_PARSE_FAILURES = (ValueError, TypeError, OverflowError, OSError, IndexError, AttributeError)


def parse_date(raw: str | None, tz: tzinfo) -> datetime | None:
    """Parse ``raw``; a naive date is taken in ``tz``. Never raises: bad input gives None."""
    if not isinstance(raw, str):
        return None
    text = raw.strip()
    if not text or len(text) > _MAX_LENGTH:
        return None
    try:
        value = _parse(text, tz)
    except _PARSE_FAILURES:  # out-of-range fields, overflowing timestamps, dateutil's odd errors
        return None
    if value is None or not MIN_YEAR <= value.year <= MAX_YEAR:
        return None
    if value.utcoffset() is None:
        value = value.replace(tzinfo=tz)
    return value


def _parse(text: str, tz: tzinfo) -> datetime | None:
    if text[0] in "0123456789":
        return _parse_numeric(text, tz)
    match = _ARCHIVE_SHAPE.fullmatch(text)
    if match:
        with contextlib.suppress(ValueError):  # 31 Feb, 25:00: left to email.utils, as before
            return _from_archive_shape(match)
    value = _parse_rfc2822(text)
    return value if value is not None else _parse_with_dateutil(text)


def _parse_numeric(text: str, tz: tzinfo) -> datetime | None:
    if text.isdigit() and text.isascii() and len(text) != 8:  # 20220526 is a date, not a time
        return _from_timestamp(text, tz)
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        pass
    match = _NUMERIC.fullmatch(text)
    if match:
        return _from_match(match)
    value = _parse_rfc2822(text)  # "26 May 2022 12:04:07 +0000": no weekday
    return value if value is not None else _parse_with_dateutil(text)


def _from_timestamp(digits: str, tz: tzinfo) -> datetime | None:
    if len(digits) == _TIMESTAMP_SECONDS:
        return datetime.fromtimestamp(int(digits), tz)
    if len(digits) == _TIMESTAMP_MILLISECONDS:  # integer arithmetic: no float rounding
        seconds, milliseconds = divmod(int(digits), 1000)
        return datetime.fromtimestamp(seconds, tz).replace(microsecond=milliseconds * 1000)
    return None


def _from_match(match: re.Match[str]) -> datetime:
    part = match.groupdict()
    fraction = (part["fraction"] or "0")[:6].ljust(6, "0")
    return datetime(
        int(part["year"]),
        int(part["month"]),
        int(part["day"]),
        int(part["hour"] or 0),
        int(part["minute"] or 0),
        int(part["second"] or 0),
        int(fraction),
        tzinfo=_zone(part["zone"]),
    )


def _zone(text: str | None) -> tzinfo | None:
    if text is None:
        return None
    if text.upper() in ("Z", "UTC", "GMT"):
        return UTC
    digits = text[1:].replace(":", "")
    offset = timedelta(hours=int(digits[:2]), minutes=int(digits[2:] or 0))
    return timezone(-offset if text[0] == "-" else offset)  # ValueError past 24 hours


def _from_archive_shape(match: re.Match[str]) -> datetime:
    day, month, year, hour, minute, second = match.groups()
    return datetime(
        int(year), _MONTHS[month], int(day), int(hour), int(minute), int(second), tzinfo=UTC
    )


def _parse_rfc2822(text: str) -> datetime | None:
    if not _RFC2822.fullmatch(text):
        return None
    try:
        value = parsedate_to_datetime(text)
    except (ValueError, TypeError, IndexError):
        return None
    if value.tzinfo is None and text.endswith("-0000"):
        # RFC 2822: -0000 is UTC "with no information about the local zone"; the standard
        # library returns it naive, which would wrongly read it in the configured zone.
        value = value.replace(tzinfo=UTC)
    return value


def _parse_with_dateutil(text: str) -> datetime | None:
    numbers = len(_NUMBER.findall(text))
    if not _YEAR.search(text) or (numbers < 3 and not _MONTH_NAME.search(text)):
        return None
    # Imported here: slow to import, and most archives never get this far.
    from dateutil import parser as dateutil_parser
    from dateutil import tz as dateutil_tz

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # UnknownTimezoneWarning: the zone is dropped, fine
        value = dateutil_parser.parse(text, default=_DATEUTIL_DEFAULT)
    if isinstance(value.tzinfo, dateutil_tz.tzlocal):
        # "CST" matches the local zone name on some machines only: ignore it everywhere.
        value = value.replace(tzinfo=None)
    return value
