"""SQLite-only promises: pragmas, schema version, BLOBs, transactions and the busy timeout."""

from __future__ import annotations

import sqlite3

import pytest

from tests.helpers import box, jpeg, sample
from ydc_cli.domain.errors import StorageBusyError, StorageError
from ydc_cli.persistence import create_sqlite_stores
from ydc_cli.persistence.sqlite import SqliteDatabase, SqliteDatasetStore
from ydc_cli.persistence.sqlite._db import PAGE_SIZE, SCHEMA_VERSION


@pytest.fixture
async def db(tmp_path):
    stores = create_sqlite_stores(tmp_path / "ydc.db", tmp_path / "models")
    await stores.dataset.create("d", ["a"])
    yield stores, tmp_path / "ydc.db"
    stores.close()


def _pragma(path, name):
    conn = sqlite3.connect(path)
    try:
        return conn.execute(f"PRAGMA {name}").fetchone()[0]
    finally:
        conn.close()


async def test_pragmas_and_schema_version(db):
    _, path = db
    assert _pragma(path, "journal_mode") == "wal"
    assert _pragma(path, "page_size") == PAGE_SIZE
    assert _pragma(path, "user_version") == SCHEMA_VERSION
    conn = sqlite3.connect(path)
    indexes = {row[0] for row in conn.execute("SELECT sql FROM sqlite_master WHERE type = 'index'") if row[0]}
    conn.close()
    assert any('"images" ("dataset_id", "split", "filename")' in sql and "UNIQUE" in sql for sql in indexes)
    assert any('"labels" ("dataset_id", "split", "stem")' in sql and "UNIQUE" in sql for sql in indexes)


async def test_foreign_keys_cascade_on_delete(db):
    stores, path = db
    await stores.dataset.add_samples("d", [sample("a.jpg", annotations=[box()])])
    await stores.dataset.delete("d")
    conn = sqlite3.connect(path)
    counts = [conn.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0]
              for t in ("images", "image_data", "labels", "boxes", "classes")]
    conn.close()
    assert counts == [0, 0, 0, 0, 0]


async def test_images_are_the_original_bytes(db):
    stores, path = db
    data = jpeg(seed=9)
    await stores.image.save_bytes("d", "train", "a.jpg", data)
    conn = sqlite3.connect(path)
    stored = conn.execute("SELECT data FROM image_data").fetchone()[0]
    conn.close()
    assert stored == data


async def test_newer_schema_is_refused(tmp_path):
    path = tmp_path / "future.db"
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.close()
    store = SqliteDatasetStore(path)
    with pytest.raises(StorageError, match="newer than this ydc"):
        await store.list()


async def test_not_a_database_is_a_storage_error(tmp_path):
    path = tmp_path / "junk.db"
    path.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(StorageError):
        await SqliteDatasetStore(path).list()


async def test_busy_timeout_gives_storage_busy(db, tmp_path):
    stores, path = db
    blocker = sqlite3.connect(path, isolation_level=None)
    blocker.execute("BEGIN IMMEDIATE")
    waiting = create_sqlite_stores(path, tmp_path / "models")
    waiting.dataset._sql.timeout = 0.2
    try:
        with pytest.raises(StorageBusyError, match="busy"):
            await waiting.dataset.create("other", ["a"])
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()
    await waiting.dataset.create("other", ["a"])
    waiting.close()


async def test_a_failed_batch_rolls_back_everything(db):
    stores, path = db
    before = list(sqlite3.connect(path).iterdump())
    with pytest.raises(ValueError):
        await stores.dataset.add_samples("d", [sample("a.jpg"), sample("b.jpg", annotations=[box(class_id=3)])])
    assert list(sqlite3.connect(path).iterdump()) == before


async def test_two_bundles_see_each_others_writes(db, tmp_path):
    stores, path = db
    other = create_sqlite_stores(path, tmp_path / "models")
    await other.dataset.add_samples("d", [sample("x.jpg")])
    assert [i.filename for i in await stores.image.list("d")] == ["x.jpg"]
    other.close()


def test_migrations_start_from_an_empty_file(tmp_path):
    path = tmp_path / "empty.db"
    path.touch()
    database = SqliteDatabase(path)
    assert database.conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    database.close()
