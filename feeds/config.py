"""The configuration: loaded once from YAML into frozen dataclasses and passed down.

Unknown keys and wrong types are errors that name the key's path, for example
``config.yaml: thumbnail.boilerplate_threshold: expected an integer, got 'three'``.
"""

import dataclasses
import importlib.util
import os
import re
import reprlib
import types
import typing
from dataclasses import field
from pathlib import Path
from typing import Any, Literal, get_args, get_origin
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml

from feeds.errors import ConfigError
from feeds.records import record

Format = Literal["rss", "atom", "json"]
FORMATS: tuple[Format, ...] = ("rss", "atom", "json")


@record
class SiteConfig:
    title: str = "feeds"
    url: str = "http://localhost:8000/"  # where the output folder is served; feed URLs start here
    link: str = ""  # the site's home page; defaults to url
    description: str = ""
    language: str = "zh-CN"
    timezone: str = "Asia/Shanghai"  # naive dates in front matter are read in this zone
    author: str = ""
    image: str | None = None  # channel image / Atom logo / JSON icon for every feed


@record
class FeedConfig:
    """Overrides for one category's feed."""

    slug: str | None = None
    title: str | None = None
    description: str | None = None
    image: str | None = None  # channel image for this feed
    default_thumbnail: str | None = None  # used when no candidate survives


@record
class AllFeedConfig:
    enabled: bool = True
    slug: str = "all"
    title: str = "All articles"
    description: str = ""


CategoryMode = Literal["path", "flat"]


@record
class CategoriesConfig:
    # path: Hexo's meaning, a list of categories is one path from the top (a › b › c) and
    # every node of the tree is a feed; flat: every name is a feed of its own (Hugo, Jekyll).
    mode: CategoryMode = "path"
    # Tags (or keywords) as feeds too, each a flat feed named "#tag"; a source may say otherwise.
    tags: bool = False
    aliases: dict[str, str] = field(default_factory=dict)  # old name -> feed name (rename/merge)
    default: str = "未分类"  # for articles that list no category
    feeds: dict[str, FeedConfig] = field(default_factory=dict)
    all: AllFeedConfig = field(default_factory=AllFeedConfig)


@record
class ReadConfig:
    patterns: list[str] = field(
        default_factory=lambda: ["*.md", "*.markdown", "*.html", "*.htm", "*.txt"]
    )
    max_bytes: int = 8 * 1024 * 1024  # larger files are skipped before being read
    missing_date: Literal["mtime", "skip"] = "mtime"
    # A date further ahead than future_days would stay atop every feed it is in: kept with
    # a note, replaced by the file's modification time (with a note), or the article skipped.
    future_dates: Literal["keep", "mtime", "skip"] = "keep"
    future_days: int = 2  # dates further ahead than this are reported
    # Front matter keys naming the original article, in order (in any case: canonicalUrl).
    link_fields: list[str] = field(
        default_factory=lambda: [
            *("link", "url", "original_url", "canonicalUrl", "canonical_url", "permalink"),
            *("source", "original", "lien", "video_url"),
        ]
    )
    # Front matter keys naming the article's date, in order: the first that holds one.
    date_fields: list[str] = field(
        default_factory=lambda: ["date", "pubDate", "published", "updated", "lastmod"]
    )
    # From this many files to read, each is read light (no HTML kept) and only the articles
    # a feed shows are cleaned in full: less memory and time on a large archive, same output.
    light_from: int = 2000
    # Symlinks that lead out of their source folder are skipped unless this is set: a link to
    # / would walk the whole machine, and publish what it finds.
    follow_links: bool = False
    time_limit: float = 30.0  # seconds one file may take to read and clean; 0: no limit


@record
class CleanRule:
    """Extra junk rules for the articles of some categories (a source is a category too)."""

    categories: list[str] = field(default_factory=list)
    remove: list[str] = field(default_factory=list)  # CSS selectors
    remove_text: list[str] = field(default_factory=list)  # regexes on a block's text


@record
class CleanConfig:
    defaults: bool = True  # apply the built-in junk rules (clean.DEFAULT_*) as well
    remove: list[str] = field(default_factory=list)  # CSS selectors removed everywhere
    remove_text: list[str] = field(default_factory=list)  # blocks whose text matches are removed
    rules: list[CleanRule] = field(default_factory=list)
    image_proxy: dict[str, str] = field(default_factory=dict)  # host -> URL template
    summary_length: int = 200
    # Characters of HTML one item carries at most: a reader refuses a feed of megabytes, and
    # the cleaner's tree of a body takes a hundred times its size. The largest real article
    # holds 53,500 characters.
    max_content: int = 200_000


@record
class ThumbnailConfig:
    fields: list[str] = field(default_factory=lambda: ["thumbnail", "headimg", "cover", "image"])
    placeholders: list[str] = field(default_factory=list)  # host or host/path prefixes
    unwrap: list[str] = field(default_factory=list)  # proxy prefixes wrapped around real URLs
    boilerplate_threshold: int = 3  # a URL used by this many articles of one source is junk
    default: str | None = None
    inline: bool = True  # put the thumbnail atop the content when the body does not show it


@record
class CacheConfig:
    enabled: bool = True
    path: Path = Path(".feeds-cache/config.sqlite")  # <config file's name>.sqlite when unset


@record
class PruneConfig:
    # The largest share of the files earlier builds wrote that one --prune may delete
    # without --force: more is what an emptied source or a broken config looks like.
    max_share: float = 0.5


FilterField = Literal["title", "description", "author", "category", "link"]
FILTER_FIELDS: list[FilterField] = ["title", "description", "author", "category"]


@record
class PagesConfig:
    """The site beside the feeds: a page per article, an index, a page per feed, OPML.

    ``pages: false`` in the config is ``enabled: false``.
    """

    enabled: bool = True
    templates: Path | None = None  # a folder of templates that replace the bundled ones
    # Where items without an original link point instead of their page: a URL pattern of an
    # existing site (Hexo's permalink), relative to site.link, e.g. ``:year/:month/:day/:title/``
    link: str | None = None
    per_page: int = 50  # items on one page of a feed's listing
    # Article pages one build renders at most (the feeds' items' first); the rest come in
    # the next builds: the first build of a large archive publishes its feeds (and the
    # pages their items link to) in minutes, not after rendering every page.
    per_build: int = 5000

    @classmethod
    def from_bool(cls, value: bool) -> dict[str, bool]:
        return {"enabled": value}


@record
class SourceConfig:
    """One source: a folder of article files, or a feed (a URL or a feed file).

    In the config a plain string is a folder: ``sources: [articles]``.
    """

    folder: Path | None = None
    feed: str | None = None
    category_mode: CategoryMode | None = None  # None: categories.mode
    categories: list[str] = field(default_factory=list)  # a feed's path (default: its title)
    tags: bool | None = None  # None: categories.tags
    # What a relative link in a front matter is relative to (else such a link is dropped).
    base_url: str | None = None
    # A feed shaped per reader (RSSHub's parameters): entries whose filter_fields match
    # ``filter`` and do not match ``filterout`` (regexes, case ignored), the newest ``limit``
    # of them, and with ``brief`` a plain summary of that many characters for a body.
    filter: str | None = None
    filterout: str | None = None
    filter_fields: list[FilterField] = field(default_factory=lambda: list(FILTER_FIELDS))
    limit: int | None = None
    brief: int | None = None
    # An entry's article fetched from its link and extracted (trafilatura), for feeds that
    # carry only teasers; each page fetched once.
    full_text: bool = False

    @classmethod
    def from_text(cls, value: str) -> dict[str, str]:
        """The mapping a plain string in ``sources`` stands for."""
        return {"folder": value}


@record
class FetchConfig:
    """How feeds are fetched over HTTP: politely, and never for ever."""

    timeout: float = 20.0  # seconds to connect, and between two reads
    max_bytes: int = 10 * 1024 * 1024  # a larger feed is refused, its earlier items kept
    max_redirects: int = 5
    parallel: int = 4  # fetches at once (one at a time per host)


@record
class Config:
    path: Path = Path("config.yaml")  # the file this was read from, for messages
    site: SiteConfig = field(default_factory=SiteConfig)
    sources: list[SourceConfig] = field(
        default_factory=lambda: [SourceConfig(folder=Path("articles"))]
    )
    output: Path = Path("output")
    formats: list[Format] = field(default_factory=lambda: list(FORMATS))
    limit: int = 50
    jobs: int = 0  # 0 = every core
    categories: CategoriesConfig = field(default_factory=CategoriesConfig)
    read: ReadConfig = field(default_factory=ReadConfig)
    clean: CleanConfig = field(default_factory=CleanConfig)
    thumbnail: ThumbnailConfig = field(default_factory=ThumbnailConfig)
    cache: CacheConfig = field(default_factory=CacheConfig)
    prune: PruneConfig = field(default_factory=PruneConfig)
    fetch: FetchConfig = field(default_factory=FetchConfig)
    pages: PagesConfig = field(default_factory=PagesConfig)
    # Whether ``path`` is a file that was read (else there is none: every default), and the
    # keys the command line set, as given (``output`` -> ``--output out``): a message names
    # where a value came from, never a config file that does not exist. Not in the repr:
    # the build's key hashes that, and where a value came from shapes no output.
    from_file: bool = field(default=True, repr=False, compare=False)
    options: dict[str, str] = field(default_factory=dict, repr=False, compare=False)

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.site.timezone)

    def source_of(self, key: str) -> SourceConfig | None:
        """The folder source an article file (its absolute path) was found in."""
        for source in self.sources:
            if source.folder is not None and key.startswith(os.path.join(source.folder, "")):
                return source
        return None

    @property
    def feed_sources(self) -> list[SourceConfig]:
        """The feeds among the sources, in config order."""
        return [s for s in self.sources if s.feed is not None]

    @property
    def folders(self) -> list[Path]:
        """The folders of article files among the sources, in config order."""
        return [s.folder for s in self.sources if s.folder is not None]


DEFAULT_PATH = Path("config.yaml")


def load_config_or_defaults(path: Path | None) -> Config:
    """The config at ``path``; without one, ``config.yaml`` here if there is one, else every
    default: ``feeds build --source DIR --output DIR`` needs no file. A file that is named
    must exist."""
    if path is not None or os.path.lexists(DEFAULT_PATH):
        return load_config(path or DEFAULT_PATH)
    defaults = config_from_dict({}, DEFAULT_PATH.absolute())
    return dataclasses.replace(defaults, from_file=False)


def where(config: Config, key: str) -> str:
    """What a message about ``key`` starts with: the option that set it (``--output out``),
    else the config file and the key (``config.yaml: output``), else, with no config file,
    the key alone (its default)."""
    if key in config.options:
        return config.options[key]
    return f"{config.path}: {key}" if config.from_file else key


def load_config(path: Path) -> Config:
    """Read and validate ``path``. Relative paths inside it are relative to its folder."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise ConfigError(f"{path}: file not found") from None
    except (OSError, UnicodeDecodeError) as e:
        raise ConfigError(f"{path}: cannot read: {e}") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as e:
        raise ConfigError(f"{path}: not valid YAML: {_one_line(e)}") from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: must contain a mapping of settings")
    return config_from_dict(data, path)


def config_from_dict(data: dict[str, Any], path: Path) -> Config:
    """Build a Config from already-parsed data; ``path`` locates the file for messages."""
    for key in _SET_BY_LOADER:  # never by the file
        if key in data:
            raise ConfigError(f"{path}: {key}: unknown key")
    try:
        config = _convert({**data, "path": str(path)}, Config, "")
    except _Invalid as e:
        raise ConfigError(f"{path}: {e.key}: {e.reason}") from None
    _check_values(config)
    cache = data.get("cache")
    if not (isinstance(cache, dict) and "path" in cache):
        # Named after the config: two configs in one folder (other sources, other settings)
        # must not share a cache, or each run would re-parse what the other one stored.
        default = Path(".feeds-cache") / f"{path.stem}.sqlite"
        config = dataclasses.replace(config, cache=dataclasses.replace(config.cache, path=default))
    config = _resolve_paths(config, path.parent)
    _check_templates(config)
    return config


# The fields of Config that the loader sets: a file that names them names an unknown key.
_SET_BY_LOADER = ("path", "from_file", "options")


def _check_templates(config: Config) -> None:
    """``pages.templates`` must be a folder (resolved: relative to the config's folder): a
    typo would otherwise build with the bundled templates and say nothing."""
    folder = config.pages.templates
    if folder is None or folder.is_dir():
        return
    reason = "not a folder" if os.path.lexists(folder) else "no such folder"
    raise ConfigError(f"{config.path}: pages.templates: {reason}: {folder}")


class _Invalid(Exception):
    def __init__(self, key: str, reason: str) -> None:
        self.key = key or "(top level)"
        self.reason = reason


def _convert(value: Any, hint: Any, key: str) -> Any:
    origin = get_origin(hint)
    if dataclasses.is_dataclass(hint) and isinstance(hint, type):
        return _convert_dataclass(value, hint, key)
    if origin is Literal:
        if value not in get_args(hint):
            allowed = ", ".join(str(a) for a in get_args(hint))
            raise _Invalid(key, f"must be one of {allowed}, got {_shown(value)}")
        return value
    if origin in (types.UnionType, typing.Union):
        args = [a for a in get_args(hint) if a is not type(None)]
        return None if value is None else _convert(value, args[0], key)
    if origin is list:
        if isinstance(value, str):
            value = [value]  # a single value where a list is expected is a list of one
        if not isinstance(value, list):
            raise _Invalid(key, f"expected a list, got {_kind(value)}")
        (item,) = get_args(hint)
        return [_convert(v, item, f"{key}[{i}]") for i, v in enumerate(value)]
    if origin is dict:
        if value is None:
            return {}
        if not isinstance(value, dict):
            raise _Invalid(key, f"expected a mapping, got {_kind(value)}")
        _, item = get_args(hint)
        return {str(k): _convert(v, item, f"{key}.{k}") for k, v in value.items()}
    return _convert_scalar(value, hint, key)


def _convert_scalar(value: Any, hint: Any, key: str) -> Any:
    if hint is bool:
        if not isinstance(value, bool):
            raise _Invalid(key, f"expected true or false, got {_shown(value)}")
        return value
    if hint is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise _Invalid(key, f"expected an integer, got {_shown(value)}")
        return value
    if hint is float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise _Invalid(key, f"expected a number, got {_shown(value)}")
        return float(value)
    if hint is str:
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            raise _Invalid(key, f"expected a string, got {_kind(value)}")
        return str(value)
    if hint is Path:
        if not isinstance(value, str) or not value.strip():
            raise _Invalid(key, f"expected a path, got {_shown(value)}")
        return Path(value)
    raise TypeError(f"unsupported config type {hint!r}")  # a bug in this module, not in the file


def _convert_dataclass(value: Any, cls: type[Any], key: str) -> Any:
    if value is None:
        value = {}
    if isinstance(value, str) and hasattr(cls, "from_text"):
        value = cls.from_text(value)
    if isinstance(value, bool) and hasattr(cls, "from_bool"):
        value = cls.from_bool(value)
    if not isinstance(value, dict):
        raise _Invalid(key, f"expected a mapping, got {_kind(value)}")
    hints = typing.get_type_hints(cls)
    names = [f.name for f in dataclasses.fields(cls)]
    prefix = f"{key}." if key else ""
    for k in value:
        if k not in names:
            shown = ", ".join(n for n in names if not (cls is Config and n in _SET_BY_LOADER))
            raise _Invalid(f"{prefix}{k}", f"unknown key (expected one of: {shown})")
    kwargs = {k: _convert(v, hints[k], f"{prefix}{k}") for k, v in value.items()}
    return cls(**kwargs)


LETTER_OR_DIGIT = re.compile(r"[^\W_]")  # in any script


def _check_values(config: Config) -> None:
    checks: list[tuple[bool, str, str]] = [
        (config.limit >= 1, "limit", f"must be a positive integer, got {config.limit}"),
        (config.jobs >= 0, "jobs", f"must be 0 (every core) or more, got {config.jobs}"),
        (bool(config.formats), "formats", "must name at least one format"),
        (bool(config.sources), "sources", "must name at least one folder or feed"),
        (config.read.max_bytes > 0, "read.max_bytes", "must be positive"),
        (
            config.cache.path.name not in ("", ".", ".."),
            "cache.path",
            f"must name a file, got {str(config.cache.path)!r}",
        ),
        (
            0 <= config.read.future_days <= MAX_FUTURE_DAYS,
            "read.future_days",
            f"must be from 0 to {MAX_FUTURE_DAYS}",
        ),
        (config.read.light_from >= 0, "read.light_from", "must be 0 or more"),
        (config.read.time_limit >= 0, "read.time_limit", "must be 0 (no limit) or more"),
        (0 <= config.prune.max_share <= 1, "prune.max_share", "must be from 0 to 1"),
        (config.pages.per_page >= 1, "pages.per_page", "must be a positive integer"),
        (config.pages.per_build >= 1, "pages.per_build", "must be a positive integer"),
        (config.clean.summary_length > 0, "clean.summary_length", "must be positive"),
        (config.clean.max_content >= 1000, "clean.max_content", "must be 1000 or more"),
        (
            config.thumbnail.boilerplate_threshold >= 2,
            "thumbnail.boilerplate_threshold",
            "must be 2 or more",
        ),
        (
            config.site.url.startswith(("http://", "https://")),
            "site.url",
            f"must be an absolute http(s) URL, got {config.site.url!r}",
        ),
    ]
    for ok, key, reason in checks:
        if not ok:
            raise ConfigError(f"{config.path}: {key}: {reason}")
    for key, value in _urls(config):
        if value and not _is_web_url(value):
            raise ConfigError(f"{config.path}: {key}: must be an absolute http(s) URL, "
                              f"got {_shown(value)}")  # fmt: skip
    for key, value in _texts(config):
        if value and not _is_plain_text(value):
            raise ConfigError(f"{config.path}: {key}: must be plain text (no markup, no "
                              f"control characters), got {_shown(value)}")  # fmt: skip
    _check_sources(config)
    _check_image_proxies(config)
    _check_slugs(config)
    _check_link_pattern(config)
    for name, target in config.categories.aliases.items():
        if not LETTER_OR_DIGIT.search(target):  # else its articles would fall to the default
            raise ConfigError(
                f"{config.path}: categories.aliases.{name}: {target!r} is not a category name"
            )
    if len(set(config.formats)) != len(config.formats):
        raise ConfigError(f"{config.path}: formats: lists a format twice")
    try:
        ZoneInfo(config.site.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(
            f"{config.path}: site.timezone: unknown time zone {config.site.timezone!r}"
        ) from None


def _check_sources(config: Config) -> None:
    for i, source in enumerate(config.sources):
        if (source.folder is None) == (source.feed is None):
            raise ConfigError(f"{config.path}: sources[{i}]: name a folder or a feed, not both")
        if source.feed is not None:
            _check_feed_source(config, source, f"sources[{i}]")
    fetch = config.fetch
    for ok, key in (
        (fetch.timeout > 0, "fetch.timeout"),
        (fetch.max_bytes > 0, "fetch.max_bytes"),
        (fetch.parallel > 0, "fetch.parallel"),
        (fetch.max_redirects >= 0, "fetch.max_redirects"),
    ):
        if not ok:
            raise ConfigError(f"{config.path}: {key}: must be positive")


def _check_feed_source(config: Config, source: SourceConfig, key: str) -> None:
    problem = feed_source_problem(source)
    if problem:
        raise ConfigError(f"{config.path}: {key}.{problem[0]}: {problem[1]}")


def feed_source_problem(source: SourceConfig) -> tuple[str, str] | None:
    """What is wrong with a feed source (its key, the reason), or None: it names an
    http(s) URL or a file; its filters are regexes of known fields; its numbers are
    positive; full text has its extractor."""
    feed = source.feed or ""
    if "://" in feed and not _is_web_url(feed):
        return "feed", f"must be an http(s) URL or a file, got {_shown(feed)}"
    for name in ("filter", "filterout"):
        try:
            re.compile(getattr(source, name) or "")
        except re.error as e:
            return name, f"not a regex: {e}"
    for name in ("limit", "brief"):
        value = getattr(source, name)
        if value is not None and value < 1:
            return name, "must be a positive integer"
    if source.full_text and importlib.util.find_spec("trafilatura") is None:
        return "full_text", "needs trafilatura (pip install 'feeds[fulltext]')"
    if not all(LETTER_OR_DIGIT.search(name) for name in source.categories):
        return "categories", "names a category without a name"
    return None


# What an image proxy's template may hold for the image's URL (clean.urls.apply_image_proxy).
IMAGE_PROXY_PLACEHOLDERS = ("{url}", "{url_encoded}")


def _check_image_proxies(config: Config) -> None:
    """Each ``clean.image_proxy`` template must say where the image's URL goes, and be an
    http(s) URL once it is there: else every image of its host would be silently left as
    it is, or point at whatever the template says (it becomes each image's src)."""
    for host, template in config.clean.image_proxy.items():
        key = f"{config.path}: clean.image_proxy.{host}"
        if not any(p in template for p in IMAGE_PROXY_PLACEHOLDERS):
            raise ConfigError(
                f"{key}: must hold {{url}} or {{url_encoded}} where the image's URL goes, "
                f"got {_shown(template)}"
            )
        filled = template.replace("{url_encoded}", "x").replace("{url}", "x")
        if not _is_web_url(filled):
            raise ConfigError(
                f"{key}: must be an absolute http(s) URL with {{url}} or {{url_encoded}}, "
                f"got {_shown(template)}"
            )


def is_feed_url(value: str) -> bool:
    """Whether a source names a feed on the web (else a path)."""
    return value.startswith(("http://", "https://"))


MAX_FUTURE_DAYS = 3650
# A tag as an HTML parser starts one, a control character (XML 1.0 cannot carry them), or a
# character that would end an attribute or a URL early.
_MARKUP = re.compile(r"<[a-zA-Z/!?]|[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_NOT_IN_URL = re.compile(r"[\s\"'<>\\^`{|}\x00-\x1f\x7f]")


def _urls(config: Config) -> list[tuple[str, str | None]]:
    """Every URL the config gives, by key: each reaches every feed as it is written."""
    found: list[tuple[str, str | None]] = [
        ("site.link", config.site.link),
        ("site.image", config.site.image),
        ("thumbnail.default", config.thumbnail.default),
    ]
    found += [(f"sources[{i}].base_url", s.base_url) for i, s in enumerate(config.sources)]
    for name, feed in config.categories.feeds.items():
        key = f"categories.feeds.{name}"
        found += [
            (f"{key}.image", feed.image),
            (f"{key}.default_thumbnail", feed.default_thumbnail),
        ]
    return found


def _texts(config: Config) -> list[tuple[str, str | None]]:
    """Every text the config gives that a feed shows as plain text, by key."""
    all_feed = config.categories.all
    found: list[tuple[str, str | None]] = [
        ("site.title", config.site.title),
        ("site.description", config.site.description),
        ("site.author", config.site.author),
        ("categories.all.title", all_feed.title),
        ("categories.all.description", all_feed.description),
    ]
    for name, feed in config.categories.feeds.items():
        key = f"categories.feeds.{name}"
        found += [(f"{key}.title", feed.title), (f"{key}.description", feed.description)]
    return found


def _is_web_url(value: str) -> bool:
    if _NOT_IN_URL.search(value):
        return False
    parts = urlsplit(value)
    return parts.scheme in ("http", "https") and bool(parts.hostname)


def _is_plain_text(value: str) -> bool:
    return not _MARKUP.search(value)


def check_slug(slug: str) -> bool:
    """A slug from config must be a plain file-name stem: no path, nothing hidden."""
    return bool(re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}", slug)) and ".." not in slug


def _check_slugs(config: Config) -> None:
    slugs = {"categories.all.slug": config.categories.all.slug}
    for name, feed in config.categories.feeds.items():
        if feed.slug is not None:
            slugs[f"categories.feeds.{name}.slug"] = feed.slug
    seen: dict[str, str] = {}
    for key, slug in slugs.items():
        if not check_slug(slug):
            raise ConfigError(
                f"{config.path}: {key}: {slug!r} is not a plain file name (letters, digits, . _ -)"
            )
        if slug in seen:
            raise ConfigError(f"{config.path}: {key}: {slug!r} is already used by {seen[slug]}")
        seen[slug] = key


# The placeholders of a Hexo permalink that an article can fill (``pages.link``).
LINK_PLACEHOLDERS: tuple[str, ...] = ("year", "month", "day", "i_month", "i_day", "hour")
LINK_PLACEHOLDERS += ("minute", "second", "title", "name", "post_title")
_PLACEHOLDER = re.compile(r":([a-z_]+)")


def _check_link_pattern(config: Config) -> None:
    pattern = config.pages.link
    if pattern is None:
        return
    key = f"{config.path}: pages.link"
    if not pattern.strip() or _NOT_IN_URL.search(pattern.replace(" ", "")):
        raise ConfigError(f"{key}: must be a URL pattern such as :year/:month/:day/:title/")
    if re.match(r"[A-Za-z][A-Za-z0-9+.-]*:", pattern) and not _is_web_url(
        _PLACEHOLDER.sub("x", pattern)
    ):
        raise ConfigError(f"{key}: a path, or an absolute http(s) URL, got {pattern!r}")
    # An http(s) pattern passed the check above; any other colon is a scheme of sorts.
    if not pattern.startswith(("http://", "https://")) and ":" in _PLACEHOLDER.sub("", pattern):
        raise ConfigError(f"{key}: a path, or an absolute http(s) URL, got {pattern!r}")
    for name in _PLACEHOLDER.findall(pattern):
        if name not in LINK_PLACEHOLDERS:
            allowed = " ".join(f":{n}" for n in LINK_PLACEHOLDERS)
            raise ConfigError(f"{key}: unknown placeholder :{name} (known: {allowed})")


def check_cache_outside_output(config: Config) -> None:
    """The cache must not be in the output folder: that is served as it is, and the cache's
    files could take a feed's name or the folder's lock (which waited for itself)."""
    if not config.cache.enabled:
        return
    # The cache's folder resolved, not the cache: a link in the output to a cache elsewhere
    # still puts the link, and the lock beside it, in the served folder.
    cache = os.path.join(os.path.realpath(config.cache.path.parent), config.cache.path.name)
    out = os.path.realpath(config.output)
    if cache == out or cache.startswith(os.path.join(out, "")):
        raise ConfigError(
            f"{where(config, 'cache.path')}: the cache {config.cache.path} would be inside the "
            f"output folder {out}, which is served as it is (set cache.path to a file "
            "outside it, or cache.enabled: false)"
        )


def check_output_outside_sources(config: Config) -> None:
    """The output folder must not be inside a source folder: its feeds are not articles."""
    out = os.path.realpath(config.output)
    for i, source in numbered_folders(config):
        folder = os.path.realpath(source)
        if out == folder or out.startswith(os.path.join(folder, "")):
            named = config.options.get(f"sources[{i}]", f"sources[{i}]")
            raise ConfigError(
                f"{where(config, 'output')}: the output folder {config.output} is inside the "
                f"source folder {named} ({source}); put it beside the sources"
            )


def numbered_folders(config: Config) -> list[tuple[int, Path]]:
    """The folder sources, each with its index in ``sources`` (for messages)."""
    return [(i, s.folder) for i, s in enumerate(config.sources) if s.folder is not None]


def _resolve_paths(config: Config, base: Path) -> Config:
    """Absolute paths: the cache keys articles by them, and a later chdir cannot move them."""
    base = Path(os.path.abspath(base))

    def resolve(p: Path) -> Path:
        return p if p.is_absolute() else base / p

    return dataclasses.replace(
        config,
        sources=[_resolve_source(s, resolve) for s in config.sources],
        output=resolve(config.output),
        pages=dataclasses.replace(
            config.pages,
            templates=resolve(config.pages.templates) if config.pages.templates else None,
        ),
        cache=dataclasses.replace(config.cache, path=resolve(config.cache.path)),
    )


def _resolve_source(source: SourceConfig, resolve: typing.Callable[[Path], Path]) -> SourceConfig:
    if source.folder is not None:
        return dataclasses.replace(source, folder=resolve(source.folder))
    if source.feed is not None and not is_feed_url(source.feed):
        return dataclasses.replace(source, feed=str(resolve(Path(source.feed))))
    return source


def _kind(value: Any) -> str:
    names: dict[type, str] = {dict: "a mapping", list: "a list", str: "a string"}
    return names.get(type(value), _shown(value))


# A value as an error message shows it: short, whatever the file holds. YAML aliases let a
# few hundred bytes stand for a list of billions of items, which a plain repr() would spell out.
_SHOWN = reprlib.Repr()
_SHOWN.maxlevel, _SHOWN.maxlist, _SHOWN.maxdict, _SHOWN.maxstring, _SHOWN.maxother = 2, 4, 4, 60, 60


def _shown(value: Any) -> str:
    return _SHOWN.repr(value)


def _one_line(error: yaml.YAMLError) -> str:
    mark = getattr(error, "problem_mark", None)
    problem = getattr(error, "problem", None) or str(error).splitlines()[0]
    return f"{problem} (line {mark.line + 1})" if mark else str(problem)
