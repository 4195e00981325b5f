"""Plain helpers the test files share: where the real files are, sites, articles, builds.

Fixtures live in ``conftest.py``; everything here is imported (``from tests.helpers import``).
"""

from __future__ import annotations

import dataclasses
import html
import json
import os
import re
import shutil
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import html5lib
import yaml
from hypothesis import strategies as st
from typer.testing import CliRunner

from feeds.cli.app import app
from feeds.config import Config, config_from_dict
from feeds.models import Article, Feed
from feeds.run.files import TMP_PREFIX
from feeds.run.locks import LOCK
from feeds.state.manifest import MANIFEST

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "tests" / "data"  # copies of real files, so that a plain clone runs the suite
CORPUS = DATA / "corpus-sample"  # the sample of the real archive
SEED = DATA / "seed"  # the article this project started from
EXAMPLES = ROOT / "examples" / "articles"
REAL_FILES = sorted(  # every real article we have: the sample archive and the seed
    path for folder in (CORPUS, SEED) for path in folder.rglob("*") if path.is_file()
)
FIXED_MTIME = 1_650_000_000  # 2022-04-15: makes mtime-dated articles reproducible


# --- article files and sites -------------------------------------------------------------------


def write_article(
    folder: Path,
    name: str,
    *,
    title: str = "标题",
    categories: tuple[str, ...] = ("金融",),
    date: str = "Thu, 26 May 2022 12:04:07 GMT",
    body: str = "<p>正文内容。</p>",
    extra: str = "",
) -> Path:
    """Write one article in the archive's own shape (blank line, front matter, div body)."""
    cats = "".join(f" - {c}\n" for c in categories)
    text = (
        f"\n---\ntitle: {yaml.safe_dump(title, allow_unicode=True).splitlines()[0]}\n"
        f"categories: \n{cats}author: {categories[-1]}\ncomments: false\n"
        f"date: {date}\n{extra}---\n\n<div>   \n{body}\n</div>            "
    )
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def make_site(
    root: Path, articles: Path | None = None, *, count: int | None = None, **settings: object
) -> Path:
    """A project folder with a config.yaml; returns the config path.

    ``articles`` is copied to ``root/articles`` with fixed mtimes. With ``count``, only its
    first ``count`` files (in path order) are copied, with their own mtimes, beside whatever
    the folder already holds: a second call with a larger count brings the rest of the
    archive. ``settings`` are config settings.
    """
    root.mkdir(parents=True, exist_ok=True)
    source = root / "articles"
    if articles is not None and count is not None:
        for path in sorted(p for p in articles.rglob("*") if p.is_file())[:count]:
            target = source / path.relative_to(articles)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, target)
    elif articles is not None:
        shutil.copytree(articles, source)
        fix_mtimes(source)
    else:
        source.mkdir(exist_ok=True)
    config: dict[str, object] = {
        "sources": ["articles"],
        "output": "output",
        "cache": {"path": "cache.sqlite"},
    }
    config.update(settings)
    path = root / "config.yaml"
    path.write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    return path


def fix_mtimes(folder: Path) -> None:
    for path in folder.rglob("*"):
        os.utime(path, (FIXED_MTIME, FIXED_MTIME), follow_symlinks=False)


def make_config(folder: Path = Path(), **settings: object) -> Config:
    """The config of ``folder/config.yaml`` with these settings (nothing is written)."""
    return config_from_dict(dict(settings), folder / "config.yaml")


DATE = datetime(2022, 5, 26, tzinfo=UTC)


def make_article(path: str = "a.md", *, hours: float = 0, **fields: Any) -> Article:
    """An Article as the reader hands it over, for the stages after it.

    ``path`` names it: it is also its title and guid, and its dedupe key is ``key:<path>``
    (articles at different paths are different stories), unless given. Its date is
    ``hours`` after 2022-05-26 00:00 UTC unless ``date`` is given. Any other Article field
    by keyword.
    """
    values: dict[str, Any] = {
        "guid": path,
        "title": path,
        "categories": ("cat", "sub"),
        "author": "src",
        "date": DATE + timedelta(hours=hours),
        "link": None,
        "content_html": "<p>text</p>",
        "summary": "text",
        "dedupe_key": f"key:{path}",
    }
    values.update(fields)
    return Article(path=path, **values)


# --- builds ------------------------------------------------------------------------------------


def make_feed(*articles: Article, **changes: Any) -> Feed:
    """A feed of ``articles`` (the 金融 category's, unless ``changes`` say otherwise)."""
    base = Feed(
        name="金融",
        slug="jinrong",
        title="金融",
        description="金融新闻",
        image=None,
        default_thumbnail=None,
        articles=articles,
    )
    return dataclasses.replace(base, **changes)


def build_json(runner: CliRunner, config: Path, *args: str) -> dict[str, Any]:
    """``feeds build --json`` in this process; it must succeed. Returns the JSON report."""
    result = runner.invoke(app, ["build", "-c", str(config), "--json", *args])
    assert result.exit_code == 0, result.output
    report: dict[str, Any] = json.loads(result.stdout)
    return report


def build_command(config: Path, *args: str) -> list[str]:
    """The command line of a quiet ``feeds build`` in a process of its own."""
    return [sys.executable, "-m", "feeds", "build", "-c", str(config), "--quiet", *args]


def run_build(config: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Run ``build_command`` to its end."""
    return subprocess.run(build_command(config, *args), capture_output=True, text=True, timeout=120)


GENERATED_ARTICLES = 2000  # the size of the archive ``generate_articles`` makes for crash tests
_TOPICS = ["金融", "科技", "游戏", "设计", "学习", "编程", "博客", "图片"]
_SOURCES = ["新浪财经", "36kr", "财联社", "掘金", "少数派", "煎蛋", "雪球"]


def generate_articles(folder: Path, numbers: range) -> None:
    """Articles numbered ``numbers`` in 50 folders, over 8 topics and 7 sources."""
    for i in numbers:
        paragraphs = "".join(
            f"<p>第{i}篇第{k}段：市场{i % 13}数据增长，企业投资{k}。</p>" for k in range(2 + i % 9)
        )
        write_article(
            folder,
            f"{i % 50:02d}/{i:05d}.md",
            title=f"第{i}号新闻",
            categories=(_TOPICS[i % len(_TOPICS)], _SOURCES[i % len(_SOURCES)]),
            date=f"2022-{1 + i % 12:02d}-{1 + i % 28:02d} {i % 24:02d}:{i % 60:02d}:00",
            body=paragraphs + f"<p><img src='https://img.example.com/{i}.jpg'></p>",
        )


def output_files(out: Path) -> list[Path]:
    """Every file in the output folder and in its folders (the pages), in path order."""
    return sorted(p for p in out.rglob("*") if not p.is_dir())


def output_mtimes(out: Path) -> dict[str, int]:
    """The output files (pages in folders too, by relative path) and their mtimes (not
    temporary files: they come and go)."""
    found = {}
    for path in output_files(out):
        if not path.name.startswith(TMP_PREFIX) and path.name != LOCK:
            found[path.relative_to(out).as_posix()] = path.stat().st_mtime_ns
    return found


# --- comparing output folders ------------------------------------------------------------------


def comparable_outputs(folder: Path, *, lock: bool = False) -> dict[str, bytes]:
    """Every file's bytes, the manifest as ``comparable_manifest`` has it. Not the lock's,
    unless ``lock``: then two folders compare equal only if both have one."""
    files = {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in output_files(folder)
        if lock or p.suffix != ".lock"
    }
    if MANIFEST in files:
        files[MANIFEST] = comparable_manifest(files[MANIFEST])
    return files


def comparable_manifest(data: bytes) -> bytes:
    """The manifest with the size of each file it records, not its mtime, and without its
    owner: two folders written at different times, by two configs, differ in those only."""
    manifest = json.loads(data)
    manifest["stats"] = {name: size for name, (size, _) in manifest["stats"].items()}
    # A page's fingerprint holds its source file's stamp (inode, ctime): like an mtime, it
    # differs between two copies of one archive. The page's bytes are compared all the same.
    manifest["fingerprints"] = {
        name: print_
        for name, print_ in manifest["fingerprints"].items()
        if not name.startswith("pages/")
    }
    manifest.pop("owner", None)
    return json.dumps(manifest, ensure_ascii=False, indent=2).encode()


# --- what a browser could run ------------------------------------------------------------------

# From html5sec.org (cure53/H5SC), DOMPurify's test fixtures, the OWASP XSS Filter Evasion
# Cheat Sheet, ammonia's tests and bleach's tests: tests/data/xss/collect.py and README.md.
VECTORS: list[dict[str, str]] = json.loads(
    (DATA / "xss" / "vectors.json").read_text(encoding="utf-8")
)
EXECUTABLE_TAGS = {"script", "iframe", "object", "embed", "form", "base", "meta", "link"}
EXECUTABLE_TAGS |= {"style", "svg", "math", "frame", "frameset", "applet"}
URL_ATTRIBUTES = {"href", "src", "action", "formaction", "srcdoc", "style", "data", "poster"}
URL_ATTRIBUTES |= {"background", "lowsrc", "dynsrc", "srcset"}
# What browsers skip inside a URL or a CSS value before they read a scheme or keyword.
URL_NOISE = re.compile(r"[\s\x00-\x1f\x7f-\x9f\u200b-\u200f\u2028\u2029\ufeff]+")
RASTER_DATA = re.compile(r"data:image/(?:png|jpe?g|gif|webp|avif|bmp)[;,]")


def executable_findings(fragment: str) -> list[str]:
    """What a browser could run in ``fragment``: elements, handlers, script URLs, CSS."""
    found = []
    document: Any = html5lib.parse(fragment, namespaceHTMLElements=False)
    for el in document.iter():
        if not isinstance(el.tag, str):
            continue
        tag = el.tag.rsplit("}", 1)[-1].lower()
        if tag in EXECUTABLE_TAGS:
            found.append(f"<{tag}>")
        for name, value in el.attrib.items():
            local = name.rsplit("}", 1)[-1].rsplit(":", 1)[-1].lower()  # xlink:href -> href
            bare = URL_NOISE.sub("", html.unescape(value)).lower()
            if local.startswith("on") or local == "style":
                found.append(f"{name}=")
            if "expression(" in bare:
                found.append(f"{name}=expression(")
            if local in URL_ATTRIBUTES and (
                bare.startswith(("javascript:", "vbscript:"))
                or (bare.startswith("data:") and not RASTER_DATA.match(bare))
            ):
                found.append(f"{name}={value[:30]!r}")
    return found


# --- HTML built from a grammar: tags, attributes, quoting, entities, URLs, nesting -------------
# HTML_LIKE: fragments made of the parts attack vectors are made of, for hypothesis.

_TAG_NAMES = [
    *("p", "div", "span", "a", "img", "b", "table", "tr", "td", "ul", "li", "pre", "figure"),
    *("svg", "math", "script", "style", "iframe", "object", "embed", "form", "input", "button"),
    *("textarea", "title", "noscript", "template", "select", "option", "xmp", "noembed", "base"),
    *("meta", "link", "video", "source", "image", "animate", "set", "foreignObject", "mglyph"),
    *("mtext", "annotation-xml", "desc", "frameset", "isindex", "listing", "body", "x-y", "SCRIPT"),
]
_ATTRIBUTE_NAMES = [
    *("href", "src", "srcset", "data-src", "data-srcset", "onerror", "onload", "onclick"),
    *("OnMouseOver", "formaction", "action", "poster", "background", "xlink:href", "xmlns"),
    *("srcdoc", "data", "id", "name", "class", "title", "alt", "width", "rel", "lowsrc", "value"),
    *("http-equiv", "content", "encoding", "attributeName", "to", "values", "is"),
]
_SCHEMES = ["javascript:", "vbscript:", "data:text/html,", "data:image/svg+xml,", "livescript:"]
_SCHEMES += ["data:image/png;base64,", "http://", "https://", "//", "feed:", "jar:", "", "/"]
_PAYLOADS = ["alert(1)", "img.example.com/a.png", "<svg onload=alert(1)>", "iVBORw0KGgo="]
_PAYLOADS += ["a.example/b?c=1&d=<x>", "%3Cscript%3E", " 2x, javascript:1"]
# CSS goes in style attributes only: the finding check counts "expression(" in any attribute,
# even a title, as script.
_CSS = ["x:expression(alert(1))", "background:url(javascript:alert(1))", "behavior:url(a.htc)"]
_CSS += ["-moz-binding:url(https://a.example/x.xml#x)", "color:red", "width:expr/**/ession(1)"]


@st.composite
def _obfuscated(draw: st.DrawFn, text: str) -> str:
    """``text`` with each character as a browser would still read it: in another case, as a
    character reference (decimal, hex, padded, with or without ``;``), or after noise that
    URL parsers skip."""
    out = []
    for char in text:
        how = draw(st.integers(0, 9))
        if how == 0:
            out.append(f"&#{ord(char)};")
        elif how == 1:
            out.append(f"&#x{ord(char):x}")
        elif how == 2:
            out.append(f"&#000{ord(char)}")
        elif how == 3:
            out.append(draw(st.sampled_from(["\t", "\n", "&#x09;", "&Tab;", "&NewLine;", "\x00"])))
            out.append(char)
        else:
            out.append(char.upper() if how == 4 else char)
    return "".join(out)


_URLS = st.builds(
    lambda noise, scheme, payload: noise + scheme + payload,
    st.sampled_from(["", " ", "\x01", "&#14;", "\u2028", "\ufeff"]),
    st.sampled_from(_SCHEMES).flatmap(_obfuscated),
    st.sampled_from(_PAYLOADS),
)
_TEXT = st.one_of(
    st.text(max_size=6),
    st.sampled_from(["&lt;", "&lt", "&#60;", "&amp;", "&quot;", "&#0;", "&#x110000;", "&#x3c"]),
    st.sampled_from(["<", ">", "</", "<!--", "-->", "<![CDATA[", "]]>", "<?x ", "&", "正文"]),
)
_VALUES = st.one_of(_URLS, _TEXT, st.just("alert(1)"))
_QUOTES = st.sampled_from(['"{}"', "'{}'", "{}", "`{}`"])
_ATTRIBUTE = st.builds(
    lambda sep, name_value, quote: f"{sep}{name_value[0]}={quote.format(name_value[1])}",
    st.sampled_from([" ", "/", "\n", "\t", " /"]),
    st.one_of(
        st.tuples(st.sampled_from(_ATTRIBUTE_NAMES), _VALUES),
        st.tuples(st.sampled_from(["style", "STYLE"]), st.sampled_from(_CSS).flatmap(_obfuscated)),
    ),
    _QUOTES,
)
_LEAF = st.one_of(
    _TEXT,
    st.builds("<img{}>".format, st.lists(_ATTRIBUTE, max_size=3).map("".join)),
    st.builds("<!--{}-->".format, _TEXT),
)


def _element(children: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    return st.builds(
        lambda tag, attributes, inner, end, other: (
            f"<{tag}{attributes}>{inner}" + ("" if end == 0 else f"</{other if end == 1 else tag}>")
        ),
        st.sampled_from(_TAG_NAMES),
        st.lists(_ATTRIBUTE, max_size=3).map("".join),
        st.lists(children, max_size=3).map("".join),
        st.integers(0, 3),  # 0: left open, 1: closed by another tag's end tag, else closed
        st.sampled_from(_TAG_NAMES),
    )


HTML_LIKE = st.recursive(_LEAF, _element, max_leaves=12)


def hostile_article(vector: str, number: int) -> str:
    """An article with ``vector`` in every field and in its body, in the archive's shape."""
    # The number keeps articles apart: cleaned of their vectors, many would be one story.
    fields = {
        "title": f"{vector} {number}",
        "author": vector,
        "thumbnail": vector,
        "link": vector,
        "categories": ["XSS", vector],
        "date": "Thu, 26 May 2022 12:04:07 GMT",
    }
    front = yaml.safe_dump(fields, allow_unicode=True)
    body = f"<p>article {number}</p>{vector}<p>after</p>"
    return f"\n---\n{front}---\n\n<div>   \n{body}\n</div>            "
