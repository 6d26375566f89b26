"""s3 ModelStore: the registry as PostgreSQL rows, weights as blobs, a local copy downloaded on use.

``load`` returns a local file (ultralytics reads weights from disk): the blob is
downloaded once into ``<work dir>/models/<name>/best.pt`` and checked against the
registered sha256, so a stale or damaged copy is replaced. Training records are
a ``jsonb`` column, updated under the row's lock.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ydc_cli.domain.errors import ConflictError, NotFoundError
from ydc_cli.domain.names import validate_model_name
from ydc_cli.persistence import fileio
from ydc_cli.persistence.model_store import ModelStore
from ydc_cli.persistence.models import ModelInfo
from ydc_cli.persistence.s3._rows import mark_uploaded, register_blobs
from ydc_cli.persistence.weights import WEIGHTS_NAME, require_weights

if TYPE_CHECKING:
    from ydc_cli.persistence.s3._blobs import BlobStore
    from ydc_cli.persistence.s3._db import PgDatabase

_COLUMNS = "name, sha256, base_model, dataset_name, created_at, epochs_completed, best_map50, is_active"
_CHUNK = 1 << 20


class S3ModelStore(ModelStore):
    """Models in the ``models`` table; the weights are blobs, cached under ``cache_dir``."""

    def __init__(self, database: PgDatabase, blobs: BlobStore, cache_dir: Path) -> None:
        self._db = database
        self._blobs = blobs
        self.cache_dir = Path(cache_dir).absolute()

    async def save(
        self,
        name: str,
        weights_path: Path,
        base_model: str = "",
        dataset_name: str = "",
        epochs_completed: int = 0,
        metrics: dict[str, Any] | None = None,
    ) -> ModelInfo:
        import psycopg

        validate_model_name(name)
        source = require_weights(weights_path)
        best = (metrics or {}).get("best_map50")
        with self._db.errors():
            if self._db.conn.execute("SELECT 1 FROM models WHERE name = %s", (name,)).fetchone():
                raise ConflictError(f"model already exists ({name})")
        with fileio.storage_errors(source):
            data = source.read_bytes()
        digest = hashlib.sha256(data).hexdigest()
        with self._db.blob_writer():
            with self._db.errors():
                missing = register_blobs(self._db.conn, {digest: len(data)})
            if missing:
                await self._blobs.put(digest, data)
            try:
                with self._db.write() as conn:
                    mark_uploaded(conn, [digest])
                    conn.execute(
                        f"INSERT INTO models ({_COLUMNS}) VALUES (%s, %s, %s, %s, %s, %s, %s, false)",
                        (name, digest, base_model, dataset_name, time.time(), int(epochs_completed),
                         None if best is None else float(best)))
            except psycopg.errors.UniqueViolation:
                raise ConflictError(f"model already exists ({name})") from None
        info = await self.get(name)
        assert info is not None
        self._keep_local(info.path, data)
        return info

    @staticmethod
    def _keep_local(target: Path, data: bytes) -> None:
        """The local copy ``load`` returns (a cache: the bucket holds the weights)."""
        with fileio.storage_errors(target.parent):
            target.parent.mkdir(parents=True, exist_ok=True)
            fileio.atomic_write(target, data)

    async def load(self, name: str) -> Path:
        info = await self.get(name)
        if info is None:
            raise NotFoundError(f"no such model ({name})")
        target = info.path
        if target.is_file() and _digest(target)[0] == info.sha256:
            return target
        data = await self._blobs.get(info.sha256)
        if hashlib.sha256(data).hexdigest() != info.sha256:
            raise NotFoundError(f"weights of model are damaged in the bucket ({name})")
        self._keep_local(target, data)
        return target

    async def list(self) -> list[ModelInfo]:
        with self._db.errors():
            rows = self._db.conn.execute(f"SELECT {_COLUMNS} FROM models ORDER BY name COLLATE \"C\"").fetchall()
        return [self._info(row) for row in rows]

    async def get(self, name: str) -> ModelInfo | None:
        validate_model_name(name)
        with self._db.errors():
            row = self._db.conn.execute(f"SELECT {_COLUMNS} FROM models WHERE name = %s", (name,)).fetchone()
        return None if row is None else self._info(row)

    async def delete(self, name: str) -> bool:
        validate_model_name(name)
        with self._db.write() as conn:
            if conn.execute("DELETE FROM models WHERE name = %s", (name,)).rowcount == 0:
                return False
        fileio.remove_file(self.cache_dir / name / WEIGHTS_NAME)
        return True

    async def set_active(self, name: str) -> None:
        validate_model_name(name)
        with self._db.write() as conn:
            if not conn.execute("SELECT 1 FROM models WHERE name = %s FOR UPDATE", (name,)).fetchone():
                raise NotFoundError(f"no such model ({name})")
            conn.execute("UPDATE models SET is_active = (name = %s) WHERE is_active OR name = %s", (name, name))

    async def get_active(self) -> ModelInfo | None:
        with self._db.errors():
            row = self._db.conn.execute(
                f"SELECT {_COLUMNS} FROM models WHERE is_active ORDER BY name LIMIT 1").fetchone()
        return None if row is None else self._info(row)

    async def rename_dataset(self, old: str, new: str) -> list[str]:
        with self._db.write() as conn:
            return sorted(row[0] for row in conn.execute(
                "UPDATE models SET dataset_name = %s WHERE dataset_name = %s RETURNING name", (new, old)))

    # -- training records: a jsonb column, not a file beside the weights --------

    async def save_training_record(self, name: str, record: dict[str, Any]) -> Path:
        from ydc_cli.persistence.location import UrlPath

        validate_model_name(name)
        text = json.dumps(record, sort_keys=True)
        with self._db.write() as conn:
            if conn.execute("UPDATE models SET training = %s::jsonb WHERE name = %s", (text, name)).rowcount == 0:
                raise NotFoundError(f"no such model ({name})")
        return UrlPath(f"{self._db.location.url}/models/{name}/training.json")

    async def update_training_record(self, name: str, change: Callable[[dict[str, Any]], dict[str, Any]]
                                     ) -> dict[str, Any]:
        validate_model_name(name)
        with self._db.write() as conn:
            row = conn.execute("SELECT training FROM models WHERE name = %s FOR UPDATE", (name,)).fetchone()
            if row is None:
                raise NotFoundError(f"no such model ({name})")
            record = change(row[0] or {})
            conn.execute("UPDATE models SET training = %s::jsonb WHERE name = %s",
                         (json.dumps(record, sort_keys=True), name))
        return record

    async def get_training_record(self, name: str) -> dict[str, Any] | None:
        validate_model_name(name)
        with self._db.errors():
            row = self._db.conn.execute("SELECT training FROM models WHERE name = %s", (name,)).fetchone()
        return None if row is None or not isinstance(row[0], dict) else row[0]

    async def export_zip(self, name: str, output_dir: Path) -> Path:
        await self.load(name)  # the zip is written from the local copy
        return await super().export_zip(name, output_dir)

    def _info(self, row: tuple) -> ModelInfo:
        name, sha256, base_model, dataset_name, created_at, epochs, best, active = row
        return ModelInfo(name, self.cache_dir / name / WEIGHTS_NAME, base_model or "", dataset_name or "",
                         created_at, epochs or 0, best, bool(active), sha256)


def _digest(path: Path) -> tuple[str, int]:
    digest = hashlib.sha256()
    size = 0
    with fileio.storage_errors(path), open(path, "rb") as file:
        while chunk := file.read(_CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size
