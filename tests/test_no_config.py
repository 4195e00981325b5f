"""No config file needed: the defaults, with the sources and output given on the command line."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from feeds.cli import app

EXAMPLES = Path(__file__).resolve().parents[1] / "examples" / "articles"


@pytest.fixture
def empty_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "empty"
    folder.mkdir()
    monkeypatch.chdir(folder)
    return folder


def test_a_build_in_an_empty_folder_needs_only_a_source_and_an_output(
    runner: CliRunner, empty_folder: Path, tmp_path: Path
) -> None:
    shutil.copytree(EXAMPLES, tmp_path / "articles")
    args = ["build", "--source", str(tmp_path / "articles"), "--output", "out", "--json", "-q"]
    first = runner.invoke(app, args)
    assert first.exit_code == 0, first.output
    report = json.loads(first.stdout)
    assert report["articles"] == 26 and report["parsed"] == 26
    assert (empty_folder / "out" / "all.rss.xml").is_file()
    again = json.loads(runner.invoke(app, args).stdout)
    assert (again["parsed"], again["cached"], again["changed"]) == (0, 26, [])
    check = runner.invoke(app, ["check", "--source", str(tmp_path / "articles"), "-q"])
    assert check.exit_code == 0, check.output


def test_without_a_config_or_a_source_it_says_what_to_name(
    runner: CliRunner, empty_folder: Path
) -> None:
    result = runner.invoke(app, ["build"])
    assert result.exit_code == 1
    assert result.stderr == (
        f"Error: no config.yaml here, and no folder {empty_folder / 'articles'}: name the "
        "articles with --source DIR (and the output with --output DIR), or write a config file\n"
    )
    assert list(empty_folder.iterdir()) == []  # nothing made: no output, no cache


def test_a_named_config_file_must_exist(runner: CliRunner, empty_folder: Path) -> None:
    result = runner.invoke(app, ["build", "--config", "nope.yaml", "--source", "."])
    assert (result.exit_code, result.stderr) == (1, "Error: nope.yaml: file not found\n")


def test_config_yaml_here_is_read_when_none_is_named(runner: CliRunner, empty_folder: Path) -> None:
    shutil.copytree(EXAMPLES, empty_folder / "posts")
    (empty_folder / "config.yaml").write_text("sources: [posts]\nlimit: 2\n", encoding="utf-8")
    result = runner.invoke(app, ["build", "--json", "-q"])
    assert result.exit_code == 0, result.output
    feeds = json.loads(result.stdout)["feeds"]
    assert feeds and max(feed["items"] for feed in feeds) == 2
    assert (empty_folder / "output" / "all.json").is_file()


def test_without_a_config_file_an_error_names_the_option_not_a_config_yaml(
    runner: CliRunner, empty_folder: Path, tmp_path: Path
) -> None:
    missing = runner.invoke(app, ["build", "--source", "nonexist", "--output", "out"])
    assert (missing.exit_code, missing.stderr) == (
        1,
        f"Error: --source nonexist: no such folder: {empty_folder / 'nonexist'}\n",
    )
    (empty_folder / "taken").write_text("a file where the output must be", encoding="utf-8")
    shutil.copytree(EXAMPLES, tmp_path / "articles")
    source = str(tmp_path / "articles")
    blocked = runner.invoke(app, ["build", "--source", source, "--output", "taken/out"])
    assert blocked.exit_code == 1
    assert blocked.stderr.startswith("Error: --output taken/out: cannot write to "), blocked.stderr
    inside = runner.invoke(app, ["build", "--source", source, "--output", f"{source}/out"])
    assert inside.stderr == (
        f"Error: --output {source}/out: the output folder {source}/out is inside the source "
        f"folder --source {source} ({source}); put it beside the sources\n"
    )
    assert "config.yaml" not in missing.stderr + blocked.stderr + inside.stderr
    assert sorted(p.name for p in empty_folder.iterdir()) == ["taken"]  # nothing made


def test_builds_without_a_config_file_are_named_by_the_folder_they_ran_in(
    runner: CliRunner, empty_folder: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shutil.copytree(EXAMPLES, tmp_path / "articles")
    args = ["build", "--source", str(tmp_path / "articles"), "--output", str(tmp_path / "out")]
    assert runner.invoke(app, [*args, "-q"]).exit_code == 0
    other = tmp_path / "other"
    other.mkdir()
    monkeypatch.chdir(other)
    result = runner.invoke(app, args)
    assert result.exit_code == 1
    assert result.stderr == (
        f"Error: the output folder {tmp_path / 'out'} is written by the builds run without a "
        f"config file in {empty_folder}, not by the builds run without a config file in "
        f"{other}; give this build another --output (--force hands the folder over)\n"
    )
