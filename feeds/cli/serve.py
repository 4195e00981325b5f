"""``feeds serve``: preview the output folder in a browser; with ``--watch``, rebuild on
changes and reload the pages."""

import contextlib
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from types import FrameType
from typing import Annotated

import typer

from feeds.cli.app import ConfigOpt, app
from feeds.cli.run import fail, load

PortOpt = Annotated[
    int, typer.Option("--port", "-p", min=0, max=65535, help="Port on 127.0.0.1 (0: any free).")
]
WatchOpt = Annotated[
    bool,
    typer.Option("--watch", "-w", help="Rebuild when a source or the config changes; reload."),
]


@app.command("serve")
def serve_command(config: ConfigOpt = None, port: PortOpt = 8000, watch: WatchOpt = False) -> None:
    """Serve the output folder on 127.0.0.1 (never its dot files). Ctrl-C stops."""
    from feeds.serve.server import Reload, make_server

    cfg = load(config)
    reload = Reload() if watch else None
    command = [sys.executable, "-m", "feeds", "build", "-c", str(cfg.path), "--quiet"]
    if watch:
        _rebuild(command)  # the site as the sources are now
    if not (cfg.output / "index.html").is_file() and not any(cfg.output.glob("*.*")):
        fail(f"nothing to serve in {cfg.output}: run feeds build first (or feeds serve --watch)")
    try:
        server = make_server(cfg.output, port, reload)
    except OSError as e:
        fail(f"cannot listen on 127.0.0.1:{port}: {e.strerror or e}")
    bound = server.server_address[1]
    stop = threading.Event()
    with _stopped_cleanly():
        # Said once the handlers are set: a Ctrl-C the moment it is read stops cleanly too.
        typer.echo(f"Serving {cfg.output} at http://127.0.0.1:{bound}/ (Ctrl-C stops)", err=True)
        if reload is not None:
            from feeds.serve.watch import watch_and_rebuild

            def rebuild() -> None:
                typer.echo("Change seen: building again", err=True)
                _rebuild(command)
                reload.bump()

            watch_and_rebuild([*cfg.folders, cfg.path], rebuild, stop)
        try:
            server.serve_forever(poll_interval=0.2)
        finally:
            stop.set()
            server.server_close()
    typer.echo("Stopped.", err=True)


def _rebuild(command: list[str]) -> None:
    """A build in a process of its own: it may use every core (this one has threads), and
    a failing build leaves the server running; its news goes to this terminal."""
    subprocess.run(command, check=False)


@contextlib.contextmanager
def _stopped_cleanly() -> Iterator[None]:
    """Ctrl-C and SIGTERM end the server: its socket closed, no traceback, exit 0."""

    def terminate(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, terminate)
    try:
        yield
    except KeyboardInterrupt:
        pass
    finally:
        signal.signal(signal.SIGTERM, previous)
