"""The filesystem backend: the standard YOLO folder layout, written atomically.

A store at folder ``D`` keeps datasets in ``D/datasets/NAME`` (each a folder
``yolo train data=D/datasets/NAME/data.yaml`` reads) and weights in ``D/models``.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from ydc_cli.persistence.filesystem.dataset_store import FilesystemDatasetStore
from ydc_cli.persistence.filesystem.image_store import FilesystemImageStore
from ydc_cli.persistence.filesystem.label_store import FilesystemLabelStore
from ydc_cli.persistence.filesystem.model_store import FilesystemModelStore
from ydc_cli.persistence.stores import Stores

if TYPE_CHECKING:
    from ydc_cli.persistence.location import Location

__all__ = ["FilesystemDatasetStore", "FilesystemImageStore", "FilesystemLabelStore", "FilesystemModelStore",
           "filesystem_stores", "open_stores", "store_exists"]


def filesystem_stores(datasets_dir: Path, models_dir: Path) -> Stores:
    return Stores(
        dataset=FilesystemDatasetStore(datasets_dir),
        image=FilesystemImageStore(datasets_dir),
        label=FilesystemLabelStore(datasets_dir),
        model=FilesystemModelStore(models_dir),
    )


def open_stores(location: Location) -> Stores:
    """The registry's factory: the stores of the folder ``location``."""
    return filesystem_stores(location.path / "datasets", location.path / "models")


def store_exists(location: Location) -> bool:
    return (location.path / "datasets").is_dir() or (location.path / "models").is_dir()
