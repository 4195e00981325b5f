"""feeds.parallel: work over forked processes, results in order, failures raised in the parent."""

from __future__ import annotations

import errno
import multiprocessing
import os
import signal
import threading
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner

from feeds.errors import BuildError
from feeds.models import Feed
from feeds.publish import feeds as feeds_module
from feeds.run.parallel import map_forked, map_maybe_forked, resident_bytes, signals_held
from tests.helpers import build_json, write_article


def worker_pid(item: int) -> tuple[int, int]:
    return item * item, os.getpid()


@pytest.mark.parametrize(("jobs", "chunk"), [(1, 1), (2, 3), (3, 2), (5, 100)])
def test_results_come_back_in_order_from_other_processes(jobs: int, chunk: int) -> None:
    items = list(range(37))
    results = list(map_forked(worker_pid, items, jobs, chunk, died="died"))
    assert [square for square, _ in results] == [i * i for i in items]
    pids = {pid for _, pid in results}
    assert os.getpid() not in pids
    assert len(pids) == min(jobs, -(-len(items) // chunk))
    assert multiprocessing.active_children() == []


@pytest.mark.parametrize(("jobs", "chunk", "fresh_after"), [(2, 2, 3), (3, 1, 1), (2, 5, 2)])
def test_a_worker_hands_over_to_a_fresh_one_after_its_chunks(
    jobs: int, chunk: int, fresh_after: int
) -> None:
    items = list(range(41))
    results = list(map_forked(worker_pid, items, jobs, chunk, died="d", fresh_after=fresh_after))
    assert [square for square, _ in results] == [i * i for i in items]
    per_process: dict[int, int] = {}
    for _, pid in results:
        per_process[pid] = per_process.get(pid, 0) + 1
    assert os.getpid() not in per_process
    assert max(per_process.values()) <= fresh_after * chunk
    chunks = -(-len(items) // chunk)
    rounds = -(-chunks // (jobs * fresh_after))
    assert len(per_process) >= rounds  # a fresh process for every round at least
    assert multiprocessing.active_children() == []


@pytest.mark.parametrize(("jobs", "chunk", "fresh_after"), [(2, 1, 100), (2, 3, 2), (3, 2, 1)])
def test_the_parent_can_do_a_share_of_the_work_in_turn(
    jobs: int, chunk: int, fresh_after: int
) -> None:
    items = list(range(41))
    results = list(
        map_forked(
            worker_pid, items, jobs, chunk, died="d", fresh_after=fresh_after, parent_works=True
        )
    )
    assert [square for square, _ in results] == [i * i for i in items]
    by_chunk = [results[i : i + chunk] for i in range(0, len(items), chunk)]
    # Chunk k is the parent's when k % jobs is the last of the jobs; the others' are forks'.
    for k, done in enumerate(by_chunk):
        pids = {pid for _, pid in done}
        assert len(pids) == 1
        assert (pids == {os.getpid()}) == (k % jobs == jobs - 1)
    chunks, rounds = len(by_chunk), -(-len(by_chunk) // (jobs * fresh_after))
    forked = {pid for _, pid in results} - {os.getpid()}
    assert rounds <= len(forked) <= rounds * (jobs - 1) < chunks
    assert multiprocessing.active_children() == []


def test_a_failure_in_the_parents_share_stops_the_workers() -> None:
    results = map_forked(fail_on_seven, list(range(20)), 2, 1, died="d", parent_works=True)
    with pytest.raises(BuildError, match=r"^cannot render item 7$"):  # 7 is the parent's
        list(results)
    assert multiprocessing.active_children() == []


def test_a_failure_in_a_later_round_is_raised_and_leaves_no_process() -> None:
    results = map_forked(fail_on_seven, list(range(20)), 2, 1, died="died", fresh_after=1)
    with pytest.raises(BuildError, match=r"^cannot render item 7$"):
        list(results)
    assert multiprocessing.active_children() == []


@pytest.mark.skipif(not os.path.exists("/proc/self/statm"), reason="Linux's /proc")
def test_resident_bytes_tell_the_memory_this_process_holds() -> None:
    before = resident_bytes()
    block = b"x" * (64 * 2**20)  # written, so every page of it is resident
    after = resident_bytes()
    assert before > 0
    assert after - before >= 60 * 2**20
    del block


@pytest.mark.skipif(not os.path.exists("/proc/self/statm"), reason="Linux's /proc")
def test_a_short_job_beside_a_large_heap_is_done_here() -> None:
    items = list(range(50))
    held = resident_bytes()
    here = list(map_maybe_forked(worker_pid, items, 2, 10, 5, died="d", fork_below=held // 2))
    assert {pid for _, pid in here} == {os.getpid()}
    assert [square for square, _ in here] == [i * i for i in items]
    forked = list(map_maybe_forked(worker_pid, items, 2, 10, 5, died="d", fork_below=held * 4))
    assert os.getpid() not in {pid for _, pid in forked}
    assert [square for square, _ in forked] == [i * i for i in items]
    assert multiprocessing.active_children() == []


@pytest.mark.skipif(not os.path.exists("/proc/self/statm"), reason="Linux's /proc")
@pytest.mark.parametrize("pages", [False, True])
def test_a_large_build_renders_its_feeds_here_unless_it_has_pages(
    runner: CliRunner,
    site: Callable[..., Path],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    pages: bool,
) -> None:
    # Without pages the feeds' forked renderers would be the build's peak; with pages, what
    # rendering them here leaves in this process would be under the pages' rendering.
    config = site(pages=pages)
    for i in range(12):
        write_article(config.parent / "articles", f"{i:03d}.md", categories=(f"类{i}",))
    where = tmp_path / "pids"
    render_feed = feeds_module.render_feed

    def noted(feed: Feed, *args: object) -> bytes:
        with where.open("a") as f:
            f.write(f"{os.getpid()}\n")
        return render_feed(feed, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(feeds_module, "render_feed", noted)
    monkeypatch.setattr(feeds_module, "RENDER_PARALLEL_FROM", 1)
    monkeypatch.setattr(feeds_module, "RENDER_FORK_BELOW", 1)  # every build is "large"
    build_json(runner, config, "--jobs", "2")
    pids = where.read_text().split()
    assert len(pids) == 13 * 3  # "all" and each category, in three formats
    assert (str(os.getpid()) in pids) is not pages
    assert (set(pids) == {str(os.getpid())}) is not pages


class Arrived(Exception):
    pass


def arrived(signum: int, frame: object) -> None:
    raise Arrived(signum)


@pytest.mark.skipif(not hasattr(signal, "pthread_sigmask"), reason="no signal masks here")
def test_a_stopping_signal_while_a_worker_starts_arrives_once_it_is_listed() -> None:
    # Inside multiprocessing's start, the build's Stopped left a half-made finalizer behind,
    # and its traceback on the way out.
    previous = signal.signal(signal.SIGTERM, arrived)
    try:
        reached = False
        with pytest.raises(Arrived), signals_held():
            os.kill(os.getpid(), signal.SIGTERM)
            reached = True
        assert reached
        held = signal.pthread_sigmask(signal.SIG_BLOCK, [])
        assert signal.SIGTERM not in held and signal.SIGINT not in held
    finally:
        signal.signal(signal.SIGTERM, previous)


def held_signals(item: int) -> list[int]:
    return sorted(int(s) for s in signal.pthread_sigmask(signal.SIG_BLOCK, []))


@pytest.mark.skipif(not hasattr(signal, "pthread_sigmask"), reason="no signal masks here")
def test_a_worker_started_with_the_signals_held_does_not_hold_them() -> None:
    masks = list(map_forked(held_signals, [1, 2, 3, 4], 2, 1, died="died"))
    assert all(signal.SIGINT not in mask and signal.SIGTERM not in mask for mask in masks)


def test_no_items_start_no_process() -> None:
    assert list(map_forked(worker_pid, [], 2, 4, died="died")) == []


def fail_on_seven(item: int) -> int:
    if item == 7:
        raise BuildError(f"cannot render item {item}")
    return item


def test_an_exception_in_a_worker_is_raised_in_the_parent() -> None:
    results = map_forked(fail_on_seven, list(range(20)), 2, 2, died="died")
    with pytest.raises(BuildError, match=r"^cannot render item 7$"):
        list(results)
    assert multiprocessing.active_children() == []


class Unpicklable(Exception):
    def __reduce__(self) -> str | tuple[object, ...]:
        raise TypeError("cannot pickle this")


def raise_unpicklable(item: int) -> int:
    raise Unpicklable(f"odd item {item}")


def test_an_exception_that_cannot_be_pickled_still_reports_its_text() -> None:
    with pytest.raises(BuildError, match=r"^Unpicklable: odd item 0$"):
        list(map_forked(raise_unpicklable, [0, 1], 2, 1, died="died"))


def kill_self(item: int) -> int:
    os._exit(9)  # what the OOM killer leaves: no message, a closed pipe


def test_a_worker_that_dies_raises_the_given_message() -> None:
    with pytest.raises(BuildError, match=r"^a worker died$"):
        list(map_forked(kill_self, [1, 2, 3], 2, 1, died="a worker died"))
    assert multiprocessing.active_children() == []


class TwoArguments(Exception):
    """Pickles, but cannot be rebuilt: its __init__ wants two arguments, args holds one."""

    def __init__(self, a: str, b: str) -> None:
        super().__init__(f"{a} and {b}")


def raise_two_arguments(item: int) -> int:
    raise TwoArguments("this", "that")


def test_a_result_that_cannot_be_rebuilt_is_a_build_error_with_its_reason() -> None:
    with pytest.raises(BuildError, match=r"^a worker's result could not be read: TypeError"):
        list(map_forked(raise_two_arguments, [1, 2], 2, 1, died="died"))
    assert multiprocessing.active_children() == []


def test_a_worker_that_cannot_be_started_stops_the_ones_before_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    started: list[int] = []
    real_start = multiprocessing.process.BaseProcess.start

    def start_twice_then_fail(self: multiprocessing.process.BaseProcess) -> None:
        if len(started) == 2:
            raise OSError(errno.EAGAIN, "Resource temporarily unavailable")
        real_start(self)
        started.append(self.pid or 0)

    monkeypatch.setattr(multiprocessing.process.BaseProcess, "start", start_twice_then_fail)
    with pytest.raises(BuildError, match=r"^cannot start a worker process: Resource temporarily"):
        list(map_forked(worker_pid, list(range(10)), 3, 1, died="died"))
    assert len(started) == 2
    assert multiprocessing.active_children() == []


def _pid(item: int) -> int:
    return os.getpid()


def test_work_is_forked_over_the_cores_when_there_is_enough() -> None:
    pids = set(map_maybe_forked(_pid, list(range(40)), 2, 10, 5, died="died"))
    assert len(pids) == 2 and os.getpid() not in pids
    assert set(map_maybe_forked(_pid, list(range(9)), 2, 10, 5, died="died")) == {os.getpid()}
    assert set(map_maybe_forked(_pid, list(range(40)), 1, 10, 5, died="died")) == {os.getpid()}


def test_a_process_with_another_thread_forks_no_worker() -> None:
    # A thread (a preview server's) may hold a lock when the fork comes: the child would
    # wait on it for ever. So the work is done here instead, with the same results.
    stop = threading.Event()
    thread = threading.Thread(target=stop.wait, daemon=True)
    thread.start()
    try:
        assert set(map_maybe_forked(_pid, list(range(40)), 2, 10, 5, died="died")) == {os.getpid()}
    finally:
        stop.set()
        thread.join()
    assert len(set(map_maybe_forked(_pid, list(range(40)), 2, 10, 5, died="died"))) == 2
