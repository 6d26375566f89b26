"""COCO detection JSON in and out.

Export writes ``<name>-coco/images/<split>/`` with the original bytes and one
``<name>-coco/annotations/instances_<split>.json`` per split (the suffix lets a
YOLO export, ``<name>/``, sit beside it in the same folder) (categories 1..n in
class order, boxes in pixels). Import maps categories by *name* to contiguous
class ids in order of category id; ultralytics' 91-to-80 COCO id table is
never applied, so a category keeps its name whatever its id.
"""

from __future__ import annotations

import json
import os
from collections import defaultdict
from collections.abc import Callable, Iterator
from pathlib import Path

from ydc_cli.domain.errors import InvalidDatasetError
from ydc_cli.domain.imageformat import read_header
from ydc_cli.persistence import Annotation, Sample, Stores, fileio


async def export_coco(
    stores: Stores, name: str, output_dir: Path, on_sample: Callable[[int], None] | None = None
) -> Path:
    """Write ``<output_dir>/<name>-coco/`` as a COCO dataset; it appears complete or not at all."""
    from ydc_cli.persistence import commits
    from ydc_cli.services.exporting import export_target

    info, target = await export_target(stores, name, output_dir, f"{name}-coco")
    output_dir = target.parent
    categories = [{"id": i + 1, "name": c, "supercategory": ""} for i, c in enumerate(info.classes)]
    documents: dict[str, dict] = {}
    with (fileio.staging_dir(output_dir) as stage, fileio.storage_errors(target),
          fileio.BackgroundSync() as syncer):
        async for sample in stores.dataset.iter_samples(name):
            doc = documents.setdefault(sample.split, {"images": [], "annotations": [], "categories": categories})
            header = read_header(sample.data, sample.filename)
            image_id = len(doc["images"]) + 1
            doc["images"].append({"id": image_id, "file_name": sample.filename, "width": header.width,
                                  "height": header.height})
            for a in sample.annotations or []:
                w, h = a.width * header.width, a.height * header.height
                x, y = a.x * header.width - w / 2, a.y * header.height - h / 2
                doc["annotations"].append({
                    "id": len(doc["annotations"]) + 1, "image_id": image_id, "category_id": a.class_id + 1,
                    "bbox": [round(x, 3), round(y, 3), round(w, 3), round(h, 3)], "area": round(w * h, 3),
                    "iscrowd": 0})
            folder = stage / "images" / sample.split
            folder.mkdir(parents=True, exist_ok=True)
            syncer.write(folder / sample.filename, sample.data, exclusive=True)
            if on_sample:
                on_sample(1)
        (stage / "annotations").mkdir()
        for split, doc in documents.items():
            path = stage / "annotations" / f"instances_{split}.json"
            syncer.write(path, json.dumps(doc, ensure_ascii=False).encode("utf-8"), exclusive=True)
        syncer.wait()
        for dirpath, _, _ in os.walk(stage):
            fileio.fsync_dir(Path(dirpath))
        with commits.point():
            os.rename(stage, target)
        fileio.fsync_dir(output_dir)
    return target


def coco_files(path: Path) -> list[Path]:
    """The COCO JSON files at ``path``: the file itself, or a folder's ``annotations/*.json``."""
    if path.is_file():
        return [path]
    return sorted(p for p in (path / "annotations").glob("*.json") if p.is_file())


def split_of(json_path: Path) -> str:
    """The split a COCO file holds, from its name (``instances_val2017.json`` -> val); train by default."""
    stem = json_path.stem.lower()
    for token, split in (("train", "train"), ("valid", "val"), ("val", "val"), ("test", "test")):
        if token in stem:
            return split
    return "train"


def _load(json_path: Path) -> dict:
    try:
        document = json.loads(json_path.read_bytes())
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InvalidDatasetError(f"not a valid JSON file ({json_path})") from exc
    if not isinstance(document, dict) or not all(isinstance(document.get(k), list)
                                                 for k in ("images", "categories")):
        raise InvalidDatasetError(f"not a COCO detection file: needs 'images' and 'categories' lists ({json_path})")
    return document


def _find_image(json_path: Path, split: str, file_name: str) -> Path | None:
    base = json_path.parent
    name = Path(file_name).name
    candidates = [base / file_name, base.parent / file_name, base / "images" / name,
                  base.parent / "images" / split / name, base.parent / split / name, base.parent / "images" / name]
    candidates += [p / name for p in base.parent.glob(f"{split}*") if p.is_dir()]
    return next((c for c in candidates if c.is_file()), None)


def read_coco(path: Path) -> tuple[list[str], Callable[[], Iterator[Sample]], list[tuple[str, str]]]:
    """Classes, a sample stream and the skipped items of a COCO file or folder."""
    files = coco_files(path)
    if not files:
        raise InvalidDatasetError(f"no COCO JSON found (a .json file, or annotations/*.json) ({path})")
    documents = [(json_path, _load(json_path)) for json_path in files]
    classes: list[str] = []
    for _, document in documents:
        for category in sorted(document["categories"], key=lambda c: c.get("id", 0)):
            name = str(category.get("name", "")).strip()
            if name and name not in classes:
                classes.append(name)
    skipped: list[tuple[str, str]] = []

    def samples() -> Iterator[Sample]:
        for json_path, document in documents:
            split = split_of(json_path)
            class_of = {c.get("id"): classes.index(str(c.get("name", "")).strip())
                        for c in document["categories"] if str(c.get("name", "")).strip()}
            boxes = defaultdict(list)
            for ann in document.get("annotations") or []:
                boxes[ann.get("image_id")].append(ann)
            for image in document["images"]:
                file_name = str(image.get("file_name", ""))
                source = _find_image(json_path, split, file_name)
                if source is None:
                    skipped.append((file_name, "image file not found"))
                    continue
                data = source.read_bytes()
                header = read_header(data, source.name)
                width, height = image.get("width") or header.width, image.get("height") or header.height
                annotations = []
                for ann in boxes.get(image.get("id"), []):
                    converted = _to_yolo(ann, class_of, width, height)
                    if isinstance(converted, str):
                        skipped.append((f"{file_name} annotation {ann.get('id')}", converted))
                    else:
                        annotations.append(converted)
                yield Sample(source.name, split, data, annotations)

    return classes, samples, skipped


def _to_yolo(ann: dict, class_of: dict, width: float, height: float) -> Annotation | str:
    """A COCO annotation as a normalised YOLO box clipped to the image, or why it was left out."""
    if ann.get("iscrowd"):
        return "crowd region (iscrowd)"
    if ann.get("category_id") not in class_of:
        return f"unknown category {ann.get('category_id')}"
    try:
        x, y, w, h = (float(v) for v in ann["bbox"])
    except (KeyError, TypeError, ValueError):
        return "no usable bbox"
    x1, y1 = max(0.0, x), max(0.0, y)
    x2, y2 = min(float(width), x + w), min(float(height), y + h)
    if x2 - x1 <= 0 or y2 - y1 <= 0:
        return "box has no area inside the image"
    return Annotation(class_of[ann["category_id"]], round((x1 + x2) / 2 / width, 6),
                      round((y1 + y2) / 2 / height, 6), round((x2 - x1) / width, 6), round((y2 - y1) / height, 6))


def is_coco(path: Path) -> bool:
    """True for a .json file, or a folder with ``annotations/*.json`` and no data.yaml."""
    if path.is_file():
        return path.suffix.lower() == ".json"
    return path.is_dir() and not (path / "data.yaml").exists() and bool(coco_files(path))
