"""Filesystem DatasetStore: one YOLO folder per dataset."""

from __future__ import annotations

import contextlib
import json
import os
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import TYPE_CHECKING

from ydc_cli.domain import datayaml
from ydc_cli.domain.errors import ConflictError, NotFoundError
from ydc_cli.domain.labels import format_text, parse_text
from ydc_cli.domain.names import validate_classes
from ydc_cli.persistence import commits, faults, fileio
from ydc_cli.persistence.changes import involved, needs_stored_prompts, plan_changes
from ydc_cli.persistence.dataset_store import ClassCounts, DatasetStore
from ydc_cli.persistence.filesystem import journal, label_counts
from ydc_cli.persistence.filesystem.layout import (
    META_FILE,
    Layout,
    image_count,
    image_names,
    label_names,
    lock_for,
    read_classes,
    read_created_at,
    read_meta,
    read_task,
    recover,
)
from ydc_cli.persistence.models import DatasetChanges, DatasetInfo, ImageInfo, Sample

if TYPE_CHECKING:
    from ydc_cli.domain.tasks import Task
from ydc_cli.persistence.samples import SampleSource, each_checked, to_annotations
from ydc_cli.persistence.yamlio import dump_yaml, parse_prompts, parse_yaml


class FilesystemDatasetStore(DatasetStore):
    """Datasets as folders in ``base_path`` that ``yolo train data=...`` reads as they are."""

    def __init__(self, base_path: Path) -> None:
        self._layout = Layout(base_path)
        self.base_path = self._layout.base

    # -- the seed's contract ------------------------------------------------

    async def create(self, name: str, classes: list[str], task: Task | None = None) -> DatasetInfo:
        return await self.create_with_samples(name, classes, (), task=task)

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
        counts = {split: image_count(path / "images" / split) for split in datayaml.SPLITS}
        classes, task = read_meta(path)
        return DatasetInfo(
            name=name,
            path=path,
            classes=classes,
            num_images=counts,
            created_at=read_created_at(path),
            modified_at=_modified_at(path),
        ).set_task(task)

    async def delete(self, name: str) -> bool:
        try:
            path = self._layout.existing(name)
        except NotFoundError:
            return False
        with lock_for(path):
            fileio.remove_tree(path)
        return True

    async def rename(self, name: str, new_name: str) -> DatasetInfo:
        """One rename of the folder (the commit point), then data.yaml is rewritten without the
        absolute ``path`` that older releases wrote.

        A crash between the two leaves that old key naming the old folder; ydc never reads it
        (training writes its own data.yaml) and the next class change drops it.
        """
        source = self._layout.existing(name)
        target = self._layout.dataset_dir(new_name)
        with lock_for(source):
            recover(source)
            if target.exists() or os.path.lexists(target):
                raise ConflictError(f"dataset already exists ({new_name})")
            with fileio.storage_errors(target):
                try:
                    with commits.point():
                        os.rename(source, target)  # refused over a non-empty folder: a racing create loses
                except OSError as exc:
                    if target.exists():
                        raise ConflictError(f"dataset already exists ({new_name})") from exc
                    raise
                fileio.fsync_dir(self.base_path)
        with lock_for(target):
            _write_data_yaml(target, read_classes(target))
        info = await self.get(new_name)
        assert info is not None
        return info

    async def get_prompts(self, name: str) -> dict[int, list[str]]:
        try:
            path = self._layout.existing(name)
        except NotFoundError:
            return {}
        return _read_prompts(path)

    # -- batch extensions -----------------------------------------------------

    async def create_with_samples(
        self,
        name: str,
        classes: list[str],
        samples: SampleSource,
        prompts: dict[int, list[str]] | None = None,
        task: Task | None = None,
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
        with (fileio.staging_dir(self.base_path) as stage, fileio.storage_errors(self.base_path),
              contextlib.ExitStack() as stack):
            # The staged files/ folder becomes the dataset folder by one rename.
            change = stack.enter_context(contextlib.closing(journal.Journal(target, stage)))
            for kind in ("images", "labels"):
                for split in datayaml.SPLITS:
                    (stage / journal.FILES / kind / split).mkdir(parents=True)
            await _stage_samples(change, target, samples, len(classes), lambda split, filename: False, task)
            change.write("data.yaml", dump_yaml(datayaml.build(classes, task)))
            if prompts:
                change.write("prompts.yaml", dump_yaml(prompts))
            change.write(META_FILE, json.dumps({"created_at": created_at}).encode())
            change.syncer.wait()
            for folder in _folders(stage / journal.FILES):
                fileio.fsync_dir(folder)
            faults.point("dataset-staged")
            try:
                with commits.point():
                    os.rename(stage / journal.FILES, target)
            except OSError as exc:
                if target.exists():
                    raise ConflictError(f"dataset already exists ({name})") from exc
                raise
            fileio.fsync_dir(self.base_path)
        info = await self.get(name)
        assert info is not None
        return info

    async def add_samples(self, name: str, samples: SampleSource) -> list[ImageInfo]:
        path = self._layout.existing(name)
        classes, task = read_meta(path)
        nc = len(classes)
        with lock_for(path):
            recover(path)
            with journal.journal(path) as change:
                def exists(split: str, filename: str) -> bool:
                    return (path / "images" / split / filename).exists()

                infos = await _stage_samples(change, path, samples, nc, exists, task)
                change.commit()
        label_sets = {split: label_names(path / "labels" / split) for split in {i.split for i in infos}}
        for info in infos:
            info.has_labels = datayaml.label_name_for(info.filename) in label_sets[info.split]
        return infos

    async def iter_samples(self, name: str, split: str | None = None, *, with_labels: bool = True
                           ) -> AsyncIterator[Sample]:
        path = self._layout.existing(name)
        task = read_task(path) if with_labels else None
        for current in _splits(split):
            labels_dir = path / "labels" / current
            labels = label_names(labels_dir) if with_labels else set()
            # Plain strings from here: this runs once per image, and pathlib costs more than the read.
            images_prefix, labels_prefix = f"{path}/images/{current}/", f"{labels_dir}/"
            for filename in image_names(path / "images" / current):
                try:
                    with open(images_prefix + filename, "rb") as file:
                        data = file.read()
                except FileNotFoundError:
                    continue  # removed by a concurrent writer since the listing
                label_name = datayaml.label_name_for(filename)
                annotations = None
                if label_name in labels:
                    with contextlib.suppress(FileNotFoundError):
                        with open(labels_prefix + label_name, encoding="utf-8") as file:
                            text = file.read()
                        annotations = to_annotations(parse_text(text, source=f"{current}/{label_name}", task=task))
                yield Sample(filename, current, data, annotations)

    async def iter_label_texts(self, name: str, split: str | None = None) -> AsyncIterator[tuple[str, str, str]]:
        path = self._layout.existing(name)
        for current in _splits(split):
            folder = path / "labels" / current
            for label_name in sorted(label_names(folder)):
                try:
                    raw = (folder / label_name).read_bytes()
                except FileNotFoundError:
                    continue
                yield current, label_name, raw.decode("utf-8-sig", errors="replace")

    async def apply_changes(self, name: str, changes: DatasetChanges) -> None:
        path = self._layout.existing(name)
        with lock_for(path):
            recover(path)
            stored_classes, task = read_meta(path)
            needed = involved(changes)
            plan = plan_changes(
                name, changes,
                images={split: set(image_names(path / "images" / split)) for split in needed if needed[split]},
                labels={split: {n[:-len(".txt")] for n in label_names(path / "labels" / split)}
                        for split in needed if needed[split]},
                classes=stored_classes, task=task,
                stored_prompts=_read_prompts(path) if needs_stored_prompts(changes) else None,
            )
            with journal.journal(path) as change:
                for split, filename in plan.image_removals:
                    change.delete(f"images/{split}/{filename}")
                for split, stem in plan.label_removals:
                    change.delete(f"labels/{split}/{stem}.txt")
                for filename, source, target in plan.image_moves:
                    change.move(f"images/{source}/{filename}", f"images/{target}/{filename}")
                for stem, source, target in plan.label_moves:
                    change.move(f"labels/{source}/{stem}.txt", f"labels/{target}/{stem}.txt")
                for (split, stem), boxes in plan.label_writes.items():
                    change.write(f"labels/{split}/{stem}.txt", format_text(boxes, task).encode("utf-8"))
                if plan.classes is not None:
                    change.write("data.yaml", _data_yaml_with(path, plan.classes))
                if plan.prompts:
                    change.write("prompts.yaml", dump_yaml(plan.prompts))
                elif plan.prompts is not None:
                    change.delete("prompts.yaml")
                change.commit()

    async def yolo_folder(self, name: str) -> Path | None:
        return self._layout.existing(name)

    # -- class table (datasets info) -------------------------------------------

    async def class_counts(self, name: str) -> ClassCounts:
        # Label files are read once and remembered by their stat (label_counts): at 100,000 images, reading
        # them all again took 10 s once the page cache had let them go, a stat of each about 1 s.
        path = self._layout.existing(name)
        return label_counts.count_classes(path, read_task(path))


def _splits(split: str | None) -> tuple[str, ...]:
    return datayaml.SPLITS if split is None else (datayaml.check_split(split),)


async def _stage_samples(change: journal.Journal, final_dir: Path, samples: SampleSource, nc: int,
                         exists, task: Task | None) -> list[ImageInfo]:
    """Stage checked samples (images exclusive, labels replacing) into a journal."""
    infos: list[ImageInfo] = []
    folders = {split: final_dir / "images" / split for split in datayaml.SPLITS}
    async for checked in each_checked(samples, nc, task):
        sample = checked.sample
        if exists(sample.split, sample.filename):
            raise ConflictError(f"image already exists ({checked.where})")
        try:
            change.write(f"images/{sample.split}/{sample.filename}", sample.data, exclusive=True)
        except FileExistsError:
            raise ConflictError(f"the batch holds this image twice ({checked.where})") from None
        if checked.boxes is not None:
            label = datayaml.label_name_for(sample.filename)
            change.write(f"labels/{sample.split}/{label}", format_text(checked.boxes, task).encode("utf-8"))
        infos.append(ImageInfo(
            filename=sample.filename,
            split=sample.split,
            path=folders[sample.split] / sample.filename,
            width=checked.header.width,
            height=checked.header.height,
            size_bytes=len(sample.data),
            has_labels=checked.boxes is not None,
        ))
    return infos


def _folders(root: Path) -> list[Path]:
    return [Path(dirpath) for dirpath, _, _ in os.walk(root)]


def _modified_at(path: Path) -> float:
    stamps = []
    for part in ("data.yaml", "prompts.yaml", *(f"{k}/{s}" for k in ("images", "labels") for s in datayaml.SPLITS)):
        with contextlib.suppress(OSError):
            stamps.append((path / part).stat().st_mtime)
    return max(stamps, default=0.0)


def _data_yaml_with(path: Path, classes: list[str]) -> bytes:
    """data.yaml with a new class list, keeping the user's other keys but ``download``."""
    source = path / "data.yaml"
    data = parse_yaml(source.read_bytes(), str(source))
    data = data if isinstance(data, dict) else {}
    data.pop("download", None)
    data.pop("path", None)  # older releases wrote the absolute folder: the data folder could not move
    data.update(datayaml.build(classes))
    return dump_yaml(data)


def _write_data_yaml(path: Path, classes: list[str]) -> None:
    fileio.atomic_write(path / "data.yaml", _data_yaml_with(path, classes), commit=True)


def _read_prompts(path: Path) -> dict[int, list[str]]:
    source = path / "prompts.yaml"
    try:
        text = source.read_bytes()
    except FileNotFoundError:
        return {}
    return parse_prompts(parse_yaml(text, str(source)), str(source))


def _write_prompts(path: Path, prompts: dict[int, list[str]]) -> None:
    if prompts:
        fileio.atomic_write(path / "prompts.yaml", dump_yaml(prompts), commit=True)
    else:
        fileio.remove_file(path / "prompts.yaml")
