"""Turn the date text of a front matter into an aware datetime, or None.

The archive has three shapes: ``Sun, 31 Jul 2022 06:13:25 GMT`` (RFC 2822), ``2021-03-22
04:50:47`` (naive ISO-like, Beijing time) and the literal ``Invalid Date``. Those two real shapes
take the standard library's fast parsers; other sources add slashes, Chinese dates and Unix
timestamps, and python-dateutil is the last resort.

A date may name its zone: an offset, an abbreviation (``PST``), or an IANA name
(``Asia/Shanghai``). A name that cannot be read for sure, or two zones that disagree, leave
the date read as without it (in the site's zone, or in the first zone), and ``parse_date``
says so through its ``note``: a zone is never dropped silently.
"""

from __future__ import annotations

import contextlib
import re
import warnings
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from email.utils import parsedate_to_datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

MIN_YEAR = 1970
MAX_YEAR = 2100
_MAX_LENGTH = 64  # no date is longer; a long text is a sentence, not a date
DateNote = Callable[[str, str], None]  # (stage, reason), as feeds.article's NoteFn

# A zone after a time: an offset (+08, +0800, +08:00), one after UTC or GMT (GMT+8, as
# JavaScript and Java write +08:00), an abbreviation, or an IANA name.
_ZONE = r"""
    (?: UTC | GMT | UT ) [+-] \d{1,2} (?: :?\d{2} )? | [+-]\d{2} (?: :?\d{2} )?
    | [a-z][a-z_-]* (?: / [a-z0-9_+-]+ ){1,2} | [a-z]{1,5} (?! [\w/] )
"""  # (a name is whole: "Asia/Shanghai" is not "Asi" and "a/Shanghai")
# 2022-05-26 12:04, 2022/5/26 12:04:07.5 +08:00, 2022年5月26日 12:04, 2022年05月26日12时04分,
# 2022-05-26 12:04 PST, 2022-05-26 12:04 +0800 (CST), 2022-05-26T12:04+08:00[Asia/Shanghai]
_NUMERIC = re.compile(
    r"""
    (?P<year>\d{4}) \s* [-/.年] \s* (?P<month>\d{1,2}) \s* [-/.月] \s* (?P<day>\d{1,2}) \s* 日?
    (?: (?: \s*T\s* | \s+ | (?<=日) )
        (?P<hour>\d{1,2}) \s* [:时時点點] \s* (?P<minute>\d{1,2})
        (?: \s* [:分] \s* (?P<second>\d{1,2}) (?: [.,] (?P<fraction>\d{1,9}) )? \s* 秒? )? \s* 分?
    )?
    (?: \s* (?P<zone> ZONE ) (?: \s* [(\[]? (?P<zone2> ZONE ) [)\]]? )? )?
    """.replace("ZONE", _ZONE),
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


def _hours(hours: float) -> timezone:
    return timezone(timedelta(hours=hours))


# Abbreviations read as one offset. UTC and its names; the North American zones RFC 822
# defines (section 5.1), which email.utils reads in that form too; and names that every
# IANA zone using them from 2015 to 2025 used with one offset (checked against tzdata).
# Manila writes PST for +08:00, but RFC 822's PST is the one a date written in English
# means far more often, and what this reads in the RFC 822 form as well.
_ABBREVIATIONS: dict[str, tzinfo] = {
    **dict.fromkeys(["UTC", "UT", "GMT", "Z"], UTC),
    **{"EST": _hours(-5), "EDT": _hours(-4), "CDT": _hours(-5)},
    **{"MST": _hours(-7), "MDT": _hours(-6), "PST": _hours(-8), "PDT": _hours(-7)},
    **{"WET": UTC, "WEST": _hours(1), "CET": _hours(1), "CEST": _hours(2)},
    **{"EET": _hours(2), "EEST": _hours(3), "MSK": _hours(3), "JST": _hours(9)},
    **{"HKT": _hours(8), "AWST": _hours(8), "ACST": _hours(9.5), "ACDT": _hours(10.5)},
    **{"AEST": _hours(10), "AEDT": _hours(11), "NZST": _hours(12), "NZDT": _hours(13)},
    **{"HST": _hours(-10), "AKST": _hours(-9), "AKDT": _hours(-8)},
}
# Abbreviations with several meanings in use, and those meanings. Not read: a date naming
# one alone is read as if it named none, with a note. CST is RFC 822's US Central time, but
# in a mostly Chinese archive it is far more likely China Standard Time (+08:00, which the
# default site zone gives anyway); guessing either way would move some dates 14 hours
# without a word. Beside an offset it agrees with, such a name is fine: "+0800 (CST)".
_AMBIGUOUS: dict[str, tuple[timedelta, ...]] = {
    "CST": (timedelta(hours=-6), timedelta(hours=8), timedelta(hours=-5)),  # US, China, Cuba
    "IST": (timedelta(hours=5.5), timedelta(hours=1), timedelta(hours=2)),  # India, Ireland, Israel
    "BST": (timedelta(hours=1), timedelta(hours=6)),  # British Summer, Bangladesh
    "AST": (timedelta(hours=-4), timedelta(hours=3)),  # Atlantic, Arabia
}
# What dateutil is told: the abbreviations it does not know itself. (It knows UTC, GMT and Z,
# and reads "GMT+8" as -08:00 (POSIX TZ's sign) unless GMT is in this table: the ISO-style
# dates read "GMT+8" as +08:00 before they get there.)
_DATEUTIL_ZONES = {
    name: zone for name, zone in _ABBREVIATIONS.items() if name not in ("UTC", "GMT", "Z")
}
# dateutil's warning about a zone name it found and dropped (the only place it says which)
_DATEUTIL_UNKNOWN_ZONE = re.compile(r"tzname (\S+) identified")

# A calendar date in a file or folder name: 2022-06-13-title.md, 2022_06_13, posts/2022/06/13/.
_DATE_IN_PATH = re.compile(
    r"(?<![0-9])((?:19|20)[0-9]{2})([-_./])([0-9]{1,2})\2([0-9]{1,2})(?![0-9])"
)


def date_in_path(rel: str, tz: tzinfo) -> int | None:
    """The last real date written in ``rel`` (the file name before its folders), as the
    POSIX seconds of that day's start in ``tz``; None when it names none."""
    for match in reversed(list(_DATE_IN_PATH.finditer(rel))):
        year, _, month, day = match.groups()
        try:
            return int(datetime(int(year), int(month), int(day), tzinfo=tz).timestamp())
        except ValueError:  # 2022-13-45
            continue
    return None


def parse_date(raw: str | None, tz: tzinfo, note: DateNote | None = None) -> datetime | None:
    """Parse ``raw``; a naive date is taken in ``tz``. Never raises: bad input gives None.

    A zone named but not read (unknown, ambiguous, or disagreeing with another zone the date
    names) is told to ``note`` as a "date" repair, with the zone the date was read in.
    """
    if not isinstance(raw, str):
        return None
    text = raw.strip()
    if not text or len(text) > _MAX_LENGTH:
        return None
    try:
        value = _parse(text, tz)
    except _ZoneNotRead as read:
        return _noted(read, tz, note)
    except _PARSE_FAILURES:  # out-of-range fields, overflowing timestamps, dateutil's odd errors
        return None
    if value is None or not MIN_YEAR <= value.year <= MAX_YEAR:
        return None
    if value.utcoffset() is None:
        value = value.replace(tzinfo=tz)
    return value


def _noted(read: _ZoneNotRead, tz: tzinfo, note: DateNote | None) -> datetime | None:
    """``parse_date``'s end for a date with a zone not read: apart, to keep the common path
    as short as it was."""
    value = read.value
    if not MIN_YEAR <= value.year <= MAX_YEAR:
        return None  # no date: the caller notes that, and nothing about its zone
    if value.utcoffset() is None:
        value = value.replace(tzinfo=tz)
    if note is not None:
        for problem in read.problems:
            note("date", f"{problem}; read as {_zone_label(value)}")
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
        value = _from_match(match)
        if value is not None:
            return value
    value = _parse_rfc2822(text)  # "26 May 2022 12:04:07 +0000": no weekday
    return value if value is not None else _parse_with_dateutil(text)


def _from_timestamp(digits: str, tz: tzinfo) -> datetime | None:
    if len(digits) == _TIMESTAMP_SECONDS:
        return datetime.fromtimestamp(int(digits), tz)
    if len(digits) == _TIMESTAMP_MILLISECONDS:  # integer arithmetic: no float rounding
        seconds, milliseconds = divmod(int(digits), 1000)
        return datetime.fromtimestamp(seconds, tz).replace(microsecond=milliseconds * 1000)
    return None


def _from_match(match: re.Match[str]) -> datetime | None:
    """The date ``_NUMERIC`` matched; None when its first zone is a word this does not know,
    which may be no zone at all ("10:00 PM", "2022-05-26 Thu"): dateutil tells. (A word with
    a slash is an IANA name, known or not.)"""
    part = match.groupdict()
    fraction = (part["fraction"] or "0")[:6].ljust(6, "0")
    naive = datetime(
        int(part["year"]),
        int(part["month"]),
        int(part["day"]),
        int(part["hour"] or 0),
        int(part["minute"] or 0),
        int(part["second"] or 0),
        int(fraction),
    )
    if part["zone"] is None:
        return naive
    names = [name for name in (part["zone"], part["zone2"]) if name]
    first = names[0]
    if _zone_named(first) is None and first.upper() not in _AMBIGUOUS and "/" not in first:
        return None
    return _in_zone(naive, names)


class _ZoneNotRead(Exception):
    """A date read, though a zone it names was not: raised, not returned, so that the common
    shapes, which never name one that way, pay nothing for it (a try costs nothing)."""

    def __init__(self, value: datetime, problems: list[str]) -> None:
        super().__init__(value, problems)
        self.value = value
        self.problems = problems


def _in_zone(naive: datetime, names: list[str]) -> datetime:
    """``naive`` in the zone ``names`` give; raises _ZoneNotRead if one was not read."""
    zone, problems = _agreed_zone(names, naive)
    value = naive.replace(tzinfo=zone)
    if problems:
        raise _ZoneNotRead(value, problems)
    return value


def _agreed_zone(names: list[str], naive: datetime) -> tuple[tzinfo | None, list[str]]:
    """The first zone of ``names`` that reads (None: none does), and a problem for each
    other name that does not agree with it."""
    problems: list[str] = []
    zones = [_zone_named(name) for name in names]
    chosen = next((zone for zone in zones if zone is not None), None)
    chosen_name = names[zones.index(chosen)] if chosen is not None else ""
    offset = naive.replace(tzinfo=chosen).utcoffset()
    for name, zone in zip(names, zones, strict=True):
        if name == chosen_name:
            continue
        meanings = _AMBIGUOUS.get(name.upper())
        if zone is not None:
            agrees = naive.replace(tzinfo=zone).utcoffset() == offset
        elif meanings is not None:
            agrees = offset in meanings
        else:
            problems.append(f"time zone {name!r} not understood")
            continue
        if agrees:
            continue
        if chosen is None:  # an ambiguous name alone
            shown = ", ".join(_offset_label(meaning) for meaning in meanings or ())
            problems.append(f"time zone {name!r} is ambiguous ({shown})")
        else:
            problems.append(f"time zone {name!r} disagrees with {chosen_name!r}")
    return chosen, problems


def _zone_named(text: str) -> tzinfo | None:
    """The zone ``text`` names for sure: an offset, an abbreviation of ``_ABBREVIATIONS``,
    UTC or GMT and an offset, or an IANA name; None for any other text. An offset past 24
    hours raises ValueError (no date)."""
    if text[0] in "+-":
        return _offset_zone(text)
    upper = text.upper()
    known = _ABBREVIATIONS.get(upper)
    if known is not None:
        return known
    for prefix in ("UTC", "GMT", "UT"):
        if upper.startswith(prefix) and upper[len(prefix) : len(prefix) + 1] in ("+", "-"):
            return _offset_zone(text[len(prefix) :])
    if "/" in text:
        return _iana_zone(text)
    return None


def _offset_zone(text: str) -> timezone:
    """+08, +0800, +08:00, and (after UTC or GMT) +8 and +8:00."""
    hours, colon, minutes = text[1:].partition(":")
    if not colon and len(hours) > 2:
        hours, minutes = hours[:-2], hours[-2:]
    offset = timedelta(hours=int(hours), minutes=int(minutes or 0))
    return timezone(-offset if text[0] == "-" else offset)  # ValueError past 24 hours


def _iana_zone(name: str) -> tzinfo | None:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):  # no such zone, a bad key, a folder
        return None


def _zone_label(value: datetime) -> str:
    """The zone ``value`` was read in, for a note: its IANA name, else its offset."""
    if isinstance(value.tzinfo, ZoneInfo):
        return value.tzinfo.key
    offset = value.utcoffset()
    return "UTC" if not offset else _offset_label(offset)


def _offset_label(offset: timedelta) -> str:
    minutes = int(offset.total_seconds()) // 60
    sign = "-" if minutes < 0 else "+"
    hours, minutes = divmod(abs(minutes), 60)
    return f"{sign}{hours:02d}:{minutes:02d}"


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
    elif value.tzinfo is None and text[-1].isalpha():
        # A name email.utils does not know (it knows RFC 822's): CET, or no zone at all.
        value = _in_zone(value, text.rsplit(None, 1)[-1:])
    return value


def _parse_with_dateutil(text: str) -> datetime | None:
    numbers = len(_NUMBER.findall(text))
    if not _YEAR.search(text) or (numbers < 3 and not _MONTH_NAME.search(text)):
        return None
    # Imported here: slow to import, and most archives never get this far.
    from dateutil import parser as dateutil_parser
    from dateutil import tz as dateutil_tz

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")  # UnknownTimezoneWarning: it names the zone it dropped
        value = dateutil_parser.parse(text, default=_DATEUTIL_DEFAULT, tzinfos=_DATEUTIL_ZONES)
    dropped = [_DATEUTIL_UNKNOWN_ZONE.match(str(warning.message)) for warning in caught]
    names = [found[1] for found in dropped if found]
    if isinstance(value.tzinfo, dateutil_tz.tzlocal):
        # A name that matches the machine's own zone ("CST" in Chicago, "UTC" on a server)
        # is read as that machine's zone: read it as on any other machine instead.
        names.append(value.tzname() or "local")
        value = value.replace(tzinfo=None)
    return _in_zone(value, names[:1]) if names else value
