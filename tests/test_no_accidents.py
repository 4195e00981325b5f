"""A build never empties what earlier builds published by accident; --force says it is meant."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import yaml
from typer.testing import CliRunner

from feeds.cli import app
from tests.helpers import build_json, comparable_outputs, make_site, write_article


def two_sources(root: Path) -> Path:
    """A site reading two folders, a/ (金融, two articles) and b/ (科技, one)."""
    config = make_site(root)
    for folder, category, count in (("a", "金融", 2), ("b", "科技", 1)):
        for i in range(count):
            date = f"2022-05-0{i + 1} 10:00:00"
            write_article(root / folder, f"{i}.md", title=f"{category}{i}", categories=(category,),
                          date=date)  # fmt: skip
    settings = yaml.safe_load(config.read_text(encoding="utf-8"))
    settings["sources"] = ["a", "b"]
    config.write_text(yaml.safe_dump(settings, allow_unicode=True), encoding="utf-8")
    return config


def build(runner: CliRunner, config: Path, *args: str) -> tuple[int, str]:
    result = runner.invoke(app, ["build", "-c", str(config), "--quiet", *args])
    return result.exit_code, result.stderr


def items(config: Path, name: str = "all") -> list[str]:
    feed = json.loads((config.parent / "output" / f"{name}.json").read_text(encoding="utf-8"))
    return [item["title"] for item in feed["items"]]


def test_an_emptied_source_is_refused_and_nothing_is_written(
    runner: CliRunner, tmp_path: Path
) -> None:
    config = two_sources(tmp_path / "site")
    assert build_json(runner, config)["articles"] == 3
    before = comparable_outputs(config.parent / "output")
    for path in (config.parent / "b").iterdir():  # an unmounted disk, a checkout mid-swap
        path.unlink()
    for args in ([], ["--prune"]):  # the README's cron line prunes
        code, stderr = build(runner, config, *args)
        assert code == 1
        assert stderr == (
            "Error: the source b had 1 articles at the last build and has none now (an "
            "unmounted disk? a checkout mid-swap?); nothing was written "
            "(--force publishes it as it is)\n"
        )
        assert comparable_outputs(config.parent / "output") == before
    assert build(runner, config, "--prune", "--force") == (0, "")
    assert items(config) == ["金融1", "金融0"]
    assert not (config.parent / "output" / "keji.json").exists()  # pruned, as forced
    assert build(runner, config) == (0, "")  # b had none at the last build: nothing to refuse


def test_a_single_emptied_source_is_refused_too(runner: CliRunner, tmp_path: Path) -> None:
    config = make_site(tmp_path / "site")
    write_article(config.parent / "articles", "a.md", title="一")
    assert build(runner, config) == (0, "")
    (config.parent / "articles" / "a.md").unlink()
    code, stderr = build(runner, config, "--prune")
    assert code == 1 and stderr.startswith("Error: the source had 1 articles at the last build")
    assert items(config) == ["一"]


def test_a_run_where_every_article_fails_publishes_nothing(
    runner: CliRunner, tmp_path: Path
) -> None:
    config = make_site(tmp_path / "site")
    articles = config.parent / "articles"
    write_article(articles, "a.md", title="一")
    write_article(articles, "b.md", title="二")
    assert build(runner, config) == (0, "")
    for path in articles.iterdir():
        path.write_text("no front matter, no date", encoding="utf-8")
    code, stderr = build(runner, config)
    assert code == 1
    assert stderr == (
        "Error: every article was skipped (2); nothing was written "
        "(--force publishes it as it is)\n"
    )
    assert sorted(items(config)) == ["一", "二"]  # as the last build left it
    assert build(runner, config, "--force")[0] == 0
    assert items(config) == []


def test_a_first_build_of_only_bad_files_is_no_accident(runner: CliRunner, tmp_path: Path) -> None:
    config = make_site(tmp_path / "site")
    (config.parent / "articles" / "a.md").write_text("no front matter", encoding="utf-8")
    assert build(runner, config)[0] == 0
    assert items(config) == []


def test_prune_deletes_at_most_the_configured_share(runner: CliRunner, tmp_path: Path) -> None:
    config = two_sources(tmp_path / "site")
    settings = yaml.safe_load(config.read_text(encoding="utf-8"))
    settings["pages"] = False  # the feeds' files only: the pages' are tested in test_pages.py
    config.write_text(yaml.safe_dump(settings, allow_unicode=True), encoding="utf-8")
    build(runner, config)
    shutil.rmtree(config.parent / "a")
    (config.parent / "a").mkdir()
    write_article(config.parent / "a", "new.md", title="新", categories=("新的",))
    # 金融 and all change or go: 3 of the 9 files are deleted, over a share of 0.2.
    settings["prune"] = {"max_share": 0.2}
    config.write_text(yaml.safe_dump(settings, allow_unicode=True), encoding="utf-8")
    code, stderr = build(runner, config, "--prune")
    assert code == 1
    assert stderr == (
        "Error: --prune would delete 3 of the 9 files earlier builds wrote, more than "
        "prune.max_share (0.2); nothing was written (--force publishes it as it is)\n"
    )
    assert (config.parent / "output" / "jinrong.json").exists()
    settings["prune"] = {"max_share": 0.5}
    config.write_text(yaml.safe_dump(settings, allow_unicode=True), encoding="utf-8")
    assert build(runner, config, "--prune") == (0, "")
    assert not (config.parent / "output" / "jinrong.json").exists()


def test_the_share_is_a_fraction(runner: CliRunner, tmp_path: Path) -> None:
    config = make_site(tmp_path / "site", prune={"max_share": 2})
    code, stderr = build(runner, config)
    assert (code, stderr) == (1, f"Error: {config}: prune.max_share: must be from 0 to 1\n")


def test_one_output_folder_one_config(runner: CliRunner, tmp_path: Path) -> None:
    first = make_site(tmp_path / "site")
    write_article(first.parent / "articles", "a.md", title="一")
    second = first.parent / "other.yaml"
    second.write_text(first.read_text(encoding="utf-8"), encoding="utf-8")  # same output
    assert build(runner, first) == (0, "")
    before = comparable_outputs(first.parent / "output")
    code, stderr = build(runner, second, "--prune")
    assert code == 1
    assert stderr == (
        f"Error: the output folder {first.parent / 'output'} is written by the builds of "
        f"{first}, not of {second}; give this "
        "config another output "
        "(--force hands the folder over)\n"
    )
    assert comparable_outputs(first.parent / "output") == before
    assert build(runner, second, "--force") == (0, "")
    assert build(runner, first)[0] == 1  # handed over: now the first one is refused


def test_a_site_copied_whole_is_still_its_own(runner: CliRunner, tmp_path: Path) -> None:
    config = make_site(tmp_path / "site")
    write_article(config.parent / "articles", "a.md", title="一")
    assert build(runner, config) == (0, "")
    shutil.copytree(config.parent, tmp_path / "moved")
    assert build(runner, tmp_path / "moved" / "config.yaml") == (0, "")
