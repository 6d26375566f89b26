"""Darknet YOLO, the layout before data.yaml: ``obj.names``, ``obj.data`` and image lists.

Read only. A folder is Darknet's when it holds ``obj.data`` or ``obj.names`` (also in its
``data/`` folder, AlexeyAB's layout) and no ``data.yaml`` (that is ultralytics' YOLO); a
``.data`` file given on its own is read too.

``obj.data`` (``classes = N``, ``train = data/train.txt``, ``valid = data/valid.txt``,
``names = data/obj.names``) names the class file and the split lists: the split comes
from the key (``train``; ``valid`` or ``val`` is val; ``test``). A list named twice (darknet
tutorials set ``valid`` to the train list) is read once, for the first key, with a note.
Without ``obj.data``, or when none of the lists it names is here, the lists are the
``train.txt``, ``valid.txt``/``val.txt``, ``test.txt`` beside ``obj.names`` (the split from
the file name), else the ``obj_<split>_data/`` folders that CVAT's "YOLO 1.1" export and
Datumaro's ``yolo`` format write (they also write ``obj.data`` and ``train.txt``, which are
read first).

Paths in these files are relative to the folder, to its parent (darknet runs from the
folder above ``data/``: ``data/obj/1.jpg``), or absolute from the machine that wrote
them (``/content/darknet/data/obj/1.jpg``): each is tried under the folder whole, then
without its leading folders one by one, and at last found by its bare name under the
folder (``ImageFinder``, when the name is unique there). Nothing outside the folder is
read. A listed file not found is named as skipped.

Labels are YOLO ``.txt`` files beside each image (or by ultralytics' ``images/`` ->
``labels/`` rule), parsed by the YOLO reader (a bad line: exit 5, naming ``file:line``); an
image without one has no label file. Two images of one name in a split are kept apart
(``<stem>__2``).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from ydc_cli.formats.base import Format, ImageFinder, Reading, ReadOptions, split_named, unique_name

if TYPE_CHECKING:
    from ydc_cli.persistence import Sample

SPLIT_KEYS = {"train": "train", "valid": "val", "val": "val", "test": "test"}
_LIST_NAMES = ("train", "trainval", "valid", "val", "validation", "test")
_DRIVE = re.compile(r"^[A-Za-z]:")


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
        return any((base / name).is_file() for base in (path, path / "data") for name in ("obj.data", "obj.names"))

    def read(self, path: Path, options: ReadOptions) -> Reading:
        from ydc_cli.domain.errors import InvalidDatasetError

        folder = (path.parent if path.is_file() else path).absolute()
        config_path = path.absolute() if path.is_file() else next(
            (p for p in (folder / "obj.data", folder / "data" / "obj.data") if p.is_file()), None)
        config = _config(config_path)
        finder = ImageFinder(folder)
        names_file = (_locate(config["names"], folder, finder, image=False) if config.get("names") else None) or next(
            (p for p in (folder / "obj.names", folder / "data" / "obj.names", folder / "classes.txt") if p.is_file()),
            None)
        if names_file is None:
            raise InvalidDatasetError(f"no class names (obj.names) ({folder})")
        classes = [line.strip() for line in names_file.read_text(encoding="utf-8-sig").splitlines() if line.strip()]
        reading = Reading(self.name, folder, classes, lambda: iter(()))
        declared = config.get("classes", "").strip()
        if declared.isdigit() and int(declared) != len(classes):
            reading.notes.append(f"obj.data says classes = {declared}, {names_file.name} names {len(classes)}; "
                                 f"the names were used")
        plan: list[tuple[str, Path, str]] = []
        taken: set[tuple[str, str]] = set()
        for split, images in _sources(folder, names_file.parent, config, finder, reading):
            seen: set[Path] = set()
            for image in images:
                if image not in seen:
                    seen.add(image)
                    plan.append((split, image, unique_name(image.name, split, taken)))
        if not plan:
            raise InvalidDatasetError(f"no images listed (train.txt, valid.txt or obj_<split>_data/) ({folder})")
        reading.count = len(plan)
        reading.samples = lambda: _samples(plan, len(classes))
        return reading


def _config(path: Path | None) -> dict[str, str]:
    """``key = value`` lines of an ``obj.data`` (``{}`` when there is none)."""
    if path is None or not path.is_file():
        return {}
    found = {}
    for line in path.read_text(encoding="utf-8-sig").splitlines():
        key, sep, value = line.partition("=")
        if sep and not line.lstrip().startswith("#"):
            found.setdefault(key.strip().lower(), value.strip())
    return found


def _locate(entry: str, folder: Path, finder: ImageFinder, *, image: bool = True) -> Path | None:
    """The file a darknet path names, under ``folder``: the path whole, then without its leading
    folders one by one (``data/obj/1.jpg`` from the parent, ``/content/darknet/data/obj/1.jpg``
    from another machine), then (an image) by its bare name anywhere under the folder."""
    text = _DRIVE.sub("", entry.strip().replace("\\", "/"))
    parts = [part for part in text.split("/") if part not in ("", ".")]
    if not parts:
        return None
    if ".." in parts:  # may lead anywhere: the finder keeps it inside the folder
        return finder.find(text, folder, folder.parent) if image else None
    for start in range(len(parts)):
        candidate = folder.joinpath(*parts[start:])
        if candidate.is_file():
            return candidate
    return finder.find(parts[-1]) if image else None


def _lists_beside(folder: Path, *others: Path) -> dict[str, Path]:
    """``train.txt``, ``valid.txt``... in the folder (and beside ``obj.names``): split -> list."""
    lists: dict[str, Path] = {}
    for base in dict.fromkeys((folder, *others)):
        for candidate in sorted(base.glob("*.txt")):
            if candidate.stem.lower() in _LIST_NAMES:  # not a label file such as train_001.txt
                lists.setdefault(split_named(candidate.stem) or "train", candidate)
    return lists


def _sources(folder: Path, names_folder: Path, config: dict[str, str], finder: ImageFinder, reading: Reading
             ) -> Iterator[tuple[str, list[Path]]]:
    from ydc_cli.domain import datayaml

    lists: dict[str, Path] = {}
    first_key: dict[Path, str] = {}
    for key, split in SPLIT_KEYS.items():
        entry = config.get(key)
        if not entry or split in lists:
            continue
        found = _locate(entry, folder, finder, image=False)
        if found is None:
            reading.skipped.append((entry, f"obj.data's {key} list is not here"))
        elif found in first_key:
            reading.notes.append(f"obj.data's {key} names the {first_key[found]} list ({entry}): read once, "
                                 f"as {SPLIT_KEYS[first_key[found]]}")
        else:
            lists[split], first_key[found] = found, key
    if not lists:
        lists = _lists_beside(folder, names_folder)
    if lists:
        for split, list_file in lists.items():
            images = []
            for line in list_file.read_text(encoding="utf-8-sig").splitlines():
                entry = line.strip()
                if not entry or entry.startswith("#"):
                    continue
                image = _locate(entry, folder, finder)
                if image is not None and datayaml.is_image_name(image.name):
                    images.append(image)
                else:
                    reading.skipped.append((entry, f"listed in {list_file.name} but not an image file here"))
            yield split, images
        return
    for data_folder in sorted(p for base in dict.fromkeys((folder, names_folder)) for p in base.glob("obj_*_data")
                              if p.is_dir()):
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
        annotations = read_label(str(image.with_suffix(".txt")), nc)
        if annotations is None:
            annotations = read_label(label_path(str(image)), nc)
        yield Sample(stored, split, image.read_bytes(), annotations)
