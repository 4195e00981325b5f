"""The safety net every piece of content passes last: an nh3 allowlist and XML-safe characters.

Cleaning (``clean.body``) makes content readable; this module makes it harmless. It keeps only
tags and attributes that carry meaning for a feed reader, so nothing executable survives:
no script, iframe, object, embed, form, base, meta, link, style or svg; no ``on*`` or
``style`` attribute; no URL but http(s), plus raster ``data:image`` pictures.
"""

from __future__ import annotations

import functools
import re

import nh3

from feeds.clean.urls import RASTER_DATA_URL

ALLOWED_TAGS: frozenset[str] = frozenset(
    {
        *("p", "br", "hr", "h1", "h2", "h3", "h4", "h5", "h6"),
        *("strong", "b", "em", "i", "u", "s", "del", "ins", "sub", "sup", "small", "mark"),
        *("blockquote", "q", "cite", "code", "pre", "kbd", "samp", "abbr"),
        *("ul", "ol", "li", "dl", "dt", "dd"),
        *("table", "thead", "tbody", "tfoot", "tr", "th", "td", "caption"),
        *("figure", "figcaption", "img", "a"),
    }
)
ALLOWED_ATTRIBUTES: dict[str, set[str]] = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title", "width", "height"},
    "abbr": {"title"},
    "ol": {"start"},
    "td": {"colspan", "rowspan"},
    "th": {"colspan", "rowspan"},
}
# Their text is code or markup, never prose: drop it with the tag.
_DROP_WITH_CONTENT = {"script", "style", "template", "noscript", "iframe", "object", "embed"}
_DROP_WITH_CONTENT |= {"svg", "math", "title", "textarea", "select", "noembed", "noframes", "xmp"}

# Characters XML 1.0 cannot carry (C0 controls but tab/newline/return, lone surrogates,
# U+FFFE/U+FFFF) plus the other Unicode noncharacters, which no reader can show either;
# written as the complement of what may stay: tab, newline, return, U+0020-U+D7FF,
# U+E000-U+FFFD but U+FDD0-U+FDEF, and each astral plane but its last two code points.
# A class listing the 32 scattered astral noncharacters makes every search ten times slower;
# this one is as fast to search, but Python compiles it into a table of the whole BMP, a
# hundredth of a second at every start. So it is compiled only for a text that _SUSPECT,
# a few ranges long and quick to compile, flags: the illegal characters of the BMP, and
# every astral character from U+1FFFE on (the rare CJK extension B-G characters among them).
_LEGAL_ASTRAL = "".join(f"{chr(plane << 16)}-{chr(plane << 16 | 0xFFFD)}" for plane in range(1, 17))
_SUSPECT = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufdd0-\ufdef\ufffe\uffff\U0001fffe-\U0010ffff]"
)
_MAX_PASSES = 4
_URL_NOISE = re.compile(r"[\x00-\x20]+")  # what browsers ignore inside a URL scheme
_URL_EDGES = "".join(map(chr, range(0x21)))  # what browsers strip from a URL's ends
_WEB = ("http://", "https://")


@functools.cache
def _illegal() -> re.Pattern[str]:
    return re.compile(f"[^\t\n\r -\ud7ff\ue000-\ufdcf\ufdf0-\ufffd{_LEGAL_ASTRAL}]")


def strip_xml_illegal(text: str) -> str:
    """Remove every character XML 1.0 cannot carry, so one bad byte never costs a feed."""
    return _replace_illegal(text, "")


def _replace_illegal(text: str, replacement: str) -> str:
    if not _SUSPECT.search(text):  # the common case: nothing to do, and no copy made
        return text
    return _illegal().sub(replacement, text)


def _keep_attribute(tag: str, attribute: str, value: str) -> str | None:
    # nh3 already allows only http(s) and data URLs; a data URL is kept only as a raster
    # picture, never as a link or as SVG (which can hold script). An http(s) URL must name
    # its host after "//": "http:/x" or "http:\\x" is one a browser repairs as it likes,
    # and cleaning never writes one (clean.urls makes every URL absolute, or drops it).
    # A tab or newline inside the scheme ("http:/\t/x") is one more such repair: the "//"
    # must stand as written. The URL's ends lose what a browser strips from them.
    if attribute in ("href", "src"):
        url = value.strip(_URL_EDGES)
        bare = _URL_NOISE.sub("", url).lower()
        if bare.startswith("data:") and not (
            tag == "img" and attribute == "src" and RASTER_DATA_URL.fullmatch(bare)
        ):
            return None
        if bare.startswith(("http:", "https:")) and not url.lower().startswith(_WEB):
            return None
        return url
    return value


_CLEANER = nh3.Cleaner(
    tags=set(ALLOWED_TAGS),
    clean_content_tags=_DROP_WITH_CONTENT,
    attributes=ALLOWED_ATTRIBUTES,
    attribute_filter=_keep_attribute,
    url_schemes={"http", "https", "data"},
    url_relative="deny",  # content URLs were made absolute by the cleaner; others mean nothing
    link_rel="noopener noreferrer nofollow",
    # Hotlink-protected Chinese CDNs (sinaimg, ...) refuse requests that send a Referer.
    set_tag_attribute_values={"img": {"referrerpolicy": "no-referrer"}},
    strip_comments=True,
)


def sanitize_html(html: str) -> str:
    """Return ``html`` reduced to the allowlist. Idempotent: sanitizing twice changes nothing."""
    return sanitize_markup(strip_xml_illegal(html), settle=True)


def sanitize_markup(markup: str, *, settle: bool) -> str:
    """``sanitize_html`` for markup already free of XML-illegal characters (lxml output).

    The HTML parser repairs broken markup (a list item inside a table, say) into trees that
    do not always read back the same; ``settle`` cleans again until the result is stable.
    A caller that knows its markup is plain nesting of allowed tags may skip that pass.
    """
    safe = _clean(markup)
    for _ in range(_MAX_PASSES if settle else 0):
        again = _clean(safe)
        if again == safe:
            break
        safe = again
    return safe


def _clean(html: str) -> str:
    safe = _CLEANER.clean(html)
    # ``html`` is free of illegal characters (both callers see to it), and the parser creates
    # new characters only from references; no named one is illegal. So without a numeric
    # one (``&#1;``) there is nothing to replace, and the scan of the output can be skipped.
    if "&#" not in html:
        return safe
    # Replace rather than remove, so that no new text (``java`` + ``script:``) is joined.
    return _replace_illegal(safe, "\ufffd")
