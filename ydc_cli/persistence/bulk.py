"""Building many small objects at once (a listing of 100,000 images)."""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator


@contextlib.contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while a block builds many tuples that hold no cycles.

    Every 700 new container objects start a collection, and the older generations'
    passes walk everything a CLI process has imported: building 100,000 rows took
    about 5x longer with the collector running. Reference counting still frees
    everything; the collector resumes (if it was on) when the block ends.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
