"""The SQLite backend: one database file holds datasets, images (original
bytes as BLOBs), labels and the model registry; weights files live in
``models_dir``. Importing this package does not import sqlite_utils; it loads
only when a new or older database's schema is built."""

from ydc_cli.persistence.sqlite._db import SqliteDatabase
from ydc_cli.persistence.sqlite.dataset_store import SqliteDatasetStore
from ydc_cli.persistence.sqlite.image_store import SqliteImageStore
from ydc_cli.persistence.sqlite.label_store import SqliteLabelStore
from ydc_cli.persistence.sqlite.model_store import SqliteModelStore

__all__ = ["SqliteDatabase", "SqliteDatasetStore", "SqliteImageStore", "SqliteLabelStore", "SqliteModelStore"]
