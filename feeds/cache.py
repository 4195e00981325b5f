"""The incremental cache: what reading, cleaning and sanitizing made of each file.

An entry is valid while the file's size and mtime and the parse key (a hash of every
setting that shapes an article, plus this tool's version) are unchanged, so a run over an
unchanged archive parses nothing. The light part of an article (everything but its HTML)
is loaded for every file; the HTML only for the few articles that reach a feed, which is
what keeps memory flat as the archive grows.

SQLite makes every update atomic: a build killed at any moment leaves the old state or
the new one. A file that is not our cache (corrupt, foreign, older version) is deleted
and rebuilt, never trusted.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import json
import pickle
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

from feeds import __version__
from feeds.config import Config
from feeds.models import Article, Problem, SourceFile

SCHEMA_VERSION = 3
_APP_ID = 0x46454544  # "FEED": marks the file as ours
_SCHEMA = """
CREATE TABLE files (
    rel TEXT PRIMARY KEY,
    size INTEGER NOT NULL,
    mtime_ns INTEGER NOT NULL,
    parse_key TEXT NOT NULL,
    meta BLOB NOT NULL,
    content TEXT NOT NULL
) WITHOUT ROWID;
"""

Entry = Article | Problem  # a readable file gives an article, a bad one its problem


def parse_key(config: Config) -> str:
    """A hash of everything that changes what any file turns into.

    Per-category cleaning rules are left out: they are keyed per article by ``rules_key``,
    so editing the rules of one source re-parses that source's articles only.
    """
    shaping = {
        "version": __version__,
        "schema": SCHEMA_VERSION,
        "timezone": config.site.timezone,
        "read": dataclasses.asdict(config.read),
        "clean": dataclasses.asdict(dataclasses.replace(config.clean, rules=[])),
        "image_fields": config.thumbnail.fields,
        "aliases": config.categories.aliases,
        "default": config.categories.default,
    }
    text = json.dumps(shaping, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def rules_key(config: Config, categories: Sequence[str]) -> str:
    """A hash of the per-category cleaning rules that apply to an article in ``categories``."""
    names = set(categories)
    rules = [dataclasses.asdict(r) for r in config.clean.rules if names & set(r.categories)]
    if not rules:
        return ""
    text = json.dumps(rules, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:12]


def entry_key(config: Config, base: str, entry: Entry) -> str:
    categories = entry.categories if isinstance(entry, Article) else ()
    return f"{base}:{rules_key(config, categories)}"


class ArticleCache:
    def __init__(self, path: Path | None) -> None:
        """Open the cache at ``path``; ``None`` keeps it in memory for this run only."""
        self.path = path
        self.db = _open(path)

    def close(self) -> None:
        self.db.close()

    def lookup(
        self, files: Sequence[SourceFile], config: Config
    ) -> tuple[dict[str, Entry], list[SourceFile]]:
        """Split ``files`` into cached entries and the files that must be parsed again."""
        try:
            return self._lookup(files, config)
        except (sqlite3.DatabaseError, pickle.UnpicklingError, EOFError, AttributeError):
            self.db.close()  # damaged after it was opened: rebuild from scratch
            if self.path is not None:
                self.path.unlink(missing_ok=True)
            self.db = _open(self.path)
            return {}, list(files)

    def _lookup(
        self, files: Sequence[SourceFile], config: Config
    ) -> tuple[dict[str, Entry], list[SourceFile]]:
        base = parse_key(config)
        rows = {
            rel: (size, mtime, pkey, meta)
            for rel, size, mtime, pkey, meta in self.db.execute(
                "SELECT rel, size, mtime_ns, parse_key, meta FROM files"
            )
        }
        cached: dict[str, Entry] = {}
        stale: list[SourceFile] = []
        for file in files:
            row = rows.get(file.rel)
            if row and row[:2] == (file.size, file.mtime_ns) and row[2].startswith(base + ":"):
                entry: Entry = pickle.loads(row[3])
                if row[2] == entry_key(config, base, entry):
                    cached[file.rel] = entry
                    continue
            stale.append(file)
        gone = set(rows) - {f.rel for f in files}
        if gone:
            self.db.executemany("DELETE FROM files WHERE rel = ?", [(r,) for r in gone])
            self.db.commit()
        return cached, stale

    def store(self, items: Iterable[tuple[SourceFile, Entry]], config: Config) -> Iterator[Entry]:
        """Save each parsed entry and yield its light form (an article without its HTML)."""
        base = parse_key(config)
        batch = []
        for file, entry in items:
            if isinstance(entry, Problem) and entry.stage == "internal":
                yield entry  # a bug, not a property of the file: try again next run
                continue
            key = entry_key(config, base, entry)
            content = entry.content_html if isinstance(entry, Article) else ""
            light = (
                dataclasses.replace(entry, content_html="") if isinstance(entry, Article) else entry
            )
            meta = pickle.dumps(light, protocol=pickle.HIGHEST_PROTOCOL)
            batch.append((file.rel, file.size, file.mtime_ns, key, meta, content))
            if len(batch) >= 500:
                self._insert(batch)
                batch = []
            yield light
        self._insert(batch)

    def _insert(self, batch: list[tuple[str, int, int, str, bytes, str]]) -> None:
        if batch:
            self.db.executemany("INSERT OR REPLACE INTO files VALUES (?, ?, ?, ?, ?, ?)", batch)
            self.db.commit()

    def content(self, rels: Iterable[str]) -> dict[str, str]:
        """The HTML of the given articles."""
        wanted = sorted(set(rels))
        found: dict[str, str] = {}
        for start in range(0, len(wanted), 500):
            chunk = wanted[start : start + 500]
            marks = ",".join("?" * len(chunk))
            query = f"SELECT rel, content FROM files WHERE rel IN ({marks})"
            found.update(self.db.execute(query, chunk))
        return found


def _open(path: Path | None) -> sqlite3.Connection:
    if path is None:
        return _create(sqlite3.connect(":memory:"))
    path.parent.mkdir(parents=True, exist_ok=True)
    with contextlib.suppress(sqlite3.DatabaseError):
        db = sqlite3.connect(path)
        if _is_ours(db):
            return db
        db.close()
    # Not ours, damaged, or another version: start again rather than trust any of it.
    for stale in (path, path.with_name(path.name + "-journal"), path.with_name(path.name + "-wal")):
        with contextlib.suppress(FileNotFoundError):
            stale.unlink()
    return _create(sqlite3.connect(path))


def _is_ours(db: sqlite3.Connection) -> bool:
    # Damage found later, while reading rows, is handled by ArticleCache.lookup.
    app_id = db.execute("PRAGMA application_id").fetchone()[0]
    version = db.execute("PRAGMA user_version").fetchone()[0]
    return bool((app_id, version) == (_APP_ID, SCHEMA_VERSION))


def _create(db: sqlite3.Connection) -> sqlite3.Connection:
    db.executescript(_SCHEMA)
    db.execute(f"PRAGMA application_id = {_APP_ID}")
    db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
    db.commit()
    return db
