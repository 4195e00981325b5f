"""``feeds archive``: the feed sources' entries written out as article files."""

from pathlib import Path
from typing import Annotated

import typer

from feeds.cli.app import ConfigOpt, QuietOpt, SourceOpt, app
from feeds.cli.run import errors_as_one_line, fail, load, stoppable, tell_problem


@app.command("archive")
def archive_command(
    into: Annotated[
        Path, typer.Option("--into", help="The archive folder the article files go into.")
    ],
    config: ConfigOpt = None,
    source: SourceOpt = None,
    quiet: QuietOpt = False,
) -> None:
    """Write the feed sources' entries out as article files.

    One file per entry, under its category path, with a stable name; a file is rewritten
    only when its entry changed."""
    from feeds.archive import archive

    with stoppable():
        cfg = load(config, source=source)
        if not any(s.feed is not None for s in cfg.sources):
            fail("no feed sources to archive (name them in the config, or with --source URL)")
        with errors_as_one_line():  # a bug too: one Error line, never a traceback
            done = archive(cfg, into.absolute())
        for problem in done.problems:
            tell_problem(problem)
        if not quiet:
            total = len(done.written) + done.unchanged
            left_out = f", {done.left_out} left out" if done.left_out else ""
            failed = sum(p.skipped for p in done.problems) - done.left_out  # not notes
            typer.echo(
                f"Archived {total} entries into {into} ({len(done.written)} written, "
                f"{done.unchanged} unchanged{left_out}; {failed} feeds failed)"
            )
