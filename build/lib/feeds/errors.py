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


def wrapped_interruption(error: Exception) -> BaseException | None:
    """The interruption (a BaseException that is no Exception: a signal's) behind ``error``.

    Python 3.11 wraps what a class's creation raises (``__set_name__``, in a module
    imported lazily, say) in a RuntimeError: a signal that comes then must stop the build,
    not pass for one article's bug or an internal error.
    """
    seen: set[int] = set()
    cause: BaseException | None = error
    while cause is not None and id(cause) not in seen:
        if not isinstance(cause, Exception):
            return cause
        seen.add(id(cause))
        cause = cause.__cause__ or cause.__context__
    return None
