"""Writing samples to the s3 backend: blobs first, then every row in one transaction.

``stage_samples`` checks each sample, hashes it, registers its blob (so ``store
gc`` leaves it alone), uploads the blobs the store does not hold yet, 16 at a
time, while the next samples are read, and returns the rows; ``insert_rows``
writes them inside the caller's transaction. Readers resolve images through the
rows, so until that transaction commits nothing of the batch is visible, and a
crash leaves at most blobs no row references.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ydc_cli.domain.errors import ConflictError
from ydc_cli.domain.labels import Box, format_text
from ydc_cli.persistence.location import UrlPath
from ydc_cli.persistence.models import ImageInfo
from ydc_cli.persistence.s3._blobs import Uploader
from ydc_cli.persistence.samples import SampleSource, each_checked

if TYPE_CHECKING:
    import psycopg

    from ydc_cli.domain.tasks import Task
    from ydc_cli.persistence.s3._blobs import BlobStore
    from ydc_cli.persistence.s3._db import PgDatabase

_BATCH = 64  # samples per blob registration (one round trip)
IMAGE_COLUMNS = "dataset_id, split, filename, stem, format, width, height, size_bytes, sha256, added_at"


def label_row(boxes: list[Box], task: Task | None) -> tuple[str, list[int]]:
    """A label's ``text`` and ``class_ids`` columns."""
    return format_text(boxes, task), [box[0] for box in boxes]


def register_blobs(conn: psycopg.Connection, sizes: dict[str, int]) -> set[str]:
    """Record blobs a writer is about to reference (fresh for gc's grace period); returns those not uploaded yet."""
    if not sizes:
        return set()
    now = time.time()
    rows = conn.execute(
        "INSERT INTO blobs (sha256, size_bytes, touched_at)"
        " SELECT * FROM unnest(%s::text[], %s::bigint[], %s::float8[])"
        " ON CONFLICT (sha256) DO UPDATE SET touched_at = excluded.touched_at RETURNING sha256, uploaded",
        (list(sizes), list(sizes.values()), [now] * len(sizes)),
    ).fetchall()
    return {sha for sha, uploaded in rows if not uploaded}


def mark_uploaded(conn: psycopg.Connection, digests: list[str]) -> None:
    if digests:
        conn.execute("UPDATE blobs SET uploaded = true WHERE sha256 = ANY(%s) AND NOT uploaded", (digests,))


@dataclass
class StagedSamples:
    """Checked samples whose blobs are in the bucket: the rows to write, and what to return."""

    images: list[tuple] = field(default_factory=list)  # IMAGE_COLUMNS without dataset_id
    labels: dict[tuple[str, str], tuple[str, list[int]]] = field(default_factory=dict)  # (split, stem) -> row
    infos: list[ImageInfo] = field(default_factory=list)
    uploaded: list[str] = field(default_factory=list)
    unlabeled: list[int] = field(default_factory=list)  # indexes of infos whose samples carried no labels


async def stage_samples(db: PgDatabase, blobs: BlobStore, samples: SampleSource, nc: int, task: Task | None,
                        base: str, existing=None) -> StagedSamples:
    """Check, hash, register and upload ``samples``; the caller holds ``db.blob_writer()``.

    ``existing(names)`` returns which (split, filename) pairs the dataset holds already.

    Raises:
        ConflictError: two samples share split and file name, or one is stored already.
        InvalidImageError, InvalidLabelError: a sample is refused (blobs uploaded so far stay unreferenced).
    """
    staged = StagedSamples()
    seen: set[tuple[str, str]] = set()
    queued: set[str] = set()
    now = time.time()
    pending: list[tuple[str, bytes]] = []

    async def flush(uploader: Uploader) -> None:
        sizes = {sha: len(data) for sha, data in pending}
        with db.errors():
            missing = register_blobs(db.conn, sizes)
        for sha, data in pending:
            if sha in missing and sha not in queued:
                queued.add(sha)
                await uploader.add(sha, data)
        pending.clear()

    async with Uploader(blobs) as uploader:
        batch: list[tuple[str, str]] = []
        async for checked in each_checked(samples, nc, task, hashed=True):
            sample, header = checked.sample, checked.header
            key = (sample.split, sample.filename)
            if key in seen:
                raise ConflictError(f"the batch holds this image twice ({checked.where})")
            seen.add(key)
            batch.append(key)
            sha = checked.sha256
            staged.images.append((sample.split, sample.filename, checked.stem, header.format, header.width,
                                  header.height, len(sample.data), sha, now))
            if checked.boxes is not None:
                staged.labels[sample.split, checked.stem] = label_row(checked.boxes, task)
            else:
                staged.unlabeled.append(len(staged.infos))
            staged.infos.append(ImageInfo(
                sample.filename, sample.split, UrlPath(f"{base}/{sample.split}/{sample.filename}"),
                header.width, header.height, len(sample.data), checked.boxes is not None))
            pending.append((sha, sample.data))
            if len(pending) >= _BATCH:
                if existing is not None:
                    _refuse_existing(existing(batch), batch)
                batch = []
                await flush(uploader)
        if existing is not None and batch:
            _refuse_existing(existing(batch), batch)
        await flush(uploader)
        staged.uploaded = await uploader.finish()
    return staged


def _refuse_existing(found: set[tuple[str, str]], batch: list[tuple[str, str]]) -> None:
    for split, filename in batch:
        if (split, filename) in found:
            raise ConflictError(f"image already exists ({split}/{filename})")


def insert_rows(conn: psycopg.Connection, dataset_id: int, staged: StagedSamples, *, replace_labels: bool) -> None:
    """Write staged images and labels inside the caller's transaction (COPY: 100,000 rows in seconds).

    Raises:
        psycopg.errors.UniqueViolation: an image is stored already (the caller names it).
    """
    mark_uploaded(conn, staged.uploaded)
    with conn.cursor() as cursor:
        with cursor.copy(f"COPY images ({IMAGE_COLUMNS}) FROM STDIN") as copy:
            for row in staged.images:
                copy.write_row((dataset_id, *row))
        if not staged.labels:
            return
        if not replace_labels:
            with cursor.copy("COPY labels (dataset_id, split, stem, text, class_ids) FROM STDIN") as copy:
                for (split, stem), (text, class_ids) in staged.labels.items():
                    copy.write_row((dataset_id, split, stem, text, class_ids))
            return
        cursor.executemany(
            "INSERT INTO labels (dataset_id, split, stem, text, class_ids) VALUES (%s, %s, %s, %s, %s)"
            " ON CONFLICT (dataset_id, split, stem) DO UPDATE SET text = excluded.text, class_ids = excluded.class_ids",
            [(dataset_id, split, stem, text, class_ids) for (split, stem), (text, class_ids) in staged.labels.items()],
        )


def write_label(conn: psycopg.Connection, dataset_id: int, split: str, stem: str, boxes: list[Box],
                task: Task | None) -> None:
    """Replace the label of (split, stem) with ``boxes`` (an empty list is an empty label)."""
    text, class_ids = label_row(boxes, task)
    conn.execute(
        "INSERT INTO labels (dataset_id, split, stem, text, class_ids) VALUES (%s, %s, %s, %s, %s)"
        " ON CONFLICT (dataset_id, split, stem) DO UPDATE SET text = excluded.text, class_ids = excluded.class_ids",
        (dataset_id, split, stem, text, class_ids),
    )


def split_counts(conn: psycopg.Connection, dataset_id: int) -> dict[str, int]:
    counts = {"train": 0, "val": 0, "test": 0}
    for split, count in conn.execute(
            "SELECT split, COUNT(*) FROM images WHERE dataset_id = %s GROUP BY split", (dataset_id,)):
        counts[split] = count
    return counts
