"""The DatasetStore contract: datasets, their classes and prompts, and zips."""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from collections import Counter
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from ydc_cli.domain import datayaml
from ydc_cli.domain.errors import InvalidLabelError
from ydc_cli.domain.labels import parse_line, parse_text
from ydc_cli.persistence.models import Annotation, DatasetChanges, DatasetInfo, ImageInfo, LabelData, Sample
from ydc_cli.persistence.samples import SampleSource

if TYPE_CHECKING:
    from ydc_cli.domain.tasks import Task


def _per_split() -> dict[str, Counter[int]]:
    return {"train": Counter(), "val": Counter(), "test": Counter()}


def _zero_per_split() -> dict[str, int]:
    return {"train": 0, "val": 0, "test": 0}


@dataclass
class ClassCounts:
    """Boxes and images per class id and split, over a dataset's images.

    Each image counts the boxes of its own label file (``<stem>.txt``), so a
    label without an image counts nothing and two images sharing a stem
    (``a.jpg``, ``a.png``) both count ``a.txt``. Label lines that do not parse
    are left out and counted in ``unreadable_lines`` (``validate`` names them).
    """

    boxes: dict[str, Counter[int]] = field(default_factory=_per_split)  # split -> class id -> boxes
    images: dict[str, Counter[int]] = field(default_factory=_per_split)  # split -> class id -> images with one
    labeled: dict[str, int] = field(default_factory=_zero_per_split)  # split -> images with at least one box
    unreadable_lines: int = 0

    def add_labels(self, split: str, labels: Iterable[tuple[str | bytes, int]], task: Task | None = None) -> None:
        """Count label files of ``split``: each text (or its raw bytes) with how many images share it."""
        found = []
        for text, images in labels:
            class_ids, unreadable = raw_class_ids(text, task)
            self.unreadable_lines += unreadable
            found.append((class_ids, images))
        self.add_class_ids(split, found)

    def add_class_ids(self, split: str, labels: Iterable[tuple[list, int]]) -> None:
        """Count label files of ``split``: each one's class ids (one per box) with how many images share it.

        One pass over 100,000 labels: the ids may stay the digit strings a
        pattern found (``raw_class_ids``) until the end, and the counters are
        updated once.
        """
        boxes: list = []
        distinct: list = []
        labeled = 0
        for found, images in labels:
            if not found:
                continue
            once = found if len(found) == 1 else list(set(found))
            if images == 1:
                boxes += found
                distinct += once
            else:
                boxes += found * images
                distinct += once * images
            labeled += images
        for counter, ids in ((self.boxes[split], boxes), (self.images[split], distinct)):
            for class_id, count in Counter(ids).items():
                counter[int(class_id)] += count
        self.labeled[split] += labeled


# Label text exactly as ydc writes it (domain.labels.format_text): every line a class id without
# leading zeros and four coordinates with six decimals in [0, 1], the last two above zero. Each
# such line is one parse_line accepts, with the same class id.
_COORDINATE = r"(?:0\.[0-9]{6}|1\.000000)"
_EXTENT = r"(?:0\.(?!000000)[0-9]{6}|1\.000000)"
_FORMATTED = re.compile(rf"(?:(?:0|[1-9][0-9]{{0,8}}) {_COORDINATE} {_COORDINATE} {_EXTENT} {_EXTENT}\n)*")
_LINE_CLASS = re.compile(r"^[0-9]+", re.MULTILINE)
_PATTERNS = {  # the same two patterns over text and over a label file's raw bytes
    str: (_FORMATTED.fullmatch, _LINE_CLASS.findall),
    bytes: (re.compile(_FORMATTED.pattern.encode()).fullmatch,
            re.compile(_LINE_CLASS.pattern.encode(), re.MULTILINE).findall),
}


def readable_class_ids(text: str, task: Task | None = None) -> tuple[list[int], int]:
    """The class id of every box line of a label text that parses, and how many other non-blank lines there are.

    Text as ydc writes it is recognised by one regular expression that
    accepts nothing ``parse_line`` refuses, about five times faster than
    parsing each line, which counting 100,000 labels needs; any other text is
    parsed line by line, and lines that do not parse are left out.
    """
    class_ids, unreadable = raw_class_ids(text, task)
    return list(map(int, class_ids)), unreadable


def raw_class_ids(text: str | bytes, task: Task | None = None) -> tuple[list, int]:
    """``readable_class_ids`` of a text or a label file's raw bytes, the ids perhaps left as the digits found.

    ``int()`` of each gives the class id; a counter of 100,000 labels converts
    each distinct one once.
    """
    formatted, line_classes = _PATTERNS[type(text)]
    if (task is None or task.name == "detect") and formatted(text):
        return line_classes(text), 0
    if isinstance(text, bytes):
        text = text.decode("utf-8-sig", errors="replace")
    return _parse_class_ids(text, task)


def _parse_class_ids(text: str, task: Task | None = None) -> tuple[list[int], int]:
    class_ids, unreadable = [], 0
    for line in text.splitlines():
        if line.strip():
            try:
                class_ids.append(parse_line(line, task=task).class_id)
            except InvalidLabelError:
                unreadable += 1
    return class_ids, unreadable


class DatasetStore(ABC):
    """Creates, lists and deletes datasets, and moves whole datasets in and out.

    Besides the seed's methods it offers the batch operations the CLI is built
    on: ``create_with_samples`` and ``add_samples`` write many images with their
    labels all or nothing, and ``iter_samples`` streams a dataset one image at
    a time. ``export_zip`` and ``import_zip`` are written once, here, on top of
    them, so every backend reads and writes the same archives.
    """

    @abstractmethod
    async def create(self, name: str, classes: list[str], task: Task | None = None) -> DatasetInfo:
        """Create an empty dataset of ``task`` (an extension: detect when not given).

        Raises:
            ValueError: the name exists (``ConflictError``) or is invalid.
        """

    @abstractmethod
    async def list(self) -> list[DatasetInfo]:
        """All datasets, sorted by name."""

    @abstractmethod
    async def get(self, name: str) -> DatasetInfo | None:
        """The dataset, or ``None`` when it does not exist."""

    @abstractmethod
    async def delete(self, name: str) -> bool:
        """Delete the dataset with its images, labels and prompts; ``True`` if it existed."""

    async def update_classes(self, name: str, classes: list[str]) -> None:
        """Replace the class list; prompts of class ids past the new list are dropped.

        Raises:
            FileNotFoundError: no such dataset.
        """
        await self.apply_changes(name, DatasetChanges(classes=classes))

    @abstractmethod
    async def get_prompts(self, name: str) -> dict[int, list[str]]:
        """YOLO-World prompts by class id, ``{}`` when there are none."""

    async def save_prompts(self, name: str, prompts: dict[int, list[str]]) -> None:
        """Replace the prompts (those of class ids past the class list are dropped).

        Raises:
            FileNotFoundError: no such dataset.
        """
        await self.apply_changes(name, DatasetChanges(prompts=prompts))

    # Extensions beyond the seed's contract.

    @abstractmethod
    async def create_with_samples(
        self,
        name: str,
        classes: list[str],
        samples: SampleSource,
        prompts: dict[int, list[str]] | None = None,
        task: Task | None = None,
    ) -> DatasetInfo:
        """Create a dataset of ``task`` (detect when None) already holding ``samples`` (a plain or
        async iterable), all or nothing.

        Raises:
            ConflictError: the name exists, or two samples share split and file name.
            InvalidImageError, InvalidLabelError: a sample is refused; nothing is stored.
        """

    @abstractmethod
    async def add_samples(self, name: str, samples: SampleSource) -> list[ImageInfo]:
        """Add images with their labels in one batch, all or nothing.

        A sample whose ``annotations`` is ``None`` leaves any label of that stem
        as it is. Returns the stored images in the order given.

        Raises:
            FileNotFoundError: no such dataset.
            ConflictError: an image with that split and file name exists.
            InvalidImageError, InvalidLabelError: a sample is refused; nothing is stored.
        """

    @abstractmethod
    def iter_samples(self, name: str, split: str | None = None, *, with_labels: bool = True
                     ) -> AsyncIterator[Sample]:
        """Stream every image with its labels, by split then file name.

        Holds one image in memory at a time, so it serves 100,000-image exports.
        With ``with_labels=False`` labels are not read (``annotations`` is None).

        Raises:
            FileNotFoundError: no such dataset.
        """

    @abstractmethod
    def iter_label_texts(self, name: str, split: str | None = None) -> AsyncIterator[tuple[str, str, str]]:
        """Stream every label file as ``(split, label file name, text)``, by split then name.

        Labels without an image are included; the text is as stored, so a
        validator sees malformed lines that readers would refuse.

        Raises:
            FileNotFoundError: no such dataset.
        """

    async def iter_labels(self, name: str, split: str | None = None) -> AsyncIterator[LabelData]:
        """Every label file parsed, as ``LabelData(<stem>.txt, split, annotations)``.

        Raises:
            InvalidLabelError: a stored label line is malformed (``validate`` reports these).
        """
        info = await self.get(name)
        task = None if info is None else info.task_spec()
        async for label_split, label_name, text in self.iter_label_texts(name, split):
            boxes = parse_text(text, source=f"{label_split}/{label_name}", task=task)
            yield LabelData(label_name, label_split, [Annotation(*box) for box in boxes])

    @abstractmethod
    async def apply_changes(self, name: str, changes: DatasetChanges) -> None:
        """Apply removals, moves, label rewrites and class/prompt changes all or nothing.

        Every name is checked before anything changes; labels are validated
        against the resulting class list. A backend lists what it stores of the
        stems the change involves and carries out ``persistence.changes.plan_changes``
        in one step: the rules live there, not in the backends.

        Raises:
            FileNotFoundError: no such dataset, or an image to remove or move is missing.
            ConflictError: a move would land on an existing image or label.
            InvalidLabelError: a new annotation is invalid.
        """

    async def rename(self, name: str, new_name: str) -> DatasetInfo:
        """Give a dataset a new name, keeping its images, labels, classes and prompts.

        This default copies the dataset under the new name and then deletes the old one;
        backends override it with a single atomic step.

        Raises:
            FileNotFoundError: no such dataset.
            ConflictError: ``new_name`` exists.
            InvalidNameError: ``new_name`` is not a valid name.
        """
        from ydc_cli.domain.errors import NotFoundError

        info = await self.get(name)
        if info is None:
            raise NotFoundError(f"no such dataset ({name})")
        copied = await self.create_with_samples(new_name, info.classes, self.iter_samples(name),
                                                await self.get_prompts(name), task=info.task_spec())
        await self.delete(name)
        return copied

    async def export_zip(self, name: str, output_path: Path) -> Path:
        """Write ``<output_path>/<name>.zip`` (a YOLO folder), creating the folder.

        Images are stored without recompression, in a deterministic order,
        into a temporary name that is renamed into place when complete.

        Raises:
            FileNotFoundError: no such dataset.
        """
        from ydc_cli.domain.errors import NotFoundError
        from ydc_cli.persistence.archive import write_dataset_zip

        info = await self.get(name)
        if info is None:
            raise NotFoundError(f"no such dataset ({name})")
        return await write_dataset_zip(info, await self.get_prompts(name), self.iter_samples(name), Path(output_path))

    async def import_zip(self, zip_path: Path, name: str | None = None) -> DatasetInfo:
        """Import a dataset zip (ydc's, YDC's or a zipped YOLO folder).

        Every member is checked before anything is written; the name defaults
        to the zip's stem.

        Raises:
            FileNotFoundError: the zip does not exist.
            ValueError: the name exists (``ConflictError``), the archive holds
                no dataset or is unsafe (``InvalidInputError``).
        """
        from ydc_cli.persistence.archive import read_dataset_zip

        zip_path = Path(zip_path)
        with read_dataset_zip(zip_path) as contents:
            return await self.create_with_samples(
                name if name is not None else zip_path.stem,
                contents.classes,
                contents.samples(),
                contents.prompts,
                task=contents.task,
            )

    async def yolo_folder(self, name: str) -> Path | None:
        """The dataset as a YOLO folder that ultralytics can read in place, or None.

        None (this default) means the backend keeps no such folder, and training
        materialises the dataset into a local cache first.
        """
        return None

    async def class_counts(self, name: str) -> ClassCounts:
        """Boxes and images per class id and split (``ClassCounts``), for ``datasets info``.

        This default reads every label through ``iter_label_texts``, and the
        image names through ``iter_samples(with_labels=False)``, which reads
        the images' bytes as well; the backends override it with one query or
        with folder listings and label reads.

        Raises:
            FileNotFoundError: no such dataset.
        """
        images: Counter[tuple[str, str]] = Counter()
        async for sample in self.iter_samples(name, with_labels=False):
            images[sample.split, datayaml.label_name_for(sample.filename)] += 1
        counts = ClassCounts()
        texts: dict[str, list[tuple[str, int]]] = {split: [] for split in datayaml.SPLITS}
        async for split, label_name, text in self.iter_label_texts(name):
            if (split, label_name) in images:
                texts[split].append((text, images[split, label_name]))
        info = await self.get(name)
        for split, labels in texts.items():
            counts.add_labels(split, labels, None if info is None else info.task_spec())
        return counts
