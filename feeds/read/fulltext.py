"""The full text of an entry that carries only a teaser: its page's article, by trafilatura.

Optional (``full_text`` per feed source, off by default; ``pip install 'feeds[fulltext]'``):
each page is fetched once, and what was extracted is kept with the feed's record.
"""

from __future__ import annotations

import re

from feeds.read.fetch import Response

_BODY = re.compile(r"<body>(?P<inner>.*)</body>", re.DOTALL)


def extract_article(page: Response) -> tuple[str, str]:
    """The article's HTML and ``""``, or ``""`` and why there is none."""
    if page.status != "ok":
        return "", page.reason or "not fetched"
    import trafilatura

    found = trafilatura.extract(
        page.body,
        url=page.url,
        output_format="html",
        include_images=True,
        include_links=True,
        include_comments=False,
    )
    if not found:
        return "", "no article found in the page"
    match = _BODY.search(found)
    return (match.group("inner").strip() if match else found), ""
