"""Identity of a story: a stable id, a key for copies, and syndication detection."""

from __future__ import annotations

import hashlib
import re
import unicodedata
import uuid
from collections.abc import Callable, Sequence

from feeds.models import Article

SAME_STORY_SHARE = 0.5  # of the shorter summary's trigrams, for a syndicated copy
# Fixed forever: every id ever published depends on it.
GUID_NAMESPACE = uuid.UUID("5f6c1c1e-8d36-4d55-9a4b-3f1b7c7f2a10")
_NAMESPACE_BYTES = GUID_NAMESPACE.bytes
_NOT_WORD = re.compile(r"[\W_]+")
# The same, but combining marks stay until NFKC has joined them to their letters (e + U+0301).
_MARK_RANGES = r"\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f\u3099\u309a"
_NOT_WORD_OR_MARK = re.compile(rf"(?:[^\w{_MARK_RANGES}]|_)+")
_MARK = re.compile(f"[{_MARK_RANGES}]")
_MARGIN = 8  # letters read past the cut, so letters joined by NFKC are never split by it


def make_guid(link: str | None, origin: str, title: str, text: str) -> str:
    """An id that survives re-scrapes, moves and re-dating: no path, no date, no junk.

    The source link identifies a story best. Without one, the story is its origin (the
    site it came from, as the source names it), its title and the start of its text:
    titles alone repeat (every anime has a "第1集").
    """
    key = link or f"{origin}\n{title}\n{_fingerprint(text, 64)}"
    return f"urn:uuid:{uuid5_text(key)}"


def uuid5_text(name: str) -> str:
    """``str(uuid.uuid5(namespace, name))``, without the UUID object, which costs more than
    the hash.

    RFC 4122 section 4.3: the SHA-1 of the namespace and the name, its first 16 bytes with
    the version (5) and the variant bits set.
    """
    digest = bytearray(hashlib.sha1(_NAMESPACE_BYTES + name.encode()).digest()[:16])
    digest[6] = (digest[6] & 0x0F) | 0x50
    digest[8] = (digest[8] & 0x3F) | 0x80
    h = digest.hex()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def make_dedupe_key(
    link: str | None, title: str, text: str, images: Sequence[str] = (), path: str = ""
) -> str:
    """Same key = same story, whichever source or re-scrape it came from.

    Without a link, a story is its title and the start of its text, compared as letters and
    digits only (spacing, punctuation, full/half width and case vary between re-scrapes),
    less the title when the text repeats it (``【title】`` leads, a heading). A story of
    pictures only is its pictures; with no title, text or picture, nothing is a copy of it.
    """
    if link:
        return "link:" + link
    title_print = story_fingerprint(title)
    body_print = story_fingerprint(text, len(title_print) + 200).removeprefix(title_print)
    body_print = body_print[:200] or "\n".join(images)
    if not (title_print or body_print):
        return "path:" + path
    digest = hashlib.sha1(f"{title_print[:200]}\n{body_print}".encode())
    return "text:" + digest.hexdigest()


def story_fingerprint(text: str, length: int = 0) -> str:
    """Letters and digits only, width-folded (ＡＢ１ = AB1) and case-folded.

    With ``length``, only its first ``length`` characters: just enough of ``text`` is read
    for them, since folding a long text costs more than all the rest of reading it.
    """
    # Half as much again as asked for: letters are 75-80% of a text's start in the archive
    # (spaces, punctuation), and removing the rest is most of the cost.
    end = 3 * length // 2 + _MARGIN if length else len(text)
    while True:
        window = text[:end]
        # Keeping combining marks makes the scan twice as slow; most texts have none.
        not_word = _NOT_WORD_OR_MARK if _MARK.search(window) else _NOT_WORD
        # Punctuation goes first: NFKC is slow on full-width punctuation, fast on letters;
        # it can still make a non-letter (½ is a digit, its NFKC form has a fraction slash),
        # which a scan in C (isalnum: not \W, not _) rules out at a fifth of the regex's cost.
        letters = unicodedata.normalize("NFKC", not_word.sub("", window))
        if not letters.isalnum():
            letters = _NOT_WORD.sub("", letters)
        folded = letters.casefold()
        # Counted once folded: marks that join no letter are gone by then, and only the
        # last letter of the window can still change with what follows it.
        if len(folded) >= length + _MARGIN or end >= len(text):
            return folded[:length] if length else folded
        end *= 2


def _fingerprint(text: str, length: int) -> str:
    """The first ``length`` characters of ``text`` less its whitespace, case-folded."""
    # Only the start is read: casefold maps each character on its own, so folding a prefix
    # gives a prefix of the whole text's folding (and str.split drops what \s matches).
    end = 2 * length
    while True:
        folded = "".join(text[:end].split()).casefold()
        if len(folded) >= length or end >= len(text):
            return folded[:length]
        end *= 2


def same_story(a: Article, b: Article, summary_of: Callable[[Article], str] | None = None) -> bool:
    """Whether two articles whose keys differ still tell one story, syndicated.

    Sources that pass a story on wrap it in their own lead and credit (``【title】财联社11月
    12日电，记者`` ... ``（财联社记者 张晓翀）``), so the texts differ at both ends. The same
    title and most of one summary's trigrams inside the other's say it is one story; titles
    alone repeat ("第1集"), and a text alone can be a template. ``summary_of`` gives the
    summaries of light articles, whose own is empty.
    """
    title = story_fingerprint(a.title)
    if not title or title != story_fingerprint(b.title):
        return False
    summary = summary_of or _own_summary
    grams_a, grams_b = _trigrams(summary(a)), _trigrams(summary(b))
    if not grams_a or not grams_b:
        return False
    return len(grams_a & grams_b) >= SAME_STORY_SHARE * min(len(grams_a), len(grams_b))


def _own_summary(article: Article) -> str:
    return article.summary


def _trigrams(text: str) -> set[str]:
    letters = story_fingerprint(text)
    return {letters[i : i + 3] for i in range(len(letters) - 2)}
