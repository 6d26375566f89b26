"""The four tasks ultralytics trains from one folder layout, and how a dataset's task is known.

| task    | label line                           | data.yaml                         |
|---------|--------------------------------------|-----------------------------------|
| detect  | ``class x y w h``                    |                                   |
| segment | ``class x1 y1 x2 y2 ...`` (>= 3 pts) |                                   |
| obb     | ``class x1 y1 ... x4 y4``            |                                   |
| pose    | ``class x y w h px1 py1 [v1] ...``   | ``kpt_shape: [K, 2 or 3]``, ``flip_idx`` |

ydc writes ``task`` into a non-detect dataset's data.yaml (ultralytics ignores the key)
so the task survives a round trip; a data.yaml without it gets the task from
``kpt_shape`` and the label lines (``TaskGuess``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ydc_cli.domain.errors import InvalidDatasetError, InvalidLabelError

if TYPE_CHECKING:
    from ydc_cli.domain.shapes import Shape

TASKS = ("detect", "segment", "obb", "pose")
TITLES = {"detect": "detection", "segment": "segmentation", "obb": "oriented boxes", "pose": "pose"}
# COCO's person skeleton (0-based keypoint pairs), what ultralytics draws for 17 keypoints
COCO_SKELETON = ((15, 13), (13, 11), (16, 14), (14, 12), (11, 12), (5, 11), (6, 12), (5, 6), (5, 7), (6, 8),
                 (7, 9), (8, 10), (1, 2), (0, 1), (0, 2), (1, 3), (2, 4), (3, 5), (4, 6))
# ultralytics' model YAML per task
MODEL_YAML = {"detect": "yolo11n.yaml", "segment": "yolo11n-seg.yaml", "obb": "yolo11n-obb.yaml",
              "pose": "yolo11n-pose.yaml"}


@dataclass(frozen=True)
class Task:
    """A dataset's task, with pose's keypoint layout."""

    name: str = "detect"
    kpt_shape: tuple[int, int] | None = None  # pose: keypoints per object, values per keypoint (2 or 3)
    flip_idx: tuple[int, ...] | None = None  # pose: which keypoint each one becomes in a left-right flip
    skeleton: tuple[tuple[int, int], ...] | None = None  # pose: keypoint pairs to join when drawing

    def __post_init__(self) -> None:
        if self.name not in TASKS:
            raise InvalidDatasetError(f"unknown task {self.name!r}: use one of {', '.join(TASKS)}")
        if self.name == "pose":
            if self.kpt_shape is None:
                raise InvalidDatasetError("a pose dataset needs kpt_shape [K, 2 or 3] (keypoints, values each)")
            k, dim = self.kpt_shape
            if k < 1 or dim not in (2, 3):
                raise InvalidDatasetError(f"kpt_shape must be [K >= 1, 2 or 3], got [{k}, {dim}]")
            if self.flip_idx is not None and sorted(self.flip_idx) != list(range(k)):
                raise InvalidDatasetError(
                    f"flip_idx must list each keypoint 0..{k - 1} once, got {list(self.flip_idx)}")
            for pair in self.skeleton or ():
                if len(pair) != 2 or not all(0 <= i < k for i in pair):
                    raise InvalidDatasetError(f"skeleton pairs must name keypoints 0..{k - 1}, got {list(pair)}")
        elif self.kpt_shape is not None or self.flip_idx is not None:
            raise InvalidDatasetError(f"kpt_shape and flip_idx belong to pose datasets, not {self.name}")

    @property
    def shape(self) -> Shape:
        from ydc_cli.domain.shapes import for_task

        return for_task(self.name)

    @property
    def title(self) -> str:
        return TITLES[self.name]

    @property
    def model_yaml(self) -> str:
        return MODEL_YAML[self.name]

    def skeleton_pairs(self) -> tuple[tuple[int, int], ...]:
        if self.skeleton is not None:
            return self.skeleton
        return COCO_SKELETON if self.kpt_shape is not None and self.kpt_shape[0] == 17 else ()

    def yaml_keys(self) -> dict[str, Any]:
        """What data.yaml says of the task: nothing for detect."""
        if self.name == "detect":
            return {}
        keys: dict[str, Any] = {"task": self.name}
        if self.kpt_shape is not None:
            keys["kpt_shape"] = list(self.kpt_shape)
        if self.flip_idx is not None:
            keys["flip_idx"] = list(self.flip_idx)
        if self.skeleton is not None:
            keys["skeleton"] = [list(pair) for pair in self.skeleton]
        return keys

    def describe(self) -> str:
        if self.kpt_shape is None:
            return self.name
        return f"{self.name} (kpt_shape [{self.kpt_shape[0]}, {self.kpt_shape[1]}])"


DETECT = Task()
YAML_KEYS = ("task", "kpt_shape", "flip_idx", "skeleton")


def make(name: str = "detect", kpt_shape: object = None, flip_idx: object = None, skeleton: object = None,
         source: str = "") -> Task:
    """A task from loose values (a data.yaml's, a database row's, the command line's), checked."""
    where = f" ({source})" if source else ""
    try:
        shape = None if kpt_shape is None else tuple(_integers(kpt_shape, "kpt_shape"))
        if shape is not None and len(shape) != 2:
            raise InvalidDatasetError(f"kpt_shape must be [K, 2 or 3], got {list(shape)}")
        flips = None if flip_idx is None else tuple(_integers(flip_idx, "flip_idx"))
        pairs = None if skeleton is None else tuple(
            tuple(_integers(p, "skeleton")) for p in _items(skeleton, "skeleton"))
        if name == "detect" and shape is not None:
            name = "pose"
        return Task(str(name), shape, flips, pairs)  # type: ignore[arg-type]
    except InvalidDatasetError as exc:
        raise InvalidDatasetError(f"{exc}{where}") from None


def from_yaml(data: object, source: str = "data.yaml") -> Task | None:
    """The task a data.yaml names (``task``, else pose by ``kpt_shape``); None when it says nothing."""
    if not isinstance(data, dict):
        return None
    name = data.get("task")
    if name is None and data.get("kpt_shape") is None:
        return None
    if name is not None and name not in TASKS:
        raise InvalidDatasetError(f"data.yaml names an unknown task {name!r}: use one of {', '.join(TASKS)} "
                                  f"({source})")
    return make(name or "pose", data.get("kpt_shape"), data.get("flip_idx"), data.get("skeleton"), source)


def _items(value: object, key: str) -> list:
    if isinstance(value, (list, tuple)):
        return list(value)
    raise InvalidDatasetError(f"{key} must be a list, got {value!r}")


def _integers(value: object, key: str) -> list[int]:
    items = _items(value, key)
    if not all(isinstance(v, int) and not isinstance(v, bool) for v in items):
        raise InvalidDatasetError(f"{key} must be a list of integers, got {value!r}")
    return items


class TaskGuess:
    """Works out a dataset's task from the column counts of its label lines.

    5 columns is a box; 7, 11, 13... a polygon; 9 an oriented box or a four-point
    polygon, decided by the rest (any other polygon length makes it segment, else obb).
    With a ``kpt_shape`` the task is pose. Lines of two kinds are refused, naming the
    first line of the second kind.
    """

    def __init__(self, kpt_shape: tuple[int, int] | None = None) -> None:
        self.kpt_shape = kpt_shape
        self.kind: str | None = None  # box, nine, polygon
        self.first: tuple[str, int] | None = None
        self.decided = kpt_shape is not None

    def add(self, columns: int, source: str, line: int) -> bool:
        """Take one line's column count; True once the task is certain."""
        if self.decided:
            return True
        kind = {5: "box", 9: "nine"}.get(columns, "polygon" if columns >= 7 and columns % 2 else None)
        if kind is None:
            raise InvalidLabelError(
                f"a label line has {columns} columns: 5 (detect), 7, 9, 11... (segment or obb) or a pose layout "
                "with kpt_shape in data.yaml", source=source, line=line)
        if self.kind is None:
            self.kind, self.first = kind, (source, line)
        elif kind != self.kind and {kind, self.kind} != {"nine", "polygon"}:
            first = f"{self.first[0]}:{self.first[1]}" if self.first else ""
            raise InvalidLabelError(
                f"the labels mix kinds: this line is a {_KIND_TEXT[kind]}, {first} a {_KIND_TEXT[self.kind]}",
                source=source, line=line)
        elif kind == "polygon":
            self.kind = "polygon"
        self.decided = self.kind in ("box", "polygon")
        return self.decided

    def task(self, kpt_shape: tuple[int, int] | None = None, flip_idx: object = None) -> Task:
        if self.kpt_shape is not None:
            return make("pose", self.kpt_shape, flip_idx)
        return Task({"box": "detect", "nine": "obb", "polygon": "segment", None: "detect"}[self.kind])


_KIND_TEXT = {"box": "box (5 columns)", "nine": "polygon or oriented box", "polygon": "polygon"}


def guess(texts, data_task: Task | None = None, kpt_shape: tuple[int, int] | None = None) -> Task:
    """The task of label files ``(source, text)`` (read lazily, only until it is certain).

    A task data.yaml names wins (``data_task``); else ``TaskGuess`` decides from the lines.
    """
    if data_task is not None:
        return data_task
    guess = TaskGuess(kpt_shape)
    for source, text in texts:
        for number, line in enumerate(text.splitlines(), start=1):
            columns = len(line.split())
            if columns and guess.add(columns, source, number):
                return guess.task()
    return guess.task()
