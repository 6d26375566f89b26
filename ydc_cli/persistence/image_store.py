"""The ImageStore contract: images by dataset, split and file name."""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import TYPE_CHECKING

from ydc_cli.domain.errors import InvalidImageError
from ydc_cli.persistence.models import NO_LABEL, ImageInfo, ImageRow

if TYPE_CHECKING:
    import numpy as np


class ImageStore(ABC):
    """Stores images as their original encoded bytes.

    ``save`` encodes a pixel array by the file name's extension; ``save_bytes``
    stores already-encoded bytes unchanged (lossless import), after checking
    the header (format matches the extension, bounded pixel count, not
    truncated).
    """

    @abstractmethod
    async def save(self, dataset: str, split: str, filename: str, image: np.ndarray) -> ImageInfo:
        """Encode ``image`` (BGR, HWC) by the extension and store it."""

    @abstractmethod
    async def load(self, dataset: str, split: str, filename: str) -> np.ndarray:
        """Decode the stored image to a BGR, HWC array.

        Raises:
            FileNotFoundError: no such image.
        """

    @abstractmethod
    async def delete(self, dataset: str, split: str, filename: str) -> bool:
        """Delete the image (not its label); ``True`` if it existed."""

    @abstractmethod
    async def move(self, dataset: str, filename: str, from_split: str, to_split: str) -> None:
        """Move the image between splits.

        Raises:
            FileNotFoundError: no such image in ``from_split``.
        """

    @abstractmethod
    async def list(self, dataset: str, split: str | None = None) -> list[ImageInfo]:
        """List images sorted by split (train, val, test) then file name.

        Width and height are 0 (nothing is decoded); ``has_labels`` is filled in.
        """

    @abstractmethod
    async def exists(self, dataset: str, split: str, filename: str) -> bool:
        """``True`` when the image is stored."""

    # Extensions beyond the seed's contract.

    async def list_rows(self, dataset: str, split: str | None = None, *, sizes: bool = True) -> list[ImageRow]:
        """``list()`` as plain rows in the same order, ``size_bytes`` None unless ``sizes``.

        Each row's ``labels`` says ``"boxes"``, ``"background"`` (an empty
        label file) or ``"none"`` (no label file). This default sees only
        ``has_labels``, so it leaves ``labels`` None for an image with a label
        file (``services.selection.select_images`` then reads the label texts
        once); backends override it to fill everything in without building
        ``ImageInfo``s.

        Raises:
            NotFoundError: no such dataset.
        """
        return [ImageRow(i.filename, i.split, str(i.path), i.size_bytes if sizes else None, i.has_labels,
                         None if i.has_labels else NO_LABEL)
                for i in await self.list(dataset, split)]

    @abstractmethod
    async def save_bytes(self, dataset: str, split: str, filename: str, data: bytes) -> ImageInfo:
        """Store encoded image bytes unchanged; width and height come from the header.

        Raises:
            InvalidImageError: the bytes are not an allowed, complete, bounded image.
        """

    @abstractmethod
    async def load_bytes(self, dataset: str, split: str, filename: str) -> bytes:
        """Return exactly the bytes that were stored.

        Raises:
            FileNotFoundError: no such image.
        """

    async def count(self, dataset: str) -> dict[str, int]:
        """Images per split, ``{"train": n, "val": n, "test": n}``, without listing labels."""
        counts = {"train": 0, "val": 0, "test": 0}
        for info in await self.list(dataset):
            counts[info.split] += 1
        return counts


def encode_image(image: np.ndarray, filename: str) -> bytes:
    """Encode a BGR, HWC array in the format the file name's extension names."""
    import cv2

    ext = "." + filename.rpartition(".")[2].lower()
    params = [cv2.IMWRITE_JPEG_QUALITY, 95] if ext in {".jpg", ".jpeg", ".jpe"} else []
    try:
        ok, buffer = cv2.imencode(ext, image, params)
    except cv2.error as exc:
        raise InvalidImageError(f"cannot encode the array as {ext} ({filename})") from exc
    if not ok:
        raise InvalidImageError(f"cannot encode the array as {ext} ({filename})")
    return buffer.tobytes()


def decode_image(data: bytes, filename: str) -> np.ndarray:
    """Decode encoded bytes to a BGR, HWC array."""
    import cv2
    import numpy as np

    image = cv2.imdecode(np.frombuffer(data, dtype=np.uint8), cv2.IMREAD_COLOR)
    if image is None:
        raise InvalidImageError(f"image cannot be decoded ({filename})")
    return image
