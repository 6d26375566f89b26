"""Pascal VOC: one XML per image with pixel ``bndbox`` corners.

Read: the devkit tree (``Annotations/*.xml``, ``JPEGImages/``, ``ImageSets/Main/<split>.txt``,
also inside ``VOCdevkit/VOC20xx/``), Roboflow's VOC export (``train/``, ``valid/``,
``test/`` each holding images and their XMLs side by side), a folder of VOC XMLs beside
an image folder (as supervision writes), or XMLs beside their images in the folder given
(labelImg). The split comes from the ImageSets lists (``trainval`` stands for train when
no train list exists; an image in no list is train), else from the XML's folder name,
else train. Classes are taken by name: ``labelmap.txt`` order first when there is one
(Datumaro writes it, with a ``background`` entry that is dropped unless an object is
called that), then in order of first appearance. ``difficult`` boxes are kept and
counted in a note; ``truncated`` and ``occluded`` are ignored. The image size is the
``<size>`` the XML records (boxes are in its pixels), else the image header's; images
whose file has another size are counted in a note. Every XML is parsed once, before the
images stream (the class list must be complete before the dataset is created); only a
compact record of each is kept.

Coordinates. The VOC devkit numbers pixels from 1 and writes whole pixels: ``xmin`` is
the first covered pixel, ``xmax`` the last, so the 0-based edges are ``xmin - 1`` and
``xmax``. supervision writes and reads that way, as do Detectron2 and Datumaro's
``voc-one-based`` mode; Datumaro's default (and CVAT, which exports through it) writes
and reads the numbers as 0-based edges, always as decimals (``4.0``). So a ``bndbox``
written with integers is read the devkit's way and one written with decimals as 0-based
edges, which makes the files of all three exact. ydc's exports follow the devkit (1-based,
decimals where a box edge falls inside a pixel) and say so in ``<source><database>ydc``,
which makes its decimals read 1-based too: a round trip is exact, supervision and
Datumaro in ``voc-one-based`` mode read the boxes exactly, and Datumaro's default mode
reads their left and top edges one pixel out.

Write: ``<name>-voc/`` with ``Annotations/``, ``JPEGImages/`` (the original bytes),
``ImageSets/Main/<split>.txt`` and ``labelmap.txt``, one XML per image (a background has
one without objects, so devkit readers find every file; it imports back as an empty
label). VOC keeps one flat image folder and names an image's XML after its stem, so an
image whose stem is already taken (the same name in an earlier split, or ``a.png`` beside
``a.jpg``) is stored as ``<split>__<name>``, then ``<split>__<stem>__2<ext>`` and so on.
"""

from __future__ import annotations

import os
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
    number,
    pixel_box,
    read_image,
    read_xml,
    sniff_xml,
    split_named,
    unique_name,
)

if TYPE_CHECKING:
    from ydc_cli.persistence import DatasetInfo, Sample

WRITER = "ydc"  # <source><database> of ydc's exports: their decimals are 1-based too
_TRUE = ("1", "true", "yes")


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
        splits = _image_sets(root)
        images = _image_folder(root / "JPEGImages")
        reading = Reading(self.name, root, [], lambda: iter(()))
        folder_splits = {folder: split_named(folder.name) or "train" for folder in {p.parent for p in files}}
        records = [_parse(xml_path, splits.get(xml_path.stem) or folder_splits[xml_path.parent], reading)
                   for xml_path in files]
        described = {xml_path.stem for xml_path in files}
        for stem, split in splits.items():  # listed without an XML (Datumaro writes none for a background)
            if stem not in described and stem in images:
                records.append(_Record(None, split, images[stem].name))
        named = {obj[0] for record in records for obj in record.objects}
        classes = ClassList(n for n in _labelmap(root) if n != "background" or "background" in named)
        for record in records:
            for obj in record.objects:
                classes.id(obj[0])
        reading.classes = classes.names
        reading.count = len(records)
        reading.samples = lambda: _samples(records, root, images, classes, reading)
        return reading

    async def write(self, dataset: DatasetInfo, prompts: dict[int, list[str]], samples: AsyncIterator[Sample],
                    out: FolderOut) -> None:
        for folder in ("Annotations", "JPEGImages", "ImageSets/Main"):
            out.folder(folder)
        stems: set[str] = set()
        lists: dict[str, list[str]] = {}
        async for sample in samples:
            filename = _unique(sample.filename, sample.split, stems)
            stem = _stem(filename)
            width, height = image_size(sample)
            out.write(f"JPEGImages/{filename}", sample.data)
            out.write(f"Annotations/{stem}.xml", _annotation_xml(filename, width, height, sample, dataset.classes))
            lists.setdefault(sample.split, []).append(stem)
            out.sample_done()
        for split, names in lists.items():
            out.write(f"ImageSets/Main/{split}.txt", ("\n".join(names) + "\n").encode())
        labelmap = "# label:color_rgb:parts:actions\n" + "".join(f"{c}:::\n" for c in dataset.classes)
        out.write("labelmap.txt", labelmap.encode())


# -- finding the files ----------------------------------------------------------------

def _devkit_root(folder: Path) -> Path:
    """The folder holding ``Annotations/``: the one given, or a single ``VOCdevkit/VOC20xx`` inside."""
    if (folder / "Annotations").is_dir():
        return folder
    nested = sorted(p for p in [*folder.glob("VOC*"), *folder.glob("VOCdevkit/VOC*")]
                    if (p / "Annotations").is_dir())
    return nested[0] if len(nested) == 1 else folder


def _annotation_files(root: Path) -> list[Path]:
    """``Annotations/*.xml``; else the VOC XMLs in the folder itself and in each folder inside it
    (each folder judged by its first XML)."""
    if (root / "Annotations").is_dir():
        return _xml_files(root / "Annotations")
    found = []
    folders = [root, *(root / name for name, is_file in _listing(root) if not is_file and not name.startswith("."))]
    for folder in folders:
        candidates = _xml_files(folder)
        if candidates and sniff_xml(candidates[0]) == "voc":
            found += candidates
    return found


def _listing(folder: Path) -> list[tuple[str, bool]]:
    """``(name, is a file)`` of each entry in ``folder``, sorted by name (one scandir, no stat per file)."""
    try:
        with os.scandir(folder) as entries:
            return sorted((entry.name, entry.is_file()) for entry in entries)
    except OSError:
        return []


def _xml_files(folder: Path) -> list[Path]:
    return [folder / name for name, is_file in _listing(folder) if is_file and name.lower().endswith(".xml")]


def _image_folder(folder: Path) -> dict[str, Path]:
    """Image stem and file name -> file in ``folder`` (one listing, not a glob per image)."""
    from ydc_cli.domain.datayaml import is_image_name

    found: dict[str, Path] = {}
    for name, is_file in _listing(folder):
        if is_file and is_image_name(name):
            found.setdefault(name.rpartition(".")[0], folder / name)
            found[name] = folder / name
    return found


def _labelmap(root: Path) -> list[str]:
    """Class names of Datumaro's ``labelmap.txt`` (``name:color:parts:actions`` lines), in order."""
    path = root / "labelmap.txt"
    if not path.is_file():
        return []
    names = []
    for line in path.read_text(encoding="utf-8").splitlines():
        name = line.split(":", 1)[0].strip()
        if name and not line.startswith("#"):
            names.append(name)
    return names


def _image_sets(root: Path) -> dict[str, str]:
    """Image stem -> split, from ``ImageSets/Main/{val,test,train}.txt``; ``trainval`` (val and train
    together) stands for train when there is no train list, so what val does not list is train."""
    folder = root / "ImageSets" / "Main"
    found: dict[str, str] = {}
    if not folder.is_dir():
        return found
    names = {p.stem: p for p in folder.glob("*.txt")}
    for list_name in ("val", "test", "train" if "train" in names else "trainval"):
        path = names.get(list_name)
        if path is None:
            continue
        split = "train" if list_name == "trainval" else list_name
        for line in path.read_text(encoding="utf-8").splitlines():
            words = line.split()
            if words:
                found.setdefault(words[0], split)
    return found


# -- reading ----------------------------------------------------------------------------

@dataclass(slots=True)
class _Record:
    """What an import keeps of one XML: its image, size and boxes (0-based pixel edges)."""

    xml: Path | None  # None: an image listed in ImageSets without an XML
    split: str
    filename: str
    size: tuple[int, int] | None = None
    objects: list[tuple[str, float, float, float, float, bool]] = field(default_factory=list)


def _parse(xml_path: Path, split: str, reading: Reading) -> _Record:
    document = read_xml(xml_path)
    record = _Record(xml_path, split, (document.findtext("filename") or "").strip())
    try:
        size = int(number(document.findtext("size/width"))), int(number(document.findtext("size/height")))
        record.size = size if min(size) > 0 else None
    except (TypeError, ValueError):
        pass
    ydc = (document.findtext("source/database") or "").strip() == WRITER
    for index, element in enumerate(document.iterfind("object")):
        fields = _children(element, ("name", "bndbox", "difficult"))
        name, box = (fields["name"].text or "").strip() if fields["name"] is not None else "", fields["bndbox"]
        if not name or box is None:
            reading.skipped.append((f"{xml_path.name} object {index + 1}", "no name or bndbox"))
            continue
        texts = [(e.text or "").strip() if e is not None else "" for e in _children(box, _CORNERS).values()]
        try:
            x1, y1, x2, y2 = map(number, texts)
        except (TypeError, ValueError):
            reading.skipped.append((f"{xml_path.name} object {index + 1}", "bndbox is not numbers"))
            continue
        if ydc or all(map(_integer, texts)):  # the devkit's 1-based pixels
            x1, y1 = x1 - 1, y1 - 1
        difficult = fields["difficult"] is not None and (fields["difficult"].text or "").strip().lower() in _TRUE
        record.objects.append((name, x1, y1, x2, y2, difficult))
    return record


_CORNERS = ("xmin", "ymin", "xmax", "ymax")


def _children(element, tags: tuple[str, ...]) -> dict:
    """The first child of ``element`` with each tag (None where there is none), in one pass."""
    found = dict.fromkeys(tags)
    for child in element:
        if child.tag in found and found[child.tag] is None:
            found[child.tag] = child
    return found


def _integer(text: str) -> bool:
    return text.lstrip("+-").isdigit()


def _samples(records: list[_Record], root: Path, images: dict[str, Path], classes: ClassList,
             reading: Reading) -> Iterator[Sample]:
    from ydc_cli.persistence import Sample

    finder = ImageFinder(root)
    tally = BoxTally()
    taken: set[tuple[str, str]] = set()  # two images of one name in a split (from two folders) stay apart
    difficult = resized = 0
    for record in records:
        if record.xml is None:
            data, _, _ = read_image(images[_stem(record.filename)])
            yield Sample(unique_name(record.filename, record.split, taken), record.split, data, None)
            continue
        source = _source(record, root, images, finder)
        if source is None:
            reading.skipped.append((record.filename or record.xml.name,
                                    f"image file not found (named in {record.xml.name})"))
            continue
        data, width, height = read_image(source)
        if record.size is not None:
            resized += record.size != (width, height)
            width, height = record.size
        annotations = []
        for index, (name, x1, y1, x2, y2, hard) in enumerate(record.objects):
            converted = pixel_box(classes.id(name), x1, y1, x2, y2, width, height, tally)
            if isinstance(converted, str):
                reading.skipped.append((f"{record.xml.name} object {index + 1}", converted))
                continue
            difficult += hard
            annotations.append(converted)
        yield Sample(unique_name(source.name, record.split, taken), record.split, data, annotations)
    if difficult:
        reading.notes.append(f"{difficult} box{'es' if difficult != 1 else ''} marked difficult, kept")
    if resized:
        what = "1 image differs from the <size> its XML records" if resized == 1 else \
            f"{resized} images differ from the <size> their XMLs record"
        reading.notes.append(f"{what}; boxes were scaled by <size>")
    reading.notes += tally.notes()


def _source(record: _Record, root: Path, images: dict[str, Path], finder: ImageFinder) -> Path | None:
    """The image an XML describes: its ``<filename>`` (in JPEGImages/, beside the XML, or by name
    under the folder), else an image named after the XML."""
    assert record.xml is not None
    plain = record.filename and "/" not in record.filename and "\\" not in record.filename
    if plain and record.filename in images:  # the devkit's: JPEGImages/<filename>
        return images[record.filename]
    if plain and record.filename not in (".", "..") and (record.xml.parent / record.filename).is_file():
        return record.xml.parent / record.filename  # Roboflow's: beside the XML
    if record.filename:
        found = finder.find(record.filename, root / "JPEGImages", record.xml.parent)
        if found is not None:
            return found
    stem = record.xml.stem
    if stem in images:
        return images[stem]
    return next((p for p in (record.xml.with_name(stem + suffix) for suffix in (".jpg", ".jpeg", ".png"))
                 if p.is_file()), None)


# -- writing ----------------------------------------------------------------------------

def _stem(filename: str) -> str:
    return filename.rpartition(".")[0] or filename


def _unique(filename: str, split: str, stems: set[str]) -> str:
    """``filename``, or ``<split>__<filename>`` (then ``__2``, ``__3`` before the extension) when its stem is taken."""
    candidate = filename
    if _stem(candidate) in stems:
        base = candidate = f"{split}__{filename}"
        stem, dot, extension = base.rpartition(".")
        n = 1
        while _stem(candidate) in stems:
            n += 1
            candidate = f"{stem}__{n}.{extension}" if dot else f"{base}__{n}"
    stems.add(_stem(candidate))
    return candidate


def _annotation_xml(filename: str, width: int, height: int, sample: Sample, classes: list[str]) -> bytes:
    from xml.sax.saxutils import escape

    lines = ["<annotation>", "  <folder>JPEGImages</folder>", f"  <filename>{escape(filename)}</filename>",
             f"  <source><database>{WRITER}</database><annotation>Pascal VOC, devkit 1-based pixels</annotation>"
             "<image>Unknown</image></source>",
             f"  <size><width>{width}</width><height>{height}</height><depth>3</depth></size>",
             "  <segmented>0</segmented>"]
    for a in sample.annotations or []:
        x1, y1, x2, y2 = corners(a, width, height)
        lines += ["  <object>", f"    <name>{escape(classes[a.class_id])}</name>", "    <pose>Unspecified</pose>",
                  "    <truncated>0</truncated>", "    <difficult>0</difficult>",
                  f"    <bndbox><xmin>{_pixel(x1 + 1)}</xmin><ymin>{_pixel(y1 + 1)}</ymin>"
                  f"<xmax>{_pixel(x2)}</xmax><ymax>{_pixel(y2)}</ymax></bndbox>", "  </object>"]
    lines.append("</annotation>")
    return ("\n".join(lines) + "\n").encode("utf-8")


def _pixel(value: float) -> str:
    """A coordinate to 1e-6 px: a whole pixel as an integer (``5``), else a decimal (``11.5``)."""
    value = round(value, 6) + 0.0  # + 0.0: no "-0"
    if value == int(value):
        return str(int(value))
    return f"{value:.6f}".rstrip("0")
