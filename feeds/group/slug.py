"""Readable ASCII file-name slugs for feed names, whatever the name holds.

Chinese is segmented into words (rjieba, the Rust port of jieba) and written in pinyin, so
新浪财经 becomes ``xinlang-caijing`` as users expect; everything else is transliterated with
anyascii. Both libraries load slowly, so they are imported only when a new name needs a slug.
Of pypinyin's phrase dictionary, only the words the names hold are loaded (``_load_phrases``).
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import os
import re
import subprocess
import sys
from collections.abc import Iterable, Mapping, Sequence
from types import ModuleType

MAX_SLUG = 60
_NOT_SLUG = re.compile(r"[^a-z0-9]+")
_MARKDOWN_LINK = re.compile(r"\[([^\]]*)\]\([^)]*\)")  # "Webtoons - [Naver](https://...)" -> Naver


@functools.cache
def _han() -> re.Pattern[str]:
    """Chinese characters: compiled on first use (only a new name needs it), since Python
    compiles a class this wide character by character, milliseconds at every start."""
    return re.compile(r"[\u3400-\u9fff\uf900-\ufaff\U00020000-\U0003ffff]")


def slugify(name: str) -> str:
    """Return ``[a-z0-9-]`` text for ``name``; empty when nothing readable is left.

    A tag's feed name, ``#python``, gives ``tag-python``: never the slug of a category.
    """
    if name.startswith("#") and len(name) > 1:
        name = "tag " + name[1:]
    name = _MARKDOWN_LINK.sub(r"\1", name)
    words = _to_words(name)
    slug = _NOT_SLUG.sub("-", " ".join(words).lower()).strip("-")
    if len(slug) > MAX_SLUG:
        slug = slug[:MAX_SLUG].rsplit("-", 1)[0] or slug[:MAX_SLUG]
    return slug.strip("-")


def slugify_all(names: Sequence[str], helper: SlugProcess | None = None) -> dict[str, str]:
    """``slugify`` for each name; with ``helper``, in that short-lived process of its own.

    The word and pinyin dictionaries take about 45 MB once loaded, and a process never
    gives memory back: for a large archive, loading them in a separate process keeps the
    build's memory flat. Only new names need slugs at all, so this is paid once per new
    category. The helper is used (and ended) only when some name is Chinese.
    """
    if helper is None or not any(_han().search(name) for name in names):
        return dict(zip(names, _slugify_many(names), strict=True))
    with helper:
        slugs = helper.slugify(names)
    return dict(zip(names, slugs or _slugify_many(names), strict=True))


class SlugProcess:
    """A fresh interpreter that computes slugs: the dictionaries never load into the build.

    Started ahead of time (``start``), it loads them (about 0.1 s) while the build is busy
    reading articles; otherwise it starts on first use. A plain subprocess, not
    multiprocessing's spawn: that re-imports the caller's main module, which is impossible
    for some (a script on stdin) and makes its pool respawn failing workers for ever.
    """

    def __init__(self) -> None:
        self._process: subprocess.Popen[str] | None = None

    def start(self) -> None:
        if self._process is not None:
            return
        from feeds.run.orphans import die_with_parent

        package_root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
        path = os.pathsep.join(filter(None, [package_root, os.environ.get("PYTHONPATH")]))
        with contextlib.suppress(OSError):
            self._process = subprocess.Popen(
                # -P: this package (on PYTHONPATH), never a "feeds" in the working directory
                [sys.executable, "-P", "-c", _SLUGIFY_CODE],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
                text=True,
                env={**os.environ, "PYTHONPATH": path},
                preexec_fn=die_with_parent,  # a killed build leaves no helper behind
            )

    def slugify(self, names: Sequence[str]) -> list[str] | None:
        """``slugify`` of each name, or None if the process failed. Ends the process."""
        self.start()
        if self._process is None:
            return None
        try:
            out, _ = self._process.communicate(json.dumps(list(names)), timeout=120)
            slugs = json.loads(out) if self._process.returncode == 0 else None
        except (OSError, ValueError, subprocess.SubprocessError):
            return None
        finally:
            self.close()
        if not isinstance(slugs, list) or len(slugs) != len(names):
            return None
        return [str(slug) for slug in slugs]

    def close(self) -> None:
        if self._process is not None:
            self._process.kill()  # gone already after a slugify; unused otherwise
            self._process.wait()
            self._process = None

    def __enter__(self) -> SlugProcess:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


# Slugifies one name first, so the dictionaries load before the names arrive on stdin.
_SLUGIFY_CODE = (
    "import json, sys; from feeds.group.slug import _slugify_many, slugify; slugify('中文'); "
    "print(json.dumps(_slugify_many(json.load(sys.stdin))))"
)


def _slugify_many(names: Sequence[str]) -> list[str]:
    """``slugify`` of each name, with the phrases of all of them loaded in one pass."""
    _load_phrases([_MARKDOWN_LINK.sub(r"\1", name) for name in names])
    return [slugify(name) for name in names]


def _to_words(name: str) -> list[str]:
    from anyascii import anyascii

    if not _han().search(name):
        return [anyascii(name)]
    import rjieba

    _load_phrases([name])
    lazy_pinyin = _pypinyin().lazy_pinyin
    words: list[str] = []
    other = ""  # runs of non-Han text are transliterated whole: ボタン -> botan, not bo-ta-n
    for word in rjieba.cut(name):
        if _han().search(word):
            words += [anyascii(other), "".join(lazy_pinyin(word))]
            other = ""
        else:
            other += word
    return [*words, anyascii(other)]


# pypinyin's switches, read when it is imported: no phrase dictionary (``_load_phrases``
# loads the part of it that names need) and no private copy of its character dictionary,
# which this module never changes.
_PYPINYIN_ENV = {"PYPINYIN_NO_PHRASES": "1", "PYPINYIN_NO_DICT_COPY": "1"}
# Han characters whose phrases are loaded: bounded by the script, whatever the number of
# builds a process runs, as pypinyin's phrase table it mirrors is bounded by its dictionary.
_phrases_loaded_for: set[str] = set()


def _pypinyin() -> ModuleType:
    """pypinyin, imported (the first time) with ``_PYPINYIN_ENV``, the environment unchanged."""
    if "pypinyin" in sys.modules:
        return sys.modules["pypinyin"]
    saved = {name: os.environ.get(name) for name in _PYPINYIN_ENV}
    os.environ.update(_PYPINYIN_ENV)
    try:
        import pypinyin
    finally:
        for name, value in saved.items():
            if value is None:
                del os.environ[name]
            else:
                os.environ[name] = value
    return pypinyin


def _load_phrases(names: Sequence[str]) -> None:
    """Load the entries of pypinyin's phrase dictionary that occur in ``names``.

    That dictionary holds the 47,000 words whose pinyin is not their characters' first
    readings (银行 yinhang, not yinxing; 重庆 chongqing): about 45 MB once loaded, of which
    a name needs a few entries. pypinyin cuts a word into phrases by forward maximum
    matching, and the phrases it can find in a text are those among its substrings: with
    them alone it finds the same ones, and gives the same pinyin, as with all of them.
    """
    new = [name for name in names if name not in _phrases_loaded_for and _han().search(name)]
    if not new:  # pypinyin is not even imported
        return
    pypinyin = _pypinyin()
    firsts = {char for name in new for char in name if not char.isascii()}  # keys are Han
    try:
        found = _phrases_in(new, firsts)
    except (OSError, ValueError):  # not the JSON file of a recent pypinyin: all of it, then
        from pypinyin.phrases_dict import phrases_dict as found
    if found:
        pypinyin.load_phrases_dict(found)
    _phrases_loaded_for.update(new)


def _phrases_in(names: Sequence[str], firsts: Iterable[str]) -> dict[str, list[list[str]]]:
    """The entries of the names, found in the dictionary's JSON file by a pattern.

    Only they are decoded: loading the whole file would raise the process's peak memory by
    as much as the dictionary itself. The file's 2.5 MB are searched as bytes (as text,
    they would take twice that); UTF-8 makes a word a substring of a name exactly when its
    bytes are in the name's bytes.
    """
    from importlib.resources import files

    data = files("pypinyin").joinpath("phrases_dict.json").read_bytes()
    # A JSON string followed by a colon is a key, here one whose first character is in a
    # name; the lookahead turns away at once the values, pinyin that starts with a letter.
    first = b"|".join(re.escape(char.encode()) for char in sorted(firsts))
    keys = re.compile(rb'"(?=[\x80-\xff])((?:%s)[^"\\]*)"\s*:\s*' % first)
    end_of_value = re.compile(rb"\]\s*\]")  # [["yín"], ["háng"]]: lists of pinyin
    text = "\n".join(names).encode()
    found: dict[str, list[list[str]]] = {}
    for key in keys.finditer(data):
        if key[1] in text:
            end = end_of_value.search(data, key.end())
            if end is None:
                raise ValueError(f"no end to the entry at {key.start()}")
            found[key[1].decode()] = json.loads(data[key.end() : end.end()])
    return found


def short_hash(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8")).hexdigest()[:6]


def assign_slugs(
    names: Iterable[str],
    overrides: Mapping[str, str],
    known: Mapping[str, str],
    reserved: Iterable[str] = (),
    *,
    helper: SlugProcess | None = None,
) -> dict[str, str]:
    """Give every name a unique slug (new ones made by ``helper`` when given).

    Priority: a slug from config (``overrides``), then the slug this name had in earlier
    builds (``known``, so a feed's URL never moves under its subscribers), then a new one.
    A new slug that is empty or taken gets a short hash of the name appended.
    """
    taken: set[str] = set(reserved)
    result: dict[str, str] = {}
    ordered = sorted(set(names))
    for name in ordered:
        fixed = overrides.get(name)
        if fixed is not None:
            result[name] = fixed
            taken.add(fixed)
    for name in ordered:
        old = known.get(name)
        if name not in result and old and old not in taken:
            result[name] = old
            taken.add(old)
    # A slug once given stays its category's, even while that category has no article:
    # a new name must not take it, or the old feed's subscribers would get the new one.
    taken |= set(known.values())
    new = [name for name in ordered if name not in result]
    fresh = slugify_all(new, helper)
    for name in ordered:
        if name in result:
            continue
        slug = fresh[name] or "feed"
        if slug in taken:
            slug = f"{slug}-{short_hash(name)}"
        result[name] = slug
        taken.add(slug)
    return result
