"""Importing datasets in any registered format (``ydc_cli.formats``), all or nothing."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from ydc_cli import formats
from ydc_cli.domain.errors import NotFoundError
from ydc_cli.formats import Format, Reading, ReadOptions
from ydc_cli.persistence import DatasetInfo, Sample, Stores


@dataclass
class ImportReport:
    """What an import stored, from which format and folder, and what it left out and why."""

    dataset: DatasetInfo
    images: int = 0
    labeled: int = 0
    backgrounds: int = 0
    skipped: list[tuple[str, str]] = field(default_factory=list)
    format: str = ""
    root: str = ""
    notes: list[str] = field(default_factory=list)


class _Counter:
    """Counts samples as they stream past into the store."""

    def __init__(self, on_sample: Callable[[int], None] | None) -> None:
        self.images = self.labeled = self.backgrounds = 0
        self._on_sample = on_sample

    def wrap(self, samples: Iterable[Sample]) -> Iterator[Sample]:
        for sample in samples:
            self.images += 1
            if sample.annotations:
                self.labeled += 1
            else:
                self.backgrounds += 1
            if self._on_sample:
                self._on_sample(1)
            yield sample


def open_import(path: Path, fmt: str | None = None, follow_path: bool = False, task: str | None = None
                ) -> tuple[Format, Reading]:
    """The format of ``path`` (detected, or the one named) and its reading, not yet streamed.

    Raises:
        NotFoundError: nothing at ``path``.
        UsageError: ``fmt`` names no format.
        InvalidInputError: not a dataset of that format, or a bad file in it.
    """
    path = Path(path)
    chosen = formats.get(fmt) if fmt else formats.detect(path)
    if not path.exists():
        raise NotFoundError(f"no such file or folder ({path})")
    reading = chosen.read(path, ReadOptions(follow_path=follow_path, task=task))
    if task is not None and (reading.task.name if reading.task else "detect") != task:
        from ydc_cli.domain.errors import InvalidDatasetError

        found = reading.task.name if reading.task else "detect"
        reading.close()
        raise InvalidDatasetError(f"the {chosen.title} labels here are {found}, not {task}: import without --task, "
                                  f"then `ydc datasets convert` ({path})")
    return chosen, reading


async def store_import(stores: Stores, chosen: Format, reading: Reading, path: Path, name: str | None = None,
                       on_sample: Callable[[int], None] | None = None) -> ImportReport:
    """Stream ``reading`` into a new dataset (named after ``path`` by default), all or nothing."""
    counter = _Counter(on_sample)
    with reading:
        info = await stores.dataset.create_with_samples(name or default_name(Path(path)), reading.classes,
                                                        counter.wrap(reading.samples()), reading.prompts,
                                                        task=reading.task)
    return ImportReport(info, counter.images, counter.labeled, counter.backgrounds, reading.skipped, chosen.name,
                        str(reading.root), reading.notes)


async def import_path(stores: Stores, path: Path, name: str | None = None,
                      on_sample: Callable[[int], None] | None = None, fmt: str | None = None,
                      follow_path: bool = False, task: str | None = None) -> ImportReport:
    """Import the dataset at ``path`` as a new dataset; the name defaults to the file or folder name.

    Raises:
        NotFoundError: nothing at ``path``.
        ConflictError: the dataset exists.
        InvalidInputError: not a dataset, or a bad image, label or archive member.
    """
    chosen, reading = open_import(path, fmt, follow_path, task)
    return await store_import(stores, chosen, reading, path, name, on_sample)


GENERIC_STEMS = ("data", "_annotations.coco", "annotations", "obj", "result", "results")


def default_name(path: Path) -> str:
    """A folder's name; a file's stem, or its folder's name when the stem says nothing (data.yaml)."""
    path = path.absolute()
    if path.is_dir():
        return path.name
    stem = path.stem
    return path.parent.name if stem.lower() in GENERIC_STEMS else stem
