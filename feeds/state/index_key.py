"""The key of the feeds' index (``group.index``): what it was made under, but its sources."""

from __future__ import annotations

import hashlib

from feeds.config import Config
from feeds.group.index import FeedIndex
from feeds.state.keys import reading, templates_key, without_run_settings
from feeds.state.manifest import Manifest


def index_key(config: Config, manifest: Manifest, outputs: str) -> str:
    """A hash of everything a build's grouping and its pages depend on, but its sources:
    the version, the config, the pages' templates and the manifest (its sticky slugs,
    first-seen dates and article counts among them, and every page's fingerprint). Not
    the options: they shape what is written (``--prune``), which the manifest then tells,
    not what is picked. ``outputs`` is the manifest's ``manifest_digest``."""
    state = (
        outputs,  # its outputs, slugs and fingerprints
        sorted(manifest.articles.items()),
        sorted(manifest.first_seen.items()),
    )
    shape = [(name, str(kind)) for name, kind in FeedIndex.__annotations__.items()]
    config = without_run_settings(config)
    templates = templates_key(config)
    inputs = repr(("feed index", reading(), shape, config, templates, state))
    return hashlib.sha256(inputs.encode()).hexdigest()
