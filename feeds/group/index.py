"""The feeds' index: what a build that only adds files needs of the last build's grouping.

Picking a feed's items walks its members newest first and stops at its last item
(``newest_unique``): nothing past it changes what the feed shows. The index keeps each
feed's walk (the light articles it looked at), with the sources the build was made of, the
problems their articles had and the thumbnails' boilerplate counts. A build whose sources
are the last build's, each unchanged and in the same order, plus some new ones, walks each
feed again over its old walk and the new articles that fall inside it, not over every
article: the same walk a full build makes, so the same items, copies and summaries
compared. Whatever the index cannot show to be so gives up the shortcut (``None``): a new
category, a category path that could differ, a boilerplate count that could reach the
threshold, a walk that runs out before its feed is full (a new article made an old item a
copy, so the feed needs articles past the old walk).

With pages, the index also keeps each feed's listing (how many articles it lists, and the
newest ``2 * pages.per_page`` of them): a build that only adds articles newer than every
one their feeds list makes their pages, the listing pages they change and the index, and
carries every other page over (see ``publish.pages.site.listing_pages``); the build gives
that up when a new article's guid is listed already, or a page is not as the last build
left it.

The index is only asked when its key (``state.index_key``: the version, the config, the
templates and the manifest the last build wrote) is the build's: any config change, any
output the manifest lists differently, goes the full way.
"""

from __future__ import annotations

import dataclasses
import hashlib
import operator
from collections.abc import Iterable, Mapping, Sequence

import msgspec

from feeds.clean.thumbnail import COUNTED_FROM, source_of
from feeds.config import Config
from feeds.group.feeds import (
    ISOLATE_SLUGS_FROM,
    FeedNodes,
    Grouping,
    Listing,
    Plan,
    category_slugs,
    newest_first,
)
from feeds.group.slug import SlugProcess
from feeds.models import Article, Problem, Source

# An index whose walks hold more articles than this is not kept (a very large ``limit``):
# decoding it would cost what the shortcut saves.
_MAX_WALKED = 20_000

Pair = tuple[str, str]  # (source_of(article), image URL)


class FeedIndex(msgspec.Struct, array_like=True):
    root: str  # what every source's key starts with
    keys: list[str]  # the sources' keys less ``root``, in the build's order
    stamps: bytes  # a hash of their stamps, in that order
    articles: int  # how many of them gave an article
    problems: list[Problem]  # the sources' problems (skipped files, notes), in source order
    problem_sources: list[int]  # the position of each problem's source
    walked: list[Article]  # the light articles of every feed's walk, each once
    walked_sources: list[int]  # the position of each one's source
    all_walk: list[int]  # the feed of all articles: its walk (positions in ``walked``)
    all_cut: bool  # whether its walk stopped at its limit (else it is all its members)
    walks: dict[str, tuple[list[int], bool]]  # category feed name -> its walk, and cut
    paths: dict[str, tuple[str, ...]]  # category feed name -> its category path
    boilerplate: list[Pair]  # the boilerplate images, by source
    # Upper bounds of the stories of a source that show an image, for every pair whose
    # count may be COUNTED_FROM or more and is not boilerplate; any other is below it.
    counts: list[tuple[str, str, int]]
    # With pages: each feed's listing (by feed name), as how many articles it lists and the
    # newest of them (positions in ``listed``), as many as the changed listing pages of a
    # build that adds newer articles show (publish.pages.site.listing_pages).
    listings: dict[str, tuple[int, list[int]]]
    listed: list[Article]  # the light articles of those, each once


_ENCODER = msgspec.msgpack.Encoder()
_DECODER = msgspec.msgpack.Decoder(FeedIndex)


def encode(index: FeedIndex) -> bytes:
    return _ENCODER.encode(index)


def decode(data: bytes) -> FeedIndex | None:
    try:
        return _DECODER.decode(data)
    except msgspec.DecodeError:
        return None


def usable(config: Config) -> bool:
    """Whether a build of ``config`` can keep an index: files only (a feed's entries are
    reported apart)."""
    return not config.feed_sources


# --- the shortcut --------------------------------------------------------------------------------


def added_sources(index: FeedIndex, sources: Sequence[Source]) -> list[int] | None:
    """The positions in ``sources`` of those the index lacks, when every source it holds
    is there, unchanged, in the same order; else None."""
    root = index.root
    added = _insertions(list(map(_key_of, sources)), [root + key for key in index.keys])
    if added is None:
        return None
    stamps = list(map(_stamp_of, sources))
    if len(added) <= _FEW_ADDED:
        for i in reversed(added):
            del stamps[i]
    else:
        gone = set(added)
        stamps = [stamp for i, stamp in enumerate(stamps) if i not in gone]
    return added if _stamps_digest(stamps) == index.stamps else None


# Up to this many added sources are taken out of the list one by one, more in one pass.
_FEW_ADDED = 20
# Keys compared a block at a time (a list comparison in C), one by one only in a block
# where one was added.
_BLOCK = 1024


def _insertions(now: list[str], old: list[str]) -> list[int] | None:
    """The positions of the keys of ``now`` that ``old`` lacks, when ``old`` is ``now``
    without them (nothing else missing, nothing moved); else None."""
    added: list[int] = []
    extra = len(now) - len(old)
    i = j = 0
    while i < len(now):
        end = min(i + _BLOCK, len(now))
        if now[i:end] == old[j : j + end - i]:
            i, j = end, j + end - i
            continue
        while i < end and j < len(old) and now[i] == old[j]:
            i, j = i + 1, j + 1
        if i < end:  # now[i] is not the next old key: added (keys are unique)
            added.append(i)
            if len(added) > extra:
                return None
            i += 1
    return added if j == len(old) else None


_key_of = operator.attrgetter("key")
_stamp_of = operator.attrgetter("stamp")


def _stamps_digest(stamps: list[str]) -> bytes:
    # Encoded as a list first: each stamp's length is in it, so no two lists run together.
    return hashlib.sha256(_ENCODER.encode(stamps)).digest()


def problems_in_order(
    index: FeedIndex, added: Sequence[int], new: Sequence[tuple[int, Problem]]
) -> tuple[list[Problem], list[int]]:
    """The index's problems and ``new`` ones (each with its source's position), in source
    order; with each one's source position."""
    merged = [
        (_moved(position, added), number, problem)
        for number, (position, problem) in enumerate(
            zip(index.problem_sources, index.problems, strict=True)
        )
    ]
    # A new source's problems come after those of the old sources before it, in order.
    merged += [(position, len(merged) + n, problem) for n, (position, problem) in enumerate(new)]
    merged.sort(key=lambda item: (item[0], item[1]))
    return [p for _, _, p in merged], [position for position, _, _ in merged]


def walked_sources(
    index: FeedIndex, sources: Sequence[Source], added: Sequence[int]
) -> dict[str, int] | None:
    """Where the source of each walked article now is, by path; None if one is not there
    (a source holds another path now)."""
    found = {}
    for article, old in zip(index.walked, index.walked_sources, strict=True):
        position = _moved(old, added)
        if position >= len(sources) or sources[position].rel != article.path:
            return None
        found[article.path] = position
    return found


def _moved(old_position: int, added: Sequence[int]) -> int:
    """Where the source at ``old_position`` among the old sources now is."""
    position = old_position
    for at in added:  # few, in order
        if at > position:
            break
        position += 1
    return position


def plan_with_added(
    index: FeedIndex,
    new: Sequence[Article],
    config: Config,
    known_slugs: Mapping[str, str],
    slug_helper: SlugProcess | None,
) -> Plan | None:
    """The plan of the last build's walks with ``new`` articles in them; None when a new
    article opens a feed the index does not know, or names a known one by another path."""
    nodes = FeedNodes(config)
    added: dict[str, list[Article]] = {}
    for article in new:
        for name, path in nodes.of(article).items():
            if index.paths.get(name) != path:
                return None
            added.setdefault(name, []).append(article)
    walked = index.walked
    members = {
        name: _with_added([walked[i] for i in walk], added.get(name, ()), cut)
        for name, (walk, cut) in index.walks.items()
    }
    everything = _with_added([walked[i] for i in index.all_walk], new, index.all_cut)
    # As plan_feeds asks: a slug process for a large archive only.
    large = index.articles + len(new) >= ISOLATE_SLUGS_FROM
    slugs = category_slugs(members, config, known_slugs, helper=slug_helper if large else None)
    return Plan(everything, members, slugs, dict(index.paths))


def _with_added(walk: list[Article], added: Iterable[Article], cut: bool) -> list[Article]:
    """The walk with the added articles that fall inside it (all of them, when it is not
    cut), newest first."""
    inside = [a for a in added if not cut or _before(a, walk[-1])]
    return newest_first(walk + inside) if inside else walk


def _before(a: Article, b: Article) -> bool:
    """Whether ``a`` comes before ``b`` in ``newest_first`` order."""
    if a.date != b.date:
        return a.date > b.date
    return (a.guid, a.path) < (b.guid, b.path)


def listings_with_added(
    index: FeedIndex, new: Sequence[Article], config: Config
) -> dict[str, Listing] | None:
    """Each feed's listing with the new articles first; None unless every new article is
    newer than every article its feeds list (a listing page past the newest few would
    show others). The caller has seen that their guids are new, and once each: each is
    then listed once, and has a page of its own."""
    nodes = FeedNodes(config)
    added: dict[str, list[Article]] = {name: [] for name in index.listings}
    for article in newest_first(new):
        for name in nodes.names_of(article):
            if name in added:
                added[name].append(article)
    listings = {}
    for name, (count, positions) in index.listings.items():
        newest = [index.listed[i] for i in positions]
        more = added[name]
        if more and newest and not _before(more[-1], newest[0]):
            return None
        listings[name] = Listing(count + len(more), more + newest)
    return listings


def walks_complete(index: FeedIndex, grouping: Grouping, limit: int) -> bool:
    """Whether every feed whose walk was cut is full: else its walk ran out of the
    articles the index holds, and a full walk would have gone on."""
    for feed in grouping.feeds:
        cut = index.all_cut if not feed.name else index.walks[feed.name][1]
        if cut and len(feed.articles) < limit:
            return False
    return True


def boilerplate_unchanged(index: FeedIndex, new: Sequence[Article], threshold: int) -> bool:
    """Whether the new articles leave every (source, image) pair on its side of the
    threshold: no pair's count can reach it that was below it."""
    boilerplate = set(index.boilerplate)
    bounds = {(source, url): n for source, url, n in index.counts}
    for pair, more in _new_pairs(new).items():
        if pair not in boilerplate and bounds.get(pair, COUNTED_FROM - 1) + more >= threshold:
            return False
    return True


def _new_pairs(new: Sequence[Article]) -> dict[Pair, int]:
    """How many of the new articles show each (source, image) pair."""
    found: dict[Pair, int] = {}
    for article in new:
        source = source_of(article)
        for url in set(article.image_candidates):
            found[(source, url)] = found.get((source, url), 0) + 1
    return found


# --- making it -----------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True, slots=True)
class Counts:
    """The thumbnails' boilerplate, and the upper bounds of the other pairs' counts."""

    boilerplate: frozenset[Pair]
    bounds: Mapping[Pair, int]

    def with_added(self, new: Sequence[Article]) -> Counts:
        bounds = dict(self.bounds)
        for pair, more in _new_pairs(new).items():
            if pair not in self.boilerplate:
                bounds[pair] = bounds.get(pair, COUNTED_FROM - 1) + more
        return Counts(self.boilerplate, bounds)


def counts_of(index: FeedIndex) -> Counts:
    bounds = {(source, url): n for source, url, n in index.counts}
    return Counts(frozenset(index.boilerplate), bounds)


def make_index(
    sources: Sequence[Source],
    articles: int,
    problems: list[Problem],
    owners: list[int],
    plan: Plan,
    grouping: Grouping,
    counts: Counts,
    limit: int,
    listings: Mapping[str, Listing] | None = None,
    newest: int = 0,
    source_of_path: Mapping[str, int] | None = None,
) -> FeedIndex | None:
    """The index of a build, from its plan and its picked feeds (before their HTML is
    loaded), with the ``newest`` first articles of each of its ``listings`` (with pages);
    None when its walks are too large to be worth keeping. ``source_of_path`` gives the
    position of an article's source, when known, by path."""
    walked: dict[str, int] = {}
    pool: list[Article] = []

    def positions(walk: Sequence[Article]) -> list[int]:
        found = []
        for article in walk:
            at = walked.get(article.path)
            if at is None:
                at = walked[article.path] = len(pool)
                pool.append(article)
            elif pool[at] is not article:
                raise ValueError(f"two articles of one path: {article.path}")
            found.append(at)
        return found

    all_walk: list[int] = []
    all_cut = False
    walks: dict[str, tuple[list[int], bool]] = {}
    try:
        for feed in grouping.feeds:
            members = plan.articles if not feed.name else plan.members[feed.name]
            walk, cut = _walk_of(members, feed.articles, limit)
            if not feed.name:
                all_walk, all_cut = positions(walk), cut
            else:
                walks[feed.name] = positions(walk), cut
            if len(pool) > _MAX_WALKED:
                return None
    except ValueError:
        return None  # paths not unique: the walks cannot be told apart by path
    at = _positions(sources, [a.path for a in pool], source_of_path or {})
    if at is None:
        return None
    listed = _listed(listings or {}, newest)
    if listed is None:
        return None
    keys = list(map(_key_of, sources))
    root = _common_start(keys)
    return FeedIndex(
        root=root,
        keys=list(map(operator.itemgetter(slice(len(root), None)), keys)),
        stamps=_stamps_digest(list(map(_stamp_of, sources))),
        articles=articles,
        problems=problems,
        problem_sources=owners,
        walked=pool,
        walked_sources=at,
        all_walk=all_walk,
        all_cut=all_cut,
        walks=walks,
        paths={name: plan.paths[name] for name in walks},
        boilerplate=sorted(counts.boilerplate),
        counts=sorted((s, u, n) for (s, u), n in counts.bounds.items()),
        listings=listed[0],
        listed=listed[1],
    )


def _listed(
    listings: Mapping[str, Listing], newest: int
) -> tuple[dict[str, tuple[int, list[int]]], list[Article]] | None:
    """The listings as the index keeps them: each one's count and its ``newest`` first
    articles, each article once; None when they are too many to be worth keeping."""
    at: dict[int, int] = {}  # by id: the listings hold every one meanwhile
    listed: list[Article] = []
    kept = {}
    for name, listing in listings.items():
        positions = []
        for article in listing.newest[:newest]:
            position = at.get(id(article))
            if position is None:
                position = at[id(article)] = len(listed)
                listed.append(article)
            positions.append(position)
        kept[name] = (listing.total, positions)
        if len(listed) > _MAX_WALKED:
            return None
    return kept, listed


def _walk_of(
    members: Sequence[Article], items: Sequence[Article], limit: int
) -> tuple[Sequence[Article], bool]:
    """The members a pick looked at (up to its last item, when it stopped at ``limit``),
    and whether it stopped there."""
    if len(items) < limit:
        return members, False
    last = items[-1]
    end = next(i for i, article in enumerate(members) if article is last)
    return members[: end + 1], True


def _common_start(keys: Sequence[str]) -> str:
    """The longest string every key starts with: that of the first and last in order."""
    if not keys:
        return ""
    first, last = min(keys), max(keys)
    length = 0
    for a, b in zip(first, last, strict=False):
        if a != b:
            break
        length += 1
    return first[:length]


def _positions(
    sources: Sequence[Source], paths: Sequence[str], known: Mapping[str, int]
) -> list[int] | None:
    """The position of the source of each path in ``sources``: from ``known``, else
    found; None if one has none."""
    missing = {path for path in paths if path not in known}
    found = dict(known)
    if missing:
        found |= {s.rel: i for i, s in enumerate(sources) if s.rel in missing}
    if not all(path in found for path in paths):
        return None
    return [found[path] for path in paths]
