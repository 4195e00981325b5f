"""Every "has it changed?" key: of a parsed source, of a whole build."""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Sequence
from typing import Any

import msgspec

from feeds import __version__
from feeds.codec import Entry
from feeds.config import Config
from feeds.models import Article, Problem, Source
from feeds.report import BuildOptions
from feeds.state.manifest import Manifest

SCHEMA_VERSION = 19  # of the cache: a cache of another version is started afresh
# Raised whenever a reader reads some file otherwise than it did (a repair, a quirk newly
# understood): every cached entry is read again, and no build or index of before is taken
# as this one's, as with a new version.
READER_REVISION = 1


def parse_key(config: Config) -> str:
    """A hash of everything that changes what any file turns into.

    Per-category cleaning rules, category aliases and the default category are left out:
    they are keyed per article (``entry_key``), so editing the rules of one source or
    renaming one category re-parses the articles they touch only.
    """
    shaping = {
        "reading": reading(),
        "schema": SCHEMA_VERSION,
        "timezone": config.site.timezone,
        "read": dataclasses.asdict(dataclasses.replace(config.read, patterns=[], light_from=0)),
        "clean": dataclasses.asdict(dataclasses.replace(config.clean, rules=[])),
        "images": [config.thumbnail.fields, config.thumbnail.placeholders, config.thumbnail.unwrap],
        # What a relative link is made absolute against: it changes the link, and the id.
        "bases": [source.base_url for source in config.sources],
    }
    return _digest(shaping, 16)


def rules_key(config: Config, categories: Sequence[str]) -> str:
    """A hash of the per-category cleaning rules that apply to an article in ``categories``."""
    if not config.clean.rules:  # the usual case, asked once per cached file
        return ""
    names = set(categories)
    rules = [dataclasses.asdict(r) for r in config.clean.rules if names & set(r.categories)]
    return _digest(rules, 12) if rules else ""


def naming_key(config: Config, written: Sequence[str]) -> str:
    """A hash of the aliases that apply to the category names ``written`` in an article,
    or of the default category when it has none: what named its categories.

    An alias always gives a name (the config says so), so only an article that names no
    category at all is filed under the default.
    """
    if not written:
        return _digest(config.categories.default, 12)
    aliases = config.categories.aliases
    if not aliases:  # the usual case: asked once per file a build parses
        return ""
    used = {name: aliases[name] for name in written if name in aliases}
    return _digest(used, 12) if used else ""  # "": the usual case, asked once per file


def snapshot_key(config: Config, base: str) -> str:
    """A hash of everything ``entry_key`` depends on but the entry: while it is unchanged,
    an entry valid under the config of an earlier build is valid under this one."""
    rules = [dataclasses.asdict(rule) for rule in config.clean.rules]
    naming = (rules, config.categories.aliases, config.categories.default)
    return f"{base}:{_digest(naming, 16)}"


def entry_key(config: Config, base: str, entry: Entry) -> str:
    if not isinstance(entry, Article):
        return f"{base}::"
    written = entry.categories if entry.written_categories is None else entry.written_categories
    return f"{base}:{rules_key(config, entry.categories)}:{naming_key(config, written)}"


def _digest(value: object, length: int) -> str:
    text = json.dumps(value, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:length]


def reading() -> tuple[str, int, list[tuple[str, str]]]:
    """What reads a file into an entry, as keys hold it: the version, the readers' revision,
    and the shape of the entries (an entry of a class whose fields changed can decode with
    defaults, and mean another thing)."""
    return __version__, READER_REVISION, model_shape()


def model_shape() -> list[tuple[str, str]]:
    """The fields of the cached classes: an entry of a class whose fields changed can decode
    with defaults, and mean another thing."""
    return [(f.name, str(f.type)) for c in (Article, Problem) for f in dataclasses.fields(c)]


def without_run_settings(config: Config) -> Config:
    """``config`` less how a build runs (how many processes, whether to read light first),
    which shapes no output: a manual run with -j 1 between two cron runs must not cost the
    next one its shortcut."""
    return dataclasses.replace(config, jobs=0, read=dataclasses.replace(config.read, light_from=0))


def build_key(config: Config, sources: str, options: BuildOptions, outputs: str) -> str:
    """A hash of every input of a build: ``sources`` is ``sources_digest`` of its sources,
    ``outputs`` the ``manifest_digest`` of the last build's manifest."""
    # Waiting for a lock or forcing past another owner shape no output either.
    options = dataclasses.replace(options, wait=False, force=False)
    templates = templates_key(config)
    inputs = repr((reading(), without_run_settings(config), options, outputs, sources, templates))
    return hashlib.sha256(inputs.encode()).hexdigest()


def manifest_digest(manifest: Manifest, piece: int = 2000) -> str:
    """A hash of the outputs the manifest lists, the slugs and the fingerprints, sorted,
    made ``piece`` entries at a time: for a site of 100,000 pages, their sorted copies and
    the text of them all made whole were the top of the build's memory at its end. Each
    piece is hashed as msgpack, self-delimiting and made in C (a build with pages makes
    two digests of 100,000 entries); an entry msgpack cannot take (a name holding a lone
    surrogate), as its repr, marked and counted."""
    digest = hashlib.sha256()
    for entries in (manifest.files, manifest.slugs, manifest.fingerprints):
        keys = sorted(entries)
        digest.update(f"{len(keys)}:".encode())
        for start in range(0, len(keys), piece):
            chunk = keys[start : start + piece]
            shown = [(key, entries[key]) for key in chunk] if isinstance(entries, dict) else chunk
            digest.update(_piece_bytes(shown))
    return digest.hexdigest()


def _piece_bytes(shown: list[Any]) -> bytes:
    """The entries' msgpack, one after the other: the piece's own array header is left
    out, so the pieces do not count."""
    try:
        return _PIECE_ENCODER.encode(shown)[_array_header_size(len(shown)) :]
    except UnicodeEncodeError:
        return b"".join(map(_entry_bytes, shown))


def _entry_bytes(entry: Any) -> bytes:
    try:
        return _PIECE_ENCODER.encode(entry)
    except UnicodeEncodeError:
        text = repr(entry).encode("utf-8", "backslashreplace")
        return b"\xc1" + f"{len(text)}:".encode() + text  # 0xc1: no msgpack starts so


def _array_header_size(length: int) -> int:
    """The bytes msgpack's header of an array of ``length`` takes (fixarray, array 16, 32)."""
    return 1 if length < 16 else 3 if length < 2**16 else 5


_PIECE_ENCODER = msgspec.msgpack.Encoder()


def templates_key(config: Config) -> str:
    """A hash of the pages' templates: what a change to a template file changes is in no
    config. "" without pages."""
    if not config.pages.enabled:
        return ""
    # Imported here: a build without pages needs none of the pages' modules.
    from feeds.publish.pages.paths import templates_digest

    return templates_digest(config.pages.templates)


def sources_digest(sources: Sequence[Source]) -> str:
    """A hash of every source's name and stamp; hashed once per run, in one piece."""
    lines = "".join([f"{s.rel}\0{s.stamp}\n" for s in sources])
    return hashlib.sha256(lines.encode()).hexdigest()
