"""The HTML parser every stage shares, and what it must not be given."""

from __future__ import annotations

import re

from lxml import etree

from feeds.clean.sanitize import strip_xml_illegal

# Anything from "<" to the next ">": on sanitized HTML, exactly its tags.
ANY_TAG = re.compile(r"<[^>]*>")
_DOCUMENT_TAGS = re.compile(r"</?(?:html|body)\b[^>]*>", re.IGNORECASE)


_CHARREF = re.compile(r"&#(?:[xX]0*([0-9a-fA-F]{1,8})|0*([0-9]{1,10}));?")


_PARSER = etree.HTMLParser(remove_comments=True, remove_pis=True, no_network=True)


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
    instructions are dropped while parsing.
    """
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
