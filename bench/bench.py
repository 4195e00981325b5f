"""Benchmark: feeds beside Hugo, in the same run on the same generated archive.

Not a test. Generates N articles shaped like the real archive (``corpus.py``: its body
sizes, Chinese text, markup, images, the Sina junk blocks, 1-4 categories out of 20, a few
defects), then, round by round, times on that one folder:

- Hugo 0.111 (``/usr/bin/hugo``, the minimal site in ``bench/hugo/``) writing per-category
  RSS and Atom with full content, as feeds does. Hugo rebuilds everything every time, so
  its one figure is the reference for every ratio;
- ``feeds build``: a cold build (empty cache and output), a rebuild with nothing changed,
  and a rebuild with one new article (dated now, so it enters its feeds and they are
  rendered and written again; removed after the round).

Each is run in a subprocess and measured the same way: wall seconds, CPU seconds (user and
system of the process and every child it waited for) and the peak memory of the whole
process tree (every 10 ms the PSS of each process under it is summed: PSS splits the pages
that forked workers share, so the sum counts each page once). ``peak_mib`` is also given,
the max RSS of the largest single process. Seconds and memory come from separate passes of
the same round's builds: reading every process's smaps_rollup every 10 ms takes most of a
core, which slows a build that keeps both cores busy (feeds' readers) far more than one that
leaves one idle, so no build is timed while it is sampled. Memory is sampled in the first
round only; seconds are taken in every round.

The VM's speed drifts by up to 2x from minute to minute, so the scenarios alternate round by
round (``--repeat``, 3), each figure is the fastest of its rounds (as ``timeit`` reports its
best), and each is also given as a ratio to Hugo's: the ratios of one run hold where the
seconds do not. The load average at the start and end of each round is reported too.

Pages: once the config has a ``pages`` key (issue 15), feeds writes a page for every
article unless ``pages: false``; the bench then times both, against Hugo writing its pages
too (the site without its ``render = "link"`` cascade, pages from ``single.html``) or not.
Without that key it times pages off only.

    .venv/bin/python bench/bench.py 10000 100000          # one JSON line per size and mode,
                                                          # then the table for the README
"""

from __future__ import annotations

import argparse
import compileall
import contextlib
import dataclasses
import json
import os
import re
import shutil
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from corpus import generate, new_article

HERE = Path(__file__).resolve().parent
WORK = HERE / "work"
HUGO = "/usr/bin/hugo"
HUGO_SITE = HERE / "hugo"
FEED_LIMIT = 50  # items per feed, both tools (feeds' default)
# Issue 18's targets, as ratios to Hugo in the same run; memory also in MB (10^6 bytes).
TARGETS: dict[int, dict[str, float]] = {
    10_000: {"cold": 1.0, "no_change": 0.05, "one_new": 0.1, "memory": 0.15, "memory_mb": 150},
    100_000: {"cold": 1.0, "no_change": 0.05, "one_new": 0.05, "memory": 0.15, "memory_mb": 300},
}
# What feeds' config says for each mode. Pages are part of the build by default once issue 15
# lands, and ``pages: false`` turns them off; before it, there is no key and no pages. With
# pages on, a build renders at most ``pages.per_build`` article pages (5,000) and leaves the
# rest to the next ones: the bench lifts the cap, so that the cold build writes every page,
# as Hugo does, and the build after it has really nothing to do.
FEEDS_PAGES = {"on": "pages: {per_build: 100000000}\n", "off": "pages: false\n"}
SCENARIOS = ("cold", "no_change", "one_new")
# A feed per category name, as Hugo's taxonomy makes them. The generated lists are 1-4 names
# drawn at random, not real Hexo paths: in feeds' default path mode they would be 3,113
# nested feeds at 10k (9,339 files) against Hugo's 20, which times two different outputs.
CATEGORIES = "categories: {mode: flat}\n"


@dataclass
class Measure:
    wall: float  # seconds
    cpu: float  # seconds of CPU, user and system, of the process and its waited-for children
    peak: float  # MiB, max RSS of the largest process
    peak_total: float  # MiB, the PSS of all the processes at once
    stdout: str


def run_measured(command: list[str], sampled: bool) -> Measure:
    """Run ``command``; its wall and CPU seconds, its peak memory (largest; all at once).

    A wrapper script runs it and reads its rusage (RUSAGE_CHILDREN: the command and every
    process it waited for); if ``sampled``, ``TreeMemory`` meanwhile sums the PSS of the
    processes under it (else ``peak_total`` is 0).
    """
    script = (
        "import resource, subprocess, sys, time\n"
        "t = time.perf_counter()\n"
        "p = subprocess.run(sys.argv[1:], capture_output=True)\n"
        "wall = time.perf_counter() - t\n"
        "u = resource.getrusage(resource.RUSAGE_CHILDREN)\n"
        "sys.stderr.write(p.stderr.decode())\n"
        "print(wall, u.ru_utime + u.ru_stime, u.ru_maxrss / 1024); print(p.stdout.decode())\n"
        "sys.exit(p.returncode)\n"
    )
    wrapper = subprocess.Popen(
        [sys.executable, "-c", script, *command],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    memory = TreeMemory(wrapper.pid)
    with memory if sampled else contextlib.nullcontext():
        out, err = wrapper.communicate()
    if wrapper.returncode:
        sys.exit(f"{' '.join(command)}: exit status {wrapper.returncode}\n{err}")
    first, _, rest = out.partition("\n")
    wall, cpu, peak = (float(x) for x in first.split())
    return Measure(wall, cpu, peak, memory.peak_kib / 1024, rest)


class TreeMemory:
    """While in use, samples the summed PSS of every process under ``pid``; keeps the peak.

    A thread takes a sample every ``interval`` seconds: the descendants of ``pid`` (not
    ``pid`` itself, the wrapper) as /proc lists them then, and the ``Pss`` of each from
    its smaps_rollup; a sample during which a process ended or started is not counted.
    """

    def __init__(self, pid: int, interval: float = 0.01) -> None:
        self.peak_kib = 0
        self._pid = pid
        self._interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def __enter__(self) -> TreeMemory:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _sample(self) -> None:
        while not self._stop.wait(self._interval):
            pids = descendants(self._pid)
            total = sum(pss_kib(pid) for pid in pids)
            # A worker that ends (or starts) while the others are read hands its share of
            # the pages they shared to them (or takes one): those pages would count twice.
            # Such a sample is left out; the next one, 10 ms later, counts.
            if descendants(self._pid) == pids and not any(map(ended, pids)):
                self.peak_kib = max(self.peak_kib, total)


def descendants(pid: int) -> list[int]:
    """The processes under ``pid`` (children, theirs, ...), from each thread's children."""
    found: list[int] = []
    parents = [pid]
    while parents:
        parent = parents.pop()
        try:
            threads = os.listdir(f"/proc/{parent}/task")
        except OSError:  # it has ended
            continue
        for thread in threads:
            try:
                with open(f"/proc/{parent}/task/{thread}/children", encoding="ascii") as file:
                    children = [int(child) for child in file.read().split()]
            except OSError:  # the thread or the process has ended
                continue
            found += children
            parents += children
    return found


def ended(pid: int) -> bool:
    """Whether ``pid`` has ended: gone, or a zombie its parent has not reaped."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as file:
            return file.read().rpartition(b")")[2].split()[0] == b"Z"
    except (OSError, IndexError):
        return True


def pss_kib(pid: int) -> int:
    """The proportional set size of ``pid`` in KiB: 0 if it has ended (or is a zombie)."""
    try:
        with open(f"/proc/{pid}/smaps_rollup", "rb") as file:
            for line in file:
                if line.startswith(b"Pss:"):
                    return int(line.split()[1])
    except OSError:  # ended after it was listed
        pass
    return 0


def feeds_has_pages() -> bool:
    """Whether this feeds has issue 15's ``pages`` config key."""
    from feeds.config import Config

    return "pages" in {f.name for f in dataclasses.fields(Config)}


def hugo_site(folder: Path, pages: str) -> Path:
    """The Hugo site of ``bench/hugo`` set up in ``folder``: with its pages or without.

    Without, the site's cascade sets ``render = "link"`` on every page (parsed and rendered
    into the feeds, no page file written); with, that cascade is taken out.
    """
    folder.mkdir(parents=True, exist_ok=True)
    config = (HUGO_SITE / "config.toml").read_text("utf-8").replace("@FEED_LIMIT@", str(FEED_LIMIT))
    if pages == "on":
        config, count = re.subn(r"\[\[cascade\]\].*?kind = \"page\"\n", "", config, flags=re.S)
        assert count == 1, "bench/hugo/config.toml: no cascade block to take out"
    (folder / "config.toml").write_text(config, "utf-8")
    shutil.copytree(HUGO_SITE / "layouts", folder / "layouts", dirs_exist_ok=True)
    return folder


def feeds_config(site: Path, pages: str) -> Path:
    config = site / f"feeds-pages-{pages}.yaml"
    pages_key = FEEDS_PAGES[pages] if feeds_has_pages() else ""
    config.write_text(
        f"sources: [articles]\noutput: out-feeds-{pages}\ncache: {{path: cache-{pages}.sqlite}}\n"
        f"limit: {FEED_LIMIT}\n{CATEGORIES}{pages_key}",
        encoding="utf-8",
    )
    return config


def hugo_build(site: Path, pages: str, sampled: bool) -> Measure:
    output = site / f"out-hugo-{pages}"
    shutil.rmtree(output, ignore_errors=True)
    source = site / f"hugo-pages-{pages}"
    return run_measured(
        [HUGO, "--quiet", "--source", str(source), "--contentDir", str(site / "articles"),
         "--destination", str(output)],
        sampled,
    )  # fmt: skip


def feeds_build(config: Path, sampled: bool) -> Measure:
    feeds = Path(sys.executable).parent / "feeds"
    return run_measured([str(feeds), "build", "-c", str(config), "--json", "--quiet"], sampled)


def one_round(site: Path, pages: str, n: int, k: int, hugo: bool = True) -> dict[str, Measure]:
    """Hugo, then feeds cold, no-change and one-new, on the archive of ``site``: timed, and
    in the first round (``k`` 0) run again with their memory sampled, which is kept beside
    the timed pass's seconds."""
    timed = one_pass(site, pages, n, k, hugo, sampled=False)
    if k:
        return timed
    sampled = one_pass(site, pages, n, k, hugo, sampled=True)
    return {
        name: dataclasses.replace(measure, peak_total=sampled[name].peak_total)
        for name, measure in timed.items()
    }


def one_pass(
    site: Path, pages: str, n: int, k: int, hugo: bool, sampled: bool
) -> dict[str, Measure]:
    measures = {"hugo": hugo_build(site, pages, sampled)} if hugo else {}
    config = feeds_config(site, pages)
    shutil.rmtree(site / f"out-feeds-{pages}", ignore_errors=True)
    for name in (f"cache-{pages}.sqlite", f"cache-{pages}.sqlite.lock"):
        (site / name).unlink(missing_ok=True)
    measures["cold"] = feeds_build(config, sampled)
    measures["no_change"] = feeds_build(config, sampled)
    new = site / "articles" / f"new-{k}.md"
    new.write_text(new_article(n, k), "utf-8")
    try:
        measures["one_new"] = feeds_build(config, sampled)
    finally:  # the next round's Hugo and cold build see the generated archive only
        new.unlink()
    return measures


def bench(n: int, modes: list[str], repeat: int, hugo: bool = True) -> list[dict[str, Any]]:
    site = WORK / f"n{n}"
    shutil.rmtree(site, ignore_errors=True)
    started = time.perf_counter()
    sizes = generate(n, site / "articles")
    generated = round(time.perf_counter() - started, 1)
    # The generated files are still being written back to disk: without this, the first
    # builds wait behind that write-back and time the disk, not the build.
    os.sync()
    for pages in modes:
        hugo_site(site / f"hugo-pages-{pages}", pages)
    runs: dict[str, list[dict[str, Measure]]] = {pages: [] for pages in modes}
    rounds: list[dict[str, Any]] = []
    for k in range(repeat):
        for pages in modes:
            load_before = os.getloadavg()[0]
            reference = cpu_reference()
            runs[pages].append(one_round(site, pages, n, k, hugo))
            rounds.append(
                {"pages": pages, "cpu_reference_s": reference,
                 "load": [round(load_before, 2), round(os.getloadavg()[0], 2)],
                 **{name: round(m.wall, 2) for name, m in runs[pages][-1].items()}}
            )  # fmt: skip
    results = []
    for pages in modes:
        result = summarise(runs[pages], TARGETS.get(n)) if hugo else alone(runs[pages])
        results.append(
            {"n": n, "pages": pages, "generate_s": generated, "body_chars": sizes, **result,
             "rounds": [r for r in rounds if r["pages"] == pages]}
        )  # fmt: skip
    return results


def summarise(runs: list[dict[str, Measure]], targets: dict[str, float] | None) -> dict[str, Any]:
    """Each scenario's fastest run, its ratio to Hugo's fastest, and the targets' verdicts."""
    best = fastest(runs)
    hugo = best["hugo"]
    figures: dict[str, Any] = {}
    for name, measure in best.items():
        figures[name] = {
            "wall_s": round(measure.wall, 2),
            "cpu_s": round(measure.cpu, 2),
            "ratio": round(measure.wall / hugo.wall, 3),
            "cpu_ratio": round(measure.cpu / hugo.cpu, 3),
            "peak_mib": round(max(run[name].peak for run in runs)),
            "peak_total_mb": mb(max(run[name].peak_total for run in runs)),
            "wall_s_runs": [round(run[name].wall, 2) for run in runs],
        }
    feeds_mb = max(mb(run[name].peak_total) for run in runs for name in SCENARIOS)
    hugo_mb = mb(max(run["hugo"].peak_total for run in runs))
    figures["memory"] = {"feeds_mb": feeds_mb, "hugo_mb": hugo_mb,
                         "ratio": round(feeds_mb / hugo_mb, 3)}  # fmt: skip
    figures["feeds_cold_report"] = cold_report(best["cold"])
    if targets:
        figures["targets"] = verdicts(figures, targets)
    return figures


def alone(runs: list[dict[str, Measure]]) -> dict[str, Any]:
    """Each scenario's fastest run in seconds and MB, for a size Hugo is not run at."""
    best = fastest(runs)
    figures: dict[str, Any] = {
        name: {"wall_s": round(m.wall, 1), "cpu_s": round(m.cpu, 1),
               "peak_total_mb": mb(max(run[name].peak_total for run in runs))}
        for name, m in best.items()
    }  # fmt: skip
    figures["feeds_cold_report"] = cold_report(best["cold"])
    return figures


def fastest(runs: list[dict[str, Measure]]) -> dict[str, Measure]:
    """Each scenario's fastest run."""
    return {name: min((run[name] for run in runs), key=lambda m: m.wall) for name in runs[0]}


def cold_report(cold: Measure) -> dict[str, int]:
    """What the cold build's --json report says it read and wrote."""
    report = json.loads(cold.stdout)
    return {"parsed": report["parsed"], "feeds": len(report["feeds"])}


def mb(mib: float) -> int:
    return round(mib * 2**20 / 10**6)


def verdicts(figures: dict[str, Any], targets: dict[str, float]) -> dict[str, str]:
    """Each target with its figure, e.g. ``"cold": "2.4x <= 1.0x: missed"``."""

    def verdict(figure: float, limit: float, unit: str) -> str:
        return f"{figure}{unit} <= {limit}{unit}: {'met' if figure <= limit else 'missed'}"

    out = {name: verdict(figures[name]["ratio"], targets[name], "x") for name in SCENARIOS}
    memory = figures["memory"]
    out["memory"] = verdict(memory["ratio"], targets["memory"], "x")
    out["memory_mb"] = verdict(memory["feeds_mb"], targets["memory_mb"], " MB")
    return out


def table(results: list[dict[str, Any]]) -> str:
    """The README's table: each figure in seconds and as a ratio to Hugo, targets beside."""
    lines = [
        "| articles | pages | Hugo build | feeds cold | feeds no-change | feeds one-new "
        "| whole-tree peak memory, feeds / Hugo |",
        "|---|---|---|---|---|---|---|",
    ]
    for result in results:
        targets = TARGETS.get(result["n"], {})
        hugo = result["hugo"]
        memory = result["memory"]
        mem = f"{memory['feeds_mb']} / {memory['hugo_mb']} MB = **{memory['ratio']}×**"
        if targets:
            met = memory["ratio"] <= targets["memory"]
            met = met and memory["feeds_mb"] <= targets["memory_mb"]
            mem += f" (≤ {targets['memory']}× and ≤ {targets['memory_mb']} MB: "
            mem += f"{'met' if met else 'missed'})"
        cells = " | ".join(table_cell(result, name, targets) for name in SCENARIOS)
        lines.append(
            f"| {result['n']:,} | {result['pages']} | {hugo['wall_s']} s (CPU {hugo['cpu_s']} s) "
            f"| {cells} | {mem} |"
        )
    return "\n".join(lines)


def table_cell(result: dict[str, Any], name: str, targets: dict[str, float]) -> str:
    figure = result[name]
    text = f"{figure['wall_s']} s = **{figure['ratio']}×**"
    if name == "cold":
        text += f" (CPU {figure['cpu_ratio']}×)"
    if name in targets:
        met = figure["ratio"] <= targets[name]
        text += f" (≤ {targets[name]}×: {'met' if met else 'missed'})"
    return text


def cpu_reference() -> float:
    """Seconds for a fixed pure-Python loop (best of 5): how fast this machine is right now."""
    best = float("inf")
    for _ in range(5):
        started = time.perf_counter()
        total = 0
        for i in range(3_000_000):
            total += i % 7
        best = min(best, time.perf_counter() - started)
    return round(best, 3)


def compile_package() -> None:
    """Write the package's bytecode, as pip does when it installs a wheel.

    An editable install run with PYTHONDONTWRITEBYTECODE set (as on this project's
    machines) never writes it, and every build would compile the package's source again:
    about 0.1 s, a quarter of a rebuild's budget, that no installed copy pays.
    """
    import feeds

    compileall.compile_dir(Path(feeds.__file__).parent, quiet=1)


def hugo_version() -> str:
    return subprocess.run([HUGO, "version"], capture_output=True, text=True).stdout.split()[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sizes", nargs="*", type=int, default=[10_000, 100_000])
    parser.add_argument(
        "--pages", choices=["on", "off", "both"], help="default: both once feeds has pages"
    )
    parser.add_argument("--keep", action="store_true", help="keep bench/work afterwards")
    parser.add_argument("--repeat", type=int, default=3, help="rounds; the fastest is reported")
    parser.add_argument(
        "--without-hugo", action="store_true",
        help="feeds alone, seconds and MB only (1,000,000 articles: Hugo would need ~35 GB)",
    )  # fmt: skip
    args = parser.parse_args()
    has_pages = feeds_has_pages()
    pages = args.pages or ("both" if has_pages else "off")
    if pages != "off" and not has_pages:
        parser.error("this feeds has no pages config key (issue 15): --pages off only")
    modes = ["off", "on"] if pages == "both" else [pages]
    print(
        f"python {sys.version.split()[0]}, hugo {hugo_version()}, {os.cpu_count()} cores, "
        f"load {os.getloadavg()[0]:.2f}, {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}",
        file=sys.stderr,
    )
    compile_package()
    results = []
    for n in args.sizes:
        for result in bench(n, modes, args.repeat, hugo=not args.without_hugo):
            print(json.dumps(result, ensure_ascii=False), flush=True)
            results.append(result)
    if not args.without_hugo:
        print(table(results))
    if not args.keep:
        shutil.rmtree(WORK, ignore_errors=True)


if __name__ == "__main__":
    main()
