"""``feeds archive``: the feed sources' entries written out as article files."""

from pathlib import Path
from typing import Annotated

import typer

from feeds.cli.app import ConfigOpt, QuietOpt, SourceOpt, app
from feeds.cli.run import fail, load, stoppable, tell_problem
from feeds.errors import FeedsError


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
        try:
            done = archive(cfg, into.absolute())
        except FeedsError as e:
            fail(str(e))
        for problem in done.problems:
            tell_problem(problem)
        if not quiet:
            total = len(done.written) + done.unchanged
            typer.echo(
                f"Archived {total} entries into {into} ({len(done.written)} written, "
                f"{done.unchanged} unchanged; {len(done.problems)} feeds failed)"
            )
