"""The command line: one module per command. The only package that prints or exits.

Library code raises ``FeedsError``; the commands turn it into ``Error: ...`` on stderr and
exit code 1. Chatter (progress, problems) goes to stderr, results to stdout. A build stopped
by SIGINT (Ctrl-C) or SIGTERM (cron, systemd, timeout) says so in one line too, and exits
with 128 + the signal's number, as a shell reports a process the signal killed.
"""

from __future__ import annotations

from feeds.cli import archive, build, check, convert, serve
from feeds.cli.app import app

__all__ = ["app", "archive", "build", "check", "convert", "serve"]
