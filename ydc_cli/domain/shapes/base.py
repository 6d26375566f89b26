"""The interface every shape kind implements, and the checks they share."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, NamedTuple, Protocol

from ydc_cli.domain.errors import InvalidLabelError

if TYPE_CHECKING:
    import numpy as np

DECIMALS = 6


class Box(NamedTuple):
    """One parsed label line: a class, the shape's axis-aligned extent (pose: its box) and its points.

    ``points`` is None for a detection box; flat normalised ``x y`` pairs for a polygon or
    an oriented box's four corners; the keypoints as the line holds them (``kpt_shape[1]``
    values each) for pose.
    """

    class_id: int
    x: float
    y: float
    width: float
    height: float
    points: tuple[float, ...] | None = None


class Task(Protocol):
    """What a shape needs of a dataset's task (``domain.tasks.Task``)."""

    name: str
    kpt_shape: tuple[int, int] | None

    def skeleton_pairs(self) -> tuple[tuple[int, int], ...]: ...


class Shape:
    """One kind of label shape. Instances are stateless; every method takes the shape as a ``Box``."""

    kind = ""  # what a user calls it: box, polygon, oriented box, pose
    task = ""  # the ultralytics task whose label lines hold it
    option = ""  # the ``labels set`` option that gives one

    def columns(self, task: Task) -> str:
        """What a line holds, for error messages."""
        raise NotImplementedError

    def parse(self, class_id: int, values: list[float], task: Task, *, source: str = "", line: int = 0) -> Box:
        """The shape from the numbers after the class id, checked (``InvalidLabelError`` naming the line)."""
        raise NotImplementedError

    def check(self, box: Box, task: Task, *, source: str = "", line: int = 0) -> Box:
        """The shape if its values are legal, with its box fields set to what they must be."""
        raise NotImplementedError

    def format(self, box: Box, task: Task) -> str:
        """The numbers of a label line after the class id."""
        raise NotImplementedError

    def warnings(self, box: Box, task: Task) -> list[tuple[str, str]]:
        """What is legal but likely wrong, as ``(code, message)``: a zero-area or self-intersecting polygon."""
        return []

    def clip(self, box: Box, task: Task) -> Box | None:
        """The shape cut to the image, or None when nothing of it is left inside."""
        raise NotImplementedError

    def extent(self, box: Box) -> tuple[float, float, float, float]:
        """The axis-aligned box around the shape: centre x, centre y, width, height."""
        return box.x, box.y, box.width, box.height

    def area(self, box: Box) -> float:
        """The shape's area as a fraction of the image."""
        return box.width * box.height

    def draw(self, canvas: np.ndarray, box: Box, colour: tuple[int, int, int], task: Task, thickness: int) -> None:
        """Draw the shape on a BGR image (in place)."""
        raise NotImplementedError


def check_unit(values: Sequence[float], *, source: str, line: int) -> None:
    """Every value a finite number in [0, 1]."""
    for value in values:
        if not math.isfinite(value):
            raise InvalidLabelError(f"coordinate is not a finite number ({value})", source=source, line=line)
        if not 0.0 <= value <= 1.0:
            raise InvalidLabelError(f"coordinate {value:g} is outside [0, 1]", source=source, line=line)


def number_text(value: float) -> str:
    return f"{value:.{DECIMALS}f}"


def points_extent(points: Sequence[float]) -> tuple[float, float, float, float]:
    """Centre and size of the axis-aligned box around flat ``x1 y1 x2 y2 ...`` points."""
    xs, ys = points[0::2], points[1::2]
    left, right, top, bottom = min(xs), max(xs), min(ys), max(ys)
    return (left + right) / 2, (top + bottom) / 2, right - left, bottom - top


def shoelace(points: Sequence[float]) -> float:
    """The area inside flat ``x y`` points taken as a closed polygon (unsigned)."""
    xs, ys = points[0::2], points[1::2]
    total = 0.0
    for i in range(len(xs)):
        j = i + 1 if i + 1 < len(xs) else 0
        total += xs[i] * ys[j] - xs[j] * ys[i]
    return abs(total) / 2


def clip_polygon(points: Sequence[float]) -> list[float]:
    """A polygon cut to the unit square (Sutherland-Hodgman), flat ``x y`` points; [] when none is inside."""
    pts = list(zip(points[0::2], points[1::2], strict=True))
    for axis, bound, keep_below in ((0, 0.0, False), (0, 1.0, True), (1, 0.0, False), (1, 1.0, True)):
        if not pts:
            break

        def inside(p: tuple[float, float], axis: int = axis, bound: float = bound, below: bool = keep_below) -> bool:
            return p[axis] <= bound if below else p[axis] >= bound

        out: list[tuple[float, float]] = []
        for i, current in enumerate(pts):
            previous = pts[i - 1]
            if inside(current):
                if not inside(previous):
                    out.append(_cross(previous, current, axis, bound))
                out.append(current)
            elif inside(previous):
                out.append(_cross(previous, current, axis, bound))
        pts = out
    flat: list[float] = []
    for x, y in pts:
        flat += [min(max(x, 0.0), 1.0), min(max(y, 0.0), 1.0)]
    return flat


def _cross(a: tuple[float, float], b: tuple[float, float], axis: int, bound: float) -> tuple[float, float]:
    t = (bound - a[axis]) / (b[axis] - a[axis])
    point = (a[0] + t * (b[0] - a[0]), a[1] + t * (b[1] - a[1]))
    return (bound, point[1]) if axis == 0 else (point[0], bound)


def pixel_points(points: Sequence[float], width: int, height: int) -> np.ndarray:
    """Flat normalised points as an (N, 1, 2) int32 array of pixels, as OpenCV draws them."""
    import numpy as np

    array = np.asarray(points, dtype=np.float64).reshape(-1, 2) * (width, height)
    return np.round(array).astype(np.int32).reshape(-1, 1, 2)
