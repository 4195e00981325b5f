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
        for path, rel, found in _walk(source, skip, patterns):
            if isinstance(found, str):
                problems.append(Problem(prefix + rel, "discover", found))
            else:
                size, mtime_ns = found
                files.setdefault(prefix + rel, SourceFile(Path(path), prefix + rel, size, mtime_ns))
    return [files[k] for k in sorted(files)], problems


def _walk(
    root: Path, skip: set[str], patterns: Sequence[str]
) -> Iterator[tuple[str, str, tuple[int, int] | str]]:
    """Yield (path, posix path relative to root, (size, mtime_ns) or a problem) per file.

    Works on strings and DirEntry stats, not Path objects: at 100k files this walk is a
    large part of a no-change rebuild.
    """
    seen = {_real(root)}
    stack = [(str(root), "")]
    while stack:
        folder, rel = stack.pop()
        try:
            entries = list(os.scandir(folder))
        except OSError as e:
            yield folder, rel or ".", f"cannot list folder: {e.strerror}"
            continue
        for entry in entries:
            child_rel = f"{rel}{entry.name}"
            try:
                if entry.is_dir():
                    real = _real(Path(entry.path))
                    if entry.name.startswith(".") or real in skip or real in seen:
                        continue  # hidden, the output folder, or walked already (symlink loop)
                    seen.add(real)
                    stack.append((entry.path, child_rel + "/"))
                elif _matches(entry.name, patterns):
                    st = entry.stat()
                    yield entry.path, child_rel, (st.st_size, st.st_mtime_ns)
            except FileNotFoundError:
                if entry.is_symlink():
                    yield entry.path, child_rel, "broken symbolic link (or a symlink loop)"
            except OSError as e:
                yield entry.path, child_rel, f"cannot stat: {e.strerror}"


def _matches(name: str, patterns: Sequence[str]) -> bool:
    name = name.lower()
    return any(fnmatchcase(name, p) for p in patterns)


def _real(path: Path) -> str:
    try:
        return os.path.realpath(path)
    except (OSError, ValueError):
        return str(path)
