"""Detection: ``class x y w h``, an axis-aligned box by its centre and size."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ydc_cli.domain.errors import InvalidLabelError
from ydc_cli.domain.shapes.base import Box, Shape, check_unit, number_text

if TYPE_CHECKING:
    import numpy as np

    from ydc_cli.domain.shapes.base import Task


class AxisBox(Shape):
    kind = "box"
    task = "detect"
    option = "--box"

    def columns(self, task: Task) -> str:
        return "5 columns 'class x y w h'"

    def parse(self, class_id: int, values: list[float], task: Task, *, source: str = "", line: int = 0) -> Box:
        if len(values) != 4:
            raise InvalidLabelError(f"expected {self.columns(task)}, got {len(values) + 1}", source=source, line=line)
        return self.check(Box(class_id, *values), task, source=source, line=line)

    def check(self, box: Box, task: Task, *, source: str = "", line: int = 0) -> Box:
        if box.points is not None:
            raise InvalidLabelError("a detect dataset holds boxes, not points", source=source, line=line)
        coords = (float(box.x), float(box.y), float(box.width), float(box.height))
        check_unit(coords, source=source, line=line)
        if coords[2] <= 0.0 or coords[3] <= 0.0:
            raise InvalidLabelError(
                f"box has zero or negative size (w={coords[2]:g}, h={coords[3]:g})", source=source, line=line)
        return type(box)(box.class_id, *coords)

    def format(self, box: Box, task: Task) -> str:
        return " ".join(map(number_text, (box.x, box.y, box.width, box.height)))

    def clip(self, box: Box, task: Task) -> Box | None:
        return clip_box(box)

    def draw(self, canvas: np.ndarray, box: Box, colour: tuple[int, int, int], task: Task, thickness: int) -> None:
        draw_box(canvas, box, colour, thickness)


def clip_box(box: Box, epsilon: float = 1e-6) -> Box | None:
    """The box cut to the image, its other fields kept; None when less than ``epsilon`` is left."""
    x1, y1 = max(0.0, box.x - box.width / 2), max(0.0, box.y - box.height / 2)
    x2, y2 = min(1.0, box.x + box.width / 2), min(1.0, box.y + box.height / 2)
    if x2 - x1 <= epsilon or y2 - y1 <= epsilon:
        return None
    return box._replace(x=(x1 + x2) / 2, y=(y1 + y2) / 2, width=x2 - x1, height=y2 - y1)


def draw_box(canvas: np.ndarray, box: Box, colour: tuple[int, int, int], thickness: int) -> None:
    import cv2

    height, width = canvas.shape[:2]
    x1, y1 = round((box.x - box.width / 2) * width), round((box.y - box.height / 2) * height)
    x2, y2 = round((box.x + box.width / 2) * width), round((box.y + box.height / 2) * height)
    cv2.rectangle(canvas, (x1, y1), (x2, y2), colour, thickness, cv2.LINE_AA)


SHAPE = AxisBox()
