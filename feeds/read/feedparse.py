"""A feed document's entries: RSS 0.9x/1.0/2.0 and Atom 0.3/1.0 by feedparser, JSON Feed
1.0/1.1 by a small reader of its own (feedparser reads no JSON).

Each entry keeps its id, link, title, dates, author, categories, enclosures and media
thumbnails; its content, else its summary, is its body. A document that is not a feed (an
HTML page), or XML that is not well-formed (a body cut short), raises ``ArticleError``: its
earlier items are better than a part of it.

Text that names a lone UTF-16 surrogate (``&#xDCFF;``, ``"\\udcff"``) has no UTF-8, so no
cache, record or output can hold it: it is read as U+FFFD, with a note.
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

from feeds.errors import ArticleError, wrapped_interruption

_JSON_FEED = "https://jsonfeed.org/version/"
# The end tag of a whole feed, then only blanks and comments
_ENDS_WHOLE = re.compile(
    rb"</(?:[\w.-]+:)?(?:rss|feed|RDF)\s*>\s*(?:<!--.*?-->\s*)*\Z", re.IGNORECASE | re.DOTALL
)
# A character reference that names no character: a UTF-16 surrogate (D800-DFFF, in hex or
# decimal), or a number past U+10FFFF. XML forbids them; expat refuses the document, and
# feedparser's lenient parser, which then reads it, raises on them (``chr(c).encode()``,
# ``chr(c)``) instead of reading on. A run of them is one match: a surrogate pair written as
# two references (JavaScript's way with an emoji) is the one character it encodes.
_NO_CHAR_REF = (
    rb"&#(?:[xX]0*(?:[dD][89a-fA-F][0-9a-fA-F]{2}|1[1-9a-fA-F][0-9a-fA-F]{4}"
    rb"|[2-9a-fA-F][0-9a-fA-F]{5}|[1-9a-fA-F][0-9a-fA-F]{6,})"
    rb"|0*(?:5[5-7][0-9]{3}|[1-9][0-9]{6,}));"  # decimal: candidates, checked by number
)
_NO_CHAR_REFS = re.compile(rb"(?:%s)+" % _NO_CHAR_REF)
_CHAR_REF = re.compile(rb"&#([xX]?)([0-9a-fA-F]+);")
# A JSON escape of a surrogate: json.loads joins a pair, one left alone stays a surrogate
_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F]")
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")
# The notes of those repairs
_LONE_REFS = "character references to no character (like &#xDCFF;) read as U+FFFD"
_PAIRED_REFS = "surrogate pairs written as two character references joined"
_LONE_ESCAPES = "escapes of a lone surrogate (like \\uDCFF) read as U+FFFD"


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

    def says_nothing(self) -> bool:
        """No title, no content or summary, no link: nothing a reader could be shown (an
        ``<item/>``, a JSON Feed's ``{}``), whatever id, date or picture it has."""
        return not (self.link or self.title.strip() or self.body.strip() or self.summary.strip())

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
    body, lone, pairs = _with_char_refs_repaired(body)
    try:
        parsed = feedparser.parse(body, response_headers=headers, sanitize_html=False)
    except Exception as e:  # feedparser's own failure on input it cannot read: the source's
        if (interruption := wrapped_interruption(e)) is not None:
            raise interruption from None
        raise ArticleError("feed", f"unreadable ({type(e).__name__}: {e})") from None
    error = parsed.get("bozo_exception")
    if not parsed.get("version"):
        start = body.lstrip()[:40].decode("ascii", "replace").lower()
        shown = "an HTML page" if "<html" in start or "<!doctype" in start else "no RSS or Atom"
        raise ArticleError("feed", f"not a feed ({shown})")
    repaired = _joined(_counted(lone, _LONE_REFS), _counted(pairs, _PAIRED_REFS))
    if isinstance(error, xml.sax.SAXException):
        # Real feeds hold HTML entities (&nbsp;) and bare ampersands, which feedparser reads
        # leniently; a document that stops before its root's end tag was cut short, and a
        # part of it must not replace the whole of the last good fetch.
        if not _ENDS_WHOLE.search(body[-200:]):
            raise ArticleError("feed", f"XML cut short (no end tag of the feed): {error}")
        repaired = _joined(repaired, f"not well-formed XML ({error}); read leniently")
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


def _with_char_refs_repaired(body: bytes) -> tuple[bytes, int, int]:
    """``body`` with each character reference that names no character made ``&#xFFFD;``
    and each surrogate pair's two made the one character; how many of each there were.

    Done on the bytes, before feedparser, which raises on them: any encoding that writes
    ASCII as ASCII (UTF-8, GB18030, Shift_JIS...) holds them as written here. (In UTF-16,
    feedparser's failure is reported as the source's.)"""
    pieces: list[bytes] = []
    start = lone = pairs = 0
    for run in _NO_CHAR_REFS.finditer(body):
        fixed, run_lone, run_pairs = _repaired_refs(run[0])
        pieces += [body[start : run.start()], fixed]
        start, lone, pairs = run.end(), lone + run_lone, pairs + run_pairs
    if not (lone or pairs):
        return body, 0, 0
    pieces.append(body[start:])
    return b"".join(pieces), lone, pairs


def _repaired_refs(run: bytes) -> tuple[bytes, int, int]:
    """A run of references as characters; how many named none, how many pairs were joined."""
    refs = [(m[0], int(m[2], 16 if m[1] else 10)) for m in _CHAR_REF.finditer(run)]
    out: list[bytes] = []
    lone = pairs = i = 0
    while i < len(refs):
        text, code = refs[i]
        low = refs[i + 1][1] if i + 1 < len(refs) else 0
        if 0xD800 <= code <= 0xDBFF and 0xDC00 <= low <= 0xDFFF:
            out.append(b"&#x%X;" % (0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)))
            pairs, i = pairs + 1, i + 2
            continue
        if 0xD800 <= code <= 0xDFFF or code > 0x10FFFF:
            out.append(b"&#xFFFD;")
            lone += 1
        else:
            out.append(text)  # a decimal candidate that is a character after all
        i += 1
    return b"".join(out), lone, pairs


def _without_lone_surrogates(value: Any) -> tuple[Any, int]:
    """A parsed JSON value with each lone surrogate in its strings (keys too) made U+FFFD,
    and how many there were."""
    if isinstance(value, str):
        return _LONE_SURROGATE.subn("\ufffd", value)
    if isinstance(value, list):
        done = [_without_lone_surrogates(v) for v in value]
        return [v for v, _ in done], sum(n for _, n in done)
    if isinstance(value, dict):
        keys, in_keys = _without_lone_surrogates(list(value))
        values, in_values = _without_lone_surrogates(list(value.values()))
        return dict(zip(keys, values, strict=True)), in_keys + in_values
    return value, 0


def _counted(count: int, what: str) -> str:
    return f"{count} {what}" if count else ""


def _joined(*notes: str) -> str:
    return "; ".join(n for n in notes if n)


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
    surrogates = 0
    if _SURROGATE_ESCAPE.search(body):  # else json.loads made none: no walk through it all
        data, surrogates = _without_lone_surrogates(data)
    if not isinstance(data, dict) or not str(data.get("version", "")).startswith(_JSON_FEED):
        raise ArticleError("feed", "not a feed (JSON without a JSON Feed version)")
    items = data.get("items")
    if not isinstance(items, list):
        raise ArticleError("feed", "JSON Feed without an items list")
    entries = [_json_entry(item, i, seen) for i, item in enumerate(items) if isinstance(item, dict)]
    link = data.get("home_page_url")
    repaired = _counted(surrogates, _LONE_ESCAPES)
    title = _text(data.get("title"))
    return ParsedFeed(title, link if isinstance(link, str) else None, entries, repaired)


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
