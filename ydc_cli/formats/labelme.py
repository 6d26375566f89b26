"""LabelMe JSON (the ``labelme`` annotation tool): one JSON per image, beside it.

Read only: a folder of images each with a ``.json`` (``shapes``, ``imagePath``,
``imageWidth``, ``imageHeight``, maybe ``imageData``), in subfolders too, or one ``.json``;
the split comes from a ``train``/``val``/``test`` folder on the way to the JSON, else
train. Points are pixels against the ``imageWidth`` and ``imageHeight`` the file records
(labelme's, after EXIF rotation, as ultralytics sees the image), else the image header's.
A ``rectangle`` (its corner points, in any order: two as labelme writes, four as some
converters do) is a box (detect); a ``polygon`` (labelme's default shape) is a polygon
(segment); ``point`` shapes are pose keypoints, each in the rectangle of its ``group_id``
(labelme's Group ID), else in the smallest rectangle holding it: the rectangle is the
object, its box and class; ``kpt_shape`` is ``[K, 3]``, K the distinct labels of such points
in order of first appearance, one of each per object (a label missing is not labelled,
0; present, 2). Each file is of the kind most of its shapes are (points in rectangles
counting for pose; a tie goes to detect, then segment), and the dataset of the kind most
files are (the same ties); ``datasets import --task`` picks the kind instead. The rest,
circles, lines, linestrips and masks are counted in a note, and a file with such shapes
but none imported is stored unlabelled, not as a background. The image
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
from dataclasses import dataclass, field
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
    pixel_shape,
    read_image,
    sniff_json,
    split_named,
    unique_name,
)

if TYPE_CHECKING:
    from ydc_cli.domain.tasks import Task
    from ydc_cli.persistence import Annotation, Sample

ONLY = {"detect": "rectangles", "segment": "polygons", "pose": "rectangles and points"}
KIND_TASK = {"rectangle": "detect", "polygon": "segment", "point": "pose"}


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
        plan = _plan(files, options.task)
        classes = ClassList()
        for json_path in files:
            for shape in _load(json_path)["shapes"]:
                if isinstance(shape, dict) and _label(shape) and _shape_type(shape) in plan.labelled:
                    classes.id(_label(shape))
        reading = Reading(self.name, root, classes.names, lambda: iter(()), count=len(files),
                          task=None if plan.task.name == "detect" else plan.task)
        reading.samples = lambda: _samples(files, root, classes, reading, plan)
        return reading


def _shape_type(shape: dict) -> str:
    return str(shape.get("shape_type") or "polygon")


def _corners(shape: dict) -> tuple[float, float, float, float] | None:
    """A rectangle's ``x1, y1, x2, y2`` from its corner points, or None."""
    try:
        xs, ys = zip(*((number(x), number(y)) for x, y in shape["points"]), strict=True)
    except (KeyError, TypeError, ValueError):
        return None
    return (min(xs), min(ys), max(xs), max(ys)) if len(xs) >= 2 else None


def _point(shape: dict) -> tuple[float, float] | None:
    try:
        ((x, y),) = shape["points"]
        return number(x), number(y)
    except (KeyError, TypeError, ValueError):
        return None


def _objects(shapes: list) -> tuple[list[tuple[int, dict, list[dict]]], int]:
    """Rectangles (with their index) and the point shapes grouped into them (their ``group_id``, else the
    smallest holding them), and how many points are in none."""
    boxes = [(i, s, _corners(s)) for i, s in enumerate(shapes) if isinstance(s, dict)
             and _shape_type(s) == "rectangle"]
    held: dict[int, list[dict]] = {i: [] for i, _, _ in boxes}
    stray = 0
    for shape in shapes:
        if not isinstance(shape, dict) or _shape_type(shape) != "point" or _point(shape) is None:
            continue
        x, y = _point(shape)
        group = shape.get("group_id")
        holders = [(i, c) for i, s, c in boxes if c is not None and group is not None and s.get("group_id") == group]
        if not holders:
            holders = [(i, c) for i, _, c in boxes if c is not None and c[0] <= x <= c[2] and c[1] <= y <= c[3]]
        if not holders:
            stray += 1
            continue
        index, _ = min(holders, key=lambda h: (h[1][2] - h[1][0]) * (h[1][3] - h[1][1]))
        held[index].append(shape)
    return [(i, s, held[i]) for i, s, _ in boxes], stray


@dataclass
class _Plan:
    task: Task
    labelled: set[str]  # the shape types whose labels are classes
    keypoints: list[str] = field(default_factory=list)


def _plan(files: list[Path], requested: str | None) -> _Plan:
    """The task of the files: the kind most files are (each the kind most of its shapes are), or the one asked."""
    from ydc_cli.domain import tasks

    votes = dict.fromkeys(("detect", "segment", "pose"), 0)
    present = dict.fromkeys(votes, 0)
    keypoints: dict[str, None] = {}
    for json_path in files:
        shapes = _load(json_path)["shapes"]
        objects, _ = _objects(shapes)
        grouped = [p for _, _, points in objects for p in points]
        for point in grouped:
            keypoints[_label(point)] = None
        counts = {"detect": len(objects), "pose": len(grouped),
                  "segment": sum(isinstance(s, dict) and _shape_type(s) == "polygon" for s in shapes)}
        for name, count in counts.items():
            present[name] += count
        if any(counts.values()):
            votes[max(counts, key=lambda t: (counts[t], -list(votes).index(t)))] += 1
    if requested in present and present[requested]:
        name = requested
    else:
        name = max(votes, key=lambda t: (votes[t], -list(votes).index(t)))
    if name == "pose":
        return _Plan(tasks.make("pose", [len(keypoints), 3]), {"rectangle"}, list(keypoints))
    return _Plan(tasks.make(name), {"segment": {"polygon"}}.get(name, {"rectangle"}))


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


def _samples(files: list[Path], root: Path, classes: ClassList, reading: Reading, plan: _Plan) -> Iterator[Sample]:
    from ydc_cli.persistence import Sample

    finder = ImageFinder(root)
    tally = BoxTally()
    others: dict[str, int] = {}
    unlabelled = stray = 0
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
        shapes = document["shapes"]
        kept = {"detect": "rectangle", "segment": "polygon", "pose": "rectangle"}[plan.task.name]
        objects, left = _objects(shapes) if plan.task.name == "pose" else ([], 0)
        stray += left
        points = {i: held for i, _, held in objects}
        annotations = []
        other = False
        for index, shape in enumerate(shapes):
            if not isinstance(shape, dict):
                continue
            kind = _shape_type(shape)
            if kind == "point" and plan.task.name == "pose":
                continue  # with its rectangle, or counted as in none
            if kind != kept:
                others[kind] = others.get(kind, 0) + 1
                other = True
                continue
            where = f"{relative} shape {index + 1}"
            if not _label(shape):
                reading.skipped.append((where, f"{kind} has no label"))
                continue
            converted = _convert(shape, points.get(index, []), classes.id(_label(shape)), plan, width, height, tally)
            if isinstance(converted, str):
                reading.skipped.append((where, converted))
            else:
                annotations.append(converted)
        split = _split_of(json_path, root)
        unlabelled += other and not annotations
        yield Sample(unique_name(name, split, taken), split, data, None if other and not annotations else annotations)
    for kind, count in sorted(others.items()):
        reading.notes.append(f"{count} {kind} shape{'s' if count != 1 else ''} not imported "
                             f"({ONLY[plan.task.name]} only)")
    if stray:
        reading.notes.append(f"{stray} point{'s' if stray != 1 else ''} in no rectangle not imported")
    if unlabelled:
        reading.notes.append(f"{unlabelled} image{'s' if unlabelled != 1 else ''} with only such shapes stored "
                             "unlabelled, not as background")
    reading.notes += tally.notes()


def _convert(shape: dict, points: list[dict], class_id: int, plan: _Plan, width: float, height: float,
             tally: BoxTally) -> Annotation | str:
    """A rectangle (a pose object: with its points) or a polygon as an annotation of the plan's task, or why not."""
    if plan.task.name == "segment":
        try:
            flat = [number(v) for point in shape["points"] for v in point]
        except (KeyError, TypeError, ValueError):
            return "polygon points are not numbers"
        return pixel_shape(plan.task, class_id, flat, width, height, tally)
    box = _corners(shape)
    if box is None:
        return "a rectangle needs two corner points"
    if plan.task.name == "detect":
        return pixel_box(class_id, *box, width, height, tally)
    values = [0.0] * (len(plan.keypoints) * 3)
    repeated = set()
    for point in points:
        index = plan.keypoints.index(_label(point))
        if index in repeated:
            return f"two points labelled {_label(point)!r} in one rectangle"
        repeated.add(index)
        values[index * 3:index * 3 + 3] = [*_point(point), 2.0]
    return pixel_shape(plan.task, class_id, values, width, height, tally, box=box)
