"""Junk removal: turn a scraped body into the article's readable content, then sanitize it.

Cleaning keeps meaning (bold text, lazy images, video links, paragraphs) and drops what a
reader should never see (comments, style blocks, ads, app promos, editor lines). The result
always goes through the allowlist sanitizer (``sanitize.py``), which is what makes it safe.

Speed matters (10,000 articles in seconds), so the tree is a plain lxml tree walked in a few
Python passes; simple CSS selectors are matched in that walk instead of one XPath each.
"""

from __future__ import annotations

import functools
import html
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from urllib.parse import parse_qs, urlsplit

from cssselect import SelectorError, parse
from cssselect.parser import Attrib, Class, Element, Hash, Tree
from lxml import etree
from lxml.cssselect import CSSSelector

from feeds.clean.html import ANY_TAG, BLOCK_TAGS, parse_fragment, tidy_lines
from feeds.clean.markdown import as_html
from feeds.clean.sanitize import ALLOWED_TAGS, sanitize_html, sanitize_markup, strip_xml_illegal
from feeds.clean.text import repair_entities
from feeds.clean.urls import apply_image_proxy, host_of, normalize_url
from feeds.config import CleanConfig
from feeds.errors import ConfigError

DEFAULT_REMOVE: tuple[str, ...] = (
    ".appendQr_wrap",  # 新浪财经: "海量资讯、精准解读，尽在新浪财经APP" QR-code promo
    ".article-editor",  # 新浪财经: 责任编辑 line
    ".adsbygoogle",  # Google ads (SoBooks and others)
    "input",  # hidden inputs carrying page ids (游戏时光); a feed has no forms
    ".copy-code-btn",  # 掘金: "复制代码" button text inside code blocks
)
DEFAULT_REMOVE_TEXT: tuple[str, ...] = (
    r"^责任编辑\s*[:：]",
    r"^本文来自微信公众号",
    r"海量资讯、精准解读，尽在新浪财经APP",
)


@dataclass(frozen=True, slots=True)
class CleanedBody:
    html: str  # cleaned and sanitized HTML, ready for feeds
    text: str  # plain text of html, one line per block (for summary, title fallback, dedupe);
    # without content (clean_body), spaced as the page had it: fit for keys only
    images: tuple[str, ...]  # absolute, normalized src of the remaining <img>s (before any proxy)
    junk_images: tuple[str, ...]  # images that appeared only inside removed junk
    cut_from: int = 0  # the body's length when it was cut to clean.max_content (0: it was not)


EMPTY = CleanedBody("", "", (), ())

# Elements whose content is never prose: removed with everything inside them.
_CODE_TAGS = (
    *("script", "style", "noscript", "template", "iframe", "frame", "frameset", "object"),
    *("embed", "applet", "head", "title", "meta", "link", "base", "svg", "math", "select"),
    *("textarea", "button", "audio", "video", "canvas", "map", "noembed", "noframes"),
)
_CODE_TAG_SET = frozenset(_CODE_TAGS)
# Where text rules look: blocks a reader sees as one paragraph-like unit.
_TEXT_BLOCKS = frozenset(
    {
        *("p", "div", "section", "article", "li", "blockquote", "figcaption", "td", "th"),
        *("h1", "h2", "h3", "h4", "h5", "h6", "dd", "dt", "center", "span", "font"),
    }
)
# Layout wrappers: unwrapped to their content, or made a paragraph when they only hold text.
_WRAPPERS = frozenset(
    {"div", "section", "article", "header", "footer", "main", "aside", "nav", "center"}
    | {"form", "label", "fieldset", "details", "summary"}
)
_INLINE_WRAPPERS = frozenset({"span", "font", "big", "tt", "ins", "nobr"})
# Removed when they hold no text and no picture.
_EMPTYABLE = (
    _TEXT_BLOCKS
    | _WRAPPERS
    | {"ul", "ol", "dl", "figure", "pre", "code", "table", "tr", "tbody", "thead", "caption"}
    | {"strong", "b", "em", "i", "u", "s", "small", "sub", "sup", "mark", "a", "q", "cite"}
    | {"abbr", "del", "kbd", "samp"}
)
_LAZY_SRC = (
    *("data-src", "data-original", "data-original-src", "data-actualsrc", "data-lazy-src"),
    *("_src", "real_src", "data-echo", "data-lazyload"),
)
_IMAGE_ATTRIBUTES = ("alt", "title", "width", "height")
# Sentinel tags: renamed elements are unwrapped in one C call (lxml's strip_tags).
_UNWRAP_INLINE = "feeds-inline"
_UNWRAP_BLOCK = "feeds-block"
_BLOCK_CHILDREN = (BLOCK_TAGS - {"br"}) | {"figure", "table", "pre", _UNWRAP_BLOCK}
# Tables: the HTML parser moves misplaced content out of them ("foster parenting") into
# trees that do not read back the same, so the sanitizer has to settle them.
_UNSETTLED = frozenset({"table", "thead", "tbody", "tfoot", "tr", "td", "th", "caption"})
_LINE_BLOCKS = BLOCK_TAGS | {_UNWRAP_BLOCK, "td", "th"}
# What the sanitizer reads back as it is: allowed tags outside tables, and the unwrapped.
_PLAIN_NESTING = (ALLOWED_TAGS - _UNSETTLED) | {_UNWRAP_BLOCK}

_INDENT = " \t\r\n\u3000\xa0"  # full-width-space paragraph indents, nbsp runs
_TAGLIKE = re.compile(r"<[a-zA-Z!/?]")
_WRAPPER_DIV = re.compile(r"^\s*<div>(.*)</div>\s*$", re.DOTALL)
_SPACES = re.compile(r"\s+")
_BLANK_LINE = re.compile(r"\n[ \t\u3000\xa0]*\n")
_HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.IGNORECASE)
_BOLD_STYLE = re.compile(r"font-weight\s*:\s*(?:bold|[6-9]00)", re.IGNORECASE)
_POSITIONAL = re.compile(r"[\^$]|\\[AZbB]|\(\?<[=!]")  # anchors, boundaries, lookbehinds


# --- rules ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Simple:
    """A selector naming one element by tag, classes, id and attributes (no combinators)."""

    tag: str | None
    classes: frozenset[str]
    ident: str | None
    attributes: tuple[tuple[str, str | None], ...]  # (name, exact value or None for "present")

    def matches(self, el: etree._Element, classes: set[str]) -> bool:
        return (
            (self.tag is None or el.tag == self.tag)
            and self.classes <= classes
            and (self.ident is None or el.get("id") == self.ident)
            and all(
                el.get(name) is not None if value is None else el.get(name) == value
                for name, value in self.attributes
            )
        )


@dataclass(frozen=True, slots=True)
class _Rules:
    by_class: dict[str, tuple[_Simple, ...]] = field(default_factory=dict)
    by_tag: dict[str, tuple[_Simple, ...]] = field(default_factory=dict)
    anywhere: tuple[_Simple, ...] = ()  # simple selectors with neither class nor tag
    complex: CSSSelector | None = None  # everything else, as one XPath
    patterns: tuple[re.Pattern[str], ...] = ()
    # The patterns unanchored, to test a whole body at once: a body whose text does not
    # match them has no block that does. None when a pattern depends on position otherwise.
    prefilter: tuple[re.Pattern[str], ...] | None = ()
    collapse_spaces: bool = False  # a pattern holds a literal space

    def selects(self, el: etree._Element, tag: str, value: str | None) -> bool:
        """Whether a simple selector matches ``el``: its tag, and class attribute ``value``."""
        if not value and not self.anywhere and tag not in self.by_tag:
            return False  # the common case, kept cheap: most elements have no class
        classes = set(value.split()) if value else set()
        candidates = [*self.by_tag.get(str(tag), ()), *self.anywhere]
        for name in classes:
            candidates += self.by_class.get(name, ())
        return any(simple.matches(el, classes) for simple in candidates)

    def matches_text(self, text: str) -> bool:
        return any(p.search(text) for p in self.patterns)

    def may_match_body(self, text: str) -> bool:
        if self.prefilter is None:
            return True
        if self.collapse_spaces:  # blocks are tested with their spaces collapsed
            text = _SPACES.sub(" ", text)
        return any(p.search(text) for p in self.prefilter)


def check_clean_config(config: CleanConfig) -> None:
    """Raise ConfigError naming the first selector or pattern of ``config`` that is invalid."""
    groups = [("clean", config.remove, config.remove_text)]
    groups += [(f"clean.rules[{i}]", r.remove, r.remove_text) for i, r in enumerate(config.rules)]
    for key, selectors, patterns in groups:
        _compile_selectors(tuple(selectors), f"{key}.remove")
        _compile_patterns(tuple(patterns), f"{key}.remove_text")


def _rules_for(config: CleanConfig, categories: Sequence[str]) -> _Rules:
    selectors = [*(DEFAULT_REMOVE if config.defaults else ()), *config.remove]
    patterns = [*(DEFAULT_REMOVE_TEXT if config.defaults else ()), *config.remove_text]
    wanted = set(categories)
    for rule in config.rules:
        if wanted.intersection(rule.categories):
            selectors += rule.remove
            patterns += rule.remove_text
    return _compile_rules(tuple(selectors), tuple(patterns))


@functools.lru_cache(maxsize=256)
def _compile_rules(selectors: tuple[str, ...], patterns: tuple[str, ...]) -> _Rules:
    simple, complex_selectors = _compile_selectors(selectors, "clean.remove")
    by_class: dict[str, list[_Simple]] = {}
    by_tag: dict[str, list[_Simple]] = {}
    anywhere: list[_Simple] = []
    for s in simple:
        if s.classes:
            by_class.setdefault(min(s.classes), []).append(s)
        elif s.tag:
            by_tag.setdefault(s.tag, []).append(s)
        else:
            anywhere.append(s)
    compiled = _compile_patterns(patterns, "clean.remove_text")
    return _Rules(
        by_class={k: tuple(v) for k, v in by_class.items()},
        by_tag={k: tuple(v) for k, v in by_tag.items()},
        anywhere=tuple(anywhere),
        complex=CSSSelector(", ".join(complex_selectors), translator="html")
        if complex_selectors
        else None,
        patterns=compiled,
        prefilter=_prefilter(compiled),
        collapse_spaces=any(" " in p for p in patterns),
    )


def _compile_selectors(selectors: tuple[str, ...], key: str) -> tuple[list[_Simple], list[str]]:
    simple: list[_Simple] = []
    complex_selectors: list[str] = []
    for selector in selectors:
        try:
            parsed = parse(selector)
            CSSSelector(selector, translator="html")  # reject what cannot become XPath
        except (SelectorError, etree.XPathError) as e:
            raise ConfigError(f"{key}: invalid CSS selector {selector!r}: {e}") from None
        for one in parsed:
            found = None if one.pseudo_element else _simple_selector(one.parsed_tree)
            if found is None:
                complex_selectors.append(one.canonical())
            else:
                simple.append(found)
    return simple, complex_selectors


def _simple_selector(tree: Tree) -> _Simple | None:
    classes: set[str] = set()
    attributes: list[tuple[str, str | None]] = []
    ident = None
    while True:
        if isinstance(tree, Class):
            classes.add(tree.class_name)
        elif isinstance(tree, Hash):
            ident = tree.id
        elif isinstance(tree, Attrib) and tree.namespace is None and tree.operator == "exists":
            attributes.append((tree.attrib.lower(), None))
        elif isinstance(tree, Attrib) and tree.namespace is None and tree.operator == "=":
            value = getattr(tree.value, "value", tree.value)
            attributes.append((tree.attrib.lower(), str(value)))
        elif isinstance(tree, Element) and tree.namespace is None:
            tag = tree.element.lower() if tree.element else None
            return _Simple(tag, frozenset(classes), ident, tuple(attributes))
        else:
            return None  # combinators, pseudo-classes, other attribute operators
        tree = tree.selector


def _compile_patterns(patterns: tuple[str, ...], key: str) -> tuple[re.Pattern[str], ...]:
    compiled = []
    for pattern in patterns:
        try:
            compiled.append(re.compile(pattern))
        except re.error as e:
            raise ConfigError(f"{key}: invalid regular expression {pattern!r}: {e}") from None
    return tuple(compiled)


def _prefilter(patterns: tuple[re.Pattern[str], ...]) -> tuple[re.Pattern[str], ...] | None:
    unanchored = []
    for pattern in patterns:
        source = pattern.pattern.removeprefix("^")
        if _POSITIONAL.search(source):
            return None
        # DOTALL: a line break in the raw text is a space in the block's collapsed text.
        unanchored.append(re.compile(source, pattern.flags | re.DOTALL))
    return tuple(unanchored)


# --- entry point ---------------------------------------------------------------------------


def clean_body(
    body: str,
    config: CleanConfig,
    *,
    categories: Sequence[str] = (),
    base_url: str | None = None,
    content: bool = True,
) -> CleanedBody:
    """Clean and sanitize one article body.

    ``categories`` selects the extra rules of ``config.rules``; ``base_url`` (the article's
    link) resolves relative URLs, which are dropped when there is none. Without ``content``
    only the junk is removed: the HTML is left empty and the text spaced as the page had it
    (``_index_html``), which is all an article's keys and images need.
    """
    limit, raw_limit = config.max_content, _RAW_SHARE * config.max_content
    raw = len(body)
    if raw > raw_limit:  # cut before parsing too: the tree is what costs memory
        # At a tag's end; a body without one there (text, Markdown) at the limit itself.
        end = body.rfind(">", 0, raw_limit)
        body = body[: end + 1] if end >= 0 else body[:raw_limit]
    cleaned = _clean(body, config, categories, base_url, content)
    if len(cleaned.html) <= limit and raw <= raw_limit:
        return cleaned
    return _cut(cleaned, limit, base_url, raw)


# A body is cut before it is parsed past this many times clean.max_content: cleaning
# removes a page's markup and junk, so the raw body may well be a few times the result.
_RAW_SHARE = 4
_BLOCK_END = re.compile(
    r"</(?:p|div|li|ul|ol|table|blockquote|h[1-6]|pre|figure|section|article|dl)>",
    re.IGNORECASE,
)


def fold_line_breaks(text: str) -> str:
    """Each run of blanks that holds a line break, as one line break (page indentation).

    Split and stripped, not a regex: one of blanks around a break scans a long run of
    blanks without one again from each of its blanks, a time quadratic in the run.
    """
    pieces = text.split("\n")
    if len(pieces) == 1:
        return text
    last = len(pieces) - 1
    folded = [pieces[0].rstrip(" \t\r")]
    folded += [middle for piece in pieces[1:last] if (middle := piece.strip(" \t\r"))]
    folded.append(pieces[last].lstrip(" \t\r"))
    return "\n".join(folded)


def _cut(cleaned: CleanedBody, limit: int, link: str | None, raw: int) -> CleanedBody:
    """``cleaned`` cut to ``limit`` characters at the end of a block, with a "read more"
    link to the original when the article names one."""
    head = cleaned.html[:limit]
    ends = [m.end() for m in _BLOCK_END.finditer(head)]
    head = head[: ends[-1]] if ends else head
    more = f'<p><a href="{html.escape(link)}">…</a></p>' if link else "<p>…</p>"
    cut = sanitize_html(head + more)  # sanitized again: a cut may leave an element open
    return CleanedBody(cut, cleaned.text, cleaned.images, cleaned.junk_images, raw)


def _clean(
    body: str,
    config: CleanConfig,
    categories: Sequence[str],
    base_url: str | None,
    content: bool,
) -> CleanedBody:
    rules = _rules_for(config, categories)
    if "&#12" in body:  # the archive writes every { and } as &#123; / &#125;
        body = body.replace("&#123;", "{").replace("&#125;", "}")
    body = repair_entities(body)  # &8220; for &#8220;
    body = strip_xml_illegal(body)
    wrapper = _WRAPPER_DIV.match(body)
    inner = wrapper.group(1) if wrapper else body
    if not inner.strip():
        return EMPTY
    if (converted := as_html(inner)) is not None:  # Markdown, or text with inline tags
        body = converted
    elif not _TAGLIKE.search(inner):
        return _clean_plain(inner, rules)
    try:
        if not content:
            return _index_html(body, rules, base_url)
        return _clean_html(body, rules, base_url, config.image_proxy)
    except ValueError:  # lxml refused a string; never lose the article for it
        return _clean_fallback(body)


def _clean_plain(text: str, rules: _Rules) -> CleanedBody:
    """A body without markup: blank-line-separated blocks become paragraphs, lines <br>."""
    paragraphs: list[list[str]] = []
    for block in _BLANK_LINE.split(text):
        lines = [_SPACES.sub(" ", line.strip(_INDENT)) for line in html.unescape(block).split("\n")]
        lines = [line for line in lines if line.strip()]
        if lines and not rules.matches_text(" ".join(lines)):
            paragraphs.append(lines)
    if not paragraphs:
        return EMPTY
    markup = "".join(
        "<p>" + "<br>".join(html.escape(line, quote=False) for line in lines) + "</p>"
        for lines in paragraphs
    )
    plain = strip_xml_illegal("\n".join(line for lines in paragraphs for line in lines))
    return CleanedBody(sanitize_html(markup), plain, (), ())


def _clean_fallback(body: str) -> CleanedBody:
    """Sanitized as it is, for the body lxml could not take (should not happen)."""
    safe = sanitize_html(body)
    text = tidy_lines(html.unescape(ANY_TAG.sub("\n", safe)))
    return CleanedBody(safe, strip_xml_illegal(text), (), ())


def _clean_html(
    body: str, rules: _Rules, base_url: str | None, proxies: dict[str, str]
) -> CleanedBody:
    dejunked = _dejunk(body, rules, base_url, proxies)
    if dejunked is None:
        return EMPTY
    root, images, junk_only, _ = dejunked
    etree.strip_tags(root, _UNWRAP_INLINE)
    unsettled = _restructure(root)
    etree.strip_tags(root, _UNWRAP_BLOCK)
    if root.text:
        root.text = root.text.lstrip(_INDENT)
    markup = etree.tostring(root, method="html", encoding="unicode")
    markup = markup[markup.index(">") + 1 : markup.rindex("<")].strip(" \t\r\n")  # inner HTML
    # No strip_xml_illegal here: the body was stripped and parse_fragment neutralized the
    # character references to illegal characters, so the tree holds none.
    text = tidy_lines(_text_of(root))
    safe = sanitize_markup(markup, settle=unsettled)
    return CleanedBody(safe, text, images, junk_only)


def _index_html(body: str, rules: _Rules, base_url: str | None) -> CleanedBody:
    """``_clean_html`` up to the junk: no HTML, and the text with the page's whitespace.

    What comes after the junk (unwrapping, restructuring, serializing, sanitizing) changes
    only tags and whitespace, never which text or images are left: keys that ignore
    whitespace (ids, dedupe keys) come out the same from this text as from the clean one.
    """
    dejunked = _dejunk(body, rules, base_url, None)
    if dejunked is None:
        return EMPTY
    root, images, junk_only, text = dejunked
    return CleanedBody("", _text_of(root) if text is None else text, images, junk_only)


def _dejunk(
    body: str, rules: _Rules, base_url: str | None, proxies: dict[str, str] | None
) -> tuple[etree._Element, tuple[str, ...], tuple[str, ...], str | None] | None:
    """The parsed body without its junk, its images, the images only the junk had, and its
    text when the junk removal had it (else None). Without ``proxies`` (a light read) the
    elements are not rewritten: only the images are read, as rewriting would keep them.

    That text holds for the tree returned: rewriting the elements renames tags, changes
    attributes and drops broken images (keeping what follows them), never text.
    """
    root = parse_fragment(body)
    if root is None:
        return None
    _videos_to_links(root, base_url)
    junk, text = _remove_junk(root, rules, base_url)
    if proxies is None:
        # The images rewriting keeps: those with a usable http(s) source, in order.
        images = _image_urls(root, base_url)
    else:
        images = _rewrite_elements(root, base_url, proxies)
    kept = set(images)
    junk_only = tuple(u for u in dict.fromkeys(junk) if u not in kept)
    return root, tuple(dict.fromkeys(images)), junk_only, text


# --- junk ----------------------------------------------------------------------------------


def _remove_junk(
    root: etree._Element, rules: _Rules, base_url: str | None
) -> tuple[list[str], str | None]:
    """Drop code, hidden elements and what the rules name; return the images they held,
    and the text left when it was read to test the text rules (else None)."""
    doomed, tags = _find_junk(root, rules)
    code = _CODE_TAG_SET.intersection(tags)
    if code:  # rare: strip_elements pays for each tag it is given, so only the ones present
        etree.strip_elements(root, *code, with_tail=False)
        doomed, _ = _find_junk(root, rules)  # what was inside the code is gone
    if rules.complex is not None:
        found = rules.complex(root)
        doomed += (
            [el for el in found if isinstance(el, etree._Element)]
            if isinstance(found, list)
            else []
        )
    junk_images: list[str] = []
    for el in doomed:
        if el is not root and el.getparent() is not None:
            junk_images += _image_urls(el, base_url)
            _drop_tree(el)
    text = _text_of(root) if rules.patterns else None
    if text is not None and rules.may_match_body(text):
        junk_images += _remove_text_blocks(root, rules, base_url)
        text = None  # blocks may have gone with their text
    return junk_images, text


def _find_junk(root: etree._Element, rules: _Rules) -> tuple[list[etree._Element], set[str]]:
    """The elements below ``root`` that are junk, in document order, and the tags present.

    This runs for every element of every body: ``_is_junk`` is inlined, and an element
    without attributes (one ``keys()`` call) can only be junk by its tag.
    """
    doomed = []
    tags = set()
    by_tag, anywhere = rules.by_tag, rules.anywhere
    for el in root.iterdescendants():
        tag = el.tag  # lxml builds a new string at every access: read it once
        tags.add(tag)
        if not el.keys():
            if (anywhere or tag in by_tag) and rules.selects(el, tag, None):
                doomed.append(el)
            continue
        get = el.get
        style = get("style")
        # Readers drop ``style``, so what the page hid would show up in the feed.
        if (style and _HIDDEN_STYLE.search(style)) or get("hidden") is not None:
            doomed.append(el)
            continue
        value = get("class")
        if (value or anywhere or tag in by_tag) and rules.selects(el, tag, value):
            doomed.append(el)
    return doomed, tags


def _remove_text_blocks(root: etree._Element, rules: _Rules, base_url: str | None) -> list[str]:
    junk_images: list[str] = []
    # Innermost first: once a matching paragraph is gone its wrapper no longer matches.
    for el in reversed([el for el in root.iter(*_TEXT_BLOCKS) if el is not root]):
        if el.getparent() is None:
            continue
        text = _text_of(el)
        if rules.may_match_body(text) and rules.matches_text(_SPACES.sub(" ", text).strip(_INDENT)):
            junk_images += _image_urls(el, base_url)
            _drop_tree(el)
    return junk_images


def _image_urls(el: etree._Element, base_url: str | None) -> list[str]:
    urls = (normalize_url(_image_source(img), base_url) for img in el.iter("img"))
    return [u for u in urls if u]


def _image_source(img: etree._Element) -> str | None:
    # Lazy-loading pages put the real picture in a data attribute and a placeholder in src.
    for name in (*_LAZY_SRC, "src"):
        value = img.get(name)
        if value and value.strip():
            return value
    for name in ("srcset", "data-srcset"):  # "a.jpg 1x, b.jpg 2x": the first candidate
        value = img.get(name)
        for candidate in value.split(",") if value else ():
            words = candidate.split()
            if words:  # ", x" or " , " name no picture first
                return words[0]
    return None


# --- meaning -------------------------------------------------------------------------------


def _rewrite_elements(
    root: etree._Element, base_url: str | None, proxies: dict[str, str]
) -> list[str]:
    """Bold spans become <strong>, images and links get absolute URLs. Returns the images."""
    images: list[str] = []
    broken: list[etree._Element] = []
    for el in root.iter("img", "a", *_INLINE_WRAPPERS):
        if el.tag == "img":
            url = _fix_image(el, base_url, proxies)
            if url is None:
                broken.append(el)
            elif url.startswith(("http://", "https://")):
                images.append(url)
        elif el.tag == "a":
            _fix_link(el, base_url)
        elif _is_bold(el):
            el.tag = "strong"
            el.attrib.clear()
        else:
            el.tag = _UNWRAP_INLINE
    for el in broken:
        _drop_tree(el)
    return images


def _is_bold(el: etree._Element) -> bool:
    style = el.get("style")
    return "strong-Bold" in (el.get("cms-style") or "") or bool(style and _BOLD_STYLE.search(style))


def _fix_image(img: etree._Element, base_url: str | None, proxies: dict[str, str]) -> str | None:
    """Give ``img`` its real, absolute source; return it (before the proxy), or None."""
    url = normalize_url(_image_source(img), base_url, allow_data=True)
    if url is None:
        return None
    kept = [(name, img.get(name)) for name in _IMAGE_ATTRIBUTES]
    img.attrib.clear()
    img.set("src", apply_image_proxy(url, proxies) if proxies and url[:4] == "http" else url)
    for name, value in kept:
        if value:
            img.set(name, value)
    return url


def _fix_link(a: etree._Element, base_url: str | None) -> None:
    if "trsHotWords" in (a.get("class") or ""):  # auto-linked stock names: keep the name
        a.tag = _UNWRAP_INLINE
        return
    url = normalize_url(a.get("href"), base_url)
    if url is None:
        a.tag = _UNWRAP_INLINE  # a link that leads nowhere usable keeps its text
        return
    title = a.get("title")
    a.attrib.clear()
    a.set("href", url)
    if title:
        a.set("title", title)


def _restructure(root: etree._Element) -> bool:
    """One pass, children before parents: trim indents, drop empties, unwrap wrappers.

    It also puts a newline after every block, so that the text of the tree has one line
    per paragraph; whitespace between blocks means nothing in HTML (except in <pre>).
    Returns whether the sanitizer must settle the result (see ``sanitize_markup``).
    """
    # The set holds the elements themselves: lxml makes a new proxy (and id) for an element
    # once no Python reference to the old one is left.
    in_pre = {el for pre in root.iter("pre") for el in pre.iter()}
    unsettled = False
    for el in reversed(list(root.iterdescendants())):
        tag = el.tag
        if not isinstance(tag, str):
            continue
        text = el.text
        if text and tag in _TEXT_BLOCKS and text[0] in _INDENT:
            text = el.text = text.lstrip(_INDENT)
        if tag in _EMPTYABLE and (not text or text.isspace()) and _no_content_children(el):
            _drop_tree(el)
            continue
        if tag in _WRAPPERS:
            tag = _unwrap_or_paragraph(el)
        if tag == "pre" and text and text[0] == "\n":
            el.text = text.lstrip("\n")  # HTML drops it when read back: not stable
        if tag not in _PLAIN_NESTING:
            unsettled = True
        if not in_pre or el not in in_pre:
            _space_out(el, tag, text)
    return unsettled


def _no_content_children(el: etree._Element) -> bool:
    # Emptyable children still here have content; anything but a bare <br> is content too.
    return all(child.tag == "br" and not (child.tail and child.tail.strip()) for child in el)


def _unwrap_or_paragraph(el: etree._Element) -> str:
    parent = el.getparent()
    if any(child.tag in _BLOCK_CHILDREN for child in el) or (
        parent is not None and parent.tag == "p"
    ):
        el.tag = _UNWRAP_BLOCK
    else:
        el.tag = "p"
        el.attrib.clear()
    return str(el.tag)


def _space_out(el: etree._Element, tag: str, text: str | None) -> None:
    """Whitespace-only runs (page indentation) become one character; blocks end a line."""
    # Every text or tail written goes through lxml's encoding and checks: skip no-op writes.
    block = tag in _LINE_BLOCKS
    if text is not None and text.isspace():
        spaced = "\n" if block or "\n" in text else " "
        if spaced != text:
            el.text = spaced
    elif text and "\n" in text:
        el.text = fold_line_breaks(text)
    tail = el.tail
    if tail and "\n" in tail and not tail.isspace():
        tail = el.tail = fold_line_breaks(tail)
    if tail is None:
        if block:
            el.tail = "\n"
    elif tail.isspace():
        spaced = "\n" if block or "\n" in tail else " "
        if spaced != tail:
            el.tail = spaced
    elif tag == "br" and tail[0] in _INDENT:
        el.tail = "\n" + tail.lstrip(_INDENT)  # the indent of the line that follows
    elif block and tail[0] != "\n":
        el.tail = "\n" + tail
    if block and tag not in ("br", "hr"):
        _newline_before(el)


def _newline_before(el: etree._Element) -> None:
    """End the inline text that runs into a block with a newline (blocks end their own)."""
    previous = el.getprevious()
    if previous is None:
        parent = el.getparent()
        if parent is not None and parent.text and parent.text[-1] != "\n":
            parent.text += "\n"
    elif previous.tag not in _LINE_BLOCKS:
        tail = previous.tail
        if not tail:
            previous.tail = "\n"
        elif tail[-1] != "\n":
            previous.tail = tail + "\n"


# --- tree helpers --------------------------------------------------------------------------


def _drop_tree(el: etree._Element) -> None:
    """Remove ``el`` and its content, keeping the text that follows it."""
    parent = el.getparent()
    if parent is None:
        return
    if el.tail:
        previous = el.getprevious()
        if previous is None:
            parent.text = (parent.text or "") + el.tail
        else:
            previous.tail = (previous.tail or "") + el.tail
    parent.remove(el)


def _text_of(el: etree._Element) -> str:
    return str(etree.tostring(el, method="text", encoding="unicode", with_tail=False))


def _videos_to_links(root: etree._Element, base_url: str | None) -> None:
    """Replace bilibili/vimeo/youtube/youku players with a plain link to the video page."""
    for frame in list(root.iter("iframe", "embed")):
        page = _video_page(frame.get("src"), base_url)
        parent = frame.getparent()
        if page is None or parent is None:
            continue
        link = etree.Element("a", href=page)
        link.text = f"视频: {frame.get('title') or page}"
        if parent.tag in _TEXT_BLOCKS and parent.tag not in _WRAPPERS:
            link.tail = frame.tail
            parent.replace(frame, link)
        else:
            paragraph = etree.Element("p")
            paragraph.append(link)
            paragraph.tail = frame.tail
            parent.replace(frame, paragraph)


def _video_page(src: str | None, base_url: str | None) -> str | None:
    """The watch page of an embedded player on a known video site, or None."""
    url = normalize_url(src, base_url)
    if url is None:
        return None
    host, parts = host_of(url), urlsplit(url)
    query = parse_qs(parts.query)
    segments = [s for s in parts.path.split("/") if s]
    video_id = segments[1] if len(segments) > 1 else ""
    if host.endswith("bilibili.com"):
        if bvid := query.get("bvid", [""])[0]:
            return f"https://www.bilibili.com/video/{bvid}"
        if aid := query.get("aid", [""])[0]:
            return f"https://www.bilibili.com/video/av{aid}"
    elif host.endswith(("youtube.com", "youtube-nocookie.com")) and segments[:1] == ["embed"]:
        if video_id:
            return f"https://www.youtube.com/watch?v={video_id}"
    elif host == "player.vimeo.com" and segments[:1] == ["video"] and video_id:
        return f"https://vimeo.com/{video_id}"
    elif host == "player.youku.com" and segments[:1] == ["embed"] and video_id:
        return f"https://v.youku.com/v_show/id_{video_id}.html"
    known = ("bilibili.com", "youtube.com", "youtu.be", "vimeo.com", "youku.com")
    return url if host.endswith(known) else None
