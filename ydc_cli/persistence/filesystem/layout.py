"""Where things live in a filesystem data folder, and its crash recovery.

::

    <base>/<dataset>/data.yaml                 what `yolo train data=...` reads
    <base>/<dataset>/prompts.yaml              {class_id: [prompt, ...]}
    <base>/<dataset>/images/<split>/<file>
    <base>/<dataset>/labels/<split>/<stem>.txt
    <base>/<dataset>/.ydc.json                 ydc's own metadata (created_at)
    <base>/<dataset>/.ydc.lock                 writers of this dataset hold it
    <base>/<dataset>/.ydc-counts.json          remembered class ids per label file (label_counts; a cache)

Multi-file changes go through ``journal``: staged in ``<dataset>/.ydc-staging-*``,
marked committed once every byte is on disk, then applied by renames. A writer
killed before the marker leaves a staging folder that is swept; one killed
after it is rolled forward by the next command.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
from pathlib import Path
from typing import TYPE_CHECKING

from ydc_cli.domain import datayaml
from ydc_cli.domain.errors import InvalidNameError, NotFoundError
from ydc_cli.domain.names import validate_dataset_name, validate_filename
from ydc_cli.persistence import fileio
from ydc_cli.persistence.filesystem import journal
from ydc_cli.persistence.yamlio import parse_yaml

if TYPE_CHECKING:
    from ydc_cli.domain.tasks import Task

META_FILE = ".ydc.json"
LOCK_FILE = ".ydc.lock"

_LOCKS: dict[Path, fileio.FileLock] = {}


class Layout:
    """Paths inside one filesystem data folder, checked to stay inside it."""

    def __init__(self, base_path: Path) -> None:
        self.base = Path(base_path).absolute()
        self._resolved_base = self.base.resolve()

    def dataset_dir(self, name: str) -> Path:
        """The folder of dataset ``name`` (which may not exist)."""
        validate_dataset_name(name)
        path = self.base / name
        if not path.resolve().is_relative_to(self._resolved_base):
            raise InvalidNameError(f"dataset path escapes the data folder ({name})")
        return path

    def existing(self, name: str) -> Path:
        """The folder of an existing dataset, recovered from any crashed write.

        Raises:
            NotFoundError: there is no such dataset.
        """
        path = self.dataset_dir(name)
        if not (path / "data.yaml").is_file():
            raise NotFoundError(f"no such dataset ({name})")
        recover(path, wait=False)
        return path

    def image_path(self, dataset_dir: Path, split: str, filename: str) -> Path:
        datayaml.check_split(split)
        validate_filename(filename)
        return dataset_dir / "images" / split / filename

    def label_path(self, dataset_dir: Path, split: str, filename: str) -> Path:
        datayaml.check_split(split)
        validate_filename(filename)
        return dataset_dir / "labels" / split / datayaml.label_name_for(filename)


def lock_for(dataset_dir: Path) -> fileio.FileLock:
    """The process-wide lock object of a dataset (re-entrant within the process)."""
    key = dataset_dir / LOCK_FILE
    lock = _LOCKS.get(key)
    if lock is None:
        lock = _LOCKS[key] = fileio.FileLock(key)
    return lock


def read_classes(dataset_dir: Path) -> list[str]:
    """The class list from the dataset's data.yaml."""
    source = dataset_dir / "data.yaml"
    return datayaml.classes_from(parse_yaml(source.read_bytes(), str(source), literal=True), str(source))


def read_task(dataset_dir: Path) -> Task:
    """The dataset's task from its data.yaml (``task``, ``kpt_shape``); detect when it names none."""
    return read_meta(dataset_dir)[1]


def read_meta(dataset_dir: Path) -> tuple[list[str], Task]:
    """The class list and the task from one read of the dataset's data.yaml."""
    from ydc_cli.domain import tasks

    source = dataset_dir / "data.yaml"
    data = parse_yaml(source.read_bytes(), str(source), literal=True)
    return datayaml.classes_from(data, str(source)), tasks.from_yaml(data, str(source)) or tasks.DETECT


def read_created_at(dataset_dir: Path) -> float:
    """When the dataset was created: ydc's metadata, else data.yaml's age."""
    with contextlib.suppress(OSError, ValueError, TypeError, AttributeError):
        return float(json.loads((dataset_dir / META_FILE).read_text())["created_at"])
    try:
        return (dataset_dir / "data.yaml").stat().st_mtime
    except OSError:
        return 0.0


def image_names(folder: Path) -> list[str]:
    """Sorted image file names in a split folder (ydc's own entries excluded)."""
    try:
        with os.scandir(folder) as entries:
            return sorted(
                e.name for e in entries
                if datayaml.is_image_name(e.name) and not fileio.is_internal(e.name) and e.is_file()
            )
    except FileNotFoundError:
        return []


def image_count(folder: Path) -> int:
    """How many images ``image_names`` would give, counted without sorting: plain strings, one listing."""
    suffixes = datayaml.IMAGE_SUFFIXES
    internal = fileio.INTERNAL_PREFIX
    try:
        with os.scandir(folder) as entries:
            return sum(1 for e in entries
                       if e.name.lower().endswith(suffixes) and not e.name.startswith(internal) and e.is_file())
    except (FileNotFoundError, NotADirectoryError):
        return 0


def label_names(folder: Path) -> set[str]:
    """Label file names in a split folder."""
    try:
        with os.scandir(folder) as entries:
            return {e.name for e in entries if e.name.endswith(".txt") and not fileio.is_internal(e.name)}
    except FileNotFoundError:
        return set()


def recover(dataset_dir: Path, *, wait: bool = True) -> None:
    """Finish or sweep batch writes that a killed process left in ``dataset_dir``.

    Cheap when there is nothing to do (one listing of the dataset folder).
    With ``wait=False`` (readers) it skips recovery while a live writer holds
    the lock: that writer recovers before it writes.
    """
    try:
        with os.scandir(dataset_dir) as entries:
            stages = [Path(e.path) for e in entries if e.name.startswith(fileio.STAGING_PREFIX)]
    except OSError:
        return
    if not stages:
        return
    lock = lock_for(dataset_dir)
    if wait:
        lock.acquire(lock.timeout)
    elif not lock.try_acquire():
        return
    try:
        for stage in stages:
            # Writers hold the dataset lock while their staging folder exists,
            # so under it a folder whose own lock is free belongs to a dead writer.
            if not fileio.owner_is_gone(stage, min_age=0):
                continue
            if (stage / journal.COMMIT_MARKER).exists():
                journal.apply(stage, dataset_dir)
            shutil.rmtree(stage, ignore_errors=True)
    finally:
        lock.release()
