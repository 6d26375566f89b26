"""Converting a dataset to another task: a new dataset, all or nothing.

| from    | to      | each shape becomes                                              |
|---------|---------|-----------------------------------------------------------------|
| segment | detect  | the polygon's axis-aligned box                                  |
| segment | obb     | the polygon's minimum-area rectangle (in pixels, then normalised) |
| obb     | detect  | the oriented box's axis-aligned box                             |
| obb     | segment | the four corners as a polygon                                   |
| pose    | detect  | the object's box (keypoints dropped)                            |

Images, splits, file names, classes and prompts are kept; an image without a label
file stays without one, a background stays a background.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from ydc_cli.domain import tasks
from ydc_cli.domain.errors import ConflictError, NotFoundError, UsageError
from ydc_cli.domain.imageformat import read_header
from ydc_cli.domain.shapes.base import points_extent, shoelace
from ydc_cli.persistence import Annotation, DatasetInfo, Sample, Stores

CONVERSIONS = {("segment", "detect"), ("segment", "obb"), ("obb", "detect"), ("obb", "segment"), ("pose", "detect")}


@dataclass
class ConvertReport:
    """The new dataset and what became of the shapes."""

    dataset: DatasetInfo
    source: str
    from_task: str
    to_task: str
    shapes: int = 0  # converted
    dropped: int = 0  # degenerate (no area left): not carried over
    clipped: int = 0  # rectangles whose corners were moved onto the image's edge


async def convert_dataset(stores: Stores, name: str, to_task: str, into: str,
                          on_sample: Callable[[int], None] | None = None) -> ConvertReport:
    """Make ``into``, a ``to_task`` dataset of ``name``'s images with its shapes converted.

    Raises:
        NotFoundError: no such dataset.
        UsageError: a conversion ydc cannot make (boxes have no polygons to give).
        ConflictError: ``into`` exists.
    """
    info = await stores.dataset.get(name)
    if info is None:
        raise NotFoundError(f"no such dataset ({name})")
    source = info.task_spec()
    if to_task not in tasks.TASKS:
        raise UsageError(f"unknown task {to_task!r}: use one of {', '.join(tasks.TASKS)}")
    if (source.name, to_task) not in CONVERSIONS:
        possible = sorted(t for f, t in CONVERSIONS if f == source.name)
        hint = f"it converts to {', '.join(possible)}" if possible else "it converts to no other task"
        raise UsageError(f"cannot convert {name} from {source.name} to {to_task}: {hint}")
    if await stores.dataset.get(into) is not None:
        raise ConflictError(f"dataset already exists ({into})")
    report = ConvertReport(info, name, source.name, to_task)

    async def stream():
        async for sample in stores.dataset.iter_samples(name):
            annotations = None
            if sample.annotations is not None:
                size = None
                if (source.name, to_task) == ("segment", "obb"):
                    header = read_header(sample.data, f"{sample.split}/{sample.filename}")
                    size = header.width, header.height
                annotations = []
                for annotation in sample.annotations:
                    converted = _convert(annotation, source.name, to_task, size, report)
                    if converted is None:
                        report.dropped += 1
                    else:
                        report.shapes += 1
                        annotations.append(converted)
            if on_sample:
                on_sample(1)
            yield Sample(sample.filename, sample.split, sample.data, annotations)

    report.dataset = await stores.dataset.create_with_samples(
        into, info.classes, stream(), await stores.dataset.get_prompts(name), task=tasks.Task(to_task))
    return report


def _convert(annotation: Annotation, source: str, target: str, size: tuple[int, int] | None,
             report: ConvertReport) -> Annotation | None:
    points = annotation.points or ()
    if target == "detect":
        if source == "pose":
            return Annotation(annotation.class_id, annotation.x, annotation.y, annotation.width, annotation.height)
        x, y, w, h = points_extent(points)
        return Annotation(annotation.class_id, x, y, w, h) if w > 0 and h > 0 else None
    if target == "segment":  # from obb: the corners are the polygon
        return Annotation(annotation.class_id, *points_extent(points), points)
    corners = min_area_rectangle(points, *size)  # segment -> obb
    if corners is None:
        return None
    clamped = tuple(min(max(v, 0.0), 1.0) for v in corners)
    if clamped != corners:
        report.clipped += 1
    if shoelace(clamped) <= 1e-9:
        return None
    return Annotation(annotation.class_id, *points_extent(clamped), clamped)


def min_area_rectangle(points, width: int, height: int) -> tuple[float, ...] | None:
    """The corners (normalised, flat) of the smallest rotated rectangle around a polygon, found in
    pixels so that it is a rectangle in the image; None for a polygon of no area."""
    import cv2
    import numpy as np

    pixels = np.asarray(points, dtype=np.float32).reshape(-1, 2) * np.float32((width, height))
    rect = cv2.minAreaRect(pixels)
    if rect[1][0] <= 0 or rect[1][1] <= 0:
        return None
    corners = cv2.boxPoints(rect) / np.float32((width, height))
    return tuple(float(v) for v in corners.reshape(-1))
