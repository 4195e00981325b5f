"""Fixtures: a CLI runner, and project folders over real article files (see tests.helpers)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from tests.helpers import make_site


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture
def site(tmp_path: Path) -> Callable[..., Path]:
    def _site(articles: Path | None = None, **settings: Any) -> Path:
        return make_site(tmp_path / "site", articles, **settings)

    return _site
