"""The rules of the house, checked on the package's import graph (lazy imports included)."""

from __future__ import annotations

import ast
import re
import subprocess
from pathlib import Path

import pytest

from tests.helpers import build_command, generate_articles, make_site

PACKAGE = Path(__file__).resolve().parents[1] / "feeds"
STAGES = ("feeds.read", "feeds.clean", "feeds.group", "feeds.publish")
FOUNDATIONS = ("feeds.config", "feeds.models", "feeds.errors", "feeds.records")


def module_name(path: Path) -> str:
    name = ".".join(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    return name.removesuffix(".__init__")


def imports() -> list[tuple[str, str]]:
    """Every (module, module it imports from) pair of the package."""
    pairs = []
    for path in sorted(PACKAGE.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                pairs.append((module_name(path), node.module))
            elif isinstance(node, ast.Import):
                pairs += [(module_name(path), alias.name) for alias in node.names]
    return [(a, b) for a, b in pairs if b == "feeds" or b.startswith("feeds.")]


def inside(module: str, package: str) -> bool:
    return module == package or module.startswith(package + ".")


def test_the_graph_is_read() -> None:
    pairs = imports()
    assert ("feeds.build", "feeds.state.cache") in pairs
    assert len({a for a, _ in pairs}) > 30


@pytest.mark.parametrize("stage", STAGES)
def test_no_stage_imports_state(stage: str) -> None:
    assert [(a, b) for a, b in imports() if inside(a, stage) and inside(b, "feeds.state")] == []


def test_only_the_build_and_state_itself_ask_state() -> None:
    askers = {a for a, b in imports() if inside(b, "feeds.state") and not inside(a, "feeds.state")}
    assert askers == {"feeds.build"}


@pytest.mark.parametrize("module", FOUNDATIONS)
def test_config_models_and_errors_import_no_stage(module: str) -> None:
    allowed = {"feeds", *FOUNDATIONS}
    assert {b for a, b in imports() if a == module} <= allowed


def test_only_the_cli_prints_or_exits() -> None:
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if inside(module_name(path), "feeds.cli"):
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call):
                called = ast.unparse(node.func)
                if called in ("print", "sys.exit", "exit", "typer.echo", "os._exit"):
                    found.append((module_name(path), called))
    # A forked process ends at once (a worker whose parent died, a half's stat()s sent): it
    # must not run the parent's cleanup.
    assert found == [("feeds.run.halves", "os._exit"), ("feeds.run.parallel", "os._exit")]


def test_the_tests_read_nothing_beside_the_repository() -> None:
    # CI runs a plain clone with nothing beside it: the data the tests need is under tests/.
    tests = PACKAGE.parent / "tests"
    outside = ("../shared", "/work/", ".library", ".mirror")
    found = [
        (path.name, mark)
        for path in sorted(tests.glob("*.py"))
        if path != Path(__file__).resolve()
        for mark in outside
        if mark in path.read_text(encoding="utf-8")
    ]
    assert found == []


# What a build with nothing to do must not import: the readers', cleaners' and renderers'
# libraries, and the stages themselves. Each is most of a no-change run's start-up; cron
# runs one every few minutes.
NOT_FOR_A_NO_CHANGE_BUILD = (
    "lxml",
    "feedgen",
    "jinja2",
    "nh3",
    "bs4",
    "feeds.read.batch",
    "feeds.clean",
    "feeds.group",
    "feeds.publish.feeds",
    "feeds.publish.pages.site",  # (pages.paths hashes the templates, for the build's key)
    "feeds.publish.pages.render",
)


@pytest.mark.parametrize("pages", [False, True])
def test_a_build_with_nothing_to_do_imports_none_of_the_stages(tmp_path: Path, pages: bool) -> None:
    config = make_site(tmp_path, pages=pages)
    generate_articles(tmp_path / "articles", range(3))
    first = subprocess.run(build_command(config), capture_output=True, text=True, timeout=120)
    assert first.returncode == 0, first.stderr
    command = build_command(config, "--json")
    again = subprocess.run(
        [command[0], "-X", "importtime", *command[1:]], capture_output=True, text=True, timeout=120
    )
    assert again.returncode == 0, again.stderr
    assert '"parsed": 0' in again.stdout and '"cached": 3' in again.stdout
    imported = set(re.findall(r"^import time: .*\| +(\S+)$", again.stderr, re.MULTILINE))
    assert {"feeds.build", "feeds.state.shortcut", "typer"} <= imported  # the log was read
    found = {name for name in imported for top in NOT_FOR_A_NO_CHANGE_BUILD if inside(name, top)}
    assert found == set()


def test_a_build_without_pages_imports_no_template_engine(tmp_path: Path) -> None:
    """Jinja2 and the pages' renderer are for builds with pages: a cold build without them,
    which reads, cleans and renders feeds, imports neither."""
    config = make_site(tmp_path, pages=False)
    generate_articles(tmp_path / "articles", range(3))
    command = build_command(config, "--json")
    run = subprocess.run(
        [command[0], "-X", "importtime", *command[1:]], capture_output=True, text=True, timeout=120
    )
    assert run.returncode == 0, run.stderr
    assert '"parsed": 3' in run.stdout
    imported = set(re.findall(r"^import time: .*\| +(\S+)$", run.stderr, re.MULTILINE))
    assert {"feeds.publish.feeds", "feedgen", "lxml"} <= imported  # it did build
    unwanted = ("jinja2", "markupsafe", "feeds.publish.pages.site", "feeds.publish.pages.render")
    assert {name for name in imported for top in unwanted if inside(name, top)} == set()
