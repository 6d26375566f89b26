"""The SQLite backend: one database file holds datasets, images (original
bytes as BLOBs), labels and the model registry; weights files live in
``models_dir``. Importing this package does not import sqlite_utils; it loads
only when a new or older database's schema is built.

A store at folder ``D`` is ``D/ydc.db`` with weights in ``D/models``.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from ydc_cli.persistence.sqlite._db import SqliteDatabase
from ydc_cli.persistence.sqlite.dataset_store import SqliteDatasetStore
from ydc_cli.persistence.sqlite.image_store import SqliteImageStore
from ydc_cli.persistence.sqlite.label_store import SqliteLabelStore
from ydc_cli.persistence.sqlite.model_store import SqliteModelStore
from ydc_cli.persistence.stores import Stores

if TYPE_CHECKING:
    from ydc_cli.persistence.location import Location

__all__ = ["SqliteDatabase", "SqliteDatasetStore", "SqliteImageStore", "SqliteLabelStore", "SqliteModelStore",
           "open_stores", "sqlite_stores", "store_exists"]

DATABASE_NAME = "ydc.db"


def sqlite_stores(db_path: Path, models_dir: Path) -> Stores:
    """The four stores over one connection to ``db_path``."""
    database = SqliteDatabase(db_path)
    return Stores(
        dataset=SqliteDatasetStore(database.path, database=database),
        image=SqliteImageStore(database.path, database=database),
        label=SqliteLabelStore(database.path, database=database),
        model=SqliteModelStore(database.path, models_dir, database=database),
        closer=database.close,
    )


def open_stores(location: Location) -> Stores:
    """The registry's factory: the stores of ``<location>/ydc.db``."""
    return sqlite_stores(location.path / DATABASE_NAME, location.path / "models")


def store_exists(location: Location) -> bool:
    return (location.path / DATABASE_NAME).is_file()
