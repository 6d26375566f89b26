"""The persistence layer: four store contracts and the factory that picks a backend.

Backends are imported on demand, so choosing the filesystem never loads
SQLite code and vice versa.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

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

__all__ = [
    "Annotation", "DatasetChanges", "DatasetInfo", "DatasetStore", "ImageInfo", "ImageStore", "LabelData", "LabelStore",
    "ModelInfo", "ModelStore", "Sample", "Stores", "create_sqlite_stores", "create_stores",
    "get_dataset_store", "get_image_store", "get_label_store", "get_model_store", "get_stores", "set_stores",
]


@dataclass
class Stores:
    """One instance of each store, all served by the same backend."""

    dataset: DatasetStore
    image: ImageStore
    label: LabelStore
    model: ModelStore

    def close(self) -> None:
        """Release what the backend holds open (the SQLite connection)."""
        for store in (self.dataset, self.image, self.label, self.model):
            database = getattr(store, "_sql", None)
            if database is not None:
                database.close()


def create_stores(data_dir: Path, models_dir: Path) -> Stores:
    """The filesystem backend: YOLO folders in ``data_dir``, weights in ``models_dir``."""
    from ydc_cli.persistence.filesystem import (
        FilesystemDatasetStore,
        FilesystemImageStore,
        FilesystemLabelStore,
        FilesystemModelStore,
    )

    return Stores(
        dataset=FilesystemDatasetStore(Path(data_dir)),
        image=FilesystemImageStore(Path(data_dir)),
        label=FilesystemLabelStore(Path(data_dir)),
        model=FilesystemModelStore(Path(models_dir)),
    )


def create_sqlite_stores(db_path: Path, models_dir: Path) -> Stores:
    """The SQLite backend: everything in ``db_path`` but weights, which live in ``models_dir``.

    The four stores share one connection.
    """
    from ydc_cli.persistence.sqlite import (
        SqliteDatabase,
        SqliteDatasetStore,
        SqliteImageStore,
        SqliteLabelStore,
        SqliteModelStore,
    )

    database = SqliteDatabase(Path(db_path))
    return Stores(
        dataset=SqliteDatasetStore(database.path, database=database),
        image=SqliteImageStore(database.path, database=database),
        label=SqliteLabelStore(database.path, database=database),
        model=SqliteModelStore(database.path, Path(models_dir), database=database),
    )


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
