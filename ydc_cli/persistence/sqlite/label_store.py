"""SQLite LabelStore: one ``labels`` row per (split, stem), one ``boxes`` row per box."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from ydc_cli.domain import datayaml
from ydc_cli.domain.errors import ConflictError, NotFoundError
from ydc_cli.domain.names import validate_dataset_name, validate_filename
from ydc_cli.persistence.label_store import LabelStore
from ydc_cli.persistence.models import Annotation
from ydc_cli.persistence.samples import check_annotations
from ydc_cli.persistence.sqlite._db import SqliteDatabase
from ydc_cli.persistence.sqlite._rows import load_boxes, write_label


class SqliteLabelStore(LabelStore):
    """Labels keyed by the image's stem, as in the YOLO layout."""

    def __init__(self, db_path: Path, *, database: SqliteDatabase | None = None) -> None:
        self._sql = database or SqliteDatabase(db_path)
        self.db_path = self._sql.path

    async def save(self, dataset: str, split: str, filename: str, annotations: list[Annotation]) -> None:
        stem = _stem(dataset, split, filename)
        with self._sql.write() as conn:
            dataset_id = self._sql.dataset_id(dataset)
            boxes = check_annotations(annotations, source=f"{split}/{stem}.txt",
                                      task=self._sql.dataset_task(dataset_id))
            write_label(conn, dataset_id, split, stem, boxes)
            self._sql.touch(dataset_id)

    async def load(self, dataset: str, split: str, filename: str) -> list[Annotation]:
        stem = _stem(dataset, split, filename)
        with self._sql.errors():
            label_id = self._label_id(dataset, split, stem)
            return [] if label_id is None else load_boxes(self._sql.conn, label_id)

    async def delete(self, dataset: str, split: str, filename: str) -> bool:
        stem = _stem(dataset, split, filename)
        with self._sql.write() as conn:
            label_id = self._label_id(dataset, split, stem)
            if label_id is None:
                return False
            conn.execute("DELETE FROM labels WHERE id = ?", (label_id,))
            self._sql.touch(self._sql.dataset_id(dataset))
        return True

    async def move(self, dataset: str, filename: str, from_split: str, to_split: str) -> None:
        stem = _stem(dataset, from_split, filename)
        datayaml.check_split(to_split)
        with self._sql.write() as conn:
            dataset_id = self._sql.dataset_id(dataset)
            label_id = self._label_id(dataset, from_split, stem)
            if label_id is None:
                raise NotFoundError(f"no labels for {filename} in {from_split} ({dataset})")
            try:
                conn.execute("UPDATE labels SET split = ? WHERE id = ?", (to_split, label_id))
            except sqlite3.IntegrityError:
                raise ConflictError(f"labels already exist ({dataset}/{to_split}/{stem}.txt)") from None
            self._sql.touch(dataset_id)

    async def exists(self, dataset: str, split: str, filename: str) -> bool:
        stem = _stem(dataset, split, filename)
        with self._sql.errors():
            return self._label_id(dataset, split, stem) is not None

    def _label_id(self, dataset: str, split: str, stem: str) -> int | None:
        row = self._sql.conn.execute(
            "SELECT l.id FROM datasets s JOIN labels l ON l.dataset_id = s.id"
            " WHERE s.name = ? AND l.split = ? AND l.stem = ?", (dataset, split, stem),
        ).fetchone()
        return None if row is None else row[0]


def _stem(dataset: str, split: str, filename: str) -> str:
    validate_dataset_name(dataset)
    datayaml.check_split(split)
    validate_filename(filename)
    return datayaml.stem_of(filename)
