"""``@record`` behaves as ``@dataclass(frozen=True, slots=True)`` does."""

from __future__ import annotations

import copy
import dataclasses
import pickle
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import msgspec
import pytest

from feeds.config import Config, config_from_dict
from feeds.records import record


@record
class Made:
    name: str
    count: int = 2
    tags: list[str] = field(default_factory=list)
    path: Path = Path("a")
    hidden: str = field(default="", compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class Written:
    name: str
    count: int = 2
    tags: list[str] = field(default_factory=list)
    path: Path = Path("a")
    hidden: str = field(default="", compare=False, repr=False)


@record
class Point:
    x: int
    y: int = 0
    note: str = field(default="", compare=False)


@dataclass(frozen=True, slots=True)
class WrittenPoint:
    x: int
    y: int = 0
    note: str = field(default="", compare=False)


CALLS: list[tuple[tuple[Any, ...], dict[str, Any]]] = [
    (("x",), {}),
    (("x", 3), {"tags": ["t"]}),
    ((), {"name": "y", "hidden": "h", "path": Path("/b")}),
    (("x", 1, ["a"], Path("c"), "h"), {}),
]


@pytest.mark.parametrize(("args", "kwargs"), CALLS)
def test_a_record_is_made_and_shown_as_the_dataclass(
    args: tuple[Any, ...], kwargs: dict[str, Any]
) -> None:
    made, written = Made(*args, **kwargs), Written(*args, **kwargs)
    assert repr(made) == repr(written).replace("Written", "Made")
    assert dataclasses.asdict(made) == dataclasses.asdict(written)
    assert made == Made(*args, **kwargs) and made == copy.deepcopy(made)
    assert pickle.loads(pickle.dumps(made)) == made
    assert Made.__match_args__ == Written.__match_args__
    assert [f.name for f in dataclasses.fields(made)] == [
        f.name for f in dataclasses.fields(written)
    ]


def test_records_compare_and_hash_by_their_compared_fields() -> None:
    assert Point(1, 2, "a") == Point(1, 2, "b") and hash(Point(1, 2, "a")) == hash(Point(1, 2))
    assert hash(Point(1, 2)) == hash(WrittenPoint(1, 2))
    assert Point(1, 2) != Point(2, 1)
    assert Point(1) != WrittenPoint(1)  # type: ignore[comparison-overlap]
    assert Point(1) != (1, 0)  # type: ignore[comparison-overlap]
    assert len({Point(1), Point(1, 0, "n"), Point(2)}) == 2
    with pytest.raises(TypeError):
        hash(Made("x"))  # a list field: unhashable, as the dataclass is


def test_a_record_is_frozen() -> None:
    made = Made("x")
    with pytest.raises(dataclasses.FrozenInstanceError, match="cannot assign to field 'count'"):
        made.count = 3  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError, match="cannot delete field 'count'"):
        del made.count
    with pytest.raises(dataclasses.FrozenInstanceError):
        made.other = 1  # type: ignore[attr-defined]
    assert not hasattr(made, "__dict__")
    assert dataclasses.replace(made, count=5) == Made("x", 5) and made.count == 2


def test_each_record_gets_its_own_default_list() -> None:
    first, second = Made("x"), Made("y")
    assert first.tags == [] and first.tags is not second.tags
    assert first.path is second.path  # a plain default is shared, as in the dataclass


@pytest.mark.parametrize(
    ("args", "kwargs"),
    [((), {}), (("x",), {"name": "y"}), (("x", 1, [], Path(), "", 6), {}), ((), {"nope": 1})],
)
def test_a_record_refuses_the_calls_the_dataclass_refuses(
    args: tuple[Any, ...], kwargs: dict[str, Any]
) -> None:
    with pytest.raises(TypeError):
        Written(*args, **kwargs)
    with pytest.raises(TypeError):
        Made(*args, **kwargs)


def test_msgspec_encodes_and_decodes_records() -> None:
    point = Point(1, 2, "n")
    data = msgspec.msgpack.encode(point)
    assert data == msgspec.msgpack.encode(WrittenPoint(1, 2, "n"))
    decoded = msgspec.msgpack.decode(data, type=Point)
    assert (decoded.x, decoded.y, decoded.note) == (1, 2, "n")
    assert msgspec.json.decode(b'{"x": 3}', type=Point) == Point(3)


def test_the_config_is_made_of_records(tmp_path: Path) -> None:
    config = config_from_dict({"limit": 7, "sources": ["a"]}, tmp_path / "c.yaml")
    assert config == config_from_dict({"limit": 7, "sources": ["a"]}, tmp_path / "c.yaml")
    assert repr(config).startswith(f"Config(path={tmp_path / 'c.yaml'!r}, site=SiteConfig(")
    assert dataclasses.replace(config, limit=8).limit == 8 and config.limit == 7
    assert Config().read.patterns is not Config().read.patterns
