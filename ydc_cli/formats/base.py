"""What every dataset format is: how it is recognised, read and written.

A format is one module in this package with one :class:`Format` subclass. Reading
gives a :class:`Reading`: the class list and a stream of samples (original image
bytes with YOLO boxes), read lazily so an import streams. Writing fills a staged
folder through a :class:`FolderOut`; :func:`export_folder` makes the folder appear
complete or not at all. Pixel coordinates convert through :func:`pixel_box`, so every
format clips and rounds the same way.

Only the standard library is imported here: the registry loads every format module
when a command's help is built.
"""

from __future__ import annotations

import os
import re
from collections.abc import AsyncIterator, Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

if TYPE_CHECKING:
    from ydc_cli.domain.tasks import Task
    from ydc_cli.persistence import Annotation, DatasetInfo, Sample, Stores


@dataclass
class ReadOptions:
    """What the user asked of an import beyond the path."""

    follow_path: bool = False  # data.yaml's path: and split entries may lead outside the folder given
    # --task: what the user wants the labels read as (a format holding several kinds of shape reads this
    # one: COCO's boxes rather than its polygons); None lets the format decide from what it holds
    task: str | None = None


@dataclass
class Reading:
    """A dataset as a format reads it.

    ``samples`` is called once and streams; ``skipped`` and ``notes`` fill up as it
    runs (what was passed over and why; counted facts such as boxes marked
    ``difficult``), so they are complete once the stream is exhausted.
    """

    format: str
    root: Path
    classes: list[str]
    samples: Callable[[], Iterator[Sample]]
    prompts: dict[int, list[str]] = field(default_factory=dict)
    skipped: list[tuple[str, str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    count: int | None = None  # images the stream will yield, when known up front
    close: Callable[[], None] = lambda: None
    task: Task | None = None  # what the labels hold (domain.tasks.Task); None is detect

    def __enter__(self) -> Reading:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class Format:
    """One dataset format. Subclasses set the class attributes and override what they support."""

    name: ClassVar[str]  # the --format value
    title: ClassVar[str]  # how the report names it: "Pascal VOC"
    layout: ClassVar[str]  # what it reads, for help and for the "cannot import this" line
    priority: ClassVar[int] = 50  # detection order: lower is tried first
    reads: ClassVar[bool] = True
    writes: ClassVar[bool] = False

    def detect(self, path: Path) -> bool:
        """True when ``path`` (a file or folder that exists) looks like this format."""
        return False

    def read(self, path: Path, options: ReadOptions) -> Reading:
        """The dataset at ``path``.

        Raises:
            InvalidInputError: not this format, or a bad file in it (naming the file).
        """
        raise NotImplementedError(f"{self.name} cannot be imported")

    def export_name(self, dataset: str) -> str:
        """The file or folder an export of ``dataset`` creates in the output folder."""
        return f"{dataset}-{self.name}"

    async def write(self, dataset: DatasetInfo, prompts: dict[int, list[str]], samples: AsyncIterator[Sample],
                    out: FolderOut) -> None:
        """Write every sample (and the files the format needs) into ``out``."""
        raise NotImplementedError(f"{self.name} cannot be exported")

    async def export(self, stores: Stores, name: str, output_dir: Path,
                     on_sample: Callable[[int], None] | None = None) -> Path:
        """Write ``<output_dir>/<export_name>``; it appears complete or not at all.

        Raises:
            NotFoundError: no such dataset.
            ConflictError: the target exists.
        """
        return await export_folder(self, stores, name, output_dir, on_sample)


class FolderOut:
    """The staged folder an export writes into; files are flushed in the background."""

    def __init__(self, root: Path, syncer, on_sample: Callable[[int], None] | None = None) -> None:
        self.root = root
        self._syncer = syncer
        self._folders: set[Path] = {root}
        self._on_sample = on_sample

    def write(self, relative: str, data: bytes) -> None:
        """Create the file ``relative`` (a ``/``-separated path inside the folder) holding ``data``."""
        path = self.root / relative
        folder = path.parent
        if folder not in self._folders:
            folder.mkdir(parents=True, exist_ok=True)
            self._remember(folder)
        self._syncer.write(path, data, exclusive=True)

    def _remember(self, folder: Path) -> None:
        while folder != self.root and folder not in self._folders:
            self._folders.add(folder)
            folder = folder.parent

    def folder(self, relative: str) -> None:
        """Create an (empty) folder, as layouts that expect every split need."""
        path = self.root / relative
        path.mkdir(parents=True, exist_ok=True)
        self._remember(path)

    def sample_done(self) -> None:
        if self._on_sample:
            self._on_sample(1)

    @property
    def folders(self) -> set[Path]:
        return self._folders


async def export_folder(fmt: Format, stores: Stores, name: str, output_dir: Path,
                        on_sample: Callable[[int], None] | None = None, *, commit: bool = True) -> Path:
    """Stage ``fmt``'s files for dataset ``name`` and rename the folder into place.

    With ``commit`` the rename is the command's commit point (an export); a
    training cache written before a long run is not one, so Ctrl-C still stops it.
    """
    import contextlib

    from ydc_cli.persistence import commits, fileio
    info, target = await export_target(stores, name, output_dir, fmt.export_name(name))
    output_dir = target.parent
    prompts = await stores.dataset.get_prompts(name)
    with (fileio.staging_dir(output_dir) as stage, fileio.storage_errors(target),
          fileio.BackgroundSync() as syncer):
        out = FolderOut(stage, syncer, on_sample)
        await fmt.write(info, prompts, stores.dataset.iter_samples(name), out)
        syncer.wait()
        for folder in out.folders:
            fileio.fsync_dir(folder)
        with commits.point() if commit else contextlib.nullcontext():
            os.rename(stage, target)
        fileio.fsync_dir(output_dir)
    return target


def sniff_json(path: Path) -> str | None:
    """Which JSON dataset a file is, from its first 64 KB: ``labelstudio`` (a list of tasks),
    ``labelme`` (one image's ``shapes``), ``coco`` (a mapping with ``images``), else None."""
    try:
        with open(path, "rb") as file:
            head = file.read(1 << 16).decode("utf-8", "replace").lstrip("\ufeff \t\r\n")
    except OSError:
        return None
    if head.startswith("["):  # JSON-MIN has neither "data" nor "annotations": its rows carry "annotation_id"
        keys = ('"annotations"', '"result"', '"data"', '"annotation_id"', '"rectanglelabels"')
        return "labelstudio" if any(key in head for key in keys) else None
    if not head.startswith("{"):
        return None
    # labelme writes "shapes" before "imagePath": many polygon points can push the path past the first
    # 64 KB, and older writers (unordered dicts) may put the large "imageData" first
    if '"shapes"' in head and ('"imagePath"' in head or '"shape_type"' in head) or '"imageData"' in head:
        return "labelme"
    if '"images"' in head or '"categories"' in head or '"annotations"' in head:
        return "coco"
    return None


MAX_XML_BYTES = 64 << 20


def read_xml(path: Path):
    """The root element of an XML annotation file; DTDs and entities are refused (no entity
    expansion can blow up), as is a file over MAX_XML_BYTES.

    Raises:
        InvalidDatasetError: naming the file.
    """
    import xml.etree.ElementTree as ElementTree

    from ydc_cli.domain.errors import InvalidDatasetError

    if path.stat().st_size > MAX_XML_BYTES:
        raise InvalidDatasetError(f"XML file is over {MAX_XML_BYTES >> 20} MB ({path})")
    raw = path.read_bytes()
    if b"<!DOCTYPE" in raw or b"<!ENTITY" in raw:
        raise InvalidDatasetError(f"XML with a DTD or entities is refused ({path})")
    try:
        return ElementTree.fromstring(raw)
    except ElementTree.ParseError as exc:
        raise InvalidDatasetError(f"not well-formed XML: {exc} ({path})") from None


def iter_xml(path: Path, events: tuple[str, ...] = ("start", "end")) -> Iterator[tuple[str, object]]:
    """An XML file's parse events, streamed (a file of any size, in constant memory when the caller
    clears the elements it has used); a DTD or entity declaration is refused before the parser
    sees it, as :func:`read_xml` refuses it.

    Raises:
        InvalidDatasetError: naming the file.
    """
    import xml.etree.ElementTree as ElementTree

    from ydc_cli.domain.errors import InvalidDatasetError

    parser = ElementTree.XMLPullParser(events)
    tail = b""
    with open(path, "rb") as file:
        while True:
            chunk = file.read(1 << 20)
            window = tail + chunk
            if b"<!DOCTYPE" in window or b"<!ENTITY" in window:
                raise InvalidDatasetError(f"XML with a DTD or entities is refused ({path})")
            tail = window[-8:]
            try:
                if chunk:
                    parser.feed(chunk)
                else:
                    parser.close()
                found = list(parser.read_events())
            except ElementTree.ParseError as exc:
                raise InvalidDatasetError(f"not well-formed XML: {exc} ({path})") from None
            yield from found
            if not chunk:
                return


def sniff_xml(path: Path) -> str | None:
    """``cvat`` (an ``<annotations>`` document) or ``voc`` (one image's ``<annotation>``), from the
    first 4 KB; else None."""
    try:
        with open(path, "rb") as file:
            head = file.read(4096)
    except OSError:
        return None
    if b"<annotations" in head:
        return "cvat"
    if re.search(rb"<annotation[\s>]", head):
        return "voc"
    return None


async def export_target(stores: Stores, name: str, output_dir: Path, folder: str | None = None
                        ) -> tuple[DatasetInfo, Path]:
    """The dataset and the new path ``<output_dir>/<folder>`` (default: the dataset's name) an export
    will create (``output_dir`` made).

    Raises:
        NotFoundError: no such dataset.
        ConflictError: the target exists.
    """
    from ydc_cli.domain.errors import ConflictError, NotFoundError
    from ydc_cli.persistence import fileio

    info = await stores.dataset.get(name)
    if info is None:
        raise NotFoundError(f"no such dataset ({name})")
    output_dir = Path(output_dir).absolute()
    target = output_dir / (folder or name)
    if target.exists():
        raise ConflictError(f"the export folder already exists ({target})")
    with fileio.storage_errors(output_dir):
        output_dir.mkdir(parents=True, exist_ok=True)
    return info, target


# -- coordinates -------------------------------------------------------------------

EDGE = 1e-6  # coordinates convert exactly to this fraction of the image size


@dataclass
class BoxTally:
    """Boxes a reader converted, clipped at the image edge, or left out (with why, per file)."""

    clipped: int = 0
    shapes: int = 0  # polygons and oriented boxes clipped
    keypoints: int = 0  # pose objects with keypoints off the image (those stored as not labelled)

    def notes(self) -> list[str]:
        notes = []
        if self.clipped:
            notes.append(f"{self.clipped} box{'es' if self.clipped != 1 else ''} reached past the image edge "
                         "and were clipped to it")
        if self.shapes:
            notes.append(f"{self.shapes} shape{'s' if self.shapes != 1 else ''} reached past the image edge "
                         "and were clipped to it")
        if self.keypoints:
            notes.append(f"{self.keypoints} object{'s' if self.keypoints != 1 else ''} had keypoints off the image, "
                         "stored as not labelled")
        return notes


def pixel_box(class_id: int, x1: float, y1: float, x2: float, y2: float, width: float, height: float,
              tally: BoxTally | None = None) -> Annotation | str:
    """A pixel box (corners, origin top-left) as a normalised YOLO box clipped to the image,
    or the reason it is left out."""
    from ydc_cli.persistence import Annotation

    if not all(map(_finite, (x1, y1, x2, y2))):
        return "box coordinates are not numbers"
    if width <= 0 or height <= 0:
        return "image has no size"
    x1, x2 = sorted((x1, x2))
    y1, y2 = sorted((y1, y2))
    cx1, cy1, cx2, cy2 = max(0.0, x1), max(0.0, y1), min(float(width), x2), min(float(height), y2)
    if cx2 - cx1 <= 0 or cy2 - cy1 <= 0:
        return "box has no area inside the image"
    if tally is not None and (cx1, cy1, cx2, cy2) != (x1, y1, x2, y2):
        edge = EDGE * max(width, height)
        if max(cx1 - x1, cy1 - y1, x2 - cx2, y2 - cy2) > edge:
            tally.clipped += 1
    return Annotation(class_id, round((cx1 + cx2) / 2 / width, 6), round((cy1 + cy2) / 2 / height, 6),
                      round((cx2 - cx1) / width, 6), round((cy2 - cy1) / height, 6))


def corners(annotation: Annotation, width: float, height: float) -> tuple[float, float, float, float]:
    """A normalised YOLO box as pixel corners ``x1, y1, x2, y2``."""
    w, h = annotation.width * width, annotation.height * height
    x1, y1 = annotation.x * width - w / 2, annotation.y * height - h / 2
    return x1, y1, x1 + w, y1 + h


def pixel_shape(task: Task, class_id: int, values: Sequence[float], width: float, height: float,
                tally: BoxTally | None = None, box: Sequence[float] | None = None) -> Annotation | str:
    """A shape in pixels (origin top-left) as a normalised annotation of ``task``, clipped to the
    image as the task's shape clips, or the reason it is left out.

    ``values`` are a polygon's or an oriented box's flat ``x y`` points (segment, obb), or a pose
    object's keypoints, ``kpt_shape[1]`` values each (``x y`` or ``x y visibility``; an unlabelled
    keypoint, visibility 0, is stored as ``0 0 0``); a pose object's box is ``box`` (corners
    ``x1 y1 x2 y2``), else the extent of its labelled keypoints on the image.
    """
    from ydc_cli.domain.errors import InvalidLabelError
    from ydc_cli.domain.shapes.base import Box
    from ydc_cli.persistence import Annotation

    if width <= 0 or height <= 0:
        return "image has no size"
    if not all(map(_finite, values)):
        return "coordinates are not numbers"
    shape = task.shape
    if task.name == "pose":
        k, dim = task.kpt_shape or (0, 0)
        if len(values) != k * dim:
            return f"expected {k} keypoints of {dim} values, got {len(values)} values"
        keypoints = [list(values[i * dim:i * dim + dim]) for i in range(k)]
        derived = box is None
        if box is None:  # the labelled keypoints on the image
            labelled = [(x, y) for x, y, *visible in keypoints
                        if (not visible or visible[0] > 0) and 0 <= x <= width and 0 <= y <= height]
            if not labelled:
                return "no keypoint is labelled on the image"
            xs, ys = zip(*labelled, strict=True)
            box = (min(xs), min(ys), max(xs), max(ys))
        extent = pixel_box(class_id, *box, width, height, None if derived else tally)
        if isinstance(extent, str):
            return "its keypoints span no area (no box to give them)" if derived else extent
        flat = []
        for x, y, *visible in keypoints:
            flat += [0.0] * dim if visible and visible[0] <= 0 else \
                [round(x / width, 6), round(y / height, 6), *visible]
        candidate = Box(class_id, extent.x, extent.y, extent.width, extent.height, tuple(flat))
        clipped = shape.clip(candidate, task)
        if tally is not None and clipped is not None and clipped.points != candidate.points:
            tally.keypoints += 1
        candidate = clipped or candidate
    else:
        scaled = tuple(round(v / (width if i % 2 == 0 else height), 6) for i, v in enumerate(values))
        candidate = Box(class_id, 0.0, 0.0, 0.0, 0.0, scaled)
        if any(not 0.0 <= v <= 1.0 for v in scaled):
            clipped = shape.clip(candidate, task)
            if clipped is None:
                return f"{shape.kind} has no area inside the image"
            if tally is not None and any(v < -EDGE or v > 1 + EDGE for v in scaled):
                tally.shapes += 1
            candidate = clipped
    try:
        checked = shape.check(candidate, task)
    except InvalidLabelError as exc:
        return str(exc)
    return Annotation(class_id, checked.x, checked.y, checked.width, checked.height, checked.points)


def _finite(value: float) -> bool:
    return value == value and value not in (float("inf"), float("-inf"))


def number(value: object) -> float:
    """A coordinate read from a file, as a float.

    Raises:
        ValueError: not a number.
    """
    if isinstance(value, bool):
        raise ValueError(value)
    return float(value)  # type: ignore[arg-type]


# -- classes and splits -------------------------------------------------------------

class ClassList:
    """Classes met while reading, in order of first appearance, matched by name."""

    def __init__(self, names: Iterable[str] = ()) -> None:
        self.names: list[str] = []
        self._ids: dict[str, int] = {}
        for name in names:
            self.id(name)

    def id(self, name: str) -> int:
        name = name.strip()
        if name not in self._ids:
            self._ids[name] = len(self.names)
            self.names.append(name)
        return self._ids[name]


_SPLIT_WORDS = {"train": "train", "training": "train", "val": "val", "valid": "val", "validation": "val",
                "test": "test", "testing": "test"}


def split_named(text: str) -> str | None:
    """The split a folder or file name stands for (``valid`` and ``instances_val2017`` are val), or None."""
    words = re.split(r"[^a-z]+", text.lower())
    for word in words:
        if word in _SPLIT_WORDS:
            return _SPLIT_WORDS[word]
    for word in words:  # "val2017" was split into "val"; "trainval" is train
        for prefix in ("train", "valid", "val", "test"):
            if word.startswith(prefix):
                return _SPLIT_WORDS[prefix]
    return None


# -- finding images -----------------------------------------------------------------

class ImageFinder:
    """Images under a folder, found by the name an annotation file gives them.

    An annotation names its image by a path relative to some folder, an absolute path
    from the machine that wrote it, or a bare file name; the finder tries the path
    under each base, then the bare name anywhere under the root (when it is unique).
    Nothing outside the root is returned.
    """

    def __init__(self, root: Path) -> None:
        self.root = root.resolve()
        self._by_name: dict[str, list[Path]] | None = None

    def find(self, name: str, *bases: Path) -> Path | None:
        name = name.replace("\\", "/")
        if not name.strip():
            return None
        relative = name.lstrip("/")
        for base in (*bases, self.root):
            candidate = (base / relative)
            if candidate.is_file() and self.inside(candidate):
                return candidate
        found = self._index().get(relative.rsplit("/", 1)[-1], [])
        return found[0] if len(found) == 1 else None

    def inside(self, path: Path) -> bool:
        resolved = path.resolve()
        return resolved == self.root or self.root in resolved.parents

    def _index(self) -> dict[str, list[Path]]:
        if self._by_name is None:
            from ydc_cli.domain.datayaml import is_image_name

            self._by_name = {}
            for dirpath, dirnames, filenames in os.walk(self.root):
                dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
                for filename in sorted(filenames):
                    if is_image_name(filename):
                        self._by_name.setdefault(filename, []).append(Path(dirpath) / filename)
        return self._by_name


def read_image(path: Path) -> tuple[bytes, int, int]:
    """An image file's bytes and its size from the header (checked, never decoded)."""
    from ydc_cli.domain.imageformat import read_header

    data = path.read_bytes()
    header = read_header(data, path.name)
    return data, header.width, header.height


def image_size(sample: Sample) -> tuple[int, int]:
    """A stored sample's width and height, from its header."""
    from ydc_cli.domain.imageformat import read_header

    header = read_header(sample.data, sample.filename)
    return header.width, header.height


def unique_name(filename: str, split: str, taken: set[tuple[str, str]]) -> str:
    """``filename``, or ``<stem>__<n><ext>`` when the split already holds that name."""
    candidate, n = filename, 1
    stem, dot, extension = filename.rpartition(".")
    while (split, candidate) in taken:
        n += 1
        candidate = f"{stem}__{n}.{extension}" if dot else f"{filename}__{n}"
    taken.add((split, candidate))
    return candidate
