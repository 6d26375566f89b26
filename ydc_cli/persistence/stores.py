"""The bundle a backend opens: one instance of each of the four stores.

Its own module so that backends build it without importing the persistence
package (which names the backends) or the registry.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from ydc_cli.persistence.dataset_store import DatasetStore
from ydc_cli.persistence.image_store import ImageStore
from ydc_cli.persistence.label_store import LabelStore
from ydc_cli.persistence.model_store import ModelStore


@dataclass
class Stores:
    """One instance of each store, all served by the same backend."""

    dataset: DatasetStore
    image: ImageStore
    label: LabelStore
    model: ModelStore
    closer: Callable[[], None] | None = None  # what the backend runs to release its connections
    # (grace_seconds, dry_run=) -> what ``ydc store gc`` reports; None where a backend shares no blobs
    collect_garbage: Callable[..., Awaitable[Any]] | None = None

    def close(self) -> None:
        """Release what the backend holds open (a database connection); closing twice is harmless."""
        closer, self.closer = self.closer, None
        if closer is not None:
            closer()
