"""Find every article file under the source folders, recursively, in a stable order."""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from fnmatch import fnmatchcase
from pathlib import Path

from feeds.config import Config
from feeds.errors import ConfigError
from feeds.models import Problem, SourceFile


def discover_files(config: Config) -> tuple[list[SourceFile], list[Problem]]:
    """Every file matching ``read.patterns`` under every source, sorted by relative path.

    Hidden folders (``.git``, the cache) and the output folder are not searched. Directory
    symlinks are followed once each, so a symlink loop cannot make the walk endless.
    """
    for i, source in enumerate(config.sources):
        if not source.is_dir():
            raise ConfigError(f"{config.path}: sources[{i}]: no such folder: {source}")
    patterns = [p.lower() for p in config.read.patterns]
    skip = {_real(config.output)}
    files: dict[str, SourceFile] = {}
    problems: list[Problem] = []
    for source in config.sources:
        prefix = f"{source.name}/" if len(config.sources) > 1 else ""
        for path, rel, problem in _walk(source, skip):
            if problem is not None:
                problems.append(Problem(prefix + rel, "discover", problem))
            elif _matches(rel, patterns):
                found = _stat_file(path, prefix + rel)
                if isinstance(found, Problem):
                    problems.append(found)
                else:
                    files.setdefault(found.rel, found)
    return [files[k] for k in sorted(files)], problems


def _walk(root: Path, skip: set[str]) -> Iterator[tuple[Path, str, str | None]]:
    """Yield (path, posix path relative to root, problem or None) for every file."""
    seen = {_real(root)}
    stack = [(root, "")]
    while stack:
        folder, rel = stack.pop()
        try:
            entries = list(os.scandir(folder))
        except OSError as e:
            yield folder, rel or ".", f"cannot list folder: {e.strerror}"
            continue
        for entry in entries:
            child_rel = f"{rel}{entry.name}"
            path = Path(entry.path)
            try:
                is_dir = entry.is_dir()
                is_file = entry.is_file()
            except OSError as e:
                yield path, child_rel, f"cannot stat: {e.strerror}"
                continue
            if is_dir:
                real = _real(path)
                if entry.name.startswith(".") or real in skip or real in seen:
                    continue  # hidden, the output folder, or already walked (symlink loop)
                seen.add(real)
                stack.append((path, child_rel + "/"))
            elif is_file:
                yield path, child_rel, None
            elif entry.is_symlink():
                yield path, child_rel, "broken symbolic link (or a symlink loop)"


def _matches(rel: str, patterns: Sequence[str]) -> bool:
    name = rel.rsplit("/", 1)[-1].lower()
    return any(fnmatchcase(name, p) for p in patterns)


def _stat_file(path: Path, rel: str) -> SourceFile | Problem:
    try:
        st = path.stat()
    except OSError as e:
        return Problem(rel, "discover", f"cannot stat: {e.strerror}")
    return SourceFile(path=path, rel=rel, size=st.st_size, mtime_ns=st.st_mtime_ns)


def _real(path: Path) -> str:
    try:
        return os.path.realpath(path)
    except (OSError, ValueError):
        return str(path)
