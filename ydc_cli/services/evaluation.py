"""Checking and using registered models: metrics on a dataset split, predictions drawn on image files.

``validate_model`` measures a model on one split of a dataset of either
backend (through the data.yaml ``prepare_dataset`` gives ultralytics) and
appends the result to the model's record, so ``models show`` can tell how good
it is and on what. A model is measured on a dataset of its own task only, on
its boxes and, for segment and pose, on its masks or keypoints too.
``predict_files`` draws a model's shapes on image files into a folder and
writes nothing to the store.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ydc_cli.domain import datayaml, tasks
from ydc_cli.domain.checkpoint import checkpoint_task
from ydc_cli.domain.errors import InvalidImageError, InvalidInputError, NotFoundError
from ydc_cli.persistence import Annotation, ModelInfo, Stores
from ydc_cli.training import ClassMetrics, Predictor, Validator

BATCH = 16


@dataclass
class ModelValidation:
    """A model's metrics on one split of a dataset; the overall scores are means over the classes present.

    ``precision`` to ``map50_95`` score the boxes; ``scores`` holds the masks' (segment)
    or keypoints' (pose) four, as ``mask_map50``, ``pose_recall``...
    """

    model: str
    dataset: str
    split: str
    images: int
    instances: int
    precision: float
    recall: float
    map50: float
    map50_95: float
    classes: list[ClassMetrics]
    validated_at: float
    task: str = "detect"
    scores: dict[str, float] = field(default_factory=dict)


@dataclass
class PredictedBox:
    """One predicted shape with its class name, in YOLO coordinates (``points`` as ``Prediction``'s)."""

    class_id: int
    class_name: str
    x: float
    y: float
    width: float
    height: float
    confidence: float
    points: list[float] | None = field(default=None, metadata={"omit_none": True})


@dataclass
class ImagePrediction:
    """The shapes predicted on one image file and the PNG they were drawn on."""

    image: Path
    output: Path
    boxes: list[PredictedBox] = field(default_factory=list)
    task: str = "detect"


async def _model(stores: Stores, name: str) -> ModelInfo:
    info = await stores.model.get(name)
    if info is None:
        raise NotFoundError(f"no such model ({name})")
    return info


async def model_task(stores: Stores, name: str, record: dict[str, Any] | None = None) -> str | None:
    """What model ``name`` does: as its training recorded, else from its checkpoint (read, not unpickled).

    None when neither says (weights ultralytics would not know either).
    """
    recorded = (record or {}).get("task")
    if isinstance(recorded, str):
        return recorded
    path = await stores.model.load(name)
    try:
        with open(path, "rb") as file:
            return checkpoint_task(file, str(path))
    except (OSError, InvalidInputError):
        return None


def check_task(found: str, dataset_task: tasks.Task, model: str, dataset: str, kpt_shape=None) -> None:
    """Refuse a model of another task than the dataset's, or pose keypoints of another layout (exit 5)."""
    if found != dataset_task.name:
        raise InvalidInputError(f"model {model} is a {found} model but dataset {dataset} is a {dataset_task.name} "
                                f"dataset: use a {dataset_task.name} model (`ydc train run {dataset}` trains one) "
                                f"({model})")
    if found == "pose" and kpt_shape is not None and dataset_task.kpt_shape is not None \
            and tuple(kpt_shape) != tuple(dataset_task.kpt_shape):
        raise InvalidInputError(f"model {model} predicts keypoints of kpt_shape {list(kpt_shape)} but dataset "
                                f"{dataset} has kpt_shape {list(dataset_task.kpt_shape)} ({model})")


def model_classes(names: dict[int, str]) -> list[str]:
    """A framework's ``{id: name}`` mapping as the class list it stands for."""
    return [str(names[i]) for i in sorted(names)]


async def validate_model(
    stores: Stores,
    name: str,
    dataset: str,
    make_validator: Callable[[Path], Validator],
    work_dir: Path,
    split: str = "val",
    imgsz: int | None = None,
    batch: int = BATCH,
    device: str = "auto",
) -> ModelValidation:
    """Measure model ``name`` on ``split`` of ``dataset`` and record the result with the model.

    Raises:
        NotFoundError: no such model or dataset.
        InvalidInputError: the split is empty, the model does another task than the dataset, or its classes are
            not the dataset's (same names, same order).
        InvalidCheckpointError: the weights cannot be loaded.
    """
    datayaml.check_split(split)
    if batch < 1 or (imgsz is not None and imgsz < 32):
        raise InvalidInputError("--batch must be at least 1, and --imgsz at least 32")
    model = await _model(stores, name)
    info = await stores.dataset.get(dataset)
    if info is None:
        raise NotFoundError(f"no such dataset ({dataset})")
    validator = make_validator(await stores.model.load(name))
    check_task(validator.task, info.task_spec(), name, dataset)
    classes = model_classes(validator.names)
    if classes != info.classes:
        raise InvalidInputError(
            f"model {name} knows the classes {', '.join(classes) or '(none)'} but dataset {dataset} has "
            f"{', '.join(info.classes) or '(none)'}: its metrics there would mean nothing ({name})")
    if not info.num_images.get(split):
        raise InvalidInputError(f"the {split} split of {dataset} is empty ({dataset})")
    from ydc_cli.services.training import prepare_dataset

    data_yaml, _ = await prepare_dataset(stores, dataset, Path(work_dir) / "cache", required=(split,))
    result = validator.validate(data_yaml, split, imgsz, batch, device)
    validation = ModelValidation(model.name, dataset, split, info.num_images[split], result.instances,
                                 result.precision, result.recall, result.map50, result.map50_95, result.classes,
                                 time.time(), result.task, dict(result.scores))
    entry = {"dataset": dataset, "split": split, "task": result.task, "images": validation.images,
             "instances": validation.instances, "precision": validation.precision, "recall": validation.recall,
             "map50": validation.map50, "map50_95": validation.map50_95, "scores": validation.scores,
             "validated_at": validation.validated_at, "classes": [vars(c) for c in result.classes]}
    await stores.model.update_training_record(
        name, lambda record: {**record, "validations": [*record.get("validations", []), entry]})
    return validation


def _output_name(image: Path, taken: set[str]) -> str:
    """``<stem>.png``, or ``<stem>-2.png`` and on when two inputs share a stem."""
    candidate, number = f"{image.stem}.png", 1
    while candidate.lower() in taken:
        number += 1
        candidate = f"{image.stem}-{number}.png"
    taken.add(candidate.lower())
    return candidate


async def predict_files(
    stores: Stores,
    name: str,
    inputs: Iterable[str],
    output_dir: Path,
    make_predictor: Callable[..., Predictor],
    conf: float = 0.25,
    on_image: Callable[[int], None] | None = None,
) -> list[ImagePrediction]:
    """Predict with model ``name`` on image files (files, folders, globs) and draw the shapes into ``output_dir``.

    Each image becomes ``<output_dir>/<stem>.png``; the folder is created when
    missing. Shapes are drawn as the model's task draws them (a pose model's
    keypoints by its own ``kpt_shape``). Nothing is written to the store.

    Raises:
        NotFoundError: no such model, or an input matches no image.
        InvalidImageError: a file cannot be decoded as an image.
        InvalidCheckpointError: the weights cannot be loaded.
    """
    from ydc_cli.domain.imageformat import read_header
    from ydc_cli.persistence.fileio import atomic_write
    from ydc_cli.persistence.image_store import decode_image, encode_image
    from ydc_cli.services.drawing import draw_boxes
    from ydc_cli.services.images import collect_images

    if not 0.0 <= conf <= 1.0:
        raise InvalidInputError(f"--conf must be between 0 and 1, got {conf}")
    await _model(stores, name)
    images = collect_images(list(inputs))
    if not images:
        raise NotFoundError(f"no images found ({', '.join(inputs)})")
    predictor = make_predictor(await stores.model.load(name), None)
    classes = model_classes(predictor.names)
    task = _drawing_task(predictor)
    output_dir = Path(output_dir)
    output_dir.mkdir(parents=True, exist_ok=True)
    taken: set[str] = set()
    results: list[ImagePrediction] = []
    for start in range(0, len(images), BATCH):
        batch = []
        for path in images[start:start + BATCH]:
            data = path.read_bytes()
            try:
                read_header(data)  # a known format, bounded pixels, not truncated: before decoding
            except InvalidImageError as exc:
                raise InvalidImageError(f"{str(exc).rstrip('.')} ({path})") from None
            batch.append((path, decode_image(data, str(path))))
        for (path, image), predictions in zip(batch, predictor.predict([i for _, i in batch], conf), strict=True):
            boxes = [PredictedBox(p.class_id, classes[p.class_id] if p.class_id < len(classes) else str(p.class_id),
                                  round(p.x, 6), round(p.y, 6), round(p.width, 6), round(p.height, 6),
                                  round(p.confidence, 4), None if not p.points else [round(v, 6) for v in p.points])
                     for p in predictions]
            draw_boxes(image, [Annotation(b.class_id, b.x, b.y, b.width, b.height, b.points) for b in boxes],
                       classes, task=task)
            target = output_dir / _output_name(path, taken)
            atomic_write(target, encode_image(image, target.name))
            results.append(ImagePrediction(path, target, boxes, task.name))
            if on_image:
                on_image(1)
    return results


def _drawing_task(predictor: Predictor) -> tasks.Task:
    """The task a predictor's shapes are drawn as; a task ydc does not draw is drawn as its boxes."""
    if predictor.task == "pose" and predictor.kpt_shape is not None:
        return tasks.make("pose", list(predictor.kpt_shape))
    return tasks.make(predictor.task) if predictor.task in ("segment", "obb") else tasks.DETECT
