"""The HTML parser every stage shares, and what it must not be given."""

from __future__ import annotations

import html
import re

from lxml import etree

from feeds.clean.sanitize import strip_xml_illegal

# Anything from "<" to the next ">": on sanitized HTML, exactly its tags.
ANY_TAG = re.compile(r"<[^>]*>")
_DOCUMENT_TAGS = re.compile(r"</?(?:html|body)\b[^>]*>", re.IGNORECASE)


_CHARREF = re.compile(r"&#(?:[xX]0*([0-9a-fA-F]{1,8})|0*([0-9]{1,10}));?")


# huge_tree: nesting up to 2048 levels, not 256 (a page of 300 nested <div>s came out empty)
_PARSER = etree.HTMLParser(remove_comments=True, remove_pis=True, no_network=True, huge_tree=True)


# Elements after which a reader starts a new line.
BLOCK_TAGS = frozenset(
    {
        *("p", "div", "section", "article", "header", "footer", "aside", "nav", "main"),
        *("h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "pre", "hr", "br", "center"),
        *("ul", "ol", "li", "dl", "dt", "dd", "table", "tr", "caption", "figure", "figcaption"),
    }
)


def parse_fragment(fragment: str) -> etree._Element | None:
    """Parse an HTML fragment with libxml2; return a ``body`` element holding it.

    The text must already be free of XML-illegal characters. Comments and processing
    instructions are dropped while parsing. libxml2 drops everything after elements nested
    deeper than it goes: such a fragment is parsed again without its wrapper elements, and
    failing that as its text, so that nothing it says is lost.
    """
    root = _parse(fragment)
    # len first: the count is a scan of the whole body, and short ones cannot nest so deep
    if (
        len(fragment) > 3 * _DEEPEST
        and fragment.count("<") > _DEEPEST
        and _lost_text(root, fragment)
    ):
        root = _parse(_WRAPPER_TAG.sub("", fragment))
        if _lost_text(root, fragment):
            root = _parse(f"<p>{html.escape(_TAG_ONLY.sub(' ', fragment))}</p>")
    return root


# libxml2's deepest nesting (with huge_tree): a fragment with fewer tags cannot reach it.
_DEEPEST = 2048
_TAG_ONLY = re.compile(r"<[^<>]*>")  # [^<>]: a "<" without its ">" never makes a scan go on
_WRAPPER_TAG = re.compile(
    r"</?(?:div|span|font|section|article|center|main|header|footer|aside|nav|a|b|i|u|em|"
    r"strong|small|big|sub|sup|blockquote|table|tbody|tr|td|th|ul|ol|li|dl|dt|dd)\b[^<>]*>",
    re.IGNORECASE,
)


def _lost_text(root: etree._Element | None, fragment: str) -> bool:
    """Whether the tree holds less than half of the fragment's text."""
    written = len(_TAG_ONLY.sub("", fragment).strip())
    text = etree.tostring(root, method="text", encoding="unicode") if root is not None else ""
    parsed = len(text.strip())
    return parsed * 2 < written


def _parse(fragment: str) -> etree._Element | None:
    if _DOCUMENT_TAGS.search(fragment):  # a stray </body> would end the document early
        fragment = _DOCUMENT_TAGS.sub("", fragment)
    if "&#" in fragment:  # libxml2 would decode &#1; into a character lxml cannot hold
        fragment = _CHARREF.sub(_legal_charref, fragment)
    try:
        doc = etree.fromstring(f"<html><body>{fragment}</body></html>", _PARSER)
    except (etree.ParserError, etree.XMLSyntaxError, ValueError):
        return None
    root = next(doc.iterchildren("body"), None) if doc is not None else None
    if root is not None:
        root.attrib.clear()
    return root


def _legal_charref(match: re.Match[str]) -> str:
    hex_digits, digits = match.groups()
    code = int(hex_digits, 16) if hex_digits else int(digits)
    if code > 0x10FFFF or strip_xml_illegal(chr(code)) == "":
        return "\ufffd"  # what a browser shows for most of these; never joins two words
    return match.group(0)


def tidy_lines(text: str) -> str:
    """Collapse spaces inside lines and drop empty lines."""
    # map and filter keep the per-line work in C (no generator frame per line).
    return "\n".join(filter(None, map(" ".join, map(str.split, text.splitlines()))))
