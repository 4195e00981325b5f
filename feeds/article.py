"""One file in, one clean ``Article`` out: read, front matter, date, clean, identity.

Everything that can go wrong with a single file raises ``ArticleError`` (the article is
skipped) or becomes a note on the article (it was repaired and kept).
"""

from __future__ import annotations

import hashlib
import re
import uuid
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta, timezone
from pathlib import PurePosixPath

from feeds.clean import CleanedBody, clean_body
from feeds.config import CategoriesConfig, Config
from feeds.dates import parse_date
from feeds.errors import ArticleError
from feeds.frontmatter import read_front_matter
from feeds.models import Article, FrontMatter, Problem, SourceFile
from feeds.text import plain_text, summarize
from feeds.textio import read_article_text
from feeds.urls import normalize_url

NoteFn = Callable[[str, str], None]  # (stage, reason): record a repair
MAX_TITLE = 140
_GUID_NAMESPACE = uuid.UUID(
    "5f6c1c1e-8d36-4d55-9a4b-3f1b7c7f2a10"
)  # fixed forever: ids depend on it
_WORDLESS = re.compile(r"^[\W_]*$")  # no letter or digit in any script
_SENTENCE_END = re.compile(r"[。！？!?\n]|\.(?:\s|$)")
_SPACES = re.compile(r"\s+")


def read_article(file: SourceFile, config: Config) -> Article:
    notes: list[Problem] = []

    def note(stage: str, reason: str) -> None:
        notes.append(Problem(file.rel, stage, reason, skipped=False))

    text, decoded = read_article_text(file.path, config.read.max_bytes)
    if decoded:
        note("read", decoded)
    front, body, warnings = read_front_matter(
        text, config.thumbnail.fields, config.read.link_fields
    )
    for warning in warnings:
        note("frontmatter", warning)
    categories = resolve_categories(front.categories, config.categories)
    if not front.categories:
        note("categories", f"no categories; filed under {categories[0]}")
    link = normalize_url(front.link)
    cleaned = clean_body(body, config.clean, categories=categories, base_url=link)
    title = pick_title(front.title, cleaned, file.rel, note)
    author = plain_text(front.author or "")
    return Article(
        path=file.rel,
        guid=make_guid(front, link, author, title, cleaned.text),
        title=title,
        categories=categories,
        author=author,
        date=pick_date(front.date, file, config, note),
        link=link,
        content_html=cleaned.html,
        summary=summarize(cleaned.text, config.clean.summary_length),
        image_candidates=tuple(dict.fromkeys((*front.images, *cleaned.images))),
        junk_images=cleaned.junk_images,
        dedupe_key=make_dedupe_key(link, title, cleaned.text),
        notes=tuple(notes),
    )


def resolve_categories(names: Sequence[str], config: CategoriesConfig) -> tuple[str, ...]:
    """Apply renames and merges; an article with no category gets the default one."""
    resolved = []
    for name in names:
        clean = plain_text(name)
        clean = plain_text(config.aliases.get(clean, clean))
        if clean:
            resolved.append(clean)
    return tuple(dict.fromkeys(resolved)) or (plain_text(config.default) or "default",)


def pick_title(raw: str | None, body: CleanedBody, rel: str, note: NoteFn) -> str:
    title = plain_text(raw or "")
    if title and not _WORDLESS.match(title):
        return _shorten(title)
    derived = first_sentence(body.text) or plain_text(PurePosixPath(rel).stem) or "Untitled"
    shown = repr(raw) if raw is not None else "no title"
    note("title", f"{shown} is not a usable title; used {derived[:40]!r}")
    return _shorten(derived)


def first_sentence(text: str) -> str:
    text = text.strip()
    match = _SENTENCE_END.search(text)
    return plain_text(text[: match.start() + 1] if match else text)[:MAX_TITLE]


def _shorten(title: str) -> str:
    return title if len(title) <= MAX_TITLE else title[: MAX_TITLE - 1].rstrip() + "…"


def pick_date(raw: str | None, file: SourceFile, config: Config, note: NoteFn) -> datetime:
    date = parse_date(raw, config.tz)
    if date is None:
        shown = repr(raw) if raw else "no date"
        if config.read.missing_date == "skip":
            raise ArticleError("date", f"{shown} is not a date")
        date = datetime.fromtimestamp(file.mtime_ns / 1e9, config.tz).replace(microsecond=0)
        note("date", f"{shown} is not a date; used the file's modification time")
    if date - datetime.now(timezone.utc) > timedelta(days=config.read.future_days):
        note("date", f"{date.isoformat()} is in the future")
    return date


def make_guid(front: FrontMatter, link: str | None, author: str, title: str, text: str) -> str:
    """An id that survives re-scrapes, moves and re-dating: no path, no date, no junk.

    The source link identifies a story best. Without one, the story is its source (the
    archive's author field, else its categories), its title and the start of its text:
    titles alone repeat (every anime has a "第1集").
    """
    if link:
        key = link
    else:
        source = author or "/".join(front.categories)
        key = f"{source}\n{title}\n{_fingerprint(text, 64)}"
    return f"urn:uuid:{uuid.uuid5(_GUID_NAMESPACE, key)}"


def make_dedupe_key(link: str | None, title: str, text: str) -> str:
    """Same key = same story, whichever source or re-scrape it came from."""
    if link:
        return "link:" + link
    digest = hashlib.sha1(f"{_fingerprint(title, 200)}\n{_fingerprint(text, 200)}".encode())
    return "text:" + digest.hexdigest()


def _fingerprint(text: str, length: int) -> str:
    return _SPACES.sub("", text).casefold()[:length]
