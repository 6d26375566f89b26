"""The LabelStore contract: YOLO annotations, one label per image stem."""

from __future__ import annotations

from abc import ABC, abstractmethod

from ydc_cli.persistence.models import Annotation


class LabelStore(ABC):
    """Stores the annotations of each image.

    A label belongs to an image by the image's stem: ``img.jpg`` -> ``img.txt``.
    Annotations are validated on save (5 values, integer class id >= 0,
    coordinates in [0, 1], positive size); a bad one raises
    ``InvalidLabelError`` (a ``ValueError``) and nothing is written.
    """

    @abstractmethod
    async def save(self, dataset: str, split: str, filename: str, annotations: list[Annotation]) -> None:
        """Replace the image's annotations; an empty list stores an empty label."""

    @abstractmethod
    async def load(self, dataset: str, split: str, filename: str) -> list[Annotation]:
        """Return the image's annotations, ``[]`` when it has none."""

    @abstractmethod
    async def delete(self, dataset: str, split: str, filename: str) -> bool:
        """Delete the image's label; ``True`` if there was one."""

    @abstractmethod
    async def move(self, dataset: str, filename: str, from_split: str, to_split: str) -> None:
        """Move the label between splits.

        Raises:
            FileNotFoundError: no label for ``filename`` in ``from_split``.
        """

    @abstractmethod
    async def exists(self, dataset: str, split: str, filename: str) -> bool:
        """``True`` when the image has a label (possibly empty)."""
