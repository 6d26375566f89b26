"""Row-level helpers the SQLite stores share."""

from __future__ import annotations

import sqlite3
import struct
import time
from pathlib import Path
from typing import TYPE_CHECKING

from ydc_cli.domain.errors import ConflictError
from ydc_cli.domain.labels import Box
from ydc_cli.persistence.models import Annotation, ImageInfo
from ydc_cli.persistence.rows import task_from_row, task_options  # noqa: F401 (the stores import them from here)
from ydc_cli.persistence.samples import SampleSource, each_checked

if TYPE_CHECKING:
    from ydc_cli.domain.tasks import Task
    from ydc_cli.persistence.changes import ChangePlan

SPLIT_ORDER = "CASE split WHEN 'train' THEN 0 WHEN 'val' THEN 1 ELSE 2 END"


def image_path(db_path: Path, dataset: str, split: str, filename: str) -> Path:
    """The address ImageInfo.path gives a stored BLOB: the YOLO layout under the database file."""
    return db_path / dataset / "images" / split / filename


def pack_points(points: tuple[float, ...] | None) -> bytes | None:
    """A shape's points as the ``boxes.points`` BLOB: little-endian float64s; None for a box."""
    return None if points is None else struct.pack(f"<{len(points)}d", *points)


def unpack_points(blob: bytes | None) -> tuple[float, ...] | None:
    return None if blob is None else struct.unpack(f"<{len(blob) // 8}d", blob)


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
    async for checked in each_checked(samples, nc, task, hashed=True):
        sample = checked.sample
        header = checked.header
        try:
            image_id = conn.execute(
                "INSERT INTO images (dataset_id, split, filename, stem, format, width, height, size_bytes,"
                " sha256, added_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (dataset_id, sample.split, sample.filename, checked.stem, header.format, header.width,
                 header.height, len(sample.data), checked.sha256, now),
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


def stored_names(conn: sqlite3.Connection, dataset_id: int, stems: dict[str, set[str]]
                 ) -> tuple[dict[str, set[str]], dict[str, set[str]]]:
    """The image file names and label stems stored under ``stems`` (split -> stems), for a change plan."""
    images: dict[str, set[str]] = {split: set() for split in stems}
    labels: dict[str, set[str]] = {split: set() for split in stems}
    for split, wanted in stems.items():
        ordered = sorted(wanted)
        for start in range(0, len(ordered), _CHUNK):
            chunk = ordered[start:start + _CHUNK]
            marks = ",".join("?" * len(chunk))
            images[split].update(row[0] for row in conn.execute(
                f"SELECT filename FROM images WHERE dataset_id = ? AND split = ? AND stem IN ({marks})",
                (dataset_id, split, *chunk)))
            labels[split].update(row[0] for row in conn.execute(
                f"SELECT stem FROM labels WHERE dataset_id = ? AND split = ? AND stem IN ({marks})",
                (dataset_id, split, *chunk)))
    return images, labels


_CHUNK = 500  # names per IN (...) list, well under SQLite's 32,766 parameters


def carry_out(conn: sqlite3.Connection, dataset: str, dataset_id: int, plan: ChangePlan) -> None:
    """Apply a change plan's removals, moves and label writes inside the caller's transaction.

    Moving rows first take a unique temporary name, then their new split and
    real name, so the unique indexes only see the final state (moves may swap).
    """
    conn.executemany("DELETE FROM images WHERE dataset_id = ? AND split = ? AND filename = ?",
                     [(dataset_id, split, filename) for split, filename in plan.image_removals])
    conn.executemany("DELETE FROM labels WHERE dataset_id = ? AND split = ? AND stem = ?",
                     [(dataset_id, split, stem) for split, stem in plan.label_removals])
    for table, column, moves in (("images", "filename", plan.image_moves), ("labels", "stem", plan.label_moves)):
        ids = []
        for value, source, target in moves:
            row_id = conn.execute(f"SELECT id FROM {table} WHERE dataset_id = ? AND split = ? AND {column} = ?",
                                  (dataset_id, source, value)).fetchone()[0]
            conn.execute(f"UPDATE {table} SET {column} = {column} || char(0) || id WHERE id = ?", (row_id,))
            ids.append((row_id, value, target))
        for row_id, value, target in ids:
            try:
                conn.execute(f"UPDATE {table} SET split = ?, {column} = ? WHERE id = ?", (target, value, row_id))
            except sqlite3.IntegrityError:
                what = f"image already exists ({dataset}/{target}/{value})" if table == "images" else \
                    f"labels already exist ({dataset}/{target}/{value}.txt)"
                raise ConflictError(what) from None
    for (split, stem), boxes in plan.label_writes.items():
        write_label(conn, dataset_id, split, stem, boxes)
