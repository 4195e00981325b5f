"""The key of the feeds' index (``group.index``): what it was made under, but its sources."""

from __future__ import annotations

import dataclasses
import hashlib

from feeds import __version__
from feeds.config import Config
from feeds.group.index import FeedIndex
from feeds.models import Article, Problem
from feeds.state.manifest import Manifest


def index_key(config: Config, manifest: Manifest) -> str:
    """A hash of everything a build's grouping depends on, but its sources: the version,
    the config and the manifest (its sticky slugs, first-seen dates and article counts
    among them). Not the options: they shape what is written (``--prune``), which the
    manifest then tells, not what is picked."""
    config = dataclasses.replace(
        config, jobs=0, read=dataclasses.replace(config.read, light_from=0)
    )
    state = (
        sorted(manifest.files),
        sorted(manifest.slugs.items()),
        sorted(manifest.fingerprints.items()),
        sorted(manifest.articles.items()),
        sorted(manifest.first_seen.items()),
    )
    # A class whose fields changed can decode with defaults, and mean another thing.
    model = [(f.name, str(f.type)) for c in (Article, Problem) for f in dataclasses.fields(c)]
    shape = [(name, str(kind)) for name, kind in FeedIndex.__annotations__.items()]
    inputs = repr(("feed index", __version__, model, shape, config, state))
    return hashlib.sha256(inputs.encode()).hexdigest()
