"""Pictures and statistics of segment, obb and pose datasets through the real CLI, on every backend.

The datasets come from ``examples/make_shapes.py``. The val split is one image (plain
noise, so no painted shape hides a drawn one) with one labelled shape, so ``labels draw``
and ``datasets preview --split val`` each show exactly that shape, and every pixel can be
checked against the image as stored: inside a polygon the translucent fill, on an oriented
box's edges the outline, at each keypoint the mark its visibility asks for, and far from
the shape the image untouched. The statistics are checked against counts made here from
the label files.
"""

from __future__ import annotations

import json
import math
import statistics
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest

from ydc_cli.services.drawing import class_colour, text_colour_on
from ydc_cli.services.preview import GAP, tile_size
from ydc_cli.services.stats import (
    ANGLE_BAR,
    AREA_BAR,
    HIDDEN_BAR,
    PANEL_HEIGHT,
    POINTS_BAR,
    UNLABELLED_BAR,
    VISIBLE_BAR,
)

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
SIZE = 256
# pose: the generated triangle's three corners and its centre, four keypoints; joined 0-1, 1-3, 2-3
KPT_SHAPE, FLIP_IDX, SKELETON = (4, 3), [0, 2, 1, 3], [[0, 1], [1, 3], [2, 3]]


def _make(ydc, tmp_path: Path, task: str) -> Path:
    """A dataset named ``task`` of 8 train images and one val image with one shape; returns its folder."""
    folder = tmp_path / task
    subprocess.run([sys.executable, EXAMPLES / "make_shapes.py", folder, "--task", task, "--train", "8", "--val",
                    "1", "--size", str(SIZE), "--seed", "3"], check=True, capture_output=True)
    val = next((folder / "labels" / "val").glob("*.txt"))
    first = val.read_text().splitlines()[0]
    noise = np.random.default_rng(3).integers(90, 140, (SIZE, SIZE, 3), dtype=np.uint8)
    cv2.imwrite(str(folder / "images" / "val" / f"{val.stem}.jpg"), noise)  # no painted shape to blend with
    if task == "pose":
        _four_keypoints(folder)
        first = _val_person(first)
        yaml = folder / "data.yaml"
        yaml.write_text(yaml.read_text().replace("kpt_shape: [3, 3]\nflip_idx: [0, 2, 1]\n",
                                                 f"kpt_shape: {list(KPT_SHAPE)}\nflip_idx: {FLIP_IDX}\n"
                                                 f"skeleton: {SKELETON}\n"))
    val.write_text(first + "\n")
    result = ydc("datasets", "import", folder)
    assert result.exit_code == 0, result.stderr
    return folder


def _four_keypoints(folder: Path) -> None:
    """Rewrite the train labels with a fourth keypoint (the centre) and a mix of visibilities: line ``n`` of
    the dataset has keypoint ``n % 4`` hidden and keypoint ``(n + 1) % 4`` not labelled (0 0 0)."""
    n = 0
    for label in sorted((folder / "labels" / "train").glob("*.txt")):
        lines = []
        for line in label.read_text().splitlines():
            values = line.split()
            points = [values[5:7], values[8:10], values[11:13], values[1:3]]
            visibility = ["2"] * 4
            visibility[n % 4], visibility[(n + 1) % 4] = "1", "0"
            points[(n + 1) % 4] = ["0", "0"]
            lines.append(" ".join(values[:5] + [v for p, seen in zip(points, visibility, strict=True)
                                                for v in (*p, seen)]))
            n += 1
        label.write_text("\n".join(lines) + "\n")


def _val_person(line: str) -> str:
    """The val object: its box, keypoints 0 and 1 visible, 2 hidden, 3 not labelled (its place kept)."""
    cx, cy, w, h = map(float, line.split()[1:5])
    points = [(cx, cy - h / 4, 2), (cx - w / 4, cy + h / 4, 2), (cx + w / 4, cy + h / 4, 1),
              (cx + w / 4, cy - h / 4, 0)]
    return f"0 {cx:.6f} {cy:.6f} {w:.6f} {h:.6f} " + " ".join(f"{x:.6f} {y:.6f} {v}" for x, y, v in points)


def _val(folder: Path) -> tuple[str, np.ndarray, list[float], int]:
    """The val image's file name, its pixels, its one label line's numbers and class."""
    image = next((folder / "images" / "val").glob("*.jpg"))
    values = (folder / "labels" / "val" / f"{image.stem}.txt").read_text().split()
    return image.name, cv2.imread(str(image)), [float(v) for v in values[1:]], int(values[0])


def _pictures(ydc, tmp_path: Path, task: str, filename: str, original: np.ndarray):
    """``labels draw`` and the one-tile ``preview --split val``, each with the undrawn image at its scale."""
    drawn = tmp_path / f"{task}-draw.png"
    result = ydc("labels", "draw", task, "val", filename, "--output", drawn)
    assert result.exit_code == 0, result.stderr
    mosaic = tmp_path / f"{task}-preview.png"
    result = ydc("datasets", "preview", task, "--split", "val", "--count", "1", "--output", mosaic)
    assert result.exit_code == 0, result.stderr
    size = tile_size(1)
    tile = cv2.imread(str(mosaic))[GAP:GAP + size, GAP:GAP + size]
    resized = cv2.resize(original, (size, size), interpolation=cv2.INTER_LINEAR)
    band = size - 40  # the file name across the tile's bottom
    return [(cv2.imread(str(drawn)), original), (tile[:band], resized[:band])]


def _pixels(values: list[float], side: int) -> np.ndarray:
    return np.round(np.asarray(values, np.float64).reshape(-1, 2) * side).astype(np.int32)


def _near(picture: np.ndarray, x: int, y: int, colour, reach: int = 1, tolerance: int = 90) -> bool:
    """Some pixel within ``reach`` of (x, y) is close to ``colour`` (anti-aliased lines blend their edges)."""
    window = picture[max(0, y - reach):y + reach + 1, max(0, x - reach):x + reach + 1].astype(int)
    return bool((np.abs(window - np.array(colour)).sum(axis=2) < tolerance).any())


def _disc(shape: tuple[int, ...], x: int, y: int, radius: float) -> np.ndarray:
    rows, columns = np.ogrid[:shape[0], :shape[1]]
    return (columns - x) ** 2 + (rows - y) ** 2 <= radius ** 2


def _caption(picture: np.ndarray, top: int, colour) -> None:
    """A patch of the class colour just above row ``top``, with text of the readable colour inside it."""
    region = picture[max(0, top - 45):max(0, top - 2)]
    patch = (region == colour).all(axis=2)
    assert patch.sum() > 150
    rows, columns = np.nonzero(patch)
    inside = region[rows.min():rows.max() + 1, columns.min():columns.max() + 1].astype(int)
    assert (np.abs(inside - np.array(text_colour_on(colour))).sum(axis=2) < 60).sum() > 15


def _untouched_far_from(picture: np.ndarray, original: np.ndarray, mask: np.ndarray, top: int, margin: int) -> None:
    """More than ``margin`` pixels from the shape, outside the caption's rows (the 50 above ``top``), the
    image is as stored."""
    far = cv2.dilate(mask.astype(np.uint8), np.ones((2 * margin + 1, 2 * margin + 1), np.uint8)) == 0
    far[max(0, top - 50):max(0, top + 1)] = False
    assert far.sum() > 0.5 * far.size
    assert (picture[far] == original[far]).all()


def test_segment_polygons_are_outlined_and_filled(ydc, tmp_path):
    folder = _make(ydc, tmp_path, "segment")
    filename, original, values, class_id = _val(folder)
    colour = class_colour(class_id)
    for picture, undrawn in _pictures(ydc, tmp_path, "segment", filename, original):
        side = undrawn.shape[1]
        points = _pixels(values, side)
        mask = np.zeros(undrawn.shape[:2], np.uint8)
        cv2.fillPoly(mask, [points], 1)
        inside = cv2.erode(mask, np.ones((7, 7), np.uint8)).astype(bool)
        assert inside.sum() > 300
        blended = np.round(0.7 * undrawn[inside] + 0.3 * np.array(colour))
        assert (np.abs(picture[inside].astype(int) - blended) <= 1).all()  # the fill: 30% class colour
        assert (np.abs(picture[inside].astype(int) - undrawn[inside]).sum(axis=1) > 10).mean() > 0.9
        for (x0, y0), (x1, y1) in zip(points, np.roll(points, -1, axis=0), strict=True):
            assert _near(picture, (x0 + x1) // 2, (y0 + y1) // 2, colour)  # the outline
        top = int(points[:, 1].min())
        _caption(picture, top, colour)
        _untouched_far_from(picture, undrawn, mask.astype(bool), top, margin=5)


def test_obb_boxes_are_outlined_at_their_corners_not_filled(ydc, tmp_path):
    folder = _make(ydc, tmp_path, "obb")
    filename, original, values, class_id = _val(folder)
    colour = class_colour(class_id)
    for picture, undrawn in _pictures(ydc, tmp_path, "obb", filename, original):
        corners = _pixels(values, undrawn.shape[1])
        mask = np.zeros(undrawn.shape[:2], np.uint8)
        cv2.fillPoly(mask, [corners], 1)
        for (x0, y0), (x1, y1) in zip(corners, np.roll(corners, -1, axis=0), strict=True):
            for t in (0.25, 0.5, 0.75):
                assert _near(picture, round(x0 + t * (x1 - x0)), round(y0 + t * (y1 - y0)), colour)
        first = corners[0]
        assert (np.abs(picture[first[1], first[0]].astype(int) - colour).sum() < 60)  # the first corner's dot
        inside = cv2.erode(mask, np.ones((9, 9), np.uint8)).astype(bool) & ~_disc(mask.shape, *first, 9)
        assert inside.sum() > 200 and (picture[inside] == undrawn[inside]).all()  # an outline, no fill
        top = int(corners[:, 1].min())
        _caption(picture, top, colour)
        _untouched_far_from(picture, undrawn, mask.astype(bool), top, margin=6)


def test_pose_keypoints_are_drawn_where_they_are_as_their_visibility_says(ydc, tmp_path):
    folder = _make(ydc, tmp_path, "pose")
    filename, original, values, class_id = _val(folder)
    colour = class_colour(class_id)
    for picture, undrawn in _pictures(ydc, tmp_path, "pose", filename, original):
        side = undrawn.shape[1]
        cx, cy, w, h = (v * side for v in values[:4])
        left, top, right, bottom = (round(v) for v in (cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2))
        keypoints = [(round(values[4 + 3 * i] * side), round(values[5 + 3 * i] * side)) for i in range(4)]
        (x0, y0), (x1, y1), (x2, y2), (x3, y3) = keypoints
        for x, y in keypoints[:2]:  # visible: a disc of the class colour centred on the keypoint
            assert (picture[y - 1:y + 2, x - 1:x + 2] == colour).all()
        ring = _disc(picture.shape, x2, y2, 7) & ~_disc(picture.shape, x2, y2, 3)
        assert (np.abs(picture[ring].astype(int) - colour).sum(axis=1) < 60).any()  # hidden: a ring...
        centre = _disc(picture.shape, x2, y2, 1)
        assert (picture[centre] == undrawn[centre]).all()  # ...with the image inside it
        unlabelled = _disc(picture.shape, x3, y3, 7)
        assert (picture[unlabelled] == undrawn[unlabelled]).all()  # not labelled: nothing
        assert _near(picture, (x0 + x1) // 2, (y0 + y1) // 2, colour)  # the skeleton joins 0 and 1...
        for (xa, ya), (xb, yb) in (((x1, y1), (x3, y3)), ((x2, y2), (x3, y3))):  # ...not 3, not labelled
            middle = _disc(picture.shape, (xa + xb) // 2, (ya + yb) // 2, 1)
            assert (picture[middle] == undrawn[middle]).all()
        assert _near(picture, left, (top + bottom) // 2, colour) and _near(picture, right, (top + bottom) // 2, colour)
        _caption(picture, top, colour)
        mask = np.zeros(undrawn.shape[:2], bool)
        mask[top:bottom + 1, left:right + 1] = True
        _untouched_far_from(picture, undrawn, mask, top, margin=6)


def _lines(folder: Path) -> list[list[float]]:
    """Every label line of the folder as numbers (the class first)."""
    return [[float(v) for v in line.split()] for label in sorted(folder.glob("labels/*/*.txt"))
            for line in label.read_text().splitlines() if line.strip()]


def _shoelace(points: np.ndarray) -> float:
    x, y = points[:, 0], points[:, 1]
    return abs(float(np.dot(x, np.roll(y, -1)) - np.dot(y, np.roll(x, -1)))) / 2


def _check(found: dict, values: list[float]) -> None:
    assert found["count"] == len(values)
    assert found["min"] == pytest.approx(min(values), abs=1e-6)
    assert found["median"] == pytest.approx(statistics.median(values), abs=1e-6)
    assert found["max"] == pytest.approx(max(values), abs=1e-6)


def _stats(ydc, tmp_path: Path, task: str) -> tuple[dict, np.ndarray, str]:
    plot = tmp_path / f"{task}-stats.png"
    result = ydc("--json", "datasets", "stats", task, "--plot", plot)
    assert result.exit_code == 0, result.stderr
    people = ydc("datasets", "stats", task)
    assert people.exit_code == 0, people.stderr
    found = json.loads(result.stdout)
    assert found["task"] == task and not {"sizes", "aspects", "points", "areas", "angles"} & set(found)
    return found, cv2.imread(str(plot)), people.stdout


def _task_panels(picture: np.ndarray) -> np.ndarray:
    return picture[-PANEL_HEIGHT + 35:]  # the task's row, below its titles


def test_segment_stats_count_points_and_areas(ydc, tmp_path):
    folder = _make(ydc, tmp_path, "segment")
    lines = _lines(folder)
    found, picture, people = _stats(ydc, tmp_path, "segment")
    assert found["instances"] == len(lines)
    _check(found["points_per_polygon"], [(len(line) - 1) / 2 for line in lines])
    _check(found["shape_area"], [_shoelace(np.asarray(line[1:]).reshape(-1, 2)) for line in lines])
    assert "obb_angle" not in found and "keypoint_visibility" not in found
    assert "points per polygon" in people and "polygon area" in people
    panels = _task_panels(picture)
    assert (panels == POINTS_BAR).all(axis=2).sum() > 500 and (panels == AREA_BAR).all(axis=2).sum() > 500


def test_obb_stats_measure_angles_and_aspects(ydc, tmp_path):
    folder = _make(ydc, tmp_path, "obb")
    angles, aspects, areas = [], [], []
    for line in _lines(folder):
        corners = np.asarray(line[1:]).reshape(4, 2)
        edges = [corners[1] - corners[0], corners[2] - corners[1]]
        lengths = [float(np.hypot(*edge)) for edge in edges]
        long = edges[int(np.argmax(lengths))]
        angles.append(math.degrees(math.atan2(long[1], long[0])) % 180)
        aspects.append(max(lengths) / min(lengths))
        areas.append(_shoelace(corners))
    found, picture, people = _stats(ydc, tmp_path, "obb")
    _check(found["obb_angle"], angles)
    _check(found["obb_aspect"], aspects)
    _check(found["shape_area"], areas)
    assert "points_per_polygon" not in found and "angle (degrees)" in people
    assert (_task_panels(picture) == ANGLE_BAR).all(axis=2).sum() > 500


def test_pose_stats_count_visibility_per_keypoint(ydc, tmp_path):
    folder = _make(ydc, tmp_path, "pose")
    counts = [[0, 0, 0] for _ in range(KPT_SHAPE[0])]  # not labelled, hidden, visible
    per_object = []
    for line in _lines(folder):
        visibility = [int(v) for v in line[7::3]]
        assert len(visibility) == KPT_SHAPE[0]
        for index, seen in enumerate(visibility):
            counts[index][seen] += 1
        per_object.append(float(sum(v > 0 for v in visibility)))
    found, picture, people = _stats(ydc, tmp_path, "pose")
    assert found["keypoint_visibility"] == [{"keypoint": i, "visible": v, "hidden": h, "not_labelled": n}
                                            for i, (n, h, v) in enumerate(counts)]
    assert all(hidden and unlabelled for unlabelled, hidden, _ in counts)  # the mix the labels were given
    _check(found["keypoints_per_object"], per_object)
    assert "shape_area" not in found
    table = people[people.index("keypoint\tvisible"):].splitlines()
    assert table[1:] == [f"{i}\t{v}\t{h}\t{n}" for i, (n, h, v) in enumerate(counts)]
    panels = _task_panels(picture)
    for bar in (VISIBLE_BAR, HIDDEN_BAR, UNLABELLED_BAR):
        assert (panels == bar).all(axis=2).sum() > 200
