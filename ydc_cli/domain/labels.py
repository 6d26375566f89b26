"""The YOLO detection label format: one ``class x y w h`` line per box.

Coordinates are the box centre and size, normalised to 0..1. The rules follow
ultralytics' ``verify_image_label`` (exactly 5 numeric columns, coordinates in
``[0, 1]``, class id below ``nc``) and add what it lets through: non-integer
class ids, NaN and infinity, and boxes of zero or negative size.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import NamedTuple

from ydc_cli.domain.errors import InvalidLabelError

DECIMALS = 6


class Box(NamedTuple):
    """One parsed label line."""

    class_id: int
    x: float
    y: float
    width: float
    height: float


def check_box(class_id: object, x: float, y: float, width: float, height: float,
              *, nc: int | None = None, source: str = "", line: int = 0) -> Box:
    """Return the box when its values are valid, else raise InvalidLabelError."""
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


def parse_line(text: str, *, nc: int | None = None, source: str = "", line: int = 0) -> Box:
    """Parse one non-blank label line into a Box.

    Raises:
        InvalidLabelError: naming ``source`` and ``line``.
    """
    parts = text.split()
    if len(parts) != 5:
        raise InvalidLabelError(
            f"expected 5 columns 'class x y w h', got {len(parts)}", source=source, line=line
        )
    try:
        values = [float(p) for p in parts]
    except ValueError:
        raise InvalidLabelError(f"non-numeric value in {text.strip()[:80]!r}", source=source, line=line) from None
    raw_class = values[0]
    class_id: object = raw_class
    if parts[0].lstrip("+-").isdigit():
        class_id = int(parts[0])
    return check_box(class_id, *values[1:], nc=nc, source=source, line=line)


def parse_text(text: str, *, nc: int | None = None, source: str = "") -> list[Box]:
    """Parse a whole label file; blank lines are skipped, every other line must be valid."""
    boxes = []
    for number, line_text in enumerate(text.splitlines(), start=1):
        if line_text.strip():
            boxes.append(parse_line(line_text, nc=nc, source=source, line=number))
    return boxes


def format_line(box: Iterable[float]) -> str:
    """Format one box as a label line with 6 decimals."""
    class_id, x, y, w, h = box
    return f"{int(class_id)} {x:.{DECIMALS}f} {y:.{DECIMALS}f} {w:.{DECIMALS}f} {h:.{DECIMALS}f}"


def format_text(boxes: Iterable[Iterable[float]]) -> str:
    """Format boxes as label file text: one line each, newline-terminated; empty for none."""
    return "".join(format_line(box) + "\n" for box in boxes)
