"""The allowlist sanitizer, XML-safe characters, and a suite of public XSS vectors.

The vectors (tests/data/xss/vectors.json, made by tests/data/xss/collect.py) come from
html5sec.org (cure53/H5SC), DOMPurify's test fixtures, the OWASP XSS Filter Evasion Cheat
Sheet, ammonia's tests and bleach's tests. Each one goes through the body cleaner and the
title cleaner; the result is parsed the way a browser parses it (html5lib) and must hold
nothing that can run.
"""

from __future__ import annotations

import re

import html5lib
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from feeds.clean.body import clean_body
from feeds.clean.sanitize import sanitize_html, strip_xml_illegal
from feeds.clean.text import plain_text
from feeds.config import CleanConfig
from tests.helpers import HTML_LIKE, VECTORS, executable_findings

XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def test_the_vector_file_is_large_and_the_checker_bites() -> None:
    assert len(VECTORS) >= 1500
    assert len({v["vector"] for v in VECTORS}) == len(VECTORS)
    # Unsanitized, most vectors hold something executable: the checker can fail.
    dangerous = [v for v in VECTORS if executable_findings(v["vector"])]
    assert len(dangerous) >= 1000


@pytest.mark.parametrize(
    "vector", [v["vector"] for v in VECTORS], ids=[v["source"] for v in VECTORS]
)
def test_xss_vector_is_harmless_as_body_and_as_title(vector: str) -> None:
    cleaned = clean_body(vector, CleanConfig())
    assert executable_findings(cleaned.html) == []
    assert executable_findings(sanitize_html(vector)) == []
    assert executable_findings(plain_text(vector)) == []
    assert not XML_ILLEGAL.search(cleaned.html + cleaned.text + plain_text(vector))
    assert sanitize_html(cleaned.html) == cleaned.html


@pytest.mark.parametrize(
    ("dirty", "clean"),
    [
        ("<p onclick='x()'>hi <b>there</b></p>", "<p>hi <b>there</b></p>"),
        ("<script>alert(1)</script><p>kept</p>", "<p>kept</p>"),
        ("<style>p{color:red}</style>text", "text"),
        ('<p style="color:red;width:expression(alert(1))">x</p>', "<p>x</p>"),
        ('<div class="a"><span>unwrapped</span></div>', "unwrapped"),
        ("<iframe src='https://evil.example/'>fallback</iframe>ok", "ok"),
        ("<form action='/x'><input name=a>field</form>", "field"),
        (
            '<a href="https://example.com/" target="_blank" rel="opener">link</a>',
            '<a href="https://example.com/" rel="noopener noreferrer nofollow">link</a>',
        ),
        ('<a href="javascript:alert(1)">js</a>', '<a rel="noopener noreferrer nofollow">js</a>'),
        ('<a href="/relative">rel</a>', '<a rel="noopener noreferrer nofollow">rel</a>'),
        (
            '<img src="https://n.sinaimg.cn/a.png" alt="图" onerror="x()" class="c">',
            '<img src="https://n.sinaimg.cn/a.png" alt="图" referrerpolicy="no-referrer">',
        ),
        (
            '<img src="data:image/png;base64,iVBORw0KGgo=">',
            '<img src="data:image/png;base64,iVBORw0KGgo=" referrerpolicy="no-referrer">',
        ),
        ('<img src="data:image/svg+xml;base64,PHN2Zz4=">', '<img referrerpolicy="no-referrer">'),
        (
            '<a href="data:text/html,<script>x</script>">d</a>',
            '<a rel="noopener noreferrer nofollow">d</a>',
        ),
        (
            "<table><tr><td colspan=2 style=x>c</td></tr></table>",
            '<table><tbody><tr><td colspan="2">c</td></tr></tbody></table>',
        ),
        ("<p>a&#1;b\x02c</p>", "<p>a\ufffdbc</p>"),
    ],
)
def test_sanitize_html_allowlist(dirty: str, clean: str) -> None:
    assert sanitize_html(dirty) == clean


def test_sanitize_keeps_the_tags_that_carry_meaning() -> None:
    kept = (
        "<h2>标题</h2><p><strong>粗</strong> <em>斜</em> <code>x</code> <sub>1</sub></p>"
        '<blockquote>引用</blockquote><ul><li>一</li></ul><ol start="3"><li>三</li></ol>'
        '<pre>  code\n  block</pre><figure><img src="https://a.example/i.jpg" width="600">'
        "<figcaption>说明</figcaption></figure><hr><dl><dt>术语</dt><dd>解释</dd></dl>"
    )
    result = sanitize_html(kept)
    for tag in ("h2", "strong", "em", "code", "sub", "blockquote", "li", "pre", "figure"):
        assert f"<{tag}" in result
    assert 'start="3"' in result
    assert 'width="600"' in result
    assert "<pre>  code\n  block</pre>" in result


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("plain 中文 text", "plain 中文 text"),
        ("tab\tnew\nline\rreturn", "tab\tnew\nline\rreturn"),
        ("nul\x00bell\x07esc\x1b", "nulbellesc"),
        ("non\ufffechar\uffff", "nonchar"),
        ("lone\ud800surrogate\udfff", "lonesurrogate"),
        ("astral\U0001fffe\U0010ffffnon", "astralnon"),
        ("emoji 😢 ext-B 𠀀 kept", "emoji 😢 ext-B 𠀀 kept"),
        ("\x85 C1 controls are legal XML", "\x85 C1 controls are legal XML"),
    ],
)
def test_strip_xml_illegal(text: str, expected: str) -> None:
    assert strip_xml_illegal(text) == expected


def _xml_can_carry(code: int) -> bool:
    """XML 1.0's Char production, less the Unicode noncharacters (U+FDD0-U+FDEF, U+xFFFE/F)."""
    xml_char = code in (0x9, 0xA, 0xD) or 0x20 <= code <= 0xD7FF or 0xE000 <= code <= 0x10FFFF
    noncharacter = 0xFDD0 <= code <= 0xFDEF or code & 0xFFFE == 0xFFFE
    return xml_char and not noncharacter


def test_strip_xml_illegal_removes_exactly_the_characters_xml_cannot_carry() -> None:
    everything = "".join(map(chr, range(0x110000)))
    kept = "".join(c for c in everything if _xml_can_carry(ord(c)))
    assert len(everything) - len(kept) == 2048 + 29 + 32 + 34  # surrogates, C0, FDD0.., xFFFE/F
    assert strip_xml_illegal(everything) == kept
    for code in range(0x110000):  # one at a time too: a character is kept or dropped alone
        if not _xml_can_carry(code):
            assert strip_xml_illegal(f"a{chr(code)}b") == "ab"


WIDTHS = {"ascii": "", "latin1": "é", "cjk": "中文", "astral": "😢"}


@pytest.mark.parametrize("context", WIDTHS.values(), ids=WIDTHS.keys())
def test_a_long_text_loses_exactly_the_characters_xml_cannot_carry(context: str) -> None:
    """Every illegal character is found alone in a long text, at either end or in the
    middle, whatever the text's width (CPython stores a string in 1, 2 or 4 bytes a
    character, and a scan may take a different path for each)."""
    pad = ("x" + context) * 200
    for code in range(0x110000):
        if not _xml_can_carry(code):
            c = chr(code)
            assert strip_xml_illegal(f"{pad}{c}{pad}") == pad + pad
            assert strip_xml_illegal(f"{c}{pad}") == pad
            assert strip_xml_illegal(f"{pad}{c}") == pad
    legal = "".join(chr(code) for code in range(0x110000) if _xml_can_carry(code))
    assert strip_xml_illegal(pad + legal) == pad + legal


HTML_PIECES = st.sampled_from(
    [
        "<p>",
        "</p>",
        "<div>",
        "</div>",
        "<a href='https://e.x/a?b=1&c=2'>",
        "</a>",
        "<br>",
        "<img src=x onerror=alert(1)>",
        "<table>",
        "<td>",
        "<svg>",
        "<math>",
        "<style>",
        "<!--",
        "-->",
        "<![CDATA[",
        "]]>",
        "<textarea>",
        "<xmp>",
        "<noscript>",
        "<template>",
        "&amp;",
        "&#0;",
        "&#1;",
        "&nbsp;",
        "&lt;",
        "'",
        '"',
        "=",
        " ",
        "\n",
        "文字",
        "<b>",
        "</b>",
        "<pre>",
        "</pre>",
        "<li>",
        "<select>",
        "<option>",
        "</table>",
        "<form>",
    ]
)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.one_of(HTML_PIECES, st.text(max_size=5)), max_size=25).map("".join))
def test_sanitize_html_is_idempotent_and_xml_safe(fragment: str) -> None:
    once = sanitize_html(fragment)
    assert sanitize_html(once) == once
    assert not XML_ILLEGAL.search(once)
    assert executable_findings(once) == []


@settings(max_examples=300, deadline=None)
@given(HTML_LIKE)
# Found by this test: "&#x2fa" is U+02FA, so the URL read "http:/˺lert(1)", which nh3 kept.
@example('<img href="alert(1)" src="&#104;&#116;&#116;&#112;&#58;&#47;&#x2falert(1)">')
# And a tab inside the scheme: "http:/\t/alert(1)", which a browser reads as "http://alert(1)".
@example('<a href="&#104;&#116;&#116;&#112;&#58;&#47;\t/alert(1)">')
def test_html_from_a_grammar_comes_out_harmless(fragment: str) -> None:
    cleaned = clean_body(fragment, CleanConfig())
    assert executable_findings(cleaned.html) == []
    assert not XML_ILLEGAL.search(cleaned.html + cleaned.text)
    once = sanitize_html(fragment)
    assert executable_findings(once) == []
    assert sanitize_html(once) == once
    assert executable_findings(plain_text(fragment)) == []
    for html in (cleaned.html, once):
        for element in html5lib.parse(html, namespaceHTMLElements=False).iter():
            for name in ("href", "src"):
                url = element.get(name)
                assert url is None or url.startswith(("http://", "https://", "data:image/")), url


@pytest.mark.parametrize(
    "url",
    [
        "http:/˺lert(1)",
        "HTTPS:/example.com/a",
        "http:\\\\example.com/a",
        "https:example.com",
        "http:/&#9;/example.com/a",
        "https:&#10;//example.com/a",
    ],
)
def test_an_http_url_that_does_not_name_its_host_is_dropped(url: str) -> None:
    """A browser repairs such a URL as it likes; cleaning never writes one."""
    out = sanitize_html(f'<p><a href="{url}">链接</a><img src="{url}"></p>')
    assert "href=" not in out and "src=" not in out
    assert "链接" in out
    kept = sanitize_html('<p><a href="http://example.com/a">a</a></p>')
    assert 'href="http://example.com/a"' in kept


def test_a_url_loses_what_a_browser_strips_from_its_ends() -> None:
    out = sanitize_html('<p><a href=" &#9;http://example.com/a b &#10;">a</a></p>')
    assert 'href="http://example.com/a b"' in out
