"""SQLite ImageStore: the original encoded bytes of each image as a BLOB."""

from __future__ import annotations

import hashlib
import sqlite3
import time
from pathlib import Path
from typing import TYPE_CHECKING

from ydc_cli.domain import datayaml
from ydc_cli.domain.errors import ConflictError, NotFoundError
from ydc_cli.domain.imageformat import read_header
from ydc_cli.domain.names import validate_dataset_name, validate_filename
from ydc_cli.persistence.bulk import gc_paused
from ydc_cli.persistence.image_store import ImageStore, decode_image, encode_image
from ydc_cli.persistence.models import ImageInfo, ImageRow
from ydc_cli.persistence.sqlite._db import SqliteDatabase
from ydc_cli.persistence.sqlite._rows import image_path, label_exists, split_counts

if TYPE_CHECKING:
    import numpy as np


class SqliteImageStore(ImageStore):
    """Images in the ``images`` table, their bytes in ``image_data``."""

    def __init__(self, db_path: Path, *, database: SqliteDatabase | None = None) -> None:
        self._sql = database or SqliteDatabase(db_path)
        self.db_path = self._sql.path

    async def save(self, dataset: str, split: str, filename: str, image: np.ndarray) -> ImageInfo:
        return await self.save_bytes(dataset, split, filename, encode_image(image, filename))

    async def save_bytes(self, dataset: str, split: str, filename: str, data: bytes) -> ImageInfo:
        _check(dataset, split, filename)
        header = read_header(data, f"{split}/{filename}")
        stem = datayaml.stem_of(filename)
        digest = hashlib.sha256(data).hexdigest()
        with self._sql.write() as conn:
            dataset_id = self._sql.dataset_id(dataset)
            row = conn.execute(
                "SELECT id FROM images WHERE dataset_id = ? AND split = ? AND filename = ?",
                (dataset_id, split, filename),
            ).fetchone()
            values = (header.format, header.width, header.height, len(data), digest, time.time())
            if row is None:
                image_id = conn.execute(
                    "INSERT INTO images (dataset_id, split, filename, stem, format, width, height, size_bytes,"
                    " sha256, added_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (dataset_id, split, filename, stem, *values),
                ).lastrowid
            else:
                image_id = row[0]
                conn.execute(
                    "UPDATE images SET format = ?, width = ?, height = ?, size_bytes = ?, sha256 = ?, added_at = ?"
                    " WHERE id = ?", (*values, image_id),
                )
            conn.execute("INSERT OR REPLACE INTO image_data (image_id, data) VALUES (?, ?)", (image_id, data))
            has_labels = label_exists(conn, dataset_id, split, stem)
            self._sql.touch(dataset_id)
        return ImageInfo(filename, split, image_path(self.db_path, dataset, split, filename),
                         header.width, header.height, len(data), has_labels)

    async def load(self, dataset: str, split: str, filename: str) -> np.ndarray:
        return decode_image(await self.load_bytes(dataset, split, filename), f"{split}/{filename}")

    async def load_bytes(self, dataset: str, split: str, filename: str) -> bytes:
        _check(dataset, split, filename)
        with self._sql.errors():
            row = self._sql.conn.execute(
                "SELECT d.data FROM datasets s JOIN images i ON i.dataset_id = s.id"
                " JOIN image_data d ON d.image_id = i.id WHERE s.name = ? AND i.split = ? AND i.filename = ?",
                (dataset, split, filename),
            ).fetchone()
        if row is None:
            raise NotFoundError(f"no such image ({dataset}/{split}/{filename})")
        return row[0]

    async def delete(self, dataset: str, split: str, filename: str) -> bool:
        _check(dataset, split, filename)
        with self._sql.write() as conn:
            dataset_id = self._sql.find_dataset_id(dataset)
            if dataset_id is None:
                return False
            deleted = conn.execute(
                "DELETE FROM images WHERE dataset_id = ? AND split = ? AND filename = ?",
                (dataset_id, split, filename),
            ).rowcount > 0
            if deleted:
                self._sql.touch(dataset_id)
        return deleted

    async def move(self, dataset: str, filename: str, from_split: str, to_split: str) -> None:
        _check(dataset, from_split, filename)
        datayaml.check_split(to_split)
        with self._sql.write() as conn:
            dataset_id = self._sql.dataset_id(dataset)
            try:
                moved = conn.execute(
                    "UPDATE images SET split = ? WHERE dataset_id = ? AND split = ? AND filename = ?",
                    (to_split, dataset_id, from_split, filename),
                ).rowcount
            except sqlite3.IntegrityError:
                raise ConflictError(f"image already exists ({dataset}/{to_split}/{filename})") from None
            if not moved:
                raise NotFoundError(f"no such image ({dataset}/{from_split}/{filename})")
            self._sql.touch(dataset_id)

    async def list(self, dataset: str, split: str | None = None) -> list[ImageInfo]:
        return [ImageInfo(row.filename, row.split, Path(row.path), size_bytes=row.size_bytes,
                          has_labels=row.has_labels) for row in await self.list_rows(dataset, split)]

    async def list_rows(self, dataset: str, split: str | None = None, *, sizes: bool = True) -> list[ImageRow]:
        validate_dataset_name(dataset)
        if split is not None:
            datayaml.check_split(split)
        with self._sql.errors(), gc_paused():  # 100,000 row tuples: no collector passes meanwhile
            dataset_id = self._sql.dataset_id(dataset)
            base = str(image_path(self.db_path, dataset, "x", "x").parent.parent)
            rows: list[ImageRow] = []
            for current in datayaml.SPLITS if split is None else (split,):
                # One split at a time, so the rows come in the index's order (no sort); an empty label is
                # a labels row without boxes, one probe of the boxes primary key per label.
                rows += [ImageRow(filename, current, f"{base}/{current}/{filename}", size if sizes else None,
                                  labels != "none", labels) for filename, size, labels in self._sql.conn.execute(
                    "SELECT i.filename, i.size_bytes, CASE WHEN l.id IS NULL THEN 'none'"
                    " WHEN EXISTS (SELECT 1 FROM boxes b WHERE b.label_id = l.id) THEN 'boxes' ELSE 'background'"
                    " END FROM images i"
                    " LEFT JOIN labels l ON l.dataset_id = i.dataset_id AND l.split = i.split AND l.stem = i.stem"
                    " WHERE i.dataset_id = ? AND i.split = ? ORDER BY i.filename", (dataset_id, current),
                )]
            return rows

    async def exists(self, dataset: str, split: str, filename: str) -> bool:
        _check(dataset, split, filename)
        with self._sql.errors():
            return self._sql.conn.execute(
                "SELECT 1 FROM datasets s JOIN images i ON i.dataset_id = s.id"
                " WHERE s.name = ? AND i.split = ? AND i.filename = ?", (dataset, split, filename),
            ).fetchone() is not None

    async def count(self, dataset: str) -> dict[str, int]:
        validate_dataset_name(dataset)
        with self._sql.errors():
            return split_counts(self._sql.conn, self._sql.dataset_id(dataset))


def _check(dataset: str, split: str, filename: str) -> None:
    validate_dataset_name(dataset)
    datayaml.check_split(split)
    validate_filename(filename)
