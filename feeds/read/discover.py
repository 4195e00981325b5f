"""Find every article file under the source folders, recursively, in a stable order."""

from __future__ import annotations

import errno
import fnmatch
import heapq
import os
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from stat import S_ISREG

from feeds.config import Config, numbered_folders
from feeds.errors import ConfigError
from feeds.models import Problem, Source, make_source
from feeds.run.halves import in_two_halves

KIND = "file"


def file_source(path: str, rel: str, info: os.stat_result) -> Source:
    """The source of one article file, keyed by its absolute path and stamped by its size,
    mtime, inode and ctime: an edit that keeps the size and the mtime (``rsync -t``, a
    scraper that dates its files by publication) still changes the ctime."""
    return make_source(KIND, path, rel, _stamp(info))


def _stamp(info: os.stat_result) -> str:
    return f"{info.st_size}:{info.st_mtime_ns}:{info.st_ino}:{info.st_ctime_ns}"


def mtime_of(stamp: str) -> int:
    """The mtime, in seconds, in a file's stamp."""
    return int(stamp.split(":", 2)[1]) // 1_000_000_000


def discover_files(config: Config) -> tuple[list[Source], list[Problem]]:
    """Every file matching ``read.patterns`` under every source, sorted by relative path.

    Hidden folders (``.git``, the cache) and the output folder are not searched. Directory
    symlinks are followed once each, so a symlink loop cannot make the walk endless. A
    matching name that cannot be read as a file (a broken symlink, a loop, a FIFO) is
    reported, never silently left out.
    """
    for i, source in numbered_folders(config):
        if not source.is_dir():
            raise ConfigError(f"{config.path}: sources[{i}]: no such folder: {source}")
    matches = _matcher(config.read.patterns)
    skip = {_real(config.output)}
    follow = config.read.follow_links
    names: list[str] = []
    entries: list[os.DirEntry[str]] = []
    problems: list[Problem] = []
    for source, prefix in source_prefixes(config.folders):
        for rel, found, trouble in _walk(source, skip, matches, follow_links=follow):
            rel = prefix + rel
            problems += [_problem(rel + name, reason) for name, reason in trouble]
            names += [rel + entry.name for entry in found]
            entries += found
    stamps = in_two_halves(_stamps, entries)  # at 100,000 files, most of a no-change build
    files: dict[str, Source] = {}
    for name, entry, stamp in zip(names, entries, stamps, strict=True):
        if stamp is not None:
            files[name] = make_source(KIND, entry.path, name, stamp)
        else:  # looked at again, here, to say why
            source_or_problem = _file_source(name, entry)
            if isinstance(source_or_problem, Problem):
                problems.append(source_or_problem)
            else:
                files[name] = source_or_problem
    return [files[k] for k in sorted(files)], sorted(problems, key=lambda p: p.path)


def _stamps(entries: Sequence[os.DirEntry[str]]) -> list[str | None]:
    """Each regular file's stamp; None for what is not one, or cannot be stat'ed."""
    stamps: list[str | None] = []
    for entry in entries:  # once per file of the archive, on every run: kept lean
        try:
            info = entry.stat()  # follows symlinks
        except OSError:
            stamps.append(None)
            continue
        stamps.append(_stamp(info) if S_ISREG(info.st_mode) else None)
    return stamps


def _file_source(name: str, entry: os.DirEntry[str]) -> Source | Problem:
    try:
        info = entry.stat()
    except OSError as e:
        return _problem(name, _stat_reason(e, entry))
    if S_ISREG(info.st_mode):
        return file_source(entry.path, name, info)
    return _problem(name, _NOT_REGULAR)


def count_by_source(paths: Iterable[str], sources: Sequence[Path]) -> dict[str, int]:
    """How many of ``paths`` (articles' relative paths) each source's prefix holds."""
    prefixes = [prefix for _, prefix in source_prefixes(sources)]
    counts = dict.fromkeys(prefixes, 0)
    if prefixes == [""]:
        counts[""] = sum(1 for _ in paths)
        return counts
    for path in paths:
        prefix = path.partition("/")[0] + "/"
        if prefix in counts:
            counts[prefix] += 1
    return counts


def source_prefixes(sources: Sequence[Path]) -> list[tuple[Path, str]]:
    """Each distinct source folder with the prefix its files' paths get.

    One source needs none. Several are told apart by folder name; two folders of the same
    name (``a/articles``, ``b/articles``) get ``articles/`` and ``articles-2/``, so no file
    of one hides a file of the other. A folder listed twice, or inside another listed
    folder, is read once: as part of the outer one (else its files would be two articles).
    """
    distinct: dict[str, Path] = {}
    for source in sources:
        distinct.setdefault(_real(source), source)
    for real in list(distinct):
        if any(real.startswith(os.path.join(outer, "")) for outer in distinct if outer != real):
            del distinct[real]
    if len(distinct) == 1:
        return [(next(iter(distinct.values())), "")]
    result: list[tuple[Path, str]] = []
    used: set[str] = set()
    for real, source in distinct.items():
        name = source.name or Path(real).name or "source"
        prefix, n = name, 1
        while prefix in used:
            n += 1
            prefix = f"{name}-{n}"
        used.add(prefix)
        result.append((source, prefix + "/"))
    return result


Found = tuple[str, list[os.DirEntry[str]], list[tuple[str, str]]]


def _walk(
    root: Path, skip: set[str], matches: Callable[[str], bool], *, follow_links: bool = False
) -> Iterator[Found]:
    """Yield, for every folder, its posix path relative to root (ending in ``/``, or ""),
    its entries to stat (the files whose names ``matches``), and the problems of its other
    entries, as (name relative to the folder, reason). An entry that is not a name-matching
    file is not even stat'ed (at 100k files this walk is much of a no-change build).

    A folder that cannot be listed is a problem of its parent's, named with a trailing
    ``/``. Real folders are all walked before any symlinked one, then links in path order:
    a file reachable both ways is always named by its real path, whatever order the file
    system lists entries in. A link that leads out of ``root`` is reported, not followed,
    unless ``follow_links``.
    """
    top = _real(root)
    inside = _inside_of(top, follow_links)
    seen = {top}
    folders = [(os.fspath(root), "", top)]  # (path, relative path, real path)
    links: list[tuple[str, str]] = []  # a heap of (relative path + "/", path)
    while folders or links:
        if not folders:
            link_rel, link = heapq.heappop(links)
            real = _real(Path(link))
            if not inside(real):
                yield "", [], [(link_rel, _OUTSIDE)]
            elif real not in seen and real not in skip:
                seen.add(real)
                folders.append((link, link_rel, real))
            continue
        folder, rel, folder_real = folders.pop()
        try:
            # Not sorted: the files are sorted once at the end, and links go through a heap.
            entries = list(os.scandir(folder))
        except OSError as e:
            yield "", [], [(rel or "./", f"cannot list folder: {e.strerror}")]
            continue
        files: list[os.DirEntry[str]] = []
        trouble: list[tuple[str, str]] = []
        for entry in entries:  # once per file of the archive: kept lean
            name = entry.name
            try:
                is_dir = entry.is_dir()  # follows symlinks; free (no system call) for real entries
            except OSError:
                is_dir = False  # reported as a file that cannot be read, if its name matches
            if not name.isascii() and not _is_utf8(name):
                if (is_dir and not name.startswith(".")) or (not is_dir and matches(name)):
                    trouble.append((name + "/" if is_dir else name, _NOT_UTF8))
                continue
            if not is_dir:
                if not matches(name):
                    continue
                if entry.is_symlink() and not inside(_real(Path(entry.path))):
                    trouble.append((name, _OUTSIDE))
                else:
                    files.append(entry)
            elif name.startswith("."):
                continue  # hidden: .git, the cache
            elif entry.is_symlink():
                heapq.heappush(links, (f"{rel}{name}/", entry.path))
            else:
                # No link on the way: its real path is its real folder's, and its name
                # (realpath would lstat every part of the path again).
                real = os.path.join(folder_real, name)
                if real not in seen and real not in skip:  # skip: the output folder
                    seen.add(real)
                    folders.append((entry.path, f"{rel}{name}/", real))
        yield rel, files, trouble


_OUTSIDE = "symlink that leads out of the source folder; not followed (read.follow_links)"


def _inside_of(root: str, follow_links: bool) -> Callable[[str], bool]:
    """Whether a real path is inside the folder whose real path is ``root``."""
    if follow_links:
        return lambda real: True
    prefix = os.path.join(root, "")
    return lambda real: real == root or real.startswith(prefix)


_NOT_REGULAR = "not a regular file (a FIFO, socket or device)"
# Its path would be the article's name in every report, feed and cache row, and none of them
# can hold what is not text.
_NOT_UTF8 = "its path is not UTF-8 (the file system gave bytes that are not text); rename it"


def _is_utf8(name: str) -> bool:
    """Whether a name from the file system is text: os.fsdecode turns bytes that are not
    UTF-8 into lone surrogates, which no encoder takes."""
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _problem(name: str, reason: str) -> Problem:
    """A discovery problem, named so that any report can show it: bytes of the name that
    are not UTF-8 are written as ``\\xff``."""
    if not name.isascii() and not _is_utf8(name):
        name = os.fsencode(name).decode("utf-8", "backslashreplace")
    return Problem(name, "discover", reason)


def _stat_reason(error: OSError, entry: os.DirEntry[str]) -> str:
    """Why a file that matched cannot be stat'ed."""
    if error.errno == errno.ELOOP:
        return "symlink loop"
    if error.errno == errno.ENOENT and entry.is_symlink():
        return "broken symlink (its target does not exist)"
    return f"cannot stat: {error.strerror}"


def _matcher(patterns: Sequence[str]) -> Callable[[str], bool]:
    """A test of a file name against every pattern at once, ignoring case.

    Names and patterns are compared casefolded (Unicode caseless matching: ``.MD`` is
    ``.md``). "*.md" and the like, the default, need no regex: one C-level endswith per name,
    for each of 100k names on every run.
    """
    folded = [p.casefold() for p in patterns]
    if folded and all(p.startswith("*") and not _WILDCARDS.intersection(p[1:]) for p in folded):
        endings = tuple(p[1:] for p in folded)
        return lambda name: name.casefold().endswith(endings)
    return _regex_matcher(folded)


def _regex_matcher(folded: Sequence[str]) -> Callable[[str], bool]:
    """The general case: fnmatch's patterns (already casefolded) as one regex."""
    regex = re.compile("|".join(fnmatch.translate(p) for p in folded))
    return lambda name: regex.match(name.casefold()) is not None


_WILDCARDS = frozenset("*?[]")


def _real(path: Path) -> str:
    try:
        return os.path.realpath(path)
    except (OSError, ValueError):
        return str(path)
