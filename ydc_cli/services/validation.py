"""The dataset validator: every check of ultralytics' ``verify_image_label``, and more.

Validation is a report: the whole dataset is walked, every problem is
collected with its split, file, line, code and severity, and nothing is
changed unless ``fix`` is asked for. ``--fix`` only rewrites labels (clip to
the image, drop zero-area and duplicate rows), never an image.

Label lines are checked as the dataset's task holds them (``domain.tasks``): boxes,
polygons (at least 3 points, x y pairs), oriented boxes (4 corners) or pose rows
(``5 + K * dim`` columns for ``kpt_shape [K, dim]``, visibility 0, 1 or 2). A row of
another kind is an error (``mixed_kinds``); zero-area and self-crossing polygons and
keypoints outside their box are warnings.

Severities: an *error* is something ultralytics drops the file for, or a
defect that silently corrupts training or evaluation (train/val leakage);
a *warning* is worth a look but trains.
"""

from __future__ import annotations

import hashlib
import math
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field

from ydc_cli.domain import datayaml
from ydc_cli.domain.errors import InvalidImageError, NotFoundError
from ydc_cli.domain.imageformat import exif_orientation, read_header
from ydc_cli.domain.labels import Box
from ydc_cli.domain.shapes.base import points_extent
from ydc_cli.domain.tasks import DETECT, Task
from ydc_cli.persistence import Annotation, DatasetChanges, Stores

MIN_SIDE = 10
TOLERANCE = 0.01  # ultralytics accepts coordinates within 1 % outside [0, 1]
EPSILON = 1e-6


@dataclass
class Finding:
    """One problem: where it is, what kind, how bad."""

    split: str
    file: str
    line: int
    code: str
    severity: str
    message: str


@dataclass
class ValidationReport:
    """Every finding, and the counts a person reads first."""

    dataset: str
    images: int = 0
    labels: int = 0
    backgrounds_missing_label: int = 0
    backgrounds_empty_label: int = 0
    errors: int = 0
    warnings: int = 0
    by_code: dict[str, int] = field(default_factory=dict)
    fixed_labels: int = 0
    findings: list[Finding] = field(default_factory=list)

    def add(self, split: str, file: str, line: int, code: str, severity: str, message: str) -> None:
        self.findings.append(Finding(split, file, line, code, severity, message))

    def finish(self) -> ValidationReport:
        order = {s: i for i, s in enumerate(datayaml.SPLITS)}
        self.findings.sort(key=lambda f: (order.get(f.split, 9), f.file, f.line, f.code))
        self.errors = sum(1 for f in self.findings if f.severity == "error")
        self.warnings = len(self.findings) - self.errors
        self.by_code = dict(sorted(Counter(f.code for f in self.findings).items()))
        return self


@dataclass
class _LabelCheck:
    """A label file's parsed rows, and whether ``--fix`` may rewrite it."""

    rows: list
    fixable: bool
    needs_fix: bool


def check_label_text(text: str, nc: int, split: str, file: str, report: ValidationReport,
                     task: Task | None = None) -> _LabelCheck:
    """Check every line of a label file of ``task`` (detect by default), adding findings; returns the
    rows for ``--fix``."""
    if task is not None and task.name != "detect":
        return _check_shape_text(text, nc, split, file, report, task)
    rows: list[tuple[float, ...]] = []
    fixable, needs_fix = True, False
    seen: dict[tuple[float, ...], int] = {}
    for number, raw in enumerate(text.splitlines(), start=1):
        parts = raw.split()
        if not parts:
            continue

        def error(code: str, message: str, line: int = number) -> None:
            report.add(split, file, line, code, "error", message)

        if len(parts) != 5:
            kind = " (a polygon row: ydc stores boxes)" if len(parts) > 6 else ""
            error("columns", f"expected 5 columns 'class x y w h', got {len(parts)}{kind}")
            fixable = False
            continue
        try:
            values = tuple(float(p) for p in parts)
        except ValueError:
            error("not_numeric", f"non-numeric value in {raw.strip()[:60]!r}")
            fixable = False
            continue
        if not all(math.isfinite(v) for v in values):
            error("not_finite", "NaN or infinite value")
            fixable = False
            continue
        class_id, x, y, w, h = values
        if not class_id.is_integer():
            error("class_not_integer", f"class id must be an integer, got {parts[0]}")
            fixable = False
        elif class_id < 0:
            error("class_negative", f"class id must not be negative, got {parts[0]}")
            fixable = False
        elif class_id >= nc:
            error("class_range", f"class id {int(class_id)} is out of range for {nc} classes")
            fixable = False
        coords = (x, y, w, h)
        if max(coords) > 1 + TOLERANCE or min(coords) < -TOLERANCE:
            error("coordinate_range", f"coordinates outside [0, 1]: {' '.join(parts[1:])}")
            needs_fix = True
        elif max(coords) > 1 or min(coords) < 0:
            report.add(split, file, number, "coordinate_tolerance", "warning",
                       f"coordinates slightly outside [0, 1]: {' '.join(parts[1:])}")
            needs_fix = True
        if w <= 0 or h <= 0:
            error("zero_size", f"box has zero or negative size (w={w:g}, h={h:g})")
            needs_fix = True
        elif x - w / 2 < -EPSILON or x + w / 2 > 1 + EPSILON or y - h / 2 < -EPSILON or y + h / 2 > 1 + EPSILON:
            report.add(split, file, number, "extent", "warning", "box extends outside the image")
            needs_fix = True
        if values in seen:
            report.add(split, file, number, "duplicate_row", "warning", f"same box as line {seen[values]}")
            needs_fix = True
        else:
            seen[values] = number
        rows.append(values)
    return _LabelCheck(rows, fixable, needs_fix)


def _check_class(values: list[float], parts: list[str], nc: int, error: Callable[[str, str], None]) -> bool:
    class_id = values[0]
    if not class_id.is_integer():
        error("class_not_integer", f"class id must be an integer, got {parts[0]}")
    elif class_id < 0:
        error("class_negative", f"class id must not be negative, got {parts[0]}")
    elif class_id >= nc:
        error("class_range", f"class id {int(class_id)} is out of range for {nc} classes")
    else:
        return True
    return False


def _columns_problem(task: Task, columns: int) -> tuple[str, str] | None:
    """The finding for a row with the wrong number of columns for the task, or None."""
    if task.name == "segment":
        if columns == 5:
            return "mixed_kinds", "a box row (5 columns) in a segment dataset: its rows are polygons"
        if columns % 2 == 0:
            return "odd_coordinates", f"a polygon needs x y pairs, got {columns - 1} coordinates (an odd count)"
        if columns < 7:
            return "too_few_points", f"a polygon needs at least 3 points, got {(columns - 1) // 2}"
        return None
    if task.name == "obb":
        if columns == 9:
            return None
        kind = "mixed_kinds" if columns == 5 or (columns >= 7 and columns % 2) else "columns"
        return kind, f"expected 9 columns 'class x1 y1 x2 y2 x3 y3 x4 y4' (an oriented box), got {columns}"
    k, dim = task.kpt_shape or (0, 0)
    if columns == 5 + k * dim:
        return None
    kind = "mixed_kinds" if columns == 5 else "keypoint_count"
    return kind, (f"expected {5 + k * dim} columns for kpt_shape [{k}, {dim}] (class, box, {k} keypoints of {dim} "
                  f"values), got {columns}")


def _check_shape_text(text: str, nc: int, split: str, file: str, report: ValidationReport, task: Task
                      ) -> _LabelCheck:
    """Rows of a segment, obb or pose label file."""
    rows: list[Box] = []
    fixable, needs_fix = True, False
    seen: dict[tuple[float, ...], int] = {}
    shape = task.shape
    dim = (task.kpt_shape or (0, 0))[1]
    for number, raw in enumerate(text.splitlines(), start=1):
        parts = raw.split()
        if not parts:
            continue

        def error(code: str, message: str, line: int = number) -> None:
            report.add(split, file, line, code, "error", message)

        problem = _columns_problem(task, len(parts))
        if problem is not None:
            error(*problem)
            fixable = False
            continue
        try:
            values = [float(p) for p in parts]
        except ValueError:
            error("not_numeric", f"non-numeric value in {raw.strip()[:60]!r}")
            fixable = False
            continue
        if not all(math.isfinite(v) for v in values):
            error("not_finite", "NaN or infinite value")
            fixable = False
            continue
        if not _check_class(values, parts, nc, error):
            fixable = False
        if task.name == "pose":
            points = tuple(values[5:])
            coords = [*values[1:5], *(v for i, v in enumerate(points) if dim == 2 or i % 3 != 2)]
            box = Box(int(values[0]), *values[1:5], points)
            if dim == 3 and any(v not in (0.0, 1.0, 2.0) for v in points[2::3]):
                bad = next(v for v in points[2::3] if v not in (0.0, 1.0, 2.0))
                error("visibility", f"keypoint visibility must be 0, 1 or 2, got {bad:g}")
                fixable = False
            if box.width <= 0 or box.height <= 0:
                error("zero_size", f"box has zero or negative size (w={box.width:g}, h={box.height:g})")
                needs_fix = True
        else:
            points = tuple(values[1:])
            coords = list(points)
            box = Box(int(values[0]), *points_extent(points), points)
        if max(coords) > 1 + TOLERANCE or min(coords) < -TOLERANCE:
            error("coordinate_range", "coordinates outside [0, 1]")
            needs_fix = True
        elif max(coords) > 1 or min(coords) < 0:
            report.add(split, file, number, "coordinate_tolerance", "warning", "coordinates slightly outside [0, 1]")
            needs_fix = True
        for code, message in shape.warnings(box, task):
            report.add(split, file, number, code, "warning", message)
            needs_fix = needs_fix or code == "zero_area"
        key = tuple(values)
        if key in seen:
            report.add(split, file, number, "duplicate_row", "warning", f"same {shape.kind} as line {seen[key]}")
            needs_fix = True
        else:
            seen[key] = number
        rows.append(box)
    return _LabelCheck(rows, fixable, needs_fix)


def fixed_shapes(rows: list[Box], task: Task) -> list[Annotation]:
    """Shapes cut to the image (``Shape.clip``), then zero-area and duplicate ones dropped."""
    shapes: list[Annotation] = []
    seen = set()
    for row in rows:
        clipped = task.shape.clip(row, task)
        if clipped is None or any(code == "zero_area" for code, _ in task.shape.warnings(clipped, task)):
            continue
        key = (clipped.class_id, *(round(v, 6) for v in (*clipped[1:5], *(clipped.points or ()))))
        if key in seen:
            continue
        seen.add(key)
        shapes.append(Annotation(*clipped))
    return shapes


def fixed_boxes(rows: list[tuple[float, ...]]) -> list[Annotation]:
    """Clip boxes to the image, then drop zero-area and duplicate rows."""
    boxes: list[Annotation] = []
    seen = set()
    for class_id, x, y, w, h in rows:
        x1, y1 = max(0.0, x - w / 2), max(0.0, y - h / 2)
        x2, y2 = min(1.0, x + w / 2), min(1.0, y + h / 2)
        if x2 - x1 <= EPSILON or y2 - y1 <= EPSILON:
            continue
        box = (int(class_id), round((x1 + x2) / 2, 6), round((y1 + y2) / 2, 6), round(x2 - x1, 6),
               round(y2 - y1, 6))
        if box in seen or box[3] <= 0 or box[4] <= 0:
            continue
        seen.add(box)
        boxes.append(Annotation(*box))
    return boxes


async def validate_dataset(
    stores: Stores, name: str, split: str | None = None, fix: bool = False,
    on_image: Callable[[int], None] | None = None,
) -> ValidationReport:
    """Check every image and label of a dataset (or one split); with ``fix``, repair what can be."""
    info = await stores.dataset.get(name)
    if info is None:
        raise NotFoundError(f"no such dataset ({name})")
    task = info.task_spec()
    report, fixes = await _scan(stores, name, len(info.classes), split, on_image, collect_fixes=fix, task=task)
    if fix and fixes:
        await stores.dataset.apply_changes(name, DatasetChanges(labels=fixes))
        report, _ = await _scan(stores, name, len(info.classes), split, None, collect_fixes=False, task=task)
        report.fixed_labels = len(fixes)
    return report


async def _scan(
    stores: Stores, name: str, nc: int, split: str | None, on_image: Callable[[int], None] | None,
    collect_fixes: bool, task: Task = DETECT,
) -> tuple[ValidationReport, dict[tuple[str, str], list[Annotation]]]:
    """One pass over images and labels; also returns the label rewrites ``--fix`` would make."""
    report = ValidationReport(name)
    texts = {(s, label): text async for s, label, text in stores.dataset.iter_label_texts(name, split)}
    report.labels = len(texts)
    used: set[tuple[str, str]] = set()
    hashes: dict[str, list[tuple[str, str]]] = defaultdict(list)
    stems: dict[tuple[str, str], list[str]] = defaultdict(list)
    fixes: dict[tuple[str, str], list[Annotation]] = {}
    async for sample in stores.dataset.iter_samples(name, split, with_labels=False):
        report.images += 1
        where = sample.filename
        hashes[hashlib.sha256(sample.data).hexdigest()].append((sample.split, sample.filename))
        stems[(sample.split, datayaml.stem_of(sample.filename))].append(sample.filename)
        _check_image(sample.data, sample.split, where, report)
        label = datayaml.label_name_for(sample.filename)
        text = texts.get((sample.split, label))
        if text is None:
            report.backgrounds_missing_label += 1
        elif (sample.split, label) not in used:
            used.add((sample.split, label))
            checked = check_label_text(text, nc, sample.split, label, report, task)
            if not checked.rows and not text.strip():
                report.backgrounds_empty_label += 1
            if collect_fixes and checked.fixable and checked.needs_fix:
                fixes[(sample.split, label)] = (fixed_boxes(checked.rows) if task.name == "detect"
                                                else fixed_shapes(checked.rows, task))
        if on_image:
            on_image(1)
    for (label_split, label), text in texts.items():
        if (label_split, label) not in used:
            report.add(label_split, label, 0, "orphan_label", "warning", "label file without an image")
            check_label_text(text, nc, label_split, label, report, task)
    for (stem_split, stem), names in stems.items():
        if len(names) > 1:
            for filename in names:
                others = ", ".join(n for n in names if n != filename)
                report.add(stem_split, filename, 0, "same_stem", "warning",
                           f"shares its label {stem}.txt with {others}")
    for copies in hashes.values():
        if len(copies) < 2:
            continue
        splits = {s for s, _ in copies}
        for copy_split, filename in copies:
            others = ", ".join(f"{s}/{f}" for s, f in copies if (s, f) != (copy_split, filename))
            if len(splits) > 1:
                report.add(copy_split, filename, 0, "leakage", "error", f"same image in another split: {others}")
            else:
                report.add(copy_split, filename, 0, "duplicate_image", "warning", f"same image as {others}")
    return report.finish(), fixes


def _check_image(data: bytes, split: str, filename: str, report: ValidationReport) -> None:
    try:
        header = read_header(data, filename)
    except InvalidImageError as exc:
        report.add(split, filename, 0, "image", "error", str(exc).removesuffix(f" ({filename})"))
        return
    if header.width < MIN_SIDE or header.height < MIN_SIDE:
        report.add(split, filename, 0, "image_size", "error",
                   f"image is {header.width}x{header.height}, under {MIN_SIDE} px on a side")
    if header.format == "jpeg":
        if not data.rstrip(b"\x00").endswith(b"\xff\xd9"):
            report.add(split, filename, 0, "jpeg_trailer", "warning",
                       "JPEG does not end with its end marker: ultralytics would re-save it in place")
        orientation = exif_orientation(data)
        if orientation in (5, 6, 7, 8):
            report.add(split, filename, 0, "exif_rotation", "warning",
                       f"EXIF orientation {orientation} turns {header.width}x{header.height} into "
                       f"{header.height}x{header.width} when displayed")
