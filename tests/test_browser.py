"""The site in headless Chromium (the Debian package), served by ``feeds serve``.

The index, a feed's page and an article's page are opened as a person would; the DOM is
checked, the console must show no error and no resource blocked, images must be asked
for without a Referer, and screenshots are saved under the test's folder. Images of other
hosts are answered here (no network in CI): what matters is how the browser asks.
"""

from __future__ import annotations

import base64
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import feedparser
import pytest
from typer.testing import CliRunner

from tests.external import REQUIRED, program
from tests.helpers import CORPUS, SEED, build_json
from tests.serving import Served, served

Site = Callable[..., Path]
PIXEL = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
)


# Chromium's console warning on a page made by XSLT (it is removing XSLT); nothing else.
XSLT_DEPRECATED = "XSLTProcessor and XSLT Processing Instructions have been deprecated"


def chromium_binary() -> str:
    # Debian's /usr/bin/chromium is a shell script; Playwright starts the binary itself.
    return program("/usr/lib/chromium/chromium", "chromium", "chromium-browser")


@pytest.fixture
def site_served(runner: CliRunner, site: Site, tmp_path: Path) -> Iterator[Served]:
    articles = tmp_path / "corpus"
    shutil.copytree(CORPUS, articles / "corpus-sample")
    shutil.copytree(SEED, articles / "seed")
    config = site(articles, limit=1000)
    build_json(runner, config)
    with served(config) as server:
        yield server


@pytest.fixture
def browser_page(tmp_path: Path) -> Iterator[tuple[Any, dict[str, list[Any]]]]:
    executable = chromium_binary()
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:  # pragma: no cover - a test dependency
        if REQUIRED:
            pytest.fail("playwright is not installed")
        pytest.skip("playwright is not installed")
    seen: dict[str, list[Any]] = {"console": [], "failed": [], "images": [], "errors": []}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=["--no-sandbox"])
        try:
            context = browser.new_context(viewport={"width": 390, "height": 844})  # a phone

            def answer_elsewhere(route: Any) -> None:
                request = route.request
                if urlsplit(request.url).hostname == "127.0.0.1":
                    route.continue_()
                    return
                seen["images"].append((request.url, request.resource_type, request.headers))
                route.fulfill(status=200, content_type="image/png", body=PIXEL)

            context.route("**/*", answer_elsewhere)
            yield watched(context.new_page(), seen), seen
        finally:
            browser.close()


def watched(page: Any, seen: dict[str, list[Any]]) -> Any:
    """The page, its console messages, failed requests and errors noted in ``seen``."""
    page.on("console", lambda m: seen["console"].append((m.type, m.text)))
    page.on("requestfailed", lambda r: seen["failed"].append((r.url, r.failure)))
    page.on("pageerror", lambda e: seen["errors"].append(str(e)))
    return page


def problems(seen: dict[str, list[Any]]) -> list[Any]:
    """Console errors and warnings (a CSP violation is one), failed requests, page errors."""
    told = [m for m in seen["console"] if m[0] in ("error", "warning")]
    return told + seen["failed"] + seen["errors"]


def test_index_feed_page_and_article_page_in_chromium(
    site_served: Served, browser_page: tuple[Any, dict[str, list[Any]]], tmp_path: Path
) -> None:
    page, seen = browser_page
    base = site_served.base
    shots = tmp_path / "screenshots"
    shots.mkdir()

    page.goto(base)
    assert page.title() == "feeds"
    feeds = page.locator("ul.tree a.feed")
    assert feeds.count() == 91  # every node of the sample's category paths
    assert page.locator('head link[rel="alternate"]').count() >= 3
    page.screenshot(path=shots / "index.png", full_page=True)
    href = page.locator("ul.tree a.feed").first.get_attribute("href")
    assert href

    page.goto(base + "c/all/")
    items = page.locator("ol.items > li > a")
    # The listing's first page holds its newest articles down to the newest full page
    # below it: the sample's 78, under two pages of 50, are all there, and none is older.
    assert items.count() == 78
    assert page.locator("h1").inner_text() == "All articles"
    assert page.locator('nav.pager a[rel="next"]').count() == 0
    page.screenshot(path=shots / "feed.png", full_page=True)

    # The seed article, from Sina, reached as a person does: by its title in the listing.
    seed = "工信部将研制中小企业数字化转型指导文件"
    items.filter(has_text=seed).first.click()
    page.wait_for_load_state("load")
    assert page.url.startswith(base + "pages/")
    assert page.locator("main article header h1").inner_text() == seed
    assert page.locator("nav.path a").count() >= 3  # 金融, 新浪财经, 新浪财经－国內
    page.screenshot(path=shots / "article.png", full_page=True)

    # An article with pictures (hotlink-protected hosts refuse a Referer).
    out = Path(site_served.root)
    pictured = next(p for p in sorted((out / "pages").rglob("*.html")) if b"<img" in p.read_bytes())
    page.goto(base + pictured.relative_to(out).as_posix())
    images = page.locator("main img")
    assert images.count() >= 1
    for i in range(images.count()):
        assert images.nth(i).get_attribute("referrerpolicy") == "no-referrer"
        images.nth(i).scroll_into_view_if_needed()
    page.wait_for_load_state("networkidle")
    page.screenshot(path=shots / "pictures.png", full_page=True)

    asked = [headers for url, kind, headers in seen["images"] if kind == "image"]
    assert asked, "the article's pictures were asked for"
    assert all("referer" not in {k.lower() for k in headers} for headers in asked)
    assert problems(seen) == []
    assert sorted(p.name for p in shots.iterdir()) == [
        "article.png",
        "feed.png",
        "index.png",
        "pictures.png",
    ]


def test_a_feed_file_opened_in_chromium_shows_the_stylesheets_page(
    site_served: Served, browser_page: tuple[Any, dict[str, list[Any]]], tmp_path: Path
) -> None:
    """A person opening a feed file sees feed.xsl's page, not XML or plain text (nor the
    issue's mojibake). Chromium shows application/rss+xml and application/atom+xml as text:
    it applies a stylesheet only to an XML type it renders, so feeds are served as
    application/xml. It warns that XSLT is deprecated; that warning is the only one allowed.

    Each feed opens in a page of its own, closed after: Chromium loads the stylesheet in a
    way Playwright's request routing never sees finish, so navigating the page elsewhere
    would report that finished request as aborted.
    """
    first, seen = browser_page
    out = Path(site_served.root)
    for name in ("jinrong-xinlang-caijing.rss.xml", "jinrong-xinlang-caijing.atom.xml"):
        feed = feedparser.parse((out / name).read_bytes())
        assert feed.feed.title == "金融 · 新浪财经" and feed.entries
        page = watched(first.context.new_page(), seen)
        answers: list[Any] = []
        page.on("response", lambda r, answers=answers: answers.append(r))
        response = page.goto(site_served.base + name)
        assert response is not None and response.status == 200
        assert response.headers["content-type"] == "application/xml; charset=utf-8"
        assert page.locator("main h1").inner_text() == feed.feed.title
        assert page.evaluate("document.contentType") == "text/html"  # the stylesheet's output
        assert page.title() == feed.feed.title
        stylesheet = [(r.url, r.status) for r in answers if r.url.endswith(".xsl")]
        assert stylesheet == [(site_served.base + "feed.xsl", 200)]
        links = page.locator("ol.items > li > a")
        assert links.all_inner_texts() == [e.title for e in feed.entries]
        hrefs = [links.nth(i).get_attribute("href") for i in range(links.count())]
        assert hrefs == [e.link for e in feed.entries]
        page.screenshot(path=tmp_path / f"{name}.png", full_page=True)
        page.close()
    deprecated = [m for m in seen["console"] if m[1].startswith(XSLT_DEPRECATED)]
    assert deprecated and all(kind == "warning" for kind, _ in deprecated)
    assert [m for m in problems(seen) if m not in deprecated] == []
    shots = ["jinrong-xinlang-caijing.atom.xml.png", "jinrong-xinlang-caijing.rss.xml.png"]
    assert sorted(p.name for p in tmp_path.glob("*.png")) == shots
