"""ydc's own entries in the store: the names of temp files, staging folders and trash.

Every private entry ydc creates beside user data starts with ``INTERNAL_PREFIX``
(or is a ``.lock`` file), so listings can skip them with ``is_internal`` and
sweeps can find what a crashed writer left; ``_token`` makes each name unique.
"""

from __future__ import annotations

import os

INTERNAL_PREFIX = ".ydc-"
TEMP_PREFIX = f"{INTERNAL_PREFIX}tmp-"
STAGING_PREFIX = f"{INTERNAL_PREFIX}staging-"
TRASH_PREFIX = f"{INTERNAL_PREFIX}trash-"


def _token() -> str:
    """16 random hex digits for a private name (``secrets`` would load ``hmac`` and ``hashlib`` at start-up)."""
    return os.urandom(8).hex()


def is_internal(name: str) -> bool:
    """True for ydc's own temp, staging, trash and lock entries."""
    return name.startswith((TEMP_PREFIX, STAGING_PREFIX, TRASH_PREFIX)) or name.endswith(".lock")
