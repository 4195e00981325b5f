"""``feeds build``: every feed into the output folder."""

from pathlib import Path
from typing import Annotated

import typer

from feeds.cli.app import (
    ConfigOpt,
    JobsOpt,
    JsonOpt,
    LimitOpt,
    QuietOpt,
    SourceOpt,
    StrictOpt,
    VerboseOpt,
    app,
)
from feeds.cli.run import load, run, stoppable
from feeds.report import BuildOptions


@app.command("build")
def build_command(
    config: ConfigOpt = None,
    source: SourceOpt = None,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Output folder; overrides config.")
    ] = None,
    limit: LimitOpt = None,
    jobs: JobsOpt = None,
    quiet: QuietOpt = False,
    verbose: VerboseOpt = False,
    strict: StrictOpt = False,
    json_report: JsonOpt = False,
    prune: Annotated[
        bool, typer.Option("--prune", help="Delete feeds this tool wrote that have no articles.")
    ] = False,
    wait: Annotated[
        bool, typer.Option("--wait", help="Wait for a running build instead of failing.")
    ] = False,
    force: Annotated[
        bool,
        typer.Option(
            "--force",
            help="Publish even a source that had articles and has none, or a large --prune.",
        ),
    ] = False,
) -> None:
    """Build every feed into the output folder. Unchanged files are not rewritten."""
    with stoppable(json_report=json_report):
        cfg = load(config, source=source, output=output, limit=limit, jobs=jobs)
        options = BuildOptions(write=True, prune=prune, wait=wait, force=force)
        run(cfg, options, quiet=quiet, strict=strict, json_report=json_report, verbose=verbose)
