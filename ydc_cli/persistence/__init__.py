"""The persistence layer: four store contracts, and the bundle a backend opens.

Backends are named in ``registry.py`` and imported on demand, so choosing the
filesystem never loads SQLite code and vice versa. ``create_stores`` and
``create_sqlite_stores`` are the seed's factories, kept for code written
against them.
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ydc_cli.persistence.dataset_store import DatasetStore
    from ydc_cli.persistence.image_store import ImageStore
    from ydc_cli.persistence.label_store import LabelStore
    from ydc_cli.persistence.model_store import ModelStore
    from ydc_cli.persistence.models import (
        Annotation,
        DatasetChanges,
        DatasetInfo,
        ImageInfo,
        LabelData,
        ModelInfo,
        Sample,
    )
    from ydc_cli.persistence.stores import Stores

# The contract's names, imported on first use (PEP 562): `ydc --help` needs only the registry, and
# importing the store ABCs with their models and checks cost it 8 ms of its 190.
_LAZY = {
    "DatasetStore": "dataset_store", "ImageStore": "image_store", "LabelStore": "label_store",
    "ModelStore": "model_store", "Stores": "stores", **dict.fromkeys(
        ("Annotation", "DatasetChanges", "DatasetInfo", "ImageInfo", "LabelData", "ModelInfo", "Sample"), "models"),
}


def __getattr__(name: str) -> object:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value

__all__ = [
    "Annotation", "DatasetChanges", "DatasetInfo", "DatasetStore", "ImageInfo", "ImageStore", "LabelData", "LabelStore",
    "ModelInfo", "ModelStore", "Sample", "Stores", "create_sqlite_stores", "create_stores",
    "get_dataset_store", "get_image_store", "get_label_store", "get_model_store", "get_stores", "set_stores",
]


def create_stores(data_dir: Path, models_dir: Path) -> Stores:
    """The filesystem backend: YOLO folders in ``data_dir``, weights in ``models_dir``."""
    from ydc_cli.persistence.filesystem import filesystem_stores

    return filesystem_stores(Path(data_dir), Path(models_dir))


def create_sqlite_stores(db_path: Path, models_dir: Path) -> Stores:
    """The SQLite backend: everything in ``db_path`` but weights, which live in ``models_dir``.

    The four stores share one connection.
    """
    from ydc_cli.persistence.sqlite import sqlite_stores

    return sqlite_stores(Path(db_path), Path(models_dir))


_stores: Stores | None = None


def set_stores(stores: Stores) -> None:
    """Install the stores the rest of the program gets from ``get_stores``."""
    global _stores
    _stores = stores


def get_stores() -> Stores:
    """The installed stores.

    Raises:
        RuntimeError: ``set_stores`` has not been called.
    """
    if _stores is None:
        raise RuntimeError("stores are not configured: call set_stores() first")
    return _stores


def get_dataset_store() -> DatasetStore:
    return get_stores().dataset


def get_image_store() -> ImageStore:
    return get_stores().image


def get_label_store() -> LabelStore:
    return get_stores().label


def get_model_store() -> ModelStore:
    return get_stores().model
