"""CVAT for images 1.1: one ``<annotations>`` XML with the labels and every image's boxes.

Read: CVAT's own export (``annotations.xml`` beside ``images/``), Datumaro's (one
``<subset>.xml`` per split beside ``images/``), or one ``.xml`` file. Classes come from
``<meta>``'s ``<labels>`` in order (then any other label met), by name. Boxes are pixel
corners ``xtl ytl xbr ybr`` (0-based, continuous); polygons, polylines, points and
other shapes are counted in a note and not imported (the task issue adds them). The
split is an image's ``subset`` attribute, else the file's name (``val.xml``), else train.

Write: ``<name>-cvat/annotations.xml`` (every split, ``subset`` on each image, the
labels in ``<meta><project>``, a task per split naming its ``<subset>``, as CVAT's project
export does) and ``images/<split>/<file>``.
"""

from __future__ import annotations

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
    corners,
    image_size,
    number,
    pixel_box,
    read_image,
    read_xml,
    sniff_xml,
    split_named,
)

if TYPE_CHECKING:
    from ydc_cli.persistence import DatasetInfo, Sample

SHAPES = ("polygon", "polyline", "points", "ellipse", "cuboid", "mask", "skeleton", "tag")


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

        files = [path.absolute()] if path.is_file() else _files(path)
        if not files:
            raise InvalidDatasetError(f"no CVAT annotations XML ({path})")
        root = (path.parent if path.is_file() else path).absolute()
        documents = [(xml_path, read_xml(xml_path)) for xml_path in files]
        classes = ClassList()
        for _, document in documents:
            for label in document.iter("label"):
                name = (label.findtext("name") or "").strip()
                if name:
                    classes.id(name)
            for box in document.iter("box"):
                classes.id(box.get("label", ""))
        reading = Reading(self.name, root, classes.names, lambda: iter(()),
                          count=sum(len(document.findall("image")) for _, document in documents))
        reading.samples = lambda: _samples(documents, root, classes, reading)
        return reading

    async def write(self, dataset: DatasetInfo, prompts: dict[int, list[str]], samples: AsyncIterator[Sample],
                    out: FolderOut) -> None:
        from xml.sax.saxutils import quoteattr

        images = []
        splits: list[str] = []
        async for sample in samples:
            if sample.split not in splits:
                splits.append(sample.split)
            width, height = image_size(sample)
            name = sample.filename
            out.write(f"images/{sample.split}/{name}", sample.data)
            lines = [f'  <image id="{len(images)}" name={quoteattr(name)} subset={quoteattr(sample.split)} '
                     f'width="{width}" height="{height}">']
            for a in sample.annotations or []:
                x1, y1, x2, y2 = corners(a, width, height)
                lines.append(f'    <box label={quoteattr(dataset.classes[a.class_id])} occluded="0" source="manual" '
                             f'xtl="{x1:.6f}" ytl="{y1:.6f}" xbr="{x2:.6f}" ybr="{y2:.6f}" z_order="0">\n    </box>')
            lines.append("  </image>")
            images.append("\n".join(lines))
            out.sample_done()
        labels = "".join(f"        <label>\n          <name>{_text(c)}</name>\n          <type>rectangle</type>\n"
                         f"          <attributes>\n          </attributes>\n        </label>\n"
                         for c in dataset.classes)
        head = ('<?xml version="1.0" encoding="utf-8"?>\n<annotations>\n  <version>1.1</version>\n  <meta>\n'
                f"    <project>\n      <name>{_text(dataset.name)}</name>\n      <labels>\n{labels}      </labels>\n"
                "    </project>\n    <tasks>\n"
                + "".join(f"      <task>\n        <name>{split}</name>\n        <subset>{split}</subset>\n"
                          f"      </task>\n" for split in splits)
                + "    </tasks>\n  </meta>\n")
        out.write("annotations.xml", (head + "\n".join(images) + ("\n" if images else "") + "</annotations>\n")
                  .encode("utf-8"))


def _text(value: str) -> str:
    from xml.sax.saxutils import escape

    return escape(value)


def _files(folder: Path) -> list[Path]:
    if (folder / "annotations.xml").is_file():
        return [folder / "annotations.xml"]
    return sorted(p for p in folder.glob("*.xml") if p.is_file() and sniff_xml(p) == "cvat")


def _samples(documents: list, root: Path, classes: ClassList, reading: Reading) -> Iterator[Sample]:
    from ydc_cli.persistence import Sample

    finder = ImageFinder(root)
    tally = BoxTally()
    shapes: dict[str, int] = {}
    for xml_path, document in documents:
        default_split = split_named(xml_path.stem) if xml_path.name != "annotations.xml" else None
        for image in document.iter("image"):
            name = image.get("name", "")
            split = split_named(image.get("subset", "")) or default_split or "train"
            source = finder.find(name, root / "images", root / "images" / split, root)
            if source is None:
                reading.skipped.append((name, "image file not found"))
                continue
            data, header_width, header_height = read_image(source)
            try:
                width, height = number(image.get("width", header_width)), number(image.get("height", header_height))
            except ValueError:
                width, height = header_width, header_height
            annotations = []
            for index, element in enumerate(image):
                if element.tag != "box":
                    if element.tag in SHAPES:
                        shapes[element.tag] = shapes.get(element.tag, 0) + 1
                    continue
                try:
                    x1, y1, x2, y2 = (number(element.get(k)) for k in ("xtl", "ytl", "xbr", "ybr"))
                except (TypeError, ValueError):
                    reading.skipped.append((f"{name} shape {index + 1}", "box corners are not numbers"))
                    continue
                converted = pixel_box(classes.id(element.get("label", "")), x1, y1, x2, y2, width, height, tally)
                if isinstance(converted, str):
                    reading.skipped.append((f"{name} shape {index + 1}", converted))
                else:
                    annotations.append(converted)
            yield Sample(source.name, split, data, annotations)
    for tag, count in sorted(shapes.items()):
        reading.notes.append(f"{count} {tag} shape{'s' if count != 1 else ''} not imported (boxes only)")
    reading.notes += tally.notes()
