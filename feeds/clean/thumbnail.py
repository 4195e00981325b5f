"""Choose each article's thumbnail: the first candidate that is real, not junk, not boilerplate.

The archive's front matter cannot be trusted: a third of the thumbnails are random
``picsum.photos`` placeholders, Sina Finance puts the same QR-code promo on every item, some are
wrapped in a dead CORS proxy, some are ``.../p/undefined``. So every candidate (front matter
fields first, then the cleaned body's images) is unwrapped, normalized and checked when its
article is read (``usable_images``), and at build time the first one that is not boilerplate
wins. Boilerplate (one image on many articles of one source) is counted over the whole corpus in
one pass before any choice, so the result never depends on file order.
"""

from __future__ import annotations

import dataclasses
import functools
import html
import itertools
import re
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from types import MappingProxyType

from feeds.clean.images import HostRules, is_junk_normal, lower_prefixes, unwrap_with
from feeds.clean.urls import apply_image_proxy, normalize_url
from feeds.config import ThumbnailConfig
from feeds.models import Article, Feed

_IMG_SRC = re.compile(
    r"<[iI][mM][gG]\b[^>]*?\s[sS][rR][cC]\s*=\s*(?:\"([^\"]*)\"|'([^']*)'|([^\s>]+))"
)
_NO_PROXIES: Mapping[str, str] = MappingProxyType({})
_NO_COUNTS: Mapping[tuple[str, str], int] = MappingProxyType({})
# Pairs shown by fewer stories than this are not counted one by one (see ChosenThumbnails)
COUNTED_FROM = 2


# --- public API --------------------------------------------------------------------------------


def choose_thumbnail_urls(
    articles: Sequence[Article],
    config: ThumbnailConfig,
    proxies: Mapping[str, str] = _NO_PROXIES,
) -> ChosenThumbnails:
    """The thumbnail chosen for each article that gets one (proxied), by article path.

    The articles are as the reader makes them (feeds/article.py): their candidates went through
    ``usable_images`` and their junk images through ``real_images``, so only the corpus-wide
    boilerplate count is left to do. The choice is made on the real URL; ``proxies``
    (CleanConfig.image_proxy) is applied to the winner only. No new articles are made: a build
    keeps 100k light articles in memory, and a second set of them would double that;
    ``with_thumbnails`` gives them their thumbnails once their HTML is loaded.
    """
    # An article without a candidate gets none, and counts for no image.
    with_images = [(a, source_of(a)) for a in articles if a.image_candidates]
    counted = _count_stories(with_images, min(config.boilerplate_threshold, COUNTED_FROM))
    threshold = config.boilerplate_threshold
    boilerplate = frozenset(pair for pair, n in counted.items() if n >= threshold)
    near = {pair: n for pair, n in counted.items() if n < threshold}
    return ChosenThumbnails(with_images, boilerplate, proxies, near)


class ChosenThumbnails(Mapping[str, str]):
    """Each article's chosen thumbnail, by path, chosen the first time it is asked for.

    The boilerplate count needs every article; the choice only those shown: a build
    without pages asks for its feeds' few hundred items, not for each of 100k articles.
    """

    def __init__(
        self,
        with_images: Sequence[tuple[Article, str]],
        boilerplate: frozenset[tuple[str, str]],
        proxies: Mapping[str, str],
        near: Mapping[tuple[str, str], int] = _NO_COUNTS,
    ) -> None:
        # By path, each with its source. A build's paths are its sources' names, each once;
        # should two articles share one, the last that gets a thumbnail gives it, as a dict
        # filled in order would.
        self._candidates = {article.path: (article, source) for article, source in with_images}
        self._shared: dict[str, list[tuple[Article, str]]] = {}
        if len(self._candidates) < len(with_images):
            for article, source in with_images:
                self._shared.setdefault(article.path, []).append((article, source))
        # What a build that only adds articles needs to tell whether they change the
        # boilerplate (group.index): the boilerplate pairs, and the counts of the others
        # shown by COUNTED_FROM stories or more (every other pair is below it).
        self.boilerplate = boilerplate
        self.near = near
        self._proxies = proxies
        self._chosen: dict[str, str | None] = {}

    def _choice(self, path: str) -> str | None:
        chosen = self._chosen
        if path in chosen:
            return chosen[path]
        shared = self._shared.get(path)
        if shared is None:  # one article of this path, as nearly always
            article, source = self._candidates[path]
            url = _choose(article, source, self.boilerplate)
        else:
            urls = [u for a, s in shared if (u := _choose(a, s, self.boilerplate)) is not None]
            url = urls[-1] if urls else None
        chosen[path] = url = None if url is None else _proxied(url, self._proxies)
        return url

    def __getitem__(self, path: str) -> str:
        url = self.get(path)
        if url is None:
            raise KeyError(path)
        return url

    def get(self, path: str, default: str | None = None) -> str | None:  # type: ignore[override]
        # Asked of every article of a site with pages: without the KeyError of those
        # that have no thumbnail, which Mapping.get would raise and catch.
        url = self._choice(path) if path in self._candidates else None
        return default if url is None else url

    def __iter__(self) -> Iterator[str]:
        return (path for path in self._candidates if self._choice(path) is not None)

    def __len__(self) -> int:
        return sum(1 for _ in self)


def usable_images(urls: Sequence[str], config: ThumbnailConfig) -> tuple[str, ...]:
    """The real URLs of ``urls`` that no junk rule rejects, in order, without repeats.

    Done once per article when it is read (and cached), so choosing among 100k articles
    needs only the corpus-wide boilerplate count.
    """
    rules = _rules_for(tuple(config.unwrap), tuple(config.placeholders))
    return tuple(dict.fromkeys(u for u in map(rules.usable, urls) if u is not None))


def real_images(urls: Sequence[str], config: ThumbnailConfig) -> tuple[str, ...]:
    """``urls`` unwrapped and normalized, the unusable ones left out."""
    rules = _rules_for(tuple(config.unwrap), tuple(config.placeholders))
    return tuple(dict.fromkeys(u for u in map(rules.unwrap, urls) if u is not None))


@functools.lru_cache(maxsize=4)
def _rules_for(unwrap: tuple[str, ...], placeholders: tuple[str, ...]) -> _ImageRules:
    return _ImageRules(unwrap, placeholders)


def inline_thumbnail(article: Article, config: ThumbnailConfig) -> Article:
    """Put ``article.thumbnail`` atop its content unless the body shows it (``config.inline``).

    For a build that loads the HTML after choosing: ``article.thumbnail`` is the chosen URL,
    already proxied; the body's images are compared with it both as they are and unwrapped.
    """
    shown = normalize_url(article.thumbnail) if config.inline and article.thumbnail else None
    if shown is None:
        return article
    prefixes = lower_prefixes(config.unwrap)

    def unwrap(url: str) -> str | None:
        return unwrap_with(url, prefixes)

    real = unwrap(shown) or shown
    if _body_shows(article.content_html, real, shown, unwrap):
        return article
    return article.replaced(content_html=_inline_html(shown) + article.content_html)


def with_thumbnails(
    feeds: Sequence[Feed], thumbnails: Mapping[str, str], config: ThumbnailConfig
) -> list[Feed]:
    """The feeds, each article given its chosen thumbnail (``choose_thumbnail_urls``), shown
    atop its content when ``config.inline`` asks and the body does not show it already."""
    done: dict[str, Article] = {}  # an article in several feeds is made once

    def thumbnailed(article: Article) -> Article:
        if article.path not in done:
            chosen = article.replaced(thumbnail=thumbnails.get(article.path))
            done[article.path] = inline_thumbnail(chosen, config)
        return done[article.path]

    return [
        dataclasses.replace(feed, articles=tuple(map(thumbnailed, feed.articles))) for feed in feeds
    ]


def source_of(article: Article) -> str:
    """The key that groups an article with its siblings: its author, else its top categories."""
    return article.author or "/".join(article.categories[:2])


# --- choosing ----------------------------------------------------------------------------------


class _ImageRules:
    """The config's unwrap and junk rules, and caches keyed by URL (many URLs repeat)."""

    def __init__(self, unwrap: Sequence[str], placeholders: Sequence[str]) -> None:
        self.prefixes = lower_prefixes(unwrap)
        self.hosts = HostRules(placeholders)
        self._unwrapped: dict[str, str | None] = {}
        self._usable: dict[str, str | None] = {}

    def unwrap(self, url: str) -> str | None:
        if url not in self._unwrapped:
            self._unwrapped[url] = unwrap_with(url, self.prefixes)
        return self._unwrapped[url]

    def usable(self, url: str) -> str | None:
        """The real URL behind ``url`` if it is a usable image that no junk rule rejects."""
        if url not in self._usable:
            real = self.unwrap(url)
            junk = real is None or is_junk_normal(real, self.hosts)
            self._usable[url] = None if junk else real
        return self._usable[url]


def _choose(article: Article, source: str, boilerplate: frozenset[tuple[str, str]]) -> str | None:
    """The first candidate that is neither in removed junk nor boilerplate (of ``source``)."""
    junk = set(article.junk_images) if article.junk_images else ()
    for url in article.image_candidates:
        if url in junk or (source, url) in boilerplate:
            continue
        return url
    return None


def _proxied(real: str, proxies: Mapping[str, str]) -> str:
    if not proxies:
        return real
    # A broken template (not http, bad characters) must not leak into the feed.
    return normalize_url(apply_image_proxy(real, proxies)) or real


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
    # No Referer: hotlink-protected hosts (sinaimg) refuse a request that names another site.
    return f'<p><img src="{html.escape(url, quote=True)}" alt="" referrerpolicy="no-referrer"></p>'


def _count_boilerplate(
    articles: Sequence[tuple[Article, str]], threshold: int
) -> frozenset[tuple[str, str]]:
    """The (source, URL) pairs of images that ``threshold`` stories or more of one source
    show; ``articles`` are each with its source (``source_of``)."""
    return frozenset(_count_stories(articles, threshold))


def _count_stories(
    articles: Sequence[tuple[Article, str]], at_least: int
) -> dict[tuple[str, str], int]:
    """How many stories of one source show each image, for the (source, URL) pairs that
    ``at_least`` stories or more show; ``articles`` are each with its source."""
    # The candidates are the usable ones only: junk, which never wins, is not counted.
    # An article counts once per image however often it shows it, and re-scrapes of one story
    # (same guid) count once, so a film poster scraped three times is not mistaken for a logo.
    # Each story's images as a set, by source; then each source's counts made in C.
    stories_by_source: dict[str, dict[str, set[str]]] = {}
    for article, source in articles:
        stories = stories_by_source.get(source)
        if stories is None:
            stories = stories_by_source[source] = {}
        story = article.guid or article.path
        images = set(article.image_candidates)
        counted = stories.get(story)
        stories[story] = images if counted is None else counted | images
    return {
        (source, url): n
        for source, stories in stories_by_source.items()
        for url, n in Counter(itertools.chain.from_iterable(stories.values())).items()
        if n >= at_least
    }
