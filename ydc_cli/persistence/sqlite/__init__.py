"""The SQLite backend: one database file holds datasets, images (original
bytes as BLOBs), labels and the model registry; weights files live in
``models_dir``. Importing this package does not import sqlite_utils: the
connection opens, and sqlite_utils loads, on first use."""

from ydc_cli.persistence.sqlite._db import SqliteDatabase
from ydc_cli.persistence.sqlite.dataset_store import SqliteDatasetStore
from ydc_cli.persistence.sqlite.image_store import SqliteImageStore
from ydc_cli.persistence.sqlite.label_store import SqliteLabelStore
from ydc_cli.persistence.sqlite.model_store import SqliteModelStore

__all__ = ["SqliteDatabase", "SqliteDatasetStore", "SqliteImageStore", "SqliteLabelStore", "SqliteModelStore"]
