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
in a note); a chosen annotation with no regions of the dataset's task is a background.
Regions are in percent of the image, ``x_norm = x / 100``: ``rectanglelabels`` (and a
``Rectangle`` drawn with a ``Labels`` control) are boxes (detect); ``polygonlabels`` are
polygons (segment); a rectangle with a ``rotation`` is an oriented box (obb), turned
clockwise about its top left corner (``x``, ``y``) by ``rotation`` degrees, in pixels of
``original_width`` and ``original_height`` (else the image's), as the converter's YOLO OBB
export turns it (with it, plain rectangles and four-point polygons are oriented boxes too);
``keypointlabels`` are pose keypoints, each in the rectangle its ``parentID`` names, else
in the smallest rectangle that holds it (on its edge counts): the rectangle is the object
and its box, its label the class. A pose
dataset's ``kpt_shape`` is ``[K, 3]``, K the distinct labels of the ``label_config.xml``'s
``KeyPointLabels`` in order (without a config, the keypoint labels in order of
appearance), one keypoint of each label per object: a label missing is not labelled (0),
a ``hidden`` keypoint is 1, else 2. Keypoints in no rectangle, or repeating a label in one,
are counted in a note. A file of several kinds is read as the kind with the most regions
(polygons all of four points count for obb, as YOLO's own lines do; rectangles holding
keypoints for pose; a tie goes to pose, obb, segment, then detect); ``datasets import
--task`` picks the kind instead; the rest, brushes and ellipses are counted in a note, and
a task with such regions but none imported is stored unlabelled, not as a background.
Classes come from a ``label_config.xml`` (or the converter's ``<export>.label_config.xml``)
beside the export, its ``RectangleLabels`` (``PolygonLabels`` for segment) when it has
them, then in order of appearance, by name. The split is ``data.split`` when it names
one, else a ``train``/``val``/``test`` folder on the way to the image, else train.

Write: ``<name>-labelstudio/`` with ``tasks.json``, ``label_config.xml`` (an ``<Image
name="image">`` and ``<RectangleLabels name="label">`` of the classes) and
``images/<split>/<file>``. One task per image: ``data.image`` is
``/data/local-files/?d=images/<split>/<file>``, relative to Label Studio's
``LOCAL_FILES_DOCUMENT_ROOT``: serve it with ``LOCAL_FILES_SERVING_ENABLED=true`` and
``LOCAL_FILES_DOCUMENT_ROOT`` set to the export folder, add a Local Files storage for its
``images`` folder, then import ``tasks.json`` into a project labelled with
``label_config.xml``. ``data.split`` keeps the split; each task carries one annotation
of results (none for a background; no annotation for an image without a label file):
``rectanglelabels`` boxes; ``polygonlabels`` polygons (config ``PolygonLabels``); oriented
boxes as rotated ``rectanglelabels`` or, when the four corners are not a rectangle, as
four-point ``polygonlabels`` (``<PolygonLabels name="polygon">``); pose objects as their
``rectanglelabels`` box and one ``keypointlabels`` point per labelled keypoint, labelled
``1``..``K`` (``<KeyPointLabels name="keypoint">``; a hidden keypoint ``hidden``), its
``parentID`` the box's id (keypoints outside their box, or in another's, stay with it).
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
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
    pixel_shape,
    read_image,
    read_xml,
    sniff_json,
    split_named,
    unique_name,
)

if TYPE_CHECKING:
    from ydc_cli.domain.tasks import Task
    from ydc_cli.persistence import Annotation, DatasetInfo, Sample

CONFIG = "label_config.xml"
_UPLOAD_PREFIX = re.compile(r"^[0-9a-f]{8}-")
_GEOMETRY = ("x", "y", "width", "height")
_SHAPES = {"polygonlabels", "polygon", "keypointlabels", "keypoint", "brushlabels", "brush", "ellipselabels",
           "ellipse", "polylinelabels", "polyline"}
# JSON-MIN drops a region's type: the key that holds its labels tells it
_MIN_TYPES = ("rectanglelabels", "polygonlabels", "keypointlabels", "brushlabels", "ellipselabels",
              "polylinelabels", "labels")
_MIN_FIELDS = {"id", "annotator", "annotation_id", "created_at", "updated_at", "lead_time", "agreement"}
# the region kinds (``_Region.kind``) each task imports, what its notes call them, and the result
# type a left-out region of a kind is counted as
IMPORTS = {"detect": {"box"}, "segment": {"polygon", "quad"}, "obb": {"box", "rotated", "quad"},
           "pose": {"box", "keypoint"}}
ONLY = {"detect": "rectanglelabels", "segment": "polygonlabels", "obb": "rectanglelabels",
        "pose": "rectanglelabels and keypointlabels"}
TIE_ORDER = ("pose", "obb", "segment", "detect")  # the first of these wins a tie
RECTANGLE = 0.01  # pixels: four corners this close to a rectangle are written as a rotated box
EDGE_PERCENT = 1e-3  # a keypoint this far outside a rectangle (in percent: rounding) is on its edge


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
        config = _config_labels(root, files)
        plan = _plan(tasks, config, options.task)
        control = "PolygonLabels" if plan.task.name == "segment" else "RectangleLabels"
        classes = ClassList(config.get(control) or config.get("", []))
        for task in tasks:
            for region in _regions(_chosen(task)[1])[0]:
                if region.kind in plan.kinds and region.kind != "keypoint":
                    classes.id(region.label)
        reading = Reading(self.name, root, classes.names, lambda: iter(()), count=len(tasks),
                          task=None if plan.task.name == "detect" else plan.task)
        reading.samples = lambda: _samples(tasks, root, classes, reading, plan)
        return reading

    def export_name(self, dataset: str) -> str:
        return f"{dataset}-labelstudio"

    async def write(self, dataset: DatasetInfo, prompts: dict[int, list[str]], samples: AsyncIterator[Sample],
                    out: FolderOut) -> None:
        from urllib.parse import quote

        task = dataset.task_spec()
        tasks = []
        quads = False
        async for sample in samples:
            width, height = image_size(sample)
            relative = f"images/{sample.split}/{sample.filename}"
            out.write(relative, sample.data)
            results = []
            for a in sample.annotations or []:
                parent = f"r{len(tasks) + 1}-{len(results)}"  # the object's first region: its keypoints' parent
                for value, kind, control in _values(task, a, dataset.classes[a.class_id], width, height):
                    quads = quads or control == "polygon"
                    results.append({"id": f"r{len(tasks) + 1}-{len(results)}", "type": kind, "from_name": control,
                                    "to_name": "image", "original_width": width, "original_height": height,
                                    "image_rotation": 0, "value": value,
                                    **({"parentID": parent} if kind == "keypointlabels" else {})})
            entry = {"id": len(tasks) + 1,
                     "data": {"image": f"/data/local-files/?d={quote(relative)}", "split": sample.split}}
            if sample.annotations is not None:
                entry["annotations"] = [{"id": len(tasks) + 1, "result": results, "was_cancelled": False}]
            tasks.append(entry)
            out.sample_done()
        out.write("tasks.json", json.dumps(tasks, ensure_ascii=False, indent=1).encode("utf-8"))
        out.write(CONFIG, _config(dataset.classes, task, quads))


def _values(task: Task, a: Annotation, name: str, width: int, height: int) -> list[tuple[dict, str, str]]:
    """One annotation as Label Studio's region values, each with its result type and control name."""
    if task.name == "segment":
        points = [[round(a.points[i] * 100, 6), round(a.points[i + 1] * 100, 6)] for i in range(0, len(a.points), 2)]
        return [({"points": points, "closed": True, "polygonlabels": [name]}, "polygonlabels", "label")]
    if task.name == "obb":
        rotated = _rotated(a.points, width, height)
        if rotated is None:
            points = [[round(a.points[i] * 100, 6), round(a.points[i + 1] * 100, 6)] for i in range(0, 8, 2)]
            return [({"points": points, "closed": True, "polygonlabels": [name]}, "polygonlabels", "polygon")]
        return [({**rotated, "rectanglelabels": [name]}, "rectanglelabels", "label")]
    box = {"x": round((a.x - a.width / 2) * 100, 6), "y": round((a.y - a.height / 2) * 100, 6),
           "width": round(a.width * 100, 6), "height": round(a.height * 100, 6), "rotation": 0,
           "rectanglelabels": [name]}
    values = [(box, "rectanglelabels", "label")]
    if task.name == "pose":
        from ydc_cli.domain.shapes.base import Box
        from ydc_cli.domain.shapes.keypoints import keypoint_triples

        for index, (x, y, visible) in enumerate(keypoint_triples(Box(0, a.x, a.y, a.width, a.height, a.points), task)):
            if visible:
                point = {"x": round(x * 100, 6), "y": round(y * 100, 6), "width": 0.5,
                         "keypointlabels": [str(index + 1)]}
                values.append(({**point, "hidden": True} if visible == 1 else point, "keypointlabels", "keypoint"))
    return values


def _rotated(points, width: int, height: int) -> dict | None:
    """Four normalised corners as a rotated rectangle's value (top left corner, size in percent, degrees
    clockwise about that corner), or None when they are not a rectangle; corners listed anticlockwise
    are taken in the other direction."""
    pts = [(points[i] * width, points[i + 1] * height) for i in range(0, 8, 2)]
    if sum(pts[i][0] * pts[(i + 1) % 4][1] - pts[(i + 1) % 4][0] * pts[i][1] for i in range(4)) < 0:
        pts = [pts[0], pts[3], pts[2], pts[1]]
    (x0, y0), (x1, y1), _, (x3, y3) = pts
    w, h = math.hypot(x1 - x0, y1 - y0), math.hypot(x3 - x0, y3 - y0)
    if w <= 0 or h <= 0:
        return None
    degrees = math.degrees(math.atan2(y1 - y0, x1 - x0)) % 360
    if max(abs(a - b) for a, b in zip(_corners(x0, y0, w, h, degrees), (v for p in pts for v in p), strict=True)) \
            > RECTANGLE:
        return None
    return {"x": round(x0 / width * 100, 6), "y": round(y0 / height * 100, 6), "width": round(w / width * 100, 6),
            "height": round(h / height * 100, 6), "rotation": round(degrees, 6)}


def _corners(x: float, y: float, w: float, h: float, degrees: float) -> list[float]:
    """A Label Studio rectangle's corners in pixels, flat: its top left ``x, y``, then clockwise, the
    rectangle turned ``degrees`` clockwise about that corner."""
    c, s = math.cos(math.radians(degrees)), math.sin(math.radians(degrees))
    return [x, y, x + w * c, y + w * s, x + w * c - h * s, y + w * s + h * c, x - h * s, y + h * c]


def _config(classes: list[str], task: Task, quads: bool = False) -> bytes:
    from xml.sax.saxutils import quoteattr

    labels = "".join(f"    <Label value={quoteattr(c)}/>\n" for c in classes)
    control = "PolygonLabels" if task.name == "segment" else "RectangleLabels"
    controls = f'  <{control} name="label" toName="image">\n{labels}  </{control}>\n'
    if quads:
        controls += f'  <PolygonLabels name="polygon" toName="image">\n{labels}  </PolygonLabels>\n'
    if task.kpt_shape is not None:
        points = "".join(f'    <Label value="{i + 1}"/>\n' for i in range(task.kpt_shape[0]))
        controls += f'  <KeyPointLabels name="keypoint" toName="image">\n{points}  </KeyPointLabels>\n'
    return f'<View>\n  <Image name="image" value="$image"/>\n{controls}</View>\n'.encode()


def _config_labels(root: Path, files: list[Path]) -> dict[str, list[str]]:
    """The labels of each labelling control of the ``label_config.xml`` beside the export (by tag:
    ``RectangleLabels``, ``PolygonLabels``, ``KeyPointLabels``...; ``""`` every label), or {}."""
    configs = [root / CONFIG, *(p.with_name(f"{p.stem}.label_config.xml") for p in files),
               *sorted(root.glob("*.label_config.xml"))]
    config = next((p for p in configs if p.is_file()), None)
    if config is None:
        return {}
    view = read_xml(config)
    labels: dict[str, list[str]] = {}
    for control in view.iter():
        for label in control.findall("Label"):
            value = label.get("value", "")
            if value.strip():
                for key in (control.tag, ""):
                    if value not in labels.setdefault(key, []):
                        labels[key].append(value)
    return labels


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


@dataclass
class _Region:
    """One labelled region of a result list: ``box``, ``rotated``, ``polygon``, ``quad`` (a polygon of
    four points) or ``keypoint``, with its first label, its value and where it is."""

    kind: str
    label: str
    value: dict
    index: int
    result: dict


def _region_kind(kind: str, value: dict) -> str | None:
    if kind == "labels":  # a shape drawn with a Labels control: its value tells which
        kind = "polygonlabels" if "points" in value else "rectanglelabels" if all(k in value for k in _GEOMETRY) \
            else "keypointlabels" if "x" in value and "y" in value else ""
    if kind == "rectanglelabels":
        try:
            return "rotated" if number(value.get("rotation") or 0) % 360 else "box"
        except (TypeError, ValueError):
            return "box"
    if kind == "polygonlabels":
        points = value.get("points")
        return "quad" if isinstance(points, list) and len(points) == 4 else "polygon"
    return "keypoint" if kind == "keypointlabels" else None


def _regions(results: list[dict]) -> tuple[list[_Region], dict[str, int]]:
    """The labelled regions of a result list, and the other results counted by type (``rectangle`` for
    one drawn with no label)."""
    labelled = {r.get("id") for r in results if r.get("type") == "labels" and _has_geometry(r)}
    regions, others = [], {}
    for index, result in enumerate(results):
        kind, value = str(result.get("type") or ""), result.get("value")
        value = value if isinstance(value, dict) else {}
        names = value.get("labels" if kind == "labels" else kind)
        region = _region_kind(kind, value) if kind.endswith("labels") and (kind != "labels" or _has_geometry(result)) \
            else None
        if region is not None:
            if names and isinstance(names, list):
                regions.append(_Region(region, str(names[0]).strip(), value, index, result))
            else:
                others["rectangle"] = others.get("rectangle", 0) + 1
        elif kind in ("rectangle", "polygon", "keypoint"):
            if result.get("id") is None or result.get("id") not in labelled:
                others["rectangle" if kind == "rectangle" else kind] = others.get(kind, 0) + 1
        else:
            others[kind or "untyped"] = others.get(kind or "untyped", 0) + 1
    return regions, others


def _has_geometry(result: dict) -> bool:
    value = result.get("value")
    return isinstance(value, dict) and (all(k in value for k in _GEOMETRY) or "points" in value
                                        or "x" in value and "y" in value)


@dataclass
class _Plan:
    """The task a reading gives: which region kinds it imports and the keypoint labels in order."""

    task: Task
    kinds: set[str]
    keypoints: list[str] = field(default_factory=list)


def _inside(point: dict, box: dict) -> bool:
    try:
        x, y = number(point["x"]), number(point["y"])
        left, top, w, h = (number(box[k]) for k in _GEOMETRY)
    except (KeyError, TypeError, ValueError):
        return False
    return left - EDGE_PERCENT <= x <= left + w + EDGE_PERCENT and top - EDGE_PERCENT <= y <= top + h + EDGE_PERCENT


def _plan(tasks: list[dict], config: dict[str, list[str]], requested: str | None) -> _Plan:
    """The task the regions make (the kind with most regions, or the one asked for when there is one)."""
    from ydc_cli.domain import tasks as domain_tasks

    counts = dict.fromkeys(("box", "rotated", "polygon", "quad", "keypoint", "holding"), 0)
    met: dict[str, None] = {}
    for task in tasks:
        regions = _regions(_chosen(task)[1])[0]
        points = [r for r in regions if r.kind == "keypoint"]
        for region in regions:
            counts[region.kind] += 1
            if region.kind == "keypoint":
                met[region.label] = None
            elif region.kind == "box" and any(_inside(p.value, region.value) for p in points):
                counts["holding"] += 1
    quads_only = counts["polygon"] == 0
    scores = {"detect": counts["box"], "segment": counts["polygon"] + (0 if quads_only else counts["quad"]),
              "obb": counts["rotated"] + (counts["quad"] if quads_only else 0),
              "pose": counts["box"] if counts["holding"] else 0}
    feasible = {**scores, "segment": scores["segment"] or counts["quad"],
                "obb": counts["rotated"] + counts["box"] + counts["quad"]}
    if requested in feasible and feasible[requested]:
        name = requested
    else:
        name = max(TIE_ORDER, key=lambda t: (scores[t], -TIE_ORDER.index(t))) if any(scores.values()) else "detect"
    if name != "pose":
        return _Plan(domain_tasks.make(name), IMPORTS[name])
    keypoints = config.get("KeyPointLabels") or list(met)
    return _Plan(domain_tasks.make("pose", [len(keypoints), 3]), IMPORTS["pose"], keypoints)


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


def _samples(tasks: list[dict], root: Path, classes: ClassList, reading: Reading, plan: _Plan) -> Iterator[Sample]:
    from ydc_cli.persistence import Sample

    finder = ImageFinder(root)
    tally = BoxTally()
    others: dict[str, int] = {}
    counts = {"predictions": 0, "unlabelled": 0, "stray": 0, "repeated": 0}
    taken: set[tuple[str, str]] = set()
    for task in tasks:
        name = _image_name(task)
        source = _find(finder, name) if name else None
        if source is None:
            reading.skipped.append((name or f"task {task.get('id')}", "image file not found"))
            continue
        data, header_width, header_height = read_image(source)
        labelled, results = _chosen(task)
        if not labelled and task.get("predictions"):
            counts["predictions"] += 1
        regions, other = _regions(results)
        for region in regions:
            if region.kind not in plan.kinds:
                key = "rotated" if region.kind == "rotated" else str(region.result.get("type") or "")
                other[key] = other.get(key, 0) + 1
        for kind, count in other.items():
            others[kind] = others.get(kind, 0) + count
        kept = [r for r in regions if r.kind in plan.kinds]
        objects = _objects(kept, plan, counts) if plan.task.name == "pose" else [(r, []) for r in kept]
        annotations = []
        for region, keypoints in objects:
            where = f"{source.name} result {region.index + 1}"
            if not region.label:
                reading.skipped.append((where, "region has no label"))
                continue
            size = _size(region.result, header_width, header_height)
            converted = _convert(region, keypoints, classes.id(region.label), plan, size, tally)
            if isinstance(converted, str):
                reading.skipped.append((where, converted))
            else:
                annotations.append(converted)
        shapes_only = not annotations and any(k in _SHAPES or k in ("rotated", "rectangle") or k.endswith("labels")
                                              for k in other)
        counts["unlabelled"] += labelled and shapes_only
        split = _split_of(task, source, finder.root)
        yield Sample(unique_name(source.name, split, taken), split, data,
                     annotations if labelled and not shapes_only else None)
    reading.notes += _notes(others, counts, plan)
    reading.notes += tally.notes()


def _size(result: dict, width: int, height: int) -> tuple[float, float]:
    """The image size a region was drawn on (``original_width``, ``original_height``), else the header's."""
    try:
        recorded = number(result.get("original_width")), number(result.get("original_height"))
    except (TypeError, ValueError):
        return width, height
    return recorded if recorded[0] > 0 and recorded[1] > 0 else (width, height)


def _objects(regions: list[_Region], plan: _Plan, counts: dict[str, int]) -> list[tuple[_Region, list[_Region]]]:
    """Pose objects: each rectangle with its keypoints: those naming it their ``parentID``, else those it
    holds (a keypoint in several, in the smallest)."""
    boxes = [r for r in regions if r.kind == "box"]
    held: dict[int, list[_Region]] = {id(b): [] for b in boxes}
    by_id = {b.result.get("id"): b for b in boxes if b.result.get("id") is not None}
    for point in (r for r in regions if r.kind == "keypoint"):
        parent = by_id.get(point.result.get("parentID"))
        holders = [parent] if parent is not None else [b for b in boxes if _inside(point.value, b.value)]
        if not holders or point.label not in plan.keypoints:
            counts["stray"] += 1
            continue
        smallest = min(holders, key=lambda b: number(b.value["width"]) * number(b.value["height"]))
        if any(p.label == point.label for p in held[id(smallest)]):
            counts["repeated"] += 1
            continue
        held[id(smallest)].append(point)
    return [(b, held[id(b)]) for b in boxes]


def _convert(region: _Region, keypoints: list[_Region], class_id: int, plan: _Plan, size: tuple[float, float],
             tally: BoxTally) -> Annotation | str:
    """A region (a pose object: its rectangle and keypoints) as an annotation of the plan's task, or why not."""
    task, value = plan.task, region.value
    if region.kind in ("polygon", "quad"):
        try:
            flat = [number(v) for point in value["points"] for v in point]
        except (KeyError, TypeError, ValueError):
            return "polygon points are not numbers"
        return pixel_shape(task, class_id, flat, 100.0, 100.0, tally)
    try:
        x, y, w, h = (number(value[k]) for k in _GEOMETRY)
        rotation = number(value.get("rotation") or 0)
    except (KeyError, TypeError, ValueError):
        return "no usable x, y, width, height"
    if task.name == "detect":
        return pixel_box(class_id, x, y, x + w, y + h, 100.0, 100.0, tally)
    if task.name == "obb":
        width, height = size
        return pixel_shape(task, class_id, _corners(x * width / 100, y * height / 100, w * width / 100,
                                                    h * height / 100, rotation), width, height, tally)
    values = [0.0] * (len(plan.keypoints) * 3)
    for point in keypoints:
        try:
            px, py = number(point.value["x"]), number(point.value["y"])
        except (KeyError, TypeError, ValueError):
            return "keypoint x, y are not numbers"
        index = plan.keypoints.index(point.label)
        values[index * 3:index * 3 + 3] = [px, py, 1.0 if point.value.get("hidden") else 2.0]
    return pixel_shape(task, class_id, values, 100.0, 100.0, tally, box=(x, y, x + w, y + h))


def _notes(others: dict[str, int], counts: dict[str, int], plan: _Plan) -> list[str]:
    notes = []
    for kind, count in sorted(others.items()):
        if kind == "rotated":
            notes.append(f"{count} rotated box{'es' if count != 1 else ''} not imported")
        elif kind == "rectangle":
            notes.append(f"{count} rectangle{'s' if count != 1 else ''} without a label not imported")
        else:
            notes.append(f"{count} {kind} result{'s' if count != 1 else ''} not imported "
                         f"({ONLY[plan.task.name]} only)")
    if counts["stray"]:
        n = counts["stray"]
        notes.append(f"{n} keypoint{'s' if n != 1 else ''} in no rectangle (or not of the KeyPointLabels) "
                     "not imported")
    if counts["repeated"]:
        n = counts["repeated"]
        notes.append(f"{n} keypoint{'s' if n != 1 else ''} repeating a label in one rectangle not imported")
    if counts["unlabelled"]:
        n = counts["unlabelled"]
        notes.append(f"{n} image{'s' if n != 1 else ''} with only such regions stored unlabelled, not as background")
    if counts["predictions"]:
        n = counts["predictions"]
        notes.append(f"{n} task{'s' if n != 1 else ''} with predictions but no annotation stored unlabelled "
                     "(predictions are not labels)")
    return notes
