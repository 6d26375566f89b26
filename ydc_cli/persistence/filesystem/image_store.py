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
from ydc_cli.persistence.filesystem.layout import Layout, image_count
from ydc_cli.persistence.image_store import ImageStore, decode_image, encode_image
from ydc_cli.persistence.models import BACKGROUND, BOXES, NO_LABEL, ImageInfo, ImageRow

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
        fileio.atomic_write(path, data, commit=True)
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
        suffixes = datayaml.IMAGE_SUFFIXES
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
        names = [n for n in names if (n.endswith(suffixes) or n.lower().endswith(suffixes))
                 and not n.startswith(internal)]  # most names are lower case: no lower() for them
        names.sort()
        states = _label_states(f"{root}/labels/{current}", [f"{n.rpartition('.')[0]}.txt" for n in names])
        labelled = list(map(NO_LABEL.__ne__, states))
        if sizes:
            size_list = []
            for name in names:
                try:
                    size_list.append(os.stat(f"{folder}/{name}").st_size)
                except OSError:
                    size_list.append(0)
        paths = [f"{folder}/{n}" for n in names]
        return list(map(tuple.__new__, repeat(ImageRow), zip(
            names, repeat(current), paths, size_list if sizes else repeat(None), labelled, states)))

    async def exists(self, dataset: str, split: str, filename: str) -> bool:
        try:
            root = self._layout.existing(dataset)
        except NotFoundError:
            return False
        return self._layout.image_path(root, split, filename).is_file()

    async def count(self, dataset: str) -> dict[str, int]:
        root = self._layout.existing(dataset)
        return {split: image_count(root / "images" / split) for split in datayaml.SPLITS}


# A label file this short is read to tell blank lines (a background) from a short box line;
# a longer one is taken to hold boxes unread: every box line written with a decimal per
# coordinate ("0 0.5 0.5 0.2 0.3") is longer, and no YOLO tool pads an empty label to this size.
SHORT_LABEL = 16


def _label_states(folder: str, label_names: list[str]) -> list[str]:
    """``boxes``, ``background`` or ``none`` for each label file name, learnt from its size.

    One ``stat`` per label file that exists (relative to the open folder: the
    shortest path walk), nothing read but files under ``SHORT_LABEL`` bytes.
    """
    try:
        folder_fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    except (FileNotFoundError, NotADirectoryError):
        return [NO_LABEL] * len(label_names)
    try:
        present = set(os.listdir(folder_fd))  # every name, unfiltered: only "<stem>.txt" is ever looked up
        stat = os.stat
        try:
            found = [stat(n, dir_fd=folder_fd).st_size if n in present else -1 for n in label_names]
        except OSError:  # a label removed since the listing: the same, one file at a time
            found = [_size_or_missing(folder_fd, n) if n in present else -1 for n in label_names]
        return [NO_LABEL if size < 0 else BOXES if size >= SHORT_LABEL else BACKGROUND if size == 0
                else _short_label_state(folder_fd, name) for name, size in zip(label_names, found, strict=True)]
    finally:
        os.close(folder_fd)


def _size_or_missing(folder_fd: int, name: str) -> int:
    try:
        return os.stat(name, dir_fd=folder_fd).st_size
    except OSError:
        return -1


def _short_label_state(folder_fd: int, name: str) -> str:
    """A short label file read: blank lines only (as the label parser sees them) make a background."""
    try:
        file = os.open(name, os.O_RDONLY, dir_fd=folder_fd)
    except OSError:
        return NO_LABEL
    try:
        data = os.read(file, SHORT_LABEL)
    finally:
        os.close(file)
    return BOXES if data.decode("utf-8-sig", errors="replace").strip() else BACKGROUND
