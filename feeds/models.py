"""The typed values that flow through the pipeline."""

from __future__ import annotations

import operator
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from feeds.records import record

Progress = Callable[[int, int], None]  # (done, total): reports reading progress


@record
class Source:
    """One thing to read, found by a reader's discovery: a file, later a feed.

    Nothing past the reader knows which kind it is: the cache keys a source by ``key`` and
    trusts what it made of it while ``stamp`` is unchanged.
    """

    kind: str  # the reader that reads it (``read.READERS``)
    key: str  # what it is across runs: a file's absolute path, a feed's URL
    rel: str  # its name in reports, and its articles' ``path``: stable, ordered
    stamp: str  # changes when it does: a file's size and mtime, a feed entry's hash
    # What discovery already holds of it, for its reader: a feed entry's fields as JSON
    # (a file has none: its reader reads the file).
    data: str = field(default="", compare=False, repr=False)


# The slots' own setters: they bypass the frozen dataclass's __setattr__, which refuses.
_SET_KIND, _SET_KEY, _SET_REL, _SET_STAMP, _SET_DATA = (
    getattr(Source, name).__set__ for name in ("kind", "key", "rel", "stamp", "data")
)


def make_source(kind: str, key: str, rel: str, stamp: str, data: str = "") -> Source:
    """``Source(kind, key, rel, stamp, data)`` at half its cost: discovery makes one for
    every file on every run, and the frozen ``__init__`` sets each field through
    ``object.__setattr__``."""
    source = object.__new__(Source)
    _SET_KIND(source, kind)
    _SET_KEY(source, key)
    _SET_REL(source, rel)
    _SET_STAMP(source, stamp)
    _SET_DATA(source, data)
    return source


@record
class Problem:
    """Something wrong with one article: it was skipped (``skipped``) or repaired and kept."""

    path: str
    stage: str
    reason: str
    skipped: bool = True


@dataclass(frozen=True, slots=True)
class FrontMatter:
    """The fields read from a file's front matter, as text, before any interpretation."""

    title: str | None = None
    categories: tuple[str, ...] = ()
    author: str | None = None
    date: str | None = None
    images: tuple[str, ...] = ()  # thumbnail candidates, in the configured field order
    link: str | None = None
    # Hexo's reading of the categories as paths from the top, when the list nests
    # (``[[a, b], [c]]``: (a, b) and (c,)); () when ``categories`` is one path, as a flat
    # list is (``[a, b, c]``: a › b › c).
    category_paths: tuple[tuple[str, ...], ...] = ()
    tags: tuple[str, ...] = ()  # tags or keywords, as written


@dataclass(frozen=True, slots=True)
class RawArticle:
    """What a reader made of one source: fields as written, before any interpretation."""

    source: Source
    front: FrontMatter
    body: str  # HTML, or text with a few tags, as written
    # The date of an article whose fields name none, as POSIX seconds (None: there is none),
    # and what it is
    fallback_time: int | None
    fallback_name: str  # "the file's modification time"
    notes: tuple[Problem, ...] = ()  # repairs made while reading (decoding, front matter)
    # Whether the fallback is the same on every machine and clone (a date in the file's
    # name), or a guess that a copy changes (its modification time): an article dated by a
    # guess keeps the date it was first seen with (``Article.date_is_guess``).
    fallback_stable: bool = False


@dataclass(frozen=True, slots=True)
class Article:
    """One clean article, ready to be grouped and rendered."""

    path: str  # Source.rel
    guid: str  # stable id: survives re-scrapes, moves and re-dating
    title: str  # plain text
    categories: tuple[str, ...]  # after aliases, in front matter order, no duplicates
    author: str  # plain text, may be empty
    date: datetime  # in UTC
    link: str | None  # the original article, when the front matter names it
    content_html: str  # cleaned and sanitized HTML
    summary: str  # plain text
    image_candidates: tuple[str, ...] = ()  # front matter images, then body images, in order
    junk_images: tuple[str, ...] = ()  # images that appeared only inside removed junk
    thumbnail: str | None = None  # chosen by the thumbnail stage
    dedupe_key: str = ""  # same key in one feed = same story
    title_key: str = ""  # the title as letters and digits: copies under other sources share it
    notes: tuple[Problem, ...] = field(default=(), compare=False)  # repairs made while reading
    # The category names as written, when aliases or the default made ``categories`` differ
    # from them (None: they did not): what tells a cached article that new aliases touch it.
    written_categories: tuple[str, ...] | None = None
    # The categories as paths from the top (after aliases), when the front matter nests
    # lists; () when they are one path, ``categories`` in order (nearly every article: no
    # second copy of the names is kept for it). ``paths()`` gives them either way.
    category_paths: tuple[tuple[str, ...], ...] = ()
    tags: tuple[str, ...] = ()  # the front matter's tags or keywords, as written
    # The date is the reader's unstable fallback (a file's modification time, which every
    # clone changes): the build replaces it by the date the article was first seen with.
    date_is_guess: bool = False

    def fields(self, **changes: object) -> tuple[object, ...]:
        """Every field's value in slot order, with ``changes`` made (a cheap ``replace``)."""
        values = list(_field_values(self))
        for name, value in changes.items():
            values[_FIELDS.index(name)] = value
        return tuple(values)

    def replaced(self, **changes: object) -> Article:
        """A copy with ``changes`` made: ``dataclasses.replace``, at a third of its cost."""
        return _load_article(*self.fields(**changes))

    def paths(self) -> tuple[tuple[str, ...], ...]:
        """The category paths, each a tuple of names from the top: ``category_paths``, or
        ``categories`` as one path. A flat grouping takes each name as a path of its own."""
        return self.category_paths or (self.categories,)

    def light(self) -> Article:
        """This article without its HTML and summary: what stays in memory for every file."""
        return self.replaced(content_html="", summary="")


def _load_article(*values: object) -> Article:
    article = object.__new__(Article)
    for set_field, value in zip(_SETTERS, values, strict=True):
        set_field(article, value)
    return shared_values(article)


_FIELDS: tuple[str, ...] = Article.__slots__
_field_values = operator.attrgetter(*_FIELDS)  # in C: a quarter of a getattr loop's cost
# The slots' own setters: they bypass the frozen dataclass's __setattr__, which refuses.
_SETTERS = [getattr(Article, name).__set__ for name in _FIELDS]
_GETTERS = [operator.attrgetter(name) for name in _FIELDS]
_SHARED_FIELDS = [_FIELDS.index("categories"), _FIELDS.index("author")]
_SHARED: dict[object, object] = {}  # one object for each distinct category list and author


def shared_values(article: Article) -> Article:
    """``article`` holding the one shared object of its category list and author: an
    archive's 100k articles share a few hundred of each."""
    for shared in _SHARED_FIELDS:
        value = _GETTERS[shared](article)
        _SETTERS[shared](article, _SHARED.setdefault(value, value))
    return article


def forget_shared_values() -> None:
    """Empty the table of shared category lists and authors, at the end of a build: a
    process that builds again and again (``serve``) must not keep every one it ever saw."""
    _SHARED.clear()


@dataclass(frozen=True, slots=True)
class Feed:
    """One feed to render: a category (or every article), its items newest first, limited."""

    name: str  # the category name; "" for the feed of all articles
    slug: str  # ASCII file-name stem, unique among feeds
    title: str
    description: str
    image: str | None  # channel image / Atom logo / JSON icon
    default_thumbnail: str | None  # for items whose own thumbnail was rejected
    articles: tuple[Article, ...]
    path: tuple[str, ...] = ()  # the category's names from the top; () for all articles
