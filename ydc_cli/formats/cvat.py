"""CVAT for images 1.1: one ``<annotations>`` XML with the labels and every image's boxes.

Read: CVAT's own export (``annotations.xml`` beside ``images/``: a task's images in
``images/``, a project's in ``images/<subset>/``), Datumaro's (one ``<subset>.xml`` per
split beside ``images/``), or one ``.xml`` file. The file is streamed (any size, in
constant memory): one pass finds the classes, a second reads the images. Classes come
from ``<meta>``'s ``<labels>`` in order (then any other label a box names), by name;
a skeleton's point labels (``<parent>``) are not classes. Boxes are pixel corners
``xtl ytl xbr ybr`` (0-based, continuous) against the ``width`` and ``height`` the image
element records; rotated boxes (``rotation``), polygons, polylines, points and other
shapes are counted in a note and not imported (the shapes issue adds them), and an
image with such shapes but no box is stored unlabelled, not as a background. A box
marked ``outside`` (an object out of view) is left out. The split is, first that means
one (``Train``, ``validation``...): the image's ``subset``; its task's ``<subset>`` in the
meta (``task_id``); the file's one task's ``<subset>``; the file's name (``val.xml``);
else train. CVAT for video (tracks, no images) is refused with what to export instead.

Write: ``<name>-cvat/annotations.xml`` as CVAT's project export has it: ``<meta><project>``
with the labels, one task per split (``<id>``, ``<subset>``) and ``<subsets>``; each image
with ``subset`` and ``task_id``; boxes with 6 decimals, and ``images/<split>/<file>``.
CVAT (its project import reads ``images/<subset>/``) and Datumaro's ``cvat`` importer (one
subset per task ``<subset>``) both read it.
"""

from __future__ import annotations

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
    read_image,
    sniff_xml,
    split_named,
    unique_name,
)

if TYPE_CHECKING:
    from ydc_cli.persistence import DatasetInfo, Sample

SHAPES = ("polygon", "polyline", "points", "ellipse", "cuboid", "mask", "skeleton")


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
        scans = [_scan(xml_path, classes) for xml_path in files]
        reading = Reading(self.name, root, classes.names, lambda: iter(()), count=sum(s.images for s in scans))
        reading.samples = lambda: _samples(scans, root, classes, reading)
        return reading

    async def write(self, dataset: DatasetInfo, prompts: dict[int, list[str]], samples: AsyncIterator[Sample],
                    out: FolderOut) -> None:
        from xml.sax.saxutils import quoteattr

        images = []
        splits: dict[str, int] = {}  # split -> its task's id and size
        sizes: dict[str, int] = {}
        async for sample in samples:
            task_id = splits.setdefault(sample.split, len(splits) + 1)
            sizes[sample.split] = sizes.get(sample.split, 0) + 1
            width, height = image_size(sample)
            out.write(f"images/{sample.split}/{sample.filename}", sample.data)
            lines = [f'  <image id="{len(images)}" name={quoteattr(sample.filename)} subset={quoteattr(sample.split)} '
                     f'task_id="{task_id}" width="{width}" height="{height}">']
            for a in sample.annotations or []:
                x1, y1, x2, y2 = corners(a, width, height)
                lines.append(f'    <box label={quoteattr(dataset.classes[a.class_id])} source="manual" occluded="0" '
                             f'xtl="{x1:.6f}" ytl="{y1:.6f}" xbr="{x2:.6f}" ybr="{y2:.6f}" z_order="0">\n    </box>')
            lines.append("  </image>")
            images.append("\n".join(lines))
            out.sample_done()
        labels = "".join(f"        <label>\n          <name>{_text(c)}</name>\n          <type>rectangle</type>\n"
                         f"          <attributes>\n          </attributes>\n        </label>\n"
                         for c in dataset.classes)
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


def _scan(path: Path, classes: ClassList) -> _Scan:
    """The first pass: the labels (into ``classes``), the splits the meta gives and the images counted."""
    from ydc_cli.domain.errors import InvalidDatasetError

    scan = _Scan(path, file_subsets=() if path.name == "annotations.xml" else (path.stem,))
    tracks = 0
    for _, element in _children(path):
        if element.tag == "meta":
            for label in element.iter("label"):
                name = (label.findtext("name") or "").strip()
                if name and label.find("parent") is None:
                    classes.id(name)
            for task in element.iter("task"):
                task_id, subset = (task.findtext("id") or "").strip(), (task.findtext("subset") or "").strip()
                if task_id and subset:
                    scan.task_subsets[task_id] = subset
            task = element.find("task")
            if task is not None and (task.findtext("subset") or "").strip():
                scan.file_subsets = ((task.findtext("subset") or "").strip(), *scan.file_subsets)
        elif element.tag == "image":
            scan.images += 1
            for shape in element:
                if shape.tag == "box" and (shape.get("label") or "").strip():
                    classes.id(shape.get("label"))
        elif element.tag == "track":
            tracks += 1
    if tracks and not scan.images:
        raise InvalidDatasetError(f"CVAT for video (tracks, no images) is not read: export the task as "
                                  f"CVAT for images 1.1 ({path})")
    return scan


def _samples(scans: list[_Scan], root: Path, classes: ClassList, reading: Reading) -> Iterator[Sample]:
    from ydc_cli.persistence import Sample

    finder = ImageFinder(root)
    tally = BoxTally()
    shapes: dict[str, int] = {}
    counts = {"rotated": 0, "tags": 0, "unlabelled": 0}
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
            annotations, other = _boxes(image, name, classes, width, height, tally, reading, shapes, counts)
            if other and not annotations:
                counts["unlabelled"] += 1
            yield Sample(unique_name(source.name, split, taken), split, data,
                         None if other and not annotations else annotations)
    for tag, count in sorted(shapes.items()):
        reading.notes.append(f"{count} {tag} shape{'s' if count != 1 else ''} not imported (boxes only)")
    if counts["rotated"]:
        reading.notes.append(f"{counts['rotated']} rotated box{'es' if counts['rotated'] != 1 else ''} not imported")
    if counts["tags"]:
        reading.notes.append(f"{counts['tags']} tag{'s' if counts['tags'] != 1 else ''} (labels of a whole image) "
                             "not imported")
    if counts["unlabelled"]:
        n = counts["unlabelled"]
        reading.notes.append(f"{n} image{'s' if n != 1 else ''} with only such shapes stored unlabelled, "
                             "not as background")
    reading.notes += tally.notes()


def _boxes(image, name: str, classes: ClassList, width: float, height: float, tally: BoxTally,
           reading: Reading, shapes: dict[str, int], counts: dict[str, int]) -> tuple[list, bool]:
    """The image element's boxes, and whether it holds shapes that are not imported."""
    annotations = []
    other = False
    for index, element in enumerate(image):
        if element.tag == "tag":
            counts["tags"] += 1
            continue
        if element.tag != "box":
            if element.tag in SHAPES:
                shapes[element.tag] = shapes.get(element.tag, 0) + 1
                other = True
            continue
        where = f"{name} shape {index + 1}"
        if element.get("outside") == "1":
            reading.skipped.append((where, "box marked outside (out of view)"))
            continue
        try:
            x1, y1, x2, y2 = (number(element.get(k)) for k in ("xtl", "ytl", "xbr", "ybr"))
            rotation = number(element.get("rotation") or 0)
        except (TypeError, ValueError):
            reading.skipped.append((where, "box corners are not numbers"))
            continue
        if rotation % 360:
            counts["rotated"] += 1
            other = True
            continue
        label = (element.get("label") or "").strip()
        if not label:
            reading.skipped.append((where, "box has no label"))
            continue
        converted = pixel_box(classes.id(label), x1, y1, x2, y2, width, height, tally)
        if isinstance(converted, str):
            reading.skipped.append((where, converted))
        else:
            annotations.append(converted)
    return annotations, other
