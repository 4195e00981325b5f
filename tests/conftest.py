"""Fixtures: a CLI runner, and project folders over real article files (see tests.helpers)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from feeds.models import Source
from feeds.state.cache import ArticleCache
from tests.helpers import make_site


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture
def site(tmp_path: Path) -> Callable[..., Path]:
    def _site(articles: Path | None = None, **settings: Any) -> Path:
        return make_site(tmp_path / "site", articles, **settings)

    return _site


@pytest.fixture
def full_lookups(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The cache's full lookups, as they happen (each runs as it would, only counted): a
    build that takes the shortcut of group.index makes none."""
    calls: list[int] = []
    lookup = ArticleCache.lookup

    def counted(cache: ArticleCache, sources: list[Source]) -> tuple[dict[str, Any], list[Source]]:
        calls.append(len(sources))
        return lookup(cache, sources)

    monkeypatch.setattr(ArticleCache, "lookup", counted)
    return calls
