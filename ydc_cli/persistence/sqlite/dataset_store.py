"""SQLite DatasetStore: datasets, classes and prompts as rows."""

from __future__ import annotations

import itertools
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import TYPE_CHECKING

from ydc_cli.domain import datayaml
from ydc_cli.domain.errors import ConflictError
from ydc_cli.domain.labels import format_text
from ydc_cli.domain.names import validate_classes, validate_dataset_name
from ydc_cli.persistence.changes import involved, needs_stored_prompts, plan_changes
from ydc_cli.persistence.dataset_store import ClassCounts, DatasetStore
from ydc_cli.persistence.models import Annotation, DatasetChanges, DatasetInfo, ImageInfo, Sample
from ydc_cli.persistence.samples import SampleSource
from ydc_cli.persistence.sqlite._db import SqliteDatabase
from ydc_cli.persistence.sqlite._rows import (
    carry_out,
    insert_samples,
    split_counts,
    stored_names,
    task_from_row,
    task_options,
    unpack_points,
)
from ydc_cli.persistence.yamlio import parse_prompts

if TYPE_CHECKING:
    from ydc_cli.domain.tasks import Task

_PAGE = 256


class SqliteDatasetStore(DatasetStore):
    """Datasets in one SQLite file; ``database`` shares a bundle's connection."""

    def __init__(self, db_path: Path, *, database: SqliteDatabase | None = None) -> None:
        self._sql = database or SqliteDatabase(db_path)
        self.db_path = self._sql.path

    async def create(self, name: str, classes: list[str], task: Task | None = None) -> DatasetInfo:
        return await self.create_with_samples(name, classes, (), task=task)

    async def list(self) -> list[DatasetInfo]:
        with self._sql.errors():
            names = [row[0] for row in self._sql.conn.execute("SELECT name FROM datasets ORDER BY name")]
        infos = []
        for name in names:
            info = await self.get(name)
            if info is not None:
                infos.append(info)
        return infos

    async def get(self, name: str) -> DatasetInfo | None:
        validate_dataset_name(name)
        with self._sql.errors():
            conn = self._sql.conn
            row = conn.execute(
                "SELECT id, created_at, modified_at, task, task_options FROM datasets WHERE name = ?", (name,)
            ).fetchone()
            if row is None:
                return None
            dataset_id, created_at, modified_at, task, options = row
            classes = [r[0] for r in conn.execute(
                "SELECT name FROM classes WHERE dataset_id = ? ORDER BY class_id", (dataset_id,))]
            counts = split_counts(conn, dataset_id)
        return DatasetInfo(name, self.db_path, classes, counts, created_at, modified_at).set_task(
            task_from_row(name, task, options))

    async def delete(self, name: str) -> bool:
        validate_dataset_name(name)
        with self._sql.write() as conn:
            return conn.execute("DELETE FROM datasets WHERE name = ?", (name,)).rowcount > 0

    async def rename(self, name: str, new_name: str) -> DatasetInfo:
        validate_dataset_name(new_name)
        with self._sql.write() as conn:
            dataset_id = self._sql.dataset_id(name)
            if self._sql.find_dataset_id(new_name) is not None:
                raise ConflictError(f"dataset already exists ({new_name})")
            conn.execute("UPDATE datasets SET name = ? WHERE id = ?", (new_name, dataset_id))
            self._sql.touch(dataset_id)
        info = await self.get(new_name)
        assert info is not None
        return info

    async def get_prompts(self, name: str) -> dict[int, list[str]]:
        validate_dataset_name(name)
        with self._sql.errors():
            dataset_id = self._sql.find_dataset_id(name)
            if dataset_id is None:
                return {}
            return self._prompts(dataset_id)

    def _prompts(self, dataset_id: int) -> dict[int, list[str]]:
        prompts: dict[int, list[str]] = {}
        for class_id, prompt in self._sql.conn.execute(
            "SELECT class_id, prompt FROM prompts WHERE dataset_id = ? ORDER BY class_id, position", (dataset_id,),
        ):
            prompts.setdefault(class_id, []).append(prompt)
        return prompts

    async def create_with_samples(
        self,
        name: str,
        classes: list[str],
        samples: SampleSource,
        prompts: dict[int, list[str]] | None = None,
        task: Task | None = None,
    ) -> DatasetInfo:
        validate_dataset_name(name)
        classes = validate_classes(classes)
        prompts = parse_prompts(prompts or {}, "prompts")
        with self._sql.write() as conn:
            if self._sql.find_dataset_id(name) is not None:
                raise ConflictError(f"dataset already exists ({name})")
            now = time.time()
            dataset_id = conn.execute(
                "INSERT INTO datasets (name, created_at, modified_at, task, task_options) VALUES (?, ?, ?, ?, ?)",
                (name, now, now, "detect" if task is None else task.name, task_options(task)),
            ).lastrowid
            _insert_classes(conn, dataset_id, classes)
            _insert_prompts(conn, dataset_id, prompts)
            await insert_samples(conn, self.db_path, name, dataset_id, samples, len(classes), task)
        info = await self.get(name)
        assert info is not None
        return info

    async def add_samples(self, name: str, samples: SampleSource) -> list[ImageInfo]:
        validate_dataset_name(name)
        with self._sql.write() as conn:
            dataset_id = self._sql.dataset_id(name)
            nc = conn.execute("SELECT COUNT(*) FROM classes WHERE dataset_id = ?", (dataset_id,)).fetchone()[0]
            infos = await insert_samples(conn, self.db_path, name, dataset_id, samples, nc,
                                         self._sql.dataset_task(dataset_id))
            self._sql.touch(dataset_id)
        return infos

    async def iter_samples(self, name: str, split: str | None = None, *, with_labels: bool = True
                           ) -> AsyncIterator[Sample]:
        validate_dataset_name(name)
        splits = datayaml.SPLITS if split is None else (datayaml.check_split(split),)
        with self._sql.errors():
            dataset_id = self._sql.dataset_id(name)
        for current in splits:
            last = ""
            while True:
                with self._sql.errors():
                    page = self._sql.conn.execute(
                        "SELECT i.filename, i.stem, d.data FROM images i JOIN image_data d ON d.image_id = i.id"
                        " WHERE i.dataset_id = ? AND i.split = ? AND i.filename > ? ORDER BY i.filename LIMIT ?",
                        (dataset_id, current, last, _PAGE),
                    ).fetchall()
                    labels = self._labels_for(dataset_id, current, {row[1] for row in page}) if with_labels else {}
                for filename, stem, data in page:
                    yield Sample(filename, current, data, labels.get(stem))
                if len(page) < _PAGE:
                    break
                last = page[-1][0]

    async def iter_label_texts(self, name: str, split: str | None = None) -> AsyncIterator[tuple[str, str, str]]:
        validate_dataset_name(name)
        splits = datayaml.SPLITS if split is None else (datayaml.check_split(split),)
        with self._sql.errors():
            dataset_id = self._sql.dataset_id(name)
            task = self._sql.dataset_task(dataset_id)
        for current in splits:
            with self._sql.errors():
                rows = self._sql.conn.execute(
                    "SELECT l.stem, b.class_id, b.x, b.y, b.width, b.height, b.points FROM labels l"
                    " LEFT JOIN boxes b ON b.label_id = l.id WHERE l.dataset_id = ? AND l.split = ?"
                    " ORDER BY l.stem || '.txt', b.position", (dataset_id, current),
                ).fetchall()
            for stem, group in itertools.groupby(rows, key=lambda row: row[0]):
                boxes = [(*row[1:6], unpack_points(row[6])) for row in group if row[1] is not None]
                yield current, f"{stem}.txt", format_text(boxes, task)

    async def apply_changes(self, name: str, changes: DatasetChanges) -> None:
        validate_dataset_name(name)
        needed = involved(changes)
        with self._sql.write() as conn:
            dataset_id = self._sql.dataset_id(name)
            images, labels = stored_names(conn, dataset_id, {split: stems for split, stems in needed.items() if stems})
            plan = plan_changes(
                name, changes, images=images, labels=labels, task=self._sql.dataset_task(dataset_id),
                classes=[r[0] for r in conn.execute(
                    "SELECT name FROM classes WHERE dataset_id = ? ORDER BY class_id", (dataset_id,))],
                stored_prompts=self._prompts(dataset_id) if needs_stored_prompts(changes) else None,
            )
            carry_out(conn, name, dataset_id, plan)
            if plan.classes is not None:
                conn.execute("DELETE FROM classes WHERE dataset_id = ?", (dataset_id,))
                _insert_classes(conn, dataset_id, plan.classes)
            if plan.prompts is not None:
                conn.execute("DELETE FROM prompts WHERE dataset_id = ?", (dataset_id,))
                _insert_prompts(conn, dataset_id, plan.prompts)
            self._sql.touch(dataset_id)

    def _labels_for(self, dataset_id: int, split: str, stems: set[str]) -> dict[str, list[Annotation]]:
        if not stems:
            return {}
        marks = ",".join("?" * len(stems))
        labels: dict[str, list[Annotation]] = {}
        for stem, class_id, x, y, w, h, points in self._sql.conn.execute(
            "SELECT l.stem, b.class_id, b.x, b.y, b.width, b.height, b.points FROM labels l"
            " LEFT JOIN boxes b ON b.label_id = l.id"
            f" WHERE l.dataset_id = ? AND l.split = ? AND l.stem IN ({marks}) ORDER BY l.stem, b.position",
            (dataset_id, split, *stems),
        ):
            boxes = labels.setdefault(stem, [])
            if class_id is not None:
                boxes.append(Annotation(class_id, x, y, w, h, unpack_points(points)))
        return labels

    # -- class table (datasets info) -------------------------------------------

    async def class_counts(self, name: str) -> ClassCounts:
        validate_dataset_name(name)
        counts = ClassCounts()
        with self._sql.errors():
            dataset_id = self._sql.dataset_id(name)
            conn = self._sql.conn
            # Per image (a label shared by a.jpg and a.png counts twice), one GROUP BY over the joined rows.
            joined = ("FROM images i JOIN labels l ON l.dataset_id = i.dataset_id AND l.split = i.split"
                      " AND l.stem = i.stem")
            for split, class_id, boxes, images in conn.execute(
                f"SELECT i.split, b.class_id, COUNT(*), COUNT(DISTINCT i.id) {joined}"
                " JOIN boxes b ON b.label_id = l.id WHERE i.dataset_id = ? GROUP BY i.split, b.class_id",
                (dataset_id,),
            ):
                counts.boxes[split][class_id] = boxes
                counts.images[split][class_id] = images
            for split, labeled in conn.execute(
                f"SELECT i.split, COUNT(*) {joined} WHERE i.dataset_id = ?"
                " AND EXISTS (SELECT 1 FROM boxes b WHERE b.label_id = l.id) GROUP BY i.split", (dataset_id,),
            ):
                counts.labeled[split] = labeled
        return counts


def _insert_classes(conn, dataset_id: int, classes: list[str]) -> None:
    conn.executemany(
        "INSERT INTO classes (dataset_id, class_id, name) VALUES (?, ?, ?)",
        [(dataset_id, class_id, name) for class_id, name in enumerate(classes)],
    )


def _insert_prompts(conn, dataset_id: int, prompts: dict[int, list[str]]) -> None:
    conn.executemany(
        "INSERT INTO prompts (dataset_id, class_id, position, prompt) VALUES (?, ?, ?, ?)",
        [(dataset_id, class_id, position, prompt)
         for class_id, items in prompts.items() for position, prompt in enumerate(items)],
    )
