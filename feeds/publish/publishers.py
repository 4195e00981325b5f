"""Publishing: each kind of output has a publisher, in a table.

A publisher takes the grouped feeds and the config and returns ``{relative path: bytes}``
for the outputs whose inputs changed, with a fingerprint of every output it owns. Only
the writer (``publish.write``, asked by the build) touches the output folder.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from feeds.config import Config
from feeds.models import Feed
from feeds.publish.feeds import publish_feeds
from feeds.report import Rendered, Unchanged

Publisher = Callable[[Sequence[Feed], Config, Unchanged], Rendered]
PUBLISHERS: dict[str, Publisher] = {"feeds": publish_feeds}


def publish_all(feeds: Sequence[Feed], config: Config, unchanged: Unchanged) -> Rendered:
    outputs: dict[str, bytes] = {}
    fingerprints: dict[str, str] = {}
    for publish in PUBLISHERS.values():
        rendered = publish(feeds, config, unchanged)
        outputs |= rendered.outputs
        fingerprints |= rendered.fingerprints
    return Rendered(outputs, fingerprints)
