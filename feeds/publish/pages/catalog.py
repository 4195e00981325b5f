"""What the pages are made of beyond the feeds, as the build hands it to the publishers.

Apart from the pages' renderer, so that a build without pages never imports Jinja2.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from feeds.models import Article

Texts = Callable[[Iterable[str]], Mapping[str, tuple[str, str]]]  # (HTML, summary) by path


@dataclass(frozen=True, slots=True)
class Catalog:
    """What the pages are made of beyond the feeds: every article, and how to get its HTML."""

    articles: Sequence[Article] = ()  # every article, newest first; without HTML when light
    stamps: Mapping[str, str] = field(default_factory=dict)  # article path -> source stamp
    thumbnails: Mapping[str, str] = field(default_factory=dict)  # article path -> image
    texts: Texts | None = None  # (HTML, summary) of light articles, by path
    pages: Mapping[str, str] = field(default_factory=dict)  # guid -> its page's path
    links: Mapping[str, str] = field(default_factory=dict)  # article path -> item link
    render: bool = True  # False: only say what the pages would be (feeds check)
