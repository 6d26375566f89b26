"""Filesystem ModelStore: ``registry.json`` beside one folder of weights per model."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from ydc_cli.domain.errors import ConflictError, NotFoundError, StorageError
from ydc_cli.domain.names import validate_model_name
from ydc_cli.persistence import fileio
from ydc_cli.persistence.model_store import ModelStore
from ydc_cli.persistence.models import ModelInfo
from ydc_cli.persistence.weights import install_weights, remove_weights, require_weights, weights_path

REGISTRY = "registry.json"


class FilesystemModelStore(ModelStore):
    """The model registry as JSON, read-modify-written under ``registry.json.lock``."""

    def __init__(self, base_path: Path) -> None:
        self.base_path = Path(base_path).absolute()
        self._lock = fileio.FileLock(self.base_path / (REGISTRY + ".lock"))

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
        with fileio.storage_errors(self.base_path):
            self.base_path.mkdir(parents=True, exist_ok=True)
        with self._lock:
            registry = self._read()
            if name in registry:
                raise ConflictError(f"model already exists ({name})")
            path, sha256 = install_weights(self.base_path, name, source)
            registry[name] = {
                "path": str(path),
                "base_model": base_model,
                "dataset_name": dataset_name,
                "created_at": time.time(),
                "epochs_completed": int(epochs_completed),
                "best_map50": None if best is None else float(best),
                "is_active": False,
                "sha256": sha256,
            }
            try:
                self._write(registry)
            except BaseException:
                remove_weights(self.base_path, name)
                raise
        return _info(name, registry[name], self.base_path)

    async def load(self, name: str) -> Path:
        info = await self.get(name)
        if info is None:
            raise NotFoundError(f"no such model ({name})")
        if not info.path.is_file():
            raise NotFoundError(f"weights of model are missing ({info.path})")
        return info.path

    async def list(self) -> list[ModelInfo]:
        registry = self._read()
        return [_info(name, registry[name], self.base_path) for name in sorted(registry)]

    async def get(self, name: str) -> ModelInfo | None:
        validate_model_name(name)
        entry = self._read().get(name)
        return None if entry is None else _info(name, entry, self.base_path)

    async def delete(self, name: str) -> bool:
        validate_model_name(name)
        if not self._has_registry():
            return False  # a data folder that never held a model: nothing to lock, nothing to delete
        with self._lock:
            registry = self._read()
            if name not in registry:
                return False
            del registry[name]
            self._write(registry)
            remove_weights(self.base_path, name)
        return True

    async def set_active(self, name: str) -> None:
        validate_model_name(name)
        if not self._has_registry():
            raise NotFoundError(f"no such model ({name})")
        with self._lock:
            registry = self._read()
            if name not in registry:
                raise NotFoundError(f"no such model ({name})")
            for key, entry in registry.items():
                entry["is_active"] = key == name
            self._write(registry)

    async def rename_dataset(self, old: str, new: str) -> list[str]:
        if not self._has_registry():
            return []
        with self._lock:
            registry = self._read()
            moved = sorted(name for name, entry in registry.items() if entry.get("dataset_name") == old)
            if moved:
                for name in moved:
                    registry[name]["dataset_name"] = new
                self._write(registry)
        return moved

    async def get_active(self) -> ModelInfo | None:
        registry = self._read()
        for name in sorted(registry):
            if registry[name].get("is_active"):
                return _info(name, registry[name], self.base_path)
        return None

    def _has_registry(self) -> bool:
        return (self.base_path / REGISTRY).is_file()

    def _read(self) -> dict[str, dict[str, Any]]:
        source = self.base_path / REGISTRY
        try:
            text = source.read_text(encoding="utf-8")
        except FileNotFoundError:
            return {}
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise StorageError(f"model registry is corrupt: {exc.msg} at line {exc.lineno} ({source})") from None
        if not isinstance(data, dict) or not all(isinstance(v, dict) for v in data.values()):
            raise StorageError(f"model registry is not a mapping of models ({source})")
        return data

    def _write(self, registry: dict[str, dict[str, Any]]) -> None:
        text = json.dumps(registry, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
        fileio.atomic_write(self.base_path / REGISTRY, text.encode("utf-8"), commit=True)


def _info(name: str, entry: dict[str, Any], base_path: Path) -> ModelInfo:
    best = entry.get("best_map50")
    path = Path(entry["path"]) if entry.get("path") else weights_path(base_path, name)
    return ModelInfo(
        name=name,
        path=path if path.is_absolute() else base_path / path,
        base_model=str(entry.get("base_model") or ""),
        dataset_name=str(entry.get("dataset_name") or ""),
        created_at=float(entry.get("created_at") or 0.0),
        epochs_completed=int(entry.get("epochs_completed") or 0),
        best_map50=None if best is None else float(best),
        is_active=bool(entry.get("is_active")),
        sha256=str(entry.get("sha256") or ""),
    )
