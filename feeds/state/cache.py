"""The incremental cache: what reading, cleaning and sanitizing made of each source.

An entry is valid while the source's key and stamp (a file's path, and its size and mtime)
and the parse key (a hash of every
setting that shapes an article, this tool's version and the shape of the cached classes) are
unchanged, so a run over an unchanged archive parses nothing. The light part of an article
(everything but its HTML) is loaded for every file; the HTML only for the few articles that
reach a feed, which is what keeps memory flat as the archive grows. A large build stores
most articles in their light form only (``complete`` is 0): their HTML is made and stored
the first time a feed shows them (``read.batch.ContentLoader``).

SQLite makes every update atomic: a build killed at any moment leaves the old state or the
new one. A cache of ours that cannot be trusted (damaged, truncated, another schema) is
deleted and rebuilt, even when the damage shows only part way through a build. A file this
tool did not make is never deleted: it is refused. A lock beside the file serializes builds
that share one cache.

Beside the rows, a snapshot: the light entries of the last build that wrote one, packed in a
few large parts, one decode each instead of one query row and one decode per file. SQLite's
triggers list in ``recent`` every row written or deleted since (by this tool or anyone): a
snapshot entry stands for its row only while its key is not listed there, and those rows are
read one by one as before. It is written again once enough rows have changed. (Without a
snapshot, nothing is listed: a first build does not list each row it writes.)
"""

from __future__ import annotations

import contextlib
import errno
import functools
import itertools
import operator
import os
import sqlite3
import stat
import zlib
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

import msgspec

from feeds.codec import DecodeError, Entry, Packed, decode_entry, unpack
from feeds.config import Config
from feeds.errors import BuildError
from feeds.models import Article, Source, shared_values
from feeds.run.locks import hold_lock
from feeds.state.keys import SCHEMA_VERSION, entry_key, parse_key, snapshot_key

_APP_ID = 0x46454544  # "FEED": marks the file as ours
_SCHEMA = """
CREATE TABLE sources (
    key TEXT PRIMARY KEY,
    stamp TEXT NOT NULL,
    parse_key TEXT NOT NULL,
    meta BLOB NOT NULL,
    content TEXT NOT NULL,
    summary TEXT NOT NULL,
    complete INTEGER NOT NULL,
    meta_crc INTEGER NOT NULL,
    text_crc INTEGER NOT NULL
);
CREATE TABLE builds (
    key TEXT PRIMARY KEY,
    report BLOB NOT NULL
) WITHOUT ROWID;
CREATE TABLE snapshot (
    part INTEGER PRIMARY KEY,
    key TEXT NOT NULL,
    data BLOB NOT NULL,
    crc INTEGER NOT NULL
);
CREATE TABLE recent (key TEXT PRIMARY KEY) WITHOUT ROWID;
CREATE TRIGGER sources_inserted AFTER INSERT ON sources
WHEN EXISTS (SELECT 1 FROM snapshot) BEGIN
    INSERT OR IGNORE INTO recent VALUES (new.key);
END;
CREATE TRIGGER sources_updated AFTER UPDATE ON sources
WHEN EXISTS (SELECT 1 FROM snapshot) BEGIN
    INSERT OR IGNORE INTO recent VALUES (old.key);
    INSERT OR IGNORE INTO recent VALUES (new.key);
END;
CREATE TRIGGER sources_deleted AFTER DELETE ON sources
WHEN EXISTS (SELECT 1 FROM snapshot) BEGIN
    INSERT OR IGNORE INTO recent VALUES (old.key);
END;
"""
# Added to the schema after it was version 19: a cache of that version without it is given
# it (see _is_ours), not made again from every file.
_FEED_INDEX = """
CREATE TABLE feed_index (
    key TEXT PRIMARY KEY,
    data BLOB NOT NULL,
    crc INTEGER NOT NULL
);
"""
# A table with rowids, not WITHOUT ROWID: rows hold a whole article's HTML, and SQLite's
# clustered index is slow with rows that large.
# Rows are committed in batches of 2 million characters: each commit waits for the disk, and
# the build's workers wait while it commits; yet the batch is held in memory until then, at
# up to 4 bytes a character (Chinese HTML is 2), beside the readers at a build's peak. A
# light row (no HTML yet) is a few hundred characters, a complete one thousands: the batch is
# counted in characters, not rows.
_BATCH_SIZE = 2_000_000
_QUERY_BATCH = 500  # variables in one query: older SQLite allows at most 999
_DAMAGED = {sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB}
_SQLITE_HEADER = b"SQLite format 3\x00"
_APP_ID_OFFSET = 68  # where SQLite's file header keeps the application id
_OWN_SUFFIXES = ("", "-journal", "-wal", "-shm", ".lock")

# A snapshot part holds this many entries: one decode each, and a large archive's snapshot
# is never in memory whole as bytes.
_PART_SIZE = 2000
# The snapshot is written again once more rows than this changed since, or a tenth of them.
_RECENT_ALLOWED = 200

Row = tuple[str, str, str, bytes, str, str, bool, int, int]
# From the snapshot: entries by rel, keys changed since, keys of no source now, its size
_SnapshotFound = tuple[dict[str, Entry], set[str], list[str], int]


class _Part(msgspec.Struct, array_like=True, frozen=True):
    """A part of the snapshot: sources' keys and stamps, and their light articles."""

    keys: list[str]
    stamps: list[str]
    articles: list[Article]


_key_of = operator.attrgetter("key")
_PART_ENCODER = msgspec.msgpack.Encoder()
_PART_DECODER = msgspec.msgpack.Decoder(_Part)


class ArticleCache:
    def __init__(self, path: Path | None, config: Config) -> None:
        """Open the cache at ``path`` for a build of ``config``; ``None`` gives a private
        one, deleted on close.

        Waits while another build uses the same cache. Raises BuildError if the cache
        cannot be created or written.
        """
        self.path = path
        self._lock = contextlib.ExitStack()
        self._config = config
        self._base = parse_key(config)
        self._snapshot_key = snapshot_key(config, self._base)
        # Every light article this build holds as its row holds it, by source key, with the
        # source's stamp: the next snapshot, in a build that is to make one (None: it is not).
        # Keyed by the key's string, whose hash Python keeps, not by the Source record.
        self._light: dict[str, tuple[str, Article]] | None = None
        self._batch: list[Row] = []
        self._batch_size = 0
        # "/name" endings: one C-level endswith per file instead of a basename() call
        self._own_endings = tuple(os.sep + path.name + end for end in _OWN_SUFFIXES) if path else ()
        self.rebuilt = False  # found damaged and started afresh during this build
        self.dropped: str | None = None  # why the cache was given up on (a full disk)
        try:
            if path is not None:
                _refuse_foreign(path)  # before the lock is made beside it, too
                path.parent.mkdir(parents=True, exist_ok=True)
                self._lock.enter_context(hold_lock(_sibling(path, ".lock"), wait=True))
                _refuse_foreign(path)  # again: it might have changed while we waited
            self.db = _open(path)
        except BaseException as e:
            if _full(e):
                self._drop(e)
                return
            self._lock.close()
            if not isinstance(e, OSError | sqlite3.Error):
                raise
            raise BuildError(
                f"cannot use the cache {path}: {_reason(e)} "
                "(set cache.path to a writable place, or cache.enabled: false)"
            ) from None

    def close(self) -> None:
        """Save what is still to be saved, and close: even a build that failed part way
        keeps what it parsed, and does not parse it again."""
        try:
            self.save()
        finally:
            self.db.close()
            self._lock.close()

    def save(self) -> None:
        """Save what is still to be saved, and the snapshot; then let go of the light
        articles it was made from, which are most of a large build's memory: what the
        build makes after its last article is in theirs."""
        self.flush()
        self._save_snapshot()
        self._light = None

    def owns(self, source: Source) -> bool:
        """Whether ``source`` is one of the cache's own files (a cache inside a source folder)."""
        if not source.key.endswith(self._own_endings) or self.path is None:
            return False
        return _same_file(os.path.dirname(source.key), self.path.parent)

    def without_own_files(self, sources: Sequence[Source]) -> list[Source]:
        """``sources`` less the cache's own files (``owns``), in order."""
        endings = self._own_endings
        # Every ending starts "/name": asked of all keys at once first, by one search in C
        # rather than an endswith per key; nearly always no key holds it.
        if self.path is None or os.sep + self.path.name not in "\n".join(map(_key_of, sources)):
            return list(sources)
        return [s for s in sources if not s.key.endswith(endings) or not self.owns(s)]

    def lookup(self, sources: Sequence[Source]) -> tuple[dict[str, Entry], list[Source]]:
        """Split ``sources`` into cached entries (by ``rel``) and those to parse again.

        Entries of files under the config's source folders that no longer exist are deleted.
        """
        try:
            return self._lookup(sources)
        except sqlite3.Error as e:
            self._recover_or_raise("read", e)
        return {}, list(sources)

    def _lookup(self, sources: Sequence[Source]) -> tuple[dict[str, Entry], list[Source]]:
        by_key = {s.key: s for s in sources}
        found = self._from_snapshot(by_key)
        if found is None:
            cached, gone = self._from_rows(by_key, scan=True)
            remake = self.path is not None  # this build makes the snapshot
        else:
            cached, recent, others, count = found
            missing = [s for s in sources if s.rel not in cached]
            wanted = {s.key: s for s in missing}
            # Many left (a snapshot of other folders): one pass over every row is quicker.
            cached |= self._from_rows(wanted, scan=len(wanted) > 4 * _QUERY_BATCH)[0]
            # The rows that were there when the snapshot was made, and those written since
            # (the rows a scan found besides the wanted ones include the snapshot's own).
            roots = self._roots
            known = itertools.chain(others, recent)
            gone = [
                k for k in known if k not in by_key and isinstance(k, str) and k.startswith(roots)
            ]
            remake = len(recent) > max(_RECENT_ALLOWED, count // 10)
        if remake:  # from what the rows hold now: this lookup's entries, and what is stored
            self._light = {
                s.key: (s.stamp, entry)
                for s in sources
                if isinstance(entry := cached.get(s.rel), Article)
            }
        # The sources the snapshot lacked, less those their rows gave (or, without one, all)
        stale = [s for s in (sources if found is None else missing) if s.rel not in cached]
        if gone:
            self.db.executemany("DELETE FROM sources WHERE key = ?", ((k,) for k in gone))
            self.db.commit()
        return cached, stale

    @functools.cached_property
    def _roots(self) -> tuple[str, ...]:
        """Where the config's sources are: a row under them whose source is gone is deleted."""
        config = self._config
        roots = tuple(os.path.join(os.path.abspath(s), "") for s in config.folders)
        return roots + tuple(s.feed for s in config.sources if s.feed)  # left their feed

    def _from_rows(
        self, wanted: dict[str, Source], *, scan: bool
    ) -> tuple[dict[str, Entry], list[str]]:
        """The cached entries of the ``wanted`` sources, from their rows (by ``rel``); and
        the keys of the other rows read (with ``scan``) under the sources' folders."""
        config, base = self._config, self._base
        prefix = base + ":"
        cached: dict[str, Entry] = {}
        roots = self._roots
        gone: list[str] = []
        for key, stamp, made_by, meta, crc in self._rows(wanted, scan):
            source = wanted.get(key)
            if source is None:
                if isinstance(key, str) and key.startswith(roots):
                    gone.append(key)
                continue
            # A text column of a damaged row may hold bytes: such a row is parsed again.
            fresh = stamp == source.stamp and isinstance(made_by, str)
            if fresh and made_by.startswith(prefix) and _sound(meta, crc):
                entry = _decode(meta, source.rel)
                if entry is not None and made_by == entry_key(config, base, entry):
                    cached[source.rel] = entry
        return cached, gone

    def _rows(self, wanted: dict[str, Source], scan: bool) -> Iterator[Any]:
        """Every row (``scan``), or the rows of ``wanted``: key, stamp, parse key, light
        entry and its checksum."""
        columns = "SELECT key, stamp, parse_key, meta, meta_crc FROM sources"
        if scan:
            # Row by row, not all rows at once: a large archive's light entries alone are large.
            yield from self.db.execute(columns)
            return
        keys = list(wanted)
        for start in range(0, len(keys), _QUERY_BATCH):
            chunk = keys[start : start + _QUERY_BATCH]
            marks = ",".join("?" * len(chunk))
            yield from self.db.execute(f"{columns} WHERE key IN ({marks})", chunk)

    def _from_snapshot(self, by_key: dict[str, Source]) -> _SnapshotFound | None:
        """The entries of the sources ``by_key`` that the snapshot stands for (by ``rel``),
        the keys listed as changed since, the snapshot's keys of no source now, and how many
        it holds; or None when there is none of this config, or it cannot be trusted (then
        every row is read, and this build makes it again).

        Part by part, and each part's keys, stamps and unused entries dropped as it comes:
        the whole snapshot at once would be a tenth more of a rebuild's memory.
        """
        if self.path is None:
            return None  # a private cache lives for one build: it would never be read
        recent = {key for (key,) in self.db.execute("SELECT key FROM recent")}
        cached: dict[str, Entry] = {}
        others: list[str] = []
        count = 0
        parts = self.db.execute("SELECT key, data, crc FROM snapshot ORDER BY part")
        for made_by, data, crc in parts:
            part = self._part(made_by, data, crc)
            if part is None:
                parts.close()  # the rest is not read
                # Not to be used, nor kept up to date: rows written from now on are not
                # listed, until a snapshot is made again (this build's, at its end).
                self.db.execute("DELETE FROM snapshot")
                self.db.execute("DELETE FROM recent")
                self.db.commit()
                return None
            count += len(part.keys)
            for key, stamp, article in zip(part.keys, part.stamps, part.articles, strict=True):
                source = by_key.get(key)
                if source is None:
                    others.append(key)
                elif stamp == source.stamp and key not in recent and article.path == source.rel:
                    cached[source.rel] = shared_values(article)
        return (cached, recent, others, count) if count else None

    def _part(self, made_by: object, data: object, crc: object) -> _Part | None:
        """A part of the snapshot, if it is of this config and sound."""
        if made_by != self._snapshot_key or not isinstance(data, bytes) or not _sound(data, crc):
            return None
        try:
            part = _PART_DECODER.decode(data)
        except DecodeError:
            return None
        if not len(part.keys) == len(part.stamps) == len(part.articles):
            return None
        return part

    def _save_snapshot(self) -> None:
        """Write the snapshot again from the light articles of this build, when its lookup
        found none of this config, or too many of its rows changed since."""
        light = self._light
        if self.path is None or self.dropped or self.rebuilt or not light:
            return
        try:
            self.db.execute("DELETE FROM snapshot")
            keys = list(light)
            for number, start in enumerate(range(0, len(keys), _PART_SIZE)):
                chunk = keys[start : start + _PART_SIZE]
                stamped = [light[key] for key in chunk]
                part = _Part(chunk, [s for s, _ in stamped], [a for _, a in stamped])
                data = _PART_ENCODER.encode(part)
                row = (number, self._snapshot_key, data, zlib.crc32(data))
                self.db.execute("INSERT INTO snapshot VALUES (?, ?, ?, ?)", row)
            # In the same transaction: from now on, only rows written later are listed.
            self.db.execute("DELETE FROM recent")
            self.db.commit()
        except sqlite3.Error:
            # Only time is lost: the next build reads every row, and writes it again.
            with contextlib.suppress(sqlite3.Error):
                self.db.rollback()

    def store(self, source: Source, packed: Packed) -> Entry:
        """Save a parsed entry (in batches: call ``flush`` at the end); returns its light form.

        The stamp saved is discovery's, taken before the source was read: a source that
        changed since then is parsed again next run.
        """
        meta, content, summary, complete = packed
        entry = unpack(packed)
        if self.dropped:
            return entry
        if self._light is not None:
            _keep_light(self._light, source, entry)
        key = entry_key(self._config, self._base, entry)
        checks = zlib.crc32(meta), _text_crc(content, summary, complete)
        row = (source.key, source.stamp, key, meta, content, summary, complete, *checks)
        self._batch.append(row)
        self._batch_size += len(meta) + len(content) + len(summary)
        if self._batch_size >= _BATCH_SIZE:
            self.flush()
        return entry

    def flush(self) -> None:
        batch, self._batch, self._batch_size = self._batch, [], 0
        if not batch or self.dropped:
            return
        query = "INSERT OR REPLACE INTO sources VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
        try:
            self.db.executemany(query, batch)
            self.db.commit()
        except sqlite3.Error as e:
            self._recover_or_raise("write", e)
            self._write_afresh(query, batch)

    def texts(self, sources: Iterable[Source]) -> dict[str, tuple[str, str]]:
        """(HTML, summary) of the articles of ``sources``, by path (``rel``).

        An article stored in its light form only is left out (``ContentLoader`` reads it).
        """
        self.flush()  # what this build parsed is asked for too
        rel_of = {source.key: source.rel for source in sources}
        wanted = sorted(rel_of)
        found: dict[str, tuple[str, str]] = {}
        try:
            for start in range(0, len(wanted), _QUERY_BATCH):
                chunk = wanted[start : start + _QUERY_BATCH]
                marks = ",".join("?" * len(chunk))
                where = f"complete AND key IN ({marks})"
                query = f"SELECT key, content, summary, text_crc FROM sources WHERE {where}"
                found.update(
                    (rel_of[key], (html, summary))
                    for key, html, summary, crc in self.db.execute(query, chunk)
                    if _sound_text(html, summary, crc)  # else read again from its file
                )
        except sqlite3.Error as e:
            self._recover_or_raise("read", e)
            return {}  # all read again from their files, and stored afresh
        return found

    def last_build(self) -> tuple[str, bytes] | None:
        """The key and the report ``save_build`` stored last (it keeps only the last)."""
        try:
            row = self.db.execute("SELECT key, report FROM builds LIMIT 1").fetchone()
        except sqlite3.Error:
            return None  # no shortcut then: the build reads the cache the long way
        key, stored = row if row else (None, None)
        if not isinstance(key, str) or not isinstance(stored, bytes):
            return None
        if not _sound(stored[4:], _crc_prefix(stored)):
            return None
        return key, stored[4:]

    def feed_index(self, key: str) -> bytes | None:
        """The feeds' index ``save_feed_index`` kept under ``key``, if it is there and sound."""
        try:
            row = self.db.execute("SELECT data, crc FROM feed_index WHERE key = ?", (key,))
            found = row.fetchone()
        except sqlite3.Error:
            return None  # the build goes the full way
        if found is None or not _sound(found[0], found[1]):
            return None
        data: bytes = found[0]
        return data

    def save_feed_index(self, key: str | None, data: bytes | None) -> None:
        """Keep ``data`` under ``key`` as the only feeds' index; None: keep none."""
        if self.dropped:
            return
        try:
            self.db.execute("DELETE FROM feed_index")
            if key is not None and data is not None:
                row = (key, data, zlib.crc32(data))
                self.db.execute("INSERT INTO feed_index VALUES (?, ?, ?)", row)
            self.db.commit()
        except sqlite3.Error:
            # Only time is lost: the next build goes the full way.
            with contextlib.suppress(sqlite3.Error):
                self.db.rollback()

    def lookup_rows(self, sources: Sequence[Source]) -> tuple[dict[str, Entry], list[Source]]:
        """``lookup`` of a few sources, from their rows alone (no snapshot, nothing deleted)."""
        try:
            cached = self._from_rows({s.key: s for s in sources}, scan=False)[0]
        except sqlite3.Error as e:
            self._recover_or_raise("read", e)
            cached = {}
        return cached, [s for s in sources if s.rel not in cached]

    def save_build(self, key: str, report: bytes) -> None:
        """Remember one build's report under a key of all its inputs (only the last one)."""
        if self.dropped:
            return
        stored = zlib.crc32(report).to_bytes(4, "big") + report  # checked as a row's light part
        try:
            self.db.execute("DELETE FROM builds")
            self.db.execute("INSERT INTO builds VALUES (?, ?)", (key, stored))
            self.db.commit()
        except sqlite3.Error as e:
            self._recover_or_raise("write", e)
            self._write_afresh("INSERT INTO builds VALUES (?, ?)", [(key, stored)])

    def _recover_or_raise(self, doing: str, error: sqlite3.Error) -> None:
        """Start afresh from an empty cache if ``error`` is damage, go on without one if
        the disk is full; else raise BuildError.

        Damage can show late (a page read for the first time, text that is not UTF-8):
        the build goes on without what the cache held, and reads those files again.
        """
        if _full(error):
            self._drop(error)
            return
        if not _damaged(error):
            raise BuildError(f"cannot {doing} the cache {self.path}: {_reason(error)}") from None
        self.db.close()
        self.db = _open(self.path, fresh=True)
        self.rebuilt = True

    def _drop(self, error: BaseException) -> None:
        """Go on with an empty cache that keeps nothing, and free the disk of this one: it
        only saves work, and a build that cannot save work can still publish."""
        with contextlib.suppress(Exception):
            self.db.close()
        if self.path is not None:
            with contextlib.suppress(OSError):
                _delete(self.path)
        self.db = _create(sqlite3.connect(":memory:"))
        self._batch, self._batch_size = [], 0
        self.dropped = f"cannot write the cache: {_reason(error)}"

    def _write_afresh(self, query: str, rows: Sequence[tuple[object, ...]]) -> None:
        if self.dropped:
            return
        try:
            self.db.executemany(query, rows)
            self.db.commit()
        except sqlite3.Error as e:  # a new cache that cannot be written: the disk, not damage
            if _full(e):
                self._drop(e)
                return
            raise BuildError(f"cannot write the cache {self.path}: {_reason(e)}") from None


def _keep_light(light: dict[str, tuple[str, Article]], source: Source, entry: Entry) -> None:
    """Remember ``entry`` as the row of ``source`` now holds it, for the next snapshot."""
    if isinstance(entry, Article):
        light[source.key] = (source.stamp, entry)
    else:
        light.pop(source.key, None)


def _open(path: Path | None, *, fresh: bool = False) -> sqlite3.Connection:
    if path is None:
        return _create(sqlite3.connect(""))  # "": a temporary file, so the HTML is not in RAM
    if not fresh:
        db = sqlite3.connect(path)
        try:
            if _is_ours(db):
                return db
        except sqlite3.DatabaseError as e:
            if not _damaged(e):
                db.close()
                raise  # busy, unreadable: not a reason to delete it
        db.close()
    # Not ours, damaged, or another version: start again rather than trust any of it.
    _delete(path)
    return _create(sqlite3.connect(path))


def _is_ours(db: sqlite3.Connection) -> bool:
    """Ours, this schema version, and its tables as this version makes them; one made
    before the feeds' index table is given it.

    Damage found later (a truncated file, say) is handled where rows are read.
    """
    (app_id,) = db.execute("PRAGMA application_id").fetchone()
    (version,) = db.execute("PRAGMA user_version").fetchone()
    if (app_id, version) != (_APP_ID, SCHEMA_VERSION):
        return False
    tables = _tables(db)
    if tables == _expected_tables():
        return True
    if tables != _expected_tables(with_feed_index=False):
        return False
    db.executescript(_FEED_INDEX)  # a cache of before the feeds' index: everything else kept
    db.commit()
    return True


def _tables(db: sqlite3.Connection) -> list[tuple[str, str, str | None]]:
    query = "SELECT type, name, sql FROM sqlite_master ORDER BY type, name"
    return db.execute(query).fetchall()


@functools.cache
def _expected_tables(*, with_feed_index: bool = True) -> list[tuple[str, str, str | None]]:
    with contextlib.closing(_create(sqlite3.connect(":memory:"), with_feed_index)) as db:
        return _tables(db)


def _create(db: sqlite3.Connection, with_feed_index: bool = True) -> sqlite3.Connection:
    # A row holds an article's HTML, often 5-10 kB: with the default 4 kB pages each one
    # spills into a chain of overflow pages, which 16 kB pages avoid.
    db.execute("PRAGMA page_size = 16384")  # only before the first table is made
    # The id first, in the header: a build killed before the tables are made leaves a file
    # still known as ours, rebuilt next run, not refused as someone else's.
    db.execute(f"PRAGMA application_id = {_APP_ID}")
    db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
    db.commit()
    db.executescript(_SCHEMA + (_FEED_INDEX if with_feed_index else ""))
    db.commit()
    return db


def _refuse_foreign(path: Path) -> None:
    """Raise BuildError if ``path`` holds a file this tool did not make.

    ``cache.path`` set by mistake to a config file, notes, another program's database or a
    device must not be deleted to make room for a cache. Ours is a regular file with the
    application id in its SQLite header; an empty file, or a SQLite file cut short before
    the id, holds nothing to lose. A cache of ours whose first bytes are damaged is refused
    too: they cannot tell it from someone else's file.
    """
    try:
        if not stat.S_ISREG(path.stat().st_mode):  # /dev/null, a FIFO: never opened
            raise BuildError(f"cannot use the cache {path}: it is not a regular file")
        with path.open("rb") as f:
            header = f.read(_APP_ID_OFFSET + 4)
    except FileNotFoundError:
        return
    if not header or (header.startswith(_SQLITE_HEADER) and _app_id_in(header) in (None, _APP_ID)):
        return
    raise BuildError(
        f"cannot use the cache {path}: it is a file this tool did not make, and it is left "
        "as it is (set cache.path to another file, or delete this one)"
    )


def _app_id_in(header: bytes) -> int | None:
    if len(header) < _APP_ID_OFFSET + 4:
        return None  # cut short before it
    return int.from_bytes(header[_APP_ID_OFFSET : _APP_ID_OFFSET + 4], "big")


# Checksums: SQLite notices a damaged page structure, not a changed byte inside a value.
# A disk that flips one bit in a cached title would otherwise publish it for ever.
def _sound(meta: object, crc: object) -> bool:
    return isinstance(meta, bytes) and zlib.crc32(meta) == crc


def _sound_text(html: object, summary: object, crc: object) -> bool:
    """Whether a complete row's HTML and summary are the ones stored (damaged: maybe bytes).

    The checksum covers the row's ``complete`` flag too: a light row flipped to complete
    would otherwise publish its empty HTML.
    """
    if not (isinstance(html, str) and isinstance(summary, str)):
        return False
    return _text_crc(html, summary, True) == crc


def _text_crc(html: str, summary: str, complete: bool) -> int:
    crc = zlib.crc32(html.encode("utf-8", "surrogatepass"), 1 if complete else 2)
    return zlib.crc32(summary.encode("utf-8", "surrogatepass"), crc)


def _crc_prefix(stored: bytes) -> int:
    return int.from_bytes(stored[:4], "big")


def _decode(meta: bytes, rel: str) -> Entry | None:
    """The cached entry, or None if the row cannot be trusted to be this file's."""
    try:
        entry = decode_entry(meta)
    except DecodeError:
        return None
    if entry.path == rel:
        return entry
    return None  # another layout of the sources gave the file another relative path


def _full(error: BaseException) -> bool:
    """Whether ``error`` says the disk (or the user's quota) is full."""
    if isinstance(error, OSError):
        return error.errno in (errno.ENOSPC, errno.EDQUOT)
    code = getattr(error, "sqlite_errorcode", None)
    return code is not None and (code & 0xFF) == sqlite3.SQLITE_FULL


def _reason(error: BaseException) -> str:
    if isinstance(error, OSError) and error.strerror:
        return error.strerror
    return str(error).splitlines()[0] if str(error) else type(error).__name__


def _damaged(error: sqlite3.Error) -> bool:
    code = getattr(error, "sqlite_errorcode", None)
    if code is None:
        # Raised by Python, not SQLite: a text column that is not UTF-8 (SQLite checks no
        # encoding; this tool writes only str). Nothing but damage puts such bytes there.
        return isinstance(error, sqlite3.OperationalError)
    return (code & 0xFF) in _DAMAGED


def _delete(path: Path) -> None:
    for suffix in _OWN_SUFFIXES[:-1]:  # not the lock: it is held
        with contextlib.suppress(FileNotFoundError):
            _sibling(path, suffix).unlink()


def _sibling(path: Path, suffix: str) -> Path:
    return path.with_name(path.name + suffix)


def _same_file(a: str | Path, b: str | Path) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False
