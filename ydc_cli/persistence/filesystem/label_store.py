"""Filesystem LabelStore: ``labels/<split>/<stem>.txt``, one box per line."""

from __future__ import annotations

from pathlib import Path

from ydc_cli.domain.errors import NotFoundError
from ydc_cli.domain.labels import format_text, parse_text
from ydc_cli.persistence import fileio
from ydc_cli.persistence.filesystem.layout import Layout, read_task
from ydc_cli.persistence.label_store import LabelStore
from ydc_cli.persistence.models import Annotation
from ydc_cli.persistence.samples import check_annotations, to_annotations


class FilesystemLabelStore(LabelStore):
    """YOLO label files beside the images folder."""

    def __init__(self, base_path: Path) -> None:
        self._layout = Layout(base_path)

    async def save(self, dataset: str, split: str, filename: str, annotations: list[Annotation]) -> None:
        root = self._layout.existing(dataset)
        path = self._layout.label_path(root, split, filename)
        task = read_task(root)
        boxes = check_annotations(annotations, source=f"{split}/{path.name}", task=task)
        with fileio.storage_errors(path):
            path.parent.mkdir(parents=True, exist_ok=True)
        fileio.atomic_write(path, format_text(boxes, task).encode("utf-8"), commit=True)

    async def load(self, dataset: str, split: str, filename: str) -> list[Annotation]:
        try:
            root = self._layout.existing(dataset)
        except NotFoundError:
            return []
        path = self._layout.label_path(root, split, filename)
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return []
        return to_annotations(parse_text(text, source=f"{split}/{path.name}", task=read_task(root)))

    async def delete(self, dataset: str, split: str, filename: str) -> bool:
        try:
            root = self._layout.existing(dataset)
        except NotFoundError:
            return False
        return fileio.remove_file(self._layout.label_path(root, split, filename))

    async def move(self, dataset: str, filename: str, from_split: str, to_split: str) -> None:
        root = self._layout.existing(dataset)
        source = self._layout.label_path(root, from_split, filename)
        target = self._layout.label_path(root, to_split, filename)
        fileio.move_file(source, target, missing=f"no labels for {filename} in {from_split} ({dataset})",
                         exists=f"labels already exist ({dataset}/{to_split}/{target.name})")

    async def exists(self, dataset: str, split: str, filename: str) -> bool:
        try:
            root = self._layout.existing(dataset)
        except NotFoundError:
            return False
        return self._layout.label_path(root, split, filename).is_file()
