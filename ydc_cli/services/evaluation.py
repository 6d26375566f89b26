"""Checking and using registered models: metrics on a dataset split, predictions drawn on image files.

``validate_model`` measures a model on one split of a dataset of either
backend (through the data.yaml ``prepare_dataset`` gives ultralytics) and
appends the result to the model's record, so ``models show`` can tell how good
it is and on what. ``predict_files`` draws a model's boxes on image files into
a folder and writes nothing to the store.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from ydc_cli.domain import datayaml
from ydc_cli.domain.errors import InvalidImageError, InvalidInputError, NotFoundError
from ydc_cli.persistence import Annotation, ModelInfo, Stores
from ydc_cli.training import ClassMetrics, Predictor, Validator

BATCH = 16


@dataclass
class ModelValidation:
    """A model's metrics on one split of a dataset; the overall scores are means over the classes present."""

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


@dataclass
class PredictedBox:
    """One predicted box with its class name, in YOLO coordinates."""

    class_id: int
    class_name: str
    x: float
    y: float
    width: float
    height: float
    confidence: float


@dataclass
class ImagePrediction:
    """The boxes predicted on one image file and the PNG they were drawn on."""

    image: Path
    output: Path
    boxes: list[PredictedBox] = field(default_factory=list)


async def _model(stores: Stores, name: str) -> ModelInfo:
    info = await stores.model.get(name)
    if info is None:
        raise NotFoundError(f"no such model ({name})")
    return info


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
        InvalidInputError: the split is empty, or the model's classes are not the dataset's (same names, same order).
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
                                 time.time())
    entry = {"dataset": dataset, "split": split, "images": validation.images, "instances": validation.instances,
             "precision": validation.precision, "recall": validation.recall, "map50": validation.map50,
             "map50_95": validation.map50_95, "validated_at": validation.validated_at,
             "classes": [vars(c) for c in result.classes]}
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
    """Predict with model ``name`` on image files (files, folders, globs) and draw the boxes into ``output_dir``.

    Each image becomes ``<output_dir>/<stem>.png``; the folder is created when
    missing. Nothing is written to the store.

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
                                  round(p.confidence, 4)) for p in predictions]
            draw_boxes(image, [Annotation(b.class_id, b.x, b.y, b.width, b.height) for b in boxes], classes)
            target = output_dir / _output_name(path, taken)
            atomic_write(target, encode_image(image, target.name))
            results.append(ImagePrediction(path, target, boxes))
            if on_image:
                on_image(1)
    return results
