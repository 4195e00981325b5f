"""``feeds serve`` over real HTTP: types, validators, no dot files, rebuilds, a clean stop."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.helpers import EXAMPLES, build_json, write_article
from tests.serving import served

Site = Callable[..., Path]


@pytest.fixture
def built(runner: CliRunner, site: Site) -> Path:
    config = site(EXAMPLES)
    build_json(runner, config)
    return config


def test_every_kind_of_output_has_its_type_and_utf8(built: Path) -> None:
    expected = {
        # XML Chromium renders (through feed.xsl); readers go by the document, not the type.
        "/all.rss.xml": "application/xml; charset=utf-8",
        "/all.atom.xml": "application/xml; charset=utf-8",
        "/all.json": "application/feed+json; charset=utf-8",
        "/index.html": "text/html; charset=utf-8",
        "/": "text/html; charset=utf-8",
        "/c/all/": "text/html; charset=utf-8",
        "/feeds.opml": "text/x-opml; charset=utf-8",
        "/feed.xsl": "text/xsl; charset=utf-8",
    }
    out = built.parent / "output"
    with served(built) as server:
        for path, kind in expected.items():
            status, headers, body = server.get(path)
            assert (status, headers["content-type"]) == (200, kind), path
            on_disk = out / (path.strip("/") or "index.html")
            if on_disk.is_dir():
                on_disk = on_disk / "index.html"
            assert body == on_disk.read_bytes(), path
        # Served as plain XML, a feed must name its kind in its first 512 bytes: the W3C
        # validator sniffs there, and warns (NonSpecificMediaType) when it finds no root.
        assert b"<rss " in server.get("/all.rss.xml")[2][:512]
        assert b"<feed " in server.get("/all.atom.xml")[2][:512]
        status, headers, _ = server.get("/c/all")
        assert (status, headers["location"]) == (301, "/c/all/")


def test_validators_give_304_and_a_changed_file_a_new_etag(built: Path) -> None:
    out = built.parent / "output"
    with served(built) as server:
        status, headers, body = server.get("/all.rss.xml")
        etag, modified = headers["etag"], headers["last-modified"]
        assert status == 200 and body
        assert server.get("/all.rss.xml", {"If-None-Match": etag})[0] == 304
        assert server.get("/all.rss.xml", {"If-Modified-Since": modified})[0] == 304
        head = server.get("/all.rss.xml", method="HEAD")
        assert (head[0], head[1]["etag"], head[2]) == (200, etag, b"")
        path = out / "all.rss.xml"
        stat = path.stat()
        os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 5_000_000_000))
        status, headers, _ = server.get("/all.rss.xml", {"If-None-Match": etag})
        assert status == 200 and headers["etag"] != etag


@pytest.mark.parametrize(
    "path",
    [
        "/.feeds-manifest.json",
        "/.feeds.lock",
        "/.hidden/x.html",
        "/c/.secret",
        "/%2efeeds-manifest.json",
        "/../config.yaml",
        "/c/../../config.yaml",
        "/%2e%2e/config.yaml",
        "/link-out/config.yaml",
        "/nothing-here.html",
    ],
)
def test_dot_files_and_anything_outside_are_never_served(built: Path, path: str) -> None:
    out = built.parent / "output"
    (out / ".feeds.lock").touch()
    (out / ".hidden").mkdir()
    (out / ".hidden" / "x.html").write_text("secret", encoding="utf-8")
    (out / "c" / ".secret").write_text("secret", encoding="utf-8")
    (out / "link-out").symlink_to(built.parent)
    assert (out / ".feeds-manifest.json").is_file()
    with served(built) as server:
        status, _, body = server.get(path)
        assert status == 404, path
        assert b"secret" not in body and b"sources" not in body


def test_watch_rebuilds_on_a_new_article_and_tells_the_pages_to_reload(
    runner: CliRunner, site: Site
) -> None:
    config = site()
    articles = config.parent / "articles"
    write_article(articles, "a.md", title="第一篇")
    with served(config, "--watch") as server:  # builds first: nothing was built before
        status, _, page = server.get("/")
        assert status == 200
        assert b'<script src="/__feeds__/reload.js"></script>' in page
        assert b"script-src &#39;self&#39;" in page  # the served page lets that script run
        assert server.get("/__feeds__/reload.js")[0] == 200
        version = server.get("/__feeds__/version")[2]
        write_article(articles, "b.md", title="第二篇", date="2022-06-01 10:00:00")
        deadline = time.monotonic() + 120  # a bound on waiting, not a timing assertion
        while server.get("/__feeds__/version")[2] == version:
            assert time.monotonic() < deadline, "no rebuild after a new article"
            time.sleep(0.2)
        status, _, body = server.get("/all.json")
        assert "第二篇" in body.decode("utf-8")
    on_disk = (config.parent / "output" / "index.html").read_bytes()
    assert b"<script" not in on_disk  # the files themselves never carry it
    assert b"script-src" not in on_disk


def test_without_watch_pages_are_served_as_they_are(built: Path) -> None:
    with served(built) as server:
        assert b"<script" not in server.get("/")[2]
        assert server.get("/__feeds__/version")[0] == 404


@pytest.mark.parametrize("stop", [signal.SIGINT, signal.SIGTERM])
def test_it_says_where_it_listens_and_stops_cleanly(built: Path, stop: signal.Signals) -> None:
    with served(built) as server:
        assert "Serving" in server.lines[0] and f":{server.port}/" in server.lines[0]
        server.process.send_signal(stop)
        assert server.process.wait(timeout=60) == 0
    server.reader.join(timeout=60)  # it has read every line once the process is gone
    assert any("Stopped." in line for line in server.lines)
    assert not any("Traceback" in line for line in server.lines)


def test_nothing_built_is_an_error_line(runner: CliRunner, site: Site) -> None:
    from feeds.cli.app import app

    config = site()
    result = runner.invoke(app, ["serve", "-c", str(config), "--port", "0"])
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: nothing to serve in ")
