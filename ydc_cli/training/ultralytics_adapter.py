"""ultralytics behind ydc's trainer interface. ultralytics is imported only inside methods."""

from __future__ import annotations

import contextlib
import logging
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

from ydc_cli.domain.errors import InvalidCheckpointError, NotFoundError, YdcError
from ydc_cli.persistence import faults
from ydc_cli.training import (
    MEASURES,
    ClassMetrics,
    EpochReport,
    Prediction,
    Predictor,
    Trainer,
    TrainRequest,
    TrainResult,
    ValidationResult,
    Validator,
)

VISIBLE = 0.5  # a predicted keypoint at or above this confidence is labelled visible (2), else not labelled (0)


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


def resolve_device(device: str) -> str:
    """``auto`` becomes the first GPU torch sees (``0``), else ``cpu``; anything else is passed through."""
    if device.strip().lower() != "auto":
        return device
    import torch

    return "0" if torch.cuda.is_available() else "cpu"


def load_model(ultralytics: Any, source: str) -> Any:
    """``ultralytics.YOLO(source)``, with whatever it raises on a bad file turned into one ydc error.

    Raises:
        NotFoundError: the file does not exist.
        InvalidCheckpointError: it exists but cannot be loaded (a corrupt file, a pickle that is not a model).
    """
    try:
        with stdout_to_stderr():
            return ultralytics.YOLO(source)
    except FileNotFoundError as exc:
        raise NotFoundError(f"model not found ({source})") from exc
    except Exception as exc:
        reason = (str(exc).strip().splitlines() or [""])[0].split("  (Could this error message")[0][:160]
        raise InvalidCheckpointError(
            f"cannot load the model: {type(exc).__name__}{': ' + reason if reason else ''} ({source})") from exc


def _report(row: dict[str, str], epochs: int) -> EpochReport | None:
    """An epoch of ultralytics' results.csv as an EpochReport (None for a row that is not one)."""
    try:
        values = {k.strip(): float(v) for k, v in row.items() if k and v not in (None, "")}
        number = int(values.pop("epoch"))
    except (KeyError, ValueError):
        return None
    losses = {k.removeprefix("train/"): v for k, v in values.items() if k.startswith("train/")}
    metrics = {k: v for k, v in values.items() if k.startswith(("metrics/", "val/"))}
    return EpochReport(number, epochs, losses, metrics)


def read_history(run_dir: Path, epochs: int, up_to: int) -> list[EpochReport]:
    """The epochs 1..``up_to`` that ultralytics logged in the run's results.csv.

    A row is written just before the checkpoint of its epoch, and a resumed run
    appends again from where its checkpoint stood, so an epoch may appear twice:
    the later row wins, and rows past the checkpoint are left out.
    """
    import csv

    by_epoch: dict[int, EpochReport] = {}
    try:
        with open(run_dir / "results.csv", newline="", encoding="utf-8") as file:
            for row in csv.DictReader(file):
                report = _report(row, epochs)
                if report is not None and 1 <= report.epoch <= up_to:
                    by_epoch[report.epoch] = report
    except FileNotFoundError:
        return []
    return [by_epoch[n] for n in sorted(by_epoch)]


class UltralyticsTrainer(Trainer):
    """Trains with ``ultralytics.YOLO(...).train``; offline-safe settings (no AMP check, no plots).

    A resumed run continues from its ``last.pt`` with ``train(resume=True)``:
    ultralytics then keeps the checkpoint's own arguments (epochs, imgsz, model)
    and takes only the data.yaml, device, batch, patience and folder given here.
    A checkpoint whose training already ended (killed after its last epoch was
    saved) is not trained again: its best weights are returned as they are.
    """

    def train(self, request: TrainRequest, on_epoch: Callable[[EpochReport], None] | None = None) -> TrainResult:
        ultralytics = _import_ultralytics(request.verbose)
        device = resolve_device(request.device)
        model = load_model(ultralytics, request.model)
        run_dir = Path(request.project_dir) / request.run_name
        config = {
            "data": str(request.data_yaml), "epochs": request.epochs, "imgsz": request.imgsz,
            "batch": request.batch, "device": device, "patience": request.patience,
            "project": str(request.project_dir), "name": request.run_name, "exist_ok": True,
            "amp": False, "plots": False, "verbose": request.verbose, "workers": 0, **request.extra,
        }
        history: list[EpochReport] = []
        if request.resume:
            checkpoint = getattr(model, "ckpt", None) or {}
            saved = int(checkpoint.get("epoch", -1)) + 1  # epochs in the checkpoint; 0 once training ended
            ended = saved == 0 or checkpoint.get("optimizer") is None or saved >= request.epochs
            history = read_history(run_dir, request.epochs, request.epochs if ended else saved)
            if ended:
                return self._ended(ultralytics, run_dir, history, config, str(model.task))
            arguments = {"resume": True, "data": str(request.data_yaml), "device": device, "batch": request.batch,
                         "patience": request.patience, "workers": 0, "plots": False, "save_dir": str(run_dir)}
        else:
            arguments = config
        resumed_after = len(history)

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
            faults.point("epoch-end")

        model.add_callback("on_fit_epoch_end", epoch_end)
        with stdout_to_stderr(request.verbose):
            model.train(**arguments)
        trainer = model.trainer
        best = Path(trainer.best) if Path(trainer.best).is_file() else Path(trainer.last)
        # after training, the trainer's metrics are its final validation of best.pt
        final = {k: float(v) for k, v in (trainer.metrics or {}).items() if k.startswith("metrics/")}
        return _result(best, history, config, resumed_after, final, str(model.task))

    def epochs_done(self, run_dir: Path) -> int:
        return len(read_history(Path(run_dir), 0, 1 << 30))

    @staticmethod
    def _ended(ultralytics: Any, run_dir: Path, history: list[EpochReport], config: dict[str, Any],
               task: str) -> TrainResult:
        best = run_dir / "weights" / "best.pt"
        if not best.is_file():
            best = run_dir / "weights" / "last.pt"
        from ultralytics.utils.torch_utils import strip_optimizer

        with stdout_to_stderr():
            strip_optimizer(best)  # what ultralytics' final step does; a no-op on a stripped file
        return _result(best, history, config, len(history), {}, task)


def _result(best: Path, history: list[EpochReport], config: dict[str, Any], resumed_after: int,
            final: dict[str, float], task: str) -> TrainResult:
    """The run's result; without a final validation, the metrics are those of the epoch with the best box mAP50."""
    scored = [h for h in history if h.map50 is not None]
    best_map50 = max(h.map50 for h in scored) if scored else None
    if not final and scored:
        final = max(reversed(scored), key=lambda h: h.map50).metrics
    metrics = {k: v for k, v in final.items() if k.startswith("metrics/")}
    return TrainResult(best, len(history), best_map50, history, config, resumed_after, metrics, task)


class UltralyticsPredictor(Predictor):
    """Predicts with a registered model's weights; YOLO-World models take the classes given.

    Shapes come as ultralytics' results give them: a mask's outline
    (``masks.xyn``), an oriented box's corners (``obb.xyxyxyxyn``), keypoints
    (``keypoints.xyn``, and from ``keypoints.conf`` a visibility of 2 at or
    above ``VISIBLE``, else 0 with the point at 0 0, as COCO writes an
    unlabelled keypoint).
    """

    def __init__(self, weights: Path, world_classes: list[str] | None = None) -> None:
        ultralytics = _import_ultralytics(False)
        self.model = load_model(ultralytics, str(weights))
        self.is_world = "world" in type(self.model.model).__name__.lower()
        if self.is_world and world_classes:
            self.model.set_classes(world_classes)
        self.names = dict(self.model.names)
        self.task = str(self.model.task)
        shape = getattr(self.model.model, "kpt_shape", None) if self.task == "pose" else None
        self.kpt_shape = (int(shape[0]), int(shape[1])) if shape is not None else None

    def predict(self, images: Sequence[Any], conf: float) -> list[list[Prediction]]:
        with stdout_to_stderr():
            results = self.model.predict(list(images), conf=conf, verbose=False)
        return [self._shapes(result) for result in results]

    def _shapes(self, result: Any) -> list[Prediction]:
        if self.task == "obb":
            obb = result.obb
            if obb is None:
                return []
            rows = zip(obb.cls.tolist(), obb.xyxyxyxyn.reshape(-1, 8).tolist(), obb.conf.tolist(), strict=True)
            return [Prediction(int(c), *_extent(corners), float(p), tuple(corners)) for c, corners, p in rows]
        boxes = result.boxes
        rows = list(zip(boxes.cls.tolist(), boxes.xywhn.tolist(), boxes.conf.tolist(), strict=True))
        if self.task == "segment":
            outlines = result.masks.xyn if result.masks is not None else [()] * len(rows)
            return [Prediction(int(c), *xywh, float(p), tuple(float(v) for v in outline.reshape(-1)))
                    for (c, xywh, p), outline in zip(rows, outlines, strict=True)]
        if self.task == "pose" and result.keypoints is not None:
            points = result.keypoints.xyn.tolist()
            confs = result.keypoints.conf.tolist() if result.keypoints.conf is not None else None
            dim = self.kpt_shape[1] if self.kpt_shape else 2
            return [Prediction(int(c), *xywh, float(p), _keypoints(points[i], confs[i] if confs else None, dim))
                    for i, (c, xywh, p) in enumerate(rows)]
        return [Prediction(int(c), *xywh, float(p)) for c, xywh, p in rows]


def _extent(points: Sequence[float]) -> tuple[float, float, float, float]:
    xs, ys = points[0::2], points[1::2]
    return (min(xs) + max(xs)) / 2, (min(ys) + max(ys)) / 2, max(xs) - min(xs), max(ys) - min(ys)


def _keypoints(points: Sequence[Sequence[float]], confs: Sequence[float] | None, dim: int) -> tuple[float, ...]:
    """One object's keypoints as a pose label holds them: ``x y`` each, or ``x y v`` with ``dim`` 3."""
    flat: list[float] = []
    for index, (x, y) in enumerate(points):
        if dim == 3:
            visible = confs is None or confs[index] >= VISIBLE
            flat += [float(x), float(y), 2.0] if visible else [0.0, 0.0, 0.0]
        else:
            flat += [float(x), float(y)]
    return tuple(flat)


class UltralyticsValidator(Validator):
    """``YOLO(weights).val`` on one split; its scratch folder is a temporary one, removed afterwards."""

    def __init__(self, weights: Path) -> None:
        ultralytics = _import_ultralytics(False)
        self.model = load_model(ultralytics, str(weights))
        self.names = dict(self.model.names)
        self.task = str(self.model.task)

    def validate(self, data_yaml: Path, split: str, imgsz: int | None = None, batch: int = 16,
                 device: str = "auto") -> ValidationResult:
        import tempfile

        arguments = {"data": str(data_yaml), "split": split, "batch": batch, "device": resolve_device(device),
                     "plots": False, "workers": 0, "verbose": False, "save_json": False, "exist_ok": True}
        if imgsz:
            arguments["imgsz"] = imgsz
        with tempfile.TemporaryDirectory(prefix="ydc-val-") as scratch, stdout_to_stderr():
            metrics = self.model.val(project=scratch, name="val", **arguments)
        box = metrics.box
        precision, recall, map50, map50_95 = (float(v) for v in box.mean_results())
        kind, other = {"segment": ("mask", getattr(metrics, "seg", None)),
                       "pose": ("pose", getattr(metrics, "pose", None))}.get(self.task, ("", None))
        index = {int(c): i for i, c in enumerate(box.ap_class_index)}
        per_class = metrics.nt_per_class if metrics.nt_per_class is not None else []
        per_image = metrics.nt_per_image if metrics.nt_per_image is not None else []
        classes = []
        for class_id, name in sorted(self.names.items()):
            found = class_id in index
            scores = tuple(float(v) for v in box.class_result(index[class_id])) if found else (None,) * 4
            extra = _named(kind, other.class_result(index[class_id]) if found else (None,) * 4) if other else {}
            classes.append(ClassMetrics(
                class_id, str(name), int(per_image[class_id]) if class_id < len(per_image) else 0,
                int(per_class[class_id]) if class_id < len(per_class) else 0, *scores, extra))
        overall = _named(kind, other.mean_results()) if other else {}
        return ValidationResult(precision, recall, map50, map50_95, sum(c.instances for c in classes), classes,
                                self.task, overall)


def _named(kind: str, values: Sequence[Any]) -> dict[str, Any]:
    """ultralytics' four scores (precision, recall, mAP50, mAP50-95) of masks or keypoints by ``task_scores``' names."""
    return {f"{kind}_{measure}": None if value is None else float(value)
            for measure, value in zip(MEASURES, values, strict=True)}
