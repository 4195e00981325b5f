"""Public XSS vectors through whole builds: nothing executable reaches any reader, any format.

Each vector goes into an article's body, title, author, thumbnail and link at once; the
feeds are then read back as a browser would read the HTML inside them (html5lib).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import feedparser
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree
from typer.testing import CliRunner

from feeds.build import build
from feeds.cli.app import app
from feeds.config import config_from_dict
from feeds.report import BuildOptions
from tests.helpers import HTML_LIKE, VECTORS, executable_findings, hostile_article

CONTENT_NS = "{http://purl.org/rss/1.0/modules/content/}encoded"
DC_CREATOR = "{http://purl.org/dc/elements/1.1/}creator"
ATOM = "{http://www.w3.org/2005/Atom}"


def write_site(tmp_path: Path, bodies: list[str]) -> Path:
    """A site of these article files; returns its config file. Every article fits in a feed."""
    source = tmp_path / "articles"
    source.mkdir(parents=True, exist_ok=True)
    for i, text in enumerate(bodies):
        (source / f"{i:04d}.md").write_text(text, encoding="utf-8")
    config = tmp_path / "config.yaml"
    settings = {
        "sources": ["articles"],
        "limit": max(1000, len(bodies)),
        "cache": {"enabled": False},
    }
    config.write_text(yaml.safe_dump(settings), encoding="utf-8")
    return config


def build_site(tmp_path: Path, bodies: list[str]) -> Path:
    path = write_site(tmp_path, bodies)
    config = config_from_dict(yaml.safe_load(path.read_text(encoding="utf-8")), path)
    # Forced: hypothesis builds its examples one after another into one folder, and an
    # example whose one article is refused would otherwise keep the last one's feeds.
    build(config, BuildOptions(force=True))
    return config.output


def html_fields(out: Path) -> list[tuple[str, str]]:
    """(where, text) for every piece of text a reader may render as HTML."""
    found: list[tuple[str, str]] = []
    for path in sorted(out.glob("*.rss.xml")):
        for item in etree.parse(path).iter("item"):
            for child in item:
                found.append((f"{path.name} {child.tag}", child.text or ""))
    for path in sorted(out.glob("*.atom.xml")):
        for element in etree.parse(path).iter(f"{ATOM}title", f"{ATOM}summary", f"{ATOM}content"):
            found.append((f"{path.name} {element.tag}", element.text or ""))
    for path in sorted(out.glob("[!.]*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        found.append((path.name, data["title"]))
        for item in data["items"]:
            for key in ("title", "content_html", "summary"):
                found.append((f"{path.name} {key}", item.get(key, "")))
            for author in item.get("authors", []):
                found.append((f"{path.name} author", author["name"]))
            found.extend((f"{path.name} tag", tag) for tag in item.get("tags", []))
    return found


def url_fields(out: Path) -> list[str]:
    urls: list[str] = []
    for path in sorted(out.glob("*.xml")):
        tree = etree.parse(path)
        urls += tree.xpath("//@url | //@href")
        urls += [link.text or "" for link in tree.iter("link")]
    for path in sorted(out.glob("[!.]*.json")):
        for item in json.loads(path.read_text(encoding="utf-8"))["items"]:
            urls += [item[k] for k in ("url", "image") if k in item]
    return urls


@pytest.mark.slow
def test_public_vectors_through_every_format(runner: CliRunner, tmp_path: Path) -> None:
    vectors = [v["vector"] for v in VECTORS]
    assert len(vectors) >= 1500
    config = write_site(tmp_path, [hostile_article(v, i) for i, v in enumerate(vectors)])
    # The command as cron runs it, strict: no article may be skipped, nothing may fail.
    result = runner.invoke(app, ["build", "-c", str(config), "--json", "--strict"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["skipped"] == 0
    assert [p for p in report["problems"] if p["stage"] == "internal"] == []
    # Every vector reached the feeds, but for articles dropped as copies of another.
    out = config.parent / "output"
    shown = {
        int(m.group(1))
        for item in json.loads((out / "all.json").read_text(encoding="utf-8"))["items"]
        if (m := re.search(r"<p>article (\d+)</p>", item["content_html"]))
    }
    copies = {int(p["path"][:4]) for p in report["problems"] if p["stage"] == "duplicate"}
    assert shown | copies == set(range(len(vectors)))
    assert len(copies) < 20
    fields = html_fields(out)
    assert len(fields) > 10 * len(vectors)  # the vectors really reached the feeds
    findings = [(where, f) for where, text in fields for f in executable_findings(text)]
    assert findings == []
    for url in url_fields(out):
        assert url.startswith(("http://", "https://")), url
        assert not any(c in url for c in ' "<>\\`'), url
    for path in sorted(out.glob("*.xml")):
        assert not feedparser.parse(path.read_bytes()).bozo, path.name


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    st.one_of(st.text(max_size=400), HTML_LIKE),
    st.one_of(st.text(max_size=60), HTML_LIKE),
    st.one_of(st.none(), HTML_LIKE),
)
def test_any_body_and_title_give_well_formed_feeds(
    tmp_path: Path, body: str, title: str, link: str | None
) -> None:
    fields = {"title": title, "categories": ["c"], "date": "2022-05-26 12:00:00", "link": link}
    text = f"\n---\n{yaml.safe_dump(fields)}---\n\n<div>{body}</div>"
    out = build_site(tmp_path / "site", [text])
    for path in out.glob("*.xml"):
        etree.fromstring(path.read_bytes())  # raises if not well-formed
        assert not feedparser.parse(path.read_bytes()).bozo
    for path in out.glob("[!.]*.json"):
        json.loads(path.read_text(encoding="utf-8"))
    assert [f for _, text in html_fields(out) for f in executable_findings(text)] == []
    for url in url_fields(out):
        assert url.startswith(("http://", "https://")), url
