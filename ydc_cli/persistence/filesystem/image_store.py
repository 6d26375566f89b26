"""Filesystem ImageStore: ``images/<split>/<filename>`` holding the original bytes."""

from __future__ import annotations

import os
from itertools import repeat
from pathlib import Path
from typing import TYPE_CHECKING

from ydc_cli.domain import datayaml
from ydc_cli.domain.errors import NotFoundError
from ydc_cli.domain.imageformat import read_header
from ydc_cli.persistence import fileio
from ydc_cli.persistence.bulk import gc_paused
from ydc_cli.persistence.filesystem.layout import Layout, image_names
from ydc_cli.persistence.image_store import ImageStore, decode_image, encode_image
from ydc_cli.persistence.models import ImageInfo, ImageRow

if TYPE_CHECKING:
    import numpy as np


class FilesystemImageStore(ImageStore):
    """Images as files in the dataset's YOLO folder."""

    def __init__(self, base_path: Path) -> None:
        self._layout = Layout(base_path)

    async def save(self, dataset: str, split: str, filename: str, image: np.ndarray) -> ImageInfo:
        return await self.save_bytes(dataset, split, filename, encode_image(image, filename))

    async def save_bytes(self, dataset: str, split: str, filename: str, data: bytes) -> ImageInfo:
        root = self._layout.existing(dataset)
        path = self._layout.image_path(root, split, filename)
        header = read_header(data, f"{split}/{filename}")
        with fileio.storage_errors(path):
            path.parent.mkdir(parents=True, exist_ok=True)
        fileio.atomic_write(path, data)
        label = self._layout.label_path(root, split, filename)
        return ImageInfo(filename, split, path, header.width, header.height, len(data), label.exists())

    async def load(self, dataset: str, split: str, filename: str) -> np.ndarray:
        return decode_image(await self.load_bytes(dataset, split, filename), f"{split}/{filename}")

    async def load_bytes(self, dataset: str, split: str, filename: str) -> bytes:
        root = self._layout.existing(dataset)
        path = self._layout.image_path(root, split, filename)
        try:
            return path.read_bytes()
        except (FileNotFoundError, IsADirectoryError):
            raise NotFoundError(f"no such image ({dataset}/{split}/{filename})") from None

    async def delete(self, dataset: str, split: str, filename: str) -> bool:
        try:
            root = self._layout.existing(dataset)
        except NotFoundError:
            return False
        return fileio.remove_file(self._layout.image_path(root, split, filename))

    async def move(self, dataset: str, filename: str, from_split: str, to_split: str) -> None:
        root = self._layout.existing(dataset)
        source = self._layout.image_path(root, from_split, filename)
        target = self._layout.image_path(root, to_split, filename)
        fileio.move_file(source, target, missing=f"no such image ({dataset}/{from_split}/{filename})",
                         exists=f"image already exists ({dataset}/{to_split}/{filename})")

    async def list(self, dataset: str, split: str | None = None) -> list[ImageInfo]:
        return [ImageInfo(row.filename, row.split, Path(row.path), size_bytes=row.size_bytes,
                          has_labels=row.has_labels) for row in await self.list_rows(dataset, split)]

    async def list_rows(self, dataset: str, split: str | None = None, *, sizes: bool = True) -> list[ImageRow]:
        # Column by column over plain strings: at 100,000 images every per-image step counts.
        root = self._layout.existing(dataset)
        splits = datayaml.SPLITS if split is None else (datayaml.check_split(split),)
        suffixes = tuple(f".{extension}" for extension in datayaml.IMAGE_EXTENSIONS)
        rows: list[ImageRow] = []
        with gc_paused():
            for current in splits:
                rows += self._split_rows(root, current, suffixes, sizes)
        return rows

    @staticmethod
    def _split_rows(root: Path, current: str, suffixes: tuple[str, ...], sizes: bool) -> list[ImageRow]:
        folder = f"{root}/images/{current}"
        try:
            with os.scandir(folder) as entries:
                names = [e.name for e in entries if e.is_file()]  # the entry's type: no stat
        except (FileNotFoundError, NotADirectoryError):
            return []
        internal = fileio.INTERNAL_PREFIX
        names = [n for n in names if n.lower().endswith(suffixes) and not n.startswith(internal)]
        names.sort()
        try:  # every name, unfiltered: only "<stem>.txt" is ever looked up
            labels = set(os.listdir(f"{root}/labels/{current}"))
        except (FileNotFoundError, NotADirectoryError):
            labels = set()
        labelled = [f"{n.rpartition('.')[0]}.txt" in labels for n in names]
        if sizes:
            size_list = []
            for name in names:
                try:
                    size_list.append(os.stat(f"{folder}/{name}").st_size)
                except OSError:
                    size_list.append(0)
        paths = [f"{folder}/{n}" for n in names]
        return list(map(tuple.__new__, repeat(ImageRow),
                        zip(names, repeat(current), paths, size_list if sizes else repeat(None), labelled)))

    async def exists(self, dataset: str, split: str, filename: str) -> bool:
        try:
            root = self._layout.existing(dataset)
        except NotFoundError:
            return False
        return self._layout.image_path(root, split, filename).is_file()

    async def count(self, dataset: str) -> dict[str, int]:
        root = self._layout.existing(dataset)
        return {split: len(image_names(root / "images" / split)) for split in datayaml.SPLITS}
