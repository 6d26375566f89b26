"""Managed weights files: ``<models_dir>/<name>/best.pt``, for every backend.

The filesystem and SQLite backends keep their models there; the s3 backend keeps
weights as blobs and its local copies there.

Weights are copied as bytes (never unpickled) through a staging folder, so a
model's folder appears complete or not at all.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from ydc_cli.domain.checkpoint import check_checkpoint
from ydc_cli.domain.errors import ConflictError, NotFoundError
from ydc_cli.persistence import fileio

WEIGHTS_NAME = "best.pt"
_CHUNK = 1 << 20


def weights_path(models_dir: Path, name: str) -> Path:
    """Where a registered model's weights live."""
    return models_dir / name / WEIGHTS_NAME


def require_weights(source: Path) -> Path:
    """Return ``source`` when it is a readable PyTorch checkpoint (checked from outside, never unpickled).

    Raises:
        NotFoundError: it is missing or a folder.
        InvalidCheckpointError: it is not what ``torch.save`` writes (see ``domain/checkpoint.py``).
    """
    source = Path(source)
    if not source.is_file():
        raise NotFoundError(f"weights file not found ({source})")
    with fileio.storage_errors(source), open(source, "rb") as file:
        check_checkpoint(file, str(source))
    return source


def install_weights(models_dir: Path, name: str, source: Path) -> tuple[Path, str]:
    """Copy ``source`` to ``<models_dir>/<name>/best.pt``; returns the path and the sha256.

    A leftover folder of that name (a crash between the copy and the registry
    write) is replaced. The caller holds the registry lock.
    """
    with fileio.storage_errors(models_dir):
        models_dir.mkdir(parents=True, exist_ok=True)
        with fileio.staging_dir(models_dir) as stage:
            import hashlib  # only when a model file is stored: not a start-up cost of every command

            digest = hashlib.sha256()
            staged = stage / WEIGHTS_NAME
            with open(source, "rb") as reader, open(staged, "xb") as writer:
                while chunk := reader.read(_CHUNK):
                    digest.update(chunk)
                    writer.write(chunk)
                writer.flush()
                os.fsync(writer.fileno())
            fileio.fsync_dir(stage)
            target = models_dir / name
            if target.exists():
                fileio.remove_tree(target)
            try:
                os.rename(stage, target)
            except OSError as exc:
                if target.exists():
                    raise ConflictError(f"model already exists ({name})") from exc
                raise
            fileio.fsync_dir(models_dir)
    return target / WEIGHTS_NAME, digest.hexdigest()


def remove_weights(models_dir: Path, name: str) -> None:
    """Delete a model's folder, if it is there."""
    target = models_dir / name
    if target.is_dir():
        fileio.remove_tree(target)
    else:
        shutil.rmtree(target, ignore_errors=True)
