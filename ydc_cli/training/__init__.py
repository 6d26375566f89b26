"""The trainer interface: what ydc needs from a detection framework.

``services`` talks to ``Trainer``, ``Predictor`` and ``Validator``; the
ultralytics adapter in ``ultralytics_adapter`` implements them and is the only
module that imports ultralytics (inside its methods, so start-up never pays for
torch). Loading weights that the framework cannot load raises
``InvalidCheckpointError``, whatever the framework itself raised.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


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
    fresh run); ``config`` names the device actually used.
    """

    best_weights: Path
    epochs_completed: int
    best_map50: float | None
    history: list[EpochReport]
    config: dict[str, Any]
    resumed_after: int = 0


@dataclass
class Prediction:
    """One box predicted on an image: a model class id, YOLO coordinates, a confidence."""

    class_id: int
    x: float
    y: float
    width: float
    height: float
    confidence: float


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


@dataclass
class ValidationResult:
    """Detection metrics over a split, overall (means over the classes present) and per class."""

    precision: float
    recall: float
    map50: float
    map50_95: float
    instances: int
    classes: list[ClassMetrics]


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
    """Runs a trained detector on decoded images."""

    names: dict[int, str]

    @abstractmethod
    def predict(self, images: Sequence[Any], conf: float) -> list[list[Prediction]]:
        """Boxes for each image (BGR, HWC arrays), at or above ``conf``."""


class Validator(ABC):
    """Measures a trained detector on one split of a YOLO folder."""

    names: dict[int, str]

    @abstractmethod
    def validate(self, data_yaml: Path, split: str, imgsz: int | None = None, batch: int = 16,
                 device: str = "auto") -> ValidationResult:
        """Metrics on ``split`` of the data.yaml; ``imgsz`` None means the size the model was trained at."""
