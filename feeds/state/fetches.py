"""What a build keeps of each feed's last good fetch, between runs: its record, as bytes.

The feed reader (``read.entries``) makes and reads the records; this module only keeps
them: a SQLite file beside the cache (``<cache name>.fetches.sqlite``), one row per feed,
each with a checksum. A record that cannot be trusted is forgotten (the feed is fetched in
full again); a file that is not ours is refused. With the cache off, nothing is kept: every
run fetches every feed in full.
"""

from __future__ import annotations

import contextlib
import sqlite3
import zlib
from collections.abc import Iterator
from pathlib import Path

from feeds.config import Config
from feeds.errors import BuildError

_APP_ID = 0x46455443  # "FETC"
_SCHEMA = "CREATE TABLE IF NOT EXISTS fetches (url TEXT PRIMARY KEY, record BLOB, crc INTEGER)"


def fetches_path(config: Config) -> Path | None:
    if not config.cache.enabled:
        return None
    cache = config.cache.path
    return cache.with_name(f"{cache.stem}.fetches.sqlite")


class FetchRecords:
    """Records by feed URL (or path): ``recall`` and ``remember``, for the feed reader."""

    def __init__(self, path: Path | None, *, keep: bool = True) -> None:
        self.path = path
        self._keep = keep
        self._db = _open(path) if keep else _open_to_read(path)

    def recall(self, url: str) -> bytes | None:
        try:
            row = self._db.execute("SELECT record, crc FROM fetches WHERE url = ?", (url,))
            found = row.fetchone()
        except sqlite3.Error:
            return None  # fetched in full, and kept afresh
        if found is None or not isinstance(found[0], bytes) or zlib.crc32(found[0]) != found[1]:
            return None
        record: bytes = found[0]
        return record

    def remember(self, url: str, record: bytes) -> None:
        if not self._keep:
            return
        try:
            self._db.execute(
                "INSERT OR REPLACE INTO fetches VALUES (?, ?, ?)", (url, record, zlib.crc32(record))
            )
            self._db.commit()
        except sqlite3.Error as e:
            raise BuildError(f"cannot write {self.path}: {e}") from None

    def close(self) -> None:
        self._db.close()


@contextlib.contextmanager
def fetch_records(config: Config, *, keep: bool = True) -> Iterator[FetchRecords]:
    """The records of ``config``'s feeds; without ``keep`` (``feeds check``), read only."""
    records = FetchRecords(fetches_path(config) if config.feed_sources else None, keep=keep)
    try:
        yield records
    finally:
        records.close()


def _open(path: Path | None) -> sqlite3.Connection:
    if path is None:
        return _create(sqlite3.connect(":memory:"))
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        db = sqlite3.connect(path, timeout=60)
        (app_id,) = db.execute("PRAGMA application_id").fetchone()
        tables = db.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]
        if app_id == _APP_ID or tables == 0:
            return _create(db)
        db.close()
    except sqlite3.DatabaseError as e:
        if path.exists() and path.stat().st_size > 0 and not _is_ours(path):
            raise BuildError(f"cannot use {path}: {e}") from None
        path.unlink(missing_ok=True)  # ours, and damaged: its records are fetched afresh
        return _create(sqlite3.connect(path, timeout=60))
    except OSError as e:
        raise BuildError(f"cannot use {path}: {e.strerror or e}") from None
    raise BuildError(f"cannot use {path}: it is a file this tool did not make; left as it is")


def _open_to_read(path: Path | None) -> sqlite3.Connection:
    """The records as they are, read only (``feeds check`` writes nothing); none if there
    are none, or if they cannot be read."""
    if path is not None and path.is_file() and _is_ours(path):
        try:
            return sqlite3.connect(f"{path.absolute().as_uri()}?mode=ro", uri=True)
        except sqlite3.Error:
            pass
    return _create(sqlite3.connect(":memory:"))


def _is_ours(path: Path) -> bool:
    with path.open("rb") as f:
        header = f.read(72)
    return len(header) == 72 and int.from_bytes(header[68:72], "big") == _APP_ID


def _create(db: sqlite3.Connection) -> sqlite3.Connection:
    db.execute(f"PRAGMA application_id = {_APP_ID}")
    db.execute(_SCHEMA)
    db.commit()
    return db
