"""YOLO label lines of every task: ``class`` and the numbers of one shape.

Coordinates are normalised to 0..1. Detection lines are ``class x y w h``; the
other tasks' lines are read by their shape (``domain.shapes``) with the dataset's
``Task``. The rules follow ultralytics' ``verify_image_label`` (numeric columns,
coordinates in ``[0, 1]``, class id below ``nc``) and add what it lets through:
non-integer class ids, NaN and infinity, boxes of zero or negative size, keypoint
visibility values.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

from ydc_cli.domain.errors import InvalidLabelError
from ydc_cli.domain.shapes.base import Box

if TYPE_CHECKING:
    from ydc_cli.domain.tasks import Task

DECIMALS = 6
__all__ = ["Box", "check_box", "check_class_id", "check_shape", "format_line", "format_text", "parse_line",
           "parse_text"]


def check_class_id(class_id: object, *, nc: int | None = None, source: str = "", line: int = 0) -> int:
    """The class id as an int when it is a non-negative integer below ``nc``, else InvalidLabelError."""
    if isinstance(class_id, bool) or not isinstance(class_id, int):
        if isinstance(class_id, float) and math.isfinite(class_id) and class_id.is_integer():
            class_id = int(class_id)
        else:
            raise InvalidLabelError(f"class id must be an integer, got {class_id!r}", source=source, line=line)
    if class_id < 0:
        raise InvalidLabelError(f"class id must not be negative, got {class_id}", source=source, line=line)
    if nc is not None and class_id >= nc:
        raise InvalidLabelError(
            f"class id {class_id} is out of range for {nc} classes (0..{nc - 1})", source=source, line=line
        )
    return class_id


def check_box(class_id: object, x: float, y: float, width: float, height: float,
              *, nc: int | None = None, source: str = "", line: int = 0) -> Box:
    """Return the detection box when its values are valid, else raise InvalidLabelError."""
    class_id = check_class_id(class_id, nc=nc, source=source, line=line)
    coords = (float(x), float(y), float(width), float(height))
    for value in coords:
        if not math.isfinite(value):
            raise InvalidLabelError(f"coordinate is not a finite number ({value})", source=source, line=line)
        if not 0.0 <= value <= 1.0:
            raise InvalidLabelError(f"coordinate {value:g} is outside [0, 1]", source=source, line=line)
    if coords[2] <= 0.0 or coords[3] <= 0.0:
        raise InvalidLabelError(
            f"box has zero or negative size (w={coords[2]:g}, h={coords[3]:g})", source=source, line=line
        )
    return Box(class_id, *coords)


def check_shape(class_id: object, x: float, y: float, width: float, height: float,
                points: Sequence[float] | None, *, task: Task | None = None, nc: int | None = None,
                source: str = "", line: int = 0) -> Box:
    """Return the shape when it is valid for ``task`` (detect by default), its box fields set to its extent."""
    if task is None or task.name == "detect":
        if points is not None:
            raise InvalidLabelError("a detect dataset holds boxes, not points: create the dataset with --task "
                                    "(or convert it) to store polygons, oriented boxes or keypoints",
                                    source=source, line=line)
        return check_box(class_id, x, y, width, height, nc=nc, source=source, line=line)
    class_id = check_class_id(class_id, nc=nc, source=source, line=line)
    box = Box(class_id, x, y, width, height, None if points is None else tuple(points))
    return task.shape.check(box, task, source=source, line=line)


def parse_line(text: str, *, nc: int | None = None, source: str = "", line: int = 0, task: Task | None = None
               ) -> Box:
    """Parse one non-blank label line of ``task`` (detect by default) into a Box.

    Raises:
        InvalidLabelError: naming ``source`` and ``line``.
    """
    parts = text.split()
    detect = task is None or task.name == "detect"
    if detect and len(parts) != 5:
        if len(parts) >= 7 and len(parts) % 2:
            raise InvalidLabelError(f"the labels mix kinds: a polygon or oriented box row ({len(parts)} columns) in "
                                    "a detect dataset, whose rows are 5 columns 'class x y w h'",
                                    source=source, line=line)
        raise InvalidLabelError(
            f"expected 5 columns 'class x y w h', got {len(parts)}", source=source, line=line
        )
    try:
        values = [float(p) for p in parts]
    except ValueError:
        raise InvalidLabelError(f"non-numeric value in {text.strip()[:80]!r}", source=source, line=line) from None
    class_id: object = values[0]
    if parts[0].lstrip("+-").isdigit():
        class_id = int(parts[0])
    if detect:
        return check_box(class_id, *values[1:], nc=nc, source=source, line=line)
    class_id = check_class_id(class_id, nc=nc, source=source, line=line)
    return task.shape.parse(class_id, values[1:], task, source=source, line=line)


def parse_text(text: str, *, nc: int | None = None, source: str = "", task: Task | None = None) -> list[Box]:
    """Parse a whole label file; blank lines are skipped, every other line must be valid."""
    boxes = []
    for number, line_text in enumerate(text.splitlines(), start=1):
        if line_text.strip():
            boxes.append(parse_line(line_text, nc=nc, source=source, line=number, task=task))
    return boxes


def format_line(box: Sequence, task: Task | None = None) -> str:
    """Format one shape as a label line with 6 decimals: ``(class, x, y, w, h[, points])``."""
    class_id = int(box[0])
    if task is None or task.name == "detect" or (len(box) > 5 and box[5] is None and task.name != "pose"):
        x, y, w, h = box[1:5]
        return f"{class_id} {x:.{DECIMALS}f} {y:.{DECIMALS}f} {w:.{DECIMALS}f} {h:.{DECIMALS}f}"
    shape = box if isinstance(box, Box) else Box(class_id, *box[1:5], box[5] if len(box) > 5 else None)
    return f"{class_id} {task.shape.format(shape, task)}"


def format_text(boxes: Iterable[Sequence], task: Task | None = None) -> str:
    """Format shapes as label file text: one line each, newline-terminated; empty for none."""
    return "".join(format_line(box, task) + "\n" for box in boxes)
