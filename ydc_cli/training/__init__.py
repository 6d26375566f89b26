"""The trainer interface: what ydc needs from a detection framework.

``services`` talks to ``Trainer``, ``Predictor`` and ``Validator``; the
ultralytics adapter in ``ultralytics_adapter`` implements them and is the only
module that imports ultralytics (inside its methods, so start-up never pays for
torch). Loading weights that the framework cannot load raises
``InvalidCheckpointError``, whatever the framework itself raised.

Every task is scored on its boxes; segment is also scored on its masks and
pose on its keypoints. ``task_scores`` names those scores the same way
everywhere (``box_map50``, ``mask_map50_95``, ``pose_map50``...), from the
metric keys ultralytics logs (``metrics/mAP50(B)``, ``(M)`` masks, ``(P)`` pose).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

# what each task is scored on besides its boxes, and the suffix of ultralytics' metric keys for it
SCORED = {"detect": ("box",), "obb": ("box",), "segment": ("box", "mask"), "pose": ("box", "pose")}
SUFFIX = {"box": "B", "mask": "M", "pose": "P"}
MEASURES = {"precision": "precision", "recall": "recall", "map50": "mAP50", "map50_95": "mAP50-95"}


def metric_key(kind: str, measure: str) -> str:
    """ultralytics' name for a measure of a kind: ``metric_key("mask", "map50")`` is ``metrics/mAP50(M)``."""
    return f"metrics/{MEASURES[measure]}({SUFFIX[kind]})"


def task_scores(metrics: dict[str, float], task: str, measures: Sequence[str] = ("map50", "map50_95")
                ) -> dict[str, float]:
    """The task's scores among ultralytics' metrics, as ``<kind>_<measure>``: box for all, mask, pose."""
    scores = {}
    for kind in SCORED.get(task, ("box",)):
        for measure in measures:
            value = metrics.get(metric_key(kind, measure))
            if value is not None:
                scores[f"{kind}_{measure}"] = float(value)
    return scores


@dataclass
class EpochReport:
    """One finished epoch: its number (1-based), losses and validation metrics."""

    epoch: int
    epochs: int
    losses: dict[str, float]
    metrics: dict[str, float]

    @property
    def map50(self) -> float | None:
        return self.metrics.get("metrics/mAP50(B)")


@dataclass
class TrainRequest:
    """Everything a training run needs.

    ``device`` may be ``auto`` (the first GPU the framework sees, else the CPU);
    with ``resume``, ``model`` is the run's last checkpoint and the run continues
    in ``project_dir / run_name`` with the epochs it was started with.
    """

    data_yaml: Path
    model: str
    epochs: int = 10
    imgsz: int = 640
    batch: int = 16
    device: str = "cpu"
    patience: int = 100
    project_dir: Path = Path("runs")
    run_name: str = "train"
    verbose: bool = False
    resume: bool = False
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class TrainResult:
    """Where the best weights are and how the run went.

    ``history`` holds every epoch of the run, those before a resume included;
    ``resumed_after`` is how many of them an earlier process had done (0 for a
    fresh run); ``config`` names the device actually used. ``metrics`` are
    those of the best weights (ultralytics' final validation of them, else the
    epoch with the best box mAP50), ``task`` what the model does.
    """

    best_weights: Path
    epochs_completed: int
    best_map50: float | None
    history: list[EpochReport]
    config: dict[str, Any]
    resumed_after: int = 0
    metrics: dict[str, float] = field(default_factory=dict)
    task: str = "detect"


@dataclass
class Prediction:
    """One shape predicted on an image: a model class id, its box in YOLO coordinates, a confidence.

    ``points`` is None for a detection; else the shape as a label line of the
    task holds it, normalised and flat: a mask's outline (segment), an oriented
    box's four corners (obb), or each keypoint's ``x y`` and, for a model whose
    keypoints carry one, its visibility 2 (seen) or 0 (not) (pose).
    """

    class_id: int
    x: float
    y: float
    width: float
    height: float
    confidence: float
    points: tuple[float, ...] | None = None


@dataclass
class ClassMetrics:
    """Validation metrics of one class; the four scores are None when the split has none of it."""

    class_id: int
    name: str
    images: int
    instances: int
    precision: float | None
    recall: float | None
    map50: float | None
    map50_95: float | None
    scores: dict[str, float | None] = field(default_factory=dict)  # mask or pose scores (``task_scores``' names)


@dataclass
class ValidationResult:
    """Metrics over a split, overall (means over the classes present) and per class.

    The four named scores are the boxes'; ``scores`` adds the masks' (segment)
    or the keypoints' (pose) precision, recall, mAP50 and mAP50-95, named
    ``mask_map50``, ``pose_recall``... (none for detect and obb).
    """

    precision: float
    recall: float
    map50: float
    map50_95: float
    instances: int
    classes: list[ClassMetrics]
    task: str = "detect"
    scores: dict[str, float] = field(default_factory=dict)


class Trainer(ABC):
    """Trains a detector on a YOLO folder."""

    @abstractmethod
    def train(self, request: TrainRequest, on_epoch: Callable[[EpochReport], None] | None = None) -> TrainResult:
        """Run the training.

        Raises:
            TrainingUnavailable: the framework is missing.
            InvalidCheckpointError: ``request.model`` cannot be loaded.
        """

    @abstractmethod
    def epochs_done(self, run_dir: Path) -> int:
        """How many epochs the run in ``run_dir`` has logged (0 when none); reads no weights."""


class Predictor(ABC):
    """Runs a trained model on decoded images; ``task`` is what it predicts (pose: ``kpt_shape`` keypoints)."""

    names: dict[int, str]
    task: str = "detect"
    kpt_shape: tuple[int, int] | None = None

    @abstractmethod
    def predict(self, images: Sequence[Any], conf: float) -> list[list[Prediction]]:
        """Shapes of the model's task for each image (BGR, HWC arrays), at or above ``conf``."""


class Validator(ABC):
    """Measures a trained model on one split of a YOLO folder of its task."""

    names: dict[int, str]
    task: str = "detect"

    @abstractmethod
    def validate(self, data_yaml: Path, split: str, imgsz: int | None = None, batch: int = 16,
                 device: str = "auto") -> ValidationResult:
        """Metrics on ``split`` of the data.yaml; ``imgsz`` None means the size the model was trained at."""
