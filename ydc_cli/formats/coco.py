"""COCO JSON, in and out: boxes, segmentation polygons and masks, keypoints.

Read: a ``.json`` file, a folder with ``annotations/*.json`` (COCO 2017 ships
``instances_*``, ``person_keypoints_*`` and ``captions_*`` side by side: labels come
from the ``instances_*`` files, or with ``--task pose`` from the keypoints files, and the
others are named in the report as skipped), or Roboflow's export (``train/``, ``valid/``,
``test/`` each with ``_annotations.coco.json`` beside the images). A file's split comes
from its name (``instances_val2017`` -> val), or for Roboflow from its folder; train by
default. Categories are mapped by *name* to class ids in order of category id;
ultralytics' 91-to-80 COCO id table is never applied.

Which task the labels are (``ReadOptions.task``, ``--task``, picks one the files hold):

- pose when the categories name ``keypoints`` (every keypoint category the same count K):
  ``kpt_shape [K, 3]``, the skeleton from the category's 1-based ``skeleton``, ``flip_idx``
  from ydc's ``flip_idx`` key or else from ``left``/``right`` names that pair up. An
  annotation without keypoints keeps its box, its keypoints unlabelled (counted);
- segment when every annotation read has a usable ``segmentation`` (with ``--task segment``
  the others are left out, counted). A segmentation of several parts becomes one polygon:
  the parts are joined at their nearest points by zero-width cuts, as ultralytics'
  ``merge_multi_segment`` does, so nothing of the object is lost (keeping the largest
  part would drop the rest of an occluded object) and its filled area stays the sum of the
  parts. RLE masks, as ``counts`` lists or COCO's compressed strings, are decoded here and
  traced with OpenCV (outer outlines: a YOLO polygon has no holes; several regions are
  joined as parts);
- obb with ``--task obb``, or in a file ydc wrote from an obb dataset (``info.ydc_task``):
  one four-corner polygon per annotation (others left out, counted);
- else detect: the boxes (a note says how many annotations had polygons).

Coordinates are normalised and clipped to the image (boxes and polygons cut at the edge,
keypoints off the image marked unlabelled), each counted in a note. Crowd regions
(``iscrowd``) are left out, as ultralytics' COCO converter does; Datumaro and CVAT write
every mask as one. A malformed segmentation, RLE or keypoint list refuses the file
(exit 5), naming the annotation.

Write: ``<name>-coco/images/<split>/`` with the original bytes and one
``annotations/instances_<split>.json`` per split (``person_keypoints_<split>.json`` for pose,
as COCO names its keypoint files; categories 1..n in class order, pixels), so a YOLO
export, ``<name>/``, can sit beside it. Segment datasets write ``segmentation``
polygons and their area; obb datasets the four corners as the segmentation and their
extent as ``bbox``; pose datasets ``keypoints``, ``num_keypoints`` and categories with
keypoint names (COCO's person names for 17, else kp1..kpK), the 1-based ``skeleton`` and
ydc's ``flip_idx``.
"""

from __future__ import annotations

import json
import math
import re
from collections import defaultdict
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from ydc_cli.formats.base import (
    EDGE,
    BoxTally,
    ClassList,
    FolderOut,
    Format,
    ImageFinder,
    Reading,
    ReadOptions,
    image_size,
    number,
    pixel_box,
    read_image,
    sniff_json,
    split_named,
)

if TYPE_CHECKING:
    from ydc_cli.domain.tasks import Task
    from ydc_cli.persistence import Annotation, DatasetInfo, Sample

ROBOFLOW = "_annotations.coco.json"
# COCO's person keypoints, in its order: what a 17-keypoint export names them
COCO_KEYPOINTS = ("nose", "left_eye", "right_eye", "left_ear", "right_ear", "left_shoulder", "right_shoulder",
                  "left_elbow", "right_elbow", "left_wrist", "right_wrist", "left_hip", "right_hip", "left_knee",
                  "right_knee", "left_ankle", "right_ankle")
WHAT = {"detect": "boxes", "segment": "polygons", "obb": "oriented boxes", "pose": "keypoints"}


class Coco(Format):
    name = "coco"
    title = "COCO"
    layout = "a COCO .json, a folder with annotations/*.json, or Roboflow's <split>/_annotations.coco.json"
    priority = 30
    writes = True

    def detect(self, path: Path) -> bool:
        if path.is_file():
            return path.suffix.lower() == ".json" and sniff_json(path) == "coco"
        return bool(_files(path))

    def read(self, path: Path, options: ReadOptions) -> Reading:
        from ydc_cli.domain.errors import InvalidDatasetError

        files = [path] if path.is_file() else _files(path)
        if not files:
            raise InvalidDatasetError(f"no COCO JSON found (a .json file, or annotations/*.json) ({path})")
        root = (path.parent if path.is_file() else path).absolute()
        reading = Reading(self.name, root, [], lambda: iter(()))
        documents = []
        chosen, source = _chosen(files, options.task)
        passed = [f for f in files if f not in chosen]
        for json_path in chosen:
            document = _load(json_path)
            if not isinstance(document.get("categories"), list):
                if len(files) == 1:
                    raise InvalidDatasetError(f"not a COCO detection file: needs 'images' and 'categories' "
                                              f"lists ({json_path})")
                reading.notes.append(f"{_relative(json_path, root)} skipped: no categories")
                continue
            documents.append((json_path, _split_of(json_path), document))
        task = _task_of(documents, options.task, reading.notes)
        reading.notes[:0] = [f"{_relative(p, root)} skipped: {_kind_of(p.name)}, {WHAT[task.name]} come from the "
                             f"{source} files" for p in passed]
        classes = ClassList()
        for _, _, document in documents:
            for category in sorted(document["categories"], key=_category_order):
                name = str(category.get("name", "")).strip()
                if name:
                    classes.id(name)
        reading.classes = classes.names
        reading.task = None if task.name == "detect" else task
        reading.count = sum(len(document["images"]) for _, _, document in documents)
        reading.samples = lambda: _samples(documents, classes, ImageFinder(root), reading, task)
        return reading

    async def write(self, dataset: DatasetInfo, prompts: dict[int, list[str]], samples: AsyncIterator[Sample],
                    out: FolderOut) -> None:
        task = dataset.task_spec()
        categories = [{"id": i + 1, "name": c, "supercategory": ""} for i, c in enumerate(dataset.classes)]
        if task.name == "pose":
            layout = {"keypoints": keypoint_names(task), "skeleton": [[a + 1, b + 1] for a, b in task.skeleton_pairs()]}
            if task.flip_idx is not None:
                layout["flip_idx"] = list(task.flip_idx)
            categories = [{**category, **layout} for category in categories]
        info = {"description": f"{dataset.name}, exported by ydc"}
        if task.name == "obb":
            info["ydc_task"] = "obb"
        documents: dict[str, dict] = {}
        async for sample in samples:
            doc = documents.setdefault(sample.split, {"info": info, "images": [], "annotations": [],
                                                      "categories": categories})
            width, height = image_size(sample)
            image_id = len(doc["images"]) + 1
            doc["images"].append({"id": image_id, "file_name": sample.filename, "width": width, "height": height})
            for a in sample.annotations or []:
                doc["annotations"].append({"id": len(doc["annotations"]) + 1, "image_id": image_id,
                                           "category_id": a.class_id + 1, **_to_coco(a, task, width, height)})
            out.write(f"images/{sample.split}/{sample.filename}", sample.data)
            out.sample_done()
        out.folder("annotations")
        kind = "person_keypoints" if task.name == "pose" else "instances"
        for split, doc in documents.items():
            out.write(f"annotations/{kind}_{split}.json", json.dumps(doc, ensure_ascii=False).encode("utf-8"))


def keypoint_names(task: Task) -> list[str]:
    """What an export calls the keypoints: COCO's person names for its 17, else ``kp1..kpK``."""
    k = (task.kpt_shape or (0, 0))[0]
    if k == len(COCO_KEYPOINTS) and task.flip_idx in (None, flip_from_names(COCO_KEYPOINTS)):
        return list(COCO_KEYPOINTS)
    return [f"kp{i + 1}" for i in range(k)]


def _to_coco(a: Annotation, task: Task, width: int, height: int) -> dict:
    """An annotation's COCO fields in pixels: ``bbox``, ``area``, ``iscrowd`` and the task's shape."""
    from ydc_cli.domain.shapes.base import points_extent, shoelace
    from ydc_cli.domain.shapes.keypoints import keypoint_triples

    if task.name in ("segment", "obb") and a.points:
        pixels = [v * (width if i % 2 == 0 else height) for i, v in enumerate(a.points)]
        cx, cy, w, h = points_extent(pixels)
        return {"bbox": [round(cx - w / 2, 3), round(cy - h / 2, 3), round(w, 3), round(h, 3)],
                "area": round(shoelace(pixels), 3), "iscrowd": 0, "segmentation": [[round(v, 3) for v in pixels]]}
    w, h = a.width * width, a.height * height
    x, y = a.x * width - w / 2, a.y * height - h / 2
    fields = {"bbox": [round(x, 3), round(y, 3), round(w, 3), round(h, 3)], "area": round(w * h, 3), "iscrowd": 0}
    if task.name == "pose":
        from ydc_cli.domain.shapes.base import Box

        keypoints: list[float] = []
        for px, py, visible in keypoint_triples(Box(a.class_id, a.x, a.y, a.width, a.height, a.points), task):
            keypoints += [round(px * width, 3), round(py * height, 3), int(visible)] if visible else [0, 0, 0]
        fields["keypoints"] = keypoints
        fields["num_keypoints"] = sum(1 for v in keypoints[2::3] if v)
    return fields


def _files(folder: Path) -> list[Path]:
    """The COCO files of a folder: ``annotations/*.json``, Roboflow's per-split files, or top-level
    COCO files."""
    if not folder.is_dir():
        return []
    found = sorted(p for p in (folder / "annotations").glob("*.json") if p.is_file())
    found += sorted(p for p in folder.glob(f"*/{ROBOFLOW}") if p.is_file())
    if (folder / ROBOFLOW).is_file():
        found.append(folder / ROBOFLOW)
    if not found and not (folder / "data.yaml").exists():
        found = sorted(p for p in folder.glob("*.json") if p.is_file() and sniff_json(p) == "coco")
    return found


def _chosen(files: list[Path], asked: str | None) -> tuple[list[Path], str]:
    """The files labels are read from, and what the report calls them: COCO 2017's keypoints files
    for ``--task pose``, else its instances files, else every file."""
    keypoints = [f for f in files if "keypoints" in f.name.lower()]
    instances = [f for f in files if f.name.lower().startswith("instances")]
    if asked == "pose" and keypoints:
        return keypoints, "keypoints"
    if instances:
        return instances, "instances"
    return files, ""


def _split_of(json_path: Path) -> str:
    if json_path.name == ROBOFLOW:
        return split_named(json_path.parent.name) or "train"
    return split_named(json_path.stem) or "train"


def _kind_of(filename: str) -> str:
    lowered = filename.lower()
    for token, kind in (("keypoints", "keypoints"), ("captions", "captions"), ("panoptic", "panoptic segments"),
                        ("stuff", "stuff segments"), ("instances", "instances")):
        if token in lowered:
            return kind
    return "not an instances file"


def _relative(path: Path, root: Path) -> str:
    try:
        return str(path.absolute().relative_to(root))
    except ValueError:
        return str(path)


def _category_order(category: dict) -> tuple[int, float]:
    value = category.get("id", 0)
    return (0, float(value)) if isinstance(value, (int, float)) and not isinstance(value, bool) else (1, 0.0)


def _load(json_path: Path) -> dict:
    from ydc_cli.domain.errors import InvalidDatasetError

    try:
        document = json.loads(json_path.read_bytes())
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InvalidDatasetError(f"not a valid JSON file ({json_path})") from exc
    if not isinstance(document, dict) or not isinstance(document.get("images"), list):
        raise InvalidDatasetError(f"not a COCO detection file: needs 'images' and 'categories' lists ({json_path})")
    return document


# -- which task ---------------------------------------------------------------------

def _task_of(documents: list[tuple[Path, str, dict]], asked: str | None, notes: list[str]) -> Task:
    """The task the documents are read as: ``asked`` when they hold it, else what they hold
    (pose, segment, obb, detect: see the module's docstring)."""
    from ydc_cli.domain.errors import InvalidDatasetError
    from ydc_cli.domain.tasks import DETECT, Task

    layouts = [(json_path, _layout(json_path, document)) for json_path, _, document in documents]
    posed = [(json_path, layout) for json_path, layout in layouts if layout is not None]
    if posed and asked in (None, "pose"):
        first_path, first = posed[0]
        bare = [json_path for json_path, layout in layouts if layout is None]
        if bare:
            raise InvalidDatasetError(f"the COCO files mix pose and other labels: {first_path.name} names keypoints, "
                                      f"{bare[0].name} none; import them apart, or with --task detect or segment "
                                      f"({bare[0]})")
        for json_path, layout in posed[1:]:
            if layout.kpt_shape != first.kpt_shape:
                raise InvalidDatasetError(f"the COCO files name different keypoints: {first.kpt_shape[0]} in "
                                          f"{first_path.name}, {layout.kpt_shape[0]} here ({json_path})")
        return first
    if asked == "detect":
        return DETECT
    total = segmented = cornered = 0
    for _, _, document in documents:
        known = {c.get("id") for c in document["categories"] if isinstance(c, dict)}
        for ann in document.get("annotations") or []:
            if isinstance(ann, dict) and not ann.get("iscrowd") and ann.get("category_id") in known:
                total += 1
                segmentation = ann.get("segmentation")
                segmented += _has_segmentation(segmentation)
                cornered += _is_four_corners(segmentation)
    marked = bool(documents) and all(isinstance(d.get("info"), dict) and d["info"].get("ydc_task") == "obb"
                                     for _, _, d in documents)
    if cornered and (asked == "obb" or asked is None and marked):
        return Task("obb")
    if segmented and (asked == "segment" or asked is None and segmented == total):
        return Task("segment")
    if asked is None and segmented:
        notes.append(f"{segmented} of {total} annotations have a segmentation; all are read as boxes "
                     "(--task segment reads the polygons and leaves the others out)")
    return DETECT


def _has_segmentation(segmentation: object) -> bool:
    if isinstance(segmentation, dict):
        return "counts" in segmentation and "size" in segmentation
    if not isinstance(segmentation, list) or not segmentation:
        return False
    if all(_is_number(v) for v in segmentation):  # one flat part, as some writers put it
        return len(segmentation) >= 6
    return any(_has_segmentation(part) if isinstance(part, dict) else isinstance(part, list) and len(part) >= 6
               for part in segmentation)


def _is_four_corners(segmentation: object) -> bool:
    if isinstance(segmentation, list) and len(segmentation) == 1 and isinstance(segmentation[0], list):
        segmentation = segmentation[0]
    return isinstance(segmentation, list) and len(segmentation) == 8 and all(map(_is_number, segmentation))


def _is_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _layout(json_path: Path, document: dict) -> Task | None:
    """The pose task a document's keypoint categories describe, or None when none names keypoints.

    Raises:
        InvalidDatasetError: keypoint categories of different counts, a bad skeleton or flip_idx.
    """
    from ydc_cli.domain import tasks
    from ydc_cli.domain.errors import InvalidDatasetError

    named = [c for c in sorted((c for c in document["categories"] if isinstance(c, dict)), key=_category_order)
             if isinstance(c.get("keypoints"), list) and c["keypoints"]]
    if not named:
        return None
    first = named[0]
    names = [str(n) for n in first["keypoints"]]
    k = len(names)
    for category in named[1:]:
        if len(category["keypoints"]) != k:
            raise InvalidDatasetError(f"categories name different numbers of keypoints: {first.get('name')} {k}, "
                                      f"{category.get('name')} {len(category['keypoints'])} ({json_path})")
    skeleton = []
    for pair in first.get("skeleton") or []:
        if not (isinstance(pair, list) and len(pair) == 2 and all(_is_number(v) and v == int(v) and 1 <= v <= k
                                                                 for v in pair)):
            raise InvalidDatasetError(f"category {first.get('name')}'s skeleton pair {pair!r} is not two of its "
                                      f"keypoints 1..{k} ({json_path})")
        skeleton.append((int(pair[0]) - 1, int(pair[1]) - 1))
    flips = first.get("flip_idx")
    if flips is not None and not (isinstance(flips, list) and sorted(flips) == list(range(k))):
        raise InvalidDatasetError(f"category {first.get('name')}'s flip_idx must list each keypoint 0..{k - 1} once, "
                                  f"got {flips!r} ({json_path})")
    return tasks.make("pose", [k, 3], flips if flips is not None else flip_from_names(names), skeleton or None,
                      str(json_path))


def flip_from_names(names) -> list[int] | None:
    """Which keypoint each becomes in a left-right flip, from names whose ``left`` and ``right``
    words pair up (``left_eye`` and ``right_eye``, ``leftEye``, ``Eye Left``); None when no name is
    sided or a sided one has no partner."""
    swap = {"left": "right", "right": "left"}
    words = [tuple(w for w in re.split(r"[^a-z0-9]+", re.sub(r"([a-z])([A-Z])", r"\1 \2", str(n)).lower()) if w)
             for n in names]
    index = {w: i for i, w in enumerate(words)}
    if len(index) != len(words) or not any(set(w) & set(swap) for w in words):
        return None
    flips = [index.get(tuple(swap.get(x, x) for x in w)) for w in words]
    return None if None in flips else flips  # type: ignore[return-value]


# -- reading ------------------------------------------------------------------------

@dataclass
class _Tally:
    """What a reading changed or left out, counted for the report's notes."""

    boxes: BoxTally = field(default_factory=BoxTally)
    polygons_clipped: int = 0
    joined: int = 0
    traced: int = 0
    unsegmented: int = 0
    not_corners: int = 0
    keypoints_off: int = 0
    without_keypoints: int = 0

    def notes(self, task: Task) -> list[str]:
        notes = self.boxes.notes()
        for count, text in (
            (self.polygons_clipped, f"{'oriented box' if task.name == 'obb' else 'polygon'}{{s}} reached past "
                                    "the image edge and {were} clipped to it"),
            (self.joined, "segmentation{s} of several parts {were} joined into one polygon each (at the parts' "
                          "nearest points, as ultralytics' merge_multi_segment)"),
            (self.traced, "RLE mask{s} {were} traced into polygons"),
            (self.unsegmented, "annotation{s} without a segmentation {were} left out (a segment dataset holds "
                               "polygons)"),
            (self.not_corners, "annotation{s} not one four-corner polygon {were} left out (an obb dataset holds "
                               "oriented boxes)"),
            (self.keypoints_off, "keypoint{s} outside the image {were} marked not labelled"),
            (self.without_keypoints, "annotation{s} without keypoints {were} kept as boxes, every keypoint "
                                     "not labelled"),
        ):
            if count:
                notes.append(f"{count} " + text.format(s="" if count == 1 else "s",
                                                       were="was" if count == 1 else "were"))
        return notes


def _find_image(finder: ImageFinder, json_path: Path, split: str, file_name: str) -> Path | None:
    base = json_path.parent
    name = Path(file_name.replace("\\", "/")).name
    bases = [base, base.parent, base / "images", base.parent / "images" / split, base.parent / split,
             base.parent / "images"]
    bases += sorted(p for p in base.parent.glob(f"{split}*") if p.is_dir())
    bases += sorted(p for p in (base.parent / "images").glob(f"{split}*") if p.is_dir())
    for folder in bases:
        for candidate in (folder / file_name, folder / name):
            if candidate.is_file() and finder.inside(candidate):
                return candidate
    return finder.find(name)


def _samples(documents: list[tuple[Path, str, dict]], classes: ClassList, finder: ImageFinder,
             reading: Reading, task: Task) -> Iterator[Sample]:
    from ydc_cli.persistence import Sample

    tally = _Tally()
    seen: set[tuple[str, str]] = set()
    for json_path, split, document in documents:
        class_of = {c.get("id"): classes.id(str(c.get("name", "")).strip())
                    for c in document["categories"] if str(c.get("name", "")).strip()}
        boxes = defaultdict(list)
        for ann in document.get("annotations") or []:
            if isinstance(ann, dict):
                boxes[ann.get("image_id")].append(ann)
        for image in document["images"]:
            if not isinstance(image, dict):
                continue
            file_name = str(image.get("file_name", ""))
            source = _find_image(finder, json_path, split, file_name)
            if source is None:
                reading.skipped.append((file_name, "image file not found"))
                continue
            if (split, source.name) in seen:
                reading.skipped.append((file_name, f"already read into {split} from another file"))
                continue
            seen.add((split, source.name))
            data, header_width, header_height = read_image(source)
            width, height = image.get("width") or header_width, image.get("height") or header_height
            annotations = []
            for ann in boxes.get(image.get("id"), []):
                converted = _to_yolo(ann, class_of, float(width), float(height), task, tally, json_path)
                if isinstance(converted, str):
                    reading.skipped.append((f"{file_name} annotation {ann.get('id')}", converted))
                elif converted is not None:
                    annotations.append(converted)
            yield Sample(source.name, split, data, annotations)
    reading.notes += tally.notes(task)


def _to_yolo(ann: dict, class_of: dict, width: float, height: float, task: Task, tally: _Tally,
             json_path: Path) -> Annotation | str | None:
    """A COCO annotation as a normalised YOLO shape of ``task`` clipped to the image, the reason it was
    left out, or None when it is left out and counted in ``tally``.

    Raises:
        InvalidDatasetError: a malformed segmentation or keypoint list, naming the annotation.
    """
    if ann.get("iscrowd"):
        return "crowd region (iscrowd)"
    if ann.get("category_id") not in class_of:
        return f"unknown category {ann.get('category_id')}"
    class_id = class_of[ann["category_id"]]
    if width <= 0 or height <= 0:
        return "image has no size"
    where = _Where(json_path, ann)
    if task.name in ("detect", "pose"):
        try:
            x, y, w, h = (number(v) for v in ann["bbox"])
        except (KeyError, TypeError, ValueError):
            return "no usable bbox"
        box = pixel_box(class_id, x, y, x + w, y + h, width, height, tally.boxes)
        if task.name == "detect" or isinstance(box, str):
            return box
        k = (task.kpt_shape or (0, 0))[0]
        if not ann.get("keypoints"):
            tally.without_keypoints += 1
            box.points = (0.0,) * (3 * k)
        else:
            box.points = _keypoints(ann["keypoints"], k, width, height, tally, where)
        return box
    parts = _parts(ann.get("segmentation"), width, height, tally, where)
    if parts is None:
        tally.unsegmented += 1
        return None
    if task.name == "obb":
        if len(parts) != 1 or len(parts[0]) != 8:
            tally.not_corners += 1
            return None
        return _shape(class_id, parts[0], width, height, task, tally)
    if not parts:
        return "segmentation has no polygon of 3 points"
    if len(parts) > 1:
        tally.joined += 1
    return _shape(class_id, parts[0] if len(parts) == 1 else join_parts(parts), width, height, task, tally)


@dataclass(frozen=True)
class _Where:
    """An annotation in a file, for the error that refuses it."""

    json_path: Path
    ann: dict

    def bad(self, what: str) -> Exception:
        from ydc_cli.domain.errors import InvalidDatasetError

        return InvalidDatasetError(f"annotation {self.ann.get('id')}: {what} ({self.json_path})")


def _shape(class_id: int, pixels: list[float], width: float, height: float, task: Task, tally: _Tally
           ) -> Annotation | str:
    """Pixel points as the task's normalised shape, cut to the image."""
    from ydc_cli.domain.shapes.base import Box
    from ydc_cli.persistence import Annotation

    values = [v / (width if i % 2 == 0 else height) for i, v in enumerate(pixels)]
    clipped = task.shape.clip(Box(class_id, 0.0, 0.0, 0.0, 0.0, tuple(values)), task)
    if clipped is None:
        return f"{task.shape.kind} has no area inside the image"
    if max(max(-v, v - 1.0) for v in values) > EDGE:
        tally.polygons_clipped += 1
    points = tuple(round(v, 6) for v in clipped.points or ())
    return Annotation(class_id, *(round(v, 6) for v in clipped[1:5]), points)


def _parts(segmentation: object, width: float, height: float, tally: _Tally, where: _Where
           ) -> list[list[float]] | None:
    """A segmentation's polygons in pixels (parts of under 3 points left out), None when there is none.

    Raises:
        InvalidDatasetError: not a list of polygons or an RLE mask.
    """
    if segmentation is None or segmentation == [] or segmentation == {}:
        return None
    if isinstance(segmentation, dict):
        tally.traced += 1
        return trace(rle_mask(segmentation, width, height, where))
    if not isinstance(segmentation, list):
        raise where.bad(f"segmentation must be a list of polygons or an RLE mask, got {type(segmentation).__name__}")
    if all(_is_number(v) for v in segmentation):
        segmentation = [segmentation]
    parts = []
    for part in segmentation:
        if isinstance(part, dict):
            tally.traced += 1
            parts += trace(rle_mask(part, width, height, where))
            continue
        if not isinstance(part, list) or not all(_is_number(v) and math.isfinite(v) for v in part):
            raise where.bad("a segmentation polygon must be a list of numbers x1, y1, x2, y2, ...")
        if len(part) % 2:
            raise where.bad(f"a segmentation polygon has {len(part)} coordinates (an odd count)")
        if len(part) >= 6:
            parts.append([float(v) for v in part])
    return parts


def _keypoints(values: object, k: int, width: float, height: float, tally: _Tally, where: _Where
               ) -> tuple[float, ...]:
    """COCO's ``[x, y, v] * K`` in pixels as normalised keypoints; a keypoint off the image becomes
    not labelled, as an unlabelled one is (``0 0 0``).

    Raises:
        InvalidDatasetError: not 3K numbers, or a visibility other than 0, 1, 2.
    """
    if not isinstance(values, list) or len(values) != 3 * k or not all(_is_number(v) for v in values):
        got = f"{len(values)} values" if isinstance(values, list) else type(values).__name__
        raise where.bad(f"keypoints must be {k} keypoints of x, y, v ({3 * k} numbers), got {got}")
    points: list[float] = []
    for index in range(k):
        x, y, visible = values[index * 3:index * 3 + 3]
        if visible not in (0, 1, 2):
            raise where.bad(f"keypoint {index + 1} visibility must be 0, 1 or 2, got {visible!r}")
        nx, ny = x / width, y / height
        if visible and not (-EDGE <= nx <= 1 + EDGE and -EDGE <= ny <= 1 + EDGE and math.isfinite(nx + ny)):
            tally.keypoints_off += 1
            visible = 0
        if not visible:
            points += [0.0, 0.0, 0.0]
            continue
        points += [round(min(max(nx, 0.0), 1.0), 6), round(min(max(ny, 0.0), 1.0), 6), float(visible)]
    return tuple(points)


# -- masks and parts -----------------------------------------------------------------

def rle_counts(text: str) -> list[int]:
    """The run lengths of COCO's compressed RLE string.

    Each run is a variable-length number in characters ``48 + 6 bits``: five data bits, a
    continuation bit (0x20), the last character's 0x10 its sign; from the fourth run on, a
    run is stored as the difference from the run two before it.

    Raises:
        ValueError: a character outside the code, or a number cut short.
    """
    counts: list[int] = []
    data = text.encode("ascii")
    position = 0
    while position < len(data):
        value = shift = 0
        while True:
            if position >= len(data):
                raise ValueError("the RLE string ends inside a number")
            code = data[position] - 48
            if not 0 <= code < 64:
                raise ValueError(f"{chr(data[position])!r} is not an RLE character")
            position += 1
            value |= (code & 0x1F) << shift
            shift += 5
            if not code & 0x20:
                if code & 0x10:
                    value -= 1 << shift
                break
        if len(counts) > 2:
            value += counts[-2]
        counts.append(value)
    return counts


def rle_mask(rle: dict, width: float, height: float, where: _Where):
    """An RLE mask (``counts`` a list of run lengths or a compressed string, runs down the columns,
    the first one of zeros) as a ``uint8`` array of the image's size.

    Raises:
        InvalidDatasetError: a malformed RLE, or one whose size is not the image's.
    """
    import numpy as np

    size, counts = rle.get("size"), rle.get("counts")
    if not (isinstance(size, list) and len(size) == 2 and all(isinstance(v, int) and v > 0 for v in size)):
        raise where.bad(f"an RLE mask's size must be [height, width], got {size!r}")
    rows, columns = size
    if (columns, rows) != (round(width), round(height)):
        raise where.bad(f"the RLE mask is {columns}x{rows}, its image {round(width)}x{round(height)}")
    if isinstance(counts, str):
        try:
            counts = rle_counts(counts)
        except (ValueError, UnicodeEncodeError) as exc:
            raise where.bad(f"not a compressed RLE string: {exc}") from None
    elif not (isinstance(counts, list) and all(isinstance(v, int) and not isinstance(v, bool) for v in counts)):
        raise where.bad("RLE counts must be a list of run lengths or a compressed string")
    if any(v < 0 for v in counts):
        raise where.bad("an RLE run is negative")
    if sum(counts) != rows * columns:
        raise where.bad(f"the RLE runs cover {sum(counts)} pixels, the mask has {rows * columns}")
    values = np.repeat((np.arange(len(counts)) % 2).astype(np.uint8), counts)
    return np.ascontiguousarray(values.reshape(columns, rows).T)


def trace(mask) -> list[list[float]]:
    """The outer outlines of a mask's regions in pixels (through the boundary pixels' centres),
    largest first; regions of under 3 outline points are left out."""
    import cv2

    contours, _ = cv2.findContours(mask, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    contours = sorted((c for c in contours if len(c) >= 3), key=cv2.contourArea, reverse=True)
    return [(c.reshape(-1).astype(float) + 0.5).tolist() for c in contours]


def join_parts(parts: list[list[float]]) -> list[float]:
    """Several polygons (flat pixel points) as one: each part is entered at its point nearest the part
    before it and walked round, and the walk comes back along the same cut, so the cuts add no area
    and the parts keep theirs. Every part is turned the same way first, so their areas add up."""
    import numpy as np

    rings = []
    for part in parts:
        ring = np.asarray(part, dtype=np.float64).reshape(-1, 2)
        x, y = ring[:, 0], ring[:, 1]
        if float(np.dot(x, np.roll(y, -1)) - np.dot(np.roll(x, -1), y)) < 0:
            ring = ring[::-1]
        rings.append(ring)
    sequence: list = []
    returns: list[list] = []
    start = 0
    for index, ring in enumerate(rings):
        n = len(ring)
        if index == len(rings) - 1:
            sequence += [ring[(start + step) % n] for step in range(n + 1)]
            break
        following = rings[index + 1]
        distances = ((ring[:, None, :] - following[None, :, :]) ** 2).sum(axis=2)
        leave, enter = (int(i) for i in np.unravel_index(int(distances.argmin()), distances.shape))
        ahead = (leave - start) % n
        sequence += [ring[(start + step) % n] for step in range(ahead + 1)]
        returns.append([ring[(leave + step) % n] for step in range(n - ahead + 1)])
        start = enter
    for back in reversed(returns):
        sequence += back
    return np.asarray(sequence[:-1], dtype=np.float64).reshape(-1).tolist()
