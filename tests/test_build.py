"""Whole builds over the real sample archive and the bundled examples."""

from __future__ import annotations

import json
import os
import re
import shutil
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import feedparser
import pytest
from lxml import etree
from lxml import html as lxml_html
from typer.testing import CliRunner

from tests.helpers import CORPUS, EXAMPLES, ROOT, SEED, build_json, fix_mtimes, make_site

Site = Callable[..., Path]
NS = {"a": "http://www.w3.org/2005/Atom", "media": "http://search.yahoo.com/mrss/"}
GOLDEN = Path(__file__).parent / "golden" / "examples"


def listed_categories(path: Path) -> list[str]:
    """The categories a file lists, read with a plain regex, independently of feeds' reader."""
    text = path.read_text(encoding="utf-8")
    block = text.split("---", 2)[1]
    match = re.search(r"^categories:[^\n]*\n((?:[ \t]+- [^\n]*\n?)+)", block, re.M)
    assert match, f"no categories in {path}"
    names = [line.strip()[2:].strip() for line in match.group(1).splitlines()]
    return list(dict.fromkeys(n.strip("'\"") for n in names if n))


@pytest.fixture
def corpus_site(site: Site, tmp_path: Path) -> Path:
    articles = tmp_path / "corpus"
    shutil.copytree(CORPUS, articles / "corpus-sample")
    shutil.copytree(SEED, articles / "seed")
    return site(articles, limit=1000)


@pytest.fixture
def flat_corpus_site(tmp_path: Path) -> Path:
    articles = tmp_path / "flat-corpus"
    shutil.copytree(CORPUS, articles / "corpus-sample")
    shutil.copytree(SEED, articles / "seed")
    return make_site(tmp_path / "flat", articles, limit=1000, categories={"mode": "flat"})


def test_every_sample_article_is_in_every_feed_it_lists(
    runner: CliRunner, flat_corpus_site: Path
) -> None:
    """Flat categories (categories.mode: flat): every name listed is a feed of its own."""
    corpus_site = flat_corpus_site
    report = build_json(runner, corpus_site)
    out = corpus_site.parent / "output"
    sources = sorted((corpus_site.parent / "articles").rglob("*.*"))
    assert report["skipped"] == 0 and report["articles"] == len(sources) == 78
    left_out = {  # path -> the feeds a copy of another story was left out of
        p["path"]: set(p["reason"].split("left out of: ")[1].split(", "))
        for p in report["problems"]
        if p["stage"] == "duplicate"
    }
    assert left_out, "the sample has syndicated copies (36kr, 财联社, 证券时报网)"
    expected: Counter[str] = Counter()
    for path in sources:
        rel = path.relative_to(corpus_site.parent / "articles").as_posix()
        for name in listed_categories(path):
            expected[name] += name not in left_out.get(rel, set())
    feeds = {f["name"]: f for f in report["feeds"]}
    assert set(feeds) - {""} == set(expected)
    for name, count in expected.items():
        parsed = feedparser.parse((out / feeds[name]["files"]["atom"]).read_bytes())
        assert len(parsed.entries) == count == feeds[name]["items"], name
    seed_feeds = ["金融", "新浪财经", "新浪财经－国內"]
    for name in seed_feeds:
        titles = [e.title for e in feedparser.parse(out / feeds[name]["files"]["rss"]).entries]
        assert "工信部将研制中小企业数字化转型指导文件" in titles
    assert feeds[""]["items"] == 78 - sum("all" in feeds for feeds in left_out.values())


def test_every_sample_article_is_in_the_feed_of_every_node_of_its_path(
    runner: CliRunner, corpus_site: Path, flat_corpus_site: Path
) -> None:
    """Path categories (the default): a list is one path from the top, and every node of
    it is a feed holding its own and its descendants' articles; a generic leaf (快讯, 首页)
    is a feed per source, never one that mixes them. Checked through the --json report's
    ``path`` and the feeds read back."""
    report = build_json(runner, corpus_site)
    out = corpus_site.parent / "output"
    sources = sorted((corpus_site.parent / "articles").rglob("*.*"))
    assert report["skipped"] == 0 and report["articles"] == len(sources) == 78
    left_out = {
        p["path"]: set(p["reason"].split("left out of: ")[1].split(", "))
        for p in report["problems"]
        if p["stage"] == "duplicate"
    }
    expected: Counter[tuple[str, ...]] = Counter()
    for path in sources:
        rel = path.relative_to(corpus_site.parent / "articles").as_posix()
        names = tuple(listed_categories(path))
        for end in range(1, len(names) + 1):
            node = names[:end]
            expected[node] += "/".join(node) not in left_out.get(rel, set())
    feeds = {tuple(f["path"]): f for f in report["feeds"]}
    assert set(feeds) - {()} == set(expected)
    for node, count in expected.items():
        feed = feeds[node]
        assert feed["name"] == "/".join(node)
        parsed = feedparser.parse((out / feed["files"]["atom"]).read_bytes())
        assert parsed.feed.title == " · ".join(node)
        assert len(parsed.entries) == count == feed["items"], node
    # A node holds its descendants' articles: each parent's items are its children's and its own.
    for node, feed in feeds.items():
        children = [f for p, f in feeds.items() if len(p) == len(node) + 1 and p[:-1] == node]
        if node and children:
            assert feed["items"] >= max(child["items"] for child in children)
    seed = ("金融", "新浪财经", "新浪财经－国內")
    for end in range(1, 4):
        rss = out / feeds[seed[:end]]["files"]["rss"]
        assert "工信部将研制中小企业数字化转型指导文件" in [
            e.title for e in feedparser.parse(rss).entries
        ]
    assert feeds[seed[:3]]["slug"] == "jinrong-xinlang-caijing-xinlang-caijing-guonei"
    # Generic leaves: one feed per source, each holding that source's articles only.
    for leaf in ("快讯", "首页"):
        nodes = [node for node in expected if node[-1] == leaf]
        assert len({node[:-1] for node in nodes}) >= 2, leaf
    for node in (node for node in expected if len(node) >= 2):  # the source is the second name
        for entry in feedparser.parse(out / feeds[node]["files"]["atom"]).entries:
            assert entry.get("author") in node[1:], (node, entry.get("author"))
    flat = build_json(runner, flat_corpus_site)
    flat_names = {f["name"] for f in flat["feeds"]}
    assert {"快讯", "首页"} <= flat_names  # flat: one feed mixing every source's 快讯
    assert len(report["feeds"]) == len(expected) + 1


def test_every_feed_parses_cleanly_and_is_structurally_valid(
    runner: CliRunner, corpus_site: Path
) -> None:
    report = build_json(runner, corpus_site)
    out = corpus_site.parent / "output"
    for feed in report["feeds"]:
        rss, atom, jsonfeed = (out / feed["files"][f] for f in ("rss", "atom", "json"))
        for path in (rss, atom):
            parsed = feedparser.parse(path.read_bytes())
            assert not parsed.bozo, (path.name, parsed.get("bozo_exception"))
            assert len(parsed.entries) == feed["items"]
        assert_valid_rss(etree.fromstring(rss.read_bytes()))
        assert_valid_atom(etree.fromstring(atom.read_bytes()))
        data = json.loads(jsonfeed.read_text(encoding="utf-8"))
        assert data["version"] == "https://jsonfeed.org/version/1.1"
        assert all(item["id"] and item["content_html"] for item in data["items"])


def assert_valid_rss(root: etree._Element) -> None:
    """The RSS 2.0 rules a validator checks: required elements, unique guids, dates."""
    assert root.tag == "rss" and root.get("version") == "2.0"
    (channel,) = root.findall("channel")
    for required in ("title", "link", "description"):
        assert (channel.findtext(required) or "").strip(), required
    guids = channel.xpath("item/guid/text()")
    assert len(guids) == len(set(guids)) == len(channel.findall("item"))
    for item in channel.findall("item"):
        assert item.findtext("title") or item.findtext("description")
        rfc822 = r"\w{3}, \d\d \w{3} \d{4} \d\d:\d\d:\d\d [+-]\d{4}$"
        assert re.match(rfc822, item.findtext("pubDate") or "")
        assert item.find("author") is None  # RSS wants an e-mail there: names go to dc:creator
        for enclosure in item.findall("enclosure"):
            assert enclosure.get("type", "").startswith("image/") and enclosure.get("length")


def assert_valid_atom(root: etree._Element) -> None:
    """RFC 4287: feed and entries carry id, title, updated; an author; one alternate link."""
    assert root.tag == "{http://www.w3.org/2005/Atom}feed"
    for required in ("a:id", "a:title", "a:updated", "a:author/a:name"):
        assert root.xpath(required, namespaces=NS), required
    ids = root.xpath("a:entry/a:id/text()", namespaces=NS)
    assert len(ids) == len(set(ids))
    for entry in root.xpath("a:entry", namespaces=NS):
        for required in ("a:id", "a:title", "a:updated"):
            assert len(entry.xpath(required, namespaces=NS)) == 1, required
        assert len(entry.xpath("a:link[@rel='alternate']", namespaces=NS)) <= 1
        assert not entry.xpath("a:link[not(@rel)]", namespaces=NS)
        assert entry.xpath("a:content/@type", namespaces=NS) == ["html"]


def tree_bytes(folder: Path) -> dict[str, bytes]:
    """Every file under ``folder`` (the pages lie in folders), by relative path; not the
    hidden ones (the manifest, the lock)."""
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and not any(part.startswith(".") for part in p.relative_to(folder).parts)
    }


def test_golden_build_of_the_examples(runner: CliRunner, site: Site) -> None:
    """The bundled examples build to exactly the committed files.

    UPDATE_GOLDEN=1 rewrites them first: in that mode the test cannot fail, by design.
    Review the diff of tests/golden/ before committing it.
    """
    config = site(EXAMPLES)
    build_json(runner, config)
    out = config.parent / "output"
    produced = tree_bytes(out)
    if os.environ.get("UPDATE_GOLDEN"):
        shutil.rmtree(GOLDEN, ignore_errors=True)
        GOLDEN.mkdir(parents=True)
        for name, data in produced.items():
            (GOLDEN / name).parent.mkdir(parents=True, exist_ok=True)
            (GOLDEN / name).write_bytes(data)
    expected = tree_bytes(GOLDEN)
    assert sorted(produced) == sorted(expected)
    for name, data in produced.items():
        assert data == expected[name], f"{name} differs from tests/golden/examples/{name}"


def test_examples_default_config_builds(runner: CliRunner, tmp_path: Path) -> None:
    """The repository's own config.yaml, as the README's first command runs it."""
    shutil.copytree(ROOT / "examples", tmp_path / "examples")
    shutil.copy(ROOT / "config.yaml", tmp_path / "config.yaml")
    fix_mtimes(tmp_path / "examples")
    report = build_json(runner, tmp_path / "config.yaml")
    slugs = {f["name"]: f["slug"] for f in report["feeds"]}
    assert slugs["金融"] == "finance"  # the config's override
    assert slugs["金融/新浪财经"] == "jinrong-xinlang-caijing"  # a path: its slug follows it
    assert report["skipped"] == 0
    assert (tmp_path / "output" / "finance.atom.xml").is_file()


JUNK_THUMBNAIL = re.compile(r"picsum\.photos|/20200514/343233024\.png|/undefined\b|cors\.zfour")


def test_sample_thumbnails_are_real_images(runner: CliRunner, corpus_site: Path) -> None:
    """No placeholder, QR promo, undefined, proxy-wrapped or repeated generic image wins;
    an item whose body shows a real image gets one."""
    build_json(runner, corpus_site)
    rss = etree.parse(corpus_site.parent / "output" / "all.rss.xml")
    ns = {**NS, "content": "http://purl.org/rss/1.0/modules/content/"}
    per_source: Counter[tuple[str, str]] = Counter()
    with_image = 0
    for item in rss.iter("item"):
        thumbnail = item.xpath("media:thumbnail/@url", namespaces=ns)
        source = item.xpath("string(*[local-name()='creator'])")
        body = item.xpath("string(content:encoded)", namespaces=ns)
        images = lxml_html.fromstring(f"<div>{body}</div>").xpath("//img/@src")
        real = [src for src in images if not re.search(r"emoji|icon|face", src)]
        if thumbnail:
            (url,) = thumbnail
            assert not JUNK_THUMBNAIL.search(url), url
            assert item.xpath("enclosure/@url") == [url]
            per_source[(source, url)] += 1
        if real:
            with_image += 1
            assert thumbnail, f"{item.findtext('title')}: body shows {real[0]} but no thumbnail"
    assert with_image > 30
    assert max(per_source.values()) < 3, per_source.most_common(1)
