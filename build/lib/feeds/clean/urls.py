"""URL hygiene shared by the cleaning, thumbnail and rendering stages."""

from __future__ import annotations

import re
from collections.abc import Mapping
from urllib.parse import quote, urljoin, urlsplit, urlunsplit

# Characters that may stay as they are in a URI (RFC 3986 reserved + unreserved + '%').
# Everything else (spaces, quotes, backslashes, non-ASCII) is percent-encoded, because a raw
# one inside RSS HTML makes the W3C validator reject the feed.
_SAFE = "/:?#[]@!$&()*+,;=-._~%"
_BAD_PERCENT = re.compile(r"%(?![0-9A-Fa-f]{2})")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_NEEDS_QUOTING = re.compile(r"[^A-Za-z0-9/:?#\[\]@!$&()*+,;=\-._~%]|%(?![0-9A-Fa-f]{2})")
# Lower-case http(s), a plain host, a path and maybe a query of URI characters only.
_PLAIN_URL = re.compile(
    r"https?://[a-z0-9](?:[a-z0-9.-]*[a-z0-9])?(?::[0-9]{1,5})?"
    r"/[A-Za-z0-9\-._~!$&()*+,;=:@/%]*(?:\?[A-Za-z0-9\-._~!$&()*+,;=:@/?%]+)?"
)
# A raster picture inlined as base64: never SVG, which can hold script.
RASTER_DATA_URL = re.compile(
    r"data:image/(?:png|jpe?g|gif|webp|avif|bmp);base64,[a-z0-9+/=\s]+", re.IGNORECASE
)


def normalize_url(
    url: str | None, base: str | None = None, *, allow_data: bool = False
) -> str | None:
    """Return ``url`` as an absolute, percent-encoded http(s) URL, or None if it is unusable.

    ``//host/path`` takes https; relative URLs are resolved against ``base`` when given.
    Anything that is not http(s) after that (``javascript:``, ``vbscript:``, ``file:``...)
    is refused. ``data:image`` rasters pass only with ``allow_data``.
    """
    if url and is_normal_url(url):
        return url  # the common case, kept cheap: it would come out of _parsed unchanged
    return _parsed(url, base, allow_data=allow_data)


def is_normal_url(url: str) -> bool:
    """True when ``url`` is already what normalize_url makes (checked without parsing it)."""
    return bool(_PLAIN_URL.fullmatch(url)) and ("%" not in url or not _BAD_PERCENT.search(url))


def _parsed(url: str | None, base: str | None, *, allow_data: bool) -> str | None:
    if not url:
        return None
    url = _CONTROL.sub("", url.strip())
    if not url:
        return None
    if allow_data and RASTER_DATA_URL.fullmatch(url):
        return url.replace("\n", "").replace(" ", "")
    if url.startswith("//"):
        url = "https:" + url
    elif base and not re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*:", url):
        url = urljoin(base, url)
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return None
    return _encode(parts.scheme.lower(), parts.netloc, parts.path, parts.query, parts.fragment)


def _encode(scheme: str, netloc: str, path: str, query: str, fragment: str) -> str | None:
    try:
        netloc = netloc.encode("idna").decode("ascii") if not netloc.isascii() else netloc
    except UnicodeError:
        return None
    if any(c in netloc for c in ' "\\<>`{}|^'):
        return None

    def enc(s: str) -> str:
        if not _NEEDS_QUOTING.search(s):
            return s  # the common case: nothing to escape
        return quote(_BAD_PERCENT.sub("%25", s), safe=_SAFE)

    return urlunsplit((scheme, netloc.lower(), enc(path) or "/", enc(query), enc(fragment)))


def host_of(url: str) -> str:
    try:
        return (urlsplit(url).hostname or "").lower()
    except ValueError:
        return ""


def apply_image_proxy(url: str, proxies: Mapping[str, str]) -> str:
    """Rewrite ``url`` through the template configured for its host (or a parent domain).

    Templates use ``{url}`` (the URL as is) or ``{url_encoded}`` (fully percent-encoded),
    e.g. ``https://images.weserv.nl/?url={url_encoded}`` for hotlink-protected hosts.
    """
    host = host_of(url)
    for pattern, template in proxies.items():
        pattern = pattern.lower().lstrip(".")
        if host == pattern or host.endswith("." + pattern):
            return template.replace("{url_encoded}", quote(url, safe="")).replace("{url}", url)
    return url
