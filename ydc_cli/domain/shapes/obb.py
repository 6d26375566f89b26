"""Oriented boxes: ``class x1 y1 x2 y2 x3 y3 x4 y4``, the four corners in order (DOTA's order)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ydc_cli.domain.errors import InvalidLabelError
from ydc_cli.domain.shapes.base import Box, Shape, check_unit, number_text, points_extent, shoelace
from ydc_cli.domain.shapes.polygon import ZERO_AREA, draw_outline, self_intersects

if TYPE_CHECKING:
    import numpy as np

    from ydc_cli.domain.shapes.base import Task


class OrientedBox(Shape):
    kind = "oriented box"
    task = "obb"
    option = "--obb"

    def columns(self, task: Task) -> str:
        return "9 columns 'class x1 y1 x2 y2 x3 y3 x4 y4'"

    def parse(self, class_id: int, values: list[float], task: Task, *, source: str = "", line: int = 0) -> Box:
        if len(values) == 4 or (len(values) >= 6 and len(values) % 2 == 0 and len(values) != 8):
            kind = "a box row (5 columns)" if len(values) == 4 else f"a polygon row ({len(values) + 1} columns)"
            raise InvalidLabelError(f"the labels mix kinds: {kind} in an obb dataset, whose rows are 9 columns "
                                    "'class x1 y1 x2 y2 x3 y3 x4 y4'", source=source, line=line)
        return self.check(Box(class_id, 0.0, 0.0, 0.0, 0.0, tuple(values)), task, source=source, line=line)

    def check(self, box: Box, task: Task, *, source: str = "", line: int = 0) -> Box:
        points = box.points
        if points is None or len(points) != 8:
            got = "a box" if points is None else f"{len(points) + 1} columns"
            raise InvalidLabelError(f"an obb dataset holds oriented boxes: expected {self.columns(task)}, got {got}",
                                    source=source, line=line)
        points = tuple(map(float, points))
        check_unit(points, source=source, line=line)
        return type(box)(box.class_id, *points_extent(points), points)

    def format(self, box: Box, task: Task) -> str:
        return " ".join(map(number_text, box.points or ()))

    def warnings(self, box: Box, task: Task) -> list[tuple[str, str]]:
        points = box.points or ()
        if self_intersects(points):
            return [("self_intersection", "oriented box corners are out of order (its edges cross)")]
        if shoelace(points) <= ZERO_AREA:
            return [("zero_area", "oriented box has zero area")]
        return []

    def clip(self, box: Box, task: Task) -> Box | None:
        """Corners moved onto the image's edge, as ultralytics' loader does for out-of-image corners."""
        points = tuple(min(max(v, 0.0), 1.0) for v in box.points or ())
        if shoelace(points) <= ZERO_AREA:
            return None
        return type(box)(box.class_id, *points_extent(points), points)

    def extent(self, box: Box) -> tuple[float, float, float, float]:
        return points_extent(box.points or ())

    def area(self, box: Box) -> float:
        return shoelace(box.points or ())

    def draw(self, canvas: np.ndarray, box: Box, colour: tuple[int, int, int], task: Task, thickness: int) -> None:
        import cv2

        draw_outline(canvas, box.points or (), colour, thickness, fill=False)
        height, width = canvas.shape[:2]
        x, y = box.points[0] * width, box.points[1] * height  # the first corner: which way round the box is
        cv2.circle(canvas, (round(x), round(y)), 2 * thickness + 1, colour, -1, cv2.LINE_AA)


SHAPE = OrientedBox()
