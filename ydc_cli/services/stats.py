"""Dataset statistics, as numbers and as a picture.

Sizes are normalised to the image (``w``, ``h`` in 0..1); the box size is
``sqrt(w * h)`` and the aspect is ``w / h`` in those units, so no image has
to be read: the statistics come from the labels alone. Label lines are read
as the dataset's task; the box figures are then each shape's extent (pose:
its box), and each task adds its own:

| task    | figures                                                                   |
|---------|---------------------------------------------------------------------------|
| segment | points per polygon, polygon area (a fraction of the image)                |
| obb     | area, angle of the long side (degrees, 0-180), aspect long side / short side |
| pose    | per keypoint: labelled and visible, labelled but hidden, not labelled;    |
|         | labelled keypoints per object                                             |

Areas, angles and aspects are in normalised units too: on an image that is not
square an angle of 45 degrees is the diagonal of the image, not of a square.
"""

from __future__ import annotations

import math
import statistics
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from ydc_cli.domain import datayaml
from ydc_cli.domain.errors import InvalidLabelError, NotFoundError
from ydc_cli.domain.labels import Box, parse_line
from ydc_cli.domain.tasks import Task
from ydc_cli.persistence import Stores

_TASK_ONLY = {"omit_none": True}  # a field of some tasks' statistics, left out of the others' JSON


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
class KeypointCounts:
    """How often one keypoint (by its 0-based index, as ``flip_idx`` counts) is labelled, and how."""

    keypoint: int
    visible: int = 0  # labelled and visible (visibility 2, or a keypoint of a two-value layout)
    hidden: int = 0  # labelled but hidden (visibility 1)
    not_labelled: int = 0  # visibility 0


@dataclass
class DatasetStats:
    """What a person asks first about a dataset, with the figures of its task.

    The fields after ``unreadable_lines`` that default to None belong to one task
    each and stay None (and out of JSON) for the others; the lists at the end are
    the raw values the plot draws (``RAW_FIELDS``, left out of JSON).
    """

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
    task: str = "detect"
    points_per_polygon: Distribution | None = field(default=None, metadata=_TASK_ONLY)  # segment
    shape_area: Distribution | None = field(default=None, metadata=_TASK_ONLY)  # segment, obb
    obb_angle: Distribution | None = field(default=None, metadata=_TASK_ONLY)  # obb, degrees
    obb_aspect: Distribution | None = field(default=None, metadata=_TASK_ONLY)  # obb, long / short side
    keypoints_per_object: Distribution | None = field(default=None, metadata=_TASK_ONLY)  # pose
    keypoint_visibility: list[KeypointCounts] | None = field(default=None, metadata=_TASK_ONLY)  # pose
    sizes: list[float] = field(default_factory=list, repr=False)
    aspects: list[float] = field(default_factory=list, repr=False)
    points: list[float] = field(default_factory=list, repr=False)  # per polygon (segment) or object (pose)
    areas: list[float] = field(default_factory=list, repr=False)
    angles: list[float] = field(default_factory=list, repr=False)
    shape_aspects: list[float] = field(default_factory=list, repr=False)

    def distributions(self) -> list[tuple[str, Distribution]]:
        """Each distribution with what a person calls it: the box figures, then the task's."""
        area = "polygon area" if self.task == "segment" else "oriented box area"
        rows = [("box size sqrt(w*h)", self.box_size), ("box width", self.box_width),
                ("box height", self.box_height), ("aspect w/h", self.aspect), ("boxes per image", self.boxes_per_image),
                ("points per polygon", self.points_per_polygon), (area, self.shape_area),
                ("angle (degrees)", self.obb_angle), ("aspect long/short", self.obb_aspect),
                ("keypoints per object", self.keypoints_per_object)]
        return [(label, found) for label, found in rows if found is not None]


RAW_FIELDS = ("sizes", "aspects", "points", "areas", "angles", "shape_aspects")


async def dataset_stats(stores: Stores, name: str) -> DatasetStats:
    """Count images, classes and boxes; unreadable label lines are counted, not fatal."""
    info = await stores.dataset.get(name)
    if info is None:
        raise NotFoundError(f"no such dataset ({name})")
    task = info.task_spec()
    stats = DatasetStats(name, info.classes, dict(info.num_images), task=task.name)
    visibility = [[0, 0, 0] for _ in range((task.kpt_shape or (0, 0))[0])]  # not labelled, hidden, visible
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
                boxes.append(parse_line(line, task=task))
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
            _add_shape(stats, visibility, box, task)
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
    if task.name == "segment":
        stats.points_per_polygon = Distribution.of(stats.points)
    if task.name in ("segment", "obb"):
        stats.shape_area = Distribution.of(stats.areas)
    if task.name == "obb":
        stats.obb_angle = Distribution.of(stats.angles)
        stats.obb_aspect = Distribution.of(stats.shape_aspects)
    if task.name == "pose":
        stats.keypoints_per_object = Distribution.of(stats.points)
        stats.keypoint_visibility = [KeypointCounts(i, visible, hidden, none)
                                     for i, (none, hidden, visible) in enumerate(visibility)]
    return stats


def _add_shape(stats: DatasetStats, visibility: list[list[int]], box: Box, task: Task) -> None:
    """Take one shape's task figures into ``stats`` (and pose's counts into ``visibility``)."""
    if task.name == "segment":
        stats.points.append(float(len(box.points or ()) // 2))
        stats.areas.append(task.shape.area(box))
    elif task.name == "obb":
        stats.areas.append(task.shape.area(box))
        angle, aspect = oriented_angle_and_aspect(box.points or ())
        if aspect is not None:
            stats.angles.append(angle)
            stats.shape_aspects.append(aspect)
    elif task.name == "pose":
        from ydc_cli.domain.shapes.keypoints import keypoint_triples

        labelled = 0
        for index, (_, _, visible) in enumerate(keypoint_triples(box, task)):
            visibility[index][int(visible)] += 1
            labelled += visible > 0
        stats.points.append(float(labelled))


def oriented_angle_and_aspect(points) -> tuple[float, float | None]:
    """An oriented box's long-side direction in degrees (0 <= angle < 180, clockwise from the x axis as
    image rows run down) and its long side over its short side; ``(0, None)`` for a box of no width.

    The sides are the first two edges (corners 1-2 and 2-3); of a square's two, the first is taken.
    """
    first = (points[2] - points[0], points[3] - points[1])
    second = (points[4] - points[2], points[5] - points[3])
    long, short = sorted((first, second), key=lambda edge: math.hypot(*edge), reverse=True)
    if math.hypot(*short) <= 1e-12:
        return 0.0, None
    angle = math.degrees(math.atan2(long[1], long[0])) % 180.0
    return (0.0 if angle >= 180.0 - 1e-9 else angle), math.hypot(*long) / math.hypot(*short)


MAX_CLASS_ROWS = 100  # past this the class histogram shows the most frequent and sums up the rest
PLOT_WIDTH = 1400
_FONT_SCALE = 0.45
INK, _GREY, _GRID = (40, 40, 40), (110, 110, 110), (228, 228, 228)  # BGR; INK draws the axes
CLASS_BAR, SIZE_BAR, ASPECT_BAR = (180, 119, 31), (44, 160, 44), (14, 127, 255)
POINTS_BAR, AREA_BAR, ANGLE_BAR = (189, 103, 148), (75, 86, 140), (207, 190, 23)  # BGR, tab10's others
VISIBLE_BAR, HIDDEN_BAR, UNLABELLED_BAR = (44, 160, 44), (14, 127, 255), (214, 200, 186)  # a grey not of text
PANEL_HEIGHT = 400


def plot_stats(stats: DatasetStats, target: Path) -> Path:
    """A PNG with the class histogram and the box size and aspect distributions, drawn with cv2.

    Classes are horizontal bars, largest first, each with its name and count;
    the canvas grows with the number of classes up to ``MAX_CLASS_ROWS`` bars,
    and a note says how many classes (and boxes) did not fit. A dataset of
    another task than detect gets a row of two more panels: points per polygon
    and polygon size (segment), angle and aspect (obb), keypoint visibility per
    keypoint and labelled keypoints per object (pose). Every panel has axes
    with ticks and titles.

    Raises:
        NotFoundError: the folder of ``target`` does not exist.
    """
    import cv2
    import numpy as np

    from ydc_cli.persistence.fileio import atomic_write

    if not target.parent.is_dir():
        raise NotFoundError(f"no such folder ({target.parent})")
    ranked = sorted(stats.instances_per_class.items(), key=lambda item: -item[1])  # stable: ties keep class order
    shown, hidden = ranked[:MAX_CLASS_ROWS], ranked[MAX_CLASS_ROWS:]
    row = max(18, min(32, 360 // max(1, len(shown))))
    class_height = 44 + row * max(1, len(shown)) + 64 + (26 if hidden else 0)
    margin, top = 30, 56
    lower = top + class_height + 30
    task_row = lower + PANEL_HEIGHT
    canvas = np.full((task_row + (PANEL_HEIGHT if stats.task != "detect" else 0), PLOT_WIDTH, 3), 255, np.uint8)
    images = sum(stats.images.values())
    _text(canvas, f"{stats.dataset}: {images:,} images, {stats.instances:,} boxes, "
                  f"{len(stats.instances_per_class):,} classes", (margin, 36), 0.8, INK, 2)
    _class_bars(canvas, (margin, top, PLOT_WIDTH - margin, top + class_height), shown, hidden, row)
    middle = PLOT_WIDTH // 2
    size_bins = _histogram(stats.sizes, 0.0, 1.0, 20)
    _column_chart(canvas, (margin, lower, middle - margin // 2, lower + 380), size_bins,
                  [(i / 5, f"{i / 5:.1f}") for i in range(6)], "box size: sqrt(w*h) as a fraction of the image",
                  "box size sqrt(w*h)", SIZE_BAR)
    logs = [math.log2(a) for a in stats.aspects if a > 0]
    aspect_bins = _histogram(logs, -3.0, 3.0, 24)
    _column_chart(canvas, (middle + margin // 2, lower, PLOT_WIDTH - margin, lower + 380), aspect_bins,
                  [(i / 6, _ratio(2.0 ** (i - 3))) for i in range(7)], "box aspect: w/h (log scale, 1/8 and 8 "
                  "include the tails)", "aspect w/h", ASPECT_BAR)
    if stats.task != "detect":
        _task_panels(canvas, stats, (margin, task_row, middle - margin // 2, task_row + PANEL_HEIGHT - 20),
                     (middle + margin // 2, task_row, PLOT_WIDTH - margin, task_row + PANEL_HEIGHT - 20))
    ok, buffer = cv2.imencode(".png", canvas)
    atomic_write(target, buffer.tobytes())
    return target


def _task_panels(canvas, stats: DatasetStats, left: tuple[int, int, int, int],
                 right: tuple[int, int, int, int]) -> None:
    """The two panels of the task's own figures, side by side."""
    if stats.task == "segment":
        low, high = 3, max(3, round(max(stats.points, default=3)))
        bins = min(40, high - low + 1)
        _column_chart(canvas, left, _histogram(stats.points, low - 0.5, high + 0.5, bins),
                      _integer_ticks(low, high, bins), "points per polygon", "points", POINTS_BAR, "polygons")
        _column_chart(canvas, right, _histogram([math.sqrt(a) for a in stats.areas], 0.0, 1.0, 20),
                      [(i / 5, f"{i / 5:.1f}") for i in range(6)], "polygon size: sqrt(area) as a fraction of "
                      "the image", "polygon size sqrt(area)", AREA_BAR, "polygons")
    elif stats.task == "obb":
        _column_chart(canvas, left, _histogram(stats.angles, 0.0, 180.0, 18),
                      [(i / 6, f"{i * 30}") for i in range(7)], "oriented box angle: the long side, degrees "
                      "clockwise from the x axis", "angle (degrees)", ANGLE_BAR)
        logs = [math.log2(a) for a in stats.shape_aspects]
        _column_chart(canvas, right, _histogram(logs, 0.0, 4.0, 16), [(i / 4, f"{2 ** i:g}") for i in range(5)],
                      "oriented box aspect: long side / short side (log scale, 16 includes the tail)",
                      "aspect long/short", ASPECT_BAR)
    elif stats.task == "pose":
        counts = [(k.visible, k.hidden, k.not_labelled) for k in stats.keypoint_visibility or []]
        step = max(1, -(-len(counts) // 20))
        _column_chart(canvas, left, counts, [((i + 0.5) / max(1, len(counts)), str(i))
                                             for i in range(0, len(counts), step)],
                      "keypoint visibility:", "keypoint (index)", (VISIBLE_BAR, HIDDEN_BAR, UNLABELLED_BAR),
                      "objects")
        _legend(canvas, (left[0] + _text_width("keypoint visibility:", 0.5) + 16, left[1] + 18),
                [("visible", VISIBLE_BAR), ("hidden", HIDDEN_BAR), ("not labelled", UNLABELLED_BAR)])
        keypoints = len(counts)
        bins = min(40, keypoints + 1)
        _column_chart(canvas, right, _histogram(stats.points, -0.5, keypoints + 0.5, bins),
                      _integer_ticks(0, keypoints, bins), "labelled keypoints per object", "keypoints",
                      POINTS_BAR, "objects")


def _legend(canvas, org: tuple[int, int], entries: list[tuple[str, tuple[int, int, int]]]) -> None:
    """A row of colour patches, each followed by its name, the text's baseline at ``org``."""
    import cv2

    x, y = org
    for name, colour in entries:
        cv2.rectangle(canvas, (x, y - 11), (x + 12, y + 1), colour, -1)
        _text(canvas, name, (x + 17, y))
        x += 17 + _text_width(name) + 16


def _integer_ticks(low: int, high: int, bins: int) -> list[tuple[float, str]]:
    """Ticks at the middle of integer bins from ``low`` to ``high`` (at most about 10 labelled)."""
    span = high - low + 1
    step = max(1, -(-span // 10))
    return [((value - low + 0.5) / span, str(value)) for value in range(low, high + 1, step)] if bins else []


def _histogram(values: list[float], low: float, high: float, bins: int) -> list[int]:
    counts = [0] * bins
    for value in values:
        index = int((min(max(value, low), high) - low) / (high - low) * bins)
        counts[min(index, bins - 1)] += 1
    return counts


def _ratio(value: float) -> str:
    return f"1/{round(1 / value)}" if value < 1 else f"{value:g}"


def _ticks(peak: int) -> list[int]:
    """Round tick values from 0 to at least ``peak``: steps of 1, 2 or 5 times a power of ten, 3-6 ticks."""
    peak = max(peak, 1)
    step = 1
    while True:
        for factor in (1, 2, 5):
            if peak / (step * factor) <= 5:
                step *= factor
                return list(range(0, -(-peak // step) * step + 1, step))
        step *= 10


def _text(canvas, text: str, org: tuple[int, int], scale: float = _FONT_SCALE, colour=INK, thickness: int = 1,
          align: str = "left") -> None:
    """Text with its baseline at ``org``; ``align`` right or centre puts ``org`` at its end or middle."""
    import cv2

    width = cv2.getTextSize(text, cv2.FONT_HERSHEY_SIMPLEX, scale, thickness)[0][0]
    x = org[0] - (width if align == "right" else width // 2 if align == "centre" else 0)
    cv2.putText(canvas, text, (x, org[1]), cv2.FONT_HERSHEY_SIMPLEX, scale, colour, thickness, cv2.LINE_AA)


def _text_width(text: str, scale: float = _FONT_SCALE) -> int:
    import cv2

    return cv2.getTextSize(text, cv2.FONT_HERSHEY_SIMPLEX, scale, 1)[0][0]


def _vertical_text(canvas, text: str, centre: tuple[int, int]) -> None:
    """An axis title turned a quarter left, centred on ``centre``."""
    import cv2
    import numpy as np

    width = _text_width(text) + 4
    strip = np.full((20, width, 3), 255, np.uint8)
    _text(strip, text, (2, 14))
    turned = cv2.rotate(strip, cv2.ROTATE_90_COUNTERCLOCKWISE)
    height = turned.shape[0]
    y0, x0 = max(0, centre[1] - height // 2), centre[0] - 10
    turned = turned[:canvas.shape[0] - y0]
    canvas[y0:y0 + turned.shape[0], x0:x0 + 20] = np.minimum(canvas[y0:y0 + turned.shape[0], x0:x0 + 20], turned)


def _shorten(text: str, width: int) -> str:
    if _text_width(text) <= width:
        return text
    while len(text) > 4 and _text_width(text + "...") > width:
        text = text[:-1]
    return text + "..."


def _class_bars(canvas, box: tuple[int, int, int, int], shown: list[tuple[str, int]],
                hidden: list[tuple[str, int]], row: int) -> None:
    """Horizontal bars, one row per class: name, bar, count; x axis with ticks below."""
    import cv2

    x0, y0, x1, _ = box
    total = len(shown) + len(hidden)
    title = "boxes per class, most first" + (f" (the {len(shown)} most frequent of {total:,})" if hidden else "")
    _text(canvas, title, (x0, y0 + 18), 0.6, INK, 1)
    if not shown:
        _text(canvas, "no classes", (x0 + 30, y0 + 60), colour=_GREY)
        return
    names_width = min(300, max(_text_width(name) for name, _ in shown))
    left = x0 + 28 + names_width + 10  # 28: room for the vertical axis title
    right = x1 - _text_width(f"{max(n for _, n in shown):,}") - 12
    ticks = _ticks(max(n for _, n in shown))
    scale = (right - left) / ticks[-1]
    bars_top = y0 + 34
    bottom = bars_top + row * len(shown) + 6
    for tick in ticks:
        x = left + round(tick * scale)
        cv2.line(canvas, (x, bars_top), (x, bottom), _GRID, 1)
        cv2.line(canvas, (x, bottom), (x, bottom + 5), _GREY, 1)
        _text(canvas, f"{tick:,}", (x, bottom + 20), colour=_GREY, align="centre")
    thickness = max(4, round(row * 0.7))
    for index, (name, count) in enumerate(shown):
        middle = bars_top + 3 + index * row + row // 2
        _text(canvas, _shorten(name, names_width), (left - 8, middle + 5), align="right")
        if count:
            cv2.rectangle(canvas, (left, middle - thickness // 2), (left + max(1, round(count * scale)),
                                                                     middle + thickness // 2), CLASS_BAR, -1)
        _text(canvas, f"{count:,}", (left + round(count * scale) + 5, middle + 5), colour=_GREY)
    cv2.line(canvas, (left, bars_top), (left, bottom), INK, 1)
    cv2.line(canvas, (left, bottom), (right, bottom), INK, 1)
    _text(canvas, "boxes (instances)", ((left + right) // 2, bottom + 44), align="centre")
    _vertical_text(canvas, "class", (x0 + 10, (bars_top + bottom) // 2))
    if hidden:
        boxes = sum(n for _, n in hidden)
        _text(canvas, f"... and {len(hidden):,} more classes with {boxes:,} boxes in all (at most "
                      f"{hidden[0][1]:,} each), not shown", (left, bottom + 70), colour=INK)


def _column_chart(canvas, box: tuple[int, int, int, int], counts: list, x_ticks: list[tuple[float, str]],
                  title: str, x_title: str, colour: tuple, y_title: str = "boxes") -> None:
    """A histogram: ``counts`` as columns over the x range, ``x_ticks`` at fractions (0..1) of it.

    A column of a tuple of counts is stacked from the bottom, one ``colour`` each (a tuple of colours).
    """
    import cv2

    x0, y0, x1, y1 = box
    _text(canvas, title, (x0, y0 + 18), 0.5, INK, 1)
    if counts and not isinstance(counts[0], tuple):
        counts, colour = [(count,) for count in counts], (colour,)
    ticks = _ticks(max((sum(c) for c in counts), default=0))
    left = x0 + 30 + max(_text_width(f"{t:,}") for t in ticks) + 8
    right, top, bottom = x1 - 14, y0 + 40, y1 - 56
    for tick in ticks:
        y = bottom - round((bottom - top) * tick / ticks[-1])
        cv2.line(canvas, (left, y), (right, y), _GRID, 1)
        cv2.line(canvas, (left - 5, y), (left, y), _GREY, 1)
        _text(canvas, f"{tick:,}", (left - 8, y + 5), colour=_GREY, align="right")
    step = (right - left) / len(counts)
    for index, parts in enumerate(counts):
        below = 0
        for count, part_colour in zip(parts, colour, strict=True):
            if count:
                low = bottom - round((bottom - top) * below / ticks[-1])
                high = min(low - 1, bottom - round((bottom - top) * (below + count) / ticks[-1]))
                cv2.rectangle(canvas, (round(left + index * step + 1), high),
                              (round(left + (index + 1) * step - 2), low), part_colour, -1)
            below += count
    for fraction, label in x_ticks:
        x = left + round(fraction * (right - left))
        cv2.line(canvas, (x, bottom), (x, bottom + 5), _GREY, 1)
        _text(canvas, label, (x, bottom + 20), colour=_GREY, align="centre")
    cv2.line(canvas, (left, top), (left, bottom), INK, 1)
    cv2.line(canvas, (left, bottom), (right, bottom), INK, 1)
    _text(canvas, x_title, ((left + right) // 2, bottom + 44), align="centre")
    _vertical_text(canvas, y_title, (x0 + 10, (top + bottom) // 2))
