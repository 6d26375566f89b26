"""The trainer interface: what ydc needs from a detection framework.

``services`` talks to ``Trainer`` and ``Predictor``; the ultralytics adapter in
``ultralytics_adapter`` implements them and is the only module that imports
ultralytics (inside its methods, so start-up never pays for torch).
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
    """Everything a training run needs."""

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
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class TrainResult:
    """Where the best weights are and how the run went."""

    best_weights: Path
    epochs_completed: int
    best_map50: float | None
    history: list[EpochReport]
    config: dict[str, Any]


@dataclass
class Prediction:
    """One box predicted on an image: a model class id, YOLO coordinates, a confidence."""

    class_id: int
    x: float
    y: float
    width: float
    height: float
    confidence: float


class Trainer(ABC):
    """Trains a detector on a YOLO folder."""

    @abstractmethod
    def train(self, request: TrainRequest, on_epoch: Callable[[EpochReport], None] | None = None) -> TrainResult:
        """Run the training; raises TrainingUnavailable when the framework is missing."""


class Predictor(ABC):
    """Runs a trained detector on decoded images."""

    names: dict[int, str]

    @abstractmethod
    def predict(self, images: Sequence[Any], conf: float) -> list[list[Prediction]]:
        """Boxes for each image (BGR, HWC arrays), at or above ``conf``."""
