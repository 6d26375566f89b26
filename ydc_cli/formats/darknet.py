"""Darknet YOLO, the layout before data.yaml: ``obj.names``, ``obj.data`` and image lists.

Read only. ``obj.data`` names the class file (``names = data/obj.names``) and the split
lists (``train = data/train.txt``, ``valid``, ``test``); without it, ``obj.names`` (or
``classes.txt``) with ``train.txt``/``valid.txt``/``test.txt`` beside it, else the
``obj_<split>_data/`` folders CVAT's "YOLO 1.1" export and Datumaro's ``yolo`` format
write. Paths in these files are relative to the folder, to its parent (darknet runs from
the folder above ``data/``), or absolute from the machine that wrote them: an image not
found that way is found by its name under the folder. Labels are the YOLO ``.txt``
beside each image (or ultralytics' ``images/`` -> ``labels/`` rule).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from ydc_cli.formats.base import Format, ImageFinder, Reading, ReadOptions, split_named, unique_name

if TYPE_CHECKING:
    from ydc_cli.persistence import Sample

SPLIT_KEYS = {"train": "train", "valid": "val", "val": "val", "test": "test"}


class Darknet(Format):
    name = "darknet"
    title = "Darknet YOLO"
    layout = "obj.data or obj.names with train.txt/valid.txt image lists, labels beside the images"
    priority = 15

    def detect(self, path: Path) -> bool:
        if path.is_file():
            return path.name.lower().endswith(".data")
        if not path.is_dir() or (path / "data.yaml").exists():
            return False
        return (path / "obj.data").is_file() or (path / "obj.names").is_file()

    def read(self, path: Path, options: ReadOptions) -> Reading:
        from ydc_cli.domain.errors import InvalidDatasetError

        folder = (path.parent if path.is_file() else path).absolute()
        config = _config(path if path.is_file() else folder / "obj.data")
        names_file = _existing(folder, config.get("names")) or next(
            (p for p in (folder / "obj.names", folder / "classes.txt") if p.is_file()), None)
        if names_file is None:
            raise InvalidDatasetError(f"no class names (obj.names) ({folder})")
        classes = [line.strip() for line in names_file.read_text(encoding="utf-8").splitlines() if line.strip()]
        reading = Reading(self.name, folder, classes, lambda: iter(()))
        finder = ImageFinder(folder)
        plan: list[tuple[str, Path, str]] = []
        taken: set[tuple[str, str]] = set()
        for split, images in _sources(folder, config, finder, reading):
            for image in images:
                plan.append((split, image, unique_name(image.name, split, taken)))
        if not plan:
            raise InvalidDatasetError(f"no images listed (train.txt, valid.txt or obj_<split>_data/) ({folder})")
        reading.count = len(plan)
        reading.samples = lambda: _samples(plan, len(classes))
        return reading


def _config(path: Path) -> dict[str, str]:
    """``key = value`` lines of an ``obj.data`` (``{}`` when there is none)."""
    if not path.is_file():
        return {}
    found = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        key, sep, value = line.partition("=")
        if sep and not line.lstrip().startswith("#"):
            found[key.strip().lower()] = value.strip()
    return found


def _existing(folder: Path, entry: str | None) -> Path | None:
    """A path from a darknet file: relative to the folder, to its parent, or found by name in the folder."""
    if not entry:
        return None
    given = Path(entry.replace("\\", "/"))
    candidates = [given] if given.is_absolute() else [folder / given, folder.parent / given]
    candidates.append(folder / given.name)
    resolved = folder.resolve()
    for candidate in candidates:
        if candidate.is_file() and resolved in candidate.resolve().parents:
            return candidate
    return None


def _sources(folder: Path, config: dict[str, str], finder: ImageFinder, reading: Reading
             ) -> Iterator[tuple[str, list[Path]]]:
    from ydc_cli.domain import datayaml

    lists = {split: _existing(folder, config.get(key)) for key, split in SPLIT_KEYS.items() if config.get(key)}
    if not lists:
        for candidate in sorted(folder.glob("*.txt")):
            split = split_named(candidate.stem)
            if split and candidate.name not in ("classes.txt",) and split not in lists:
                lists[split] = candidate
    if lists:
        for split, list_file in lists.items():
            if list_file is None:
                continue
            images = []
            for line in list_file.read_text(encoding="utf-8").splitlines():
                entry = line.strip()
                if not entry or entry.startswith("#"):
                    continue
                image = _existing(folder, entry) or finder.find(Path(entry.replace("\\", "/")).name)
                if image is not None and datayaml.is_image_name(image.name):
                    images.append(image)
                else:
                    reading.skipped.append((entry, f"listed in {list_file.name} but not an image file here"))
            yield split, images
        return
    for data_folder in sorted(folder.glob("obj_*_data")):
        split = split_named(data_folder.name[4:-5]) or "train"
        images = []
        for dirpath, dirnames, filenames in os.walk(data_folder):
            dirnames.sort()
            images += [Path(dirpath) / f for f in sorted(filenames) if datayaml.is_image_name(f)]
        yield split, images


def _samples(plan: list[tuple[str, Path, str]], nc: int) -> Iterator[Sample]:
    from ydc_cli.formats.yolo import label_path, read_label
    from ydc_cli.persistence import Sample

    for split, image, stored in plan:
        text_path = str(image.with_suffix(".txt"))
        annotations = read_label(text_path, nc)
        if annotations is None:
            annotations = read_label(label_path(str(image)), nc)
        yield Sample(stored, split, image.read_bytes(), annotations)
