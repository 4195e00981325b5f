"""run.halves: half of a list's work in a forked process, the same results as all of it here."""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence

import pytest

from feeds.run import halves
from feeds.run.halves import in_two_halves

PARENT = os.getpid()


@pytest.fixture(autouse=True)
def split_from_two(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(halves, "SPLIT_FROM", 2)


def squares_and_pids(items: Sequence[int]) -> list[tuple[int, int]]:
    return [(i * i, os.getpid()) for i in items]


@pytest.mark.skipif(not hasattr(os, "fork"), reason="no fork here")
@pytest.mark.parametrize("count", [2, 3, 1000, 100_001])
def test_the_second_half_is_done_by_another_process_in_order(count: int) -> None:
    results = in_two_halves(squares_and_pids, list(range(count)))
    assert [square for square, _ in results] == [i * i for i in range(count)]
    pids = [pid for _, pid in results]
    half = count // 2
    assert set(pids[:half]) == {PARENT}
    assert len(set(pids[half:])) == 1 and PARENT not in pids[half:]


def test_one_item_or_none_is_done_here() -> None:
    assert in_two_halves(squares_and_pids, [3]) == [(9, PARENT)]
    assert in_two_halves(squares_and_pids, []) == []


def test_fewer_items_than_worth_it_are_done_here(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(halves, "SPLIT_FROM", 11)
    assert in_two_halves(squares_and_pids, list(range(10))) == [(i * i, PARENT) for i in range(10)]
    assert {pid for _, pid in in_two_halves(squares_and_pids, list(range(11)))} != {PARENT}


def test_beside_another_thread_all_is_done_here() -> None:
    # The other thread might hold a lock the forked process would wait on for ever.
    stop = threading.Event()
    other = threading.Thread(target=stop.wait)
    other.start()
    try:
        results = in_two_halves(squares_and_pids, list(range(10)))
    finally:
        stop.set()
        other.join()
    assert results == [(i * i, PARENT) for i in range(10)]


def dies_in_the_child(items: Sequence[int]) -> list[int]:
    if os.getpid() != PARENT:
        os._exit(3)
    return [i + 1 for i in items]


def fails_in_the_child(items: Sequence[int]) -> list[int]:
    if os.getpid() != PARENT:
        raise RuntimeError("not here")
    return [i + 1 for i in items]


def sends_too_few_from_the_child(items: Sequence[int]) -> list[int]:
    return [i + 1 for i in items][: None if os.getpid() == PARENT else -1]


def cannot_be_sent_from_the_child(items: Sequence[int]) -> list[object]:
    return [i + 1 if os.getpid() == PARENT else object() for i in items]


@pytest.mark.skipif(not hasattr(os, "fork"), reason="no fork here")
@pytest.mark.parametrize(
    "work",
    [
        dies_in_the_child,
        fails_in_the_child,
        sends_too_few_from_the_child,
        cannot_be_sent_from_the_child,
    ],
)
def test_a_child_that_fails_leaves_its_half_to_this_process(work: object) -> None:
    assert in_two_halves(work, list(range(9))) == list(range(1, 10))  # type: ignore[arg-type]
