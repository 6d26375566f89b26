"""s3 ImageStore: an image is a row naming its content-addressed blob; the original bytes are the blob."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ydc_cli.domain import datayaml
from ydc_cli.domain.errors import ConflictError, NotFoundError
from ydc_cli.domain.names import validate_dataset_name, validate_filename
from ydc_cli.persistence.bulk import gc_paused
from ydc_cli.persistence.image_store import ImageStore, decode_image, encode_image
from ydc_cli.persistence.models import ImageInfo, ImageRow, Sample
from ydc_cli.persistence.s3._rows import IMAGE_COLUMNS, mark_uploaded, split_counts, stage_samples

if TYPE_CHECKING:
    import numpy as np

    from ydc_cli.persistence.s3._blobs import BlobStore
    from ydc_cli.persistence.s3._db import PgDatabase


class S3ImageStore(ImageStore):
    """Images as rows of ``images``; their bytes are blobs shared by every row with the same content."""

    def __init__(self, database: PgDatabase, blobs: BlobStore) -> None:
        self._db = database
        self._blobs = blobs

    async def save(self, dataset: str, split: str, filename: str, image: np.ndarray) -> ImageInfo:
        return await self.save_bytes(dataset, split, filename, encode_image(image, filename))

    async def save_bytes(self, dataset: str, split: str, filename: str, data: bytes) -> ImageInfo:
        _check(dataset, split, filename)
        with self._db.errors():
            dataset_id = self._db.dataset_id(dataset)
            nc = len(self._db.classes(dataset_id))
        base = f"{self._db.location.url}/{dataset}/images"
        with self._db.blob_writer():
            staged = await stage_samples(self._db, self._blobs, [Sample(filename, split, data)], nc, None, base)
            row = staged.images[0]
            with self._db.write() as conn:
                mark_uploaded(conn, staged.uploaded)
                conn.execute(
                    f"INSERT INTO images ({IMAGE_COLUMNS}) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)"
                    " ON CONFLICT (dataset_id, split, filename) DO UPDATE SET format = excluded.format,"
                    " width = excluded.width, height = excluded.height, size_bytes = excluded.size_bytes,"
                    " sha256 = excluded.sha256, added_at = excluded.added_at",
                    (dataset_id, *row))
                has_labels = conn.execute("SELECT 1 FROM labels WHERE dataset_id = %s AND split = %s AND stem = %s",
                                          (dataset_id, split, datayaml.stem_of(filename))).fetchone() is not None
                self._db.touch(dataset_id)
        info = staged.infos[0]
        info.has_labels = has_labels
        return info

    async def load(self, dataset: str, split: str, filename: str) -> np.ndarray:
        return decode_image(await self.load_bytes(dataset, split, filename), f"{split}/{filename}")

    async def load_bytes(self, dataset: str, split: str, filename: str) -> bytes:
        _check(dataset, split, filename)
        with self._db.errors():
            row = self._db.conn.execute(
                "SELECT i.sha256 FROM datasets s JOIN images i ON i.dataset_id = s.id"
                " WHERE s.name = %s AND i.split = %s AND i.filename = %s", (dataset, split, filename)).fetchone()
        if row is None:
            raise NotFoundError(f"no such image ({dataset}/{split}/{filename})")
        return await self._blobs.get(row[0])

    async def delete(self, dataset: str, split: str, filename: str) -> bool:
        _check(dataset, split, filename)
        with self._db.write() as conn:
            dataset_id = self._db.find_dataset_id(dataset)
            if dataset_id is None:
                return False
            deleted = conn.execute("DELETE FROM images WHERE dataset_id = %s AND split = %s AND filename = %s",
                                   (dataset_id, split, filename)).rowcount > 0
            if deleted:
                self._db.touch(dataset_id)
        return deleted

    async def move(self, dataset: str, filename: str, from_split: str, to_split: str) -> None:
        import psycopg

        _check(dataset, from_split, filename)
        datayaml.check_split(to_split)
        try:
            with self._db.write() as conn:
                dataset_id = self._db.dataset_id(dataset)
                moved = conn.execute(
                    "UPDATE images SET split = %s WHERE dataset_id = %s AND split = %s AND filename = %s",
                    (to_split, dataset_id, from_split, filename)).rowcount
                if not moved:
                    raise NotFoundError(f"no such image ({dataset}/{from_split}/{filename})")
                self._db.touch(dataset_id)
        except psycopg.errors.UniqueViolation:
            raise ConflictError(f"image already exists ({dataset}/{to_split}/{filename})") from None

    async def list(self, dataset: str, split: str | None = None) -> list[ImageInfo]:
        from ydc_cli.persistence.location import UrlPath

        return [ImageInfo(row.filename, row.split, UrlPath(row.path), size_bytes=row.size_bytes,
                          has_labels=row.has_labels) for row in await self.list_rows(dataset, split)]

    async def list_rows(self, dataset: str, split: str | None = None, *, sizes: bool = True) -> list[ImageRow]:
        validate_dataset_name(dataset)
        if split is not None:
            datayaml.check_split(split)
        base = f"{self._db.location.url}/{dataset}/images"
        with self._db.errors(), gc_paused():  # 100,000 row tuples: no collector passes meanwhile
            dataset_id = self._db.dataset_id(dataset)
            rows: list[ImageRow] = []
            for current in datayaml.SPLITS if split is None else (split,):
                rows += [ImageRow(filename, current, f"{base}/{current}/{filename}", size if sizes else None,
                                  labels != "none", labels) for filename, size, labels in self._db.conn.execute(
                    "SELECT i.filename, i.size_bytes, CASE WHEN l.id IS NULL THEN 'none'"
                    " WHEN cardinality(l.class_ids) > 0 THEN 'boxes' ELSE 'background' END FROM images i"
                    " LEFT JOIN labels l ON l.dataset_id = i.dataset_id AND l.split = i.split AND l.stem = i.stem"
                    " WHERE i.dataset_id = %s AND i.split = %s ORDER BY i.filename", (dataset_id, current))]
            return rows

    async def exists(self, dataset: str, split: str, filename: str) -> bool:
        _check(dataset, split, filename)
        with self._db.errors():
            return self._db.conn.execute(
                "SELECT 1 FROM datasets s JOIN images i ON i.dataset_id = s.id"
                " WHERE s.name = %s AND i.split = %s AND i.filename = %s", (dataset, split, filename),
            ).fetchone() is not None

    async def count(self, dataset: str) -> dict[str, int]:
        validate_dataset_name(dataset)
        with self._db.errors():
            return split_counts(self._db.conn, self._db.dataset_id(dataset))


def _check(dataset: str, split: str, filename: str) -> None:
    validate_dataset_name(dataset)
    datayaml.check_split(split)
    validate_filename(filename)
