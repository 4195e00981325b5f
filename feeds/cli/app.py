"""The Typer application, its global options, and the options its commands share."""

from pathlib import Path
from typing import Annotated

import typer

from feeds import __version__

app = typer.Typer(
    help="Turn folders of scraped article files into clean per-category RSS, Atom and JSON feeds.",
    context_settings={"help_option_names": ["-h", "--help"]},
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    # Plain click output: a usage error ends in one 'Error: ...' line, like every error here.
    rich_markup_mode=None,
)

ConfigOpt = Annotated[
    Path | None,
    typer.Option(
        "--config",
        "-c",
        help="The config file [default: config.yaml here, if there is one; else the defaults].",
        dir_okay=False,
        show_default=False,
    ),
]
SourceOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--source",
        "-s",
        help="Article folder, or feed URL or file (repeatable); replaces config sources.",
    ),
]
LimitOpt = Annotated[
    int | None, typer.Option("--limit", "-n", min=1, help="Items per feed; overrides config.")
]
JobsOpt = Annotated[
    int | None, typer.Option("--jobs", "-j", min=0, help="Parallel readers; 0 = every core.")
]
QuietOpt = Annotated[
    bool,
    typer.Option("--quiet", "-q", help="Print only errors and articles newly skipped (for cron)."),
]
VerboseOpt = Annotated[
    bool,
    typer.Option("--verbose", "-v", help="Print every note and skip, not only the new ones."),
]
StrictOpt = Annotated[
    bool, typer.Option("--strict", help="Exit 1 if any article or feed file is skipped.")
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print a JSON report on stdout.")]


def _version(value: bool) -> None:
    if value:
        typer.echo(f"feeds {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Show the version."),
    ] = False,
) -> None:
    """Turn folders of scraped article files into clean per-category feeds."""
