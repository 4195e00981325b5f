"""``feeds convert``: feeds in, one clean feed out, on stdout or into a file."""

import sys
from pathlib import Path
from typing import Annotated, get_args

import typer

from feeds.cli.app import ConfigOpt, app
from feeds.cli.run import errors_as_one_line, fail, stoppable, tell_problem
from feeds.config import (
    FILTER_FIELDS,
    FilterField,
    Format,
    SourceConfig,
    feed_source_problem,
    load_config_or_defaults,
)
from feeds.errors import FeedsError
from feeds.publish.names import EXTENSIONS

FIELDS: tuple[str, ...] = get_args(FilterField)


@app.command("convert")
def convert_command(
    inputs: Annotated[
        list[str], typer.Argument(help="Feeds to read: files, http(s) URLs, or - for stdin.")
    ],
    to: Annotated[Format, typer.Option("--to", "-t", help="Output format.")] = "rss",
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write here instead of stdout.")
    ] = None,
    limit: Annotated[
        int | None, typer.Option("--limit", "-n", min=1, help="Items in all, newest first.")
    ] = None,
    limit_each: Annotated[
        int | None, typer.Option("--limit-each", min=1, help="Newest items of each input.")
    ] = None,
    keep: Annotated[
        str | None, typer.Option("--filter", help="Keep only items matching this regex.")
    ] = None,
    drop: Annotated[
        str | None, typer.Option("--filterout", help="Leave out items matching this regex.")
    ] = None,
    fields: Annotated[
        list[str] | None,
        typer.Option(
            "--filter-field",
            help=f"A field the filters search (repeatable): {', '.join(FIELDS)} "
            f"[default: {' '.join(FILTER_FIELDS)}]",
        ),
    ] = None,
    brief: Annotated[
        int | None,
        typer.Option("--brief", min=1, help="A plain summary of N characters for content."),
    ] = None,
    full_text: Annotated[
        bool,
        typer.Option(
            "--full-text", help="Fetch each item's page and extract its article (trafilatura)."
        ),
    ] = False,
    title: Annotated[str | None, typer.Option("--title", help="The output feed's title.")] = None,
    config: ConfigOpt = None,
) -> None:
    """Merge feeds into one clean RSS, Atom or JSON feed.

    Inputs are RSS, Atom or JSON Feed documents. Items come newest first, one copy of each
    story, cleaned and sanitized as a build does, with thumbnails."""
    from feeds.convert import STDIN, convert

    with stoppable():
        with errors_as_one_line():
            cfg = load_config_or_defaults(config)
            shape = SourceConfig(
                filter=keep, filterout=drop, limit=limit_each, brief=brief, full_text=full_text,
                filter_fields=list(fields) if fields else list(FILTER_FIELDS),  # type: ignore[arg-type]
            )  # fmt: skip
            _check_shape(shape)
            stdin = sys.stdin.buffer.read() if STDIN in inputs else b""
            slug = _slug(output)
            result = convert(
                inputs, cfg, fmt=to, shape=shape, limit=limit, title=title, slug=slug, stdin=stdin
            )
        for problem in result.problems:
            tell_problem(problem)
        if output is None:
            sys.stdout.buffer.write(result.output)
            sys.stdout.buffer.flush()
        else:
            from feeds.run.files import write_atomic

            try:
                write_atomic(output, result.output)
            except OSError as e:
                fail(f"cannot write {output}: {e.strerror or e}")


def _check_shape(shape: SourceConfig) -> None:
    """The config's rules for a feed source, told by option."""
    for field in shape.filter_fields:
        if field not in FIELDS:
            raise FeedsError(f"--filter-field: unknown field {field!r}")
    problem = feed_source_problem(shape)
    if problem:
        option = {"limit": "limit-each", "full_text": "full-text"}.get(problem[0], problem[0])
        raise FeedsError(f"--{option}: {problem[1]}")


def _slug(output: Path | None) -> str:
    """The output's name without its extension: its self link's name."""
    if output is None:
        return "feed"
    name = output.name
    for ending in EXTENSIONS.values():
        if name.endswith(ending):
            return name.removesuffix(ending) or "feed"
    return name.rsplit(".", 1)[0] or "feed"
