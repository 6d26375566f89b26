"""Pictures for people: an image with its shapes and class names.

``draw_boxes`` is the one place labels are drawn: ``labels draw``, the dataset
preview mosaic and auto-labelling previews all call it, so a class has the
same colour and caption everywhere. Each task's shape draws itself
(``domain.shapes``); this module adds the colours and the captions.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from ydc_cli.domain.errors import NotFoundError
from ydc_cli.domain.shapes.base import Box
from ydc_cli.domain.tasks import DETECT
from ydc_cli.persistence import Annotation, Stores
from ydc_cli.persistence.fileio import atomic_write
from ydc_cli.persistence.image_store import encode_image

if TYPE_CHECKING:
    import numpy as np

    from ydc_cli.domain.tasks import Task


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
               task: Task | None = None, font_scale: float | None = None, thickness: int | None = None
               ) -> np.ndarray:
    """Draw each shape of ``task`` (detect by default) in its class colour with its class name, in place.

    Each kind draws itself (``Shape.draw``): a box, a polygon's outline over a
    translucent fill, an oriented box with a dot on its first corner, a pose
    box with its keypoints and skeleton. A shape without its points (a box in
    a dataset of another task) is drawn as its box. The class name sits on a
    patch of the class colour above the shape (a box's top-left corner, an
    outline's topmost point), drawn after every shape so none covers a name;
    only keypoints go over the names.

    Coordinates are YOLO's (normalised), so the image may have been resized
    first: callers that show many images shrink them and pass a ``font_scale``
    that reads at that size. By default the line and the text grow with the
    image. Returns ``image``.
    """
    import cv2

    from ydc_cli.domain.shapes.box import SHAPE as BOX

    task = task or DETECT
    shape = task.shape
    height, width = image.shape[:2]
    if thickness is None:
        thickness = max(1, round(min(width, height) / 300))
    if font_scale is None:
        font_scale = max(0.4, min(width, height) / 900)
    font = cv2.FONT_HERSHEY_SIMPLEX
    drawn = []
    for annotation in annotations:
        box = Box(annotation.class_id, annotation.x, annotation.y, annotation.width, annotation.height,
                  annotation.points)
        colour = class_colour(box.class_id)
        drawable = _drawable(box, task)
        # pose: the box now, its keypoints after the captions, so one on the box's top edge stays in sight
        (BOX if task.name == "pose" or not drawable else shape).draw(image, box, colour, task, thickness)
        drawn.append((box, colour, drawable))
    for box, colour, _ in drawn:
        name = class_caption(box.class_id, classes)
        (text_w, text_h), base = cv2.getTextSize(name, font, font_scale, thickness)
        x1, y1 = _caption_anchor(box, task, width, height)
        left = max(0, min(x1, width - text_w - 4))  # a caption near the right edge stays in the picture
        top = max(0, y1 - text_h - base - 2)
        cv2.rectangle(image, (left, top), (left + text_w + 4, top + text_h + base + 2), colour, -1)
        cv2.putText(image, name, (left + 2, top + text_h + 1), font, font_scale, text_colour_on(colour),
                    thickness, cv2.LINE_AA)
    if task.name == "pose":
        from ydc_cli.domain.shapes.keypoints import draw_keypoints

        for box, colour, drawable in drawn:
            if drawable:
                draw_keypoints(image, box, colour, task, thickness)
    return image


def _caption_anchor(box: Box, task: Task, width: int, height: int) -> tuple[int, int]:
    """Where a caption's bottom-left goes: a box's top-left corner; an outline's topmost point,
    so the name touches the shape it names (a turned box's extent corner can be far from it)."""
    if task.name in ("segment", "obb") and _drawable(box, task):
        points = box.points or ()
        top = min(range(len(points) // 2), key=lambda i: (points[2 * i + 1], points[2 * i]))
        return round(points[2 * top] * width), round(points[2 * top + 1] * height)
    return round((box.x - box.width / 2) * width), round((box.y - box.height / 2) * height)


def _drawable(box: Box, task: Task) -> bool:
    """True when ``box`` holds the points its task's shape draws."""
    if task.name == "detect":
        return True
    if box.points is None:
        return False
    if task.name == "pose":
        k, dim = task.kpt_shape or (0, 0)
        return len(box.points) == k * dim
    return len(box.points) >= (8 if task.name == "obb" else 6) and len(box.points) % 2 == 0


async def draw_labels(stores: Stores, dataset: str, split: str, filename: str, output: Path) -> tuple[Path, int]:
    """Write a PNG of the image with its shapes (the dataset's task); returns the path and the number of shapes."""
    info = await stores.dataset.get(dataset)
    if info is None:
        raise NotFoundError(f"no such dataset ({dataset})")
    image = await stores.image.load(dataset, split, filename)
    annotations = await stores.label.load(dataset, split, filename)
    draw_boxes(image, annotations, info.classes, task=info.task_spec())
    target = output / (Path(filename).stem + ".png") if output.is_dir() else output
    if not target.parent.is_dir():
        raise NotFoundError(f"no such folder ({target.parent})")
    atomic_write(target, encode_image(image, target.name if target.suffix else target.name + ".png"))
    return target, len(annotations)
