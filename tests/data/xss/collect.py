"""Collect the public XSS vector sets into vectors.json.

    python tests/data/xss/collect.py --mirrors DIR [--check]

Reads five public repositories, each at the commit pinned in ``REPOS`` below, from local git
copies (``DIR/owner+name/repo``, ``DIR/owner+name`` or ``DIR/name``; bare or not), with
``git show COMMIT:PATH``. Nothing is fetched from the network and nothing of theirs is run:
JavaScript, Rust and Python sources are read as text (a string-literal lexer for each, and
Python's ``ast`` with a small evaluator of literal expressions for bleach's test tables).

What counts as a vector, per source:

- cure53/H5SC (html5sec.org): every item of ``items.js`` (its ``data``, with the ``%name%``
  payload templates of ``payloads.js`` filled in as the site's ``html/scripts/import.js``
  does); every vector of ``vectors.txt`` (the site's numbered export, each vector followed by
  its breakout tail ``//["'`-->]]>]``); every line of ``rss/rss.txt`` (the vectors the site
  serves to feed readers).
- cure53/DOMPurify: every ``payload`` of ``test/fixtures/expect.mjs``.
- OWASP/CheatSheetSeries, ``cheatsheets/XSS_Filter_Evasion_Cheat_Sheet.md``: every fenced
  code block (a block the Markdown conversion left starting with ``\\<`` also without those
  backslashes, as the page means it); every event handler of its list, put on an element in
  turn (BODY, IMG, DIV, A, P: ``<IMG SRC=x onAbort=alert('XSS')>x``), as the sheet says the
  BODY vector "can be modified"; every item of the character escape, WAF bypass and alert
  obfuscation lists.
- rust-ammonia/ammonia, ``src/lib.rs`` (tests and doc examples): every string that reaches
  ``clean``, ``clean_text`` or ``clean_from_reader``, literally or through a ``let``. Three
  tests build their input (``"<b>".repeat(60_000)``): they are listed, not stored (the deep
  nesting tests in tests/test_hostile_input.py cover that). Its ``tests/`` folder holds only a
  version-number check.
- mozilla/bleach: every input of ``clean`` (and ``Cleaner.clean``) in ``tests/test_clean.py``
  and ``tests/test_css.py``, parametrized or literal; the input half of every
  ``tests/data/*.test``; and ``tests/test_security.py`` as it was before it was merged into
  test_clean.py (commit 5882861, 2018), at that merge's parent.

Vectors are deduplicated by exact text; the first source keeps the vector and the others are
listed in ``also``. Empty inputs are skipped. ``--check`` compares with the vectors.json on
disk instead of writing it.
"""

from __future__ import annotations

import argparse
import ast
import bisect
import json
import re
import subprocess
import sys
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
OUT = HERE / "vectors.json"

# owner/name -> (commit, licence of what we take)
REPOS = {
    "cure53/H5SC": ("1a91bbc085426579ebcdefb1bc5450760db3dad5", "MPL-2.0"),
    "cure53/DOMPurify": ("1fa97e8f0b671ded461adfe6af255f2aab4202d0", "MPL-2.0 OR Apache-2.0"),
    "OWASP/CheatSheetSeries": ("6b8819da79e0537d072e04296ffa3adfc94ba881", "CC-BY-SA-4.0"),
    "rust-ammonia/ammonia": ("ea2d6a5b71542288013c079d99ba56210fe6fdb3", "MIT OR Apache-2.0"),
    "mozilla/bleach": ("913ab75992b845e2c9c060c41f24d46921db4693", "Apache-2.0"),
}
# bleach's tests/test_security.py, last seen at the parent of the commit that merged it away
BLEACH_SECURITY_COMMIT = "8f79858aededa7a130bfd3e9c856c15c6194d117"


@dataclass(frozen=True)
class Found:
    repo: str
    path: str
    where: str
    vector: str

    @property
    def source(self) -> str:
        return f"{self.repo} {self.path} {self.where}"


class Repo:
    def __init__(self, name: str, gitdir: Path) -> None:
        self.name = name
        self.gitdir = gitdir
        self.commit = REPOS[name][0]

    def read(self, path: str, commit: str | None = None) -> str:
        return self.read_bytes(path, commit).decode("utf-8")

    def read_bytes(self, path: str, commit: str | None = None) -> bytes:
        spec = f"{commit or self.commit}:{path}"
        return subprocess.run(
            ["git", "--git-dir", str(self.gitdir), "show", spec],
            check=True,
            capture_output=True,
        ).stdout

    def list(self, folder: str) -> list[str]:
        out = subprocess.run(
            ["git", "--git-dir", str(self.gitdir), "ls-tree", "--name-only", self.commit, folder],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        return out.split()


def note(message: str) -> None:
    print(message, file=sys.stderr)


def find_repo(mirrors: Path, name: str) -> Repo:
    owner, short = name.split("/")
    for candidate in (
        mirrors / f"{owner}+{short}" / "repo",
        mirrors / f"{owner}+{short}",
        mirrors / short,
    ):
        for gitdir in (candidate / ".git", candidate):
            if (gitdir / "HEAD").is_file() and (gitdir / "objects").is_dir():
                return Repo(name, gitdir)
    sys.exit(f"no git copy of {name} under {mirrors}")


# --- JavaScript string literals -----------------------------------------------------------------

_JS_SIMPLE = {"n": "\n", "r": "\r", "t": "\t", "b": "\b", "f": "\f", "v": "\v"}


def js_string(text: str, start: int) -> tuple[str, int]:
    """The value of the JS string literal at ``text[start]`` (a quote) and the index after it."""
    quote = text[start]
    assert quote in "'\"`", text[start : start + 20]
    out: list[str] = []
    i = start + 1
    while True:
        c = text[i]
        if c == quote:
            return "".join(out), i + 1
        if c == "\\":
            e = text[i + 1]
            i += 2
            if e in _JS_SIMPLE:
                out.append(_JS_SIMPLE[e])
            elif e == "x":
                out.append(chr(int(text[i : i + 2], 16)))
                i += 2
            elif e == "u" and text[i] == "{":
                end = text.index("}", i)
                out.append(chr(int(text[i + 1 : end], 16)))
                i = end + 1
            elif e == "u":
                code = int(text[i : i + 4], 16)
                i += 4
                if 0xD800 <= code < 0xDC00 and text[i : i + 2] == "\\u":  # a surrogate pair
                    low = int(text[i + 2 : i + 6], 16)
                    if 0xDC00 <= low < 0xE000:
                        code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
                        i += 6
                out.append(chr(code))
            elif e in "01234567":  # \0, or a legacy octal escape
                digits = re.match(r"[0-7]{1,3}", text[i - 1 : i + 2])
                assert digits
                value = digits.group(0)
                if int(value, 8) > 255:
                    value = value[:2]
                out.append(chr(int(value, 8)))
                i += len(value) - 1
            elif e == "\r" and text[i] == "\n":
                i += 1  # a line continuation
            elif e in "\n\u2028\u2029":
                pass  # a line continuation
            else:
                out.append(e)
        else:
            out.append(c)
            i += 1


def js_string_expr(text: str, start: int) -> tuple[str, int]:
    """A literal, or literals joined with ``+``, from ``text[start]`` (spaces allowed)."""
    i = _skip_space(text, start)
    value, i = js_string(text, i)
    while True:
        j = _skip_space(text, i)
        if j < len(text) and text[j] == "+":
            more, i = js_string(text, _skip_space(text, j + 1))
            value += more
        else:
            return value, i


def _skip_space(text: str, i: int) -> int:
    while i < len(text) and text[i] in " \t\r\n":
        i += 1
    return i


# --- cure53/H5SC --------------------------------------------------------------------------------


def h5sc(repo: Repo) -> Iterator[Found]:
    payloads_js = repo.read("payloads.js")
    payloads: dict[str, str] = {}
    for m in re.finditer(r"'(\w+)'\s*:\s*(?=['\"])", payloads_js):
        payloads[m.group(1)], _ = js_string_expr(payloads_js, m.end())
    items = repo.read("items.js")
    ids = [(m.start(), int(m.group(1))) for m in re.finditer(r"'id'\s*:\s*(\d+)", items)]
    for m in re.finditer(r"'data'\s*:\s*", items):
        data, _ = js_string_expr(items, m.end())
        number = max(n for at, n in ids if at < m.start())
        for name, value in payloads.items():  # import.js: one RegExp('%name%', 'gm') each
            data = data.replace(f"%{name}%", value)
        yield Found(repo.name, "items.js", f"id {number}", data)

    exported = repo.read("vectors.txt")
    parts = re.split(r'<div id="(\d+)">', exported)
    for label, chunk in zip(parts[1::2], parts[2::2], strict=True):
        vector = re.sub(r"</div>(?:undefined)?\s*$", "", chunk)  # the export ends "undefined"
        yield Found(repo.name, "vectors.txt", f"#{label}", vector)

    for n, line in enumerate(repo.read("rss/rss.txt").splitlines(), 1):
        if line.strip():
            yield Found(repo.name, "rss/rss.txt", f"line {n}", line)


# --- cure53/DOMPurify ---------------------------------------------------------------------------


def dompurify(repo: Repo) -> Iterator[Found]:
    path = "test/fixtures/expect.mjs"
    text = repo.read(path)
    titles = [
        (m.start(), js_string_expr(text, m.end())[0])
        for m in re.finditer(r"[\"']?title[\"']?\s*:\s*", text)
    ]
    for n, m in enumerate(re.finditer(r"[\"']?payload[\"']?\s*:\s*", text), 1):
        payload, _ = js_string_expr(text, m.end())
        title = max(((at, t) for at, t in titles if at < m.start()), default=(0, ""))[1]
        yield Found(repo.name, path, f"#{n} ({title})", payload)


# --- OWASP/CheatSheetSeries ---------------------------------------------------------------------

_HANDLER_ELEMENTS = ["<BODY {}=alert('XSS')>x", "<IMG SRC=x {}=alert('XSS')>x"]
_HANDLER_ELEMENTS += [
    "<DIV {}=alert('XSS')>x",
    "<A HREF=# {}=alert('XSS')>x",
    "<P {}=alert('XSS')>x",
]


# The cheat sheet as it is, and as it was before the 2024 rewrite (e287418, #1327) that moved
# its vectors into fenced blocks and reworded many (<IMG SRC=javascript:...> became <a href=...>).
OWASP_EARLIER = "143755d0fffd5ab7854575b8d33b86041c3d6d37"


def owasp(repo: Repo) -> Iterator[Found]:
    path = "cheatsheets/XSS_Filter_Evasion_Cheat_Sheet.md"
    yield from _owasp_sheet(repo, path, path)
    yield from _owasp_sheet(repo, path, f"{path}@{OWASP_EARLIER[:7]}", OWASP_EARLIER)


def _owasp_sheet(repo: Repo, path: str, label: str, commit: str | None = None) -> Iterator[Found]:
    heading = ""
    block: list[str] | None = None
    count: Counter[str] = Counter()

    def found(kind: str, vector: str, what: str = "") -> Iterator[Found]:
        count[kind] += 1
        where = f"{kind} {count[kind]} ({what or heading})"
        yield Found(repo.name, label, where, vector)
        # A conversion of the page left Markdown escapes (\\<a ...\\>) and no-break spaces
        # (<IMG\xa0SRC=...) in some vectors: also as the page means them.
        meant = vector.replace("\\<", "<").replace("\\>", ">").replace("\xa0", " ")
        if meant != vector:
            yield Found(repo.name, label, where + " as meant", meant)

    fence = ""
    for line in repo.read(path, commit).splitlines():
        if block is not None:
            if line.strip().startswith(fence) and not line.strip().strip("`"):
                yield from found("code block", "\n".join(block).strip("\n"))
                block = None
            else:
                block.append(line)
            continue
        if m := re.match(r"(`{3,})[\w-]*\s*$", line):
            fence = m.group(1)
            block = []
        elif line.startswith("#"):
            heading = line.lstrip("#").strip()
        elif m := re.match(r"(?:-|\d+\.) `(on\w+|FSCommand|seekSegmentTime)\(\)`", line):
            element = _HANDLER_ELEMENTS[count["event handler"] % len(_HANDLER_ELEMENTS)]
            yield from found("event handler", element.format(m.group(1)), m.group(1))
        elif m := re.match(r"(?:-|\d+\.) `(.*)`\s*$", line):
            yield from found("list item", m.group(1))
        elif m := re.match(r"`(.*)`\s*$", line):
            yield from found("code line", m.group(1))


# --- rust-ammonia/ammonia -----------------------------------------------------------------------

_RUST_SIMPLE = {"n": "\n", "r": "\r", "t": "\t", "\\": "\\", "0": "\0", "'": "'", '"': '"'}


@dataclass(frozen=True)
class Tok:
    kind: str  # "str", "bytes", "ident", "num", "punct"
    value: str | bytes
    line: int


def rust_code(source: str) -> tuple[str, set[int]]:
    """The source with comments blanked, except the code examples in doc comments; and the
    numbers of the lines that hold such examples."""
    out = []
    examples = set()
    fenced = False
    for number, line in enumerate(source.splitlines(), 1):
        m = re.match(r"\s*//[/!] ?(.*)$", line)
        if not m:
            out.append(line)
            continue
        doc = m.group(1)
        if doc.lstrip().startswith("```"):
            fenced = not fenced
            out.append("")
        elif fenced or doc.startswith("    "):
            code = doc.strip()
            out.append(code[2:] if code.startswith("# ") else code)
            examples.add(number)
        else:
            out.append("")
    return "\n".join(out), examples


def rust_tokens(code: str) -> list[Tok]:
    toks: list[Tok] = []
    newlines = [m.start() for m in re.finditer("\n", code)]
    i, n = 0, len(code)
    while i < n:
        c = code[i]
        line = bisect.bisect(newlines, i) + 1
        if c in " \t\r\n":
            i += 1
        elif code.startswith("//", i):
            i = code.find("\n", i) if "\n" in code[i:] else n
        elif code.startswith("/*", i):
            i = code.index("*/", i) + 2
        elif m := re.compile(r'(b?)r(#*)"').match(code, i):
            end = code.index('"' + m.group(2), m.end())
            raw = code[m.end() : end]
            kind = "bytes" if m.group(1) else "str"
            toks.append(Tok(kind, raw.encode() if kind == "bytes" else raw, line))
            i = end + 1 + len(m.group(2))
        elif c == '"' or code.startswith('b"', i):
            is_bytes = c == "b"
            value, i = _rust_string(code, i + 1 + is_bytes, is_bytes)
            toks.append(Tok("bytes" if is_bytes else "str", value, line))
        elif c == "'":
            if code[i + 1] == "\\":
                i = code.index("'", i + 3) + 1  # a char literal with an escape
                toks.append(Tok("num", "char", line))
            elif code[i + 2 : i + 3] == "'":
                i += 3
                toks.append(Tok("num", "char", line))
            else:  # a lifetime, or a stray quote in a doc example's shell line
                i += 1
        elif m := re.compile(r"[A-Za-z_]\w*").match(code, i):
            toks.append(Tok("ident", m.group(0), line))
            i = m.end()
        elif m := re.compile(r"[0-9][0-9_a-zA-Z.]*").match(code, i):
            toks.append(Tok("num", m.group(0), line))
            i = m.end()
        else:
            toks.append(Tok("punct", c, line))
            i += 1
    return toks


def _rust_string(code: str, i: int, is_bytes: bool) -> tuple[str | bytes, int]:
    out = bytearray()
    while True:
        c = code[i]
        if c == '"':
            value = bytes(out)
            return (value if is_bytes else value.decode("utf-8")), i + 1
        if c != "\\":
            out += c.encode("utf-8")
            i += 1
            continue
        e = code[i + 1]
        i += 2
        if e in _RUST_SIMPLE:
            out += _RUST_SIMPLE[e].encode()
        elif e == "x":
            byte = int(code[i : i + 2], 16)
            out += bytes([byte]) if is_bytes else chr(byte).encode("utf-8")
            i += 2
        elif e == "u":
            end = code.index("}", i)
            out += chr(int(code[i + 1 : end], 16)).encode("utf-8")
            i = end + 1
        elif e == "\n":
            while code[i] in " \t\r\n":  # a line continuation skips the next line's indent
                i += 1
        else:
            raise ValueError(f"unknown escape \\{e} near {code[i - 20 : i + 20]!r}")


_CLEANERS = {"clean", "clean_text", "clean_from_reader"}


def ammonia(repo: Repo) -> Iterator[Found]:
    path = "src/lib.rs"
    code, examples = rust_code(repo.read(path))
    toks = rust_tokens(code)
    fn_name = ""
    for k, tok in enumerate(toks):
        if tok.kind == "ident" and k and toks[k - 1].value == "fn":
            if tok.value not in _CLEANERS:
                fn_name = str(tok.value)
            continue
        if not (tok.kind == "ident" and tok.value in _CLEANERS and toks[k + 1].value == "("):
            continue
        arg = _first_argument(toks, k + 2)
        while arg and arg[0].value == "&":
            arg = arg[1:]
        where = f"{'doc example' if tok.line in examples else 'fn ' + fn_name}, line {tok.line}"
        shape = "".join(
            t.kind if t.kind in ("str", "bytes", "ident") else str(t.value) for t in arg
        )
        if shape in ("str", "bytes", "bytes[..]"):
            yield Found(repo.name, path, where, _text(arg[0]))
        elif shape in ("ident", "ident[..]"):
            bound = _let_value(toks, k, str(arg[0].value))
            if bound is not None:
                yield Found(repo.name, path, where, _text(bound))
            else:
                note(f"ammonia {where}: {tok.value}({_text(arg[0])}): not a literal, not stored")
        elif shape.startswith("str.ident(") and arg[2].value == "repeat":
            note(f"ammonia {where}: {_text(arg[0])!r}.repeat(...): generated, not stored")
        else:
            note(f"ammonia {where}: {tok.value}({shape}): not a literal, not stored")


def _first_argument(toks: list[Tok], start: int) -> list[Tok]:
    depth = 0
    for j in range(start, len(toks)):
        value = str(toks[j].value)
        if toks[j].kind == "punct" and value in "([{":
            depth += 1
        elif toks[j].kind == "punct" and value in ")]}":
            if depth == 0:
                return toks[start:j]
            depth -= 1
        elif value == "," and depth == 0:
            return toks[start:j]
    return []


def _let_value(toks: list[Tok], before: int, name: str) -> Tok | None:
    """The literal of the nearest ``let name = "...";`` above ``toks[before]``."""
    for j in range(before - 1, 0, -1):
        if toks[j].value == "fn" and toks[j].kind == "ident":
            return None
        if toks[j].value == "let" and toks[j].kind == "ident":
            rest = toks[j + 1 : j + 6]
            names = [t for t in rest if t.kind == "ident" and t.value != "mut"]
            if names and names[0].value == name:
                eq = next(i for i in range(j, before) if toks[i].value == "=")
                value, after = toks[eq + 1], toks[eq + 2]
                if value.kind in ("str", "bytes") and after.value in (";", "."):
                    return value
                return None
    return None


def _text(tok: Tok) -> str:
    if isinstance(tok.value, bytes):
        return tok.value.decode("utf-8", "replace")
    return tok.value


# --- mozilla/bleach -----------------------------------------------------------------------------

# bleach/_vendor/html5lib/constants.py, which test_clean.py imports
_BLEACH_NAMES: dict[str, Any] = {
    "rcdataElements": ["style", "script", "xmp", "iframe", "noembed", "noframes", "noscript"],
}


class Unknown:
    """A value the literal evaluator does not compute (a callable, a constant of bleach's)."""


UNKNOWN = Unknown()


def literal(node: ast.AST, names: dict[str, Any]) -> Any:
    """Evaluate literal Python: constants, containers, f-strings, +, comprehensions and
    ``pytest.param(...)`` (its positional values); anything else is UNKNOWN."""
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, ast.Name):
        return names.get(node.id, UNKNOWN)
    if isinstance(node, ast.List | ast.Tuple | ast.Set):
        values: list[Any] = []
        for element in node.elts:
            if isinstance(element, ast.Starred):
                inner = literal(element.value, names)
                values.extend(inner if isinstance(inner, list | tuple) else [UNKNOWN])
            else:
                values.append(literal(element, names))
        return tuple(values) if isinstance(node, ast.Tuple) else values
    if isinstance(node, ast.JoinedStr):
        parts = []
        for value in node.values:
            part = literal(value.value if isinstance(value, ast.FormattedValue) else value, names)
            if not isinstance(part, str):
                return UNKNOWN
            parts.append(part)
        return "".join(parts)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        left, right = literal(node.left, names), literal(node.right, names)
        return left + right if isinstance(left, str) and isinstance(right, str) else UNKNOWN
    if isinstance(node, ast.Call) and ast.unparse(node.func) == "pytest.param":
        return literal(ast.Tuple(elts=node.args), names)
    if isinstance(node, ast.ListComp | ast.GeneratorExp):
        return list(_comprehension(node.elt, node.generators, names))
    return UNKNOWN


def _comprehension(
    elt: ast.expr, generators: list[ast.comprehension], names: dict[str, Any]
) -> Iterator[Any]:
    if not generators:
        yield literal(elt, names)
        return
    first, rest = generators[0], generators[1:]
    iterable = literal(first.iter, names)
    if not isinstance(first.target, ast.Name) or not isinstance(iterable, list | tuple):
        yield UNKNOWN
        return
    for value in iterable:
        yield from _comprehension(elt, rest, {**names, first.target.id: value})


def _is_clean(call: ast.AST) -> bool:
    return isinstance(call, ast.Call) and (
        (isinstance(call.func, ast.Name) and call.func.id == "clean")
        or (isinstance(call.func, ast.Attribute) and call.func.attr == "clean")
    )


def bleach_python(repo: Repo, path: str, commit: str | None = None) -> Iterator[Found]:
    tree = ast.parse(repo.read(path, commit))
    module: dict[str, Any] = dict(_BLEACH_NAMES)
    for stmt in tree.body:
        if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1:
            target = stmt.targets[0]
            if isinstance(target, ast.Name):
                module[target.id] = literal(stmt.value, module)
    label = path if commit is None else f"{path}@{commit[:7]}"
    for func in ast.walk(tree):
        if isinstance(func, ast.FunctionDef):
            yield from _bleach_function(repo.name, label, func, module)


def _bleach_function(
    repo: str, path: str, func: ast.FunctionDef, module: dict[str, Any]
) -> Iterator[Found]:
    params: dict[str, list[Any]] = {}
    for decorator in func.decorator_list:
        if isinstance(decorator, ast.Call) and ast.unparse(decorator.func).endswith("parametrize"):
            argnames = literal(decorator.args[0], module)
            if isinstance(argnames, str):
                argnames = [a.strip() for a in argnames.split(",")]
            rows = literal(decorator.args[1], module)
            if not isinstance(rows, list | tuple):
                continue
            for col, argname in enumerate(argnames):
                column = [row[col] if len(argnames) > 1 else row for row in rows]
                params[argname] = column
    local: list[tuple[int, str, Any]] = []  # (line, name, value) of plain assignments
    for stmt in ast.walk(func):
        if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1:
            target = stmt.targets[0]
            if isinstance(target, ast.Name):
                local.append((stmt.lineno, target.id, literal(stmt.value, module)))
    calls = sorted(
        (n for n in ast.walk(func) if isinstance(n, ast.Call) and _is_clean(n)),
        key=lambda n: (n.lineno, n.col_offset),
    )
    took_param = False
    literal_calls = 0
    for call in calls:
        assert isinstance(call, ast.Call)
        if not call.args or _is_clean(call.args[0]):
            continue  # clean(clean(x)): the inner call is its own entry
        arg = call.args[0]
        used = {n.id for n in ast.walk(arg) if isinstance(n, ast.Name)}
        if used and used <= params.keys():
            if took_param:
                continue  # the same inputs again, padded: f"  {data}  "
            took_param = True
            for n, row in enumerate(zip(*(params[u] for u in sorted(used)), strict=True)):
                value = literal(arg, {**module, **dict(zip(sorted(used), row, strict=True))})
                if isinstance(value, str) and value:
                    yield Found(repo, path, f"::{func.name}[{n}]", value)
            continue
        names = dict(module)
        for line, name, value in local:
            if line < call.lineno:
                names[name] = value
        value = literal(arg, names)
        if isinstance(value, str) and value:
            literal_calls += 1
            yield Found(repo, path, f"::{func.name} call {literal_calls}", value)


def bleach(repo: Repo) -> Iterator[Found]:
    yield from bleach_python(repo, "tests/test_clean.py")
    yield from bleach_python(repo, "tests/test_css.py")
    data = sorted(
        (p for p in repo.list("tests/data/") if p.endswith(".test")),
        key=lambda p: int(Path(p).stem),
    )
    for path in data:
        test_data = repo.read(path).split("\n--\n")[0].strip()  # as test_regressions reads it
        yield Found(repo.name, path, "input", test_data)
    yield from bleach_python(repo, "tests/test_security.py", BLEACH_SECURITY_COMMIT)


# --- all together -------------------------------------------------------------------------------

COLLECTORS: dict[str, Callable[[Repo], Iterator[Found]]] = {
    "cure53/H5SC": h5sc,
    "cure53/DOMPurify": dompurify,
    "OWASP/CheatSheetSeries": owasp,
    "rust-ammonia/ammonia": ammonia,
    "mozilla/bleach": bleach,
}


def collect(mirrors: Path) -> tuple[list[dict[str, str]], Counter[str], Counter[str]]:
    entries: dict[str, dict[str, str]] = {}
    found_per_file: Counter[str] = Counter()
    kept_per_file: Counter[str] = Counter()
    for name, collector in COLLECTORS.items():
        repo = find_repo(mirrors, name)
        for found in collector(repo):
            if not found.vector:
                continue
            key = f"{found.repo} {re.sub(r'/[0-9]+[.]test$', '/*.test', found.path)}"
            found_per_file[key] += 1
            entry = entries.get(found.vector)
            if entry is None:
                kept_per_file[key] += 1
                entries[found.vector] = {
                    "source": found.source,
                    "repo": found.repo,
                    "path": found.path,
                    "where": found.where,
                    "vector": found.vector,
                }
            else:
                entry["also"] = "; ".join(filter(None, [entry.get("also"), found.source]))
    return list(entries.values()), found_per_file, kept_per_file


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mirrors", type=Path, required=True, help="folder of git copies")
    parser.add_argument("--check", action="store_true", help="compare, do not write")
    args = parser.parse_args()
    vectors, found, kept = collect(args.mirrors)
    for key in found:
        print(f"{found[key]:5d} found {kept[key]:5d} kept  {key}")
    print(f"{sum(found.values()):5d} found {len(vectors):5d} kept  in all")
    text = json.dumps(vectors, ensure_ascii=False, indent=1) + "\n"
    if args.check:
        if OUT.read_text(encoding="utf-8") != text:
            sys.exit(f"{OUT} differs from what the sources give")
        print(f"{OUT} is up to date")
    else:
        OUT.write_text(text, encoding="utf-8")
        print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
