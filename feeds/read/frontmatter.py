"""Split an article into its front matter fields and its body.

The block is YAML between ``---`` lines (nearly every file), TOML between ``+++`` lines
(Hugo), or JSON: between ``;;;`` lines or ended by one (Hexo, whose JSON has no braces), or
an object that opens the file (Hugo). A block indented as a whole (delimiters included) is
read dedented, and its body too. Keys are read in any case (``pubDate``, ``canonicalUrl``).

About 4% of the real archive is not valid YAML: titles
that start with ``@``, or that wrap ``'第2集'`` in runs of seven double quotes. Those blocks are
read line by line instead, with a warning: their fields are still ``key: value`` and ``- item``
lines, and a quoted value there reads as YAML would read it (escapes, ``''``, folded lines).
A lone surrogate, which JSON reads from an escape and no text may hold, becomes U+FFFD.
"""

from __future__ import annotations

import json
import re
import textwrap
import tomllib
from collections.abc import Iterable, Iterator, Sequence
from datetime import date, datetime
from itertools import islice

import yaml

from feeds.errors import ArticleError
from feeds.models import FrontMatter

try:  # libyaml's parser is several times faster than the pure Python one
    from yaml import CSafeLoader as _SafeLoader
except ImportError:  # pragma: no cover - PyYAML built without libyaml
    from yaml import SafeLoader as _SafeLoader  # type: ignore[assignment]

_NULL_TAG = "tag:yaml.org,2002:null"
_STR_TAG = "tag:yaml.org,2002:str"
_SEQ_TAG = "tag:yaml.org,2002:seq"
_MAP_TAG = "tag:yaml.org,2002:map"


class _TextLoader(_SafeLoader):
    """A safe loader that keeps every plain scalar as the text written, except null.

    YAML 1.1 would turn a title ``yes`` into True, ``1.10`` into 1.1, ``0x1F`` into 31 and
    ``2022-05-26`` into a date; every field here is text, so only ``~``/``null``/empty resolve.
    """


_TextLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag == _NULL_TAG]
    for first, resolvers in _SafeLoader.yaml_implicit_resolvers.items()
}

_OPEN = re.compile(r"\ufeff?(?:[ \t]*\n)*---[ \t]*(?:\n|\Z)")
_CLOSE = re.compile(r"^(?:---|\.\.\.)[ \t]*$", re.MULTILINE)
# Any other opening: indented, or another language's fence.
_OPEN_ANY = re.compile(r"\ufeff?(?:[ \t]*\n)*(?P<indent>[ \t]*)(?P<fence>---|\+\+\+|;;;)[ \t]*\n")
_CLOSE_OF = {"---": r"(?:---|\.\.\.)", "+++": r"\+\+\+", ";;;": ";;;"}
_JSON_END = re.compile(r"^;;;[ \t]*$", re.MULTILINE)  # Hexo's JSON without an opening line
_LEADING_BLANKS = re.compile(r"\ufeff?(?:[ \t]*\n)*[ \t]*")
# What PyYAML raises besides YAMLError for malformed explicit tags (``!!int`` with no value,
# ``!!timestamp 2021-13-45``) or absurd nesting.
_YAML_FAILURES = (
    yaml.YAMLError,
    ValueError,
    TypeError,
    AttributeError,
    IndexError,
    KeyError,
    OverflowError,
    RecursionError,
)

_CATEGORY_SEPARATORS = re.compile(r"[,，]")
_MAX_NESTING = 3  # Hexo's [[a, b]] is two levels; deeper (or recursive aliases) is not a list
_MAX_NAMES = 1000  # YAML aliases can make a short block list billions of names
_MAX_VISITS = 10_000  # values a walk of one field may visit, names or not

_CATEGORY_KEYS = ("categories", "category")
_TAG_KEYS = ("tags", "keywords")
_URL_KEYS = ("url", "src", "href")
DATE_FIELDS = ("date", "pubdate", "published", "updated", "lastmod")

Fields = dict[str, object]


def read_front_matter(
    text: str,
    image_fields: Sequence[str],
    link_fields: Sequence[str],
    date_fields: Sequence[str] = DATE_FIELDS,
) -> tuple[FrontMatter, str, list[str]]:
    """Return the front matter's fields, the body after it, and warnings about repairs made."""
    warnings: list[str] = []
    opening = _OPEN.match(text)
    if opening is not None:  # YAML at the margin: nearly every file, kept fast
        block, body, start = _split(text, opening)
        fields = _parse_block(block, text.count("\n", 0, start) + 1, warnings)
    else:
        fields, body = _other_shapes(text, warnings)
    categories, paths = _categories(fields, warnings)
    front = FrontMatter(
        title=_title(fields.get("title"), warnings),
        categories=categories,
        category_paths=paths,
        author=_author(fields.get("author")),
        date=_date(fields, date_fields, warnings),
        images=_images(fields, image_fields),
        link=_link(fields, link_fields),
        tags=_tags(fields, warnings),
    )
    return front, body, warnings


def _split(text: str, opening: re.Match[str] | None = None) -> tuple[str, str, int]:
    """The YAML block at the margin, the body, and where the block starts in ``text``."""
    opening = opening or _OPEN.match(text)
    if opening is None:
        raise ArticleError("frontmatter", "no front matter block")
    closing = _CLOSE.search(text, opening.end())
    if closing is None:
        raise ArticleError("frontmatter", "front matter is not closed by ---")
    start = opening.end()
    return text[start : closing.start()], text[closing.end() + 1 :], start


def _other_shapes(text: str, warnings: list[str]) -> tuple[Fields, str]:
    """The fields and body of a file whose block is not YAML at the margin."""
    opening = _OPEN_ANY.match(text)
    if opening is not None:
        indent, fence = opening["indent"], opening["fence"]
        close = re.compile(rf"^{re.escape(indent)}{_CLOSE_OF[fence]}[ \t]*$", re.MULTILINE)
        closing = close.search(text, opening.end())
        if closing is None:
            raise ArticleError("frontmatter", f"front matter is not closed by {fence}")
        block = textwrap.dedent(text[opening.end() : closing.start()])
        body = _dedent_body(text[closing.end() + 1 :], indent)
        if fence == "+++":
            return _toml_fields(block, warnings), body
        if fence == ";;;":
            return _json_fields(block, warnings), body
        first_line = text.count("\n", 0, opening.end()) + 1
        return _parse_block(block, first_line, warnings), body
    start = _LEADING_BLANKS.match(text)
    at = start.end() if start else 0
    if text.startswith("{", at):  # a JSON object opens the file (Hugo)
        try:
            data, end = json.JSONDecoder().raw_decode(text, at)
        except ValueError as e:
            raise ArticleError("frontmatter", f"front matter is not valid JSON ({e})") from None
        fields = _mapping(data, "JSON")
        _repair_surrogates(fields, text[at:end], warnings)
        return fields, text[end:].lstrip(" \t").removeprefix("\n")
    if text.startswith('"', at) and (closing := _JSON_END.search(text, at)) is not None:
        return _json_fields(text[at : closing.start()], warnings), text[closing.end() + 1 :]
    raise ArticleError("frontmatter", "no front matter block")


def _dedent_body(body: str, indent: str) -> str:
    """The body less the indentation its block had: indented as a whole, it is too (else
    Markdown would read every line as code)."""
    if not indent:
        return body
    return "\n".join(line.removeprefix(indent) for line in body.split("\n"))


def _toml_fields(block: str, warnings: list[str]) -> Fields:
    """The TOML block's fields; an escape of a surrogate, which TOML refuses, is repaired."""
    replaced = 0
    for _ in range(_MAX_TOML_REPAIRS):
        try:
            data = tomllib.loads(block)
        except (tomllib.TOMLDecodeError, RecursionError) as e:
            repaired = _without_surrogate_escape(block, e)
            if repaired is None:
                raise ArticleError("frontmatter", f"front matter is not valid TOML ({e})") from None
            block, lone = repaired
            replaced += lone
        else:
            _note_surrogates(replaced, warnings)
            return _mapping(data, "TOML")
    raise ArticleError("frontmatter", "front matter is not valid TOML (too many surrogate escapes)")


def _without_surrogate_escape(block: str, error: Exception) -> tuple[str, int] | None:
    """``block`` with the surrogate escape tomllib refused rewritten, and 1 if it was a lone
    one (now ``\\uFFFD``) or 0 for the first half of a pair (now one ``\\U`` escape, as JSON
    and the JavaScript of Hexo read a pair); None for any other error.

    tomllib (before Python 3.14) says where only in its message: just after the escape.
    """
    where = _TOML_SURROGATE_ERROR.fullmatch(str(error))
    if where is None:
        return None
    line_start = 0
    for _ in range(int(where[1]) - 1):
        line_start = block.find("\n", line_start) + 1
    end = line_start + int(where[2]) - 1
    escape = _SURROGATE_ESCAPE_END.search(block[max(end - 10, 0) : end])
    if escape is None:
        return None
    start, code = end - len(escape[0]), int(escape[1], 16)
    low = _SURROGATE_ESCAPE.match(block, end)
    if code < 0xDC00 and low is not None and int(low[1], 16) >= 0xDC00:
        pair = 0x10000 + ((code - 0xD800) << 10) + (int(low[1], 16) - 0xDC00)
        return f"{block[:start]}\\U{pair:08X}{block[low.end() :]}", 0
    return f"{block[:start]}\\uFFFD{block[end:]}", 1


def _json_fields(block: str, warnings: list[str]) -> Fields:
    """Hexo's JSON block: the members of an object, with or without its braces."""
    text = block.strip()
    if not text.startswith("{"):
        text = "{" + text.rstrip(",") + "}"
    try:
        data = json.loads(text)
    except (ValueError, RecursionError) as e:
        raise ArticleError("frontmatter", f"front matter is not valid JSON ({e})") from None
    fields = _mapping(data, "JSON")
    _repair_surrogates(fields, block, warnings)
    return fields


# Lone surrogates. JSON reads the escape "\\udcff" as one, TOML and libyaml refuse it, the line
# reader decodes it as PyYAML does; but no text may hold one (UTF-8 cannot encode it, so it
# would fail the build of the article far from here). A pair of escapes is one character, as
# JSON and the JavaScript of Hexo read it; a lone one becomes U+FFFD, with a note.

_SURROGATE = re.compile("[\ud800-\udfff]")
_SURROGATE_HINT = re.compile(r"\\(?:u|U0000)[dD][89a-fA-F]|[\ud800-\udfff]")  # in a block
_SURROGATE_ESCAPE = re.compile(r"\\(?:u|U0000)([dD][89a-fA-F][0-9a-fA-F]{2})")
_SURROGATE_ESCAPE_END = re.compile(_SURROGATE_ESCAPE.pattern + r"\Z")
_TOML_SURROGATE_ERROR = re.compile(
    r"Escaped character is not a Unicode scalar value \(at line (\d+), column (\d+)\)"
)
_MAX_TOML_REPAIRS = 64  # each is one more parse of the block


def _repair_surrogates(fields: Fields, block: str, warnings: list[str]) -> None:
    """Make the surrogates in the values read from ``block`` whole characters, in place.

    A block with no escape of a surrogate (nearly all) costs one search of its text.
    """
    if not _SURROGATE_HINT.search(block):
        return
    replaced = 0
    stack: list[object] = [fields]  # not recursive: JSON may nest as deep as it likes
    while stack:
        container = stack.pop()
        if isinstance(container, dict):
            slots = list(container.items())
        elif isinstance(container, list):
            slots = list(enumerate(container))
        else:
            continue
        for slot, value in slots:
            if isinstance(value, str) and _SURROGATE.search(value):
                container[slot] = text = _whole_characters(value)
                replaced += text.count("\ufffd") - value.count("\ufffd")
            elif isinstance(value, dict | list):
                stack.append(value)
    _note_surrogates(replaced, warnings)


def _whole_characters(text: str) -> str:
    """``text`` with each surrogate pair one character and each lone surrogate U+FFFD."""
    return text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")


def _note_surrogates(replaced: int, warnings: list[str]) -> None:
    if replaced:
        what = "a lone surrogate" if replaced == 1 else f"{replaced} lone surrogates"
        warnings.append(f"{what} (half of a UTF-16 pair, not a character) replaced by U+FFFD")


def _mapping(data: object, language: str) -> Fields:
    if not isinstance(data, dict):
        raise ArticleError(
            "frontmatter", f"{language} front matter is {_kind(data)}, not a mapping"
        )
    fields: Fields = {}
    for key, value in data.items():
        fields.setdefault(str(key).strip().lower(), value)  # keys are case-insensitive
    return fields


def _parse_block(block: str, first_line: int, warnings: list[str]) -> Fields:
    try:
        data = _load(block)
    except _YAML_FAILURES as error:
        fields = _read_lines(block)
        problem = f"front matter is not valid YAML ({_yaml_reason(error, first_line)})"
        if not fields:
            raise ArticleError("frontmatter", problem) from None
        warnings.append(f"{problem}; read line by line")
        _repair_surrogates(fields, block, warnings)
        return fields
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ArticleError("frontmatter", f"front matter is {_kind(data)}, not a mapping")
    fields = {}
    for key, value in data.items():
        fields.setdefault(str(key).strip().lower(), value)  # keys are case-insensitive
    return fields


def _load(block: str) -> object:
    """The block's YAML value, read by the line parser when it can be, else by PyYAML."""
    simple = _load_simple(block)
    return simple if simple is not None else _load_yaml(block)


def _load_yaml(block: str) -> object:
    """``yaml.load`` with a fast path: plain text, lists and mappings are built directly.

    PyYAML's generic constructor costs as much as libyaml's parse; front matter almost never
    needs it (explicit tags, keys that are not text, deep nesting), and then it is used.
    """
    loader = _TextLoader(block)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        try:
            return _plain_value(node, 0)
        except _NotPlain:
            return loader.construct_document(node)
    finally:
        loader.dispose()


class _NotPlain(Exception):
    """A node that needs PyYAML's constructor."""


def _plain_value(node: yaml.Node, depth: int) -> object:
    if depth > _MAX_NESTING:  # also stops recursive aliases
        raise _NotPlain
    if isinstance(node, yaml.ScalarNode):
        if node.tag == _STR_TAG:
            return node.value
        if node.tag == _NULL_TAG:
            return None
    elif isinstance(node, yaml.SequenceNode) and node.tag == _SEQ_TAG:
        return [_plain_value(item, depth + 1) for item in node.value]
    elif isinstance(node, yaml.MappingNode) and node.tag == _MAP_TAG:
        mapping = {}
        for key, value in node.value:
            if not (isinstance(key, yaml.ScalarNode) and key.tag == _STR_TAG):
                raise _NotPlain
            mapping[key.value] = _plain_value(value, depth + 1)
        return mapping
    raise _NotPlain


def _yaml_reason(error: Exception, first_line: int) -> str:
    if isinstance(error, yaml.MarkedYAMLError) and error.problem:
        where = f", line {error.problem_mark.line + first_line}" if error.problem_mark else ""
        return f"{error.problem}{where}"
    return str(error).splitlines()[0] if str(error) else type(error).__name__


def _kind(value: object) -> str:
    kinds: tuple[tuple[type | tuple[type, ...], str], ...] = (
        (str, "text"),
        (list, "a list"),
        (dict, "a mapping"),
        (bool, "a boolean"),
        ((int, float), "a number"),
        ((bytes, bytearray), "binary data"),
    )
    return next((name for kind, name in kinds if isinstance(value, kind)), "a value")


# The fast path for simple blocks.
#
# Nearly every block is a few one-line ``key: value`` pairs and one ``- item`` list, yet
# libyaml's parse plus a Python resolver call per scalar costs a quarter of an article's time.
# _load_simple reads that shape with a grammar narrow enough that YAML can read it only one
# way, and returns what _load_yaml returns; anything else (comments, tabs, indicators, quotes
# that do not close on their line, indented text, unusual characters) gets None, and PyYAML
# reads the block. tests/test_frontmatter_fast.py checks the two agree.

# Characters YAML takes as themselves: no tab, CR, NEL, LS, PS or BOM, and none of the
# non-printable characters libyaml refuses. Written as what is left out: a class of the
# characters kept, its ranges spanning most of the BMP, takes Python a few milliseconds to
# compile at every start, and this one a twentieth of that.
_SIMPLE_TEXT = re.compile(
    r"[^\x00-\x09\x0b-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff\ufeff\ufffe\uffff]*"
)
# A scalar on one line: single-quoted with '' for a quote; double-quoted without escapes; or
# plain, neither starting with an indicator nor holding ": ", " #" or a final colon. Possessive
# quantifiers: each has one way to match, so trying others on failure would only cost time.
_SIMPLE_SCALAR = (
    r"'(?:[^']++|'')*+'"
    r'|"[^"\\]*+"'
    r"|[^-?:,\[\]{}#&*!|>'\"%@` ](?:[^: ]++|:(?=[^ ])| ++(?=[^ #]))*+"
)
# Keys are plain words at the start of the line; a null-looking key would become None.
_SIMPLE_PAIR = re.compile(
    rf"(?!(?:null|Null|NULL):)([A-Za-z_][A-Za-z0-9_]{{0,63}}):(?: +({_SIMPLE_SCALAR}))? *"
)
_SIMPLE_ITEM = re.compile(rf"( *)-(?: +({_SIMPLE_SCALAR}))? *")
_NULL_WORDS = ("~", "null", "Null", "NULL")  # and nothing: the one tag _TextLoader resolves


def _load_simple(block: str) -> dict[str, object] | None:
    """What _load_yaml returns for a block of simple lines; None for any other block.

    Like YAML, a repeated key keeps its first place and its last value, and a key with no
    value on its line takes the ``- item`` lines after it (all at one indentation) as a list.
    """
    if not _SIMPLE_TEXT.fullmatch(block):
        return None
    fields: dict[str, object] = {}
    list_key: str | None = None  # the key whose value item lines may still make a list
    items: list[object] | None = None
    indent = 0
    for line in block.split("\n"):
        if not line.strip(" "):
            continue
        if pair := _SIMPLE_PAIR.fullmatch(line):
            key, value = pair.groups()
            fields[key] = _simple_scalar(value)
            list_key, items = (key if value is None else None), None
        elif (item := _SIMPLE_ITEM.fullmatch(line)) and list_key is not None:
            if items is None:
                items, indent = [], len(item[1])
                fields[list_key] = items
            elif len(item[1]) != indent:
                return None
            items.append(_simple_scalar(item[2]))
        else:
            return None
    return fields or None


def _simple_scalar(text: str | None) -> str | None:
    """The value of a scalar matched by _SIMPLE_SCALAR (None: nothing was written)."""
    if text is None or text in _NULL_WORDS:
        return None
    if text[0] == "'":
        return text[1:-1].replace("''", "'")
    if text[0] == '"':
        return text[1:-1]
    return text


# The line reader.


def _read_lines(block: str) -> Fields:
    reader = _LineReader(follow_quotes=True)
    reader.read(block)
    if reader.open_key is not None:  # a stray quote swallowed every later line: no quotes then
        reader = _LineReader(follow_quotes=False)
        reader.read(block)
    return {key: _unquote_value(key, value) for key, value in reader.raw.items()}


class _LineReader:
    """Reads ``key: value`` lines, ``- item`` lines under a key, and continuation lines.

    A continuation line joins the value before it with a space, as YAML folds lines. Inside an
    open quote every line is a continuation, so a multi-line title may hold ``key: value``.
    """

    def __init__(self, *, follow_quotes: bool) -> None:
        self.follow_quotes = follow_quotes
        self.raw: dict[str, str | list[str]] = {}
        self.key: str | None = None  # the key the following lines belong to
        self.open_key: str | None = None  # the key whose quoted value is not closed yet
        self.quoted: list[str] = []  # the lines of that value so far

    def read(self, block: str) -> None:
        for line in block.split("\n"):
            if self.open_key is not None:
                self._extend_quoted(self.open_key, line)
            elif line.strip() and not line.lstrip().startswith("#"):
                self._read_line(line)

    def _extend_quoted(self, key: str, line: str) -> None:
        # Kept as written: YAML folds the lines of a quoted value by its own rules (a final
        # backslash joins two lines with no space, a blank line is a line break).
        self.quoted.append(line)
        if _closes_quote(line, self.quoted[0][0]):
            self.raw[key] = "\n".join(self.quoted)
            self.open_key = None

    def _read_line(self, line: str) -> None:
        value = self.raw.get(self.key) if self.key is not None else None
        item = item_line(line)
        if self.key is not None and item is not None and (value == "" or isinstance(value, list)):
            items = value if isinstance(value, list) else []
            self.raw[self.key] = [*items, item]
            return
        pair = key_line(line)
        if pair:
            self._start_key(_unquote(pair[0].strip()).lower(), pair[1])
        elif self.key is not None and value is not None:
            self.raw[self.key] = _continue(value, line.strip())

    def _start_key(self, key: str, value: str) -> None:
        if key in self.raw:  # a repeated key: keep the first value, like the YAML path
            self.key = None
            return
        self.key = key
        self.raw[key] = value
        if self.follow_quotes and _opens_quote(value):
            self.open_key = key
            self.quoted = [value]


# The line reader's two kinds of line, read in time linear in the line: a regex with two
# runs of blanks around a lazy part takes time quadratic in a run of spaces, and a scraped
# title can hold a megabyte of them.


def key_line(line: str) -> tuple[str, str] | None:
    """A top-level ``key: value`` line as (key, value), or None.

    The key starts with neither a blank, ``#`` nor ``-`` and ends at the first colon; a
    value follows a blank (``a:b`` is not a key line, as in YAML). Blanks around both go.
    """
    colon = line.find(":")
    if colon < 1 or line[0].isspace() or line[0] in "#-":
        return None
    value = line[colon + 1 :]
    if value and value[0] not in " \t":
        return None
    return line[:colon].rstrip(" \t"), value.strip(" \t")


def item_line(line: str) -> str | None:
    """The item of a ``- item`` list line ("" for a bare ``-``), or None."""
    dash = line.lstrip(" \t")
    if not dash.startswith("-"):
        return None
    item = dash[1:]
    if item and item[0] not in " \t":
        return None
    return item.strip(" \t")


def quote_run_inner(value: str) -> str:
    """``value`` less a run of two or more quotes opening it and a run closing it.

    Seven double quotes around ``'第2集'`` give ``'第2集'``; a value of quotes only gives "".
    """
    quote = value[:1]
    if quote not in ("'", '"'):
        return value
    opening = len(value) - len(value.lstrip(quote))
    closing = len(value) - len(value.rstrip(quote))
    if opening == len(value):  # quotes only: two open, two close, none left between
        return "" if opening >= 4 else value
    if opening < 2 or closing < 2:
        return value
    return value[opening : len(value) - closing]


def _continue(value: str | list[str], line: str) -> str | list[str]:
    if isinstance(value, list):
        return [*value[:-1], f"{value[-1]} {line}".strip()] if value else [line]
    return f"{value} {line}".strip()


def _opens_quote(value: str) -> bool:
    return value[:1] in _QUOTES and not _closes_quote(value, value[0], first_line=True)


def _closes_quote(line: str, quote: str, *, first_line: bool = False) -> bool:
    """Whether a line of a value opened by ``quote`` ends with one that closes it: not an
    escaped ``\\"`` nor the second quote of a doubled ``''``, which YAML reads as text."""
    line = line.rstrip()
    if len(line) < (2 if first_line else 1) or line[-1] != quote:
        return False
    before = line[1:-1] if first_line else line[:-1]  # a line break ends any run of quotes
    escaped = len(before) - len(before.rstrip("\\" if quote == '"' else "'"))
    if escaped % 2 == 0:
        return True
    # An escaped quote ends the line. If the line also holds an escape YAML has not, the
    # value was never YAML: its last quote closes it, as the line reader always read it (so
    # a title ``"C:\dir\"`` does not swallow the lines after it).
    return quote == '"' and _has_unknown_escape(line)


def _has_unknown_escape(line: str) -> bool:
    return any(escape[1] for escape in _ESCAPE_SEQUENCE.finditer(line))


def _unquote_value(key: str, value: str | list[str]) -> object:
    if isinstance(value, list):
        return [_unquote(item) for item in value]
    # A flow list, [a, b], only where a list is expected: a title may well look like "[Hot] ...".
    if key in _CATEGORY_KEYS and value.startswith("[") and value.endswith("]"):
        return [_unquote(item) for item in _flow_items(value[1:-1])]
    return _unquote(value) if value else None


def _flow_items(inner: str) -> list[str]:
    """The items of a flow list's inside, split at its commas: those outside quoted items."""
    items: list[str] = []
    pos = 0
    while pos <= len(inner):
        start = _after_blanks(inner, pos)
        end = _quoted_end(inner, start) if inner[start : start + 1] in _QUOTES else -1
        if end > 0 and _quoted_text(inner[start:end]) is not None:
            after = _after_blanks(inner, end)
            if after == len(inner) or inner[after] == ",":  # the quoted item is the whole item
                items.append(inner[start:end])
                pos = after + 1
                continue
        comma = inner.find(",", pos)
        if comma < 0:
            items.append(inner[pos:].strip())
            break
        items.append(inner[pos:comma].strip())
        pos = comma + 1
    return items


def _after_blanks(text: str, pos: int) -> int:
    while pos < len(text) and text[pos] in " \t":
        pos += 1
    return pos


def _unquote(value: str) -> str:
    """The text of a value: a quoted one read as YAML reads it, else one level of matching
    quotes stripped, or a quote run around a quoted value entirely.

    ``'it''s'`` gives ``it's``, ``"Caf\\u00e9"`` gives ``Café``, and seven double quotes around
    ``'第2集'`` (not YAML) give ``第2集``.
    """
    if value[:1] not in _QUOTES:
        return value
    # A value of quotes only is a quote run around nothing, as quote_run_inner has it: no
    # title, though YAML would read four single quotes as one.
    if value.strip(value[0]) and (text := _quoted_text(value)) is not None:
        return text
    # Not one YAML scalar: a quote run, an unknown escape, a quote that does not close.
    value = quote_run_inner(_fold_as_before(value))
    if (text := _quoted_text(value)) is not None:
        return text
    if len(value) >= 2 and value[0] == value[-1] and value[0] in _QUOTES:
        inner = value[1:-1]
        return inner.replace("''", "'") if value[0] == "'" else inner
    return value


def _fold_as_before(value: str) -> str:
    """The lines of a quoted value that is not YAML, joined as the line reader joins lines."""
    if "\n" not in value:
        return value
    return " ".join(part for line in value.split("\n") if (part := line.strip()))


# YAML's quoted scalars, read by PyYAML itself: libyaml, or PyYAML's own scanner for a value
# escaping a surrogate (libyaml refuses the escape; it is repaired after). Only the line
# reader uses this.

_QUOTES = ("'", '"')
# An escape, read left to right (so ``\\`` is one); group 1 is the character after a
# backslash that starts no escape YAML has.
_ESCAPE_SEQUENCE = re.compile(
    r"\\(?:[0abt\tnvfre \"/\\N_LP\r\n\x85\u2028\u2029]|x[0-9a-fA-F]{2}|u[0-9a-fA-F]{4}"
    r"|U[0-9a-fA-F]{8}|(.))",
    re.DOTALL,
)


def _quoted_text(value: str) -> str | None:
    """The text of ``value`` read as one YAML quoted scalar with only blanks after it; None
    when it is not one (YAML would refuse it)."""
    if value[:1] not in _QUOTES or value.rstrip(" \t")[-1:] != value[0]:
        return None  # not quoted, or something after its quote (a comment is not a title)
    loader = yaml.SafeLoader if _SURROGATE_HINT.search(value) else _SafeLoader
    try:
        text = yaml.load(value, Loader=loader)
    except yaml.YAMLError:
        return None
    return text if isinstance(text, str) else None


def _quoted_end(text: str, start: int) -> int:
    """Where the quoted item opening at ``start`` of a flow list ends (after its closing
    quote), as YAML finds it: not at an escaped ``\\"`` nor inside a doubled ``''``; -1 if
    it does not close."""
    quote, pos = text[start], start + 1
    while (pos := text.find(quote, pos)) >= 0:
        if quote == "'" and text.startswith("''", pos):
            pos += 2
            continue
        backslashes = len(text[start + 1 : pos]) - len(text[start + 1 : pos].rstrip("\\"))
        if quote == "'" or backslashes % 2 == 0:
            return pos + 1
        pos += 1
    return -1


# Field normalisation: every value becomes text.


def _scalar(value: object) -> str | None:
    """A scalar as text; None for null and for lists, mappings and binary data."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, datetime | date):  # only from explicit !!timestamp tags
        return value.isoformat()
    return None


def _title(value: object, warnings: list[str]) -> str | None:
    title = _scalar(value)
    if title is None and value is not None:
        warnings.append(f"title is {_kind(value)}, not text; ignored")
    return title


def _date(fields: Fields, names: Sequence[str], warnings: list[str]) -> str | None:
    """The first of the date fields, in the configured order, that holds a value."""
    for name in names:
        value = fields.get(name.lower())
        if value is None:
            continue
        text = _stripped(_scalar(value))
        if text is None and not isinstance(value, str):
            warnings.append(f"{name} is {_kind(value)}, not text; ignored")
        if text is not None:
            return text
    return None


def _tags(fields: Fields, warnings: list[str]) -> tuple[str, ...]:
    """The tags (or keywords): names, one text of several split at commas."""
    for key in _TAG_KEYS:
        names, _ = _names(fields.get(key), key, warnings)
        if names:
            return names
    return ()


def _author(value: object) -> str | None:
    if isinstance(value, list):  # several authors
        names = (_stripped(_scalar(_name(item))) for item in value)
        return ", ".join(name for name in names if name) or None
    return _stripped(_scalar(_name(value)))


def _name(value: object) -> object:
    return value.get("name") if isinstance(value, dict) else value


def _stripped(text: str | None) -> str | None:
    return (text.strip() or None) if text is not None else None


def _categories(
    fields: Fields, warnings: list[str]
) -> tuple[tuple[str, ...], tuple[tuple[str, ...], ...]]:
    """The category names in order, and their paths when the list nests (else ())."""
    for key in _CATEGORY_KEYS:
        names, paths = _names(fields.get(key), key, warnings)
        if names:
            return names, paths
    return (), ()


def _names(
    value: object, key: str, warnings: list[str]
) -> tuple[tuple[str, ...], tuple[tuple[str, ...], ...]]:
    """The names of a categories field, and its paths as Hexo reads them when it nests.

    A flat list is one path (``[a, b]``: a › b); a list holding lists is one path per item,
    a plain item a path of one (``[[a, b], c]``: a › b and c). A single text holding commas
    is several names (``categories: 财经, 科技``); an item of a list is one name, whatever
    it holds.
    """
    if value is None:
        return (), ()
    if isinstance(value, str):  # one name, or several separated by commas
        return _unique(_CATEGORY_SEPARATORS.split(value)), ()
    if isinstance(value, dict):
        warnings.append(f"{key} is a mapping, not a list of names; ignored")
        return (), ()
    found: list[str] = []  # one note of each kind, however often the walk meets it
    names = _unique(islice(_flatten(value, key, found, [_MAX_VISITS]), _MAX_NAMES))
    paths: tuple[tuple[str, ...], ...] = ()
    if isinstance(value, list) and any(isinstance(item, list) for item in value):
        budget = [_MAX_VISITS]  # the same bound as the walk above
        walks = (_unique(islice(_flatten(item, key, [], budget, 1), _MAX_NAMES)) for item in value)
        paths = tuple(dict.fromkeys(path for path in walks if path))
    warnings += dict.fromkeys(found)
    return names, paths


def _flatten(
    value: object, key: str, warnings: list[str], budget: list[int], depth: int = 0
) -> Iterator[str]:
    """The names in ``value``, in order. ``budget`` is how many more values the walk may
    visit: YAML aliases let a short block nest lists of lists that a full walk would visit
    billions of times."""
    budget[0] -= 1
    if budget[0] < 0:
        if budget[0] == -1:
            warnings.append(f"{key}: too many nested values; the rest ignored")
        return
    if not isinstance(value, list):
        text = _scalar(value)
        if text is not None:
            yield text
        elif isinstance(value, dict):
            warnings.append(f"{key}: a mapping is not a name; ignored")
        return
    if depth >= _MAX_NESTING:
        warnings.append(f"{key}: lists nested too deep; ignored")
        return
    for item in value:
        yield from _flatten(item, key, warnings, budget, depth + 1)


def _images(fields: Fields, image_fields: Sequence[str]) -> tuple[str, ...]:
    urls = []
    for name in image_fields:
        value = fields.get(name.lower())
        for item in value if isinstance(value, list) else (value,):
            url = _url(item)
            if url:
                urls.append(url)
    return _unique(urls)


def _link(fields: Fields, link_fields: Sequence[str]) -> str | None:
    for name in link_fields:
        value = fields.get(name.lower())
        if value is not None and (url := _url(value)):  # most of the ten names are absent
            return url
    return None


def _url(value: object) -> str | None:
    """The URL in a field: text, or a mapping's ``url``/``src``/``href``."""
    if isinstance(value, dict):
        value = next((value[key] for key in _URL_KEYS if key in value), None)
    return _stripped(_scalar(value))


def _unique(items: Iterable[str]) -> tuple[str, ...]:
    """Stripped, non-empty, first occurrence kept."""
    return tuple(dict.fromkeys(stripped for item in items if (stripped := item.strip())))
