"""The kinds of shape a YOLO label line holds, one module each behind one small interface.

``Shape`` (in ``base``) is what every kind implements: ``parse`` a line's numbers,
``check`` a shape's values, ``format`` it back, ``warnings`` about a legal but doubtful
shape, ``clip`` it into the image, its ``extent`` and ``area``, and ``draw`` it. A label
line is ``class`` followed by what the kind's ``parse`` reads; the box fields of every
``Box`` are the shape's axis-aligned extent (for pose, the box the line carries).

Adding a kind is one module here and one line in ``_KINDS``.
"""

from __future__ import annotations

import importlib

from ydc_cli.domain.shapes.base import Shape

__all__ = ["Shape", "for_task"]

# task -> module holding its shape (imported on first use)
_KINDS = {"detect": "box", "segment": "polygon", "obb": "obb", "pose": "keypoints"}
_LOADED: dict[str, Shape] = {}


def for_task(task: str) -> Shape:
    """The shape of a task's label lines."""
    shape = _LOADED.get(task)
    if shape is None:
        shape = _LOADED[task] = importlib.import_module(f"ydc_cli.domain.shapes.{_KINDS[task]}").SHAPE
    return shape
