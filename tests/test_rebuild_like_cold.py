"""A rebuild after any change writes what a cold build of the same tree writes, byte for
byte: whatever the cache's snapshot, the thumbnails' counts and the feeds' order kept, a
rebuild must not be told from a build that starts afresh."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from tests.helpers import CORPUS, MANIFEST, comparable_outputs, make_site, write_article
from tests.helpers import build_json as build

LOGO = "https://img.example.com/site/share-banner.jpg"


def _new_newest(articles: Path) -> None:
    write_article(
        articles,
        "new/newest.md",
        title="最新的一篇",
        categories=("金融", "科技"),
        date="Mon, 06 May 2024 08:00:00 GMT",
        body="<p>今天的新闻。</p>",
    )


def _new_in_known_categories(articles: Path) -> None:
    write_article(
        articles,
        "new/known.md",
        title="已有分类里的新一篇",
        categories=("金融", "36kr"),
        date="Tue, 07 May 2024 08:00:00 GMT",
        body="<p>另一条今天的新闻。</p>",
    )


def _copy_of_an_article(articles: Path) -> None:
    first = sorted(articles.rglob("*.md"))[0]
    (articles / "new" / "copy.md").write_bytes(first.read_bytes())  # the same story again


def _changed_title(articles: Path) -> None:
    path = sorted(articles.rglob("*.md"))[3]
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("title:", "title: 改过的", 1), encoding="utf-8")


def _deleted(articles: Path) -> None:
    sorted(p for p in articles.rglob("*.md") if "new" not in p.parts)[5].unlink()


def _boilerplate_of_one_author(articles: Path) -> None:
    # Three stories of one author with one image: it becomes boilerplate, and an older
    # story of that author that showed it loses its thumbnail.
    for i in range(3):
        body = f'<p>第{i}条。</p><p><img src="{LOGO}"></p><p><img src="https://img.example.com/{i}.jpg"></p>'
        write_article(
            articles,
            f"new/logo{i}.md",
            title=f"图{i}",
            categories=("科技",),
            date=f"Sun, 05 May 2024 0{i}:00:00 GMT",
            body=body,
            extra="author: 同一个作者\n",
        )


def _deleted_newest(articles: Path) -> None:
    (articles / "new" / "newest.md").unlink()


def _outputs(folder: Path) -> tuple[dict[str, bytes], dict[str, Any], dict[str, str]]:
    """Every output file's bytes but the manifest's; the manifest less its slugs; its slugs."""
    files = comparable_outputs(folder)
    manifest = json.loads(files.pop(MANIFEST))
    return files, manifest, manifest.pop("slugs")


# Each step, and whether its rebuild picks from the last build's walks (group.index) and
# not from every article: only a build whose change is added files can; None: it may,
# the walks decide.
STEPS: list[tuple[Callable[[Path], None], bool | None]] = [
    (_new_newest, False),  # a new category
    (_new_in_known_categories, True),
    (_copy_of_an_article, None),
    (_changed_title, False),
    (_deleted, False),
    (_boilerplate_of_one_author, False),  # its image becomes boilerplate
    (_deleted_newest, False),
]


@pytest.mark.parametrize("limit", [3, 50])
def test_each_rebuild_writes_what_a_cold_build_of_its_tree_writes(
    runner: CliRunner, tmp_path: Path, limit: int, full_lookups: list[int]
) -> None:
    settings = {"pages": False, "limit": limit, "categories": {"mode": "flat"}}
    config = make_site(tmp_path / "site", CORPUS, **settings)
    site = config.parent
    build(runner, config)
    for number, (step, shortcut) in enumerate(STEPS):
        step(site / "articles")
        before = len(full_lookups)
        rebuilt = build(runner, config, "--prune")  # a feed left empty goes, as cold has none
        if shortcut is not None:
            assert (len(full_lookups) == before) == shortcut, step.__name__
        cold_config = site / f"cold{number}.yaml"
        cold_settings = yaml.safe_load(config.read_text(encoding="utf-8"))
        cold_settings |= {"output": f"cold{number}", "cache": {"path": f"cold{number}.sqlite"}}
        cold_config.write_text(yaml.safe_dump(cold_settings, allow_unicode=True), "utf-8")
        cold = build(runner, cold_config)
        assert rebuilt["parsed"] < cold["parsed"], step.__name__  # a rebuild, not afresh
        files, manifest, slugs = _outputs(site / "output")
        cold_files, cold_manifest, cold_slugs = _outputs(site / f"cold{number}")
        assert (files, manifest) == (cold_files, cold_manifest), step.__name__
        # A rebuild remembers the slug of a feed it pruned, so that it comes back as it was
        assert cold_slugs.items() <= slugs.items(), step.__name__
        assert rebuilt["problems"] == cold["problems"], step.__name__
        shutil.rmtree(site / f"cold{number}")
