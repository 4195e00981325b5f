"""Shared fixtures: real article files in temporary folders, and a CLI runner."""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "tests" / "data"  # copies of real files, so that a plain clone runs the suite
CORPUS = DATA / "corpus-sample"  # the sample of the real archive
SEED = DATA / "seed"  # the article this project started from
EXAMPLES = ROOT / "examples" / "articles"
REAL_FILES = sorted(  # every real article we have: the sample archive and the seed
    path for folder in (CORPUS, SEED) for path in folder.rglob("*") if path.is_file()
)
FIXED_MTIME = 1_650_000_000  # 2022-04-15: makes mtime-dated articles reproducible


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def write_article(
    folder: Path,
    name: str,
    *,
    title: str = "标题",
    categories: tuple[str, ...] = ("金融",),
    date: str = "Thu, 26 May 2022 12:04:07 GMT",
    body: str = "<p>正文内容。</p>",
    extra: str = "",
) -> Path:
    """Write one article in the archive's own shape (blank line, front matter, div body)."""
    cats = "".join(f" - {c}\n" for c in categories)
    text = (
        f"\n---\ntitle: {yaml.safe_dump(title, allow_unicode=True).splitlines()[0]}\n"
        f"categories: \n{cats}author: {categories[-1]}\ncomments: false\n"
        f"date: {date}\n{extra}---\n\n<div>   \n{body}\n</div>            "
    )
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def make_site(root: Path, articles: Path | None = None, **settings: object) -> Path:
    """A project folder with a config.yaml; returns the config path."""
    root.mkdir(parents=True, exist_ok=True)
    source = root / "articles"
    if articles is not None:
        shutil.copytree(articles, source)
        fix_mtimes(source)
    else:
        source.mkdir(exist_ok=True)
    config = {"sources": ["articles"], "output": "output", "cache": {"path": "cache.sqlite"}}
    config.update(settings)
    path = root / "config.yaml"
    path.write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    return path


def fix_mtimes(folder: Path) -> None:
    for path in folder.rglob("*"):
        os.utime(path, (FIXED_MTIME, FIXED_MTIME), follow_symlinks=False)


@pytest.fixture
def site(tmp_path: Path) -> Callable[..., Path]:
    def _site(articles: Path | None = None, **settings: object) -> Path:
        return make_site(tmp_path / "site", articles, **settings)

    return _site


def comparable_outputs(folder: Path) -> dict[str, bytes]:
    """Every file's bytes but the lock's, the manifest as ``comparable_manifest`` has it."""
    files = {p.name: p.read_bytes() for p in folder.iterdir() if p.suffix != ".lock"}
    if ".feeds-manifest.json" in files:
        files[".feeds-manifest.json"] = comparable_manifest(files[".feeds-manifest.json"])
    return files


def comparable_manifest(data: bytes) -> bytes:
    """The manifest with the size of each file it records, not its mtime: two folders
    written at different times differ in their files' mtimes only."""
    manifest = json.loads(data)
    manifest["stats"] = {name: size for name, (size, _) in manifest["stats"].items()}
    return json.dumps(manifest, ensure_ascii=False, indent=2).encode()
