"""s3 LabelStore: one ``labels`` row per (split, stem), holding the label file's text."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ydc_cli.domain import datayaml
from ydc_cli.domain.errors import ConflictError, NotFoundError
from ydc_cli.domain.labels import parse_text
from ydc_cli.domain.names import validate_dataset_name, validate_filename
from ydc_cli.persistence.label_store import LabelStore
from ydc_cli.persistence.models import Annotation
from ydc_cli.persistence.s3._rows import write_label
from ydc_cli.persistence.samples import check_annotations, to_annotations

if TYPE_CHECKING:
    from ydc_cli.persistence.s3._db import PgDatabase


class S3LabelStore(LabelStore):
    """Labels keyed by the image's stem, as in the YOLO layout."""

    def __init__(self, database: PgDatabase) -> None:
        self._db = database

    async def save(self, dataset: str, split: str, filename: str, annotations: list[Annotation]) -> None:
        stem = _stem(dataset, split, filename)
        with self._db.write() as conn:
            dataset_id = self._db.dataset_id(dataset)
            task = self._db.dataset_task(dataset_id)
            boxes = check_annotations(annotations, source=f"{split}/{stem}.txt", task=task)
            write_label(conn, dataset_id, split, stem, boxes, task)
            self._db.touch(dataset_id)

    async def load(self, dataset: str, split: str, filename: str) -> list[Annotation]:
        stem = _stem(dataset, split, filename)
        with self._db.errors():
            row = self._db.conn.execute(
                "SELECT l.text, s.id FROM datasets s JOIN labels l ON l.dataset_id = s.id"
                " WHERE s.name = %s AND l.split = %s AND l.stem = %s", (dataset, split, stem)).fetchone()
            if row is None:
                return []
            task = self._db.dataset_task(row[1])
        return to_annotations(parse_text(row[0], source=f"{split}/{stem}.txt", task=task))

    async def delete(self, dataset: str, split: str, filename: str) -> bool:
        stem = _stem(dataset, split, filename)
        with self._db.write() as conn:
            dataset_id = self._db.find_dataset_id(dataset)
            if dataset_id is None:
                return False
            deleted = conn.execute("DELETE FROM labels WHERE dataset_id = %s AND split = %s AND stem = %s",
                                   (dataset_id, split, stem)).rowcount > 0
            if deleted:
                self._db.touch(dataset_id)
        return deleted

    async def move(self, dataset: str, filename: str, from_split: str, to_split: str) -> None:
        import psycopg

        stem = _stem(dataset, from_split, filename)
        datayaml.check_split(to_split)
        try:
            with self._db.write() as conn:
                dataset_id = self._db.dataset_id(dataset)
                moved = conn.execute("UPDATE labels SET split = %s WHERE dataset_id = %s AND split = %s AND stem = %s",
                                     (to_split, dataset_id, from_split, stem)).rowcount
                if not moved:
                    raise NotFoundError(f"no labels for {filename} in {from_split} ({dataset})")
                self._db.touch(dataset_id)
        except psycopg.errors.UniqueViolation:
            raise ConflictError(f"labels already exist ({dataset}/{to_split}/{stem}.txt)") from None

    async def exists(self, dataset: str, split: str, filename: str) -> bool:
        stem = _stem(dataset, split, filename)
        with self._db.errors():
            return self._db.conn.execute(
                "SELECT 1 FROM datasets s JOIN labels l ON l.dataset_id = s.id"
                " WHERE s.name = %s AND l.split = %s AND l.stem = %s", (dataset, split, stem)).fetchone() is not None


def _stem(dataset: str, split: str, filename: str) -> str:
    validate_dataset_name(dataset)
    datayaml.check_split(split)
    validate_filename(filename)
    return datayaml.stem_of(filename)
