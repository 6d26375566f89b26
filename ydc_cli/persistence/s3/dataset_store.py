"""s3 DatasetStore: datasets, classes, prompts, images and labels as PostgreSQL rows; bytes in the bucket."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING

from ydc_cli.domain import datayaml
from ydc_cli.domain.errors import ConflictError
from ydc_cli.domain.labels import parse_text
from ydc_cli.domain.names import validate_classes, validate_dataset_name
from ydc_cli.persistence.changes import involved, needs_stored_prompts, plan_changes
from ydc_cli.persistence.dataset_store import ClassCounts, DatasetStore
from ydc_cli.persistence.location import UrlPath
from ydc_cli.persistence.models import DatasetChanges, DatasetInfo, ImageInfo, Sample
from ydc_cli.persistence.rows import task_from_row, task_options
from ydc_cli.persistence.s3._rows import insert_rows, split_counts, stage_samples, write_label
from ydc_cli.persistence.samples import SampleSource, to_annotations
from ydc_cli.persistence.yamlio import parse_prompts

if TYPE_CHECKING:
    import psycopg

    from ydc_cli.domain.tasks import Task
    from ydc_cli.persistence.changes import ChangePlan
    from ydc_cli.persistence.s3._blobs import BlobStore
    from ydc_cli.persistence.s3._db import PgDatabase

_PAGE = 256


class S3DatasetStore(DatasetStore):
    """Datasets whose rows live in PostgreSQL and whose image bytes are blobs in the bucket."""

    def __init__(self, database: PgDatabase, blobs: BlobStore) -> None:
        self._db = database
        self._blobs = blobs

    def _base(self, name: str) -> str:
        """What ImageInfo.path names: the YOLO layout under the store's URL (no such objects exist)."""
        return f"{self._db.location.url}/{name}/images"

    async def create(self, name: str, classes: list[str], task: Task | None = None) -> DatasetInfo:
        return await self.create_with_samples(name, classes, (), task=task)

    async def list(self) -> list[DatasetInfo]:
        with self._db.errors():
            names = [row[0] for row in self._db.conn.execute("SELECT name FROM datasets ORDER BY name COLLATE \"C\"")]
        infos = []
        for name in names:
            info = await self.get(name)
            if info is not None:
                infos.append(info)
        return infos

    async def get(self, name: str) -> DatasetInfo | None:
        validate_dataset_name(name)
        with self._db.errors():
            conn = self._db.conn
            row = conn.execute("SELECT id, created_at, modified_at, task, task_options FROM datasets WHERE name = %s",
                               (name,)).fetchone()
            if row is None:
                return None
            dataset_id, created_at, modified_at, task, options = row
            classes = self._db.classes(dataset_id)
            counts = split_counts(conn, dataset_id)
        return DatasetInfo(name, UrlPath(f"{self._db.location.url}/{name}"), classes, counts, created_at,
                           modified_at).set_task(task_from_row(name, task, options))

    async def delete(self, name: str) -> bool:
        validate_dataset_name(name)
        with self._db.write() as conn:
            return conn.execute("DELETE FROM datasets WHERE name = %s", (name,)).rowcount > 0

    async def rename(self, name: str, new_name: str) -> DatasetInfo:
        import psycopg

        validate_dataset_name(name)
        validate_dataset_name(new_name)
        try:
            with self._db.write() as conn:
                dataset_id = self._db.dataset_id(name)
                if self._db.find_dataset_id(new_name) is not None:
                    raise ConflictError(f"dataset already exists ({new_name})")
                conn.execute("UPDATE datasets SET name = %s WHERE id = %s", (new_name, dataset_id))
                self._db.touch(dataset_id)
        except psycopg.errors.UniqueViolation:
            raise ConflictError(f"dataset already exists ({new_name})") from None
        info = await self.get(new_name)
        assert info is not None
        return info

    async def get_prompts(self, name: str) -> dict[int, list[str]]:
        validate_dataset_name(name)
        with self._db.errors():
            dataset_id = self._db.find_dataset_id(name)
            return {} if dataset_id is None else self._prompts(dataset_id)

    def _prompts(self, dataset_id: int) -> dict[int, list[str]]:
        prompts: dict[int, list[str]] = {}
        for class_id, prompt in self._db.conn.execute(
                "SELECT class_id, prompt FROM prompts WHERE dataset_id = %s ORDER BY class_id, position",
                (dataset_id,)):
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
        import psycopg

        validate_dataset_name(name)
        classes = validate_classes(classes)
        prompts = parse_prompts(prompts or {}, "prompts")
        with self._db.errors():
            if self._db.find_dataset_id(name) is not None:
                raise ConflictError(f"dataset already exists ({name})")
        with self._db.blob_writer():
            staged = await stage_samples(self._db, self._blobs, samples, len(classes), task, self._base(name))
            try:
                with self._db.write() as conn:
                    now = time.time()
                    dataset_id = conn.execute(
                        "INSERT INTO datasets (name, created_at, modified_at, task, task_options)"
                        " VALUES (%s, %s, %s, %s, %s) RETURNING id",
                        (name, now, now, "detect" if task is None else task.name, task_options(task)),
                    ).fetchone()[0]
                    _insert_classes(conn, dataset_id, classes)
                    _insert_prompts(conn, dataset_id, prompts)
                    insert_rows(conn, dataset_id, staged, replace_labels=False)
                    self._db.grew(len(staged.images))
            except psycopg.errors.UniqueViolation:
                raise ConflictError(f"dataset already exists ({name})") from None
        info = await self.get(name)
        assert info is not None
        return info

    async def add_samples(self, name: str, samples: SampleSource) -> list[ImageInfo]:
        import psycopg

        validate_dataset_name(name)
        with self._db.errors():
            dataset_id = self._db.dataset_id(name)
            nc = len(self._db.classes(dataset_id))
            task = self._db.dataset_task(dataset_id)

        def existing(names: list[tuple[str, str]]) -> set[tuple[str, str]]:
            with self._db.errors():
                return {tuple(row) for row in self._db.conn.execute(
                    "SELECT i.split, i.filename FROM images i JOIN unnest(%s::text[], %s::text[]) AS n(split, filename)"
                    " ON i.split = n.split AND i.filename = n.filename WHERE i.dataset_id = %s",
                    ([n[0] for n in names], [n[1] for n in names], dataset_id))}

        with self._db.blob_writer():
            staged = await stage_samples(self._db, self._blobs, samples, nc, task, self._base(name), existing)
            try:
                with self._db.write() as conn:
                    if self._db.find_dataset_id(name) != dataset_id:
                        self._db.dataset_id(name)  # deleted meanwhile: NotFoundError
                        raise ConflictError(f"the dataset was replaced while adding to it ({name})")
                    insert_rows(conn, dataset_id, staged, replace_labels=True)
                    self._db.grew(len(staged.images))
                    self._db.touch(dataset_id)
            except psycopg.errors.UniqueViolation:
                raise ConflictError(f"an image was added meanwhile under one of these names ({name})") from None
        if staged.unlabeled:
            with self._db.errors():
                labelled = {tuple(row) for row in self._db.conn.execute(
                    "SELECT split, stem FROM labels WHERE dataset_id = %s AND stem = ANY(%s)",
                    (dataset_id, [datayaml.stem_of(staged.infos[i].filename) for i in staged.unlabeled]))}
            for index in staged.unlabeled:
                info = staged.infos[index]
                info.has_labels = (info.split, datayaml.stem_of(info.filename)) in labelled
        return staged.infos

    async def iter_samples(self, name: str, split: str | None = None, *, with_labels: bool = True
                           ) -> AsyncIterator[Sample]:
        validate_dataset_name(name)
        splits = datayaml.SPLITS if split is None else (datayaml.check_split(split),)
        with self._db.errors():
            dataset_id = self._db.dataset_id(name)
            task = self._db.dataset_task(dataset_id)
        for current in splits:
            last = ""
            while True:
                with self._db.errors():
                    page = self._db.conn.execute(
                        "SELECT i.filename, i.sha256, l.text FROM images i LEFT JOIN labels l"
                        " ON l.dataset_id = i.dataset_id AND l.split = i.split AND l.stem = i.stem"
                        " WHERE i.dataset_id = %s AND i.split = %s AND i.filename > %s ORDER BY i.filename LIMIT %s",
                        (dataset_id, current, last, _PAGE),
                    ).fetchall()
                datas = await self._blobs.get_many([row[1] for row in page])
                for (filename, _, text), data in zip(page, datas, strict=True):
                    annotations = None
                    if with_labels and text is not None:
                        annotations = to_annotations(parse_text(text, task=task))
                    yield Sample(filename, current, data, annotations)
                if len(page) < _PAGE:
                    break
                last = page[-1][0]

    async def iter_label_texts(self, name: str, split: str | None = None) -> AsyncIterator[tuple[str, str, str]]:
        validate_dataset_name(name)
        splits = datayaml.SPLITS if split is None else (datayaml.check_split(split),)
        with self._db.errors():
            dataset_id = self._db.dataset_id(name)
        for current in splits:
            with self._db.errors():
                rows = self._db.conn.execute(
                    "SELECT stem || '.txt', text FROM labels WHERE dataset_id = %s AND split = %s"
                    " ORDER BY stem || '.txt'", (dataset_id, current)).fetchall()
            for label_name, text in rows:
                yield current, label_name, text

    async def apply_changes(self, name: str, changes: DatasetChanges) -> None:
        validate_dataset_name(name)
        needed = {split: stems for split, stems in involved(changes).items() if stems}
        with self._db.write() as conn:
            dataset_id = self._db.dataset_id(name)
            # One change at a time per dataset: the row lock orders concurrent plans.
            conn.execute("SELECT 1 FROM datasets WHERE id = %s FOR UPDATE", (dataset_id,))
            task = self._db.dataset_task(dataset_id)
            images, labels = _stored_names(conn, dataset_id, needed)
            plan = plan_changes(
                name, changes, images=images, labels=labels, classes=self._db.classes(dataset_id), task=task,
                stored_prompts=self._prompts(dataset_id) if needs_stored_prompts(changes) else None,
            )
            _carry_out(conn, name, dataset_id, plan, task)
            if plan.classes is not None:
                conn.execute("DELETE FROM classes WHERE dataset_id = %s", (dataset_id,))
                _insert_classes(conn, dataset_id, plan.classes)
            if plan.prompts is not None:
                conn.execute("DELETE FROM prompts WHERE dataset_id = %s", (dataset_id,))
                _insert_prompts(conn, dataset_id, plan.prompts)
            self._db.touch(dataset_id)

    async def class_counts(self, name: str) -> ClassCounts:
        validate_dataset_name(name)
        counts = ClassCounts()
        with self._db.errors():
            dataset_id = self._db.dataset_id(name)
            conn = self._db.conn
            joined = ("FROM images i JOIN labels l ON l.dataset_id = i.dataset_id AND l.split = i.split"
                      " AND l.stem = i.stem")
            for split, class_id, boxes, images in conn.execute(
                    f"SELECT i.split, c.class_id, COUNT(*), COUNT(DISTINCT i.id) {joined}"
                    " CROSS JOIN LATERAL unnest(l.class_ids) AS c(class_id) WHERE i.dataset_id = %s"
                    " GROUP BY i.split, c.class_id", (dataset_id,)):
                counts.boxes[split][class_id] = boxes
                counts.images[split][class_id] = images
            for split, labeled in conn.execute(
                    f"SELECT i.split, COUNT(*) {joined} WHERE i.dataset_id = %s AND cardinality(l.class_ids) > 0"
                    " GROUP BY i.split", (dataset_id,)):
                counts.labeled[split] = labeled
        return counts


def _stored_names(conn: psycopg.Connection, dataset_id: int, stems: dict[str, set[str]]
                  ) -> tuple[dict[str, set[str]], dict[str, set[str]]]:
    images: dict[str, set[str]] = {split: set() for split in stems}
    labels: dict[str, set[str]] = {split: set() for split in stems}
    for split, wanted in stems.items():
        images[split].update(row[0] for row in conn.execute(
            "SELECT filename FROM images WHERE dataset_id = %s AND split = %s AND stem = ANY(%s)",
            (dataset_id, split, sorted(wanted))))
        labels[split].update(row[0] for row in conn.execute(
            "SELECT stem FROM labels WHERE dataset_id = %s AND split = %s AND stem = ANY(%s)",
            (dataset_id, split, sorted(wanted))))
    return images, labels


def _carry_out(conn: psycopg.Connection, dataset: str, dataset_id: int, plan: ChangePlan, task: Task) -> None:
    """A change plan's removals, moves and label writes, as rows (blobs stay: other rows may share them).

    Each kind is one statement over arrays, so a 100,000-image split is a few round trips.
    """
    import psycopg

    for table, column, removals in (("images", "filename", plan.image_removals),
                                    ("labels", "stem", plan.label_removals)):
        if removals:
            conn.execute(
                f"DELETE FROM {table} t USING unnest(%s::text[], %s::text[]) AS r(split, value)"
                f" WHERE t.dataset_id = %s AND t.split = r.split AND t.{column} = r.value",
                ([split for split, _ in removals], [value for _, value in removals], dataset_id))
    # Moving rows first take a name no real one has, then their new split and name: moves may swap.
    for table, column, moves in (("images", "filename", plan.image_moves), ("labels", "stem", plan.label_moves)):
        if not moves:
            continue
        moved = conn.execute(
            f"UPDATE {table} t SET {column} = t.{column} || E'\\x01' || t.id::text"
            " FROM unnest(%s::text[], %s::text[], %s::text[]) AS m(value, source, target)"
            f" WHERE t.dataset_id = %s AND t.split = m.source AND t.{column} = m.value"
            " RETURNING t.id, m.value, m.target",
            ([m[0] for m in moves], [m[1] for m in moves], [m[2] for m in moves], dataset_id)).fetchall()
        try:
            conn.execute(
                f"UPDATE {table} t SET split = m.target, {column} = m.value"
                " FROM unnest(%s::bigint[], %s::text[], %s::text[]) AS m(id, value, target) WHERE t.id = m.id",
                ([row[0] for row in moved], [row[1] for row in moved], [row[2] for row in moved]))
        except psycopg.errors.UniqueViolation:
            raise ConflictError(f"a move would land on an existing {table[:-1]} ({dataset})") from None
    for (split, stem), boxes in plan.label_writes.items():
        write_label(conn, dataset_id, split, stem, boxes, task)


def _insert_classes(conn: psycopg.Connection, dataset_id: int, classes: list[str]) -> None:
    if classes:
        with conn.cursor() as cursor:
            cursor.executemany("INSERT INTO classes (dataset_id, class_id, name) VALUES (%s, %s, %s)",
                               [(dataset_id, class_id, name) for class_id, name in enumerate(classes)])


def _insert_prompts(conn: psycopg.Connection, dataset_id: int, prompts: dict[int, list[str]]) -> None:
    rows = [(dataset_id, class_id, position, prompt)
            for class_id, items in prompts.items() for position, prompt in enumerate(items)]
    if rows:
        with conn.cursor() as cursor:
            cursor.executemany("INSERT INTO prompts (dataset_id, class_id, position, prompt) VALUES (%s, %s, %s, %s)",
                               rows)
