"""A/B benchmark: two installs of feeds, run alternately over one generated archive.

Not a test. The VM's speed drifts by 2x within minutes, so comparing two versions in two
separate bench.py runs says little; alternating them round by round, on the same files,
does. Each round runs a cold build, a no-change rebuild and a one-new-article rebuild of
each version, then prints the round's figures; the last lines give the best and median.

    git worktree add /tmp/old <commit> && python3 -m venv /tmp/oldvenv \\
        && /tmp/oldvenv/bin/pip install -q -e /tmp/old
    .venv/bin/python bench/compare.py /tmp/oldvenv/bin/feeds .venv/bin/feeds -n 10000 -r 4
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import time
from pathlib import Path

from corpus import generate, new_article

from bench import WORK, cpu_reference

Figures = dict[str, list[float]]
LABELS = ("cold", "no_change", "one_new")


def timed_build(feeds: str, config: Path) -> float:
    started = time.perf_counter()
    subprocess.run([feeds, "build", "-c", str(config), "--quiet"], check=True)
    return time.perf_counter() - started


def one_round(site: Path, name: str, feeds: str, n: int, figures: Figures) -> None:
    """Cold, no-change and one-new builds of one version, in a folder of its own."""
    folder = site / name
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir()
    config = folder / "config.yaml"
    config.write_text(
        f"sources: [{site / 'articles'}]\noutput: output\ncache: {{path: cache.sqlite}}\n",
        encoding="utf-8",
    )
    new = site / "articles" / "new.md"
    new.unlink(missing_ok=True)
    figures["cold"].append(timed_build(feeds, config))
    figures["no_change"].append(timed_build(feeds, config))
    new.write_text(new_article(n, 0), encoding="utf-8")
    try:
        figures["one_new"].append(timed_build(feeds, config))
    finally:
        new.unlink()


def summary(results: dict[str, Figures], pick: str) -> str:
    def value(xs: list[float]) -> float:
        return min(xs) if pick == "best" else sorted(xs)[len(xs) // 2]

    return json.dumps(
        {v: {k: round(value(xs), 2) for k, xs in f.items()} for v, f in results.items()}
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("a", help="the first version's feeds command")
    parser.add_argument("b", help="the second version's feeds command")
    parser.add_argument("-n", type=int, default=10_000, help="articles to generate")
    parser.add_argument("-r", "--rounds", type=int, default=3)
    args = parser.parse_args()
    site = WORK / f"compare{args.n}"
    if not (site / "articles").is_dir():
        generate(args.n, site / "articles")
    versions = {"a": args.a, "b": args.b}
    for feeds in versions.values():  # as bench.py does: each install's bytecode, written once
        script = "import compileall, feeds, pathlib; "
        script += "compileall.compile_dir(pathlib.Path(feeds.__file__).parent, quiet=1)"
        # Run from the install's bin folder: from a checkout, "import feeds" finds its copy.
        bin_dir = Path(feeds).parent
        subprocess.run([str(bin_dir / "python"), "-c", script], check=True, cwd=bin_dir)
    results = {name: {label: [] for label in LABELS} for name in versions}
    for k in range(args.rounds):
        reference = cpu_reference()
        for name, feeds in versions.items():
            one_round(site, name, feeds, args.n, results[name])
        latest = {v: {lb: round(xs[-1], 2) for lb, xs in f.items()} for v, f in results.items()}
        print(json.dumps({"round": k, "cpu_reference_s": reference, **latest}), flush=True)
    print("best", summary(results, "best"))
    print("median", summary(results, "median"))


if __name__ == "__main__":
    main()
