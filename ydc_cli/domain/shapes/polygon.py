"""Segmentation: ``class x1 y1 x2 y2 ...``, a polygon of at least 3 points."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ydc_cli.domain.errors import InvalidLabelError
from ydc_cli.domain.shapes.base import (
    Box,
    Shape,
    check_unit,
    clip_polygon,
    number_text,
    pixel_points,
    points_extent,
    shoelace,
)

if TYPE_CHECKING:
    import numpy as np

    from ydc_cli.domain.shapes.base import Task

ZERO_AREA = 1e-9


class Polygon(Shape):
    kind = "polygon"
    task = "segment"
    option = "--polygon"

    def columns(self, task: Task) -> str:
        return "'class x1 y1 x2 y2 x3 y3 ...' (at least 3 points)"

    def parse(self, class_id: int, values: list[float], task: Task, *, source: str = "", line: int = 0) -> Box:
        if len(values) == 4:
            raise InvalidLabelError("the labels mix kinds: a box row (5 columns) in a segment dataset, whose rows "
                                    "are polygons of at least 3 points", source=source, line=line)
        return self.check(Box(class_id, 0.0, 0.0, 0.0, 0.0, tuple(values)), task, source=source, line=line)

    def check(self, box: Box, task: Task, *, source: str = "", line: int = 0) -> Box:
        points = box.points
        if points is None:
            raise InvalidLabelError(f"a segment dataset holds polygons: expected {self.columns(task)}",
                                    source=source, line=line)
        if len(points) % 2:
            raise InvalidLabelError(f"a polygon needs x y pairs, got {len(points)} coordinates (an odd count)",
                                    source=source, line=line)
        if len(points) < 6:
            raise InvalidLabelError(f"a polygon needs at least 3 points, got {len(points) // 2}",
                                    source=source, line=line)
        points = tuple(map(float, points))
        check_unit(points, source=source, line=line)
        return type(box)(box.class_id, *points_extent(points), points)

    def format(self, box: Box, task: Task) -> str:
        return " ".join(map(number_text, box.points or ()))

    def warnings(self, box: Box, task: Task) -> list[tuple[str, str]]:
        points = box.points or ()
        if self_intersects(points):
            return [("self_intersection", "polygon crosses itself")]
        if shoelace(points) <= ZERO_AREA:
            return [("zero_area", "polygon has zero area")]
        return []

    def clip(self, box: Box, task: Task) -> Box | None:
        if all(0.0 <= v <= 1.0 for v in box.points or ()):
            return type(box)(box.class_id, *points_extent(box.points), tuple(box.points))
        points = clip_polygon(box.points or ())
        if len(points) < 6 or shoelace(points) <= ZERO_AREA:
            return None
        return type(box)(box.class_id, *points_extent(points), tuple(points))

    def extent(self, box: Box) -> tuple[float, float, float, float]:
        return points_extent(box.points or ())

    def area(self, box: Box) -> float:
        return shoelace(box.points or ())

    def draw(self, canvas: np.ndarray, box: Box, colour: tuple[int, int, int], task: Task, thickness: int) -> None:
        draw_outline(canvas, box.points or (), colour, thickness, fill=True)


def draw_outline(canvas: np.ndarray, points, colour: tuple[int, int, int], thickness: int, *, fill: bool) -> None:
    """A closed outline, and with ``fill`` a translucent inside, so the image shows through.

    The fill is blended within the polygon's bounding rectangle only: an image of many small
    polygons costs what their areas cost, not a copy of the whole image each.
    """
    import cv2

    height, width = canvas.shape[:2]
    pixels = pixel_points(points, width, height)
    if fill:
        left, top, w, h = cv2.boundingRect(pixels)
        left, top, right, bottom = max(0, left), max(0, top), min(width, left + w), min(height, top + h)
        if right > left and bottom > top:
            region = canvas[top:bottom, left:right]
            layer = region.copy()
            cv2.fillPoly(layer, [pixels - (left, top)], colour, cv2.LINE_AA)
            region[:] = cv2.addWeighted(layer, 0.3, region, 0.7, 0)
    cv2.polylines(canvas, [pixels], True, colour, thickness, cv2.LINE_AA)


def self_intersects(points) -> bool:
    """True when two edges of the closed polygon that do not share a corner cross.

    Edges are swept in order of their left end, so only pairs whose x ranges overlap are tested:
    about n log n for the polygons labels hold, instead of every pair.
    """
    n = len(points) // 2
    if n < 4:
        return False
    xs, ys = points[0::2], points[1::2]
    edges = []
    for i in range(n):
        j = i + 1 if i + 1 < n else 0
        ax, ay, bx, by = xs[i], ys[i], xs[j], ys[j]
        edges.append((min(ax, bx), max(ax, bx), min(ay, by), max(ay, by), ax, ay, bx, by, i))
    edges.sort()
    for position, (_, right, low, high, ax, ay, bx, by, i) in enumerate(edges):
        for other in edges[position + 1:]:
            if other[0] > right:
                break
            if other[3] < low or other[2] > high:
                continue
            k = other[8]
            if abs(i - k) == 1 or abs(i - k) == n - 1:
                continue  # neighbours share a corner
            cx, cy, dx, dy = other[4:8]
            d1 = (dx - cx) * (ay - cy) - (dy - cy) * (ax - cx)
            d2 = (dx - cx) * (by - cy) - (dy - cy) * (bx - cx)
            if d1 * d2 >= 0:
                continue
            d3 = (bx - ax) * (cy - ay) - (by - ay) * (cx - ax)
            d4 = (bx - ax) * (dy - ay) - (by - ay) * (dx - ax)
            if d3 * d4 < 0:
                return True
    return False


SHAPE = Polygon()
