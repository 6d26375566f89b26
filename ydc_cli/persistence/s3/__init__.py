"""The s3 backend: image bytes and weights in an S3-compatible bucket, every row in PostgreSQL.

A store is ``s3://BUCKET/PREFIX`` (``--data-dir``) with its rows in the
database of ``YDC_DATABASE_URL``. Blobs are immutable and content-addressed
(``PREFIX/blobs/sha256/ab/abcdef...``), shared across datasets and splits, so
moves and renames touch only rows; an import uploads what the store lacks, then
commits every row in one transaction, so readers, who find images through the
rows, never see half of one. What a crash can leave is blobs no row references,
which ``ydc store gc`` collects after a grace period. Importing this package
loads neither obstore nor psycopg: they load when the store is first used.
"""

from __future__ import annotations

import functools
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from ydc_cli.persistence.s3._blobs import BlobStore
from ydc_cli.persistence.s3._db import PgDatabase, database_url
from ydc_cli.persistence.s3.dataset_store import S3DatasetStore
from ydc_cli.persistence.s3.image_store import S3ImageStore
from ydc_cli.persistence.s3.label_store import S3LabelStore
from ydc_cli.persistence.s3.model_store import S3ModelStore
from ydc_cli.persistence.stores import Stores

if TYPE_CHECKING:
    from ydc_cli.persistence.location import Location

__all__ = ["S3DatasetStore", "S3ImageStore", "S3LabelStore", "S3ModelStore", "collect_garbage", "open_stores",
           "store_exists"]


def open_stores(location: Location) -> Stores:
    """The registry's factory: the stores of ``s3://BUCKET/PREFIX``, rows from ``YDC_DATABASE_URL``."""
    database = PgDatabase(database_url(), location)
    blobs = BlobStore(location)
    return Stores(
        dataset=S3DatasetStore(database, blobs),
        image=S3ImageStore(database, blobs),
        label=S3LabelStore(database),
        model=S3ModelStore(database, blobs, location.work_dir() / "models"),
        closer=database.close,
        collect_garbage=functools.partial(collect_garbage, database, blobs),
    )


def store_exists(location: Location) -> bool:
    """Whether the database holds this store's tables (asked without creating them: shell completion)."""
    import psycopg

    try:
        with psycopg.connect(database_url(), autocommit=True, connect_timeout=3) as conn:
            if conn.execute("SELECT to_regclass('ydc_meta')").fetchone()[0] is None:
                return False
            row = conn.execute("SELECT value FROM ydc_meta WHERE key = 'location'").fetchone()
            return row is not None and row[0] == location.url
    except Exception:
        return False


@dataclass
class Collection:
    """What ``store gc`` found: blobs nothing references, older than the grace period."""

    blobs: int = 0
    bytes: int = 0
    kept_fresh: int = 0  # unreferenced but inside the grace period
    deleted: bool = False


async def collect_garbage(db: PgDatabase, blobs: BlobStore, grace_seconds: float, *, dry_run: bool = False
                          ) -> Collection:
    """List (and unless ``dry_run``, delete) blobs no image or model row references.

    Candidates are rows of ``blobs`` that nothing references and objects under
    ``blobs/`` that have no row at all (an upload whose import never committed),
    each older than ``grace_seconds``. Writers hold a shared lock while their fresh
    blobs are unreferenced; this takes it alone, so nothing an import is about to
    reference is ever taken, and an image row can never name a deleted blob (its
    foreign key refuses the row's deletion while referenced).

    Raises:
        StorageBusyError: imports held the blob lock longer than the lock timeout.
    """
    cutoff = time.time() - grace_seconds
    found = Collection()
    with db.blob_collector():
        with db.errors():
            rows = db.conn.execute(
                "SELECT b.sha256, b.size_bytes, b.touched_at FROM blobs b WHERE NOT EXISTS"
                " (SELECT 1 FROM images i WHERE i.sha256 = b.sha256)"
                " AND NOT EXISTS (SELECT 1 FROM models m WHERE m.sha256 = b.sha256)").fetchall()
            known = {row[0] for row in db.conn.execute("SELECT sha256 FROM blobs")}
        doomed: dict[str, int] = {}
        for sha256, size, touched_at in rows:
            if touched_at < cutoff:
                doomed[sha256] = size
            else:
                found.kept_fresh += 1
        for sha256, size, modified in blobs.listing():
            if sha256 in known:
                continue
            if modified.astimezone(UTC) < datetime.fromtimestamp(cutoff, UTC):
                doomed[sha256] = size
            else:
                found.kept_fresh += 1
        found.blobs, found.bytes = len(doomed), sum(doomed.values())
        if dry_run or not doomed:
            return found
        with db.write() as conn:
            # A referenced blob cannot go: the foreign keys refuse it, and this statement skips them.
            conn.execute(
                "DELETE FROM blobs b WHERE b.sha256 = ANY(%s) AND NOT EXISTS"
                " (SELECT 1 FROM images i WHERE i.sha256 = b.sha256)"
                " AND NOT EXISTS (SELECT 1 FROM models m WHERE m.sha256 = b.sha256)", (list(doomed),))
        await blobs.delete(doomed)
        found.deleted = True
    return found
