"""The DatasetStore contract: datasets, their classes and prompts, and zips."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import AsyncIterator
from pathlib import Path

from ydc_cli.domain.labels import parse_text
from ydc_cli.persistence.models import Annotation, DatasetChanges, DatasetInfo, ImageInfo, LabelData, Sample
from ydc_cli.persistence.samples import SampleSource


class DatasetStore(ABC):
    """Creates, lists and deletes datasets, and moves whole datasets in and out.

    Besides the seed's methods it offers the batch operations the CLI is built
    on: ``create_with_samples`` and ``add_samples`` write many images with their
    labels all or nothing, and ``iter_samples`` streams a dataset one image at
    a time. ``export_zip`` and ``import_zip`` are written once, here, on top of
    them, so every backend reads and writes the same archives.
    """

    @abstractmethod
    async def create(self, name: str, classes: list[str]) -> DatasetInfo:
        """Create an empty dataset.

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

    @abstractmethod
    async def update_classes(self, name: str, classes: list[str]) -> None:
        """Replace the class list; prompts of class ids past the new list are dropped.

        Raises:
            FileNotFoundError: no such dataset.
        """

    @abstractmethod
    async def get_prompts(self, name: str) -> dict[int, list[str]]:
        """YOLO-World prompts by class id, ``{}`` when there are none."""

    @abstractmethod
    async def save_prompts(self, name: str, prompts: dict[int, list[str]]) -> None:
        """Replace the prompts.

        Raises:
            FileNotFoundError: no such dataset.
        """

    # Extensions beyond the seed's contract.

    @abstractmethod
    async def create_with_samples(
        self,
        name: str,
        classes: list[str],
        samples: SampleSource,
        prompts: dict[int, list[str]] | None = None,
    ) -> DatasetInfo:
        """Create a dataset already holding ``samples`` (a plain or async iterable), all or nothing.

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
        async for label_split, label_name, text in self.iter_label_texts(name, split):
            boxes = parse_text(text, source=f"{label_split}/{label_name}")
            yield LabelData(label_name, label_split, [Annotation(*box) for box in boxes])

    @abstractmethod
    async def apply_changes(self, name: str, changes: DatasetChanges) -> None:
        """Apply removals, moves, label rewrites and class/prompt changes all or nothing.

        Every name is checked before anything changes; labels are validated
        against the resulting class list.

        Raises:
            FileNotFoundError: no such dataset, or an image to remove or move is missing.
            ConflictError: a move would land on an existing image or label.
            InvalidLabelError: a new annotation is invalid.
        """

    async def export_zip(self, name: str, output_path: Path) -> Path:
        """Write ``<output_path>/<name>.zip`` (a YOLO folder), creating the folder.

        Images are stored without recompression, in a deterministic order,
        into a temporary name that is renamed into place when complete.

        Raises:
            FileNotFoundError: no such dataset.
        """
        from ydc_cli.persistence.archive import write_dataset_zip

        return await write_dataset_zip(self, name, Path(output_path))

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
            )
