"""``feeds serve`` in a process of its own, for the tests that read the site over HTTP."""

from __future__ import annotations

import contextlib
import http.client
import re
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

LISTENING = re.compile(r"at http://127\.0\.0\.1:(\d+)/")
LISTENING_FOLDER = re.compile(r"Serving (.+) at http://")


@dataclass
class Served:
    process: subprocess.Popen[str]
    port: int
    lines: list[str]  # what it said on stderr, as it says it
    reader: threading.Thread  # reads them; ends when the process closes its stderr
    root: Path  # the folder served

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}/"

    def get(
        self, path: str, headers: dict[str, str] | None = None, method: str = "GET"
    ) -> tuple[int, dict[str, str], bytes]:
        """(status, headers with lower-case names, body) of ``path`` (a URL or a path)."""
        parts = urlsplit(path)
        target = parts.path + (f"?{parts.query}" if parts.query else "")
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            connection.request(method, target, headers=headers or {})
            response = connection.getresponse()
            body = response.read()
            found = {k.lower(): v for k, v in response.getheaders()}
            return response.status, found, body
        finally:
            connection.close()


@contextlib.contextmanager
def served(config: Path, *args: str) -> Iterator[Served]:
    """``feeds serve -c config --port 0 *args`` until the block ends (then Ctrl-C)."""
    command = [sys.executable, "-m", "feeds", "serve", "-c", str(config), "--port", "0", *args]
    process = subprocess.Popen(command, stderr=subprocess.PIPE, text=True)
    try:
        assert process.stderr is not None
        port = None
        for line in process.stderr:  # the build's news first, with --watch
            if match := LISTENING.search(line):
                port = int(match.group(1))
                break
        assert port is not None, f"feeds serve did not start (exit {process.wait()})"
        lines = [line]
        # Read on, so that a chatty rebuild never fills the pipe and stops the server.
        reader = threading.Thread(target=lines.extend, args=(process.stderr,), daemon=True)
        reader.start()
        root = Path(LISTENING_FOLDER.search(line).group(1))  # type: ignore[union-attr]
        yield Served(process, port, lines, reader, root)
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
