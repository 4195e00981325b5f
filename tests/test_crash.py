"""Crash safety and locking, with real `feeds build` processes killed with SIGKILL."""

from __future__ import annotations

import contextlib
import json
import multiprocessing
import os
import random
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import psutil  # type: ignore[import-untyped]
import pytest
from lxml import etree

from feeds.config import load_config
from feeds.errors import BuildError
from feeds.read.batch import parse_sources
from feeds.read.discover import discover_files
from feeds.run.files import TMP_PREFIX
from feeds.run.locks import LOCK, hold_lock, output_lock
from feeds.state.manifest import PENDING, read_manifest
from tests.helpers import (
    GENERATED_ARTICLES,
    build_command,
    comparable_outputs,
    generate_articles,
    make_site,
    output_mtimes,
    run_build,
    write_article,
)

pytestmark = pytest.mark.slow

KILLS = 6


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("corpus") / "articles"
    generate_articles(folder, range(GENERATED_ARTICLES))
    return folder


def assert_whole(out: Path, old: dict[str, bytes], new: dict[str, bytes], note: str) -> None:
    """Every output file parses and is exactly the old or the new version, never torn; and
    the manifest, with the pending record of a killed build, tracks each of them."""
    tracked = set(read_manifest(out).files)
    for name, data in comparable_outputs(out, lock=True).items():
        if name.rsplit("/", 1)[-1].startswith(TMP_PREFIX) or name == LOCK:
            continue  # a temporary file (in a folder of pages too), the lock
        if name == PENDING:
            continue  # the killed build's record of what it was writing: read just above
        if not name.startswith("."):
            assert name in tracked, f"{name} is tracked by no manifest; {note}"
        if name.endswith((".xml", ".opml", ".xsl")):
            etree.fromstring(data)
        elif name.endswith(".html"):  # a page: whole, to its end
            assert data.rstrip().endswith(b"</html>"), f"{name} is torn; {note}"
        else:
            json.loads(data)
        assert data in (old.get(name), new.get(name)), f"{name} is neither old nor new; {note}"


def test_sigkill_at_any_moment_leaves_old_or_new_files(corpus: Path, tmp_path: Path) -> None:
    reference = make_site(tmp_path / "clean", corpus, count=GENERATED_ARTICLES)
    started = time.perf_counter()
    assert run_build(reference).returncode == 0
    normal = time.perf_counter() - started
    new = comparable_outputs(reference.parent / "output", lock=True)

    config = make_site(tmp_path / "killed", corpus, count=GENERATED_ARTICLES * 3 // 4)
    assert run_build(config).returncode == 0
    out = config.parent / "output"
    old = comparable_outputs(out, lock=True)
    assert old != new
    make_site(config.parent, corpus, count=GENERATED_ARTICLES)  # the rest of the archive arrives

    # Writing takes a few per cent of a build, so random kills rarely land in it: aim two.
    for k in range(2):
        assert kill_while_writing(config, out), "the build wrote nothing to interrupt"
        assert_whole(out, old, new, f"kill {k} while writing")
    seed = random.randrange(1 << 30)
    delays = [random.Random(seed + k).uniform(0, normal) for k in range(KILLS)]
    for k, delay in enumerate(delays):
        proc = subprocess.Popen(build_command(config), stderr=subprocess.DEVNULL)
        time.sleep(delay)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        note = f"kill {k} after {delay:.2f}s of {normal:.2f}s (seed {seed})"
        assert_whole(out, old, new, note)

    final = run_build(config, "--json")
    assert final.returncode == 0, final.stderr
    assert not list(out.rglob(TMP_PREFIX + "*"))
    assert not (out / PENDING).exists()
    assert comparable_outputs(out, lock=True) == new
    again = json.loads(run_build(config, "--json").stdout)
    assert (again["parsed"], again["changed"]) == (0, [])


def kill_while_writing(config: Path, out: Path) -> bool:
    """Start a build and kill it once it has replaced a first file; False if it never did."""
    before = output_mtimes(out)
    proc = subprocess.Popen(build_command(config), stderr=subprocess.DEVNULL)
    while proc.poll() is None:
        if output_mtimes(out) != before:
            proc.send_signal(signal.SIGKILL)
            return proc.wait() == -signal.SIGKILL
    return False


def children_of(proc: subprocess.Popen[bytes]) -> list[psutil.Process]:
    """The worker processes of a build, once it has started them."""
    parent = psutil.Process(proc.pid)
    for _ in range(400):
        children: list[psutil.Process] = parent.children()
        if len(children) >= 2:
            return children
        assert proc.poll() is None, "the build ended before it started its workers"
        time.sleep(0.01)
    raise AssertionError("the build never started its workers")


def test_workers_die_with_a_killed_build_and_free_the_lock(corpus: Path, tmp_path: Path) -> None:
    config = make_site(tmp_path, corpus, count=GENERATED_ARTICLES)
    proc = subprocess.Popen(build_command(config, "--jobs", "2"), stderr=subprocess.DEVNULL)
    workers = children_of(proc)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    try:
        with hold_lock(config.parent / "output" / LOCK, wait=False):
            pass  # free at once: orphaned workers do not keep it
        _, alive = psutil.wait_procs(workers, timeout=10)
        assert alive == [], "orphaned workers outlived the build"
    finally:
        for worker in workers:
            with contextlib.suppress(psutil.NoSuchProcess):
                worker.kill()
    assert run_build(config).returncode == 0


def test_a_worker_killed_by_the_system_fails_the_build_instead_of_hanging(
    corpus: Path, tmp_path: Path
) -> None:
    config = tmp_path / "config.yaml"
    config.write_text(f"sources: [{corpus}]\njobs: 2\n", encoding="utf-8")
    cfg = load_config(config)
    files = discover_files(cfg)[0]
    parsed = parse_sources(files, cfg)
    next(parsed)
    worker = multiprocessing.active_children()[0].pid
    assert worker is not None
    os.kill(worker, signal.SIGKILL)  # what the OOM killer does
    with pytest.raises(BuildError, match="a reader process died"):
        list(parsed)
    assert multiprocessing.active_children() == []


@pytest.fixture
def held_output(tmp_path: Path) -> Iterator[Path]:
    """A site whose output folder another build holds; yields the config."""
    config = tmp_path / "config.yaml"
    write_article(tmp_path / "articles", "a.md")
    config.write_text("sources: [articles]\noutput: output\n", encoding="utf-8")
    (tmp_path / "output").mkdir()
    with output_lock(tmp_path / "output", wait=False):
        yield config


def test_a_second_build_fails_at_once(held_output: Path) -> None:
    done = run_build(held_output)
    out = held_output.parent / "output"
    assert done.returncode == 1
    assert done.stderr.startswith(f"Error: another feeds build is running on {out}")
    assert "--wait" in done.stderr
    assert not (out / "all.json").exists()


def test_a_waiting_build_runs_once_the_lock_is_released(tmp_path: Path) -> None:
    config = tmp_path / "config.yaml"
    write_article(tmp_path / "articles", "a.md")
    config.write_text("sources: [articles]\noutput: output\n", encoding="utf-8")
    out = tmp_path / "output"
    out.mkdir()
    stale = out / f"{TMP_PREFIX}left-by-a-killed-build"
    with output_lock(out, wait=False):
        stale.write_bytes(b"torn")  # the running build's own temporary file: hands off
        proc = subprocess.Popen(build_command(config, "--wait"), stderr=subprocess.PIPE)
        time.sleep(1.0)
        assert proc.poll() is None, proc.communicate()
        assert stale.exists()
        assert not (out / "all.json").exists()
    _, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 0, stderr
    assert (out / "all.json").is_file()
    assert not stale.exists()  # stale once the lock was free
