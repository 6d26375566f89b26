"""Labelling images with a registered model's predictions.

Predicted classes are matched to the dataset's classes by name, so a model
trained on another class order (or a YOLO-World model prompted with the
dataset's prompts) labels correctly; boxes of classes the dataset lacks are
counted and left out. All labels are written in one apply_changes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from ydc_cli.domain.errors import NotFoundError
from ydc_cli.persistence import Annotation, DatasetChanges, Stores
from ydc_cli.training import Predictor

BATCH = 16


@dataclass
class AutoLabelReport:
    """What the model labelled, and what it was not asked to or could not."""

    model: str
    images: int = 0
    labeled: int = 0
    boxes: int = 0
    kept_existing: int = 0
    without_boxes: int = 0
    unknown_class_boxes: int = 0
    written: bool = False


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
    only_unlabeled: bool = False,
    dry_run: bool = False,
    on_image: Callable[[int], None] | None = None,
) -> AutoLabelReport:
    """Predict boxes for the dataset's images (or one split) and store them as labels."""
    import cv2
    import numpy as np

    info = await stores.dataset.get(dataset)
    if info is None:
        raise NotFoundError(f"no such dataset ({dataset})")
    model = await stores.model.get(model_name) if model_name else await stores.model.get_active()
    if model is None:
        raise NotFoundError(f"no such model ({model_name})" if model_name else
                            "no active model: pass --model NAME or run `ydc models activate NAME`")
    texts, owners = world_prompts(info.classes, await stores.dataset.get_prompts(dataset))
    predictor = make_predictor(await stores.model.load(model.name), texts)
    if getattr(predictor, "is_world", False):
        to_dataset = dict(enumerate(owners))
    else:
        to_dataset = {i: info.classes.index(n) for i, n in predictor.names.items() if n in info.classes}
    report = AutoLabelReport(model.name)
    labels: dict[tuple[str, str], list[Annotation]] = {}
    pending: list[tuple[str, str, object]] = []

    def flush() -> None:
        results = predictor.predict([image for _, _, image in pending], conf)
        for (image_split, filename, _), predictions in zip(pending, results, strict=True):
            boxes = []
            for p in predictions:
                if p.class_id not in to_dataset:
                    report.unknown_class_boxes += 1
                    continue
                boxes.append(Annotation(to_dataset[p.class_id], *_clip(p.x, p.y, p.width, p.height)))
            boxes = [b for b in boxes if b.width > 0 and b.height > 0]
            if not boxes:
                report.without_boxes += 1  # nothing found is not proof of a background: leave it
                continue
            labels[(image_split, filename)] = boxes
            report.boxes += len(boxes)
            report.labeled += 1
        pending.clear()

    async for sample in stores.dataset.iter_samples(dataset, split):
        if only_unlabeled and sample.annotations is not None:
            report.kept_existing += 1
            continue
        image = cv2.imdecode(np.frombuffer(sample.data, dtype=np.uint8), cv2.IMREAD_COLOR)
        if image is None:
            continue
        report.images += 1
        pending.append((sample.split, sample.filename, image))
        if len(pending) == BATCH:
            flush()
        if on_image:
            on_image(1)
    if pending:
        flush()
    if labels and not dry_run:
        await stores.dataset.apply_changes(dataset, DatasetChanges(labels=labels))
        report.written = True
    return report


def _clip(x: float, y: float, w: float, h: float) -> tuple[float, float, float, float]:
    x1, y1 = max(0.0, x - w / 2), max(0.0, y - h / 2)
    x2, y2 = min(1.0, x + w / 2), min(1.0, y + h / 2)
    return (round((x1 + x2) / 2, 6), round((y1 + y2) / 2, 6), round(max(0.0, x2 - x1), 6),
            round(max(0.0, y2 - y1), 6))
