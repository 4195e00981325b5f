"""The output folder's record: what a build writes, listed before it writes it and recorded
in the manifest after."""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping
from pathlib import Path

from feeds.errors import BuildError
from feeds.models import Problem
from feeds.publish.names import made_here
from feeds.publish.spool import omitting
from feeds.publish.write import files_in_the_way, prune_outputs, write_outputs
from feeds.report import BuildOptions, BuildReport, FeedReport, Rendered
from feeds.state.manifest import Manifest, Stat, output_stats, write_manifest, write_pending


def leave_files_in_the_way(
    out: Path, manifest: Manifest, rendered: Rendered, report: BuildReport
) -> Rendered:
    """``rendered`` less the outputs where a file this tool did not write stands: reported,
    and kept as it is."""
    blocked = set(files_in_the_way(out, manifest.files, rendered.outputs, made_here))
    if not blocked:
        return rendered
    reason = (
        "a file this tool did not write has this feed's name; left as it is "
        "(move it away, or give the category another slug)"
    )
    report.problems += [
        Problem(str(out / name), "write", reason, False) for name in sorted(blocked)
    ]
    report.feeds = [_unwritten_left_out(feed, blocked) for feed in report.feeds]
    outputs = omitting(rendered.outputs, blocked)
    prints = {k: v for k, v in rendered.fingerprints.items() if k not in blocked}
    return dataclasses.replace(rendered, outputs=outputs, fingerprints=prints)


def _unwritten_left_out(feed: FeedReport, blocked: set[str]) -> FeedReport:
    if not blocked.intersection(feed.files.values()):
        return feed
    files = {fmt: name for fmt, name in feed.files.items() if name not in blocked}
    return dataclasses.replace(feed, files=files)


def refuse_another_owner(out: Path, old: Manifest, config_path: Path, force: bool) -> None:
    """One output folder, one config: another's builds would overwrite this one's feeds on
    every run, and its --prune delete them. ``--force`` hands the folder over."""
    owner = owner_of(out, config_path)
    if old.owner and old.owner != owner and not force:
        theirs = _builds_of(Path(os.path.normpath(out / old.owner)))
        if os.path.lexists(config_path):
            ours, fix = f"of {config_path}", "give this config another output"
        else:
            ours, fix = f"by {_builds_of(config_path)}", "give this build another --output"
        raise BuildError(
            f"the output folder {out} is written by {theirs}, not {ours}; {fix} (--force "
            "hands the folder over)"
        )


def _builds_of(config_path: Path) -> str:
    """The builds of a config, as a message names them. A build without a config file owns
    its output by the ``config.yaml`` of the folder it ran in, which does not exist: it is
    named by that folder, not by a file nobody can find."""
    if os.path.lexists(config_path):
        return f"the builds of {config_path}"
    return f"the builds run without a config file in {config_path.parent}"


def owner_of(out: Path, config_path: Path) -> str:
    """The config as the manifest names it: relative to the output folder, so that a site
    copied or moved whole (config and output) is still its own."""
    return os.path.relpath(config_path.absolute(), out.absolute())


def refuse_accidents(
    old: Manifest, rendered: Rendered, options: BuildOptions, report: BuildReport, share: float
) -> None:
    """Raise BuildError, before anything is written, for a build that would empty what earlier
    builds published by accident: a source that had articles and has none (an unmounted disk,
    a checkout mid-swap), every article failing, or a --prune that deletes more than
    ``share`` of the files. ``--force`` publishes it all the same."""
    if options.force:
        return
    if old.files and report.skipped and not report.articles:
        raise BuildError(
            f"every article was skipped ({len(report.skipped)}); nothing was written {_FORCE}"
        )
    for prefix, count in report.by_source.items():
        before = old.articles.get(prefix, 0)
        if before and not count:
            source = f"the source {prefix.rstrip('/')}" if prefix else "the source"
            raise BuildError(
                f"{source} had {before} articles at the last build and has none now (an "
                f"unmounted disk? a checkout mid-swap?); nothing was written {_FORCE}"
            )
    if not options.prune:
        return  # and no sets of a large site's 100,000 pages made for nothing
    gone = set(old.files) - set(rendered.fingerprints)
    if len(gone) > share * len(old.files):
        raise BuildError(
            f"--prune would delete {len(gone)} of the {len(old.files)} files earlier builds "
            f"wrote, more than prune.max_share ({share:g}); nothing was written {_FORCE}"
        )


_FORCE = "(--force publishes it as it is)"


def write_recorded(
    out: Path,
    old: Manifest,
    rendered: Rendered,
    options: BuildOptions,
    report: BuildReport,
    config_path: Path,
    known: Mapping[str, Stat | None] | None = None,
) -> Manifest:
    """Write what changed, prune if asked, and record it all in the manifest. The stats
    ``known`` (those the publishers' ``unchanged`` test took, under this build's lock) are
    not taken again."""
    slugs = old.slugs | {f.name: f.slug for f in report.feeds if f.name}
    names = set(rendered.fingerprints)
    owner = owner_of(out, config_path)
    # Listed before they are written: a build killed in between leaves no file untracked.
    _write_pending(out, old, rendered, names, slugs, owner, report)
    report.changed = write_outputs(out, rendered.outputs)
    if options.prune:
        report.removed = prune_outputs(out, old.files, names)
    kept = _sorted(names if options.prune else names.union(old.files))
    del names  # each of these maps has 100,000 entries in a large site: one at a time
    # The files not written are as the publishers' test found them (this build holds the
    # lock): the stats it took are not taken again.
    now = output_stats(out, kept, known, written=rendered.outputs)
    # Not sorted here: the manifest's file is, in pieces (a sorted copy of 100,000 pages
    # made whole would be on top of a large build's memory).
    pages = old.pages | rendered.pages
    final = Manifest(
        kept,
        slugs,
        rendered.fingerprints,
        now,
        report.by_source,
        owner,
        report.first_seen,
        pages,
    )
    write_manifest(out, final)
    return final


def _write_pending(
    out: Path,
    old: Manifest,
    rendered: Rendered,
    names: set[str],
    slugs: dict[str, str],
    owner: str,
    report: BuildReport,
) -> None:
    """Record the files about to be written, with the new names of the manifest's maps,
    when there are any: the next build tracks them all and writes them again."""
    new = names.difference(old.files)
    if not (rendered.outputs or new):
        return
    coming = _sorted(new.union(rendered.outputs))
    del new
    new_pages = {g: page for g, page in rendered.pages.items() if old.pages.get(g) != page}
    by_source, first_seen = report.by_source, report.first_seen
    write_pending(out, Manifest(coming, slugs, {}, {}, by_source, owner, first_seen, new_pages))


def _sorted(names: set[str]) -> tuple[str, ...]:
    return tuple(sorted(names))
