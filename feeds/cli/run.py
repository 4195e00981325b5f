"""What every command does around a build: load the config, run, report, fail in one line.

The build's machinery is imported by the functions that run it: every command imports this
module, and ``feeds serve`` or ``feeds --help`` need none of it.
"""

from __future__ import annotations

import contextlib
import contextvars
import dataclasses
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any, NoReturn

import typer

from feeds.config import Config, SourceConfig, is_feed_url, load_config_or_defaults
from feeds.errors import FeedsError, wrapped_interruption
from feeds.models import Problem, Progress
from feeds.report import BuildOptions, BuildReport
from feeds.run.signals import STOPPED_BY, Stopped, stopped_by_signals

# Whether this command's errors are told as JSON on stdout too (--json): a script that reads
# the report gets an object whatever happened.
_JSON_ERRORS: contextvars.ContextVar[bool] = contextvars.ContextVar("json_errors", default=False)


@contextlib.contextmanager
def stoppable(*, json_report: bool = False) -> Iterator[None]:
    """A whole command, from reading the config to the last line of its report, under
    ``stopped_by_signals``: SIGINT or SIGTERM anywhere in it is one ``Error:`` line."""
    token = _JSON_ERRORS.set(json_report)
    try:
        with stopped_by_signals():
            yield
    except Stopped as e:
        fail(STOPPED_BY[e.signum], code=128 + e.signum)
    finally:
        _JSON_ERRORS.reset(token)


def load(
    path: Path | None,
    *,
    source: list[str] | None = None,
    output: Path | None = None,
    limit: int | None = None,
    jobs: int | None = None,
) -> Config:
    """The config, with the options given on the command line in place of its values."""
    try:
        cfg = load_config_or_defaults(path)
    except FeedsError as e:
        fail(str(e))
    if not (source or cfg.from_file or all(s.is_dir() for s in cfg.folders)):
        fail(
            f"no {cfg.path.name} here, and no folder {cfg.folders[0]}: name the articles "
            "with --source DIR (and the output with --output DIR), or write a config file"
        )
    changes: dict[str, Any] = {"limit": limit, "jobs": jobs}
    # Paths given on the command line are relative to where the command runs.
    changes["sources"] = [_source_given(s) for s in source] if source else None
    changes["output"] = output.absolute() if output else None
    changes["options"] = _options_given(source or [], output)
    return dataclasses.replace(cfg, **{k: v for k, v in changes.items() if v is not None})


def _source_given(value: str) -> SourceConfig:
    """A --source, which must be there: its error names the option, not a config file
    (with none, a ``config.yaml`` that does not exist)."""
    source = source_option(value)
    if source.folder is not None and not source.folder.is_dir():
        fail(f"--source {value}: no such folder: {source.folder}")
    return source


def _options_given(source: list[str], output: Path | None) -> dict[str, str]:
    """The config's keys the command line set, each with the option as given: a message
    about one of them names the option."""
    given = {f"sources[{i}]": f"--source {value}" for i, value in enumerate(source)}
    if output:
        given["output"] = f"--output {output}"
    return given


def source_option(value: str) -> SourceConfig:
    """A --source: a feed's URL, a feed file, or a folder of articles."""
    if is_feed_url(value):
        return SourceConfig(feed=value)
    path = Path(value).absolute()
    return SourceConfig(feed=str(path)) if path.is_file() else SourceConfig(folder=path)


def run(
    cfg: Config,
    options: BuildOptions,
    *,
    quiet: bool,
    strict: bool,
    json_report: bool,
    verbose: bool = False,
) -> None:
    try:
        report = _build_or_fail(cfg, options, show=not quiet)
    except Stopped:  # the build has unwound: workers stopped, the lock released
        if options.write:
            _remove_temporaries(cfg.output)
        raise  # to stoppable, which says so
    told = _told(report, options, quiet=quiet, verbose=verbose)
    _report(report, options, told, quiet=quiet, strict=strict, json_report=json_report)


def _remove_temporaries(out: Path) -> None:
    """Remove the temporary files a stopped build left in ``out``, if no build holds it now.

    ``write_atomic`` removes its own, named before they are made; this is the second line,
    for whatever else a signal's timing leaves. Taking the output lock removes such files
    (otherwise the next build does); a build that has taken it since removed them itself.
    """
    from feeds.run.locks import output_lock

    with contextlib.suppress(FeedsError), output_lock(out, wait=False):
        pass


def _build_or_fail(cfg: Config, options: BuildOptions, *, show: bool) -> BuildReport:
    with errors_as_one_line():
        return _build_with_progress(cfg, options, show=show)
    raise AssertionError("unreachable: errors_as_one_line exits")  # for mypy


@contextlib.contextmanager
def errors_as_one_line() -> Iterator[None]:
    """The project's errors, and any bug, as one ``Error:`` line and exit 1; an
    interruption (Ctrl-C, a signal) passes as it is."""
    try:
        yield
    except FeedsError as e:
        fail(str(e))
    except Exception as e:  # a bug: one line, no traceback, exit 1
        if (interruption := wrapped_interruption(e)) is not None:
            raise interruption from None
        fail(f"internal error: {type(e).__name__}: {e}")


def tell_problem(problem: Problem) -> None:
    """One problem, one line on stderr: a skipped input, or a note of what was repaired."""
    verb = "skipped" if problem.skipped else "note"
    typer.echo(f"{verb}: {problem.path}: {problem.stage}: {problem.reason}", err=True)


def _told(
    report: BuildReport, options: BuildOptions, *, quiet: bool, verbose: bool
) -> list[Problem]:
    """The problems a run tells on stderr: every one with --verbose and for ``check``; else
    those the last build did not have (a cron job mails news only); under --quiet, only
    the skips among them (an article a bug cost is a skip too)."""
    told = report.problems
    if options.write and not verbose:
        told = [p for p in told if report.is_new(p)]
    return [p for p in told if p.skipped] if quiet else told


def _report(
    report: BuildReport,
    options: BuildOptions,
    told: list[Problem],
    *,
    quiet: bool,
    strict: bool,
    json_report: bool,
) -> None:
    for problem in told:
        tell_problem(problem)
    if json_report:
        typer.echo(report_json_text(report, options))
    elif not quiet:
        typer.echo(summary_line(report, options))
    if strict and (report.skipped or report.unwritten):
        raise typer.Exit(code=1)


def build(cfg: Config, options: BuildOptions, progress: Progress | None = None) -> BuildReport:
    """``feeds.build.build``, imported by the first command that builds."""
    from feeds.build import build as build_feeds

    return build_feeds(cfg, options, progress)


def _build_with_progress(cfg: Config, options: BuildOptions, *, show: bool) -> BuildReport:
    if not (show and sys.stderr.isatty()):
        return build(cfg, options)
    from rich.progress import Progress as Bar

    # No refresh thread: the build forks reader processes, and forking while another thread
    # holds a lock can leave a child waiting for it for ever.
    with Bar(transient=True, auto_refresh=False) as bar:
        task = bar.add_task("Reading articles", total=None)

        def advance(done: int, total: int) -> None:
            if done % 200 == 0 or done == total:
                bar.update(task, completed=done, total=total, refresh=True)

        progress: Progress = advance
        return build(cfg, options, progress)


def summary_line(report: BuildReport, options: BuildOptions) -> str:
    skipped = len(report.skipped)
    notes = len(report.problems) - skipped
    files = sum(len(f.files) for f in report.feeds)
    read = (
        f"Read {report.articles + skipped} articles ({report.parsed} parsed, "
        f"{report.cached} from cache; {skipped} skipped, {notes} notes)"
    )
    if not options.write:
        return f"{read}; would write {len(report.feeds)} feeds ({files} files)"
    removed = f", {len(report.removed)} removed" if report.removed else ""
    site = report.outputs - files  # the pages, the index, the OPML: 0 with pages off
    made = (
        f"{len(report.feeds)} feeds and {site} site files"
        if site > 0
        else f"{len(report.feeds)} feeds"
    )
    return (
        f"{read}; wrote {made} ({files + max(site, 0)} files, "
        f"{len(report.changed)} changed{removed}) in {report.seconds:.2f}s"
    )


def report_json_text(report: BuildReport, options: BuildOptions) -> str:
    """The JSON report, as ``json.dumps(fields, ensure_ascii=False, indent=2)`` would
    write it (its one float, seconds, has three decimals: no exponent)."""
    from feeds.run.jsontext import indented_json

    return indented_json(_report_fields(report, options))


def _report_fields(report: BuildReport, options: BuildOptions) -> dict[str, Any]:
    """The report's fields in their order; its feeds and problems still dataclasses."""
    return {
        "articles": report.articles,
        "skipped": len(report.skipped),
        "parsed": report.parsed,
        "cached": report.cached,
        "loaded": report.loaded,
        "feeds": report.feeds,
        "problems": report.problems,
        "changed": report.changed,
        "removed": report.removed,
        "written": options.write,
        "seconds": round(report.seconds, 3),
    }


def fail(message: str, *, code: int = 1) -> NoReturn:
    if _JSON_ERRORS.get():
        typer.echo(json.dumps({"error": message, "exit_code": code}, ensure_ascii=False))
    typer.echo(f"Error: {message}", err=True)
    raise typer.Exit(code=code)
