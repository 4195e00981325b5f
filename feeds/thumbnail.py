"""Choose each article's thumbnail: the first candidate that is real, not junk, not boilerplate.

The archive's front matter cannot be trusted: a third of the thumbnails are random
``picsum.photos`` placeholders, Sina Finance puts the same QR-code promo on every item, some are
wrapped in a dead CORS proxy, some are ``.../p/undefined``. So every candidate (front matter
fields first, then the cleaned body's images) is unwrapped, normalized and checked, and the first
survivor wins. Boilerplate (one image on many articles of one source) is counted over the whole
corpus in one pass before any choice, so the result never depends on file order.
"""

from __future__ import annotations

import dataclasses
import functools
import html
import operator
import re
from collections.abc import Callable, Mapping, Sequence
from types import MappingProxyType
from urllib.parse import parse_qsl, unquote, urlsplit

from feeds.config import ThumbnailConfig
from feeds.models import Article
from feeds.urls import apply_image_proxy, is_normal_url, normalize_url

# Proxies whose query string after this prefix is the real image URL, as is or percent-encoded.
BUILTIN_UNWRAP: tuple[str, ...] = (
    "https://cors.zfour.workers.dev/?",
    "http://cors.zfour.workers.dev/?",
)

# Image proxies that carry the real URL in a query parameter (weserv also takes it scheme-less).
_QUERY_PROXIES: dict[str, tuple[str, ...]] = {
    "images.weserv.nl": ("url",),
    "wsrv.nl": ("url",),
    "external-content.duckduckgo.com": ("u",),
    "proxy.duckduckgo.com": ("u",),
    "api.allorigins.win": ("url",),
    "corsproxy.io": ("url",),
}
_SCHEMELESS_PROXIES = frozenset({"images.weserv.nl", "wsrv.nl"})

# Services that return a different stock or random picture on every request.
BUILTIN_PLACEHOLDERS: tuple[str, ...] = (
    "picsum.photos",
    "unsplash.it",
    "source.unsplash.com",
    "placehold.it",
    "placehold.co",
    "placeholder.com",
    "via.placeholder.com",
    "dummyimage.com",
    "fakeimg.pl",
    "loremflickr.com",
    "lorempixel.com",
    "placekitten.com",
    "placeimg.com",
    "placebear.com",
    "fillmurray.com",
    "placecage.com",
    "baconmockup.com",
    "iph.href.lu",
)

# Hosts that serve only tracking pixels or counters.
_TRACKER_HOSTS = frozenset(
    {
        "pixel.wp.com",
        "stats.wordpress.com",
        "feeds.feedburner.com",
        "www.google-analytics.com",
        "google-analytics.com",
        "pixel.quantserve.com",
        "sb.scorecardresearch.com",
        "b.scorecardresearch.com",
        "mc.yandex.ru",
        "hm.baidu.com",
        "c.cnzz.com",
        "pixel.facebook.com",
        "ad.doubleclick.net",
    }
)

# A whole path segment that holds emoji, emoticons, icons or trackers, never a story's picture.
_JUNK_SEGMENT = re.compile(
    r"/(?:emoji|emojis|emoticons?|emotes?|expressions?|faces?|smil(?:ies|eys?)"
    r"|icons?|favicons?|sprites?|twemoji|spacers?|1x1)/"
)
# File names of spacer and tracking images.
_PIXEL_NAME = re.compile(
    r"^(?:1x1|1px|pixel|spacer|blank|transparent|trans|clear|dot|empty|__utm)\.(?:gif|png|webp)$"
)
# Words in a file name that mark an icon; "icon"/"sprite"/"1x1" only on non-photo formats, so a
# photo named "Sprite_can.jpg" or "Icon-of-the-seas.jpg" survives.
_ALWAYS_JUNK_WORDS = frozenset({"emoji", "emojis", "emoticon", "emoticons", "favicon", "twemoji"})
_GRAPHIC_JUNK_WORDS = frozenset({"icon", "icons", "sprite", "sprites", "spacer", "1x1", "1px"})
_GRAPHIC_EXTS = frozenset({"png", "gif", "webp", "bmp"})
_WORD_SPLIT = re.compile(r"[^a-z0-9]+")
# Not a raster picture a reader can show as a thumbnail.
_BAD_EXTS = frozenset(
    {"ico", "cur", "svg", "svgz", "html", "htm", "js", "css", "json", "xml", "pdf", "zip"}
    | {"mp4", "webm", "mov", "m3u8", "mp3", "m4a", "flv", "avi", "mkv", "swf"}
)
# Values a broken template leaves in a URL path: .../p/undefined, /null.jpg, [object Object].
_UNDEFINED_SEGMENT = re.compile(
    r"/(?:undefined|null|none|nan|\[object(?:%20)?object\]|%5bobject%20object%5d)"
    r"(?:\.[a-z0-9]+)?(?=/|$)"
)
# Any word one of the rules above looks for; a URL without one skips them all.
_ICON_HINT = re.compile(  # factored by first letters: this runs on every URL
    r"e(?:moji|mot|xpress|mpty)|face|smil|icon|sp(?:rite|acer)|1(?:x1|px)|pixel|blank|trans"
    r"|clear|dot|utm|undefined|n(?:ull|one|an)|object"
)
_ONE_PIXEL_QUERY = re.compile(r"(?:^|&)(?:w|width)=1&(?:h|height)=1(?:&|$)")

_EMBEDDED_URL = re.compile(r"https?(?::/|%3a%2f)", re.IGNORECASE)
_ENCODED_URL = re.compile(r"(?:https?%3a|%2f%2f)", re.IGNORECASE)

_MIME_TYPES: dict[str, str] = {
    "jpg": "image/jpeg",
    "jpeg": "image/jpeg",
    "jpe": "image/jpeg",
    "jfif": "image/jpeg",
    "png": "image/png",
    "apng": "image/apng",
    "gif": "image/gif",
    "webp": "image/webp",
    "avif": "image/avif",
    "bmp": "image/bmp",
    "tif": "image/tiff",
    "tiff": "image/tiff",
    "heic": "image/heic",
    "heif": "image/heif",
    "jxl": "image/jxl",
    "svg": "image/svg+xml",
    "svgz": "image/svg+xml",
    "svg+xml": "image/svg+xml",
    "ico": "image/x-icon",
}
_DEFAULT_MIME = "image/jpeg"
# Format conversions asked of image CDNs: ?wx_fmt=jpeg (WeChat), ?fm=webp (imgix),
# ?output=webp (weserv), imageMogr2/format/webp (Qiniu), x-oss-process=.../format,webp (Aliyun).
_FORMAT_HINT = re.compile(
    r"(?:^|[?&/,;])(?:wx_fmt|fmt|fm|format|output|tp|imageformat)[=/,]([a-z0-9]+)", re.IGNORECASE
)
_CLOUDINARY_FORMAT = re.compile(r"[/,]f_([a-z0-9]+)(?=[/,])", re.IGNORECASE)
_DATA_IMAGE = re.compile(r"data:image/([a-z0-9.+-]+)[;,]", re.IGNORECASE)
_QUERY_EXT = re.compile(r"\.([a-z0-9]{3,4})(?:&|$)", re.IGNORECASE)

_IMG_SRC = re.compile(
    r"<[iI][mM][gG]\b[^>]*?\s[sS][rR][cC]\s*=\s*(?:\"([^\"]*)\"|'([^']*)'|([^\s>]+))"
)
_BUILTIN_PREFIXES = tuple(p.lower() for p in BUILTIN_UNWRAP)
_MAX_WRAPS = 4  # nested proxies deeper than this are not worth following
_NO_PROXIES: Mapping[str, str] = MappingProxyType({})


# --- public API --------------------------------------------------------------------------------


def choose_thumbnails(
    articles: Sequence[Article],
    config: ThumbnailConfig,
    proxies: Mapping[str, str] = _NO_PROXIES,
    *,
    prefiltered: bool = False,
) -> list[Article]:
    """Return ``articles`` in the same order, each with its thumbnail chosen.

    The choice is made on the real (unwrapped) URL; ``proxies`` (CleanConfig.image_proxy) is
    applied to the winner only. With ``config.inline`` the winner is also put atop the content
    when the body does not already show it. ``prefiltered``: the articles' candidates and
    junk images went through ``usable_images`` and ``real_images`` when they were read.
    """
    chooser, candidates, boilerplate = _prepare(articles, config, proxies, prefiltered)
    return [
        chooser.apply(a, real, boilerplate) for a, real in zip(articles, candidates, strict=True)
    ]


def choose_thumbnail_urls(
    articles: Sequence[Article],
    config: ThumbnailConfig,
    proxies: Mapping[str, str] = _NO_PROXIES,
    *,
    prefiltered: bool = False,
) -> dict[str, str]:
    """The thumbnail chosen for each article that gets one (proxied), by article path.

    The same choice as ``choose_thumbnails``, without making new articles: a build keeps
    100k light articles in memory, and a second set of them would double that.
    """
    chooser, candidates, boilerplate = _prepare(articles, config, proxies, prefiltered)
    chosen: dict[str, str] = {}
    for article, real in zip(articles, candidates, strict=True):
        url = chooser.choose(article, real, boilerplate)
        if url is not None:
            chosen[article.path] = chooser.proxied(url)
    return chosen


def _prepare(
    articles: Sequence[Article],
    config: ThumbnailConfig,
    proxies: Mapping[str, str],
    prefiltered: bool,
) -> tuple[_Chooser, list[tuple[str | None, ...]], frozenset[tuple[str, str]]]:
    chooser = _Chooser(config, proxies, prefiltered=prefiltered)
    # Junk never wins, so counting boilerplate among the usable candidates only is enough.
    candidates = [tuple(map(chooser.usable, a.image_candidates)) for a in articles]
    boilerplate = _count_boilerplate(articles, candidates, config.boilerplate_threshold)
    return chooser, candidates, boilerplate


def usable_images(urls: Sequence[str], config: ThumbnailConfig) -> tuple[str, ...]:
    """The real URLs of ``urls`` that no junk rule rejects, in order, without repeats.

    Done once per article when it is read (and cached), so choosing among 100k articles
    needs only the corpus-wide boilerplate count.
    """
    chooser = _chooser_for(tuple(config.unwrap), tuple(config.placeholders))
    return tuple(dict.fromkeys(u for u in map(chooser.usable, urls) if u is not None))


def real_images(urls: Sequence[str], config: ThumbnailConfig) -> tuple[str, ...]:
    """``urls`` unwrapped and normalized, the unusable ones left out."""
    chooser = _chooser_for(tuple(config.unwrap), tuple(config.placeholders))
    return tuple(dict.fromkeys(u for u in map(chooser.unwrap, urls) if u is not None))


@functools.lru_cache(maxsize=4)
def _chooser_for(unwrap: tuple[str, ...], placeholders: tuple[str, ...]) -> _Chooser:
    return _Chooser(ThumbnailConfig(unwrap=list(unwrap), placeholders=list(placeholders)), {})


def unwrap_image_url(url: str, prefixes: Sequence[str] = ()) -> str | None:
    """Return the real image behind any known proxy wrapper, normalized; None if unusable."""
    return _unwrap_with(url, _lower_prefixes(prefixes))


def is_junk_image(url: str, config: ThumbnailConfig) -> bool:
    """True for unusable, placeholder, ``undefined``, tracking-pixel and icon URLs.

    Boilerplate (an image shared by many articles of one source) is judged separately, over the
    whole corpus, by :func:`boilerplate_images`.
    """
    real = unwrap_image_url(url, config.unwrap)
    return real is None or _is_junk_normal(real, _host_rules(tuple(config.placeholders)))


def image_mime_type(url: str) -> str:
    """Guess the image's MIME type from its URL; ``image/jpeg`` when nothing tells."""
    data_type = _DATA_IMAGE.match(url.strip())
    if data_type:
        return _MIME_TYPES.get(data_type.group(1).lower(), _DEFAULT_MIME)
    for _ in range(_MAX_WRAPS):
        path, query = _path_and_query(url)
        hinted = _format_hint(path, query)
        if hinted:
            return hinted
        from_name = _mime_of_name(path.rpartition("/")[2])
        if from_name:
            return from_name
        inner = _inner_url(url, _BUILTIN_PREFIXES)
        if inner is None:
            return _mime_from_query_values(query) or _DEFAULT_MIME
        url = inner
    return _DEFAULT_MIME


def boilerplate_images(articles: Sequence[Article], threshold: int) -> frozenset[tuple[str, str]]:
    """The (source, image URL) pairs used by at least ``threshold`` articles of one source.

    URLs are compared unwrapped and normalized (with the built-in unwrap prefixes only).
    """
    cache: dict[str, str | None] = {}

    def unwrap(url: str) -> str | None:
        if url not in cache:
            cache[url] = unwrap_image_url(url)
        return cache[url]

    real_candidates = [tuple(map(unwrap, a.image_candidates)) for a in articles]
    return _count_boilerplate(articles, real_candidates, threshold)


def inline_thumbnail(article: Article, config: ThumbnailConfig) -> Article:
    """Put ``article.thumbnail`` atop its content unless the body shows it (``config.inline``).

    For a build that loads the HTML after choosing: ``article.thumbnail`` is the chosen URL,
    already proxied; the body's images are compared with it both as they are and unwrapped.
    """
    shown = normalize_url(article.thumbnail) if config.inline and article.thumbnail else None
    if shown is None:
        return article
    prefixes = _lower_prefixes(config.unwrap)

    def unwrap(url: str) -> str | None:
        return _unwrap_with(url, prefixes)

    real = unwrap(shown) or shown
    if _body_shows(article.content_html, real, shown, unwrap):
        return article
    return _replaced(article, article.thumbnail, _inline_html(shown) + article.content_html)


def source_of(article: Article) -> str:
    """The key that groups an article with its siblings: its author, else its top categories."""
    return article.author or "/".join(article.categories[:2])


# --- choosing ----------------------------------------------------------------------------------


class _HostRules:
    """Placeholder and tracker hosts -> the path prefixes that are junk there ("" = every path)."""

    def __init__(self, extra_placeholders: Sequence[str]) -> None:
        rules: dict[str, list[str]] = {host: [""] for host in _TRACKER_HOSTS}
        for entry in (*BUILTIN_PLACEHOLDERS, *extra_placeholders):
            parsed = _parse_placeholder(entry)
            if parsed:
                rules.setdefault(parsed[0], []).append(parsed[1])
        self._rules = {host: tuple(prefixes) for host, prefixes in rules.items()}
        self._by_host: dict[str, tuple[str, ...]] = {}  # cache: a host and its parent domains

    def is_junk(self, host: str, path: str) -> bool:
        prefixes = self._by_host.get(host)
        if prefixes is None:
            prefixes = self._by_host[host] = self._prefixes_for(host)
        return bool(prefixes) and any(path.startswith(p) for p in prefixes)

    def _prefixes_for(self, host: str) -> tuple[str, ...]:
        found: list[str] = []
        while True:  # a.b.example.com, b.example.com, example.com, com
            found.extend(self._rules.get(host, ()))
            dot = host.find(".")
            if dot < 0:
                return tuple(found)
            host = host[dot + 1 :]


@functools.lru_cache(maxsize=8)
def _host_rules(placeholders: tuple[str, ...]) -> _HostRules:
    return _HostRules(placeholders)


class _Chooser:
    """Per-build state: the config's rules and caches keyed by URL (many URLs repeat)."""

    def __init__(
        self, config: ThumbnailConfig, proxies: Mapping[str, str], *, prefiltered: bool = False
    ) -> None:
        self.prefiltered = prefiltered
        self.prefixes = _lower_prefixes(config.unwrap)
        self.hosts = _HostRules(config.placeholders)
        self.proxies = proxies
        self.inline = config.inline
        self._unwrapped: dict[str, str | None] = {}
        self._usable: dict[str, str | None] = {}

    def unwrap(self, url: str) -> str | None:
        if self.prefiltered:
            return url
        if url not in self._unwrapped:
            self._unwrapped[url] = _unwrap_with(url, self.prefixes)
        return self._unwrapped[url]

    def usable(self, url: str) -> str | None:
        """The real URL behind ``url`` if it is a usable image that no junk rule rejects."""
        if self.prefiltered:
            return url
        if url not in self._usable:
            real = self.unwrap(url)
            junk = real is None or _is_junk_normal(real, self.hosts)
            self._usable[url] = None if junk else real
        return self._usable[url]

    def choose(
        self,
        article: Article,
        real_candidates: tuple[str | None, ...],
        boilerplate: frozenset[tuple[str, str]],
    ) -> str | None:
        """The first usable candidate that is neither in removed junk nor boilerplate."""
        source = source_of(article)
        junk = {self.unwrap(u) for u in article.junk_images} if article.junk_images else ()
        for url in real_candidates:
            if url is None or url in junk or (source, url) in boilerplate:
                continue
            return url
        return None

    def apply(
        self,
        article: Article,
        real_candidates: tuple[str | None, ...],
        boilerplate: frozenset[tuple[str, str]],
    ) -> Article:
        real = self.choose(article, real_candidates, boilerplate)
        if real is None:
            if article.thumbnail is None:
                return article
            return _replaced(article, None, article.content_html)
        shown = self.proxied(real)
        content = article.content_html
        if self.inline and not _body_shows(content, real, shown, self.unwrap):
            content = _inline_html(shown) + content
        if shown == article.thumbnail and content is article.content_html:
            return article
        return _replaced(article, shown, content)

    def proxied(self, real: str) -> str:
        if not self.proxies:
            return real
        # A broken template (not http, bad characters) must not leak into the feed.
        return normalize_url(apply_image_proxy(real, self.proxies)) or real


def _body_shows(content: str, real: str, shown: str, unwrap: Callable[[str], str | None]) -> bool:
    """True when an ``<img>`` of ``content`` shows the image, proxied (``shown``) or not."""
    if "<img" not in content and "<IMG" not in content:
        return False
    # Quick answer for the usual serialization; normalized URLs need only "&" escaped.
    if f' src="{shown.replace("&", "&amp;")}"' in content:
        return True
    for match in _IMG_SRC.finditer(content):
        src = match.group(1) or match.group(2) or match.group(3) or ""
        if "&" in src:
            src = html.unescape(src)
        if src in (real, shown) or unwrap(src) == real:
            return True
    return False


def _inline_html(url: str) -> str:
    # url is normalized (no quotes, spaces or brackets left); escaping "&" keeps it valid HTML.
    return f'<p><img src="{html.escape(url, quote=True)}" alt=""></p>'


# dataclasses.replace costs 4 us an article on this project's machines: too much for 100,000
# articles. Copying the init fields positionally does the same at half the cost.
_INIT_FIELDS = tuple(f.name for f in dataclasses.fields(Article) if f.init)
_THUMBNAIL_AT = _INIT_FIELDS.index("thumbnail")
_CONTENT_AT = _INIT_FIELDS.index("content_html")
_init_values = operator.attrgetter(*_INIT_FIELDS)


def _replaced(article: Article, thumbnail: str | None, content_html: str) -> Article:
    """``dataclasses.replace(article, thumbnail=..., content_html=...)``, faster."""
    values = list(_init_values(article))
    values[_THUMBNAIL_AT] = thumbnail
    values[_CONTENT_AT] = content_html
    return Article(*values)


def _count_boilerplate(
    articles: Sequence[Article],
    real_candidates: Sequence[tuple[str | None, ...]],
    threshold: int,
) -> frozenset[tuple[str, str]]:
    # An article counts once per image however often it shows it, and re-scrapes of one story
    # (same guid) count once, so a film poster scraped three times is not mistaken for a logo.
    counted_by_story: dict[tuple[str, str], tuple[str | None, ...]] = {}
    counts_by_source: dict[str, dict[str | None, int]] = {}
    for article, real in zip(articles, real_candidates, strict=True):
        source = source_of(article)
        story = (source, article.guid or article.path)
        urls = set(real)
        counted = counted_by_story.get(story)
        if counted is None:
            counted_by_story[story] = real
        else:
            urls.difference_update(counted)
            counted_by_story[story] = (*counted, *urls)
        counts = counts_by_source.get(source)
        if counts is None:
            counts = counts_by_source[source] = {}
        for url in urls:
            counts[url] = counts.get(url, 0) + 1
    return frozenset(
        (source, url)
        for source, counts in counts_by_source.items()
        for url, n in counts.items()
        if n >= threshold and url is not None
    )


# --- junk rules --------------------------------------------------------------------------------


def _is_junk_normal(url: str, hosts: _HostRules) -> bool:
    """Junk checks on a URL already unwrapped and normalized (lowercase host, encoded path)."""
    netloc, slash, tail = url.partition("://")[2].partition("/")
    host = netloc.rpartition("@")[2]
    if not host.startswith("["):
        host = host.partition(":")[0]
    path, _, query = ("/" + tail if slash else "/").partition("#")[0].partition("?")
    return (
        hosts.is_junk(host, path)
        or "emoji" in host  # twemoji.maxcdn.com, emoji.slack-edge.com, ...
        or _looks_like_icon_or_pixel(path.lower(), query)
    )


def _looks_like_icon_or_pixel(path: str, query: str) -> bool:
    name = _strip_name_suffix(path[path.rfind("/") + 1 :])
    dot = name.rfind(".")
    ext = name[dot + 1 :] if dot >= 0 else ""
    if ext in _BAD_EXTS:
        return True
    if _ICON_HINT.search(path):  # cheap filter: most photo URLs stop here
        if _UNDEFINED_SEGMENT.search(path) or _JUNK_SEGMENT.search(path):
            return True
        if _PIXEL_NAME.match(name):
            return True
        words = set(_WORD_SPLIT.split(name))
        if words & _ALWAYS_JUNK_WORDS or (ext in _GRAPHIC_EXTS and words & _GRAPHIC_JUNK_WORDS):
            return True
    return "=1" in query and bool(_ONE_PIXEL_QUERY.search(query.lower()))


def _parse_placeholder(entry: str) -> tuple[str, str] | None:
    """``host`` or ``host/path`` (a scheme is tolerated) -> (host, encoded path prefix)."""
    text = re.sub(r"^[a-zA-Z][a-zA-Z0-9+.-]*://", "", entry.strip())
    url = normalize_url("http://" + text) if text else None
    if url is None:
        return None
    netloc, _, path = url[len("http://") :].partition("/")
    path = "/" + path
    return netloc.rpartition("@")[2].partition(":")[0], "" if path == "/" else path


# --- unwrapping and normalizing ----------------------------------------------------------------


def _lower_prefixes(extra: Sequence[str]) -> tuple[str, ...]:
    return tuple(p.strip().lower() for p in (*BUILTIN_UNWRAP, *extra) if p.strip())


def _unwrap_with(url: str, prefixes: tuple[str, ...]) -> str | None:
    if is_normal_url(url):
        # The common case, kept cheap: nothing in it could be a wrapped URL.
        low = url.lower()
        wrapped = "http" in low[7:] or "wsrv" in low or "weserv" in low
        if not wrapped and not low.startswith(prefixes):
            return url
    # Normalize before each look inside: "//proxy?x" and "https://proxy/?x" are one wrapper.
    for _ in range(_MAX_WRAPS):
        normal = normalize_url(url)
        inner = _inner_url(url, prefixes)
        if inner is None and normal:
            inner = _inner_url(normal, prefixes)
        if inner is None:
            return normal
        url = inner
    return normalize_url(url)


def _inner_url(url: str, prefixes: tuple[str, ...]) -> str | None:
    """The URL wrapped inside ``url`` by a proxy, or None when ``url`` is not a wrapper."""
    text = url.strip()
    low = text.lower()
    for prefix in prefixes:
        if low.startswith(prefix):
            return _decoded(text[len(prefix) :])
    # Cheap exit for the common case: nothing that could be an embedded URL or a known proxy.
    if "http" not in low[7:] and "weserv" not in low and "wsrv" not in low:
        return None
    try:
        parts = urlsplit(text)
        host = (parts.hostname or "").lower()
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https"):
        return None
    inner = _from_query_param(host, parts.query) if host in _QUERY_PROXIES else None
    if inner:
        return inner
    embedded = parts.path[1:]  # https://cors-anywhere.example/https://real/x.jpg
    start = text.find(embedded) if _EMBEDDED_URL.match(embedded) else -1
    if start > 0:
        return _decoded(text[start:])
    if _EMBEDDED_URL.match(parts.query):
        return _decoded(text.partition("?")[2])  # https://cors.example/?https://real/x.jpg
    return None


def _from_query_param(host: str, query: str) -> str | None:
    names = _QUERY_PROXIES[host]
    for name, value in parse_qsl(query, keep_blank_values=True):
        if name.lower() not in names:
            continue
        value = value.strip()
        if host in _SCHEMELESS_PROXIES and not re.match(r"^(?:https?:)?//", value, re.I):
            # weserv: "ssl:host/path" means https, a bare "host/path" means http.
            value = (
                "https://" + value[4:] if value.lower().startswith("ssl:") else "http://" + value
            )
        return value
    return None


def _decoded(inner: str) -> str:
    inner = inner.strip()
    return unquote(inner) if _ENCODED_URL.match(inner) else inner


# --- MIME types --------------------------------------------------------------------------------


def _path_and_query(url: str) -> tuple[str, str]:
    text = url.strip().partition("#")[0]
    path, _, query = text.partition("?")
    scheme_end = path.find("://")
    if scheme_end >= 0:
        path = "/" + path[scheme_end + 3 :].partition("/")[2]
    return unquote(path), unquote(query)


def _format_hint(path: str, query: str) -> str | None:
    for match in (*_FORMAT_HINT.finditer(query), *_CLOUDINARY_FORMAT.finditer(path + "/")):
        mime = _MIME_TYPES.get(match.group(1).lower())
        if mime:
            return mime
    return None


def _mime_of_name(name: str) -> str | None:
    # Bilibili serves "a.jpg@320w_200h.webp" as WebP; jandan's "a.jpg!custom" is still a JPEG.
    at_suffix = name.rpartition("@")[2] if "@" in name else ""
    for part in (at_suffix, _strip_name_suffix(name)):
        if "." in part:
            mime = _MIME_TYPES.get(part.rpartition(".")[2].lower())
            if mime:
                return mime
    return None


def _mime_from_query_values(query: str) -> str | None:
    # Bing's /th?id=OHR.Name_1920x1080.jpg&... names the file in the query.
    for match in _QUERY_EXT.finditer(query):
        mime = _MIME_TYPES.get(match.group(1).lower())
        if mime:
            return mime
    return None


def _strip_name_suffix(name: str) -> str:
    """Drop CDN style suffixes: ``a.jpg!custom`` and ``a.jpg@100w.webp`` -> ``a.jpg``."""
    return name.partition("!")[0].partition("@")[0]


__all__ = [
    "BUILTIN_PLACEHOLDERS",
    "BUILTIN_UNWRAP",
    "boilerplate_images",
    "choose_thumbnails",
    "image_mime_type",
    "inline_thumbnail",
    "is_junk_image",
    "source_of",
    "unwrap_image_url",
]
