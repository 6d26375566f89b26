"""Labelling images with a registered model's predictions.

Human labels are kept: by default only images without a label file are
labelled (an empty label file is a background someone chose, and stays);
``overwrite`` replaces the labels of labelled images too, where the model finds
a box (an image it finds nothing on keeps what it had). Predicted classes are
matched to the dataset's classes by name, so a model trained on another class
order (or a YOLO-World model prompted with the dataset's prompts) labels
correctly; boxes of classes the dataset lacks are counted and left out. Boxes
are clipped to the image and rounded to the 6 decimals a label line keeps, and
rows that are then identical are written once. All labels are written in one
apply_changes; a dry run or a preview writes nothing to the store.

The model must do the dataset's task (a pose model, the dataset's keypoint
layout); it then labels with the task's shapes: a mask's outline as a polygon
(segment), an oriented box's corners (obb), or a box with its keypoints (pose),
each cut to the image by its shape's ``clip`` and checked as a label line is.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from ydc_cli.domain import datayaml
from ydc_cli.domain.errors import InvalidLabelError, NotFoundError
from ydc_cli.domain.labels import format_line
from ydc_cli.domain.shapes.base import Box
from ydc_cli.domain.tasks import Task
from ydc_cli.persistence import Annotation, DatasetChanges, ModelInfo, Stores
from ydc_cli.services.evaluation import check_task, model_task
from ydc_cli.training import Prediction, Predictor

BATCH = 16


@dataclass
class ImageBoxes:
    """How many boxes the model gave one image, and whether they replace labels it had."""

    split: str
    filename: str
    boxes: int
    replaces: bool = False


@dataclass
class AutoLabelReport:
    """What the model labelled, and what it was not asked to or could not."""

    model: str
    images: int = 0
    labeled: int = 0
    replaced: int = 0
    boxes: int = 0
    kept_existing: int = 0
    without_boxes: int = 0
    unknown_class_boxes: int = 0
    duplicate_boxes: int = 0
    written: bool = False
    preview_dir: Path | None = None
    per_image: list[ImageBoxes] = field(default_factory=list)


@dataclass
class AutoLabelPlan:
    """Which model would label, and how many of the images in scope already have labels."""

    model: str
    images: int
    labelled: int


async def _model_for(stores: Stores, model_name: str | None) -> ModelInfo:
    model = await stores.model.get(model_name) if model_name else await stores.model.get_active()
    if model is None:
        raise NotFoundError(f"no such model ({model_name})" if model_name else
                            "no active model: pass --model NAME or run `ydc models activate NAME`")
    return model


async def plan_auto_label(stores: Stores, dataset: str, model_name: str | None = None,
                          split: str | None = None) -> AutoLabelPlan:
    """Check the dataset, split and model, and count the images in scope and those with a label file.

    Raises:
        NotFoundError: no such dataset or model (or no active one).
        InvalidDatasetError: an unknown split.
        InvalidInputError: the model does another task than the dataset (when its record or checkpoint says).
    """
    if split is not None:
        datayaml.check_split(split)
    info = await stores.dataset.get(dataset)
    if info is None:
        raise NotFoundError(f"no such dataset ({dataset})")
    model = await _model_for(stores, model_name)
    found = await model_task(stores, model.name, await stores.model.get_training_record(model.name))
    if found is not None:
        check_task(found, info.task_spec(), model.name, dataset)
    rows = await stores.image.list_rows(dataset, split, sizes=False)
    return AutoLabelPlan(model.name, len(rows), sum(1 for row in rows if row.has_labels))


def world_prompts(classes: list[str], prompts: dict[int, list[str]]) -> tuple[list[str], list[int]]:
    """YOLO-World text classes from the dataset's prompts (the class name when it has none),
    and the dataset class each prompt stands for."""
    texts, owners = [], []
    for class_id, name in enumerate(classes):
        for text in prompts.get(class_id) or [name]:
            texts.append(text)
            owners.append(class_id)
    return texts, owners


async def auto_label(
    stores: Stores,
    dataset: str,
    make_predictor: Callable[..., Predictor],
    model_name: str | None = None,
    split: str | None = None,
    conf: float = 0.25,
    overwrite: bool = False,
    dry_run: bool = False,
    preview_dir: Path | None = None,
    on_image: Callable[[int], None] | None = None,
) -> AutoLabelReport:
    """Predict boxes for the dataset's images (or one split) and store them as labels.

    Only images without a label file are looked at unless ``overwrite``. With
    ``preview_dir`` each image looked at is drawn with its predicted boxes to
    ``<preview_dir>/<split>_<stem>.png`` and, as with ``dry_run``, nothing is
    written to the store.

    Raises:
        NotFoundError: no such dataset or model.
        InvalidInputError: the model does another task than the dataset, or (pose) another keypoint layout.
        InvalidCheckpointError: the model's weights cannot be loaded.
    """
    import cv2
    import numpy as np

    if split is not None:
        datayaml.check_split(split)
    info = await stores.dataset.get(dataset)
    if info is None:
        raise NotFoundError(f"no such dataset ({dataset})")
    model = await _model_for(stores, model_name)
    texts, owners = world_prompts(info.classes, await stores.dataset.get_prompts(dataset))
    predictor = make_predictor(await stores.model.load(model.name), texts)
    task = info.task_spec()
    check_task(predictor.task, task, model.name, dataset, predictor.kpt_shape)
    if getattr(predictor, "is_world", False):
        to_dataset = dict(enumerate(owners))
    else:
        to_dataset = {i: info.classes.index(n) for i, n in predictor.names.items() if n in info.classes}
    report = AutoLabelReport(model.name, preview_dir=preview_dir)
    labels: dict[tuple[str, str], list[Annotation]] = {}
    pending: list[tuple[str, str, object, bool]] = []
    taken: set[str] = set()
    if preview_dir is not None:
        preview_dir.mkdir(parents=True, exist_ok=True)

    def flush() -> None:
        results = predictor.predict([image for _, _, image, _ in pending], conf)
        for (image_split, filename, image, had_labels), predictions in zip(pending, results, strict=True):
            boxes = _shapes(predictions, to_dataset, report, task)
            report.per_image.append(ImageBoxes(image_split, filename, len(boxes), had_labels and bool(boxes)))
            if preview_dir is not None:
                _draw_preview(image, boxes, info.classes, task, preview_dir, f"{image_split}_{Path(filename).stem}",
                              taken)
            if not boxes:
                report.without_boxes += 1  # nothing found is not proof of a background: leave it
                continue
            labels[(image_split, filename)] = boxes
            report.boxes += len(boxes)
            report.labeled += 1
            report.replaced += had_labels
        pending.clear()

    async for sample in stores.dataset.iter_samples(dataset, split):
        had_labels = sample.annotations is not None
        if had_labels and not overwrite:
            report.kept_existing += 1
            continue
        image = cv2.imdecode(np.frombuffer(sample.data, dtype=np.uint8), cv2.IMREAD_COLOR)
        if image is None:
            continue
        report.images += 1
        pending.append((sample.split, sample.filename, image, had_labels))
        if len(pending) == BATCH:
            flush()
        if on_image:
            on_image(1)
    if pending:
        flush()
    if labels and not dry_run and preview_dir is None:
        await stores.dataset.apply_changes(dataset, DatasetChanges(labels=labels))
        report.written = True
    return report


def _shapes(predictions: Iterable[Prediction], to_dataset: dict[int, int], report: AutoLabelReport,
            task: Task) -> list[Annotation]:
    """Predictions as the dataset's shapes: known classes only, clipped, legal, each distinct row once."""
    boxes: list[Annotation] = []
    seen: set[str] = set()
    for p in predictions:
        if p.class_id not in to_dataset:
            report.unknown_class_boxes += 1
            continue
        if task.name == "detect":
            box = Annotation(to_dataset[p.class_id], *_clip(p.x, p.y, p.width, p.height))
            if box.width <= 0 or box.height <= 0:
                continue
        else:
            box = _shape(to_dataset[p.class_id], p, task)
            if box is None:
                continue
        row = format_line((box.class_id, box.x, box.y, box.width, box.height, box.points), task)
        if row in seen:
            report.duplicate_boxes += 1
            continue
        seen.add(row)
        boxes.append(box)
    return boxes


def _shape(class_id: int, prediction: Prediction, task: Task) -> Annotation | None:
    """A predicted shape cut to the image, rounded as a label line keeps it, and checked; None when
    nothing legal is left (a mask too small to outline, a box off the image)."""
    if not prediction.points:
        return None
    shape = task.shape
    box = shape.clip(Box(class_id, prediction.x, prediction.y, prediction.width, prediction.height,
                         tuple(prediction.points)), task)
    if box is None:
        return None
    box = box._replace(x=round(box.x, 6), y=round(box.y, 6), width=round(box.width, 6), height=round(box.height, 6),
                       points=tuple(round(v, 6) for v in box.points or ()))
    try:
        box = shape.check(box, task)
    except InvalidLabelError:
        return None
    if task.name != "pose" and shape.area(box) <= 0:
        return None
    return Annotation(box.class_id, box.x, box.y, box.width, box.height, box.points)


def _draw_preview(image, boxes: list[Annotation], classes: list[str], task: Task, folder: Path, stem: str,
                  taken: set[str]) -> None:
    from ydc_cli.persistence.fileio import atomic_write
    from ydc_cli.persistence.image_store import encode_image
    from ydc_cli.services.drawing import draw_boxes

    name, number = f"{stem}.png", 1
    while name.lower() in taken:
        number += 1
        name = f"{stem}-{number}.png"
    taken.add(name.lower())
    atomic_write(folder / name, encode_image(draw_boxes(image, boxes, classes, task=task), name))


def _clip(x: float, y: float, w: float, h: float) -> tuple[float, float, float, float]:
    x1, y1 = max(0.0, x - w / 2), max(0.0, y - h / 2)
    x2, y2 = min(1.0, x + w / 2), min(1.0, y + h / 2)
    return (round((x1 + x2) / 2, 6), round((y1 + y2) / 2, 6), round(max(0.0, x2 - x1), 6),
            round(max(0.0, y2 - y1), 6))
