"""LabelMe JSON (the ``labelme`` annotation tool): one JSON per image, beside it.

Read only: a folder of images each with a ``.json`` (``shapes``, ``imagePath``,
``imageWidth``, ``imageHeight``, maybe ``imageData``), in subfolders too; the split
comes from a ``train``/``val``/``test`` folder on the way, else train. A ``rectangle``
(two corner points, in any order) becomes a box; other shapes are counted in a note.
The image is ``imagePath`` relative to the JSON, else found by name under the folder;
when there is no such file, the base64 ``imageData`` (the original file's bytes) is it.
Classes by name, in order of first appearance.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from ydc_cli.formats.base import (
    BoxTally,
    ClassList,
    Format,
    ImageFinder,
    Reading,
    ReadOptions,
    number,
    pixel_box,
    read_image,
    sniff_json,
    split_named,
)

if TYPE_CHECKING:
    from ydc_cli.persistence import Sample


class LabelMe(Format):
    name = "labelme"
    title = "LabelMe"
    layout = "images with a LabelMe .json beside each"
    priority = 35

    def detect(self, path: Path) -> bool:
        if path.is_file():
            return path.suffix.lower() == ".json" and sniff_json(path) == "labelme"
        return path.is_dir() and bool(_files(path, first_only=True))

    def read(self, path: Path, options: ReadOptions) -> Reading:
        from ydc_cli.domain.errors import InvalidDatasetError

        root = (path.parent if path.is_file() else path).absolute()
        files = [path.absolute()] if path.is_file() else _files(root)
        if not files:
            raise InvalidDatasetError(f"no LabelMe .json files ({path})")
        documents = [(json_path, _load(json_path)) for json_path in files]
        classes = ClassList()
        for _, document in documents:
            for shape in document["shapes"]:
                if isinstance(shape, dict) and shape.get("shape_type", "polygon") == "rectangle":
                    classes.id(str(shape.get("label", "")))
        reading = Reading(self.name, root, classes.names, lambda: iter(()), count=len(documents))
        reading.samples = lambda: _samples(documents, root, classes, reading)
        return reading


def _files(root: Path, first_only: bool = False) -> list[Path]:
    found = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for filename in sorted(filenames):
            if filename.lower().endswith(".json") and sniff_json(Path(dirpath) / filename) == "labelme":
                found.append(Path(dirpath) / filename)
                if first_only:
                    return found
    return found


def _load(path: Path) -> dict:
    from ydc_cli.domain.errors import InvalidDatasetError

    try:
        document = json.loads(path.read_bytes())
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InvalidDatasetError(f"not a valid JSON file ({path})") from exc
    if not isinstance(document, dict) or not isinstance(document.get("shapes"), list):
        raise InvalidDatasetError(f"not a LabelMe file: needs a 'shapes' list ({path})")
    return document


def _split_of(json_path: Path, root: Path) -> str:
    for part in json_path.relative_to(root).parts[:-1]:
        split = split_named(part)
        if split:
            return split
    return "train"


def _image(document: dict, json_path: Path, finder: ImageFinder) -> tuple[str, bytes, int, int] | None:
    import base64
    import binascii

    from ydc_cli.domain.imageformat import read_header

    image_path = str(document.get("imagePath") or "")
    source = finder.find(image_path, json_path.parent) if image_path else None
    if source is None:
        stem_images = [json_path.with_suffix(e) for e in (".jpg", ".jpeg", ".png", ".bmp")]
        source = next((p for p in stem_images if p.is_file()), None)
    if source is not None:
        data, width, height = read_image(source)
        return source.name, data, width, height
    encoded = document.get("imageData")
    if not isinstance(encoded, str) or not encoded:
        return None
    try:
        data = base64.b64decode(encoded, validate=False)
    except (binascii.Error, ValueError):
        return None
    name = Path(image_path.replace("\\", "/")).name or f"{json_path.stem}.jpg"
    header = read_header(data, name)
    return name, data, header.width, header.height


def _samples(documents: list[tuple[Path, dict]], root: Path, classes: ClassList, reading: Reading
             ) -> Iterator[Sample]:
    from ydc_cli.persistence import Sample

    finder = ImageFinder(root)
    tally = BoxTally()
    others: dict[str, int] = {}
    for json_path, document in documents:
        found = _image(document, json_path, finder)
        relative = str(json_path.relative_to(root))
        if found is None:
            reading.skipped.append((relative, "image file not found and no imageData"))
            continue
        name, data, width, height = found
        annotations = []
        for index, shape in enumerate(document["shapes"]):
            if not isinstance(shape, dict):
                continue
            kind = str(shape.get("shape_type") or "polygon")
            if kind != "rectangle":
                others[kind] = others.get(kind, 0) + 1
                continue
            try:
                (x1, y1), (x2, y2) = ((number(x), number(y)) for x, y in shape["points"])
            except (KeyError, TypeError, ValueError):
                reading.skipped.append((f"{relative} shape {index + 1}", "a rectangle needs two corner points"))
                continue
            converted = pixel_box(classes.id(str(shape.get("label", ""))), x1, y1, x2, y2, width, height, tally)
            if isinstance(converted, str):
                reading.skipped.append((f"{relative} shape {index + 1}", converted))
            else:
                annotations.append(converted)
        yield Sample(name, _split_of(json_path, root), data, annotations)
    for kind, count in sorted(others.items()):
        reading.notes.append(f"{count} {kind} shape{'s' if count != 1 else ''} not imported (rectangles only)")
    reading.notes += tally.notes()
