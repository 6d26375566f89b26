"""LabelMe JSON (the ``labelme`` annotation tool): one JSON per image, beside it.

Read only: a folder of images each with a ``.json`` (``shapes``, ``imagePath``,
``imageWidth``, ``imageHeight``, maybe ``imageData``), in subfolders too, or one ``.json``;
the split comes from a ``train``/``val``/``test`` folder on the way to the JSON, else
train. A ``rectangle`` (its corner points, in any order: two as labelme writes, four as
some converters do) becomes a box, against the ``imageWidth`` and ``imageHeight`` the file
records (labelme's, after EXIF rotation, as ultralytics sees the image), else the image
header's; other shapes are counted in a note (the shapes issue adds them), and a file
with such shapes but no rectangle is stored unlabelled, not as a background. The image
is ``imagePath`` relative to the JSON (a Windows path too), else the same name anywhere
under the folder, else an image of the JSON's stem beside it; when there is no such
file, the base64 ``imageData`` (the image file's bytes: labelme re-encodes PNG for any
type but JPEG, so the name takes the extension the bytes have) is it. Classes by name,
in order of first appearance. Files are read twice (the classes first, then each image),
never all held at once: labelme embeds every image in its JSON by default.

Datumaro's ``label_me`` is MIT LabelMe's older XML format, which this is not.
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
    unique_name,
)

if TYPE_CHECKING:
    from ydc_cli.persistence import Sample


class LabelMe(Format):
    name = "labelme"
    title = "LabelMe"
    layout = "images with a LabelMe .json beside each"
    priority = 28  # before COCO: a folder of LabelMe files under annotations/ is not a COCO folder

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
        classes = ClassList()
        for json_path in files:
            for shape in _load(json_path)["shapes"]:
                if isinstance(shape, dict) and shape.get("shape_type") == "rectangle" and _label(shape):
                    classes.id(_label(shape))
        reading = Reading(self.name, root, classes.names, lambda: iter(()), count=len(files))
        reading.samples = lambda: _samples(files, root, classes, reading)
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


def _label(shape: dict) -> str:
    return str(shape.get("label") or "").strip()


def _split_of(json_path: Path, root: Path) -> str:
    for part in json_path.relative_to(root).parts[:-1]:
        split = split_named(part)
        if split:
            return split
    return "train"


def _image(document: dict, json_path: Path, finder: ImageFinder) -> tuple[str, bytes, int, int] | None:
    import base64
    import binascii

    from ydc_cli.domain.datayaml import is_image_name
    from ydc_cli.domain.errors import InvalidDatasetError, InvalidImageError
    from ydc_cli.domain.imageformat import EXTENSIONS_BY_FORMAT, read_header, sniff_format

    image_path = str(document.get("imagePath") or "").replace("\\", "/")
    source = finder.find(image_path, json_path.parent) if image_path else None
    if source is not None and not is_image_name(source.name):  # labelme 4 named the JSON itself with imageData
        source = None
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
    name = Path(image_path).name or f"{json_path.stem}.jpg"
    kind = sniff_format(data)
    if kind and Path(name).suffix.lower().lstrip(".") not in EXTENSIONS_BY_FORMAT[kind]:
        name = f"{Path(name).stem}.{ {'jpeg': 'jpg', 'tiff': 'tif'}.get(kind, kind)}"
    try:
        header = read_header(data, name)
    except InvalidImageError as exc:
        raise InvalidDatasetError(f"its imageData is not a usable image: {exc} ({json_path})") from None
    return name, data, header.width, header.height


def _recorded_size(document: dict, width: int, height: int) -> tuple[float, float]:
    """The image size the file records (what its points are relative to), else the header's."""
    try:
        recorded = number(document.get("imageWidth")), number(document.get("imageHeight"))
    except (TypeError, ValueError):
        return width, height
    return recorded if recorded[0] > 0 and recorded[1] > 0 else (width, height)


def _samples(files: list[Path], root: Path, classes: ClassList, reading: Reading) -> Iterator[Sample]:
    from ydc_cli.persistence import Sample

    finder = ImageFinder(root)
    tally = BoxTally()
    others: dict[str, int] = {}
    unlabelled = 0
    taken: set[tuple[str, str]] = set()
    for json_path in files:
        document = _load(json_path)
        found = _image(document, json_path, finder)
        relative = json_path.relative_to(root).as_posix()
        if found is None:
            reading.skipped.append((relative, "image file not found and no imageData"))
            continue
        name, data, header_width, header_height = found
        width, height = _recorded_size(document, header_width, header_height)
        annotations = []
        other = False
        for index, shape in enumerate(document["shapes"]):
            if not isinstance(shape, dict):
                continue
            kind = str(shape.get("shape_type") or "polygon")
            if kind != "rectangle":
                others[kind] = others.get(kind, 0) + 1
                other = True
                continue
            where = f"{relative} shape {index + 1}"
            try:
                xs, ys = zip(*((number(x), number(y)) for x, y in shape["points"]), strict=True)
            except (KeyError, TypeError, ValueError):
                xs = ys = ()
            if len(xs) < 2:
                reading.skipped.append((where, "a rectangle needs two corner points"))
                continue
            if not _label(shape):
                reading.skipped.append((where, "rectangle has no label"))
                continue
            converted = pixel_box(classes.id(_label(shape)), min(xs), min(ys), max(xs), max(ys), width, height,
                                  tally)
            if isinstance(converted, str):
                reading.skipped.append((where, converted))
            else:
                annotations.append(converted)
        split = _split_of(json_path, root)
        unlabelled += other and not annotations
        yield Sample(unique_name(name, split, taken), split, data, None if other and not annotations else annotations)
    for kind, count in sorted(others.items()):
        reading.notes.append(f"{count} {kind} shape{'s' if count != 1 else ''} not imported (rectangles only)")
    if unlabelled:
        reading.notes.append(f"{unlabelled} image{'s' if unlabelled != 1 else ''} with only such shapes stored "
                             "unlabelled, not as background")
    reading.notes += tally.notes()
