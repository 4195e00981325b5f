"""Programs from outside Python that some tests drive (nginx, Chromium): where they are,
and whether a test may skip without them.

CI (``.ci/run``) installs them and sets ``FEEDS_REQUIRE_EXTERNAL=1``: there, a missing
program fails its tests instead of skipping them.
"""

from __future__ import annotations

import os
import shutil

import pytest

REQUIRED = os.environ.get("FEEDS_REQUIRE_EXTERNAL") == "1"


def program(*candidates: str) -> str:
    """The first of ``candidates`` found (a name on PATH or a path); skips the test when
    none is, unless they are required."""
    for candidate in candidates:
        found = shutil.which(candidate)
        if found:
            return found
    message = f"none of {', '.join(candidates)} is installed"
    if REQUIRED:
        pytest.fail(f"{message}, and FEEDS_REQUIRE_EXTERNAL=1 requires it")
    pytest.skip(message)
