"""Pose: ``class x y w h px1 py1 [v1] ...``, a box and ``kpt_shape[0]`` keypoints of ``kpt_shape[1]`` values.

Visibility (the third value) follows COCO: 0 not labelled, 1 labelled but hidden, 2 visible.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ydc_cli.domain.errors import InvalidLabelError
from ydc_cli.domain.shapes.base import Box, Shape, check_unit, number_text
from ydc_cli.domain.shapes.box import SHAPE as BOX
from ydc_cli.domain.shapes.box import clip_box, draw_box

if TYPE_CHECKING:
    import numpy as np

    from ydc_cli.domain.shapes.base import Task

VISIBILITY = (0.0, 1.0, 2.0)


class Keypoints(Shape):
    kind = "pose"
    task = "pose"
    option = "--keypoints"

    def columns(self, task: Task) -> str:
        k, dim = task.kpt_shape or (0, 0)
        return f"{5 + k * dim} columns 'class x y w h' and {k} keypoints of {dim} values (kpt_shape [{k}, {dim}])"

    def parse(self, class_id: int, values: list[float], task: Task, *, source: str = "", line: int = 0) -> Box:
        k, dim = task.kpt_shape or (0, 0)
        if len(values) == 4 and k:
            raise InvalidLabelError(f"the labels mix kinds: a box row without keypoints in a pose dataset: expected "
                                    f"{self.columns(task)}", source=source, line=line)
        if len(values) != 4 + k * dim:
            raise InvalidLabelError(f"expected {self.columns(task)}, got {len(values) + 1}", source=source, line=line)
        return self.check(Box(class_id, *values[:4], tuple(values[4:])), task, source=source, line=line)

    def check(self, box: Box, task: Task, *, source: str = "", line: int = 0) -> Box:
        k, dim = task.kpt_shape or (0, 0)
        points = box.points
        if points is None or len(points) != k * dim:
            got = "none" if points is None else f"{len(points)} values"
            raise InvalidLabelError(f"a pose label needs {k} keypoints of {dim} values ({k * dim} values), got {got}",
                                    source=source, line=line)
        checked = BOX.check(box._replace(points=None), task, source=source, line=line)
        points = tuple(map(float, points))
        for index in range(k):
            check_unit(points[index * dim:index * dim + 2], source=source, line=line)
            if dim == 3 and points[index * dim + 2] not in VISIBILITY:
                raise InvalidLabelError(
                    f"keypoint {index + 1} visibility must be 0, 1 or 2, got {points[index * dim + 2]:g}",
                    source=source, line=line)
        return checked._replace(points=points)

    def format(self, box: Box, task: Task) -> str:
        dim = (task.kpt_shape or (0, 0))[1]
        values = [number_text(v) for v in (box.x, box.y, box.width, box.height, *(box.points or ()))]
        if dim == 3:
            values[6::3] = [f"{v:g}" for v in (box.points or ())[2::3]]
        return " ".join(values)

    def warnings(self, box: Box, task: Task) -> list[tuple[str, str]]:
        outside = [i + 1 for i, (x, y, visible) in enumerate(keypoint_triples(box, task))
                   if visible and not (box.x - box.width / 2 - 1e-6 <= x <= box.x + box.width / 2 + 1e-6
                                       and box.y - box.height / 2 - 1e-6 <= y <= box.y + box.height / 2 + 1e-6)]
        if not outside:
            return []
        return [("keypoint_outside",
                 f"keypoint{'s' if len(outside) > 1 else ''} {', '.join(map(str, outside))} outside the box")]

    def clip(self, box: Box, task: Task) -> Box | None:
        clipped = clip_box(box)
        if clipped is None:
            return None
        k, dim = task.kpt_shape or (0, 0)
        points = list(box.points or ())
        for index in range(k):
            x, y = points[index * dim], points[index * dim + 1]
            if not (0.0 <= x <= 1.0 and 0.0 <= y <= 1.0):  # off the image: not labelled
                points[index * dim:index * dim + dim] = [0.0] * dim
        return clipped._replace(points=tuple(points))

    def draw(self, canvas: np.ndarray, box: Box, colour: tuple[int, int, int], task: Task, thickness: int) -> None:
        draw_box(canvas, box, colour, thickness)
        draw_keypoints(canvas, box, colour, task, thickness)


def draw_keypoints(canvas: np.ndarray, box: Box, colour: tuple[int, int, int], task: Task, thickness: int) -> None:
    """The skeleton between labelled keypoints, then the keypoints: a disc for a visible one, a ring
    (the image seen inside it) for one labelled but hidden, nothing for one not labelled. A white rim
    outside each keeps it apart from the image and from a box of its own colour."""
    import cv2

    height, width = canvas.shape[:2]
    triples = keypoint_triples(box, task)
    pixels = [(round(x * width), round(y * height)) for x, y, _ in triples]
    for a, b in task.skeleton_pairs():
        if a < len(triples) and b < len(triples) and triples[a][2] and triples[b][2]:
            cv2.line(canvas, pixels[a], pixels[b], colour, thickness, cv2.LINE_AA)
    radius = 2 * thickness + 2
    for centre, (_, _, visible) in zip(pixels, triples, strict=True):
        if visible == 2:
            cv2.circle(canvas, centre, radius + 1, (255, 255, 255), -1, cv2.LINE_AA)
            cv2.circle(canvas, centre, radius, colour, -1, cv2.LINE_AA)
        elif visible:
            cv2.circle(canvas, centre, radius + 1, (255, 255, 255), thickness + 1, cv2.LINE_AA)
            cv2.circle(canvas, centre, radius, colour, thickness, cv2.LINE_AA)


def keypoint_triples(box: Box, task: Task) -> list[tuple[float, float, float]]:
    """Each keypoint as (x, y, visibility); without a visibility column a keypoint is visible (2)
    unless it is at a negative position, as ultralytics reads them."""
    k, dim = task.kpt_shape or (0, 0)
    points = box.points or ()
    if dim == 3:
        return [(points[i * 3], points[i * 3 + 1], points[i * 3 + 2]) for i in range(k)]
    return [(points[i * 2], points[i * 2 + 1], 0.0 if min(points[i * 2], points[i * 2 + 1]) < 0 else 2.0)
            for i in range(k)]


SHAPE = Keypoints()
