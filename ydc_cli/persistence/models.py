"""Dataclasses shared by every store (the seed's domain models, plus Sample)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    from ydc_cli.domain.tasks import Task


@dataclass
class Annotation:
    """One YOLO label: class id, box centre and size normalised to 0..1, and the shape's points.

    ``points`` is None for a detection box. For the other tasks it holds the shape, flat and
    normalised: a polygon's ``x1 y1 x2 y2 ...`` (segment), an oriented box's four corners
    (obb), or the keypoints with ``kpt_shape[1]`` values each (pose); the box is then the
    shape's extent (pose: the object's box), which the stores set on save.
    """

    class_id: int
    x: float
    y: float
    width: float
    height: float
    points: tuple[float, ...] | None = field(default=None, metadata={"omit_none": True})

    def __post_init__(self) -> None:
        if self.points is not None and not isinstance(self.points, tuple):
            self.points = tuple(self.points)


def _zero_counts() -> dict[str, int]:
    return {"train": 0, "val": 0, "test": 0}


@dataclass
class DatasetInfo:
    """A dataset's name, location, classes and image count per split."""

    name: str
    path: Path
    classes: list[str] = field(default_factory=list)
    num_images: dict[str, int] = field(default_factory=_zero_counts)
    created_at: float = 0.0
    modified_at: float = 0.0
    task: str = "detect"  # detect, segment, obb or pose: what the label lines hold
    # pose only (left out of JSON output when None): [keypoints, 2 or 3 values each], the keypoint each
    # one becomes in a left-right flip, keypoint pairs joined when drawing
    kpt_shape: list[int] | None = field(default=None, metadata={"omit_none": True})
    flip_idx: list[int] | None = field(default=None, metadata={"omit_none": True})
    skeleton: list[list[int]] | None = field(default=None, metadata={"omit_none": True})

    def task_spec(self) -> Task:
        """The dataset's task as the domain's ``Task``."""
        from ydc_cli.domain import tasks

        return tasks.make(self.task, self.kpt_shape, self.flip_idx, self.skeleton, self.name)

    def set_task(self, task: Task) -> DatasetInfo:
        """Take the task's fields (what a backend does when it reads a dataset)."""
        self.task = task.name
        self.kpt_shape = None if task.kpt_shape is None else list(task.kpt_shape)
        self.flip_idx = None if task.flip_idx is None else list(task.flip_idx)
        self.skeleton = None if task.skeleton is None else [list(p) for p in task.skeleton]
        return self


@dataclass
class ImageInfo:
    """An image's place and size; ``list()`` leaves width and height at 0."""

    filename: str
    split: str
    path: Path
    width: int = 0
    height: int = 0
    size_bytes: int = 0
    has_labels: bool = False


# ImageRow.labels: a label file with boxes, an empty one (a confirmed background), no label file.
BOXES, BACKGROUND, NO_LABEL = "boxes", "background", "none"


class ImageRow(NamedTuple):
    """One line of an image listing: ``list()``'s facts, with the path as text.

    A tuple of plain values costs a fraction of an ``ImageInfo`` with its
    ``Path``: what ``ydc images list`` needs to print 100,000 images in under
    a second. ``size_bytes`` is None when the listing was asked without sizes
    (on the filesystem a size costs one ``stat`` per image).

    ``labels`` tells the three kinds of image apart: ``"boxes"`` (a label file
    with at least one line), ``"background"`` (an empty label file: a
    confirmed background, what ``labels clear`` writes) and ``"none"`` (no
    label file). It comes last and defaults to None, "a label file exists,
    its content was not looked at", so rows built from the first five fields
    keep working; every backend fills it in.
    """

    filename: str
    split: str
    path: str
    size_bytes: int | None
    has_labels: bool
    labels: str | None = None


@dataclass
class LabelData:
    """The annotations of one image."""

    filename: str
    split: str
    annotations: list[Annotation] = field(default_factory=list)


@dataclass
class ModelInfo:
    """A registered model and where its weights are."""

    name: str
    path: Path
    base_model: str = ""
    dataset_name: str = ""
    created_at: float = 0.0
    epochs_completed: int = 0
    best_map50: float | None = None
    is_active: bool = False
    sha256: str = ""  # of the weights file; an extension, "" where a registry never recorded it


@dataclass
class Sample:
    """One image as stored (its original encoded bytes) with its labels.

    ``annotations`` is ``None`` when the image has no label file at all and
    ``[]`` when it has an empty one: both are background images, but tools
    (and ydc's validator) tell them apart.
    """

    filename: str
    split: str
    data: bytes
    annotations: list[Annotation] | None = None


@dataclass
class DatasetChanges:
    """Several changes to one dataset, applied together or not at all.

    Applied in this order: ``removals`` (images with their labels), ``moves``
    (images with their labels), ``labels`` (new annotations, or ``None`` to
    delete the label), then ``classes`` and ``prompts`` when given. Splits and
    file names in ``labels`` are those after the moves.
    """

    removals: list[tuple[str, str]] = field(default_factory=list)
    moves: list[tuple[str, str, str]] = field(default_factory=list)
    labels: dict[tuple[str, str], list[Annotation] | None] = field(default_factory=dict)
    classes: list[str] | None = None
    prompts: dict[int, list[str]] | None = None
