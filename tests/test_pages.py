"""The site beside the feeds, read back as a person's browser and a reader would.

Every item of every feed links somewhere real: its original, or its page, served by
``feeds serve`` with the item's title as its ``<h1>``. Every page parses, names its feeds
for autodiscovery, runs nothing and sends no Referer; the OPML lists every feed.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import feedparser
import html5lib
import listparser
import pytest
from lxml import etree
from lxml import html as lxml_html
from typer.testing import CliRunner

from feeds.cli.app import app
from tests.helpers import (
    CORPUS,
    EXAMPLES,
    SEED,
    VECTORS,
    build_json,
    executable_findings,
    hostile_article,
    output_mtimes,
    write_article,
)
from tests.serving import served

Site = Callable[..., Path]
SITE_URL = "https://example.org/news/"
FEED_TYPES = {"application/rss+xml", "application/atom+xml", "application/feed+json"}


def corpus_site(site: Site, tmp_path: Path, **settings: Any) -> Path:
    articles = tmp_path / "corpus"
    shutil.copytree(CORPUS, articles / "corpus-sample")
    shutil.copytree(SEED, articles / "seed")
    return site(articles, limit=1000, site={"url": SITE_URL}, **settings)


def feed_items(out: Path, report: dict[str, Any]) -> list[tuple[str, str, str | None]]:
    """(feed file, item title, item link) of every item of every feed, in every format,
    as feedparser and a JSON reader see them."""
    found = []
    for feed in report["feeds"]:
        for fmt in ("rss", "atom"):
            name = feed["files"][fmt]
            parsed = feedparser.parse((out / name).read_bytes())
            assert not parsed.bozo, name
            found += [(name, e.title, e.get("link")) for e in parsed.entries]
        name = feed["files"]["json"]
        items = json.loads((out / name).read_text(encoding="utf-8"))["items"]
        found += [(name, item["title"], item.get("url")) for item in items]
    return found


def parse_page(data: bytes) -> Any:
    """The page as a strict HTML5 parser reads it: any parse error fails."""
    parser = html5lib.HTMLParser(strict=True, namespaceHTMLElements=False)
    return parser.parse(data)


def h1_text(data: bytes) -> str:
    """The page's own heading: the <h1> atop its <main> (an article's body may hold more)."""
    [h1] = lxml_html.fromstring(data).xpath("//main/*/header/h1")
    return str(h1.text_content())


def test_every_item_links_to_its_original_or_a_served_page_titled_as_the_item(
    runner: CliRunner, site: Site, tmp_path: Path
) -> None:
    config = corpus_site(site, tmp_path)
    report = build_json(runner, config)
    out = config.parent / "output"
    items = feed_items(out, report)
    assert len(items) > 3 * 78  # every article, in every format, in all its feeds
    assert [i for i in items if not i[2]] == []  # every item has a link
    originals = {link for _, _, link in items if link and not link.startswith(SITE_URL)}
    inside = {(title, link) for _, title, link in items if link and link.startswith(SITE_URL)}
    assert inside, "the sample names no original link: its items link to their pages"
    with served(config) as server:
        for title, link in sorted(inside):
            status, headers, body = server.get(link.removeprefix(SITE_URL.rstrip("/")))
            assert status == 200, link
            assert headers["content-type"] == "text/html; charset=utf-8"
            assert h1_text(body) == title, link
    for link in originals:
        assert link.startswith(("http://", "https://")), link
    pages = sorted((out / "pages").rglob("*.html"))
    assert len(pages) == len({link for _, link in inside}) + len(originals) or len(pages) >= 78


def test_every_page_parses_names_its_feeds_and_runs_nothing(
    runner: CliRunner, site: Site, tmp_path: Path
) -> None:
    config = corpus_site(site, tmp_path)
    build_json(runner, config)
    out = config.parent / "output"
    pages = sorted(out.rglob("*.html"))
    assert len(pages) > 78 + 80  # an article page each, a listing per feed, the index
    images = 0
    for page in pages:
        data = page.read_bytes()
        parse_page(data)
        doc = lxml_html.fromstring(data)
        [csp] = doc.xpath('//meta[@http-equiv="Content-Security-Policy"]/@content')
        assert "default-src 'none'" in csp and "script-src" not in csp
        feeds = doc.xpath('//head/link[@rel="alternate"]')
        assert feeds, page
        for link in feeds:
            assert link.get("type") in FEED_TYPES
            assert link.get("href").startswith(SITE_URL)
            assert (out / link.get("href").removeprefix(SITE_URL)).is_file()
        for img in doc.iter("img"):
            assert img.get("referrerpolicy") == "no-referrer", (page, img.attrib)
            images += 1
        body = etree.tostring(doc.find("body"), encoding="unicode", method="html")
        assert executable_findings(body) == [], page
        for href in doc.xpath("//body//a/@href"):
            if not href.startswith(("http://", "https://")):  # a link inside the site
                target = (page.parent / href.split("#")[0]).resolve()
                assert target.is_file(), (page, href)
    assert images > 50  # the sample's pictures, each without a Referer


def test_the_opml_lists_every_feed_nested_by_category(
    runner: CliRunner, site: Site, tmp_path: Path
) -> None:
    config = corpus_site(site, tmp_path)
    report = build_json(runner, config)
    out = config.parent / "output"
    parsed = listparser.parse((out / "feeds.opml").read_text(encoding="utf-8"))
    assert not parsed.bozo, parsed.get("bozo_exception")
    urls = {feed.url for feed in parsed.feeds}
    expected = {SITE_URL + feed["files"]["rss"] for feed in report["feeds"]}
    assert urls == expected
    assert len(parsed.feeds) == len(report["feeds"]) == 91  # every node of every path
    by_url = {feed.url: feed for feed in parsed.feeds}
    for feed in report["feeds"]:
        listed = by_url[SITE_URL + feed["files"]["rss"]]
        # Nested by category path: the folders it is in are its path's names above it, and
        # a node with feeds below it is listed first in its own folder, beside them.
        path = feed["path"]
        below = [
            f
            for f in report["feeds"]
            if len(f["path"]) > len(path) > 0 and f["path"][: len(path)] == path
        ]
        folders = list(listed.categories[0]) if listed.categories else []
        assert folders == (path if below else path[:-1]), feed["name"]


def test_the_index_lists_every_feed_with_its_count_date_and_subscribe_links(
    runner: CliRunner, site: Site, tmp_path: Path
) -> None:
    config = corpus_site(site, tmp_path)
    report = build_json(runner, config)
    out = config.parent / "output"
    data = (out / "index.html").read_bytes()
    parse_page(data)
    doc = lxml_html.fromstring(data)
    entries = doc.xpath('//ul[@class="tree"]//li[a[@class="feed"]]')
    assert len(entries) == len(report["feeds"])
    for feed in report["feeds"]:
        [entry] = [e for e in entries if e.find("a").get("href") == f"c/{feed['slug']}/"
                   or e.find("a").get("href") == f"c/{feed['slug']}/index.html"]  # fmt: skip
        count = int(entry.xpath('span[@class="count"]')[0].text.split()[0])
        assert count >= feed["items"]
        assert entry.xpath("time/@datetime")
        formats = entry.xpath('span[@class="formats"]/a/@href')
        assert sorted(formats) == sorted(feed["files"].values())
    assert doc.xpath('//a[@href="feeds.opml"]')


def test_xss_vectors_built_into_pages_leave_nothing_executable(
    runner: CliRunner, site: Site, tmp_path: Path
) -> None:
    articles = tmp_path / "hostile"
    for i, vector in enumerate(v["vector"] for v in VECTORS):
        (articles / f"{i:04d}.md").parent.mkdir(parents=True, exist_ok=True)
        (articles / f"{i:04d}.md").write_text(hostile_article(vector, i), encoding="utf-8")
    config = site(articles, limit=5)
    build_json(runner, config, "--force")
    out = config.parent / "output"
    pages = sorted(out.rglob("*.html"))
    assert len(pages) > len(VECTORS)
    for page in pages:
        doc = lxml_html.fromstring(page.read_bytes())
        body = etree.tostring(doc.find("body"), encoding="unicode", method="html")
        assert executable_findings(body) == [], page
        head = doc.find("head")
        tags = {el.tag for el in head.iter() if isinstance(el.tag, str)}
        assert tags <= {"head", "meta", "title", "link", "style"}, page
        assert len(head.findall("style")) == 1 and len(head.xpath("meta[@http-equiv]")) == 1
        for link in head.findall("link"):  # feeds, and "no favicon" (a request, a 404)
            assert (link.get("rel"), link.get("href")) == ("icon", "data:,") or (
                link.get("rel") == "alternate" and link.get("type") in FEED_TYPES
            ), page


def pages_of(out: Path) -> dict[str, int]:
    return {k: v for k, v in output_mtimes(out).items() if k.endswith(".html")}


def test_a_rebuild_writes_only_the_pages_whose_articles_changed(
    runner: CliRunner, site: Site
) -> None:
    config = site(EXAMPLES)
    first = build_json(runner, config)
    out = config.parent / "output"
    assert [c for c in first["changed"] if c.startswith("pages/")]
    before = output_mtimes(out)
    again = build_json(runner, config)
    assert again["changed"] == [] and output_mtimes(out) == before  # no byte, no mtime
    articles = config.parent / "articles"
    write_article(articles, "新的/一篇.md", title="新来的一篇", categories=("金融",),
                  date="2030-01-01 08:00:00")  # fmt: skip
    report = build_json(runner, config)
    slugs = {f["name"]: f["slug"] for f in report["feeds"]}
    new_pages = [c for c in report["changed"] if c.startswith("pages/")]
    assert len(new_pages) == 1
    assert h1_text((out / new_pages[0]).read_bytes()) == "新来的一篇"
    listings = {f"c/{slugs[n]}/index.html" for n in ("", "金融")}
    html = {c for c in report["changed"] if c.endswith(".html")}
    assert html == {new_pages[0], "index.html", *listings}
    after = output_mtimes(out)
    unchanged = [p for p in before if p.startswith("pages/")]
    assert all(after[p] == before[p] for p in unchanged)


def test_a_page_stays_when_its_article_leaves_the_feeds_and_its_url_never_changes(
    runner: CliRunner, site: Site
) -> None:
    config = site(limit=1)
    articles = config.parent / "articles"
    write_article(articles, "a.md", title="第一篇", date="2022-05-01 10:00:00")
    first = build_json(runner, config)
    link = json.loads((config.parent / "output" / "all.json").read_text("utf-8"))["items"][0]
    page = link["url"].removeprefix("http://localhost:8000/")
    assert (config.parent / "output" / page).is_file()
    write_article(articles, "b.md", title="第二篇", date="2022-05-02 10:00:00")
    build_json(runner, config, "--prune")
    items = json.loads((config.parent / "output" / "all.json").read_text("utf-8"))["items"]
    assert [i["title"] for i in items] == ["第二篇"]  # the first left the feed (limit 1) ...
    assert h1_text((config.parent / "output" / page).read_bytes()) == "第一篇"  # ... not its page
    # Re-dated into another month: same page, same URL.
    write_article(articles, "a.md", title="第一篇", date="2022-09-09 10:00:00")
    build_json(runner, config)
    assert (config.parent / "output" / page).is_file()
    assert not list((config.parent / "output" / "pages" / "2022" / "09").glob("*.html"))
    assert first["feeds"]


def test_prune_removes_only_the_pages_this_tool_wrote(runner: CliRunner, site: Site) -> None:
    config = site()
    articles = config.parent / "articles"
    write_article(articles, "a.md", title="留下", categories=("甲",))
    gone = write_article(articles, "b.md", title="删掉", categories=("乙",),
                         date="2022-05-02 10:00:00")  # fmt: skip
    build_json(runner, config)
    out = config.parent / "output"
    page_of = {h1_text(p.read_bytes()): p for p in (out / "pages").rglob("*.html")}
    mine = page_of["删掉"].parent / "mine.html"
    mine.write_text("<p>a person's own page</p>", encoding="utf-8")
    gone.unlink()
    kept = build_json(runner, config)
    assert kept["removed"] == [] and page_of["删掉"].is_file()
    pruned = build_json(runner, config, "--prune", "--force")
    rel = page_of["删掉"].relative_to(out).as_posix()
    assert rel in pruned["removed"]
    assert not page_of["删掉"].exists() and page_of["留下"].is_file() and mine.is_file()
    assert all(r.endswith((".xml", ".json", ".html")) for r in pruned["removed"])


def test_a_file_a_person_put_where_a_page_goes_is_left_as_it_is(
    runner: CliRunner, site: Site
) -> None:
    config = site()
    write_article(config.parent / "articles", "a.md", title="一篇")
    out = config.parent / "output"
    out.mkdir()
    (out / "index.html").write_text("<h1>my own home page</h1>", encoding="utf-8")
    report = build_json(runner, config)
    assert (out / "index.html").read_text(encoding="utf-8") == "<h1>my own home page</h1>"
    assert [p["stage"] for p in report["problems"]] == ["write"]
    assert "index.html" not in report["changed"]


def test_pages_false_writes_no_page_and_items_keep_only_their_originals(
    runner: CliRunner, site: Site
) -> None:
    config = site(pages=False)
    articles = config.parent / "articles"
    write_article(articles, "a.md", title="无链接")
    write_article(articles, "b.md", title="有链接", extra="link: https://example.com/b\n")
    report = build_json(runner, config)
    out = config.parent / "output"
    assert not list(out.rglob("*.html")) and not (out / "feeds.opml").exists()
    items = json.loads((out / "all.json").read_text("utf-8"))["items"]
    assert {i["title"]: i.get("url") for i in items} == {
        "无链接": None,
        "有链接": "https://example.com/b",
    }
    assert b"xml-stylesheet" not in (out / "all.rss.xml").read_bytes()
    assert report["feeds"]


def test_pages_link_points_items_at_an_existing_sites_permalinks(
    runner: CliRunner, site: Site
) -> None:
    config = site(
        pages={"link": ":year/:month/:day/:title/"}, site={"link": "https://blog.example/"}
    )
    articles = config.parent / "articles"
    write_article(articles, "posts/hello-world.md", title="你好", date="2022-05-06 10:00:00")
    write_article(articles, "b.md", title="原文", extra="link: https://example.com/b\n")
    build_json(runner, config)
    out = config.parent / "output"
    entries = feedparser.parse((out / "all.atom.xml").read_bytes()).entries
    assert {e.title: e.link for e in entries} == {
        "你好": "https://blog.example/2022/05/06/posts/hello-world/",
        "原文": "https://example.com/b",
    }


@pytest.mark.parametrize(
    ("pages", "reason"),
    [
        ({"link": ":year/:slug/"}, "unknown placeholder :slug"),
        ({"link": "javascript:alert(1)"}, "a path, or an absolute http(s) URL"),
        ({"per_page": 0}, "must be a positive integer"),
        ({"colour": "red"}, "unknown key"),
    ],
)
def test_a_bad_pages_setting_is_one_error_line(
    runner: CliRunner, site: Site, pages: dict[str, Any], reason: str
) -> None:
    config = site(pages=pages)
    result = runner.invoke(app, ["build", "-c", str(config)])
    assert result.exit_code == 1
    [line] = result.stderr.splitlines()
    assert line.startswith(f"Error: {config}: pages.") and reason in line, line


def test_templates_from_the_config_replace_the_bundled_ones(runner: CliRunner, site: Site) -> None:
    folder = site().parent / "templates"
    folder.mkdir()
    (folder / "article.html").write_text(
        '{% extends "base.html" %}{% block main %}<article><header><h1>{{ article.title }}'
        '</h1></header><p class="mine">mine</p>{{ article.content }}</article>{% endblock %}',
        encoding="utf-8",
    )
    config = site(pages={"templates": "templates"})
    write_article(config.parent / "articles", "a.md", title="1 < 2 & 一篇")
    build_json(runner, config)
    [page] = (config.parent / "output" / "pages").rglob("*.html")
    data = page.read_bytes()
    assert b'<p class="mine">mine</p>' in data
    assert h1_text(data) == "1 < 2 & 一篇"
    assert "1 &lt; 2 &amp; 一篇".encode() in data  # escaped: a title is text
    # A change to a template renders every page again.
    before = output_mtimes(config.parent / "output")
    (folder / "article.html").write_text(
        '{% extends "base.html" %}{% block main %}<h1>{{ article.title }}</h1>{% endblock %}',
        encoding="utf-8",
    )
    report = build_json(runner, config)
    assert page.relative_to(config.parent / "output").as_posix() in report["changed"]
    assert before


def test_a_big_category_is_listed_over_pages_that_keep_their_items(
    runner: CliRunner, site: Site
) -> None:
    config = site(pages={"per_page": 3})
    articles = config.parent / "articles"
    for i in range(8):
        write_article(articles, f"{i}.md", title=f"第{i}篇", date=f"2022-05-{i + 1:02d} 10:00:00")
    report = build_json(runner, config)
    slug = next(f["slug"] for f in report["feeds"] if f["name"] == "金融")
    out = config.parent / "output"

    def walk() -> list[str]:
        """Every title listed, following the "older" links from the newest page."""
        titles: list[str] = []
        page: Path | None = out / "c" / slug / "index.html"
        while page is not None:
            doc = lxml_html.fromstring(page.read_bytes())
            titles += [str(a.text_content()) for a in doc.xpath('//ol[@class="items"]/li/a')]
            older = doc.xpath('//a[@rel="next"]/@href')
            page = (page.parent / older[0]) if older else None
        return titles  # each once: "older" shows nothing the pages before it showed

    assert walk() == [f"第{i}篇" for i in reversed(range(8))]
    numbered = sorted(p.name for p in (out / "c" / slug).glob("[0-9]*.html"))
    oldest = (out / "c" / slug / "1.html").read_bytes()
    write_article(articles, "8.md", title="第8篇", date="2022-05-09 10:00:00")
    build_json(runner, config)
    assert walk() == [f"第{i}篇" for i in reversed(range(9))]
    assert (out / "c" / slug / "1.html").read_bytes() == oldest  # old pages keep their items
    assert numbered == ["1.html", "2.html"]


def test_a_browser_opening_a_feed_file_gets_a_readable_page(runner: CliRunner, site: Site) -> None:
    config = site(EXAMPLES)
    report = build_json(runner, config)
    out = config.parent / "output"
    transform = etree.XSLT(etree.parse(str(out / "feed.xsl")))
    for fmt in ("rss", "atom"):
        name = next(f for f in report["feeds"] if f["slug"] == "all")["files"][fmt]
        data = (out / name).read_bytes()
        assert data.splitlines()[1] == b'<?xml-stylesheet href="feed.xsl" type="text/xsl"?>'
        assert not feedparser.parse(data).bozo
        shown = str(transform(etree.fromstring(data)))
        titles = [e.title for e in feedparser.parse(data).entries]
        doc = lxml_html.fromstring(shown)
        assert [str(a.text_content()) for a in doc.xpath("//ol/li/a")] == titles
        assert all(a.get("href") for a in doc.xpath("//ol/li/a"))


def test_the_feed_stylesheet_takes_an_atom_link_without_rel(runner: CliRunner, site: Site) -> None:
    """A link with no rel is an alternate link (RFC 4287, 4.2.7.2); a self link is not."""
    config = site(EXAMPLES)
    build_json(runner, config)
    transform = etree.XSLT(etree.parse(str(config.parent / "output" / "feed.xsl")))
    atom = (
        '<feed xmlns="http://www.w3.org/2005/Atom"><title>源</title>'
        "<entry><title>第一篇</title><updated>2022-05-26T12:04:07+08:00</updated>"
        '<link rel="self" href="https://example.org/self"/>'
        '<link href="https://example.org/a"/></entry></feed>'
    )
    doc = lxml_html.fromstring(str(transform(etree.fromstring(atom.encode()))))
    assert [str(h.text_content()) for h in doc.xpath("//h1")] == ["源"]
    [link] = doc.xpath("//ol/li/a")
    assert (str(link.text_content()), link.get("href")) == ("第一篇", "https://example.org/a")
    [time] = doc.xpath("//ol/li/time")
    assert (time.text, time.get("datetime")) == ("2022-05-26", "2022-05-26T12:04:07+08:00")


def test_the_site_moves_with_its_output_folder(runner: CliRunner, site: Site) -> None:
    """Links between pages are relative: the folder works wherever it is served."""
    config = site(EXAMPLES)
    build_json(runner, config)
    out = config.parent / "output"
    moved = config.parent / "elsewhere" / "deep"
    shutil.copytree(out, moved, ignore=shutil.ignore_patterns(".*"))
    for page in moved.rglob("*.html"):
        for href in lxml_html.fromstring(page.read_bytes()).xpath("//body//a/@href"):
            if not href.startswith(("http://", "https://")):
                assert (page.parent / href).resolve().is_file() or (
                    (page.parent / href / "index.html").is_file()
                ), (page, href)
    assert os.listdir(moved)


def test_without_the_feed_of_everything_the_index_names_every_feed(
    runner: CliRunner, site: Site
) -> None:
    config = site(categories={"all": {"enabled": False}})
    write_article(config.parent / "articles", "a.md", title="一篇", categories=("甲", "乙"))
    report = build_json(runner, config)
    doc = lxml_html.fromstring((config.parent / "output" / "index.html").read_bytes())
    hrefs = doc.xpath('//head/link[@rel="alternate"]/@href')
    assert sorted(hrefs) == sorted(
        "http://localhost:8000/" + name for f in report["feeds"] for name in f["files"].values()
    )
    assert len(report["feeds"]) == 2


def test_feeds_check_renders_no_page_and_loads_no_html_for_them(
    runner: CliRunner, site: Site
) -> None:
    config = site(limit=1, read={"light_from": 1})
    for i in range(4):
        write_article(config.parent / "articles", f"{i}.md", title=f"第{i}篇",
                      date=f"2022-05-0{i + 1} 10:00:00")  # fmt: skip
    result = runner.invoke(app, ["check", "-c", str(config), "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["loaded"] == 1  # the one feed item's, as without pages
    assert not (config.parent / "output").exists()


def test_a_large_archive_gets_its_pages_over_several_builds_feed_items_first(
    runner: CliRunner, site: Site
) -> None:
    config = site(limit=2, pages={"per_build": 3})
    articles = config.parent / "articles"
    for i in range(7):
        write_article(articles, f"{i}.md", title=f"第{i}篇", date=f"2022-05-0{i + 1} 10:00:00")
    out = config.parent / "output"

    def titled() -> set[str]:
        return {h1_text(p.read_bytes()) for p in (out / "pages").rglob("*.html")}

    first = build_json(runner, config)
    assert titled() == {"第6篇", "第5篇", "第4篇"}  # the feeds' two items, then the newest
    for entry in feed_items(out, first):  # every item's link resolves at once
        assert (out / entry[2].removeprefix("http://localhost:8000/")).is_file()
    build_json(runner, config)  # no shortcut while pages wait
    assert titled() == {f"第{i}篇" for i in range(1, 7)}
    build_json(runner, config)
    assert titled() == {f"第{i}篇" for i in range(7)}
    last = build_json(runner, config)
    assert last["changed"] == []
