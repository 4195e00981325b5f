"""Bodies that are not HTML: Markdown, and text with a few inline tags, made HTML.

The rule, per file: **a body is Markdown when, outside its HTML tags and code, it holds a
Markdown heading, a code fence, a table rule, or an inline image, link, bold or
strikethrough; else a body whose tags are all inline (no block, no ``<br>``) is text, whose
blank lines make paragraphs and whose line breaks stay breaks; else it is HTML, taken as it
is.** Lists and quotes alone do not make Markdown: plain text numbers its points and quotes
too, and Markdown would join its lines. Some real bodies open with ``<p>`` yet hold
``**bold**`` paragraphs and ``[x](url)`` links between the tags, so the rule looks at the text
that stands outside the tags, never at how the body starts; HTML written by a page (the
archive's ``<div>`` wrappers, indented ``<style>`` blocks) holds none of these, and is left
byte for byte as it was.

Markdown is rendered by markdown-it-py (CommonMark, with tables and strikethrough); HTML inside
it passes through to the cleaner and the sanitizer, as any body's does.
"""

from __future__ import annotations

import functools
import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from markdown_it import MarkdownIt

# Cheap first look, on the body as written: a body with none of these is no Markdown (the
# real archive's HTML bodies nearly all stop here). str's own search where it can be: ``re``
# tests each character of a Chinese text against a set in turn, several times slower.
# A line that opens (after up to 3 spaces) with a heading, fence or table character; a
# search for "\n" first runs at the speed of str's own.
_LINE_START_HINT = re.compile(r"\n {0,3}[#`|~]")
_FIRST_LINE_HINT = re.compile(r" {0,3}[#`|~]")
# What is never prose: code, scripts, styles, comments. Markdown-looking text inside them
# (a `# comment` in a <pre>, CSS in a <style>) says nothing of the body.
_CODE = re.compile(
    r"<(pre|code|script|style|textarea|xmp)\b.*?</\1\s*>|<!--.*?-->", re.DOTALL | re.IGNORECASE
)
_TAG = re.compile(r"<[a-zA-Z/!?][^>]*>")
_STANDS_IN_FOR_TAG = "\x01"  # a tag's place: text after a tag does not open a line
# Outside the tags: a heading, a fence, a table's rule row (|---|:--:|), at a line's start;
# an image or link, bold, strikethrough anywhere.
_MARKDOWN = re.compile(
    r"(?m)^ {0,3}(?:#{1,6}[ \t]+\S|```|~~~|\|?[ \t]*:?-{3,}:?[ \t]*\|)"
    r"|!?\[[^\]\n]*\]\([^)\s]+(?:[ \t]+\"[^\"\n]*\")?\)"
    r"|\*\*[^\s*](?:[^*\n]*[^\s*])?\*\*"
    r"|~~[^\s~](?:[^~\n]*[^\s~])?~~"
)
_TAG_NAME = re.compile(r"</?([a-zA-Z][a-zA-Z0-9]*)")
# The usual HTML body shows a block tag early: it is not text with inline tags, and the
# search for it stops there.
# (Cased by hand: with IGNORECASE, ``re`` no longer looks for the "<" first, and is slower.)
_BLOCK_TAG = re.compile(
    r"<(?:[pP]|[dD][iI][vV]|[bB][rR]|[hH][1-6]|[uUoO][lL]|[lL][iI]|[tT][aA][bB][lL][eE]"
    r"|[sS][eE][cC][tT][iI][oO][nN]|[aA][rR][tT][iI][cC][lL][eE]|[pP][rR][eE]"
    r"|[bB][lL][oO][cC][kK][qQ][uU][oO][tT][eE]|[fF][iI][gG][uU][rR][eE]|[hH][rR])\b"
)
# Tags that sit inside a line of text: a body holding only these is text with markup.
INLINE_TAGS = frozenset(
    {
        *("a", "abbr", "b", "big", "cite", "code", "del", "em", "font", "i", "img", "ins"),
        *("kbd", "mark", "q", "s", "samp", "small", "span", "strike", "strong", "sub"),
        *("sup", "time", "tt", "u", "var", "wbr"),
    }
)
_BLANK_LINE = re.compile(r"\n[ \t\u3000\xa0]*\n")
_INDENT = " \t\u3000\xa0"


def is_markdown(body: str) -> bool:
    """Whether ``body`` is Markdown, by the rule above."""
    if not _may_be_markdown(body):
        return False
    outside = _TAG.sub(_STANDS_IN_FOR_TAG, _CODE.sub("\n", body))
    return bool(_MARKDOWN.search(outside))


def _may_be_markdown(body: str) -> bool:
    return (
        "**" in body
        or "](" in body
        or "~~" in body
        or _FIRST_LINE_HINT.match(body) is not None
        or _LINE_START_HINT.search(body) is not None
    )


def is_text_with_inline_tags(body: str) -> bool:
    """Whether ``body`` is lines of text with tags that are all inline, and several lines."""
    if _BLOCK_TAG.search(body) or "\n" not in body.strip():
        return False
    names = {name.lower() for name in _TAG_NAME.findall(body)}
    return bool(names) and names <= INLINE_TAGS


def as_html(body: str) -> str | None:
    """``body`` made HTML when it is Markdown or text with inline tags; None when it is
    HTML (or text without tags, which the cleaner reads as text) and stays as it is."""
    if is_markdown(body):
        return render_markdown(body)
    if is_text_with_inline_tags(body):
        return text_to_paragraphs(body)
    return None


def render_markdown(text: str) -> str:
    html: str = _renderer().render(text)
    return html


def text_to_paragraphs(text: str) -> str:
    """Blank-line-separated blocks as paragraphs, the lines of each joined by ``<br>``; the
    inline tags stay as written."""
    paragraphs = []
    for block in _BLANK_LINE.split(text):
        lines = [stripped for line in block.split("\n") if (stripped := line.strip(_INDENT))]
        if lines:
            paragraphs.append("<p>" + "<br>".join(lines) + "</p>")
    return "\n".join(paragraphs)


@functools.cache
def _renderer() -> MarkdownIt:
    # Imported on first use: most archives are HTML, and a build with nothing new renders none.
    from markdown_it import MarkdownIt

    return MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"])
