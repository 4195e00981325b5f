"""What a reader read, made into one clean ``Article``: categories, title, date, clean, identity.

Everything that can go wrong with a single article raises ``ArticleError`` (the article is
skipped) or becomes a note on the article (it was repaired and kept).
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import PurePosixPath

from feeds.clean.body import CleanedBody, clean_body
from feeds.clean.html import ANY_TAG
from feeds.clean.text import collapse_spaces, plain_text, repair_entities, summarize
from feeds.clean.thumbnail import real_images, usable_images
from feeds.clean.urls import normalize_url
from feeds.config import LETTER_OR_DIGIT, CategoriesConfig, Config
from feeds.errors import ArticleError
from feeds.group.identity import make_dedupe_key, make_guid, story_fingerprint
from feeds.models import Article, Problem, RawArticle
from feeds.read.dates import parse_date

NoteFn = Callable[[str, str], None]  # (stage, reason): record a repair
MAX_TITLE = 140
MAX_CATEGORY = 100  # characters in one category name
MAX_CATEGORIES = 20  # per article: the archive lists 2 or 3; each one is a feed
_SENTENCE_END = re.compile(r"[。！？!?\n]|\.(?:\s|$)")
_HEADING = re.compile(r"<(h[1-6])\b[^>]*>(?P<text>.*?)</\1>", re.DOTALL)
_H1 = re.compile(r"<h1\b[^>]*>(?P<text>.*?)</h1>", re.DOTALL)
# Invisible format characters (zero-width space, soft hyphen, bidi overrides, BOM): two
# category names that differ only by them look alike and would still be two feeds. ZWJ and
# ZWNJ stay: emoji sequences and some scripts need them.
_INVISIBLE = re.compile(r"[\u00ad\u061c\u180e\u200b\u200e\u200f\u202a-\u202e\u2060-\u206f\ufeff]")


def make_article(raw: RawArticle, config: Config, *, content: bool = True) -> Article:
    """The clean article of what a reader read; without ``content``, its light form
    (``Article.light``): all that choosing feed items takes, so a large build reads every
    source that way and cleans in full only the articles its feeds show.
    """
    rel = raw.source.rel
    notes = list(raw.notes)

    def note(stage: str, reason: str) -> None:
        notes.append(Problem(rel, stage, reason, skipped=False))

    front = raw.front
    categories = resolve_categories(front.categories, config.categories, note)
    written = written_categories(front.categories)
    source = config.source_of(raw.source.key)
    link = _link(front.link, source.base_url if source else None, note)
    # A title taken from the body needs its clean HTML (its headings).
    content = content or not has_words(plain_text(front.title or ""))
    cleaned = clean_body(
        raw.body, config.clean, categories=categories, base_url=link, content=content
    )
    if cleaned.cut_from:
        limit = config.clean.max_content
        note("clean", f"body of {cleaned.cut_from:,} characters cut (clean.max_content: {limit:,})")
    title = pick_title(repair_entities(front.title or "") or front.title, cleaned, rel, note)
    date, fell_back = dated(front.date, raw, config, note)
    author = plain_text(front.author or "")
    # The story's origin: the archive's author field (its source site), else its categories.
    origin = author or "/".join(front.categories)
    return Article(
        path=rel,
        guid=make_guid(link, origin, title, cleaned.text),
        title=title,
        categories=categories,
        author=author,
        date=date,
        link=link,
        content_html=cleaned.html,
        # plain_text also drops tag-like text (a literal "<script>" written as &lt;script&gt;),
        # which a reader that wrongly shows summaries as HTML would otherwise run.
        summary=summarize(plain_text(cleaned.text), config.clean.summary_length)
        if content or cleaned.html  # cleaned in full all the same (read.batch.parse_one)
        else "",
        image_candidates=usable_images((*front.images, *cleaned.images), config.thumbnail),
        junk_images=real_images(cleaned.junk_images, config.thumbnail),
        dedupe_key=make_dedupe_key(link, title, cleaned.text, cleaned.images, rel),
        title_key=story_fingerprint(title),
        notes=tuple(notes),
        written_categories=None if written == categories else written,
        category_paths=resolve_paths(front.category_paths, categories, config.categories),
        tags=tag_names(front.tags),
        date_is_guess=fell_back and not raw.fallback_stable,
    )


def keep_first_seen(
    articles: Sequence[Article], first_seen: Mapping[str, int]
) -> tuple[list[Article], dict[str, int]]:
    """Each article dated by a guess (a file's modification time, which a clone changes)
    dated as it was first seen instead, and the first-seen dates of every such article.

    ``first_seen`` holds what earlier builds recorded (path -> POSIX seconds); an article
    not in it is seen first now, with its guess. Kept in the output's manifest, this date
    survives the cache's loss and is the same on every later run and clone.
    """
    dated: list[Article] = []
    seen: dict[str, int] = {}
    for article in articles:
        if article.date_is_guess:
            when = first_seen.get(article.path)
            if when is None:
                when = int(article.date.timestamp())
            elif when != int(article.date.timestamp()):
                article = article.replaced(date=datetime.fromtimestamp(when, UTC))
            seen[article.path] = when
        dated.append(article)
    return dated, seen


def _link(raw: str | None, base: str | None, note: NoteFn) -> str | None:
    """The original article's URL, absolute and percent-encoded (a fragment such as
    ``#Free Mobile-2024-10-25`` keeps its words); a relative one is resolved against the
    source's ``base_url``, else dropped with a note. One that is not a web address goes."""
    link = normalize_url(raw, base)
    if raw and link is None and _is_relative(raw):
        note("link", f"{_quote(raw)} is relative, and its source names no base_url; no link")
    return link


def _is_relative(url: str) -> bool:
    return bool(url.strip()) and not re.match(r"\s*(?:[a-zA-Z][a-zA-Z0-9+.-]*:|//)", url)


def _ignore(stage: str, reason: str) -> None:
    """A NoteFn for callers that do not collect notes."""


def has_words(text: str) -> bool:
    """Whether ``text`` holds a letter or a digit (any script) or a pictograph such as 🎉.

    ``' '``, ``'-'``, ``'!'`` and ``'..'`` do not: they cannot name an article or a feed.
    """
    return bool(LETTER_OR_DIGIT.search(text)) or any(unicodedata.category(c) == "So" for c in text)


# Categories.


def resolve_categories(
    names: Sequence[str], config: CategoriesConfig, note: NoteFn = _ignore
) -> tuple[str, ...]:
    """Clean the names, apply renames and merges; no usable name gives the default one.

    Every name becomes a feed (a file, a title in a reader), so a name that is no name is
    dropped and a very long one shortened, with a note each time.
    """
    resolved: list[str] = []
    for raw in names:
        name = category_name(raw, note)
        if name:
            name = category_name(config.aliases.get(name, name), note)
        if name:
            resolved.append(name)
    unique = tuple(dict.fromkeys(resolved))
    if len(unique) > MAX_CATEGORIES:
        note("categories", f"{len(unique)} categories; kept the first {MAX_CATEGORIES}")
        unique = unique[:MAX_CATEGORIES]
    if unique:
        return unique
    default = category_name(config.default) or "default"
    why = "no usable category" if names else "no categories"
    note("categories", f"{why}; filed under {default}")
    return (default,)


def resolve_paths(
    paths: Sequence[Sequence[str]], categories: tuple[str, ...], config: CategoriesConfig
) -> tuple[tuple[str, ...], ...]:
    """The front matter's category paths named as ``categories`` names them (aliases, no
    duplicates, only the names kept); () when they are one path, ``categories`` in order."""
    kept = set(categories)
    resolved: list[tuple[str, ...]] = []
    for path in paths:
        names = (category_name(config.aliases.get(name, name)) for raw in path
                 if (name := category_name(raw)))  # fmt: skip
        if named := tuple(dict.fromkeys(name for name in names if name in kept)):
            resolved.append(named)
    unique = tuple(dict.fromkeys(resolved))
    return () if len(unique) <= 1 and unique in ((), (categories,)) else unique


def tag_names(tags: Sequence[str]) -> tuple[str, ...]:
    """The tags as feed names (like categories: no markup, no invisible characters), the
    first ``MAX_CATEGORIES``; a tag that is no name is left out."""
    return written_categories(tags)[:MAX_CATEGORIES]


def written_categories(names: Sequence[str]) -> tuple[str, ...]:
    """The usable names as written, before aliases and the default (no notes: see above)."""
    return tuple(dict.fromkeys(name for raw in names if (name := _category_name(raw)[0])))


def category_name(raw: str, note: NoteFn = _ignore) -> str:
    """The feed name for a category as written; "" (with a note) when it is not a name.

    Markup and entities go, and invisible characters: ``金融`` and ``金融`` + a zero-width
    space must be one feed, not two that look the same.
    """
    name, problem = _category_name(raw)
    if problem:
        note("categories", problem)
    return name


# An archive has a few hundred category names over 100k articles, each read twice (as
# written, then after aliases): each is worked out once per process.
@functools.lru_cache(maxsize=4096)
def _category_name(raw: str) -> tuple[str, str | None]:
    """The name, and what to note about it (None: nothing)."""
    name = collapse_spaces(_INVISIBLE.sub("", plain_text(raw)))
    name = unicodedata.normalize("NFC", name)
    if not has_words(name):
        return "", f"category {_quote(raw)} is not a name; ignored"
    if len(name) > MAX_CATEGORY:
        shortened = f"category of {len(name)} characters shortened to {MAX_CATEGORY}"
        return _shorten(name, MAX_CATEGORY), shortened
    return name, None


# Titles.


def pick_title(raw: str | None, body: CleanedBody, rel: str, note: NoteFn = _ignore) -> str:
    """The front matter's title; when it has no words, one taken from the body or file name.

    Real titles can be ``' '``, ``'-'`` or ``'!'``; the body's opening heading or first
    sentence says more, then the file name. With nothing better, the title as written stays.
    """
    title = plain_text(raw or "")
    if has_words(title):
        if len(title) > MAX_TITLE:
            note("title", f"title of {len(title)} characters shortened to {MAX_TITLE}")
        return _shorten(title, MAX_TITLE)
    found = (heading_title(body.html), first_sentence(body.text), file_title(rel))
    derived = next((t for t in found if has_words(t)), "") or title or "Untitled"
    shown = "no title" if raw is None else f"{_quote(raw)} is not a usable title"
    note("title", f"{shown}; used {_quote(derived)}")
    return _shorten(derived, MAX_TITLE)


def heading_title(html: str) -> str:
    """The text of the heading that opens the body, else of its first ``<h1>``.

    A later ``<h2>``-``<h6>`` is a section ("相关阅读"), not the article's title.
    """
    opening = _HEADING.search(html)
    if opening and ANY_TAG.sub("", html[: opening.start()]).strip():
        opening = None  # text comes before it: a section heading
    for match in (opening, _H1.search(html)):
        text = plain_text(match.group("text")) if match else ""
        if has_words(text):
            return text
    return ""


def first_sentence(text: str) -> str:
    text = text.strip()
    match = _SENTENCE_END.search(text)
    return plain_text(text[: match.start() + 1] if match else text)[: MAX_TITLE + 1]


def file_title(rel: str) -> str:
    """The file name without its extension (the archive names files after their titles)."""
    name = PurePosixPath(rel).name
    stem = name.rsplit(".", 1)[0] if "." in name else name
    return plain_text(stem)


def _shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _quote(text: str, limit: int = 40) -> str:
    """``text`` for a message: quoted, and cut when long."""
    return repr(_shorten(text, limit))


# Dates.


def dated(
    raw: str | None, source: RawArticle, config: Config, note: NoteFn = _ignore
) -> tuple[datetime, bool]:
    """The front matter's date, in UTC, and whether it is the reader's fallback instead
    (a date in the file's name, else its modification time): there was none, or it was
    no date.

    A date further ahead than ``read.future_days`` would stay at the top of every feed it
    is in: as ``read.future_dates`` says, it is kept with a note, replaced by the fallback,
    or the article skipped.
    """
    date = parse_date(raw, config.tz, note)
    fell_back = date is None
    if date is None:
        shown = f"{_quote(raw)} is not a date" if raw else "no date"
        if config.read.missing_date == "skip":
            raise ArticleError("date", shown)
        date = _fallback_date(source, config, shown)
        note("date", f"{shown}; used {source.fallback_name}")
    ahead = date - datetime.now(UTC)
    if ahead > timedelta(days=config.read.future_days):
        shown = f"{date.isoformat()} is {ahead.days} days in the future"
        if config.read.future_dates == "skip":
            raise ArticleError("date", shown)
        if config.read.future_dates == "mtime":
            date, fell_back = _fallback_date(source, config, shown), True
            shown += f"; used {source.fallback_name}"
        note("date", shown)
    # In UTC: every stage sorts by the instant or shows it in UTC, and the cache keeps it as
    # an instant (codec), which a zone such as Asia/Shanghai would not survive: the article
    # read back would differ from the one read here.
    return date.astimezone(UTC), fell_back


def _fallback_date(source: RawArticle, config: Config, shown: str) -> datetime:
    """The reader's fallback date: a file's modification time, say."""
    if source.fallback_time is None:
        raise ArticleError("date", f"{shown}, and no {source.fallback_name} either")
    try:
        return datetime.fromtimestamp(source.fallback_time, config.tz)
    except (OverflowError, ValueError, OSError):  # an mtime years past 9999 or before 1
        raise ArticleError("date", f"{shown}, and {source.fallback_name} is out of range") from None
