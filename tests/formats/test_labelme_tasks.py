"""LabelMe with polygons and keypoints, judged by labelme's own example files (every backend, through the CLI).

labelme's examples (tests/fixtures/labelme, README there) hold polygons: ``apc2016_obj3.json``
(four of them, the image embedded) and ``primitives.json`` (one of every shape). labelme writes
keypoints as ``point`` shapes, grouping them with their rectangle by ``group_id`` (its Group ID
field); the pose files below are written that way by hand.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path

import numpy as np
import pytest

from tests.formats.common import imported
from tests.formats.test_cvat_tasks import assert_close, stored_shapes
from tests.helpers import jpeg

EXAMPLES = Path(__file__).resolve().parents[1] / "fixtures" / "labelme" / "examples"


def _embedded(folder: Path) -> dict:
    """labelme's apc2016 example with an image of the size it records embedded (its imageData is null)."""
    document = json.loads((EXAMPLES / "apc2016_obj3.json").read_text())
    document["imageData"] = base64.b64encode(jpeg(document["imageWidth"], document["imageHeight"])).decode()
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "apc2016_obj3.json").write_text(json.dumps(document))
    return document


def test_labelmes_polygons_import_as_segment(ydc, tmp_path):
    document = _embedded(tmp_path / "apc")
    report = imported(ydc, tmp_path / "apc")
    assert report["dataset"]["task"] == "segment"
    assert report["dataset"]["classes"] == [s["label"] for s in document["shapes"]]
    assert (report["labeled"], report["notes"], report["skipped"]) == (1, [], [])
    expected = sorted((s["label"], tuple(float(v) for point in s["points"] for v in point)) for s in document["shapes"])
    assert_close(stored_shapes(ydc, "apc"), {"apc2016_obj3.jpg": expected}, 1e-6 * 1210)


def test_rectangles_and_polygons_in_one_file_the_task_picks(ydc, tmp_path):
    folder = tmp_path / "primitives"
    folder.mkdir()
    document = json.loads((EXAMPLES / "primitives.json").read_text())
    (folder / "primitives.json").write_text(json.dumps(document))
    (folder / "primitives.jpg").write_bytes(jpeg(document["imageWidth"], document["imageHeight"]))
    assert imported(ydc, folder, "--name", "boxes")["dataset"]["task"] == "detect"  # two rectangles, one polygon
    report = imported(ydc, folder, "--name", "polygons", "--task", "segment")
    assert (report["dataset"]["task"], report["dataset"]["classes"]) == ("segment", ["polygon"])
    assert report["notes"] == [f"{n} {kind} shape{'s' if n > 1 else ''} not imported (polygons only)" for n, kind in
                               ((1, "circle"), (1, "line"), (1, "linestrip"), (1, "mask"), (1, "point"),
                                (2, "rectangle"))]
    (polygon,) = [s for s in document["shapes"] if s["shape_type"] == "polygon"]
    assert_close(stored_shapes(ydc, "polygons"),
                 {"primitives.jpg": [("polygon", tuple(float(v) for p in polygon["points"] for v in p))]}, 1e-3)


def _shape(label: str, kind: str, points: list, group=None) -> dict:
    return {"label": label, "points": points, "group_id": group, "description": "", "shape_type": kind, "flags": {},
            "mask": None}


def test_points_grouped_into_rectangles_import_as_pose(ydc, tmp_path):
    folder = tmp_path / "poses"
    folder.mkdir()
    shapes = [_shape("cat", "rectangle", [[10, 10], [90, 70]], 1), _shape("cat", "rectangle", [[50, 20], [80, 60]], 2),
              _shape("nose", "point", [[20, 20]], 1), _shape("tail", "point", [[60, 30]], 1),  # group 1, inside 2
              _shape("nose", "point", [[70, 50]]),  # no group: the smallest rectangle holding it
              _shape("tail", "point", [[95, 75]]),  # in no rectangle
              _shape("ear", "point", [[55, 25]], 2)]
    document = {"version": "5.7.0", "flags": {}, "shapes": shapes, "imagePath": "a.jpg", "imageData": None,
                "imageHeight": 80, "imageWidth": 100}
    (folder / "a.json").write_text(json.dumps(document))
    (folder / "a.jpg").write_bytes(jpeg(100, 80))
    report = imported(ydc, folder)
    dataset = report["dataset"]
    assert (dataset["task"], dataset["kpt_shape"], dataset["classes"]) == ("pose", [3, 3], ["cat"])
    assert report["notes"] == ["1 point in no rectangle not imported"]
    # nose, tail, ear: the labels of grouped points in order of appearance
    assert_close(stored_shapes(ydc, "poses"), {"a.jpg": sorted([("cat", (20, 20, 2, 60, 30, 2, 0, 0, 0)),
                                                               ("cat", (70, 50, 2, 0, 0, 0, 55, 25, 2))])}, 1e-4)
    shown = json.loads(ydc("--json", "images", "show", "poses", "train", "a.jpg").stdout)
    assert np.allclose(sorted((a["x"], a["y"], a["width"], a["height"]) for a in shown["annotations"]),
                       [(0.5, 0.5, 0.8, 0.75), (0.65, 0.5, 0.3, 0.5)])  # the rectangles are the boxes


@pytest.mark.parametrize("case", ["task-not-there", "truncated"])
def test_bad_files_are_refused_with_one_error_line(ydc, tmp_path, case):
    folder = tmp_path / "apc"
    _embedded(folder)
    args = ["--task", "pose"] if case == "task-not-there" else []
    if case == "truncated":
        text = (folder / "apc2016_obj3.json").read_text()
        (folder / "apc2016_obj3.json").write_text(text[:text.index('"points"') + 20])
    target = folder / "apc2016_obj3.json" if case == "truncated" else folder
    result = ydc("datasets", "import", target, *args, *(["--format", "labelme"] if case == "truncated" else []))
    assert result.exit_code == 5, result.stderr
    assert len(result.stderr.splitlines()) == 1 and result.stderr.startswith("Error: "), result.stderr
    assert ("are segment, not pose" if case == "task-not-there" else str(folder / "apc2016_obj3.json")) \
        in result.stderr
    assert json.loads(ydc("--json", "datasets", "list").stdout) == []
