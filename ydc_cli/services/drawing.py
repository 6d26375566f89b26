"""Pictures for people: an image with its boxes and class names.

``draw_boxes`` is the one place boxes are drawn: ``labels draw``, the dataset
preview mosaic and auto-labelling previews all call it, so a class has the
same colour and caption everywhere.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from ydc_cli.domain.errors import NotFoundError
from ydc_cli.persistence import Annotation, Stores
from ydc_cli.persistence.fileio import atomic_write
from ydc_cli.persistence.image_store import encode_image

if TYPE_CHECKING:
    import numpy as np


def class_colour(class_id: int) -> tuple[int, int, int]:
    """A distinct, stable BGR colour per class (golden-ratio hue steps)."""
    import colorsys

    hue = (class_id * 0.618033988749895) % 1.0
    r, g, b = colorsys.hsv_to_rgb(hue, 0.85, 0.95)
    return int(b * 255), int(g * 255), int(r * 255)


def text_colour_on(colour: tuple[int, int, int]) -> tuple[int, int, int]:
    """Black or white, whichever reads better on a BGR background (yellow and cyan want black)."""
    blue, green, red = colour
    return (0, 0, 0) if 0.299 * red + 0.587 * green + 0.114 * blue > 150 else (255, 255, 255)


def class_caption(class_id: int, classes: Sequence[str]) -> str:
    """The class name, or the bare id for a class the list does not have."""
    return classes[class_id] if 0 <= class_id < len(classes) else str(class_id)


def draw_boxes(image: np.ndarray, annotations: Sequence[Annotation], classes: Sequence[str], *,
               font_scale: float | None = None, thickness: int | None = None) -> np.ndarray:
    """Draw each box in its class colour with its class name above it, on ``image`` (BGR), in place.

    Coordinates are YOLO's (normalised centre and size), so the image may have
    been resized first: callers that show many images shrink them and pass a
    ``font_scale`` that reads at that size. By default the line and the text
    grow with the image. Returns ``image``.
    """
    import cv2

    height, width = image.shape[:2]
    if thickness is None:
        thickness = max(1, round(min(width, height) / 300))
    if font_scale is None:
        font_scale = max(0.4, min(width, height) / 900)
    font = cv2.FONT_HERSHEY_SIMPLEX
    for box in annotations:
        colour = class_colour(box.class_id)
        x1, y1 = int((box.x - box.width / 2) * width), int((box.y - box.height / 2) * height)
        x2, y2 = int((box.x + box.width / 2) * width), int((box.y + box.height / 2) * height)
        cv2.rectangle(image, (x1, y1), (x2, y2), colour, thickness, cv2.LINE_AA)
        name = class_caption(box.class_id, classes)
        (text_w, text_h), base = cv2.getTextSize(name, font, font_scale, thickness)
        left = max(0, min(x1, width - text_w - 4))  # a caption near the right edge stays in the picture
        top = max(0, y1 - text_h - base - 2)
        cv2.rectangle(image, (left, top), (left + text_w + 4, top + text_h + base + 2), colour, -1)
        cv2.putText(image, name, (left + 2, top + text_h + 1), font, font_scale, text_colour_on(colour),
                    thickness, cv2.LINE_AA)
    return image


async def draw_labels(stores: Stores, dataset: str, split: str, filename: str, output: Path) -> tuple[Path, int]:
    """Write a PNG of the image with its boxes; returns the path and the number of boxes."""
    info = await stores.dataset.get(dataset)
    if info is None:
        raise NotFoundError(f"no such dataset ({dataset})")
    image = await stores.image.load(dataset, split, filename)
    annotations = await stores.label.load(dataset, split, filename)
    draw_boxes(image, annotations, info.classes)
    target = output / (Path(filename).stem + ".png") if output.is_dir() else output
    if not target.parent.is_dir():
        raise NotFoundError(f"no such folder ({target.parent})")
    atomic_write(target, encode_image(image, target.name if target.suffix else target.name + ".png"))
    return target, len(annotations)
