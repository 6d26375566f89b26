"""One SQLite database per store bundle: schema, migrations, transactions, errors.

The four SQLite stores share one ``SqliteDatabase`` (one connection). Writes
run in ``BEGIN IMMEDIATE`` transactions, so a writer waits for the busy
timeout instead of failing at once when another process holds the lock (a
deferred ``BEGIN`` that reads then writes would fail with SQLITE_BUSY). The
database uses WAL, 64 KiB pages (BLOBs insert 2-3x faster than with 4 KiB
pages, see PERFORMANCE.md), foreign keys, and ``PRAGMA user_version`` as its
schema version.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from ydc_cli.domain.errors import NotFoundError, StorageBusyError, StorageError
from ydc_cli.persistence import commits, faults
from ydc_cli.persistence.fileio import DEFAULT_LOCK_TIMEOUT

if TYPE_CHECKING:
    import sqlite_utils

    from ydc_cli.domain.tasks import Task

PAGE_SIZE = 65536


def _schema_v1(db: sqlite_utils.Database) -> None:
    """The first schema: datasets, classes, prompts, images, labels, models."""
    db["datasets"].create(
        {"id": int, "name": str, "created_at": float, "modified_at": float},
        pk="id", not_null={"name", "created_at", "modified_at"},
    )
    db["datasets"].create_index(["name"], unique=True)
    db.execute("""
        CREATE TABLE classes (
            dataset_id INTEGER NOT NULL REFERENCES datasets(id) ON DELETE CASCADE,
            class_id INTEGER NOT NULL,
            name TEXT NOT NULL,
            PRIMARY KEY (dataset_id, class_id)
        )""")
    db.execute("""
        CREATE TABLE prompts (
            dataset_id INTEGER NOT NULL REFERENCES datasets(id) ON DELETE CASCADE,
            class_id INTEGER NOT NULL,
            position INTEGER NOT NULL,
            prompt TEXT NOT NULL,
            PRIMARY KEY (dataset_id, class_id, position)
        )""")
    db.execute("""
        CREATE TABLE images (
            id INTEGER PRIMARY KEY,
            dataset_id INTEGER NOT NULL REFERENCES datasets(id) ON DELETE CASCADE,
            split TEXT NOT NULL CHECK (split IN ('train', 'val', 'test')),
            filename TEXT NOT NULL,
            stem TEXT NOT NULL,
            format TEXT NOT NULL,
            width INTEGER NOT NULL,
            height INTEGER NOT NULL,
            size_bytes INTEGER NOT NULL,
            sha256 TEXT NOT NULL,
            added_at REAL NOT NULL
        )""")
    db["images"].create_index(["dataset_id", "split", "filename"], unique=True)
    db["images"].create_index(["dataset_id", "split", "stem"])
    db.execute("""
        CREATE TABLE image_data (
            image_id INTEGER PRIMARY KEY REFERENCES images(id) ON DELETE CASCADE,
            data BLOB NOT NULL
        )""")
    db.execute("""
        CREATE TABLE labels (
            id INTEGER PRIMARY KEY,
            dataset_id INTEGER NOT NULL REFERENCES datasets(id) ON DELETE CASCADE,
            split TEXT NOT NULL CHECK (split IN ('train', 'val', 'test')),
            stem TEXT NOT NULL
        )""")
    db["labels"].create_index(["dataset_id", "split", "stem"], unique=True)
    db.execute("""
        CREATE TABLE boxes (
            label_id INTEGER NOT NULL REFERENCES labels(id) ON DELETE CASCADE,
            position INTEGER NOT NULL,
            class_id INTEGER NOT NULL,
            x REAL NOT NULL, y REAL NOT NULL, width REAL NOT NULL, height REAL NOT NULL,
            PRIMARY KEY (label_id, position)
        ) WITHOUT ROWID""")
    db["models"].create(
        {"name": str, "path": str, "base_model": str, "dataset_name": str, "created_at": float,
         "epochs_completed": int, "best_map50": float, "is_active": int, "sha256": str},
        pk="name", not_null={"path", "created_at", "is_active"},
        defaults={"base_model": "", "dataset_name": "", "epochs_completed": 0, "is_active": 0},
    )


def _schema_v2(db: sqlite_utils.Database) -> None:
    """Every YOLO task: a dataset's task (with pose's keypoint layout as JSON), a label's points.

    ``boxes.points`` holds a polygon, an oriented box's corners or pose keypoints as
    little-endian float64s (NULL for a detection box, whose rows are unchanged); the box
    columns hold the shape's extent. Existing datasets are detect.
    """
    db.execute("ALTER TABLE datasets ADD COLUMN task TEXT NOT NULL DEFAULT 'detect'"
               " CHECK (task IN ('detect', 'segment', 'obb', 'pose'))")
    db.execute("ALTER TABLE datasets ADD COLUMN task_options TEXT")
    db.execute("ALTER TABLE boxes ADD COLUMN points BLOB")


# Each entry upgrades the schema by one version; append, never edit.
MIGRATIONS: list[Callable[[sqlite_utils.Database], None]] = [_schema_v1, _schema_v2]
SCHEMA_VERSION = len(MIGRATIONS)

_BUSY_MARKERS = ("database is locked", "database table is locked", "database is busy")
_STORAGE_MARKERS = {
    "database or disk is full": "disk full",
    "disk i/o error": "I/O error",
    "readonly database": "read-only store",
    "unable to open database": "cannot open the database",
    "file is not a database": "not a ydc database, or a corrupt one",
    "database disk image is malformed": "the database is corrupt",
}


class SqliteDatabase:
    """The shared connection of one store bundle, opened on first use."""

    def __init__(self, db_path: Path, timeout: float = DEFAULT_LOCK_TIMEOUT) -> None:
        self.path = Path(db_path).absolute()
        self.timeout = timeout
        self._conn: sqlite3.Connection | None = None
        self._depth = 0

    @property
    def conn(self) -> sqlite3.Connection:
        """The open connection, the database migrated to the current schema."""
        if self._conn is None:
            with self.errors():
                self._conn = self._open()
        return self._conn

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def _open(self) -> sqlite3.Connection:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(self.path, timeout=self.timeout)
        try:
            conn.execute(f"PRAGMA busy_timeout = {int(self.timeout * 1000)}")
            conn.execute("PRAGMA foreign_keys = ON")
            if _version(conn) < SCHEMA_VERSION:
                # sqlite-utils builds the schema; a database already current never loads it (0.2 s saved per command).
                import sqlite_utils

                self._migrate(sqlite_utils.Database(conn, execute_plugins=False))
            elif _version(conn) > SCHEMA_VERSION:
                raise StorageError(
                    f"the database has schema version {_version(conn)}, newer than this ydc "
                    f"understands ({SCHEMA_VERSION}): upgrade ydc ({self.path})"
                )
            conn.execute("PRAGMA synchronous = FULL")
            # A cap on the database's size, in pages (a quota; the storage-fault tests use it as a full disk).
            if os.environ.get("YDC_SQLITE_MAX_PAGES"):
                conn.execute(f"PRAGMA max_page_count = {int(os.environ['YDC_SQLITE_MAX_PAGES'])}")
        except BaseException:
            conn.close()
            raise
        return conn

    def _migrate(self, db: sqlite_utils.Database) -> None:
        conn = db.conn
        if _version(conn) == 0 and not conn.execute("SELECT 1 FROM sqlite_master LIMIT 1").fetchone():
            conn.execute(f"PRAGMA page_size = {PAGE_SIZE}")
        with db.ensure_autocommit_on():
            mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
        if str(mode).lower() != "wal":
            raise StorageError(f"cannot switch the database to WAL mode ({self.path})")
        conn.execute("BEGIN IMMEDIATE")
        try:
            version = _version(conn)  # another process may have migrated meanwhile
            for step in MIGRATIONS[version:]:
                step(db)
            conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise

    @contextlib.contextmanager
    def write(self) -> Iterator[sqlite3.Connection]:
        """One ``BEGIN IMMEDIATE`` transaction; nested calls join the outer one."""
        conn = self.conn
        if self._depth:
            self._depth += 1
            try:
                yield conn
            finally:
                self._depth -= 1
            return
        with self.errors():
            conn.execute("BEGIN IMMEDIATE")
            self._depth = 1
            try:
                yield conn
            except BaseException:
                self._depth = 0
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise
            self._depth = 0
            try:
                faults.point("sqlite-commit")
                with commits.point():
                    conn.execute("COMMIT")
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise
            faults.point("sqlite-committed")

    @contextlib.contextmanager
    def errors(self) -> Iterator[None]:
        """Turn SQLite's lock and storage errors into StorageBusyError and StorageError."""
        try:
            yield
        except sqlite3.OperationalError as exc:
            raise _translate(exc, self.path) from exc
        except sqlite3.DatabaseError as exc:
            raise _translate(exc, self.path) from exc

    def dataset_id(self, name: str) -> int:
        """The id of an existing dataset.

        Raises:
            NotFoundError: no such dataset.
        """
        row = self.conn.execute("SELECT id FROM datasets WHERE name = ?", (name,)).fetchone()
        if row is None:
            raise NotFoundError(f"no such dataset ({name})")
        return row[0]

    def dataset_task(self, dataset_id: int) -> Task:
        """The task of a dataset by id."""
        from ydc_cli.persistence.sqlite._rows import task_from_row

        row = self.conn.execute("SELECT name, task, task_options FROM datasets WHERE id = ?", (dataset_id,)).fetchone()
        return task_from_row(*row)

    def find_dataset_id(self, name: str) -> int | None:
        row = self.conn.execute("SELECT id FROM datasets WHERE name = ?", (name,)).fetchone()
        return None if row is None else row[0]

    def touch(self, dataset_id: int) -> None:
        """Record that a dataset changed (inside the caller's transaction)."""
        self.conn.execute("UPDATE datasets SET modified_at = ? WHERE id = ?", (time.time(), dataset_id))


def _version(conn: sqlite3.Connection) -> int:
    return conn.execute("PRAGMA user_version").fetchone()[0]


def _translate(exc: sqlite3.DatabaseError, path: Path) -> Exception:
    message = str(exc).lower()
    if any(marker in message for marker in _BUSY_MARKERS):
        return StorageBusyError(f"the store is busy: another ydc process held the database lock too long ({path})")
    for marker, reason in _STORAGE_MARKERS.items():
        if marker in message:
            return StorageError(f"cannot use the database: {reason} ({path})")
    return StorageError(f"database error: {exc} ({path})")
