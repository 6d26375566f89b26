"""CVAT for images 1.1: one ``<annotations>`` XML with the labels and every image's shapes.

Read: CVAT's own export (``annotations.xml`` beside ``images/``: a task's images in
``images/``, a project's in ``images/<subset>/``), Datumaro's (one ``<subset>.xml`` per
split beside ``images/``), or one ``.xml`` file. The file is streamed (any size, in
constant memory): one pass finds the classes and counts the shapes, a second reads the
images. Classes come from ``<meta>``'s ``<labels>`` in order (then any other label an
imported shape names), by name; a skeleton's point labels (``<parent>``) are not classes.
Coordinates are pixels (0-based, continuous) against the ``width`` and ``height`` the
image element records.

Which task the file becomes, by what it holds: boxes (``xtl ytl xbr ybr``) are detect;
``<polygon>`` is segment; ``<box rotation="...">`` is obb, its four corners turned clockwise
by ``rotation`` degrees about the centre from the top left (with it, plain boxes and
four-point polygons are oriented boxes too); ``<skeleton>`` is pose, its ``<points>``
elements the keypoints in the order the meta lists the skeleton's point labels
(``kpt_shape [K, 3]``; ``outside`` is not labelled, 0, ``occluded`` 1, else 2; the skeleton's
edges from the label's ``<svg>``; the object's box the extent of its labelled keypoints).
Plain ``<points>`` shapes, in a file without skeletons whose points shapes all have the same
number of points, are pose objects of those points, all visible. Polygons all of four points
count for obb, as YOLO's own lines do. A file of several kinds is read as the kind with the
most shapes (a tie goes to pose, obb, segment, then detect) and the rest is counted in a
note; ``datasets import --task`` picks the kind instead. Polylines, ellipses, cuboids, masks
and tags are counted in a note. An image with shapes not imported and none imported is
stored unlabelled, not as a background. A shape marked ``outside`` (an object out of view)
is left out. The split is, first that means one (``Train``, ``validation``...): the image's
``subset``; its task's ``<subset>`` in the meta (``task_id``); the file's one task's
``<subset>``; the file's name (``val.xml``); else train. CVAT for video (tracks, no images)
is refused with what to export instead.

Write: ``<name>-cvat/annotations.xml`` as CVAT's project export has it: ``<meta><project>``
with the labels, one task per split (``<id>``, ``<subset>``) and ``<subsets>``; each image
with ``subset`` and ``task_id``; coordinates with 6 decimals, and ``images/<split>/<file>``.
Boxes; polygons; oriented boxes as rotated boxes (the corners' rectangle) or, when the four
corners are not a rectangle, as four-point polygons; pose objects as skeletons whose point
labels are ``1``..``K`` (declared in the meta with the dataset's skeleton as the label's
``<svg>``; the pose box is not kept: CVAT's skeletons have none). CVAT (its project import
reads ``images/<subset>/``) and Datumaro's ``cvat`` importer (one subset per task
``<subset>``) both read it.
"""

from __future__ import annotations

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
    corners,
    image_size,
    iter_xml,
    number,
    pixel_box,
    pixel_shape,
    read_image,
    sniff_xml,
    split_named,
    unique_name,
)

if TYPE_CHECKING:
    from ydc_cli.domain.tasks import Task
    from ydc_cli.persistence import Annotation, DatasetInfo, Sample

SHAPES = ("polygon", "polyline", "points", "ellipse", "cuboid", "mask", "skeleton")
# the kinds a shape element counts as (``_kind``), and which of them each task imports
KINDS = ("box", "rotated", "polygon", "quad", "skeleton", "points")
IMPORTS = {"detect": {"box"}, "segment": {"polygon", "quad"}, "obb": {"box", "rotated", "quad"},
           "pose": {"skeleton"}}
ONLY = {"detect": "boxes", "segment": "polygons", "obb": "oriented boxes", "pose": "skeletons"}
TIE_ORDER = ("pose", "obb", "segment", "detect")  # the first of these wins a tie
RECTANGLE = 0.01  # pixels: four corners this close to a rectangle are written as a rotated box


class Cvat(Format):
    name = "cvat"
    title = "CVAT for images 1.1"
    layout = "annotations.xml (or one <subset>.xml per split) beside images/"
    priority = 25
    writes = True

    def detect(self, path: Path) -> bool:
        if path.is_file():
            return path.suffix.lower() == ".xml" and sniff_xml(path) == "cvat"
        return path.is_dir() and bool(_files(path))

    def read(self, path: Path, options: ReadOptions) -> Reading:
        from ydc_cli.domain.errors import InvalidDatasetError

        files = [path.absolute()] if path.is_file() else _files(path.absolute())
        if not files:
            raise InvalidDatasetError(f"no CVAT annotations XML ({path})")
        root = (path.parent if path.is_file() else path).absolute()
        classes = ClassList()
        census = _Census()
        scans = [_scan(xml_path, classes, census) for xml_path in files]
        plan = census.plan(options.task)
        for kind in plan.kinds:
            for label in census.labels.get(kind, {}):
                classes.id(label)
        reading = Reading(self.name, root, classes.names, lambda: iter(()), count=sum(s.images for s in scans),
                          task=None if plan.task.name == "detect" else plan.task)
        reading.samples = lambda: _samples(scans, root, classes, reading, plan)
        return reading

    async def write(self, dataset: DatasetInfo, prompts: dict[int, list[str]], samples: AsyncIterator[Sample],
                    out: FolderOut) -> None:
        from xml.sax.saxutils import quoteattr

        task = dataset.task_spec()
        images = []
        splits: dict[str, int] = {}  # split -> its task's id and size
        sizes: dict[str, int] = {}
        polygons = False
        async for sample in samples:
            task_id = splits.setdefault(sample.split, len(splits) + 1)
            sizes[sample.split] = sizes.get(sample.split, 0) + 1
            width, height = image_size(sample)
            out.write(f"images/{sample.split}/{sample.filename}", sample.data)
            lines = [f'  <image id="{len(images)}" name={quoteattr(sample.filename)} subset={quoteattr(sample.split)} '
                     f'task_id="{task_id}" width="{width}" height="{height}">']
            for a in sample.annotations or []:
                shape = _shape_xml(task, a, quoteattr(dataset.classes[a.class_id]), width, height)
                polygons = polygons or shape.lstrip().startswith("<polygon")
                lines.append(shape)
            lines.append("  </image>")
            images.append("\n".join(lines))
            out.sample_done()
        label_type = {"detect": "rectangle", "segment": "polygon", "obb": "any" if polygons else "rectangle",
                      "pose": "skeleton"}[task.name]
        labels = "".join(_label_xml(c, label_type, task) for c in dataset.classes)
        tasks = "".join(f"        <task>\n          <id>{task_id}</id>\n          <name>{_text(split)}</name>\n"
                        f"          <size>{sizes[split]}</size>\n          <mode>annotation</mode>\n"
                        f"          <subset>{_text(split)}</subset>\n        </task>\n"
                        for split, task_id in splits.items())
        head = ('<?xml version="1.0" encoding="utf-8"?>\n<annotations>\n  <version>1.1</version>\n  <meta>\n'
                f"    <project>\n      <name>{_text(dataset.name)}</name>\n      <tasks>\n{tasks}      </tasks>\n"
                f"      <subsets>{_text(chr(10).join(splits))}</subsets>\n"
                f"      <labels>\n{labels}      </labels>\n    </project>\n  </meta>\n")
        out.write("annotations.xml", (head + "\n".join(images) + ("\n" if images else "") + "</annotations>\n")
                  .encode("utf-8"))


def _text(value: str) -> str:
    from xml.sax.saxutils import escape

    return escape(value)


def _label_xml(name: str, label_type: str, task: Task) -> str:
    """A class's ``<label>`` in the meta; a pose class's with its ``<svg>`` and its point labels after it."""
    label = (f"        <label>\n          <name>{_text(name)}</name>\n          <type>{label_type}</type>\n"
             f"          <attributes>\n          </attributes>\n")
    if task.kpt_shape is None:
        return label + "        </label>\n"
    k = task.kpt_shape[0]
    label += f"          <svg>{_text(_svg(k, task.skeleton_pairs()))}</svg>\n        </label>\n"
    return label + "".join(f"        <label>\n          <name>{i + 1}</name>\n          <type>points</type>\n"
                           f"          <attributes>\n          </attributes>\n"
                           f"          <parent>{_text(name)}</parent>\n        </label>\n" for i in range(k))


def _svg(k: int, pairs) -> str:
    """The skeleton drawing CVAT keeps for a label: its nodes on a circle, its edges between them."""
    at = [(50 + 40 * math.sin(2 * math.pi * i / k), 50 - 40 * math.cos(2 * math.pi * i / k)) for i in range(k)]
    edges = "".join(f'<line x1="{at[a][0]:.2f}" y1="{at[a][1]:.2f}" x2="{at[b][0]:.2f}" y2="{at[b][1]:.2f}" '
                    f'stroke="black" data-type="edge" data-node-from="{a + 1}" stroke-width="0.5" '
                    f'data-node-to="{b + 1}"></line>' for a, b in pairs)
    nodes = "".join(f'<circle r="1.5" stroke="black" fill="#b3b3b3" cx="{x:.2f}" cy="{y:.2f}" stroke-width="0.1" '
                    f'data-type="element node" data-element-id="{i + 1}" data-node-id="{i + 1}" '
                    f'data-label-name="{i + 1}"></circle>' for i, (x, y) in enumerate(at))
    return edges + nodes


def _pixels(values, width: int, height: int) -> str:
    return ";".join(f"{values[i] * width:.6f},{values[i + 1] * height:.6f}" for i in range(0, len(values), 2))


def _shape_xml(task: Task, a: Annotation, label: str, width: int, height: int) -> str:
    """One annotation as the element CVAT holds it in."""
    if task.name == "segment":
        return (f'    <polygon label={label} source="manual" occluded="0" points="{_pixels(a.points, width, height)}" '
                'z_order="0">\n    </polygon>')
    if task.name == "obb":
        rotated = _rotated_box([v * (width if i % 2 == 0 else height) for i, v in enumerate(a.points)])
        if rotated is None:
            return (f'    <polygon label={label} source="manual" occluded="0" '
                    f'points="{_pixels(a.points, width, height)}" z_order="0">\n    </polygon>')
        cx, cy, w, h, degrees = rotated
        return (f'    <box label={label} source="manual" occluded="0" xtl="{cx - w / 2:.6f}" ytl="{cy - h / 2:.6f}" '
                f'xbr="{cx + w / 2:.6f}" ybr="{cy + h / 2:.6f}" rotation="{degrees:.6f}" z_order="0">\n    </box>')
    if task.name == "pose":
        from ydc_cli.domain.shapes.base import Box
        from ydc_cli.domain.shapes.keypoints import keypoint_triples

        points = []
        for index, (x, y, visible) in enumerate(keypoint_triples(Box(0, a.x, a.y, a.width, a.height, a.points), task)):
            points.append(f'      <points label="{index + 1}" source="manual" outside="{int(not visible)}" '
                          f'occluded="{int(visible == 1)}" points="{x * width:.6f},{y * height:.6f}">\n'
                          "      </points>")
        return f'    <skeleton label={label} source="manual" z_order="0">\n' + "\n".join(points) + \
            "\n    </skeleton>"
    x1, y1, x2, y2 = corners(a, width, height)
    return (f'    <box label={label} source="manual" occluded="0" xtl="{x1:.6f}" ytl="{y1:.6f}" xbr="{x2:.6f}" '
            f'ybr="{y2:.6f}" z_order="0">\n    </box>')


def _rotated_box(points: list[float]) -> tuple[float, float, float, float, float] | None:
    """Four pixel corners as CVAT's rotated box (centre, size, degrees clockwise), or None when they
    are not a rectangle. Corners listed anticlockwise are taken in the other direction."""
    pts = list(zip(points[0::2], points[1::2], strict=True))
    area = sum(pts[i][0] * pts[(i + 1) % 4][1] - pts[(i + 1) % 4][0] * pts[i][1] for i in range(4))
    if area < 0:
        pts = [pts[0], pts[3], pts[2], pts[1]]
    (x0, y0), (x1, y1), (x2, y2) = pts[:3]
    w, h = math.hypot(x1 - x0, y1 - y0), math.hypot(x2 - x1, y2 - y1)
    if w <= 0 or h <= 0:
        return None
    degrees = math.degrees(math.atan2(y1 - y0, x1 - x0)) % 360
    cx, cy = sum(p[0] for p in pts) / 4, sum(p[1] for p in pts) / 4
    rebuilt = _box_corners(cx, cy, w, h, degrees)
    if max(abs(a - b) for a, b in zip(rebuilt, (v for p in pts for v in p), strict=True)) > RECTANGLE:
        return None
    return cx, cy, w, h, degrees


def _box_corners(cx: float, cy: float, w: float, h: float, degrees: float) -> list[float]:
    """A rotated box's corners, flat: top left, top right, bottom right, bottom left before turning
    ``degrees`` clockwise (on the image, y down) about the centre."""
    c, s = math.cos(math.radians(degrees)), math.sin(math.radians(degrees))
    flat = []
    for dx, dy in ((-w / 2, -h / 2), (w / 2, -h / 2), (w / 2, h / 2), (-w / 2, h / 2)):
        flat += [cx + dx * c - dy * s, cy + dx * s + dy * c]
    return flat


def _files(folder: Path) -> list[Path]:
    if (folder / "annotations.xml").is_file():
        return [folder / "annotations.xml"]
    return sorted(p for p in folder.glob("*.xml") if p.is_file() and sniff_xml(p) == "cvat")


@dataclass
class _Scan:
    """What the first pass over one XML file found."""

    path: Path
    images: int = 0
    task_subsets: dict[str, str] = field(default_factory=dict)  # a project's task id -> its subset
    file_subsets: tuple[str, ...] = ()  # the one task's subset, then the file's name


@dataclass
class _Plan:
    """The task a reading gives, and how its shapes are found."""

    task: Task
    kinds: set[str]  # the shape kinds imported (``_kind``)
    points_as_pose: bool = False  # plain <points> shapes are the pose objects
    keypoints: dict[str, list[str]] = field(default_factory=dict)  # skeleton label -> its point labels, in order


@dataclass
class _Census:
    """The shapes of every file, counted by kind in the first pass."""

    counts: dict[str, int] = field(default_factory=dict)
    labels: dict[str, dict[str, None]] = field(default_factory=dict)  # kind -> the labels it names, in order
    point_counts: set[int] = field(default_factory=set)  # how many points plain <points> shapes have
    skeletons: dict[str, int] = field(default_factory=dict)  # skeleton label -> skeletons of it
    sublabels: dict[str, list[str]] = field(default_factory=dict)  # skeleton label -> its point labels (meta)
    elements: dict[str, dict[str, None]] = field(default_factory=dict)  # skeleton label -> point labels met
    svgs: dict[str, str] = field(default_factory=dict)  # skeleton label -> its <svg>

    def add(self, kind: str, label: str) -> None:
        self.counts[kind] = self.counts.get(kind, 0) + 1
        if label:
            self.labels.setdefault(kind, {})[label] = None

    def scores(self) -> dict[str, int]:
        """How many shapes each task would import, as it decides between them."""
        n = self.counts.get
        quads_only = n("polygon", 0) == 0
        pose = n("skeleton", 0) or (n("points", 0) if len(self.point_counts) == 1 else 0)
        return {"detect": n("box", 0), "segment": n("polygon", 0) + (0 if quads_only else n("quad", 0)),
                "obb": n("rotated", 0) + (n("quad", 0) if quads_only else 0), "pose": pose}

    def plan(self, requested: str | None) -> _Plan:
        from ydc_cli.domain import tasks

        scores = self.scores()
        feasible = {"detect": scores["detect"], "segment": scores["segment"] or self.counts.get("quad", 0),
                    "obb": scores["obb"] + self.counts.get("box", 0) + self.counts.get("quad", 0),
                    "pose": scores["pose"]}
        if requested in feasible and feasible[requested]:
            name = requested
        else:
            name = max(TIE_ORDER, key=lambda t: (scores[t], -TIE_ORDER.index(t))) if any(scores.values()) \
                else "detect"
        if name != "pose":
            return _Plan(tasks.make(name), IMPORTS[name])
        if not self.counts.get("skeleton"):
            k = next(iter(self.point_counts))
            return _Plan(tasks.make("pose", [k, 3]), {"points"}, points_as_pose=True)
        order = {label: self.sublabels.get(label) or list(self.elements.get(label, {})) for label in self.skeletons}
        main = max(self.skeletons, key=lambda label: (self.skeletons[label], -list(self.skeletons).index(label)))
        k = len(order[main])
        keypoints = {label: names for label, names in order.items() if len(names) == k}
        return _Plan(tasks.make("pose", [k, 3], skeleton=_edges(self.svgs.get(main, ""), order[main])),
                     {"skeleton"}, keypoints=keypoints)


_ATTRIBUTE = re.compile(r'([\w-]+)="([^"]*)"')


def _edges(svg: str, names: list[str]) -> list[list[int]] | None:
    """A skeleton label's edges as keypoint index pairs, from the ``<svg>`` CVAT keeps for it (its
    ``circle`` nodes name their point label, its ``line`` edges join node ids); None without one."""
    import html

    nodes: dict[str, int] = {}
    edges = []
    for tag, attributes in re.findall(r"<(circle|line)\b([^>]*)>", svg):
        values = {key: html.unescape(value) for key, value in _ATTRIBUTE.findall(attributes)}
        if tag == "circle" and values.get("data-label-name") in names and "data-node-id" in values:
            nodes[values["data-node-id"]] = names.index(values["data-label-name"])
        elif tag == "line" and "data-node-from" in values and "data-node-to" in values:
            edges.append((values["data-node-from"], values["data-node-to"]))
    pairs = [[nodes[a], nodes[b]] for a, b in edges if a in nodes and b in nodes]
    return pairs or None


def _children(path: Path) -> Iterator[tuple[object, object]]:
    """The ``<annotations>`` root and each of its children once complete (then cleared: constant memory).

    Raises:
        InvalidDatasetError: not well-formed, or not a CVAT document.
    """
    from ydc_cli.domain.errors import InvalidDatasetError

    root = None
    depth = 0
    for event, element in iter_xml(path):
        if event == "start":
            depth += 1
            if root is None:
                root = element
                if element.tag != "annotations":
                    raise InvalidDatasetError(f"not a CVAT XML: the root element is <{element.tag}>, "
                                              f"not <annotations> ({path})")
            continue
        depth -= 1
        if depth == 1:
            yield root, element
            root.clear()


def _kind(element) -> str | None:
    """Which of ``KINDS`` a shape element is, or None (not a shape ydc reads)."""
    tag = element.tag
    if tag == "box":
        try:
            return "rotated" if number(element.get("rotation") or 0) % 360 else "box"
        except (TypeError, ValueError):
            return "box"
    if tag == "polygon":
        return "quad" if (element.get("points") or "").count(";") == 3 else "polygon"
    return tag if tag in ("skeleton", "points") else None


def _scan(path: Path, classes: ClassList, census: _Census) -> _Scan:
    """The first pass: the labels (into ``classes``), the splits the meta gives, the images and shapes counted."""
    from ydc_cli.domain.errors import InvalidDatasetError

    scan = _Scan(path, file_subsets=() if path.name == "annotations.xml" else (path.stem,))
    tracks = 0
    for _, element in _children(path):
        if element.tag == "meta":
            _scan_meta(element, classes, census, scan)
        elif element.tag == "image":
            scan.images += 1
            for shape in element:
                kind = _kind(shape)
                if kind is None or shape.get("outside") == "1":
                    continue
                label = (shape.get("label") or "").strip()
                census.add(kind, label)
                if kind == "points":
                    census.point_counts.add((shape.get("points") or "").count(";") + 1)
                elif kind == "skeleton" and label:
                    census.skeletons[label] = census.skeletons.get(label, 0) + 1
                    met = census.elements.setdefault(label, {})
                    for point in shape.iter("points"):
                        met[(point.get("label") or "").strip()] = None
        elif element.tag == "track":
            tracks += 1
    if tracks and not scan.images:
        raise InvalidDatasetError(f"CVAT for video (tracks, no images) is not read: export the task as "
                                  f"CVAT for images 1.1 ({path})")
    return scan


def _scan_meta(meta, classes: ClassList, census: _Census, scan: _Scan) -> None:
    for label in meta.iter("label"):
        name = (label.findtext("name") or "").strip()
        parent = (label.findtext("parent") or "").strip()
        if name and not parent:
            classes.id(name)
            if label.find("svg") is not None:
                census.svgs.setdefault(name, label.findtext("svg") or "")
        elif name:
            census.sublabels.setdefault(parent, [])
            if name not in census.sublabels[parent]:
                census.sublabels[parent].append(name)
    for task in meta.iter("task"):
        task_id, subset = (task.findtext("id") or "").strip(), (task.findtext("subset") or "").strip()
        if task_id and subset:
            scan.task_subsets[task_id] = subset
    task = meta.find("task")
    if task is not None and (task.findtext("subset") or "").strip():
        scan.file_subsets = ((task.findtext("subset") or "").strip(), *scan.file_subsets)


@dataclass
class _Counts:
    """What the second pass left out, for the notes."""

    shapes: dict[str, int] = field(default_factory=dict)  # by tag
    rotated: int = 0
    tags: int = 0
    unlabelled: int = 0

    def notes(self, plan: _Plan) -> list[str]:
        only = "points" if plan.points_as_pose else ONLY[plan.task.name]
        notes = [f"{count} {tag} shape{'s' if count != 1 else ''} not imported ({only} only)"
                 for tag, count in sorted(self.shapes.items())]
        if self.rotated:
            notes.append(f"{self.rotated} rotated box{'es' if self.rotated != 1 else ''} not imported")
        if self.tags:
            notes.append(f"{self.tags} tag{'s' if self.tags != 1 else ''} (labels of a whole image) not imported")
        if self.unlabelled:
            n = self.unlabelled
            notes.append(f"{n} image{'s' if n != 1 else ''} with only such shapes stored unlabelled, "
                         "not as background")
        return notes


def _samples(scans: list[_Scan], root: Path, classes: ClassList, reading: Reading, plan: _Plan) -> Iterator[Sample]:
    from ydc_cli.persistence import Sample

    finder = ImageFinder(root)
    tally = BoxTally()
    counts = _Counts()
    taken: set[tuple[str, str]] = set()
    for scan in scans:
        for _, image in _children(scan.path):
            if image.tag != "image":
                continue
            name = image.get("name", "")
            subsets = [s for s in (image.get("subset", ""), scan.task_subsets.get(image.get("task_id", ""), ""),
                                   *scan.file_subsets) if s]
            split = next((split_named(s) for s in subsets if split_named(s)), "train")
            folders = [root / "images" / s for s in dict.fromkeys([*subsets, split])]
            source = finder.find(name, *folders, root / "images", root)
            if source is None:
                reading.skipped.append((name, "image file not found"))
                continue
            data, header_width, header_height = read_image(source)
            try:
                width, height = number(image.get("width")), number(image.get("height"))
            except (TypeError, ValueError):
                width, height = header_width, header_height
            if not (width > 0 and height > 0):
                width, height = header_width, header_height
            annotations, other = _shapes(image, name, classes, width, height, tally, reading, counts, plan)
            if other and not annotations:
                counts.unlabelled += 1
            yield Sample(unique_name(source.name, split, taken), split, data,
                         None if other and not annotations else annotations)
    reading.notes += counts.notes(plan)
    reading.notes += tally.notes()


def _shapes(image, name: str, classes: ClassList, width: float, height: float, tally: BoxTally,
            reading: Reading, counts: _Counts, plan: _Plan) -> tuple[list, bool]:
    """The image element's shapes of the plan's task, and whether it holds shapes that are not imported."""
    annotations = []
    other = False
    for index, element in enumerate(image):
        if element.tag == "tag":
            counts.tags += 1
            continue
        kind = _kind(element)
        if kind not in plan.kinds:
            if kind == "rotated":
                counts.rotated += 1
                other = True
            elif element.tag in SHAPES or kind is not None:
                counts.shapes[element.tag] = counts.shapes.get(element.tag, 0) + 1
                other = True
            continue
        where = f"{name} shape {index + 1}"
        if element.get("outside") == "1":
            reading.skipped.append((where, f"{element.tag} marked outside (out of view)"))
            continue
        label = (element.get("label") or "").strip()
        if not label:
            reading.skipped.append((where, f"{element.tag} has no label"))
            continue
        converted = _convert(element, kind, classes.id(label), width, height, tally, plan)
        if isinstance(converted, str):
            reading.skipped.append((where, converted))
        else:
            annotations.append(converted)
    return annotations, other


def _convert(element, kind: str, class_id: int, width: float, height: float, tally: BoxTally,
             plan: _Plan) -> Annotation | str:
    """One shape element as an annotation of the plan's task, or why it is left out."""
    task = plan.task
    if kind in ("box", "rotated"):
        try:
            x1, y1, x2, y2 = (number(element.get(k)) for k in ("xtl", "ytl", "xbr", "ybr"))
            rotation = number(element.get("rotation") or 0)
        except (TypeError, ValueError):
            return "box corners are not numbers"
        if task.name == "detect":
            return pixel_box(class_id, x1, y1, x2, y2, width, height, tally)
        return pixel_shape(task, class_id, _box_corners((x1 + x2) / 2, (y1 + y2) / 2, x2 - x1, y2 - y1, rotation),
                           width, height, tally)
    if kind == "skeleton":
        names = plan.keypoints.get((element.get("label") or "").strip())
        k = task.kpt_shape[0] if task.kpt_shape else 0
        if names is None:
            return f"skeleton's label has not {k} points (the dataset's kpt_shape is [{k}, 3])"
        values = [0.0] * (k * 3)
        for point in element.iter("points"):
            label = (point.get("label") or "").strip()
            if label not in names or point.get("outside") == "1":
                continue
            xy = _points(point)
            if not isinstance(xy, list) or len(xy) != 2:
                return f"skeleton point {label!r} is not one x,y pair"
            index = names.index(label)
            values[index * 3:index * 3 + 3] = [*xy, 1.0 if point.get("occluded") == "1" else 2.0]
        return pixel_shape(task, class_id, values, width, height, tally)
    values = _points(element)
    if isinstance(values, str):
        return values
    if kind == "points":
        visible = 1.0 if element.get("occluded") == "1" else 2.0
        values = [v for i in range(0, len(values), 2) for v in (values[i], values[i + 1], visible)]
    return pixel_shape(task, class_id, values, width, height, tally)


def _points(element) -> list[float] | str:
    """An element's ``points="x1,y1;x2,y2;..."`` as flat numbers, or why not."""
    try:
        return [number(v) for pair in (element.get("points") or "").split(";") for v in pair.split(",")]
    except (TypeError, ValueError):
        return f"{element.tag} points are not numbers"
