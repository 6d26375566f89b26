"""Row-level helpers the SQLite stores share."""

from __future__ import annotations

import hashlib
import json
import sqlite3
import struct
import time
from pathlib import Path
from typing import TYPE_CHECKING

from ydc_cli.domain import datayaml
from ydc_cli.domain.errors import ConflictError, NotFoundError
from ydc_cli.domain.labels import Box
from ydc_cli.persistence.models import Annotation, ImageInfo
from ydc_cli.persistence.samples import SampleSource, each_checked

if TYPE_CHECKING:
    from ydc_cli.domain.tasks import Task

SPLIT_ORDER = "CASE split WHEN 'train' THEN 0 WHEN 'val' THEN 1 ELSE 2 END"


def image_path(db_path: Path, dataset: str, split: str, filename: str) -> Path:
    """The address ImageInfo.path gives a stored BLOB: the YOLO layout under the database file."""
    return db_path / dataset / "images" / split / filename


def pack_points(points: tuple[float, ...] | None) -> bytes | None:
    """A shape's points as the ``boxes.points`` BLOB: little-endian float64s; None for a box."""
    return None if points is None else struct.pack(f"<{len(points)}d", *points)


def unpack_points(blob: bytes | None) -> tuple[float, ...] | None:
    return None if blob is None else struct.unpack(f"<{len(blob) // 8}d", blob)


def task_options(task: Task | None) -> str | None:
    """The ``datasets.task_options`` JSON: pose's keypoint layout; None for the other tasks."""
    if task is None:
        return None
    keys = {k: v for k, v in task.yaml_keys().items() if k != "task"}
    return json.dumps(keys, sort_keys=True) if keys else None


def task_from_row(name: str, task: str, options: str | None) -> Task:
    from ydc_cli.domain import tasks

    keys = json.loads(options) if options else {}
    return tasks.make(task, keys.get("kpt_shape"), keys.get("flip_idx"), keys.get("skeleton"), name)


def write_label(conn: sqlite3.Connection, dataset_id: int, split: str, stem: str, boxes: list[Box]) -> None:
    """Replace the label of (split, stem) with ``boxes`` (an empty list is an empty label)."""
    label_id = conn.execute(
        "INSERT INTO labels (dataset_id, split, stem) VALUES (?, ?, ?) "
        "ON CONFLICT (dataset_id, split, stem) DO UPDATE SET stem = excluded.stem RETURNING id",
        (dataset_id, split, stem),
    ).fetchone()[0]
    conn.execute("DELETE FROM boxes WHERE label_id = ?", (label_id,))
    conn.executemany(
        "INSERT INTO boxes (label_id, position, class_id, x, y, width, height, points)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        [(label_id, position, box[0], box[1], box[2], box[3], box[4], pack_points(box[5]))
         for position, box in enumerate(boxes)],
    )


def label_exists(conn: sqlite3.Connection, dataset_id: int, split: str, stem: str) -> bool:
    return conn.execute(
        "SELECT 1 FROM labels WHERE dataset_id = ? AND split = ? AND stem = ?", (dataset_id, split, stem)
    ).fetchone() is not None


async def insert_samples(
    conn: sqlite3.Connection, db_path: Path, dataset: str, dataset_id: int, samples: SampleSource, nc: int,
    task: Task | None = None,
) -> list[ImageInfo]:
    """Insert checked samples (labels of ``task``) inside the caller's transaction."""
    infos = []
    now = time.time()
    async for checked in each_checked(samples, nc, task):
        sample = checked.sample
        header = checked.header
        try:
            image_id = conn.execute(
                "INSERT INTO images (dataset_id, split, filename, stem, format, width, height, size_bytes,"
                " sha256, added_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (dataset_id, sample.split, sample.filename, checked.stem, header.format, header.width,
                 header.height, len(sample.data), hashlib.sha256(sample.data).hexdigest(), now),
            ).lastrowid
        except sqlite3.IntegrityError:
            raise ConflictError(f"image already exists ({checked.where})") from None
        conn.execute("INSERT INTO image_data (image_id, data) VALUES (?, ?)", (image_id, sample.data))
        if checked.boxes is not None:
            write_label(conn, dataset_id, sample.split, checked.stem, checked.boxes)
            has_labels = True
        else:
            has_labels = label_exists(conn, dataset_id, sample.split, checked.stem)
        infos.append(ImageInfo(
            sample.filename, sample.split, image_path(db_path, dataset, sample.split, sample.filename),
            header.width, header.height, len(sample.data), has_labels,
        ))
    return infos


def load_boxes(conn: sqlite3.Connection, label_id: int) -> list[Annotation]:
    rows = conn.execute(
        "SELECT class_id, x, y, width, height, points FROM boxes WHERE label_id = ? ORDER BY position", (label_id,)
    )
    return [Annotation(*row[:5], unpack_points(row[5])) for row in rows]


def split_counts(conn: sqlite3.Connection, dataset_id: int) -> dict[str, int]:
    """Images per split, counted on the (dataset, split, filename) index."""
    counts = {"train": 0, "val": 0, "test": 0}
    for split, count in conn.execute(
        "SELECT split, COUNT(*) FROM images WHERE dataset_id = ? GROUP BY split", (dataset_id,)
    ):
        counts[split] = count
    return counts


def apply_removals(conn: sqlite3.Connection, dataset: str, dataset_id: int, removals: list[tuple[str, str]]) -> None:
    """Delete images, and each label no remaining image of its stem shares."""
    stems = []
    for split, filename in removals:
        deleted = conn.execute(
            "DELETE FROM images WHERE dataset_id = ? AND split = ? AND filename = ? RETURNING stem",
            (dataset_id, split, filename),
        ).fetchone()
        if deleted is None:
            raise NotFoundError(f"no such image ({dataset}/{split}/{filename})")
        stems.append((split, deleted[0]))
    for split, stem in stems:
        conn.execute(
            "DELETE FROM labels WHERE dataset_id = ? AND split = ? AND stem = ? AND NOT EXISTS"
            " (SELECT 1 FROM images WHERE dataset_id = ? AND split = ? AND stem = ?)",
            (dataset_id, split, stem, dataset_id, split, stem),
        )


def apply_moves(conn: sqlite3.Connection, dataset: str, dataset_id: int, moves: list[tuple[str, str, str]]) -> None:
    """Move images with their labels between splits; swaps are allowed.

    Rows are first renamed to a unique temporary name, then given their new
    split and real name, so the unique index only sees the final state.
    """
    moving = []
    for filename, source, target in moves:
        datayaml.check_split(source)
        datayaml.check_split(target)
        row = conn.execute(
            "SELECT id, stem FROM images WHERE dataset_id = ? AND split = ? AND filename = ?",
            (dataset_id, source, filename),
        ).fetchone()
        if row is None:
            raise NotFoundError(f"no such image ({dataset}/{source}/{filename})")
        if source == target:
            continue
        image_id, stem = row
        label = conn.execute("SELECT id FROM labels WHERE dataset_id = ? AND split = ? AND stem = ?",
                             (dataset_id, source, stem)).fetchone()
        moving.append((image_id, filename, stem, target, label[0] if label else None))
    for image_id, _, _, _, label_id in moving:
        conn.execute("UPDATE images SET filename = filename || char(0) || id WHERE id = ?", (image_id,))
        if label_id is not None:
            conn.execute("UPDATE labels SET stem = stem || char(0) || id WHERE id = ?", (label_id,))
    for image_id, filename, stem, target, label_id in moving:
        try:
            conn.execute("UPDATE images SET split = ?, filename = ? WHERE id = ?", (target, filename, image_id))
        except sqlite3.IntegrityError:
            raise ConflictError(f"image already exists ({dataset}/{target}/{filename})") from None
        if label_id is not None:
            try:
                conn.execute("UPDATE labels SET split = ?, stem = ? WHERE id = ?", (target, stem, label_id))
            except sqlite3.IntegrityError:
                raise ConflictError(f"labels already exist ({dataset}/{target}/{stem}.txt)") from None
