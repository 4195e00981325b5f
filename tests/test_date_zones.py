"""Dates that name their time zone: read in that zone when the name is sure, else read as
without it and noted, never dropped silently (feeds/read/dates.py)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from feeds.read.dates import parse_date
from tests.helpers import build_json, make_site, write_article

SHANGHAI = ZoneInfo("Asia/Shanghai")
SITE = "Asia/Shanghai"  # the zone a note says a date was read in


def hours(value: float) -> timezone:
    return timezone(timedelta(hours=value))


def noted(raw: str) -> tuple[datetime | None, list[tuple[str, str]]]:
    """``raw`` read in the site zone Asia/Shanghai, and the notes it gave."""
    notes: list[tuple[str, str]] = []
    value = parse_date(raw, SHANGHAI, lambda stage, reason: notes.append((stage, reason)))
    return value, notes


# Noon on 2023-06-15 in the zone each names: every one was read as Beijing time (04:00Z).
@pytest.mark.parametrize(
    ("raw", "zone"),
    [
        # RFC 822's North American zones, written after an ISO-style date
        ("2023-06-15 12:00 PST", hours(-8)),
        ("2023-06-15 12:00:00 PDT", hours(-7)),
        ("2023-06-15 12:00 EST", hours(-5)),
        ("2023-06-15T12:00:00 EDT", hours(-4)),
        ("2023-06-15 12:00 CDT", hours(-5)),
        ("2023-06-15 12:00 MST", hours(-7)),
        ("2023-06-15 12:00 MDT", hours(-6)),
        ("2023-06-15 12:00 pst", hours(-8)),
        ("2023年6月15日 12:00 PST", hours(-8)),
        ("2023-06-15 12:00 UT", UTC),
        # other abbreviations with one meaning
        ("2023-06-15 12:00 CET", hours(1)),
        ("2023-06-15 12:00 CEST", hours(2)),
        ("2023-06-15 12:00 JST", hours(9)),
        ("2023-06-15 12:00 AEST", hours(10)),
        ("2023-06-15 12:00 ACST", hours(9.5)),
        # IANA names, their offset on that day
        ("2023-06-15 12:00 America/New_York", hours(-4)),
        ("2023-06-15 12:00 Europe/London", hours(1)),
        ("2023-06-15 12:00 America/Argentina/Buenos_Aires", hours(-3)),
        # UTC or GMT and an offset: +08:00 as JavaScript and Java write it (dateutil: -08:00)
        ("2023-06-15 12:00 GMT+8", hours(8)),
        ("2023-06-15 12:00 UTC+08:00", hours(8)),
        ("2023-06-15 12:00 GMT+0530", hours(5.5)),
        ("2023-06-15 12:00 UTC-3", hours(-3)),
        # the other readers: RFC 822 with a zone email.utils does not know, and dateutil
        ("Thu, 15 Jun 2023 12:00:00 CET", hours(1)),
        ("June 15, 2023 12:00 PST", hours(-8)),
        ("2023-06-15 12:00 PM EST", hours(-5)),  # PM is no zone: dateutil reads it
    ],
)
def test_a_named_zone_is_read(raw: str, zone: timezone) -> None:
    value = parse_date(raw, SHANGHAI)
    assert value == datetime(2023, 6, 15, 12, tzinfo=zone)
    assert value is not None
    assert value.utcoffset() == zone.utcoffset(None)


@pytest.mark.parametrize(
    ("raw", "expected", "problem", "read_as"),
    [
        # not understood: read as if it were not there, in the site's zone
        ("2023-06-15 12:00 XYZ", "04:00", "'XYZ' not understood", SITE),
        ("Thu, 15 Jun 2023 12:00:00 XYZ", "04:00", "'XYZ' not understood", SITE),
        ("June 15, 2023 12:00 XYZ", "04:00", "'XYZ' not understood", SITE),
        ("2023-06-15 12:00 Mars/Olympus", "04:00", "'Mars/Olympus' not understood", SITE),
        ("2023-06-15 12:00 +09:00 XYZ", "03:00", "'XYZ' not understood", "+09:00"),
        # ambiguous: CST is US Central in RFC 822 and China Standard Time in this archive
        ("2023-06-15 12:00 CST", "04:00", "'CST' is ambiguous (-06:00, +08:00, -05:00)", SITE),
        ("2023-06-15 12:00 IST", "04:00", "'IST' is ambiguous (+05:30, +01:00, +02:00)", SITE),
        ("June 15, 2023 12:00 BST", "04:00", "'BST' is ambiguous (+01:00, +06:00)", SITE),
        # two zones that disagree: the first one
        (
            "2023-06-15 12:00:00 +08:00 +09:00",
            "04:00",
            "'+09:00' disagrees with '+08:00'",
            "+08:00",
        ),
        ("2023-06-15 12:00 +08:00 GMT", "04:00", "'GMT' disagrees with '+08:00'", "+08:00"),
        ("2023-06-15 12:00 +0900 (CST)", "03:00", "'CST' disagrees with '+0900'", "+09:00"),
        (
            "2023-06-15T12:00+09:00[Asia/Shanghai]",
            "03:00",
            "'Asia/Shanghai' disagrees with '+09:00'",
            "+09:00",
        ),
    ],
)
def test_a_zone_not_read_is_noted(raw: str, expected: str, problem: str, read_as: str) -> None:
    value, notes = noted(raw)
    assert value is not None
    assert value.astimezone(UTC).strftime("%Y-%m-%d %H:%M") == f"2023-06-15 {expected}"
    assert notes == [("date", f"time zone {problem}; read as {read_as}")]


@pytest.mark.parametrize(
    ("raw", "zone"),
    [
        ("2023-06-15 12:00 +0800 (CST)", hours(8)),  # `date`'s way: the name agrees
        ("2023-06-15 12:00 GMT+0800 (CST)", hours(8)),
        ("2023-06-15 12:00 +05:30 IST", hours(5.5)),
        ("2023-06-15T12:00+08:00[Asia/Shanghai]", hours(8)),  # RFC 9557
        ("2023-06-15 12:00 +08:00 +0800", hours(8)),
        ("2023-06-15 12:00 UTC GMT", UTC),
        ("2023-06-15 12:00 Asia/Shanghai", hours(8)),
        ("2023-06-15 12:00 PST", hours(-8)),
    ],
)
def test_zones_that_agree_give_no_note(raw: str, zone: timezone) -> None:
    value, notes = noted(raw)
    assert value == datetime(2023, 6, 15, 12, tzinfo=zone)
    assert notes == []


@pytest.mark.parametrize(
    "raw",
    [
        "Sun, 31 Jul 2022 06:13:25 GMT",  # the real archive's two shapes
        "2021-03-22 04:50:47",
        "2021-03-22T04:50:47+08:00",
        "2022-05-26 10:00 PM",  # words that are not zones: left to dateutil, as before
        "2022-05-26 Thu",
    ],
)
def test_dates_without_a_zone_name_give_no_note(raw: str) -> None:
    value, notes = noted(raw)
    assert value is not None
    assert notes == []


def test_no_date_gives_no_zone_note() -> None:
    # The caller says the text is no date; a note about its zone would say it was read.
    assert noted("1960-06-15 12:00 XYZ") == (None, [])
    assert noted("1960-06-15 12:00 CST") == (None, [])


_ABBREVIATED = st.sampled_from(
    [("PST", "-08:00"), ("PDT", "-07:00"), ("EST", "-05:00"), ("EDT", "-04:00"),
     ("CDT", "-05:00"), ("MST", "-07:00"), ("MDT", "-06:00"), ("CET", "+01:00"),
     ("CEST", "+02:00"), ("EET", "+02:00"), ("EEST", "+03:00"), ("WEST", "+01:00"),
     ("MSK", "+03:00"), ("JST", "+09:00"), ("HKT", "+08:00"), ("ACDT", "+10:30"),
     ("NZDT", "+13:00"), ("HST", "-10:00"), ("UT", "+00:00"), ("UTC", "+00:00")]
)  # fmt: skip
_WHOLE_SECONDS = st.datetimes(min_value=datetime(1971, 1, 2), max_value=datetime(2099, 12, 30))


@settings(max_examples=200, deadline=None)
@given(_WHOLE_SECONDS.map(lambda value: value.replace(microsecond=0)), _ABBREVIATED)
def test_an_abbreviation_reads_as_its_offset(naive: datetime, abbreviated: tuple[str, str]) -> None:
    name, offset = abbreviated
    written = f"{naive:%Y-%m-%d %H:%M:%S}"
    value, notes = noted(f"{written} {name}")
    expected = datetime.fromisoformat(f"{written}{offset}")
    assert value == expected
    assert value is not None
    assert value.utcoffset() == expected.utcoffset()
    assert notes == []


@settings(max_examples=100, deadline=None)
@given(_WHOLE_SECONDS, st.integers(-12, 14), st.sampled_from(["UTC", "GMT"]))
def test_utc_and_an_offset_read_as_that_offset(naive: datetime, offset: int, name: str) -> None:
    sign = "-" if offset < 0 else "+"
    written = f"{naive:%Y-%m-%d %H:%M}"
    value, notes = noted(f"{written} {name}{sign}{abs(offset)}")
    assert value == datetime.fromisoformat(f"{written}{sign}{abs(offset):02d}:00")
    assert notes == []


# --- a build -------------------------------------------------------------------------------------


def _build(runner: CliRunner, tmp_path: Path) -> tuple[dict[str, str], dict[str, object]]:
    """A site of three articles dated with zones; the JSON Feed's date_published by title,
    and the build's report."""
    site = make_site(tmp_path / "site")
    articles = site.parent / "articles"
    write_article(articles, "pst.md", title="太平洋", date="'2023-06-15 12:00 PST'")
    write_article(articles, "xyz.md", title="不明", date="'2023-06-15 12:00 XYZ'")
    write_article(articles, "real.md", title="北京", date="2021-03-22 04:50:47")
    report = build_json(runner, site)
    feed = next(f for f in report["feeds"] if f["name"] == "金融")
    data = json.loads((site.parent / "output" / feed["files"]["json"]).read_text("utf-8"))
    published = {item["title"]: item["date_published"] for item in data["items"]}
    return published, report


def test_a_build_dates_an_article_in_the_zone_it_names(runner: CliRunner, tmp_path: Path) -> None:
    published, _ = _build(runner, tmp_path)
    assert published == {
        "太平洋": "2023-06-15T20:00:00+00:00",
        "不明": "2023-06-15T04:00:00+00:00",  # read as before, in the site's zone
        "北京": "2021-03-21T20:50:47+00:00",  # the archive's naive shape, as before
    }


def test_a_build_notes_a_zone_not_understood(runner: CliRunner, tmp_path: Path) -> None:
    _, report = _build(runner, tmp_path)
    problems = report["problems"]
    assert isinstance(problems, list)
    notes = [(p["path"], p["stage"], p["reason"]) for p in problems if p["stage"] == "date"]
    assert notes == [("xyz.md", "date", "time zone 'XYZ' not understood; read as Asia/Shanghai")]
