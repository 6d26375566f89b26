"""A database written by the previous release (schema 1) opens with today's code, migrated, every row kept."""

from __future__ import annotations

import gzip
import hashlib
import sqlite3
from pathlib import Path

import pytest

from ydc_cli.domain.errors import StorageError
from ydc_cli.domain.tasks import Task
from ydc_cli.persistence import Annotation, create_sqlite_stores
from ydc_cli.persistence.sqlite._db import MIGRATIONS, SCHEMA_VERSION, SqliteDatabase

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "sqlite" / "v1-ydc.db.gz"
TABLES = ("datasets", "classes", "prompts", "images", "image_data", "labels", "boxes", "models")


@pytest.fixture
def v1_db(tmp_path) -> Path:
    path = tmp_path / "ydc.db"
    path.write_bytes(gzip.decompress(FIXTURE.read_bytes()))
    return path


def _rows(path: Path, columns_of_v1: bool = True) -> dict[str, list[tuple]]:
    conn = sqlite3.connect(path)
    try:
        rows = {}
        for table in TABLES:
            names = [r[1] for r in conn.execute(f"PRAGMA table_info({table})")]
            if columns_of_v1:
                names = [n for n in names if n not in ("task", "task_options", "points")]
            rows[table] = sorted(conn.execute(f"SELECT {', '.join(names)} FROM {table}").fetchall(), key=repr)
        return rows
    finally:
        conn.close()


def _version(path: Path) -> int:
    conn = sqlite3.connect(path)
    try:
        return conn.execute("PRAGMA user_version").fetchone()[0]
    finally:
        conn.close()


async def test_a_v1_database_is_migrated_keeping_every_row(v1_db):
    assert _version(v1_db) == 1 and SCHEMA_VERSION == len(MIGRATIONS) >= 2
    before = _rows(v1_db)
    assert len(before["images"]) == 4 and len(before["boxes"]) == 4 and len(before["prompts"]) == 2
    stores = create_sqlite_stores(v1_db, v1_db.parent / "models")
    try:
        info = await stores.dataset.get("pets")
        assert (info.task, info.kpt_shape, info.classes) == ("detect", None, ["cat", "dog"])
        assert info.num_images == {"train": 3, "val": 1, "test": 0}
        assert await stores.dataset.get_prompts("pets") == {0: ["a cat", "kitten"]}
        samples = [s async for s in stores.dataset.iter_samples("pets")]
        labelled = [s for s in samples if s.annotations]
        assert len(labelled) == 2 and all(a.points is None for s in labelled for a in s.annotations)
        assert labelled[0].annotations[0] == Annotation(0, 0.3, 0.4, 0.2, 0.3)
        assert sorted(hashlib.sha256(s.data).hexdigest() for s in samples) == sorted(
            row[9] for row in before["images"])
    finally:
        stores.close()
    assert _version(v1_db) == SCHEMA_VERSION
    assert _rows(v1_db) == before  # every row, every value of the old columns
    conn = sqlite3.connect(v1_db)
    assert conn.execute("SELECT DISTINCT task, task_options FROM datasets").fetchall() == [("detect", None)]
    assert conn.execute("SELECT COUNT(*) FROM boxes WHERE points IS NOT NULL").fetchone() == (0,)
    conn.close()


async def test_the_migrated_database_takes_new_tasks(v1_db):
    stores = create_sqlite_stores(v1_db, v1_db.parent / "models")
    try:
        await stores.dataset.create("poly", ["a"], task=Task("segment"))
        info = await stores.dataset.get("poly")
        assert info.task == "segment"
        assert [i.name for i in await stores.dataset.list()] == ["empty", "pets", "poly"]
    finally:
        stores.close()


def test_a_failed_migration_leaves_the_v1_database_as_it_was(v1_db, monkeypatch):
    """The migration runs in one transaction: a step that fails rolls every step back."""
    from ydc_cli.persistence.sqlite import _db

    before = v1_db.read_bytes()
    rows = _rows(v1_db)

    def broken(db) -> None:
        db.execute("ALTER TABLE datasets ADD COLUMN half_done TEXT")
        raise sqlite3.OperationalError("disk I/O error")

    monkeypatch.setattr(_db, "MIGRATIONS", [*_db.MIGRATIONS, broken])
    monkeypatch.setattr(_db, "SCHEMA_VERSION", len(_db.MIGRATIONS))
    database = SqliteDatabase(v1_db)
    with pytest.raises(StorageError):
        database.conn  # noqa: B018 - opening is what migrates
    database.close()
    assert _version(v1_db) == 1
    assert _rows(v1_db) == rows
    conn = sqlite3.connect(v1_db)
    assert "half_done" not in [r[1] for r in conn.execute("PRAGMA table_info(datasets)")]
    assert "task" not in [r[1] for r in conn.execute("PRAGMA table_info(datasets)")]
    conn.close()
    assert len(v1_db.read_bytes()) == len(before)
