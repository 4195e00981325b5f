"""Image URLs: the real one behind a proxy, the junk rules (placeholders, pixels), the MIME type."""

from __future__ import annotations

import re
from collections.abc import Sequence
from urllib.parse import parse_qsl, unquote, urlsplit

from feeds.clean.urls import is_normal_url, normalize_url

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


_BUILTIN_PREFIXES = tuple(p.lower() for p in BUILTIN_UNWRAP)


_MAX_WRAPS = 4  # nested proxies deeper than this are not worth following


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


class HostRules:
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


def is_junk_normal(url: str, hosts: HostRules) -> bool:
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


def lower_prefixes(extra: Sequence[str]) -> tuple[str, ...]:
    return tuple(p.strip().lower() for p in (*BUILTIN_UNWRAP, *extra) if p.strip())


def unwrap_with(url: str, prefixes: tuple[str, ...]) -> str | None:
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
