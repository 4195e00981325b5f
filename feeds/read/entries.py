"""The feed reader: each entry of a feed source is a source of its own.

Discovery fetches every feed source (``read.fetch``), conditionally, and makes one
``Source`` per entry: keyed by the feed and the entry's id, stamped by a hash of what the
entry says and how its feed is shaped, and carrying the entry's fields. So an unchanged
entry is a cache hit, a new one is one parse, and an unchanged feed (a 304) is not parsed
at all: its entries come from the record of its last good fetch, which the build keeps
between runs and hands over as two plain functions (``Memory``). A feed that cannot be
fetched or parsed is reported, and its entries of the last good fetch stay. An entry that
says nothing (no title, content, summary or link) is skipped when read, as an empty file is.

Shaping per feed (``SourceConfig``): ``filter`` / ``filterout`` regexes on chosen fields,
the newest ``limit`` entries, and ``brief``, a plain summary for a body.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import re
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from feeds.config import Config, SourceConfig, is_feed_url
from feeds.errors import ArticleError, wrapped_interruption
from feeds.models import FrontMatter, Problem, RawArticle, Source
from feeds.read.readers import ENTRY_KIND, Memory

if TYPE_CHECKING:
    from feeds.read.feedparse import FeedEntry, ParsedFeed
    from feeds.read.fetch import Response

KIND = ENTRY_KIND
FALLBACK_NAME = "the time the entry was first fetched"
_RECORD_VERSION = 1
MAX_WAIT = 24 * 3600  # seconds a server's Retry-After may keep its feed from being fetched


@dataclass(frozen=True, slots=True)
class Record:
    """A feed's last good fetch: its validators, its title and its entries (as JSON)."""

    etag: str | None = None
    last_modified: str | None = None
    title: str = ""
    entries: list[dict[str, Any]] = field(default_factory=list)
    digest: str = ""  # of the document: a server that sends no validators, unchanged
    not_before: int = 0  # POSIX seconds: the server asked not to be fetched before (429, 503)
    repaired: str = field(default="", compare=False)  # this fetch's, not kept

    def dump(self) -> bytes:
        values = [_RECORD_VERSION, self.etag, self.last_modified, self.title, self.entries]
        values += [self.digest, self.not_before]
        try:
            return json.dumps(values, ensure_ascii=False).encode()
        except UnicodeEncodeError:
            # A lone surrogate (a full text's, say: the parse repairs the feed's own) has no
            # UTF-8; in ASCII escapes json reads it back as it was, and no feed is lost.
            return json.dumps(values).encode("ascii")

    def validated(self, response: Response, digest: str | None = None) -> Record:
        """This record with a fetch's validators (and document digest)."""
        etag, modified = response.etag, response.last_modified
        return Record(etag, modified, self.title, self.entries, digest or self.digest)

    @classmethod
    def load(cls, data: bytes | None) -> Record | None:
        if not data:
            return None
        try:
            version, etag, modified, title, entries, digest, not_before = json.loads(data)
        except (ValueError, TypeError):
            return None  # another version's, or damaged: fetched afresh
        if version != _RECORD_VERSION or not isinstance(entries, list):
            return None
        if not all(isinstance(e, dict) and isinstance(e.get("id"), str) for e in entries):
            return None
        return cls(etag, modified, title, entries, str(digest), int(not_before))


def discover_entries(config: Config, memory: Memory) -> tuple[list[Source], list[Problem]]:
    """Every entry of every feed source, feed by feed in config order."""
    feeds = config.feed_sources
    if not feeds:
        return [], []
    records, problems = fetch_records(feeds, config, memory)
    problems += add_full_texts(feeds, records, config, memory)
    sources: dict[str, Source] = {}
    times: dict[str, int] = {}
    for feed in feeds:
        url = feed.feed or ""
        record = records.get(url)
        times[url] = times.get(url, 0) + 1
        # A feed listed twice (shaped two ways) is two sources: the second one's entries
        # are named apart.
        name = url if times[url] == 1 else f"{url} ({times[url]})"
        if record is not None:
            for source in entry_sources(feed, record, name):
                sources.setdefault(source.key, source)  # an id twice: the first stays
    return list(sources.values()), problems


def fetch_records(
    feeds: Sequence[SourceConfig], config: Config, memory: Memory
) -> tuple[dict[str, Record], list[Problem]]:
    """The record of each feed: fetched and parsed when it changed, else the last good one.

    A server that answered 429 or 503 with a Retry-After is not asked again before then
    (a day at most): its feed keeps its items, with a note.
    """
    from feeds.read.fetch import Request, fetch_all

    now = int(time.time())
    urls = list(dict.fromkeys(f.feed for f in feeds if f.feed))
    records = {url: Record.load(memory.recall(url)) for url in urls}
    waiting = {url for url, known in records.items() if known and known.not_before > now}
    requests = [
        Request(url, known.etag, known.last_modified) if known else Request(url)
        for url, known in records.items()
        if url not in waiting
    ]
    responses = fetch_all(requests, config.fetch)
    problems: list[Problem] = []
    kept: dict[str, Record] = {}
    for url, known in records.items():
        if known is not None and url in waiting:
            until = time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(known.not_before))
            reason = f"the server asked not to be fetched before {until}; its items are kept"
            problems.append(Problem(url, "fetch", reason, skipped=False))
            kept[url] = known
            continue
        record = _outcome(url, known, responses[url], now, memory, problems)
        if record is not None:
            kept[url] = record
    return kept, problems


def _outcome(
    url: str,
    known: Record | None,
    response: Response,
    now: int,
    memory: Memory,
    problems: list[Problem],
) -> Record | None:
    """The feed's record after ``response``: the new one, else the last good one (None:
    there is none); what went wrong goes to ``problems``, what changed to ``memory``."""
    stage, failure = "fetch", response.reason if response.status == "failed" else ""
    fresh = known
    digest = hashlib.sha256(response.body).hexdigest()[:32] if response.body else None
    if response.status == "ok" and not (known and digest == known.digest):
        try:
            fresh = parsed_record(response.body, response.content_type, url, known)
        except ArticleError as e:
            stage, failure = e.stage, e.reason
    if response.moved:
        reason = f"moved permanently to {response.moved}; name that URL in the config"
        problems.append(Problem(url, "fetch", reason, skipped=False))
    if fresh is not None and fresh.repaired:
        problems.append(Problem(url, "feed", fresh.repaired, skipped=False))
    if fresh is not None and response.status != "failed" and not failure:
        fresh = fresh.validated(response, digest)
        if fresh != known:  # a 304 with the same validators changes nothing
            memory.remember(url, fresh.dump())
        known = fresh
    if failure:
        kept_note = "; its items of the last good fetch are kept" if known else ""
        problems.append(Problem(url, stage, failure + kept_note))
    if response.retry_after:
        wait = min(response.retry_after, MAX_WAIT)
        known = dataclasses.replace(known or Record(), not_before=now + wait)
        memory.remember(url, known.dump())
    return known


def parsed_record(body: bytes, content_type: str, url: str, known: Record | None) -> Record:
    """The record of a freshly fetched feed; raises ArticleError when it is no feed.

    An entry seen before keeps the time it was first seen: an undated entry's date.
    """
    parsed = _parsed_feed(body, content_type, url)
    earlier = {e.get("id"): e for e in known.entries} if known else {}
    entries = []
    for entry in parsed.entries:
        data = entry.to_json()
        before = earlier.get(entry.id, {})
        data["seen"] = before.get("seen") or entry.seen
        data["full"] = before.get("full")  # an article's page is fetched once
        entries.append(data)
    return Record(title=parsed.title, entries=entries, repaired=parsed.repaired)


def _parsed_feed(body: bytes, content_type: str, url: str) -> ParsedFeed:
    """``parse_feed``'s feed; what a bug in reading it raises is an ArticleError too, so
    that one feed's document never stops the build, the check or the conversion of others."""
    from feeds.read.feedparse import parse_feed

    try:
        return parse_feed(body, content_type, url)
    except ArticleError:
        raise
    except Exception as e:  # a bug, not bad input: report the source, go on with the others
        if (interruption := wrapped_interruption(e)) is not None:
            raise interruption from None
        raise ArticleError("internal", f"{type(e).__name__}: {e}") from e


def add_full_texts(
    feeds: Sequence[SourceConfig], records: dict[str, Record], config: Config, memory: Memory
) -> list[Problem]:
    """The full text of the entries that ``full_text`` feeds show and that have none yet:
    each entry's link fetched once (and only http(s) links: a feed cannot make this tool
    read a local file; nor, unless the feed is there too, an address of a private network:
    it cannot have a page of an intranet published), the article extracted, kept in the
    feed's record. An entry whose page fails keeps the feed's content, with a note, and is
    not tried again."""
    wanted: dict[str, set[str]] = {}  # feed -> ids of the entries to complete
    for feed in feeds:
        record = records.get(feed.feed or "")
        if not feed.full_text or record is None:
            continue
        for entry in shaped_entries(feed, record):
            if entry.full is None and entry.link and is_feed_url(entry.link):
                wanted.setdefault(feed.feed or "", set()).add(entry.id)
    if not wanted:
        return []
    from feeds.read.fetch import Request, fetch_all, public_only
    from feeds.read.fulltext import extract_article

    links = {
        e["link"] for url, ids in wanted.items() for e in records[url].entries if e["id"] in ids
    }
    requests = [Request(link) for link in sorted(links)]
    pages = fetch_all(requests, config.fetch, guard=public_only(wanted))
    problems = []
    for url, ids in wanted.items():
        record = records[url]
        entries = []
        for data in record.entries:
            if data["id"] in ids:
                full, why = extract_article(pages[data["link"]])
                data = {**data, "full": full}
                if why:
                    reason = f"{data['link']}: {why}; the feed's content is kept"
                    problems.append(Problem(f"{url}#{data['id']}", "full text", reason, False))
            entries.append(data)
        records[url] = dataclasses.replace(record, entries=entries)
        memory.remember(url, records[url].dump())
    return problems


def entry_sources(feed: SourceConfig, record: Record, name: str = "") -> list[Source]:
    """The sources of a feed's entries that its shaping keeps, newest first, named after
    the feed (``name``, else its URL) and their ids."""
    url = feed.feed or ""
    name = name or url
    path = feed.categories or [record.title or _feed_name(url)]
    sources = []
    for entry in shaped_entries(feed, record):
        body = entry.full if feed.full_text and entry.full else entry.body
        # The feed's path, and with tags on each of the entry's own categories as a path of
        # its own: the feed's path is not made longer by them.
        own = [[c] for c in entry.categories] if feed.tags else []
        front = {
            "title": entry.title,
            "categories": [*path, *(c for (c,) in own)],
            "paths": [path, *own] if own else [],
            "author": entry.author,
            "date": entry.date,
            "images": entry.images,
            "link": entry.link,
            "body": brief(body, feed.brief) if feed.brief else body,
            "seen": entry.seen,
        }
        if entry.says_nothing():
            # Refused when read (``refuse_empty_entry``), and so stamped apart from the
            # junk item an earlier version cached for it
            front["empty"] = True
        data = json.dumps(front, ensure_ascii=False, sort_keys=True)
        stamp = hashlib.sha256(data.encode("utf-8", "surrogatepass")).hexdigest()[:24]
        key = f"{name}#{entry.id}"
        sources.append(Source(KIND, key, key, stamp, data))
    return sources


def shaped_entries(feed: SourceConfig, record: Record) -> list[FeedEntry]:
    """The entries of a feed that its filters keep, newest first, at most its limit."""
    from feeds.read.feedparse import FeedEntry

    entries = [FeedEntry.from_json(e) for e in record.entries]
    entries = [e for e in entries if passes(e, feed)]
    entries.sort(key=lambda e: e.date or "", reverse=True)  # ISO 8601 in UTC sorts as text
    return entries if feed.limit is None else entries[: feed.limit]


def _feed_name(url: str) -> str:
    """A feed's category when it names none and has no title: its host, or its file name."""
    if is_feed_url(url):
        return urlsplit(url).hostname or url
    return url.rstrip("/").rsplit("/", 1)[-1]


def passes(entry: FeedEntry, feed: SourceConfig) -> bool:
    """Whether an entry is kept by the feed's ``filter`` and ``filterout`` (RSSHub's: a
    regex searched in each chosen field; ``(?i)`` ignores case)."""
    if feed.filter is None and feed.filterout is None:
        return True
    fields = filter_texts(entry, feed.filter_fields)
    if feed.filter is not None and not any(re.search(feed.filter, t) for t in fields):
        return False
    return feed.filterout is None or not any(re.search(feed.filterout, t) for t in fields)


def filter_texts(entry: FeedEntry, names: Sequence[str]) -> list[str]:
    from feeds.clean.text import plain_text

    # Made only for the fields asked for: the description's text is a parse of the body.
    texts: dict[str, Callable[[], list[str]]] = {
        "title": lambda: [entry.title],
        "description": lambda: [plain_text(entry.body)],
        "author": lambda: [entry.author],
        "category": lambda: list(entry.categories),
        "link": lambda: [entry.link or ""],
    }
    return [text for name in names for text in texts[name]()]


def brief(body: str, length: int) -> str:
    """A body's plain text, cut to ``length`` characters, as one paragraph."""
    from html import escape

    from feeds.clean.text import plain_text, summarize

    return f"<p>{escape(summarize(plain_text(body), length))}</p>"


def read_entry(source: Source, config: Config) -> RawArticle:
    """An entry's fields, as discovery found them, as a reader gives them."""
    try:
        front = json.loads(source.data)
    except ValueError:
        raise ArticleError("read", "the entry's fields were not handed over") from None
    refuse_empty_entry(front)
    fields = FrontMatter(
        title=front["title"] or None,
        categories=tuple(front["categories"]),
        category_paths=tuple(tuple(p) for p in front.get("paths", ())),
        author=front["author"] or None,
        date=front["date"],
        images=tuple(front["images"]),
        link=front["link"],
    )
    return RawArticle(source, fields, front["body"], front["seen"] or None, FALLBACK_NAME)


EMPTY_ENTRY = "an empty entry (no title, content, summary or link)"


def refuse_empty_entry(front: Mapping[str, Any]) -> None:
    """Raise ArticleError for the fields of an entry that says nothing (``{}`` in a JSON
    Feed, an empty ``<item/>``): published, it would be an item named after its feed."""
    if front.get("empty"):
        raise ArticleError("read", EMPTY_ENTRY)
