"""``feeds check``: read and validate everything, write nothing."""

from feeds.cli.app import ConfigOpt, JsonOpt, QuietOpt, SourceOpt, app
from feeds.cli.run import load, run, stoppable
from feeds.report import BuildOptions


@app.command("check")
def check_command(
    config: ConfigOpt = None,
    source: SourceOpt = None,
    quiet: QuietOpt = False,
    json_report: JsonOpt = False,
) -> None:
    """Read and validate the config and every article; write nothing. Exit 1 if any is skipped."""
    with stoppable(json_report=json_report):
        cfg = load(config, source=source)
        run(cfg, BuildOptions(write=False), quiet=quiet, strict=True, json_report=json_report)
