"""What the pages are made of beyond the feeds, as the build hands it to the publishers.

Apart from the pages' renderer, so that a build without pages never imports Jinja2.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from feeds.models import Article

if TYPE_CHECKING:
    from feeds.group.feeds import Listing

Texts = Callable[[Iterable[str]], Mapping[str, tuple[str, str]]]  # (HTML, summary) by path


@dataclass(frozen=True, slots=True)
class Catalog:
    """What the pages are made of beyond the feeds: every article (or, in a build that only
    adds articles, the few it looks at), and how to get its HTML."""

    articles: Sequence[Article] = ()  # every article, newest first; without HTML when light
    stamps: Mapping[str, str] = field(default_factory=dict)  # article path -> source stamp
    thumbnails: Mapping[str, str] = field(default_factory=dict)  # article path -> image
    texts: Texts | None = None  # (HTML, summary) of light articles, by path
    pages: Mapping[str, str] = field(default_factory=dict)  # guid -> its page's path
    links: Mapping[str, str] = field(default_factory=dict)  # article path -> item link
    render: bool = True  # False: only say what the pages would be (feeds check)
    listings: Mapping[str, Listing] = field(default_factory=dict)  # feed name -> its listing
    # A build that only adds articles (see group.index): the fingerprints of the last
    # build's pages (article pages and listings, no other output), which it checked are as
    # that build left them; a page this one does not make again (every article's but the
    # new ones', most listing pages) stays so.
    # None: every page is made again, and its fingerprint compared.
    carried: Mapping[str, str] | None = None
