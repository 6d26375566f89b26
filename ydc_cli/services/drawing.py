"""Pictures for people: an image with its boxes and class names."""

from __future__ import annotations

from pathlib import Path

from ydc_cli.domain.errors import NotFoundError
from ydc_cli.persistence import Stores
from ydc_cli.persistence.fileio import atomic_write
from ydc_cli.persistence.image_store import encode_image


def class_colour(class_id: int) -> tuple[int, int, int]:
    """A distinct, stable BGR colour per class (golden-ratio hue steps)."""
    import colorsys

    hue = (class_id * 0.618033988749895) % 1.0
    r, g, b = colorsys.hsv_to_rgb(hue, 0.85, 0.95)
    return int(b * 255), int(g * 255), int(r * 255)


async def draw_labels(stores: Stores, dataset: str, split: str, filename: str, output: Path) -> tuple[Path, int]:
    """Write a PNG of the image with its boxes; returns the path and the number of boxes."""
    import cv2

    info = await stores.dataset.get(dataset)
    if info is None:
        raise NotFoundError(f"no such dataset ({dataset})")
    image = await stores.image.load(dataset, split, filename)
    annotations = await stores.label.load(dataset, split, filename)
    height, width = image.shape[:2]
    thickness = max(1, round(min(width, height) / 300))
    scale = max(0.4, min(width, height) / 900)
    for box in annotations:
        colour = class_colour(box.class_id)
        x1, y1 = int((box.x - box.width / 2) * width), int((box.y - box.height / 2) * height)
        x2, y2 = int((box.x + box.width / 2) * width), int((box.y + box.height / 2) * height)
        cv2.rectangle(image, (x1, y1), (x2, y2), colour, thickness, cv2.LINE_AA)
        name = info.classes[box.class_id] if box.class_id < len(info.classes) else str(box.class_id)
        (text_w, text_h), base = cv2.getTextSize(name, cv2.FONT_HERSHEY_SIMPLEX, scale, thickness)
        top = max(0, y1 - text_h - base - 2)
        cv2.rectangle(image, (x1, top), (x1 + text_w + 4, top + text_h + base + 2), colour, -1)
        cv2.putText(image, name, (x1 + 2, top + text_h + 1), cv2.FONT_HERSHEY_SIMPLEX, scale, (255, 255, 255),
                    thickness, cv2.LINE_AA)
    target = output / (Path(filename).stem + ".png") if output.is_dir() else output
    if not target.parent.is_dir():
        raise NotFoundError(f"no such folder ({target.parent})")
    atomic_write(target, encode_image(image, target.name if target.suffix else target.name + ".png"))
    return target, len(annotations)
