"""COCO detection JSON, in and out.

Read: a ``.json`` file, a folder with ``annotations/*.json`` (COCO 2017 ships
``instances_*``, ``person_keypoints_*`` and ``captions_*`` side by side: boxes come
from the ``instances_*`` files and the others are named in the report as skipped),
or Roboflow's export (``train/``, ``valid/``, ``test/`` each with
``_annotations.coco.json`` beside the images). A file's split comes from its name
(``instances_val2017`` -> val), or for Roboflow from its folder; train by default.
Categories are mapped by *name* to class ids in order of category id; ultralytics'
91-to-80 COCO id table is never applied. Boxes are clipped to the image; crowd
regions are skipped.

Write: ``<name>-coco/images/<split>/`` with the original bytes and one
``annotations/instances_<split>.json`` per split (categories 1..n in class order,
boxes in pixels), so a YOLO export, ``<name>/``, can sit beside it.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from ydc_cli.formats.base import (
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
    from ydc_cli.persistence import DatasetInfo, Sample

ROBOFLOW = "_annotations.coco.json"


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
        instances = [f for f in files if f.name.lower().startswith("instances")]
        for json_path in files:
            if instances and json_path not in instances:
                reading.notes.append(f"{_relative(json_path, root)} skipped: {_kind_of(json_path.name)}, "
                                     f"boxes come from the instances files")
                continue
            document = _load(json_path)
            if not isinstance(document.get("categories"), list):
                if len(files) == 1:
                    raise InvalidDatasetError(f"not a COCO detection file: needs 'images' and 'categories' "
                                              f"lists ({json_path})")
                reading.notes.append(f"{_relative(json_path, root)} skipped: no categories")
                continue
            documents.append((json_path, _split_of(json_path), document))
        classes = ClassList()
        for _, _, document in documents:
            for category in sorted(document["categories"], key=_category_order):
                name = str(category.get("name", "")).strip()
                if name:
                    classes.id(name)
        reading.classes = classes.names
        reading.count = sum(len(document["images"]) for _, _, document in documents)
        reading.samples = lambda: _samples(documents, classes, ImageFinder(root), reading)
        return reading

    async def write(self, dataset: DatasetInfo, prompts: dict[int, list[str]], samples: AsyncIterator[Sample],
                    out: FolderOut) -> None:
        categories = [{"id": i + 1, "name": c, "supercategory": ""} for i, c in enumerate(dataset.classes)]
        documents: dict[str, dict] = {}
        async for sample in samples:
            doc = documents.setdefault(sample.split, {"images": [], "annotations": [], "categories": categories})
            width, height = image_size(sample)
            image_id = len(doc["images"]) + 1
            doc["images"].append({"id": image_id, "file_name": sample.filename, "width": width, "height": height})
            for a in sample.annotations or []:
                w, h = a.width * width, a.height * height
                x, y = a.x * width - w / 2, a.y * height - h / 2
                doc["annotations"].append({
                    "id": len(doc["annotations"]) + 1, "image_id": image_id, "category_id": a.class_id + 1,
                    "bbox": [round(x, 3), round(y, 3), round(w, 3), round(h, 3)], "area": round(w * h, 3),
                    "iscrowd": 0})
            out.write(f"images/{sample.split}/{sample.filename}", sample.data)
            out.sample_done()
        out.folder("annotations")
        for split, doc in documents.items():
            out.write(f"annotations/instances_{split}.json", json.dumps(doc, ensure_ascii=False).encode("utf-8"))


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


def _split_of(json_path: Path) -> str:
    if json_path.name == ROBOFLOW:
        return split_named(json_path.parent.name) or "train"
    return split_named(json_path.stem) or "train"


def _kind_of(filename: str) -> str:
    lowered = filename.lower()
    for token, kind in (("keypoints", "keypoints"), ("captions", "captions"), ("panoptic", "panoptic segments"),
                        ("stuff", "stuff segments")):
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
             reading: Reading) -> Iterator[Sample]:
    from ydc_cli.persistence import Sample

    tally = BoxTally()
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
                converted = _to_yolo(ann, class_of, width, height, tally)
                if isinstance(converted, str):
                    reading.skipped.append((f"{file_name} annotation {ann.get('id')}", converted))
                else:
                    annotations.append(converted)
            yield Sample(source.name, split, data, annotations)
    reading.notes += tally.notes()


def _to_yolo(ann: dict, class_of: dict, width: float, height: float, tally: BoxTally):
    """A COCO annotation as a normalised YOLO box clipped to the image, or why it was left out."""
    if ann.get("iscrowd"):
        return "crowd region (iscrowd)"
    if ann.get("category_id") not in class_of:
        return f"unknown category {ann.get('category_id')}"
    try:
        x, y, w, h = (number(v) for v in ann["bbox"])
    except (KeyError, TypeError, ValueError):
        return "no usable bbox"
    return pixel_box(class_of[ann["category_id"]], x, y, x + w, y + h, float(width), float(height), tally)
