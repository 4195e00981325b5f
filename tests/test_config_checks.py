"""Config values that used to be taken silently: a templates folder that is not there, an
image proxy's template with nowhere to put the image's URL."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from feeds.cli import app
from tests.helpers import make_site, write_article


def _error(runner: CliRunner, config: Path) -> str:
    """The one line a build of ``config`` fails with."""
    result = runner.invoke(app, ["build", "-c", str(config)])
    assert result.exit_code == 1, result.output
    [line] = result.stderr.splitlines()
    return line


def test_a_templates_folder_is_looked_for_beside_the_config_and_must_be_there(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = make_site(tmp_path / "site", pages={"templates": "mine"})
    write_article(config.parent / "articles", "a.md")
    elsewhere = tmp_path / "elsewhere"
    (elsewhere / "mine").mkdir(parents=True)
    monkeypatch.chdir(elsewhere)  # a folder of that name here is not the one meant
    folder = config.parent / "mine"
    assert _error(runner, config) == f"Error: {config}: pages.templates: no such folder: {folder}"
    folder.write_text("a file", encoding="utf-8")
    assert _error(runner, config) == f"Error: {config}: pages.templates: not a folder: {folder}"
    folder.unlink()
    folder.mkdir()
    result = runner.invoke(app, ["build", "-c", str(config), "-q"])
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize(
    ("template", "reason"),
    [
        ("no placeholder", "must hold {url} or {url_encoded} where the image's URL goes"),
        ("https://images.weserv.nl/?url=", "must hold {url} or {url_encoded}"),
        ("https://images.weserv.nl/?url={URL}", "must hold {url} or {url_encoded}"),
        ("javascript:alert('{url}')", "must be an absolute http(s) URL with {url} or"),
        ("//images.weserv.nl/?url={url_encoded}", "must be an absolute http(s) URL"),
        ("{url}", "must be an absolute http(s) URL"),
    ],
)
def test_an_image_proxy_template_must_say_where_the_url_goes(
    runner: CliRunner, tmp_path: Path, template: str, reason: str
) -> None:
    config = make_site(tmp_path / "site", clean={"image_proxy": {"sinaimg.cn": template}})
    write_article(config.parent / "articles", "a.md")
    line = _error(runner, config)
    assert line.startswith(f"Error: {config}: clean.image_proxy.sinaimg.cn: {reason}"), line
    assert not (config.parent / "output").exists()  # refused before anything is written


def test_the_loaders_own_keys_are_not_the_files(runner: CliRunner, tmp_path: Path) -> None:
    # Config.from_file and Config.options say where values came from: no file sets them.
    for key in ("from_file", "options"):
        config = make_site(tmp_path / key, **{key: False})
        assert _error(runner, config) == f"Error: {config}: {key}: unknown key"
    line = _error(runner, make_site(tmp_path / "other", colour="red"))
    assert "from_file" not in line and "options" not in line
