"""The project's exceptions. Library code raises them; only ``cli.py`` turns them into exits."""

from __future__ import annotations


class FeedsError(Exception):
    """Base of every error this tool raises on purpose."""


class ConfigError(FeedsError):
    """The configuration cannot be used. The message starts with the file and the key path."""


class ArticleError(FeedsError):
    """One article cannot be used. It is skipped and reported; the build goes on."""

    def __init__(self, stage: str, reason: str) -> None:
        super().__init__(f"{stage}: {reason}")
        self.stage = stage
        self.reason = reason


class BuildError(FeedsError):
    """The build as a whole cannot go on (output folder unwritable, lock held, ...)."""
