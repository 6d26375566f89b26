"""Label Studio's JSON export: a list of tasks, each an image with its annotations.

Read: the export file (or a folder holding it, with the images under it), in the
``JSON`` form (``data`` and ``annotations``, or the older ``completions``) or the
``JSON-MIN`` one (one row per annotation: the data fields, ``annotation_id`` and a list
of regions under the control's name). A task's image is ``data.image`` (or the one
field naming an image file): an upload path ``/data/upload/1/3f2a9c1e-cat.jpg``, a
local file ``/data/local-files/?d=images/cat.jpg``, cloud storage or a URL, found by
its path under the folder, else by file name anywhere under it; the 8-hex-digit
prefix Label Studio puts on uploads is dropped when only the name without it is there.

Of several annotations the latest not cancelled (``was_cancelled``, ``skipped``) counts:
the latest ``created_at``, else the last listed, as Label Studio's converter chooses.
A task with none is stored without labels (its ``predictions`` are not labels: counted
in a note); a chosen annotation with no boxes is a background. ``rectanglelabels``
results (and a ``Rectangle`` drawn with a ``Labels`` control) are boxes in percent of
the image, ``x_norm = x / 100``; rotated ones, polygons, keypoints, brushes and
ellipses are counted in a note (oriented boxes and shapes are later issues), and a
task with such regions but no box is stored unlabelled, not as a background. Classes
come from a ``label_config.xml`` (or the converter's ``<export>.label_config.xml``)
beside the export, its ``RectangleLabels`` when it has them, then in order of
appearance, by name. The split is ``data.split`` when it names one, else a
``train``/``val``/``test`` folder on the way to the image, else train.

Write: ``<name>-labelstudio/`` with ``tasks.json``, ``label_config.xml`` (an ``<Image
name="image">`` and ``<RectangleLabels name="label">`` of the classes) and
``images/<split>/<file>``. One task per image: ``data.image`` is
``/data/local-files/?d=images/<split>/<file>``, relative to Label Studio's
``LOCAL_FILES_DOCUMENT_ROOT``: serve it with ``LOCAL_FILES_SERVING_ENABLED=true`` and
``LOCAL_FILES_DOCUMENT_ROOT`` set to the export folder, add a Local Files storage for its
``images`` folder, then import ``tasks.json`` into a project labelled with
``label_config.xml``. ``data.split`` keeps the split; each task carries one annotation
of ``rectanglelabels`` results (none for a background; no annotation for an image
without a label file).
"""

from __future__ import annotations

import json
import re
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
    read_xml,
    sniff_json,
    split_named,
    unique_name,
)

if TYPE_CHECKING:
    from ydc_cli.persistence import DatasetInfo, Sample

CONFIG = "label_config.xml"
_UPLOAD_PREFIX = re.compile(r"^[0-9a-f]{8}-")
_GEOMETRY = ("x", "y", "width", "height")
_SHAPES = {"polygonlabels", "polygon", "keypointlabels", "keypoint", "brushlabels", "brush", "ellipselabels",
           "ellipse", "polylinelabels", "polyline"}
# JSON-MIN drops a region's type: the key that holds its labels tells it
_MIN_TYPES = ("rectanglelabels", "polygonlabels", "keypointlabels", "brushlabels", "ellipselabels",
              "polylinelabels", "labels")
_MIN_FIELDS = {"id", "annotator", "annotation_id", "created_at", "updated_at", "lead_time", "agreement"}


class LabelStudio(Format):
    name = "labelstudio"
    title = "Label Studio"
    layout = "a Label Studio JSON export (a list of tasks), with the images under its folder"
    priority = 34
    writes = True

    def detect(self, path: Path) -> bool:
        if path.is_file():
            return path.suffix.lower() == ".json" and sniff_json(path) == "labelstudio"
        return path.is_dir() and bool(_files(path))

    def read(self, path: Path, options: ReadOptions) -> Reading:
        from ydc_cli.domain.errors import InvalidDatasetError

        files = [path.absolute()] if path.is_file() else _files(path.absolute())
        if not files:
            raise InvalidDatasetError(f"no Label Studio JSON export (a list of tasks) ({path})")
        root = (path.parent if path.is_file() else path).absolute()
        tasks = [task for json_path in files for task in _tasks(_load(json_path))]
        classes = ClassList(_config_classes(root, files))
        for task in tasks:
            for box in _boxes(_chosen(task)[1])[0]:
                classes.id(box[0])
        reading = Reading(self.name, root, classes.names, lambda: iter(()), count=len(tasks))
        reading.samples = lambda: _samples(tasks, root, classes, reading)
        return reading

    def export_name(self, dataset: str) -> str:
        return f"{dataset}-labelstudio"

    async def write(self, dataset: DatasetInfo, prompts: dict[int, list[str]], samples: AsyncIterator[Sample],
                    out: FolderOut) -> None:
        from urllib.parse import quote

        tasks = []
        async for sample in samples:
            width, height = image_size(sample)
            relative = f"images/{sample.split}/{sample.filename}"
            out.write(relative, sample.data)
            results = [{
                "id": f"r{len(tasks) + 1}-{index}", "type": "rectanglelabels", "from_name": "label",
                "to_name": "image", "original_width": width, "original_height": height, "image_rotation": 0,
                "value": {"x": round((a.x - a.width / 2) * 100, 6), "y": round((a.y - a.height / 2) * 100, 6),
                          "width": round(a.width * 100, 6), "height": round(a.height * 100, 6), "rotation": 0,
                          "rectanglelabels": [dataset.classes[a.class_id]]},
            } for index, a in enumerate(sample.annotations or [])]
            task = {"id": len(tasks) + 1,
                    "data": {"image": f"/data/local-files/?d={quote(relative)}", "split": sample.split}}
            if sample.annotations is not None:
                task["annotations"] = [{"id": len(tasks) + 1, "result": results, "was_cancelled": False}]
            tasks.append(task)
            out.sample_done()
        out.write("tasks.json", json.dumps(tasks, ensure_ascii=False, indent=1).encode("utf-8"))
        out.write(CONFIG, _config(dataset.classes))


def _config(classes: list[str]) -> bytes:
    from xml.sax.saxutils import quoteattr

    labels = "".join(f"    <Label value={quoteattr(c)}/>\n" for c in classes)
    return (f'<View>\n  <Image name="image" value="$image"/>\n  <RectangleLabels name="label" toName="image">\n'
            f"{labels}  </RectangleLabels>\n</View>\n").encode()


def _config_classes(root: Path, files: list[Path]) -> list[str]:
    configs = [root / CONFIG, *(p.with_name(f"{p.stem}.label_config.xml") for p in files),
               *sorted(root.glob("*.label_config.xml"))]
    config = next((p for p in configs if p.is_file()), None)
    if config is None:
        return []
    view = read_xml(config)
    boxes = [control for control in view.iter() if control.tag == "RectangleLabels"]
    return [label.get("value", "") for control in (boxes or [view]) for label in control.iter("Label")
            if label.get("value", "").strip()]


def _files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.glob("*.json") if p.is_file() and sniff_json(p) == "labelstudio")


def _load(path: Path) -> list[dict]:
    from ydc_cli.domain.errors import InvalidDatasetError

    try:
        document = json.loads(path.read_bytes())
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InvalidDatasetError(f"not a valid JSON file ({path})") from exc
    if not isinstance(document, list) or not all(isinstance(task, dict) for task in document):
        raise InvalidDatasetError(f"not a Label Studio export: needs a list of tasks ({path})")
    return document


def _tasks(rows: list[dict]) -> list[dict]:
    """The tasks of an export, JSON-MIN rows (one per annotation) gathered back into tasks."""
    tasks: list[dict] = []
    by_id: dict[object, dict] = {}
    for row in rows:
        if "data" in row or "annotations" in row or "completions" in row:
            tasks.append(row)
            continue
        data, result = {}, []
        for key, value in row.items():
            regions = _min_regions(value)
            if regions is not None:
                result += regions
            elif key not in _MIN_FIELDS:
                data[key] = value
        task = by_id.get(row.get("id")) if row.get("id") is not None else None
        if task is None:
            task = {"id": row.get("id"), "data": data, "annotations": []}
            tasks.append(task)
            if row.get("id") is not None:
                by_id[row["id"]] = task
        if row.get("annotation_id") is not None:
            task["annotations"].append({"id": row["annotation_id"], "created_at": row.get("created_at"),
                                        "result": result})
    return tasks


def _min_regions(value: object) -> list[dict] | None:
    """A JSON-MIN field's regions as results (their type from the key holding the labels), or None."""
    if not isinstance(value, list) or not value or not all(isinstance(v, dict) for v in value):
        return None
    regions = []
    for region in value:
        kind = next((k for k in _MIN_TYPES if k in region), "rectangle" if all(k in region for k in _GEOMETRY)
                    else None)
        if kind is None:
            return None
        regions.append({"type": kind, "value": region, **{k: region[k] for k in ("original_width", "original_height")
                                                           if k in region}})
    return regions


def _chosen(task: dict) -> tuple[bool, list[dict]]:
    """Whether the task has an annotation that counts, and its results: the latest by ``created_at``
    (else the last listed) of those not cancelled or skipped."""
    annotations = task.get("annotations")
    if annotations is None:
        annotations = task.get("completions")
    kept = [(str(a.get("created_at") or ""), index, a) for index, a in enumerate(annotations or [])
            if isinstance(a, dict) and not a.get("was_cancelled") and not a.get("skipped")]
    if not kept:
        return False, []
    chosen = max(kept, key=lambda k: k[:2])[2]
    return True, [r for r in (chosen.get("result") or []) if isinstance(r, dict)]


def _boxes(results: list[dict]) -> tuple[list[tuple[str, dict, int]], dict[str, int]]:
    """The box results as ``(class name, value, index)``, and the other results counted by type
    (``rectangle`` for one drawn with no label; ``rotated`` for a rotated box)."""
    labelled = {r.get("id") for r in results if r.get("type") == "labels" and _has_geometry(r)}
    boxes, others = [], {}
    for index, result in enumerate(results):
        kind, value = str(result.get("type") or ""), result.get("value")
        names = (value.get("rectanglelabels") or value.get("labels") or []) if isinstance(value, dict) else []
        if kind == "rectanglelabels" or kind == "labels" and _has_geometry(result):
            if names and isinstance(names, list):
                boxes.append((str(names[0]).strip(), value, index))
            else:
                others["rectangle"] = others.get("rectangle", 0) + 1
        elif kind == "rectangle":
            if result.get("id") is None or result.get("id") not in labelled:
                others["rectangle"] = others.get("rectangle", 0) + 1
        else:
            others[kind or "untyped"] = others.get(kind or "untyped", 0) + 1
    return boxes, others


def _has_geometry(result: dict) -> bool:
    value = result.get("value")
    return isinstance(value, dict) and all(k in value for k in _GEOMETRY)


def _image_name(task: dict) -> str:
    """The path of the task's image: ``data.image``, else the one data field that names an image file."""
    from ydc_cli.domain.datayaml import is_image_name

    data = task.get("data") if isinstance(task.get("data"), dict) else {}
    if isinstance(data.get("image"), str):
        return _path_of(data["image"])
    return next((path for v in data.values() if isinstance(v, str) and is_image_name(path := _path_of(v))), "")


def _path_of(value: str) -> str:
    """A URL's file path: a local file's ``?d=`` path, else the URL's path (an upload, cloud storage, the web)."""
    from urllib.parse import parse_qs, unquote, urlparse

    parsed = urlparse(value)
    local = parse_qs(parsed.query).get("d")
    return local[0] if local else unquote(parsed.path)


def _find(finder: ImageFinder, name: str) -> Path | None:
    found = finder.find(name)
    if found is None:
        bare = name.replace("\\", "/").rsplit("/", 1)[-1]
        if _UPLOAD_PREFIX.match(bare):
            found = finder.find(_UPLOAD_PREFIX.sub("", bare))
    return found


def _split_of(task: dict, source: Path, root: Path) -> str:
    data = task.get("data") if isinstance(task.get("data"), dict) else {}
    split = split_named(str(data.get("split") or ""))
    if split:
        return split
    for part in source.relative_to(root).parts[:-1] if root in source.parents else ():
        split = split_named(part)
        if split:
            return split
    return "train"


def _samples(tasks: list[dict], root: Path, classes: ClassList, reading: Reading) -> Iterator[Sample]:
    from ydc_cli.persistence import Sample

    finder = ImageFinder(root)
    tally = BoxTally()
    others: dict[str, int] = {}
    counts = {"predictions": 0, "unlabelled": 0}
    taken: set[tuple[str, str]] = set()
    for task in tasks:
        name = _image_name(task)
        source = _find(finder, name) if name else None
        if source is None:
            reading.skipped.append((name or f"task {task.get('id')}", "image file not found"))
            continue
        data, _, _ = read_image(source)
        labelled, results = _chosen(task)
        if not labelled and task.get("predictions"):
            counts["predictions"] += 1
        boxes, other = _boxes(results)
        for kind, count in other.items():
            others[kind] = others.get(kind, 0) + count
        annotations = []
        for class_name, value, index in boxes:
            where = f"{source.name} result {index + 1}"
            try:
                x, y, w, h = (number(value[k]) for k in _GEOMETRY)
                rotation = number(value.get("rotation") or 0)
            except (KeyError, TypeError, ValueError):
                reading.skipped.append((where, "no usable x, y, width, height"))
                continue
            if rotation % 360:
                others["rotated"] = others.get("rotated", 0) + 1
                other["rotated"] = 1
                continue
            if not class_name:
                reading.skipped.append((where, "box has no label"))
                continue
            converted = pixel_box(classes.id(class_name), x, y, x + w, y + h, 100.0, 100.0, tally)
            if isinstance(converted, str):
                reading.skipped.append((where, converted))
            else:
                annotations.append(converted)
        shapes_only = not annotations and any(k in _SHAPES or k in ("rotated", "rectangle") for k in other)
        counts["unlabelled"] += labelled and shapes_only
        split = _split_of(task, source, finder.root)
        yield Sample(unique_name(source.name, split, taken), split, data,
                     annotations if labelled and not shapes_only else None)
    reading.notes += _notes(others, counts)
    reading.notes += tally.notes()


def _notes(others: dict[str, int], counts: dict[str, int]) -> list[str]:
    notes = []
    for kind, count in sorted(others.items()):
        if kind == "rotated":
            notes.append(f"{count} rotated box{'es' if count != 1 else ''} not imported")
        elif kind == "rectangle":
            notes.append(f"{count} rectangle{'s' if count != 1 else ''} without a label not imported")
        else:
            notes.append(f"{count} {kind} result{'s' if count != 1 else ''} not imported (rectanglelabels only)")
    if counts["unlabelled"]:
        n = counts["unlabelled"]
        notes.append(f"{n} image{'s' if n != 1 else ''} with only such regions stored unlabelled, not as background")
    if counts["predictions"]:
        n = counts["predictions"]
        notes.append(f"{n} task{'s' if n != 1 else ''} with predictions but no annotation stored unlabelled "
                     "(predictions are not labels)")
    return notes
