"""Pascal VOC: one XML per image with pixel ``bndbox`` corners.

Read: the devkit tree (``Annotations/*.xml``, ``JPEGImages/``, ``ImageSets/Main/<split>.txt``,
also inside ``VOCdevkit/VOC20xx/``), Roboflow's VOC export (``train/``, ``valid/``,
``test/`` each holding images and their XMLs side by side), or a folder of VOC XMLs
beside an image folder (as supervision writes). The split comes from the ImageSets
lists (``trainval`` stands for train when no train list exists), else from a folder
name, else train. Classes are taken by name, in order of first appearance (``labelmap.txt``
order first, when there is one). ``difficult`` boxes are kept and counted in a note.

Coordinates: the devkit numbers pixels from 1 and writes integers (``xmin`` is the first
covered pixel, ``xmax`` the last), as the devkit, ultralytics' VOC converter and
supervision read and write them; Datumaro and CVAT write continuous 0-based floats
(``5.0``). A ``bndbox`` written with integers is read the devkit's way (``xmin - 1``,
``ymin - 1`` become the 0-based left and top edges), one with decimals as 0-based.
Exports write 0-based floats with decimals (``4.0``, ``24.125``), which Datumaro and
ydc read exactly; a devkit reader (supervision) places their left and top edges 1 px
further out.

Write: ``<name>-voc/`` with ``Annotations/``, ``JPEGImages/`` (the original bytes),
``ImageSets/Main/<split>.txt`` and ``labelmap.txt``. VOC keeps one flat image folder, so
a file name held by two splits is stored as ``<split>__<name>`` in the later split.
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


_IMAGE_SUFFIXES = ("jpg", "jpeg", "png", "bmp", "webp", "tif", "tiff")


class Voc(Format):
    name = "voc"
    title = "Pascal VOC"
    layout = "Annotations/*.xml, JPEGImages/, ImageSets/Main/<split>.txt; or <split>/ folders of images and XMLs"
    priority = 20
    writes = True

    def detect(self, path: Path) -> bool:
        if path.is_file():
            return path.suffix.lower() == ".xml" and sniff_xml(path) == "voc"
        return path.is_dir() and bool(_annotation_files(_devkit_root(path)))

    def read(self, path: Path, options: ReadOptions) -> Reading:
        from ydc_cli.domain.errors import InvalidDatasetError

        root = (path.parent if path.is_file() else _devkit_root(path)).absolute()
        files = [path.absolute()] if path.is_file() else _annotation_files(root)
        if not files:
            raise InvalidDatasetError(f"no VOC annotation files (Annotations/*.xml) ({path})")
        classes = ClassList(_labelmap(root))
        splits = _image_sets(root)
        reading = Reading(self.name, root, [], lambda: iter(()), count=len(files))
        plan = []
        for xml_path in files:
            stem = xml_path.stem
            split = splits.get(stem) if splits else None
            split = split or split_named(xml_path.parent.name) or "train"
            plan.append((xml_path, split))
        described = {xml_path.stem for xml_path in files}
        for stem, split in splits.items():  # listed without an XML (Datumaro writes none for a background)
            if stem not in described:
                image = next((p for p in sorted((root / "JPEGImages").glob(f"{stem}.*"))
                              if p.suffix.lower().lstrip(".") in _IMAGE_SUFFIXES), None)
                if image is not None:
                    plan.append((image, split))
        reading.count = len(plan)
        # classes must be known before the store is created: one cheap pass over the names
        for xml_path, _ in plan:
            if xml_path.suffix.lower() != ".xml":
                continue
            for element in read_xml(xml_path).iter("object"):
                name = (element.findtext("name") or "").strip()
                if name:
                    classes.id(name)
        reading.classes = classes.names
        reading.samples = lambda: _samples(plan, root, classes, reading)
        return reading

    async def write(self, dataset: DatasetInfo, prompts: dict[int, list[str]], samples: AsyncIterator[Sample],
                    out: FolderOut) -> None:
        taken: set[str] = set()
        lists: dict[str, list[str]] = {}
        async for sample in samples:
            filename = sample.filename if sample.filename not in taken else f"{sample.split}__{sample.filename}"
            taken.add(filename)
            stem = filename.rsplit(".", 1)[0]
            width, height = image_size(sample)
            out.write(f"JPEGImages/{filename}", sample.data)
            out.write(f"Annotations/{stem}.xml", _annotation_xml(filename, width, height, sample, dataset.classes))
            lists.setdefault(sample.split, []).append(stem)
            out.sample_done()
        for split, stems in lists.items():
            out.write(f"ImageSets/Main/{split}.txt", ("\n".join(stems) + "\n").encode())
        labelmap = "# label:color_rgb:parts:actions\n" + "".join(f"{c}:::\n" for c in dataset.classes)
        out.write("labelmap.txt", labelmap.encode())


def _devkit_root(folder: Path) -> Path:
    """The folder holding ``Annotations/``: the one given, or a single ``VOCdevkit/VOC20xx`` inside."""
    if (folder / "Annotations").is_dir():
        return folder
    nested = sorted(p for p in [*folder.glob("VOC*"), *folder.glob("VOCdevkit/VOC*")]
                    if (p / "Annotations").is_dir())
    return nested[0] if len(nested) == 1 else folder


def _annotation_files(root: Path) -> list[Path]:
    if (root / "Annotations").is_dir():
        return sorted(p for p in (root / "Annotations").glob("*.xml") if p.is_file())
    found = []
    for folder in sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")):
        candidates = sorted(folder.glob("*.xml"))
        if candidates and sniff_xml(candidates[0]) == "voc":
            found += candidates
    return found


def _labelmap(root: Path) -> list[str]:
    path = root / "labelmap.txt"
    if not path.is_file():
        return []
    names = []
    for line in path.read_text(encoding="utf-8").splitlines():
        name = line.split(":", 1)[0].strip()
        if name and not line.startswith("#") and name != "background":
            names.append(name)
    return names


def _image_sets(root: Path) -> dict[str, str]:
    """Image stem -> split, from ``ImageSets/Main/{train,val,test,trainval}.txt``."""
    folder = root / "ImageSets" / "Main"
    found: dict[str, str] = {}
    if not folder.is_dir():
        return found
    names = {p.stem: p for p in folder.glob("*.txt")}
    order = ["train", "val", "test"] if "train" in names else ["trainval", "val", "test"]
    for list_name in order:
        path = names.get(list_name)
        if path is None:
            continue
        split = "train" if list_name == "trainval" else list_name
        for line in path.read_text(encoding="utf-8").split("\n"):
            stem = line.split()[0] if line.split() else ""
            if stem:
                found.setdefault(stem, split)
    return found


def _coordinate(element, tag: str) -> tuple[float, bool]:
    text = (element.findtext(tag) or "").strip()
    return number(text), "." not in text and "e" not in text.lower()


def _samples(plan: list[tuple[Path, str]], root: Path, classes: ClassList, reading: Reading) -> Iterator[Sample]:
    from ydc_cli.persistence import Sample

    finder = ImageFinder(root)
    tally = BoxTally()
    difficult = 0
    for xml_path, split in plan:
        if xml_path.suffix.lower() != ".xml":  # an image listed in ImageSets with no annotation file
            data, _, _ = read_image(xml_path)
            yield Sample(xml_path.name, split, data, None)
            continue
        document = read_xml(xml_path)
        filename = (document.findtext("filename") or "").strip() or f"{xml_path.stem}.jpg"
        source = finder.find(filename, root / "JPEGImages", xml_path.parent)
        if source is None:
            source = next((c for c in (xml_path.with_suffix(e) for e in (".jpg", ".jpeg", ".png")) if c.is_file()),
                          None)
        if source is None:
            reading.skipped.append((filename, f"image file not found (named in {xml_path.name})"))
            continue
        data, width, height = read_image(source)
        annotations = []
        for index, element in enumerate(document.iter("object")):
            name = (element.findtext("name") or "").strip()
            box = element.find("bndbox")
            if not name or box is None:
                reading.skipped.append((f"{xml_path.name} object {index + 1}", "no name or bndbox"))
                continue
            try:
                (x1, devkit), (y1, _), (x2, _), (y2, _) = (_coordinate(box, tag)
                                                           for tag in ("xmin", "ymin", "xmax", "ymax"))
            except (TypeError, ValueError):
                reading.skipped.append((f"{xml_path.name} object {index + 1}", "bndbox is not numbers"))
                continue
            if devkit:
                x1, y1 = x1 - 1, y1 - 1
            converted = pixel_box(classes.id(name), x1, y1, x2, y2, width, height, tally)
            if isinstance(converted, str):
                reading.skipped.append((f"{xml_path.name} object {index + 1}", converted))
                continue
            if (element.findtext("difficult") or "0").strip() in ("1", "true"):
                difficult += 1
            annotations.append(converted)
        yield Sample(source.name, split, data, annotations)
    if difficult:
        reading.notes.append(f"{difficult} box{'es' if difficult != 1 else ''} marked difficult, kept")
    reading.notes += tally.notes()


def _annotation_xml(filename: str, width: int, height: int, sample: Sample, classes: list[str]) -> bytes:
    from xml.sax.saxutils import escape

    lines = ["<annotation>", "  <folder>JPEGImages</folder>", f"  <filename>{escape(filename)}</filename>",
             f"  <size><width>{width}</width><height>{height}</height><depth>3</depth></size>",
             "  <segmented>0</segmented>"]
    for a in sample.annotations or []:
        x1, y1, x2, y2 = corners(a, width, height)
        lines += ["  <object>", f"    <name>{escape(classes[a.class_id])}</name>", "    <pose>Unspecified</pose>",
                  "    <truncated>0</truncated>", "    <difficult>0</difficult>",
                  f"    <bndbox><xmin>{_decimal(x1)}</xmin><ymin>{_decimal(y1)}</ymin>"
                  f"<xmax>{_decimal(x2)}</xmax><ymax>{_decimal(y2)}</ymax></bndbox>", "  </object>"]
    lines.append("</annotation>")
    return ("\n".join(lines) + "\n").encode("utf-8")


def _decimal(value: float) -> str:
    """A 0-based coordinate always written with a decimal point (the mark of continuous coordinates)."""
    text = f"{round(value, 6):.6f}".rstrip("0")
    return text + "0" if text.endswith(".") else text

