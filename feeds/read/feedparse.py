"""A feed document's entries: RSS 0.9x/1.0/2.0 and Atom 0.3/1.0 by feedparser, JSON Feed
1.0/1.1 by a small reader of its own (feedparser reads no JSON).

Each entry keeps its id, link, title, dates, author, categories, enclosures and media
thumbnails; its content, else its summary, is its body. A document that is not a feed (an
HTML page), or XML that is not well-formed (a body cut short), raises ``ArticleError``: its
earlier items are better than a part of it.
"""

from __future__ import annotations

import calendar
import hashlib
import html
import json
import re
import time
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

from feeds.errors import ArticleError

_JSON_FEED = "https://jsonfeed.org/version/"
# The end tag of a whole feed, then only blanks and comments
_ENDS_WHOLE = re.compile(
    rb"</(?:[\w.-]+:)?(?:rss|feed|RDF)\s*>\s*(?:<!--.*?-->\s*)*\Z", re.IGNORECASE | re.DOTALL
)


@dataclass(frozen=True, slots=True)
class FeedEntry:
    """One entry as the feed gave it, in plain values (kept as JSON between runs)."""

    id: str
    title: str = ""
    link: str | None = None
    date: str | None = None  # ISO 8601, published else updated
    updated: str | None = None
    author: str = ""
    categories: list[str] = field(default_factory=list)
    body: str = ""  # HTML: the content, else the summary
    summary: str = ""  # HTML or text, as the feed gave it (may repeat the body)
    images: list[str] = field(default_factory=list)  # media thumbnails, image enclosures
    enclosures: list[tuple[str, str, int]] = field(default_factory=list)  # url, type, length
    seen: int = 0  # when it was first fetched (POSIX seconds): the date of an undated entry
    full: str | None = None  # the article from its page (full_text); "": tried, none found

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> FeedEntry:
        """The entry of ``to_json``'s value; keys it does not know are left out."""
        values = {k: v for k, v in data.items() if k in _FIELDS}
        values["enclosures"] = [tuple(e) for e in values.get("enclosures", [])]
        return cls(**values)


_FIELDS = frozenset(FeedEntry.__slots__)


@dataclass(frozen=True, slots=True)
class ParsedFeed:
    title: str
    link: str | None
    entries: list[FeedEntry]
    repaired: str = ""  # what was wrong with a document read all the same


def parse_feed(
    body: bytes, content_type: str = "", base: str = "", *, now: int | None = None
) -> ParsedFeed:
    """The entries of a feed document (relative links read against ``base``, its URL);
    raises ArticleError("feed", why) when it is none."""
    seen = int(time.time()) if now is None else now
    if body.lstrip()[:1] == b"{" or "json" in content_type:
        return _parse_json_feed(body, seen)
    return _parse_xml_feed(body, content_type, base, seen)


def _parse_xml_feed(body: bytes, content_type: str, base: str, seen: int) -> ParsedFeed:
    import xml.sax

    import feedparser

    headers = {"content-type": content_type} if content_type else {}
    if base.startswith(("http://", "https://")):
        headers["content-location"] = base
    parsed = feedparser.parse(body, response_headers=headers, sanitize_html=False)
    error = parsed.get("bozo_exception")
    if not parsed.get("version"):
        start = body.lstrip()[:40].decode("ascii", "replace").lower()
        shown = "an HTML page" if "<html" in start or "<!doctype" in start else "no RSS or Atom"
        raise ArticleError("feed", f"not a feed ({shown})")
    repaired = ""
    if isinstance(error, xml.sax.SAXException):
        # Real feeds hold HTML entities (&nbsp;) and bare ampersands, which feedparser reads
        # leniently; a document that stops before its root's end tag was cut short, and a
        # part of it must not replace the whole of the last good fetch.
        if not _ENDS_WHOLE.search(body[-200:]):
            raise ArticleError("feed", f"XML cut short (no end tag of the feed): {error}")
        repaired = f"not well-formed XML ({error}); read leniently"
    meta = parsed.get("feed", {})
    entries = [_entry(e, i, seen) for i, e in enumerate(parsed.get("entries", []))]
    return ParsedFeed(_text(meta.get("title")), meta.get("link"), entries, repaired)


def _entry(entry: dict[str, Any], index: int, seen: int) -> FeedEntry:
    link = entry.get("link") or None
    title = _text(entry.get("title"))
    # dict.get: feedparser's own get gives the published date for a missing updated one
    # (its issue 310), with a DeprecationWarning.
    published = _iso(dict.get(entry, "published_parsed")) or _iso(entry.get("created_parsed"))
    updated = _iso(dict.get(entry, "updated_parsed"))
    summary = _html_of(entry.get("summary_detail")) or html.escape(entry.get("summary", ""))
    contents = [_html_of(c) for c in entry.get("content", [])]
    body = next((c for c in contents if c), "") or summary
    author = (entry.get("author_detail") or {}).get("name") or entry.get("author") or ""
    images: list[str] = []
    enclosures: list[tuple[str, str, int]] = []
    for thumb in entry.get("media_thumbnail", []):
        images.append(thumb.get("url", ""))
    for media in entry.get("media_content", []):
        if media.get("medium") == "image" or media.get("type", "").startswith("image/"):
            images.append(media.get("url", ""))
    for enclosure in entry.get("enclosures", []):
        url, kind = enclosure.get("href", ""), enclosure.get("type", "")
        if kind.startswith("image/"):
            images.append(url)
        elif url:
            enclosures.append((url, kind, _int(enclosure.get("length"))))
    tags = [t.get("label") or t.get("term") or "" for t in entry.get("tags", [])]
    return FeedEntry(
        id=entry.get("id") or link or _made_id(title, published or updated, body, index),
        title=title,
        link=link,
        date=published or updated,
        updated=updated,
        author=_text(author),
        categories=[t for t in tags if t.strip()],
        body=_with_enclosures(body, enclosures),
        summary=summary,
        images=[url for url in dict.fromkeys(images) if url],
        enclosures=enclosures,
        seen=seen,
    )


def _html_of(detail: Mapping[str, Any] | None) -> str:
    """A content or summary as HTML: feedparser gives HTML and XHTML as markup (the XHTML
    ``div``'s inside), text as it is, to be escaped."""
    if not detail:
        return ""
    value = str(detail.get("value", ""))
    if detail.get("type", "text/html") in ("text/html", "application/xhtml+xml"):
        return value
    return "".join(f"<p>{html.escape(line)}</p>" for line in value.splitlines() if line.strip())


def _with_enclosures(body: str, enclosures: Sequence[tuple[str, str, int]]) -> str:
    """A podcast's audio, a PDF: kept as links under the body, where every reader shows them."""
    links = "".join(
        f'<p><a href="{html.escape(url)}">{html.escape(url.rsplit("/", 1)[-1] or url)}</a>'
        f"{f' ({html.escape(kind)})' if kind else ''}</p>"
        for url, kind, _ in enclosures
    )
    return body + links


def _iso(parsed: time.struct_time | None) -> str | None:
    """feedparser's UTC struct_time as ISO 8601 text."""
    if not parsed:
        return None
    try:
        seconds = calendar.timegm(parsed)
    except (OverflowError, ValueError, TypeError):
        return None
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(seconds))


def _text(value: object) -> str:
    return str(value).strip() if value else ""


def _int(value: object) -> int:
    try:
        return max(0, int(str(value)))
    except ValueError:
        return 0


def _made_id(title: str, date: str | None, body: str, index: int) -> str:
    """An id for an entry that gives none, no link either: what it says, not where it is."""
    text = f"{title}\n{date}\n{body[:500]}" if (title or body) else f"#{index}"
    return "urn:sha256:" + hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:32]


# --- JSON Feed ---------------------------------------------------------------------------------


def _parse_json_feed(body: bytes, seen: int) -> ParsedFeed:
    try:
        data = json.loads(body.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise ArticleError("feed", f"not a feed (JSON that does not parse: {e})") from None
    if not isinstance(data, dict) or not str(data.get("version", "")).startswith(_JSON_FEED):
        raise ArticleError("feed", "not a feed (JSON without a JSON Feed version)")
    items = data.get("items")
    if not isinstance(items, list):
        raise ArticleError("feed", "JSON Feed without an items list")
    entries = [_json_entry(item, i, seen) for i, item in enumerate(items) if isinstance(item, dict)]
    link = data.get("home_page_url")
    return ParsedFeed(_text(data.get("title")), link if isinstance(link, str) else None, entries)


def _json_entry(item: Mapping[str, Any], index: int, seen: int) -> FeedEntry:
    link = _string(item.get("url")) or _string(item.get("external_url"))
    title = _string(item.get("title"))
    published = _utc_text(_string(item.get("date_published")))
    updated = _utc_text(_string(item.get("date_modified")))
    text = _string(item.get("content_text"))
    summary = html.escape(_string(item.get("summary")))
    body = _string(item.get("content_html")) or _html_of({"value": text, "type": "text/plain"})
    authors = _list(item.get("authors")) or [item.get("author")]
    names = [_string(a.get("name")) for a in authors if isinstance(a, dict)]
    images = [_string(item.get("image")), _string(item.get("banner_image"))]
    enclosures: list[tuple[str, str, int]] = []
    for attachment in _list(item.get("attachments")):
        if not isinstance(attachment, dict) or not _string(attachment.get("url")):
            continue
        url, kind = _string(attachment.get("url")), _string(attachment.get("mime_type"))
        if kind.startswith("image/"):
            images.append(url)
        else:
            enclosures.append((url, kind, _int(attachment.get("size_in_bytes"))))
    tags = [_string(t) for t in _list(item.get("tags")) if _string(t).strip()]
    given = item.get("id")
    made = link or _made_id(title, published, body, index)
    return FeedEntry(
        # JSON Feed's id is a string; a number is taken as one, anything else is none
        id=str(given) if isinstance(given, str | int | float) and given != "" else made,
        title=title,
        link=link or None,
        date=published or updated,
        updated=updated,
        author=", ".join(n for n in names if n),
        categories=tags,
        body=_with_enclosures(body or summary, enclosures),
        summary=summary,
        images=[url for url in dict.fromkeys(images) if url],
        enclosures=enclosures,
        seen=seen,
    )


def _utc_text(date: str) -> str | None:
    """An RFC 3339 date in UTC, as feedparser's dates are (so that dates sort as text); a
    date in another shape as it is, for the date reader."""
    if not date:
        return None
    try:
        parsed = datetime.fromisoformat(date)
    except ValueError:
        return date
    if parsed.tzinfo is None:
        return date
    return parsed.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _list(value: object) -> list[Any]:
    return value if isinstance(value, list) else []


def _string(value: object) -> str:
    return value if isinstance(value, str) else ""
