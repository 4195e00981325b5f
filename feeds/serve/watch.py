"""Rebuilding when a source or the config changes (``feeds serve --watch``)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from pathlib import Path


def watch_and_rebuild(
    paths: Sequence[Path], rebuild: Callable[[], None], stop: threading.Event
) -> threading.Thread:
    """A thread that calls ``rebuild`` after each batch of changes under ``paths``, until
    ``stop`` is set."""
    import watchfiles

    existing = [str(p) for p in paths if p.exists()]

    def run() -> None:
        for _changes in watchfiles.watch(*existing, stop_event=stop, raise_interrupt=False):
            rebuild()

    thread = threading.Thread(target=run, name="feeds-watch", daemon=True)
    thread.start()
    return thread
