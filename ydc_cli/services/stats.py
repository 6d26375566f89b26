"""Dataset statistics, as numbers and as a picture.

Sizes are normalised to the image (``w``, ``h`` in 0..1); the box size is
``sqrt(w * h)`` and the aspect is ``w / h`` in those units, so no image has
to be read: the statistics come from the labels alone.
"""

from __future__ import annotations

import math
import statistics
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from ydc_cli.domain import datayaml
from ydc_cli.domain.errors import InvalidLabelError, NotFoundError
from ydc_cli.domain.labels import parse_line
from ydc_cli.persistence import Stores


@dataclass
class Distribution:
    """Quantiles of a list of numbers (all zero when it is empty)."""

    count: int = 0
    min: float = 0.0
    p25: float = 0.0
    median: float = 0.0
    p75: float = 0.0
    max: float = 0.0
    mean: float = 0.0

    @classmethod
    def of(cls, values: list[float]) -> Distribution:
        if not values:
            return cls()
        ordered = sorted(values)
        quartiles = statistics.quantiles(ordered, n=4, method="inclusive") if len(ordered) > 1 else [ordered[0]] * 3
        return cls(len(ordered), round(ordered[0], 6), round(quartiles[0], 6), round(quartiles[1], 6),
                   round(quartiles[2], 6), round(ordered[-1], 6), round(statistics.fmean(ordered), 6))


@dataclass
class DatasetStats:
    """What a person asks first about a detection dataset."""

    dataset: str
    classes: list[str]
    images: dict[str, int]
    labeled_images: int = 0
    backgrounds_missing_label: int = 0
    backgrounds_empty_label: int = 0
    instances: int = 0
    instances_per_class: dict[str, int] = field(default_factory=dict)
    images_per_class: dict[str, int] = field(default_factory=dict)
    boxes_per_image: Distribution = field(default_factory=Distribution)
    box_size: Distribution = field(default_factory=Distribution)
    box_width: Distribution = field(default_factory=Distribution)
    box_height: Distribution = field(default_factory=Distribution)
    aspect: Distribution = field(default_factory=Distribution)
    unreadable_lines: int = 0
    sizes: list[float] = field(default_factory=list, repr=False)
    aspects: list[float] = field(default_factory=list, repr=False)


async def dataset_stats(stores: Stores, name: str) -> DatasetStats:
    """Count images, classes and boxes; unreadable label lines are counted, not fatal."""
    info = await stores.dataset.get(name)
    if info is None:
        raise NotFoundError(f"no such dataset ({name})")
    stats = DatasetStats(name, info.classes, dict(info.num_images))
    images = await stores.image.list(name)
    stems_with_images = {(i.split, datayaml.label_name_for(i.filename)) for i in images}
    per_image: list[int] = []
    instances, with_class = Counter(), Counter()
    widths, heights = [], []
    seen = set()
    async for split, label, text in stores.dataset.iter_label_texts(name):
        if (split, label) not in stems_with_images:
            continue
        seen.add((split, label))
        boxes = []
        for line in text.splitlines():
            if not line.strip():
                continue
            try:
                boxes.append(parse_line(line))
            except InvalidLabelError:
                stats.unreadable_lines += 1
        per_image.append(len(boxes))
        if boxes:
            stats.labeled_images += 1
        else:
            stats.backgrounds_empty_label += 1
        for box in boxes:
            instances[box.class_id] += 1
            widths.append(box.width)
            heights.append(box.height)
            stats.sizes.append(math.sqrt(box.width * box.height))
            stats.aspects.append(box.width / box.height)
        for class_id in {b.class_id for b in boxes}:
            with_class[class_id] += 1
    stats.backgrounds_missing_label = len(stems_with_images - seen)
    per_image.extend([0] * stats.backgrounds_missing_label)

    def name_of(class_id: int) -> str:
        return info.classes[class_id] if class_id < len(info.classes) else f"#{class_id} (unknown)"

    stats.instances = sum(instances.values())
    ids = sorted(set(range(len(info.classes))) | set(instances))
    stats.instances_per_class = {name_of(i): instances[i] for i in ids}
    stats.images_per_class = {name_of(i): with_class[i] for i in ids}
    stats.boxes_per_image = Distribution.of([float(n) for n in per_image])
    stats.box_size = Distribution.of(stats.sizes)
    stats.box_width = Distribution.of(widths)
    stats.box_height = Distribution.of(heights)
    stats.aspect = Distribution.of(stats.aspects)
    return stats


def plot_stats(stats: DatasetStats, target: Path) -> Path:
    """A PNG with the class histogram and the box size and aspect distributions."""
    import cv2
    import numpy as np

    from ydc_cli.persistence.fileio import atomic_write

    canvas = np.full((760, 1200, 3), 255, np.uint8)
    font = cv2.FONT_HERSHEY_SIMPLEX
    cv2.putText(canvas, f"{stats.dataset}: {sum(stats.images.values())} images, {stats.instances} boxes",
                (20, 32), font, 0.8, (30, 30, 30), 2, cv2.LINE_AA)
    _bars(canvas, (20, 60, 1180, 380), list(stats.instances_per_class.items()), "instances per class",
          (200, 120, 40))
    size_bins = _histogram(stats.sizes, 0.0, 1.0, 20)
    _bars(canvas, (20, 420, 590, 740), [(f"{i / 20:.2f}", n) for i, n in enumerate(size_bins)],
          "box size sqrt(w*h), normalised", (60, 160, 60), label_every=4)
    logs = [math.log2(a) for a in stats.aspects if a > 0]
    aspect_bins = _histogram(logs, -3.0, 3.0, 24)
    _bars(canvas, (610, 420, 1180, 740), [(f"{2 ** (-3 + i * 0.25):.2g}", n) for i, n in enumerate(aspect_bins)],
          "box aspect w/h (log scale)", (40, 90, 200), label_every=4)
    ok, buffer = cv2.imencode(".png", canvas)
    if not target.parent.is_dir():
        raise NotFoundError(f"no such folder ({target.parent})")
    atomic_write(target, buffer.tobytes())
    return target


def _histogram(values: list[float], low: float, high: float, bins: int) -> list[int]:
    counts = [0] * bins
    for value in values:
        index = int((min(max(value, low), high) - low) / (high - low) * bins)
        counts[min(index, bins - 1)] += 1
    return counts


def _bars(canvas, box: tuple[int, int, int, int], items: list[tuple[str, int]], title: str,
          colour: tuple[int, int, int], label_every: int = 1) -> None:
    import cv2

    x0, y0, x1, y1 = box
    font = cv2.FONT_HERSHEY_SIMPLEX
    cv2.putText(canvas, title, (x0, y0 + 16), font, 0.55, (30, 30, 30), 1, cv2.LINE_AA)
    top, bottom = y0 + 44, y1 - 40
    cv2.line(canvas, (x0, bottom), (x1, bottom), (120, 120, 120), 1)
    if not items:
        return
    peak = max(n for _, n in items) or 1
    step = (x1 - x0) / len(items)
    for index, (label, count) in enumerate(items):
        left = int(x0 + index * step + step * 0.1)
        right = int(x0 + (index + 1) * step - step * 0.1)
        height = int((bottom - top) * count / peak)
        cv2.rectangle(canvas, (left, bottom - height), (max(left + 1, right), bottom), colour, -1)
        if count and step > 24:
            cv2.putText(canvas, str(count), (left, bottom - height - 4), font, 0.4, (60, 60, 60), 1, cv2.LINE_AA)
        if index % label_every == 0:
            cv2.putText(canvas, label[:14], (left, bottom + 16), font, 0.4, (60, 60, 60), 1, cv2.LINE_AA)
