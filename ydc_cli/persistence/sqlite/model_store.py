"""SQLite ModelStore: the registry as rows, weights files in ``models_dir``."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from ydc_cli.domain.errors import ConflictError, NotFoundError
from ydc_cli.domain.names import validate_model_name
from ydc_cli.persistence.model_store import ModelStore
from ydc_cli.persistence.models import ModelInfo
from ydc_cli.persistence.sqlite._db import SqliteDatabase
from ydc_cli.persistence.weights import install_weights, remove_weights, require_weights

_COLUMNS = "name, path, base_model, dataset_name, created_at, epochs_completed, best_map50, is_active, sha256"


class SqliteModelStore(ModelStore):
    """The model registry in the ``models`` table; the write transaction is its lock."""

    def __init__(self, db_path: Path, models_dir: Path, *, database: SqliteDatabase | None = None) -> None:
        self._sql = database or SqliteDatabase(db_path)
        self.models_dir = Path(models_dir).absolute()

    async def save(
        self,
        name: str,
        weights_path: Path,
        base_model: str = "",
        dataset_name: str = "",
        epochs_completed: int = 0,
        metrics: dict[str, Any] | None = None,
    ) -> ModelInfo:
        validate_model_name(name)
        source = require_weights(weights_path)
        best = (metrics or {}).get("best_map50")
        installed = False
        try:
            with self._sql.write() as conn:
                if conn.execute("SELECT 1 FROM models WHERE name = ?", (name,)).fetchone():
                    raise ConflictError(f"model already exists ({name})")
                path, sha256 = install_weights(self.models_dir, name, source)
                installed = True
                conn.execute(
                    f"INSERT INTO models ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, 0, ?)",
                    (name, str(path), base_model, dataset_name, time.time(), int(epochs_completed),
                     None if best is None else float(best), sha256),
                )
        except BaseException:
            # Rolled back (or never begun): the copied weights must go too, unless the row made it.
            if installed and not self._registered(name):
                remove_weights(self.models_dir, name)
            raise
        info = await self.get(name)
        assert info is not None
        return info

    def _registered(self, name: str) -> bool:
        try:
            with self._sql.errors():
                return self._sql.conn.execute("SELECT 1 FROM models WHERE name = ?", (name,)).fetchone() is not None
        except Exception:
            return True  # cannot tell: keep the weights (an orphan folder is harmless, a missing one is not)

    async def load(self, name: str) -> Path:
        info = await self.get(name)
        if info is None:
            raise NotFoundError(f"no such model ({name})")
        if not info.path.is_file():
            raise NotFoundError(f"weights of model are missing ({info.path})")
        return info.path

    async def list(self) -> list[ModelInfo]:
        with self._sql.errors():
            rows = self._sql.conn.execute(f"SELECT {_COLUMNS} FROM models ORDER BY name").fetchall()
        return [_info(row) for row in rows]

    async def get(self, name: str) -> ModelInfo | None:
        validate_model_name(name)
        with self._sql.errors():
            row = self._sql.conn.execute(f"SELECT {_COLUMNS} FROM models WHERE name = ?", (name,)).fetchone()
        return None if row is None else _info(row)

    async def delete(self, name: str) -> bool:
        validate_model_name(name)
        with self._sql.write() as conn:
            if conn.execute("DELETE FROM models WHERE name = ?", (name,)).rowcount == 0:
                return False
        remove_weights(self.models_dir, name)
        return True

    async def set_active(self, name: str) -> None:
        validate_model_name(name)
        with self._sql.write() as conn:
            if not conn.execute("SELECT 1 FROM models WHERE name = ?", (name,)).fetchone():
                raise NotFoundError(f"no such model ({name})")
            conn.execute("UPDATE models SET is_active = (name = ?)", (name,))

    async def rename_dataset(self, old: str, new: str) -> list[str]:
        with self._sql.write() as conn:
            moved = [row[0] for row in conn.execute(
                "SELECT name FROM models WHERE dataset_name = ? ORDER BY name", (old,))]
            conn.execute("UPDATE models SET dataset_name = ? WHERE dataset_name = ?", (new, old))
        return moved

    async def get_active(self) -> ModelInfo | None:
        with self._sql.errors():
            row = self._sql.conn.execute(
                f"SELECT {_COLUMNS} FROM models WHERE is_active ORDER BY name LIMIT 1").fetchone()
        return None if row is None else _info(row)


def _info(row: tuple) -> ModelInfo:
    name, path, base_model, dataset_name, created_at, epochs, best, active, sha256 = row
    return ModelInfo(name, Path(path), base_model or "", dataset_name or "", created_at, epochs or 0,
                     best, bool(active), sha256 or "")
