"""A dataset zip: a YOLO folder in one archive, checked member by member, never extracted.

The archive code is the persistence layer's (``persistence/archive.py``): every store
writes its ``export_zip`` with it, so the zip a backend exports is the one this reads.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from ydc_cli.formats.base import Format, Reading, ReadOptions

if TYPE_CHECKING:
    from ydc_cli.persistence import Stores


class DatasetZip(Format):
    name = "zip"
    title = "dataset zip"
    layout = "a .zip of a YOLO folder, as ydc, Roboflow and ultralytics' HUB write them"
    priority = 0
    writes = True

    def detect(self, path: Path) -> bool:
        return path.is_file() and path.suffix.lower() == ".zip"

    def read(self, path: Path, options: ReadOptions) -> Reading:
        from ydc_cli.persistence.archive import read_dataset_zip

        stack = contextlib.ExitStack()
        contents = stack.enter_context(read_dataset_zip(path))
        return Reading(self.name, path.absolute(), contents.classes, contents.samples, contents.prompts,
                       count=sum(len(infos) for infos in contents.images.values()), close=stack.close,
                       task=contents.task)

    def export_name(self, dataset: str) -> str:
        return f"{dataset}.zip"

    async def export(self, stores: Stores, name: str, output_dir: Path,
                     on_sample: Callable[[int], None] | None = None) -> Path:
        return await stores.dataset.export_zip(name, output_dir)
