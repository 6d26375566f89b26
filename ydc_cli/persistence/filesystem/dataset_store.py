"""Filesystem DatasetStore: one YOLO folder per dataset."""

from __future__ import annotations

import contextlib
import json
import os
import time
from collections.abc import AsyncIterator, Iterable
from pathlib import Path

from ydc_cli.domain import datayaml
from ydc_cli.domain.errors import ConflictError, NotFoundError
from ydc_cli.domain.labels import format_text, parse_text
from ydc_cli.domain.names import validate_classes
from ydc_cli.persistence import fileio
from ydc_cli.persistence.dataset_store import DatasetStore
from ydc_cli.persistence.filesystem.layout import (
    COMMIT_MARKER,
    META_FILE,
    Layout,
    image_names,
    label_names,
    lock_for,
    read_classes,
    read_created_at,
    recover,
    roll_forward,
)
from ydc_cli.persistence.models import DatasetInfo, ImageInfo, Sample
from ydc_cli.persistence.samples import check_sample, to_annotations
from ydc_cli.persistence.yamlio import dump_yaml, parse_prompts, parse_yaml


class FilesystemDatasetStore(DatasetStore):
    """Datasets as folders in ``base_path`` that ``yolo train data=...`` reads as they are."""

    def __init__(self, base_path: Path) -> None:
        self._layout = Layout(base_path)
        self.base_path = self._layout.base

    # -- the seed's contract ------------------------------------------------

    async def create(self, name: str, classes: list[str]) -> DatasetInfo:
        return await self.create_with_samples(name, classes, ())

    async def list(self) -> list[DatasetInfo]:
        fileio.sweep_leftovers(self.base_path)
        try:
            with os.scandir(self.base_path) as entries:
                names = sorted(e.name for e in entries if not fileio.is_internal(e.name) and e.is_dir())
        except FileNotFoundError:
            return []
        infos = []
        for name in names:
            with contextlib.suppress(ValueError):
                info = await self.get(name)
                if info is not None:
                    infos.append(info)
        return infos

    async def get(self, name: str) -> DatasetInfo | None:
        try:
            path = self._layout.existing(name)
        except NotFoundError:
            return None
        counts = {split: len(image_names(path / "images" / split)) for split in datayaml.SPLITS}
        return DatasetInfo(
            name=name,
            path=path,
            classes=read_classes(path),
            num_images=counts,
            created_at=read_created_at(path),
            modified_at=_modified_at(path),
        )

    async def delete(self, name: str) -> bool:
        try:
            path = self._layout.existing(name)
        except NotFoundError:
            return False
        with lock_for(path):
            fileio.remove_tree(path)
        return True

    async def update_classes(self, name: str, classes: list[str]) -> None:
        path = self._layout.existing(name)
        classes = validate_classes(classes)
        with lock_for(path):
            _write_data_yaml(path, classes)
            prompts = _read_prompts(path)
            kept = {cid: p for cid, p in prompts.items() if cid < len(classes)}
            if kept != prompts:
                _write_prompts(path, kept)

    async def get_prompts(self, name: str) -> dict[int, list[str]]:
        try:
            path = self._layout.existing(name)
        except NotFoundError:
            return {}
        return _read_prompts(path)

    async def save_prompts(self, name: str, prompts: dict[int, list[str]]) -> None:
        path = self._layout.existing(name)
        prompts = parse_prompts(prompts, "prompts")
        with lock_for(path):
            _write_prompts(path, prompts)

    # -- batch extensions -----------------------------------------------------

    async def create_with_samples(
        self,
        name: str,
        classes: list[str],
        samples: Iterable[Sample],
        prompts: dict[int, list[str]] | None = None,
    ) -> DatasetInfo:
        created_at = time.time()
        target = self._layout.dataset_dir(name)
        classes = validate_classes(classes)
        prompts = parse_prompts(prompts or {}, "prompts")
        if target.exists():
            raise ConflictError(f"dataset already exists ({name})")
        with fileio.storage_errors(self.base_path):
            self.base_path.mkdir(parents=True, exist_ok=True)
        fileio.sweep_leftovers(self.base_path)
        with fileio.staging_dir(self.base_path) as stage, fileio.storage_errors(self.base_path):
            for kind in ("images", "labels"):
                for split in datayaml.SPLITS:
                    (stage / kind / split).mkdir(parents=True)
            _write_samples(stage, target, samples, len(classes), lambda split, filename: False)
            fileio.write_new_file(stage / "data.yaml", dump_yaml(datayaml.build(str(target), classes)))
            if prompts:
                fileio.write_new_file(stage / "prompts.yaml", dump_yaml(prompts))
            fileio.write_new_file(stage / META_FILE, json.dumps({"created_at": created_at}).encode())
            for folder in _folders(stage):
                fileio.fsync_dir(folder)
            try:
                os.rename(stage, target)
            except OSError as exc:
                if target.exists():
                    raise ConflictError(f"dataset already exists ({name})") from exc
                raise
            fileio.fsync_dir(self.base_path)
        info = await self.get(name)
        assert info is not None
        return info

    async def add_samples(self, name: str, samples: Iterable[Sample]) -> list[ImageInfo]:
        path = self._layout.existing(name)
        nc = len(read_classes(path))
        with lock_for(path), fileio.storage_errors(path):
            recover(path)
            with fileio.staging_dir(path) as stage:
                def exists(split: str, filename: str) -> bool:
                    return (path / "images" / split / filename).exists()

                infos = _write_samples(stage, path, samples, nc, exists)
                fileio.write_new_file(stage / COMMIT_MARKER, b"")
                fileio.fsync_dir(stage)
                for folder in roll_forward(stage, path):
                    fileio.fsync_dir(folder)
        label_sets = {split: label_names(path / "labels" / split) for split in {i.split for i in infos}}
        for info in infos:
            info.has_labels = datayaml.label_name_for(info.filename) in label_sets[info.split]
        return infos

    async def iter_samples(self, name: str, split: str | None = None) -> AsyncIterator[Sample]:
        path = self._layout.existing(name)
        splits = datayaml.SPLITS if split is None else (datayaml.check_split(split),)
        for current in splits:
            labels_dir = path / "labels" / current
            labels = label_names(labels_dir)
            for filename in image_names(path / "images" / current):
                try:
                    data = (path / "images" / current / filename).read_bytes()
                except FileNotFoundError:
                    continue  # removed by a concurrent writer since the listing
                label_name = datayaml.label_name_for(filename)
                annotations = None
                if label_name in labels:
                    with contextlib.suppress(FileNotFoundError):
                        text = (labels_dir / label_name).read_text(encoding="utf-8")
                        annotations = to_annotations(parse_text(text, source=f"{current}/{label_name}"))
                yield Sample(filename, current, data, annotations)


def _write_samples(stage: Path, final_dir: Path, samples: Iterable[Sample], nc: int, exists) -> list[ImageInfo]:
    """Write checked samples into ``stage``, then flush them all to disk."""
    infos: list[ImageInfo] = []
    written: list[Path] = []
    made: set[Path] = set()
    for sample in samples:
        checked = check_sample(sample, nc)
        if exists(sample.split, sample.filename):
            raise ConflictError(f"image already exists ({checked.where})")
        image_dir = stage / "images" / sample.split
        if image_dir not in made:
            image_dir.mkdir(parents=True, exist_ok=True)
            (stage / "labels" / sample.split).mkdir(parents=True, exist_ok=True)
            made.add(image_dir)
        image_path = image_dir / sample.filename
        try:
            fileio.write_new_file(image_path, sample.data, sync=False)
        except FileExistsError:
            raise ConflictError(f"the batch holds this image twice ({checked.where})") from None
        written.append(image_path)
        if checked.boxes is not None:
            label_path = stage / "labels" / sample.split / datayaml.label_name_for(sample.filename)
            label_path.write_text(format_text(checked.boxes), encoding="utf-8")
            written.append(label_path)
        infos.append(ImageInfo(
            filename=sample.filename,
            split=sample.split,
            path=final_dir / "images" / sample.split / sample.filename,
            width=checked.header.width,
            height=checked.header.height,
            size_bytes=len(sample.data),
            has_labels=checked.boxes is not None,
        ))
    fileio.fsync_files(written)
    return infos


def _folders(root: Path) -> list[Path]:
    return [Path(dirpath) for dirpath, _, _ in os.walk(root)]


def _modified_at(path: Path) -> float:
    stamps = []
    for part in ("data.yaml", "prompts.yaml", *(f"{k}/{s}" for k in ("images", "labels") for s in datayaml.SPLITS)):
        with contextlib.suppress(OSError):
            stamps.append((path / part).stat().st_mtime)
    return max(stamps, default=0.0)


def _write_data_yaml(path: Path, classes: list[str]) -> None:
    source = path / "data.yaml"
    data = parse_yaml(source.read_bytes(), str(source))
    data = data if isinstance(data, dict) else {}
    data.pop("download", None)
    data.update(datayaml.build(str(path), classes))
    fileio.atomic_write(source, dump_yaml(data))


def _read_prompts(path: Path) -> dict[int, list[str]]:
    source = path / "prompts.yaml"
    try:
        text = source.read_bytes()
    except FileNotFoundError:
        return {}
    return parse_prompts(parse_yaml(text, str(source)), str(source))


def _write_prompts(path: Path, prompts: dict[int, list[str]]) -> None:
    if prompts:
        fileio.atomic_write(path / "prompts.yaml", dump_yaml(prompts))
    else:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(path / "prompts.yaml")
            fileio.fsync_dir(path)
