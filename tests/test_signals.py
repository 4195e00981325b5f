"""SIGINT (Ctrl-C) and SIGTERM (cron, systemd, timeout) stop a real `feeds build` cleanly.

One line on stderr, exit code 128 + the signal, workers gone, no temporary file left, every
feed file whole (the old version or the new), and the next build finishes the job.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import multiprocessing
import os
import shutil
import signal
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import psutil  # type: ignore[import-untyped]
import pytest
import typer
from lxml import etree
from typer.testing import CliRunner

from feeds import cli
from feeds.build import build
from feeds.cli import run as cli_run
from feeds.config import Config, load_config
from feeds.models import Progress, Source
from feeds.read import batch as reader
from feeds.report import BuildOptions, BuildReport
from feeds.run.files import TMP_PREFIX
from feeds.run.locks import output_lock
from feeds.run.parallel import map_forked
from feeds.run.signals import Stopped, stopped_by_signals
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

Ready = Callable[[psutil.Process], bool]  # whether a running build is where to stop it
ATTEMPTS = 4  # builds started per test before one is caught in the act: see _stopped_build


@dataclasses.dataclass(frozen=True)
class Sites:
    template: Path  # a site built over 3/4 of the corpus, the rest arrived since: its config
    old: dict[str, bytes]  # its feed files
    new: dict[str, bytes]  # the feed files of a build over the whole corpus


@pytest.fixture(scope="module")
def sites(tmp_path_factory: pytest.TempPathFactory) -> Sites:
    root = tmp_path_factory.mktemp("signals")
    generate_articles(root / "corpus", range(GENERATED_ARTICLES))
    reference = make_site(root / "reference", root / "corpus", count=GENERATED_ARTICLES)
    assert run_build(reference).returncode == 0
    template = make_site(root / "template", root / "corpus", count=GENERATED_ARTICLES * 3 // 4)
    assert run_build(template).returncode == 0
    old = feed_files(template.parent / "output")
    # The rest of the archive arrives.
    make_site(template.parent, root / "corpus", count=GENERATED_ARTICLES)
    return Sites(template, old, feed_files(reference.parent / "output"))


def feed_files(out: Path) -> dict[str, bytes]:
    """The feeds in ``out``: not the lock, the manifest or temporary files."""
    return {
        name: data for name, data in comparable_outputs(out).items() if not name.startswith(".")
    }


def reading(out: Path) -> Ready:
    """Once the build has started its worker processes (reading, or else rendering)."""
    return lambda build: bool(build.children())


def writing(out: Path) -> Ready:
    """Once the build has replaced a first file in ``out``."""
    before = output_mtimes(out)
    return lambda build: output_mtimes(out) != before


def _sigint_by_default() -> None:
    # A test run in a shell's background job inherits SIGINT ignored, and the build (rightly)
    # keeps it so: give the build the SIGINT a terminal would.
    signal.signal(signal.SIGINT, signal.SIG_DFL)


@dataclasses.dataclass(frozen=True)
class Ending:
    returncode: int
    stderr: str
    workers: list[psutil.Process]  # the build's children when the signal was sent


def _signal_build(config: Path, signum: int, ready: Ready, *, group: bool) -> Ending:
    """Run a build, send it ``signum`` once ``ready``, and wait for its end.

    ``group``: to the build and its workers at once, as systemd and a terminal's Ctrl-C do.
    """
    proc = subprocess.Popen(
        build_command(config, "--jobs", "2"),
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # its own process group, away from pytest's
        preexec_fn=_sigint_by_default,
    )
    build = psutil.Process(proc.pid)
    workers: list[psutil.Process] = []
    while proc.poll() is None and not ready(build):
        time.sleep(0.002)
    if proc.returncode is None:  # not reaped: its pid and group are still its own
        with contextlib.suppress(psutil.NoSuchProcess):
            workers = build.children(recursive=True)
        if group:
            os.killpg(proc.pid, signum)
        else:
            proc.send_signal(signum)
    _, stderr = proc.communicate(timeout=60)
    return Ending(proc.returncode, stderr, workers)


def _stopped_build(
    sites: Sites, tmp_path: Path, signum: int, when: Callable[[Path], Ready], *, group: bool
) -> Path:
    """A build of a copy of the template site stopped by ``signum``; returns its config.

    A build can end between ``when`` and the signal: then another copy is built, up to
    ATTEMPTS times. Every attempt, stopped or not, must leave its output whole.
    """
    for attempt in range(ATTEMPTS):
        site = tmp_path / f"attempt-{attempt}"
        shutil.copytree(sites.template.parent, site, symlinks=True)
        config = site / sites.template.name
        ending = _signal_build(config, signum, when(site / "output"), group=group)
        assert_clean_end(ending, site / "output", sites)
        if ending.returncode != 0:
            assert ending.returncode == 128 + signum
            return config
    raise AssertionError(f"{ATTEMPTS} builds ended before the signal reached them")


def assert_clean_end(ending: Ending, out: Path, sites: Sites) -> None:
    if ending.returncode == 0:
        assert ending.stderr == ""
    else:
        assert ending.returncode in (128 + signal.SIGINT, 128 + signal.SIGTERM)
        word = "interrupted" if ending.returncode == 128 + signal.SIGINT else "terminated"
        assert ending.stderr == f"Error: {word}\n"  # one line, no traceback
    _, alive = psutil.wait_procs(ending.workers, timeout=5)
    assert alive == [], "workers outlived the build"
    assert not list(out.rglob(TMP_PREFIX + "*")), "temporary files left behind"
    json.loads((out / ".feeds-manifest.json").read_bytes())
    for name, data in feed_files(out).items():
        if name.endswith((".xml", ".opml", ".xsl")):
            etree.fromstring(data)
        elif name.endswith(".html"):  # a page: whole, to its end
            assert data.rstrip().endswith(b"</html>"), f"{name} is torn"
        else:
            json.loads(data)
        assert data in (sites.old.get(name), sites.new.get(name)), f"{name} is torn"


@pytest.mark.parametrize("group", [False, True], ids=["build", "group"])
@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_a_signal_while_reading_stops_the_build_cleanly(
    sites: Sites, tmp_path: Path, signum: int, group: bool
) -> None:
    config = _stopped_build(sites, tmp_path, signum, reading, group=group)
    assert run_build(config).returncode == 0
    assert feed_files(config.parent / "output") == sites.new


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_a_signal_while_writing_leaves_no_temporary_file(
    sites: Sites, tmp_path: Path, signum: int
) -> None:
    config = _stopped_build(sites, tmp_path, signum, writing, group=False)
    assert run_build(config).returncode == 0
    assert feed_files(config.parent / "output") == sites.new


def test_the_workers_are_stopped_before_the_cli_reports(
    sites: Sites,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Not left to die with the process (the kernel kills orphans): the build stops them."""
    shutil.copytree(sites.template.parent, tmp_path / "site", symlinks=True)
    cfg = dataclasses.replace(load_config(tmp_path / "site" / sites.template.name), jobs=2)
    workers: list[int] = []

    def terminate_part_way(done: int, total: int) -> None:
        if done >= 200 and not workers:
            workers.extend(p.pid for p in multiprocessing.active_children() if p.pid)
            # Without a handler, SIGTERM would end the test run, not this test.
            assert signal.getsignal(signal.SIGTERM) is not signal.SIG_DFL
            os.kill(os.getpid(), signal.SIGTERM)  # raises Stopped, here

    def build_signalled(cfg: Config, options: BuildOptions) -> BuildReport:
        progress: Progress = terminate_part_way
        return build(cfg, options, progress)

    monkeypatch.setattr(cli_run, "build", build_signalled)
    with pytest.raises(typer.Exit) as stopped:
        run_command(cfg)
    assert stopped.value.exit_code == 128 + signal.SIGTERM
    assert capsys.readouterr().err == "Error: terminated\n"
    assert workers, "the build read without workers"
    assert not [pid for pid in workers if psutil.pid_exists(pid)]  # killed and reaped
    assert not list((tmp_path / "site" / "output").rglob(TMP_PREFIX + "*"))


def run_command(cfg: Config) -> None:
    """What ``feeds build`` runs once its config is loaded."""
    with cli_run.stoppable():
        cli_run.run(cfg, BuildOptions(), quiet=True, strict=False, json_report=False)


def test_a_signal_while_the_config_is_read_is_one_error_line(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = make_site(tmp_path / "site")
    real_load = cli_run.load_config_or_defaults

    def load_interrupted(path: Path | None) -> Config:
        os.kill(os.getpid(), signal.SIGINT)  # raises Stopped, here
        return real_load(path)

    monkeypatch.setattr(cli_run, "load_config_or_defaults", load_interrupted)
    result = runner.invoke(cli.app, ["build", "-c", str(config)])
    assert (result.exit_code, result.stderr) == (130, "Error: interrupted\n")


def interrupted_while_a_class_is_made(cfg: Config, options: BuildOptions) -> BuildReport:
    """A build interrupted while a lazily imported module makes a class: Python 3.11 wraps
    what ``__set_name__`` raises (here, the signal's Stopped) in a RuntimeError."""

    make_a_class_interrupted()
    raise AssertionError("not stopped")


def make_a_class_interrupted() -> None:
    class Descriptor:
        def __set_name__(self, owner: type, name: str) -> None:
            os.kill(os.getpid(), signal.SIGINT)

    type("Texts", (), {"_by_rel": Descriptor()})


def test_a_signal_while_a_class_is_made_is_no_internal_error(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = make_site(tmp_path / "site")
    monkeypatch.setattr(cli_run, "build", interrupted_while_a_class_is_made)
    result = runner.invoke(cli.app, ["build", "-c", str(config)])
    assert (result.exit_code, result.stderr) == (130, "Error: interrupted\n")


def test_a_wrapped_signal_while_an_article_is_read_stops_the_build(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Each article is isolated from the others' errors; a signal is not an article's error.
    config = make_site(tmp_path / "site")
    for i in range(5):
        write_article(config.parent / "articles", f"{i}.md", title=f"文{i}")
    read: list[str] = []

    def read_article(file: Source, *args: object, **kwargs: object) -> None:
        read.append(file.rel)
        make_a_class_interrupted()

    monkeypatch.setattr(reader, "read_article", read_article)
    result = runner.invoke(cli.app, ["build", "-c", str(config), "--jobs", "1"])
    assert (result.exit_code, result.stderr) == (130, "Error: interrupted\n")
    assert len(read) == 1


def stop_leaving_a_temporary_file(cfg: Config, options: BuildOptions) -> BuildReport:
    """A build stopped just as ``mkstemp`` made a file, before its caller knew the name."""
    (cfg.output / f"{TMP_PREFIX}made-as-the-signal-came").write_bytes(b"")
    raise Stopped(signal.SIGTERM)


@pytest.fixture
def stopped_site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Config:
    """The config of a site whose build is stopped leaving a temporary file."""
    cfg = load_config(make_site(tmp_path / "site"))
    cfg.output.mkdir()
    monkeypatch.setattr(cli_run, "build", stop_leaving_a_temporary_file)
    return cfg


def test_the_cli_removes_a_temporary_file_the_stopped_build_left(stopped_site: Config) -> None:
    with pytest.raises(typer.Exit) as stopped:
        run_command(stopped_site)
    assert stopped.value.exit_code == 128 + signal.SIGTERM
    assert not list(stopped_site.output.rglob(TMP_PREFIX + "*"))


def test_a_temporary_file_of_a_build_running_since_stays(stopped_site: Config) -> None:
    cfg = stopped_site
    with output_lock(cfg.output, wait=False), pytest.raises(typer.Exit):
        run_command(cfg)
    assert list(cfg.output.glob(TMP_PREFIX + "*"))  # maybe that build's, about to be renamed


def handlers(item: int) -> tuple[object, object]:
    return signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM)


def test_workers_leave_both_signals_to_the_build() -> None:
    with stopped_by_signals():
        found = list(map_forked(handlers, [0, 1], 2, 1, died="died"))
    assert found == [(signal.SIG_IGN, signal.SIG_DFL)] * 2


def test_a_child_forked_before_it_set_its_handlers_dies_of_sigterm() -> None:
    with stopped_by_signals():
        pid = os.fork()
        if pid == 0:  # pragma: no cover (the child)
            try:
                os.kill(os.getpid(), signal.SIGTERM)
                time.sleep(10)
            finally:
                os._exit(3)  # reached only if the parent's handler raised here
    _, status = os.waitpid(pid, 0)
    assert os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGTERM


def test_a_signal_the_caller_ignores_stays_ignored_and_handlers_come_back() -> None:
    before = signal.getsignal(signal.SIGTERM)
    ignored = signal.signal(signal.SIGINT, signal.SIG_IGN)  # `nohup`, a background job
    try:
        with stopped_by_signals():
            assert signal.getsignal(signal.SIGINT) is signal.SIG_IGN
            assert signal.getsignal(signal.SIGTERM) not in (before, signal.SIG_IGN)
        assert signal.getsignal(signal.SIGTERM) is before
    finally:
        signal.signal(signal.SIGINT, ignored)
