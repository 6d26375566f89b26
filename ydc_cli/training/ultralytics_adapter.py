"""ultralytics behind ydc's trainer interface. ultralytics is imported only inside methods."""

from __future__ import annotations

import contextlib
import logging
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

from ydc_cli.domain.errors import NotFoundError, YdcError
from ydc_cli.training import EpochReport, Prediction, Predictor, Trainer, TrainRequest, TrainResult


class TrainingUnavailable(YdcError):
    """ultralytics (the ``train`` extra) is not installed."""


def _import_ultralytics(verbose: bool) -> Any:
    os.environ.setdefault("YOLO_OFFLINE", "1")
    os.environ["YOLO_VERBOSE"] = "True" if verbose else "False"
    try:
        import ultralytics
    except ImportError as exc:
        raise TrainingUnavailable(
            "ultralytics is not installed: install the train extra (pip install 'ydc[train]')") from exc
    return ultralytics


@contextlib.contextmanager
def stdout_to_stderr(verbose: bool = False) -> Iterator[None]:
    """Keep ultralytics off stdout, which carries ydc's data only, and quiet unless ``verbose``.

    Its logger's handlers, Python's ``sys.stdout`` and file descriptor 1 (for
    what native code prints) all point at stderr for the duration.
    """
    logger = logging.getLogger("ultralytics")
    level = logger.level
    if not verbose:
        logger.setLevel(logging.ERROR)
    swapped = [(h, h.setStream(sys.stderr)) for h in logger.handlers
               if isinstance(h, logging.StreamHandler) and h.stream in (sys.stdout, sys.__stdout__)]
    sys.stdout.flush()
    saved = os.dup(1)
    try:
        os.dup2(2, 1)
        with contextlib.redirect_stdout(sys.stderr):
            yield
    finally:
        sys.stdout.flush()
        os.dup2(saved, 1)
        os.close(saved)
        for handler, stream in swapped:
            handler.setStream(stream)
        logger.setLevel(level)


class UltralyticsTrainer(Trainer):
    """Trains with ``ultralytics.YOLO(...).train``; offline-safe settings (no AMP check, no plots)."""

    def train(self, request: TrainRequest, on_epoch: Callable[[EpochReport], None] | None = None) -> TrainResult:
        ultralytics = _import_ultralytics(request.verbose)
        try:
            model = ultralytics.YOLO(request.model)
        except FileNotFoundError as exc:
            raise NotFoundError(f"model not found ({request.model})") from exc
        history: list[EpochReport] = []

        def epoch_end(trainer: Any) -> None:
            number = int(trainer.epoch) + 1
            if number > request.epochs or any(h.epoch == number for h in history):
                return  # the final validation of best.pt reports once more
            losses = {k.removeprefix("train/"): float(v)
                      for k, v in trainer.label_loss_items(trainer.tloss, prefix="train").items()}
            metrics = {k: float(v) for k, v in (trainer.metrics or {}).items()}
            report = EpochReport(number, request.epochs, losses, metrics)
            history.append(report)
            if on_epoch:
                on_epoch(report)

        model.add_callback("on_fit_epoch_end", epoch_end)
        config = {
            "data": str(request.data_yaml), "epochs": request.epochs, "imgsz": request.imgsz,
            "batch": request.batch, "device": request.device, "patience": request.patience,
            "project": str(request.project_dir), "name": request.run_name, "exist_ok": True,
            "amp": False, "plots": False, "verbose": request.verbose, "workers": 0, **request.extra,
        }
        with stdout_to_stderr(request.verbose):
            model.train(**config)
        trainer = model.trainer
        best = Path(trainer.best) if Path(trainer.best).is_file() else Path(trainer.last)
        map50s = [h.map50 for h in history if h.map50 is not None]
        return TrainResult(best, len(history), max(map50s) if map50s else None, history, config)


class UltralyticsPredictor(Predictor):
    """Predicts with a registered model's weights; YOLO-World models take the classes given."""

    def __init__(self, weights: Path, world_classes: list[str] | None = None) -> None:
        ultralytics = _import_ultralytics(False)
        self.model = ultralytics.YOLO(str(weights))
        self.is_world = "world" in type(self.model.model).__name__.lower()
        if self.is_world and world_classes:
            self.model.set_classes(world_classes)
        self.names = dict(self.model.names)

    def predict(self, images: Sequence[Any], conf: float) -> list[list[Prediction]]:
        with stdout_to_stderr():
            results = self.model.predict(list(images), conf=conf, verbose=False)
        out = []
        for result in results:
            boxes = result.boxes
            rows = zip(boxes.cls.tolist(), boxes.xywhn.tolist(), boxes.conf.tolist(), strict=True)
            out.append([Prediction(int(c), *xywh, float(p)) for c, xywh, p in rows])
        return out
