"""``feeds archive``: the entries of the config's feed sources written out as article files.

The archive this tool was built for is made by a script that fetches RSSHub routes and
writes each item as a Hexo file; this does the same, in the archive's own shape (a blank
line, front matter with a quoted title, the categories indented one space, author,
comments, an RFC 1123 date, thumbnail and headimg; the body in a ``div``), plus the entry's
link. One file per entry, under its category path, named after its title and a hash of its
feed and id: the same entry always gets the same name, and a file is written only when
what it says changed. Bodies are kept as the feed gave them: cleaning is the build's.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime
from pathlib import Path
from typing import Any

from feeds.clean.text import plain_text
from feeds.config import Config
from feeds.errors import ArticleError, BuildError
from feeds.models import Problem, Source

# What the archive's script replaces in a title to make a file name (and path separators)
_UNSAFE = re.compile(r"[:/\\?*“”\"<>|\[\]\x00-\x1f\x7f]")
_DROPPED = re.compile(r"[.#]")
MAX_NAME = 80  # characters of the title in a file name


@dataclass(slots=True)
class Archived:
    written: list[str] = field(default_factory=list)  # paths relative to the folder
    unchanged: int = 0
    problems: list[Problem] = field(default_factory=list)
    left_out: int = 0  # entries not written (an empty one): each is one of ``problems``


def archive(config: Config, into: Path) -> Archived:
    """Write every entry of the feed sources under ``into``; raises BuildError if the
    folder cannot be written."""
    from feeds.read.entries import discover_entries
    from feeds.read.readers import FORGETFUL
    from feeds.run.files import write_if_changed

    sources, problems = discover_entries(config, FORGETFUL)
    done = Archived(problems=list(problems))
    for source in sources:
        try:
            rel, text = article_file(source)
        except ArticleError as e:  # as a build skips it: reported, and the others written
            done.problems.append(Problem(source.rel, e.stage, e.reason))
            done.left_out += 1
            continue
        path = into / rel
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            changed = write_if_changed(path, text.encode("utf-8"))
        except OSError as e:
            raise BuildError(f"cannot write {path}: {e.strerror or e}") from None
        if changed:
            done.written.append(rel)
        else:
            done.unchanged += 1
    return done


def article_file(source: Source) -> tuple[str, str]:
    """The relative path and the text of an entry's article file; raises ArticleError for
    an entry that says nothing (no title, content or link)."""
    from feeds.read.entries import refuse_empty_entry

    front: dict[str, Any] = json.loads(source.data)
    refuse_empty_entry(front)
    folders = [_name(c) or "_" for c in front["categories"]]
    digest = hashlib.sha256(source.key.encode("utf-8", "surrogatepass")).hexdigest()[:8]
    title = _name(plain_text(front["title"] or ""))[:MAX_NAME].strip()
    rel = "/".join([*folders, f"{title}-{digest}.md" if title else f"{digest}.md"])
    lines = ["", "---", f"title: {_quoted(front['title'] or '')}", "categories: "]
    lines += [f" - {_quoted(c)}" for c in front["categories"]]
    lines += [f"author: {_quoted(front['author'] or '')}", "comments: false"]
    lines.append(f"date: {_date(front['date'], front['seen'])}")
    if front["link"]:
        lines.append(f"link: {_quoted(front['link'])}")
    if front["images"]:
        image = _quoted(front["images"][0])
        lines += [f"thumbnail: {image}", f"headimg: {image}"]
    lines += ["---", "", "<div>   ", front["body"], "</div>            "]
    return rel, "\n".join(lines)


def _name(text: str) -> str:
    """A title or category as the archive's script makes a file or folder name of it."""
    name = _DROPPED.sub("", _UNSAFE.sub("_", " ".join(text.split())))
    return name.strip()


def _quoted(text: str) -> str:
    """A YAML single-quoted scalar on one line."""
    one_line = " ".join(text.split())
    return "'" + one_line.replace("'", "''") + "'"


def _date(iso: str | None, seen: int | None) -> str:
    """RFC 1123 in GMT, as the archive writes dates; the first fetch's time when undated."""
    date: datetime | None = None
    if iso:
        try:
            date = datetime.fromisoformat(iso)
        except ValueError:
            return _quoted(iso)  # another shape: the build's date reader reads it
    if date is None:
        date = datetime.fromtimestamp(seen or 0, UTC)
    if date.tzinfo is None:
        return _quoted(iso or "")
    return format_datetime(date.astimezone(UTC), usegmt=True)
