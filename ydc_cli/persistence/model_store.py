"""The ModelStore contract: the registry of trained weights."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ydc_cli.persistence.models import ModelInfo

TRAINING_RECORD = "training.json"


class ModelStore(ABC):
    """Registers weights files under a name and tracks the one active model.

    Weights are copied into managed storage as bytes; they are never
    unpickled by the store.
    """

    @abstractmethod
    async def save(
        self,
        name: str,
        weights_path: Path,
        base_model: str = "",
        dataset_name: str = "",
        epochs_completed: int = 0,
        metrics: dict[str, Any] | None = None,
    ) -> ModelInfo:
        """Copy the weights in and register them; ``best_map50`` comes from ``metrics``.

        Raises:
            ValueError: the name exists (``ConflictError``) or is invalid.
            FileNotFoundError: the weights file is missing.
        """

    @abstractmethod
    async def load(self, name: str) -> Path:
        """The path of the model's weights.

        Raises:
            FileNotFoundError: no such model.
        """

    @abstractmethod
    async def list(self) -> list[ModelInfo]:
        """All models, sorted by name."""

    @abstractmethod
    async def get(self, name: str) -> ModelInfo | None:
        """The model, or ``None``."""

    @abstractmethod
    async def delete(self, name: str) -> bool:
        """Delete the model and its weights; ``True`` if it existed."""

    @abstractmethod
    async def set_active(self, name: str) -> None:
        """Make this the one active model.

        Raises:
            FileNotFoundError: no such model.
        """

    @abstractmethod
    async def get_active(self) -> ModelInfo | None:
        """The active model, or ``None``."""

    @abstractmethod
    async def rename_dataset(self, old: str, new: str) -> list[str]:
        """Point every model registered with ``dataset_name == old`` at ``new``; returns their names, sorted."""

    async def save_training_record(self, name: str, record: dict[str, Any]) -> Path:
        """Store a training run's configuration and per-epoch metrics beside the weights.

        Raises:
            FileNotFoundError: no such model.
        """
        import json

        from ydc_cli.persistence.fileio import atomic_write

        target = (await self.load(name)).parent / TRAINING_RECORD
        atomic_write(target, (json.dumps(record, indent=2, sort_keys=True) + "\n").encode("utf-8"), commit=True)
        return target

    async def update_training_record(self, name: str, change: Callable[[dict[str, Any]], dict[str, Any]]
                                     ) -> dict[str, Any]:
        """Read the record (``{}`` when there is none), apply ``change`` and store the result, under a lock
        held on ``training.json.lock`` beside it: two processes adding to one record lose nothing.

        Raises:
            FileNotFoundError: no such model.
        """
        from ydc_cli.persistence.fileio import FileLock

        folder = (await self.load(name)).parent
        with FileLock(folder / (TRAINING_RECORD + ".lock")):
            record = change(await self.get_training_record(name) or {})
            await self.save_training_record(name, record)
        return record

    async def get_training_record(self, name: str) -> dict[str, Any] | None:
        """The stored training record of a model, or None when it was not trained by ydc."""
        import json

        try:
            path = (await self.load(name)).parent / TRAINING_RECORD
            return json.loads(path.read_text(encoding="utf-8"))
        except (FileNotFoundError, json.JSONDecodeError):
            return None

    async def export_zip(self, name: str, output_dir: Path) -> Path:
        """Write ``<output_dir>/<name>.zip`` holding ``best.pt`` and ``model_meta.json`` (with the
        training record, so an import elsewhere keeps the model's history).

        Raises:
            FileNotFoundError: no such model.
        """
        from ydc_cli.persistence.archive import write_model_zip

        info = await self.get(name)
        if info is None:
            from ydc_cli.domain.errors import NotFoundError

            raise NotFoundError(f"no such model ({name})")
        return write_model_zip(info, Path(output_dir), await self.get_training_record(name))

    async def import_zip(self, zip_path: Path, name: str | None = None) -> ModelInfo:
        """Register the weights from a model zip, with the training record it carries; the name
        defaults to the zip's stem.

        Raises:
            ValueError: the name exists (``ConflictError``) or the archive is unsafe.
            FileNotFoundError: the zip, or weights inside it, are missing.
        """
        from ydc_cli.persistence.archive import read_model_zip

        zip_path = Path(zip_path)
        with read_model_zip(zip_path) as (weights, meta):
            metrics = {"best_map50": meta.get("best_map50")}
            info = await self.save(
                name if name is not None else zip_path.stem,
                weights,
                base_model=str(meta.get("base_model", "")),
                dataset_name=str(meta.get("dataset_name", "")),
                epochs_completed=int(meta.get("epochs_completed", 0) or 0),
                metrics=metrics,
            )
        if isinstance(meta.get("training"), dict):
            await self.save_training_record(info.name, meta["training"])
        return info
