"""Pages at scale: rendered outputs spooled to disk, and what a rebuild renders again."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from feeds.group.feeds import Listing
from feeds.publish.pages.catalog import Catalog
from feeds.publish.pages.site import _hash, _Site
from feeds.publish.spool import Spool, joined, omitting, output_size, spooled
from feeds.publish.write import write_outputs
from feeds.run.jsontext import indented_json, indented_json_bytes
from feeds.state.manifest import MANIFEST
from tests.helpers import (
    EXAMPLES,
    build_json,
    make_article,
    make_config,
    make_feed,
    output_mtimes,
    write_article,
)

Site = Callable[..., Path]


# --- the spool ---------------------------------------------------------------------------------


def test_a_spool_gives_back_each_output_as_added_and_its_size_without_reading_it(
    tmp_path: Path,
) -> None:
    spool = Spool(tmp_path)
    pages = {f"pages/{n}.html": f"<p>{n}</p>".encode() * n for n in range(50)}
    for name, data in pages.items():
        spool.add(name, data)
    spool.add("empty.html", b"")
    assert dict(spool) == pages | {"empty.html": b""}
    assert len(spool) == 51 and "pages/7.html" in spool and "pages/99.html" not in spool
    assert [output_size(spool, name) for name in pages] == [len(data) for data in pages.values()]
    less = omitting(spool, {"pages/1.html", "empty.html"})
    assert isinstance(less, Spool) and set(less) == set(pages) - {"pages/1.html"}
    assert less["pages/49.html"] == pages["pages/49.html"]
    del spool  # the smaller spool keeps the file open
    assert less["pages/2.html"] == pages["pages/2.html"]
    assert list(tmp_path.iterdir()) == []  # a file with no name: nothing in the folder


def test_an_empty_spool_makes_no_file_and_joined_outputs_keep_every_part(tmp_path: Path) -> None:
    folder = tmp_path / "out"
    folder.mkdir()
    spool = Spool(folder)
    assert dict(spool) == {} and list(folder.iterdir()) == []
    assert joined([{"a.xml": b"1"}, {"b.xml": b"2"}]) == {"a.xml": b"1", "b.xml": b"2"}
    spool.add("pages/x.html", b"<p>x</p>")
    both = joined([{"all.rss.xml": b"<rss/>"}, spool])
    assert dict(both) == {"pages/x.html": b"<p>x</p>", "all.rss.xml": b"<rss/>"}


def test_outputs_spooled_are_kept_on_disk_and_joined_into_the_largest_spool(
    tmp_path: Path,
) -> None:
    feeds = {"all.rss.xml": b"<rss/>", "all.json": b"{}"}
    spooled_feeds = spooled(feeds, tmp_path)
    assert isinstance(spooled_feeds, Spool) and dict(spooled_feeds) == feeds
    assert spooled({}, tmp_path) == {}
    assert spooled(spooled_feeds, tmp_path) is spooled_feeds
    # Not made in an output folder that is none yet: in the system's temporary folder.
    assert dict(spooled(feeds, tmp_path / "not yet")) == feeds
    pages = Spool(tmp_path)
    for n in range(5):
        pages.add(f"pages/{n}.html", f"<p>{n}</p>".encode())
    both = joined([spooled_feeds, pages])
    assert both is pages  # the pages are not copied into the feeds' spool
    assert dict(both) == feeds | {f"pages/{n}.html": f"<p>{n}</p>".encode() for n in range(5)}


def test_the_writer_takes_spooled_outputs_and_writes_only_those_that_changed(
    tmp_path: Path,
) -> None:
    out = tmp_path / "out"
    out.mkdir()
    spool = Spool(out)
    for n in range(100):  # over the few the writer syncs one by one
        spool.add(f"pages/{n % 3}/{n}.html", f"<p>{n}</p>".encode())
    assert len(write_outputs(out, spool)) == 100
    assert (out / "pages/1/4.html").read_bytes() == b"<p>4</p>"
    again = Spool(out)
    again.add("pages/1/4.html", b"<p>4</p>")
    again.add("pages/2/5.html", b"<p>five</p>")
    assert write_outputs(out, again) == ["pages/2/5.html"]
    assert (out / "pages/2/5.html").read_bytes() == b"<p>five</p>"


# --- fingerprints ------------------------------------------------------------------------------


_QUOTED_TITLES = [f"第{n}篇 'q' \"x\"" for n in range(7)]
# Rows are hashed apart: a lone surrogate or a NUL must not stop a title from being hashed.
_ODD_TITLES = ["\ud83d lone", "\ude00", "😀 emoji", "é", "\x00 nul"]


@pytest.mark.parametrize(("titles", "per_page"), [(_QUOTED_TITLES, 3), (_ODD_TITLES, 2)])
def test_a_listings_fingerprint_is_the_hash_of_the_rows_it_shows(
    tmp_path: Path, titles: list[str], per_page: int
) -> None:
    articles = [
        make_article(f"{n}.md", hours=n, title=title, categories=("金融",))
        for n, title in enumerate(titles)
    ]
    feed = make_feed(*articles)
    config = make_config(tmp_path, pages={"per_page": per_page})
    pages = {a.guid: f"pages/{a.path}.html" for a in articles}
    listed = articles[::-1]
    catalog = Catalog(articles=listed, pages=pages, listings={"金融": Listing(len(listed), listed)})
    site = _Site([feed], config, catalog)
    jobs = list(site.listing_jobs())
    assert len(jobs) == 3
    for job in jobs:
        _, shown, pager = job.value
        rows = [(a.guid, a.title, a.author, a.date.isoformat()) for a in shown]
        assert job.fingerprint == _hash(site.shaping, feed.slug, pager, rows)


def manifest_prints(config: Path) -> dict[str, str]:
    data = json.loads((config.parent / "output" / MANIFEST).read_text(encoding="utf-8"))
    prints: dict[str, str] = data["fingerprints"]
    return prints


def test_editing_one_article_renders_its_page_and_listings_again_and_nothing_else(
    runner: CliRunner, site: Site
) -> None:
    config = site(EXAMPLES)
    articles = config.parent / "articles"
    link = "link: https://example.org/one\n"  # its page stays its own whatever its title
    write_article(articles, "金融/one.md", title="一篇", date="2022-06-20 08:00:00", extra=link)
    first = build_json(runner, config)
    slugs = {f["name"]: f["slug"] for f in first["feeds"]}
    listings = {f"c/{slugs[n]}/index.html" for n in ("", "金融")}
    before = manifest_prints(config)

    def edit(title: str, body: str) -> set[str]:
        """The pages and listings rendered again: those whose fingerprints changed."""
        write_article(articles, "金融/one.md", title=title, body=body,
                      date="2022-06-20 08:00:00", extra=link)  # fmt: skip
        report = build_json(runner, config)
        after = manifest_prints(config)
        assert set(after) == set(before)
        again = {name for name in after if after[name] != before[name] and name.endswith(".html")}
        assert again == {name for name in report["changed"] if name.endswith(".html")}
        return again

    pages = edit("一篇", "<p>改过的正文。</p>")  # no listing shows the body
    assert len(pages) == 1 and next(iter(pages)).startswith("pages/")
    before = manifest_prints(config)
    assert edit("改过的标题", "<p>改过的正文。</p>") == {*pages, *listings}


def test_a_setting_that_shapes_every_page_renders_them_all_again(
    runner: CliRunner, site: Site
) -> None:
    config = site(EXAMPLES)
    build_json(runner, config)
    out = config.parent / "output"
    before, prints = output_mtimes(out), manifest_prints(config)
    settings = yaml.safe_load(config.read_text(encoding="utf-8"))
    settings["site"] = {"title": "另一个站"}
    config.write_text(yaml.safe_dump(settings, allow_unicode=True), encoding="utf-8")
    report = build_json(runner, config)
    after = manifest_prints(config)
    html = [name for name in prints if name.endswith(".html")]
    assert len(html) > 20
    assert all(after[name] != prints[name] for name in html)
    assert set(html) <= set(report["changed"])
    assert all("另一个站" in (out / name).read_text(encoding="utf-8") for name in html)
    assert set(output_mtimes(out)) == set(before)


def test_the_manifests_bytes_are_its_indented_json_text() -> None:
    value = {
        "files": ["pages/2022/06/x.html", "金融.rss.xml"],
        "slugs": {"金融": "jinrong", "二次元": "erciyuan"},
        "stats": {"pages/2022/06/x.html": (123, 1_650_000_000_123_456_789)},
        "owner": "../config.yaml",
    }
    assert indented_json_bytes(value) == (indented_json(value) + "\n").encode("utf-8")
