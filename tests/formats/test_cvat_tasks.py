"""CVAT for images 1.1 with polygons, oriented boxes and skeletons (every backend, through the CLI).

Datumaro's ``cvat`` exporter writes polygons, rotated boxes and points (not skeletons: its CVAT
format has none) and its importer reads polygons and rotated boxes back, a rotated box's corners
as ``RotatedBbox.as_polygon`` turns them; ydc must find the same shapes in its files and write
files it reads the same way. Skeletons are judged by a file hand-written after CVAT's exporter
(``cvat/apps/dataset_manager/formats/cvat.py`` and ``bindings.py``: a ``<skeleton>`` holding one
``<points>`` per element with ``outside`` and ``occluded``; the meta's point labels with
``<parent>``, the skeleton label's ``<svg>`` with its nodes and edges).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from tests.formats.common import imported, write_images
from tests.helpers import jpeg, shapes_dataset
from tests.oracles import datumaro_read_shapes, datumaro_write

CLASSES = ["cat", "dog", "traffic light"]
SIZES = {"a.jpg": (64, 48), "b.jpg": (80, 60), "c.jpg": (96, 72), "d.jpg": (64, 48)}
ITEMS = [(name, "train" if name < "c" else "val", size, []) for name, size in SIZES.items()]


def stored_shapes(ydc, dataset: str) -> dict[str, list[tuple]]:
    """Every stored shape by file name, in pixels: ``(class, (x1, y1, x2, y2, ...))`` for polygons and
    oriented boxes; pose keypoints as ``x, y, visibility``."""
    info = json.loads(ydc("--json", "datasets", "info", dataset).stdout)
    dim = info["kpt_shape"][1] if info.get("kpt_shape") else 2
    found = {}
    for row in json.loads(ydc("--json", "images", "list", dataset).stdout):
        shown = json.loads(ydc("--json", "images", "show", dataset, row["split"], row["filename"]).stdout)
        width, height = shown["image"]["width"], shown["image"]["height"]
        shapes = []
        for a in shown["annotations"]:
            points = a.get("points") or []
            scale = [width, height, 1][:dim]
            shapes.append((info["classes"][a["class_id"]],
                           tuple(v * scale[i % dim] for i, v in enumerate(points))))
        found[row["filename"]] = sorted(shapes)
    return found


def assert_close(found: dict, expected: dict, pixels: float) -> None:
    """The same files and shapes, every coordinate within ``pixels``."""
    assert sorted(found) == sorted(expected)
    for name, shapes in expected.items():
        assert len(found[name]) == len(shapes), (name, found[name], shapes)
        for got, want in zip(found[name], shapes, strict=True):
            assert got[0] == want[0] and len(got[1]) == len(want[1]), (name, got, want)
            assert np.allclose(got[1], want[1], atol=pixels, rtol=0), (name, got, want)


def _datumaro_cvat(tmp_path: Path, shapes: dict[str, list], boxes: dict[str, list] | None = None) -> Path:
    paths = write_images(tmp_path / "src", ITEMS)
    items = [{"id": Path(name).stem, "subset": split, "image": paths[name], "boxes": (boxes or {}).get(name, []),
              "shapes": shapes.get(name, [])} for name, split, _, _ in ITEMS]
    return datumaro_write("cvat", tmp_path / "dm-cvat", CLASSES, items)


POLYGONS = {"a.jpg": [["polygon", "cat", [4, 6, 24, 6.5, 20.25, 30]],
                      ["polygon", "dog", [40, 10, 60, 12, 58, 40, 42, 44]]],
            "b.jpg": [["polygon", "traffic light", [10.5, 12.25, 30.75, 12.25, 30.75, 40.5, 20, 45, 10.5, 40.5]]],
            "c.jpg": [["polygon", "cat", [50, 30, 96, 30, 70, 71.5]]]}


def test_datumaro_polygons_import_as_segment(ydc, tmp_path):
    written = _datumaro_cvat(tmp_path, POLYGONS)
    report = imported(ydc, written, "--name", "seg")
    assert (report["dataset"]["task"], report["dataset"]["classes"]) == ("segment", CLASSES)
    assert (report["images"], report["labeled"], report["backgrounds"]) == (4, 3, 1)
    assert (report["notes"], report["skipped"]) == ([], [])
    expected = {name: sorted((c, tuple(map(float, p))) for _, c, p in POLYGONS.get(name, [])) for name in SIZES}
    assert_close(stored_shapes(ydc, "seg"), expected, 1e-6 * 96)


def test_datumaro_rotated_boxes_import_as_obb_with_datumaros_corners(ydc, tmp_path):
    rotated = {"a.jpg": [["rotated", "cat", [30, 20, 16, 8, 30]], ["rotated", "dog", [12, 30, 10, 6, 135.5]]],
               "c.jpg": [["rotated", "traffic light", [48, 36, 40, 20, 300]]]}
    written = _datumaro_cvat(tmp_path, rotated, boxes={"b.jpg": [["dog", 10, 12, 20, 28]]})
    report = imported(ydc, written, "--name", "obb")
    assert report["dataset"]["task"] == "obb"
    assert (report["labeled"], report["backgrounds"], report["notes"]) == (3, 1, [])  # the plain box too
    judged = datumaro_read_shapes("cvat", written)
    expected = {f"{item['id']}.jpg": sorted([(c, tuple(p)) for _, c, p in item["shapes"]] +
                                            [(c, (x, y, x + w, y, x + w, y + h, x, y + h))
                                             for c, x, y, w, h in item["boxes"]]) for item in judged["items"]}
    assert_close(stored_shapes(ydc, "obb"), expected, 1e-6 * 96)


def test_datumaro_points_import_as_pose_all_visible(ydc, tmp_path):
    points = {"a.jpg": [["points", "cat", [10, 5, 4, 20, 16, 20]]],
              "c.jpg": [["points", "dog", [50, 30, 40, 60, 90, 60]]]}
    written = _datumaro_cvat(tmp_path, points)
    report = imported(ydc, written, "--name", "pose")
    assert (report["dataset"]["task"], report["dataset"]["kpt_shape"]) == ("pose", [3, 3])
    shown = json.loads(ydc("--json", "images", "show", "pose", "val", "c.jpg").stdout)
    (a,) = shown["annotations"]
    assert np.allclose([a["x"] * 96, a["y"] * 72, a["width"] * 96, a["height"] * 72], [65, 45, 50, 30], atol=1e-4)
    assert_close(stored_shapes(ydc, "pose"), {
        "a.jpg": [("cat", (10, 5, 2, 4, 20, 2, 16, 20, 2))], "b.jpg": [],
        "c.jpg": [("dog", (50, 30, 2, 40, 60, 2, 90, 60, 2))], "d.jpg": []}, 1e-4)


_NODE = ('&lt;circle r="1.5" stroke="black" fill="#b3b3b3" cx="{x}" cy="{y}" stroke-width="0.1" data-type="element '
         'node" data-element-id="{i}" data-node-id="{i}" data-label-name="{name}"&gt;&lt;/circle&gt;')
_EDGE = ('&lt;line x1="0" y1="0" x2="1" y2="1" stroke="black" data-type="edge" data-node-from="{a}" '
         'stroke-width="0.5" data-node-to="{b}"&gt;&lt;/line&gt;')
SKELETON_SVG = (_EDGE.format(a=2, b=1) + _EDGE.format(a=2, b=3) + _NODE.format(x=20, y=80, i=1, name="left")
                + _NODE.format(x=50, y=10, i=2, name="top") + _NODE.format(x=80, y=80, i=3, name="right"))

SKELETONS = f"""<?xml version="1.0" encoding="utf-8"?>
<annotations>
  <version>1.1</version>
  <meta>
    <task>
      <id>4</id><name>poses</name><size>2</size><mode>annotation</mode><subset>Train</subset>
      <labels>
        <label><name>car</name><color>#fa3253</color><type>rectangle</type><attributes></attributes></label>
        <label><name>tri</name><color>#33ddff</color><type>skeleton</type><attributes></attributes>
          <svg>{SKELETON_SVG}</svg></label>
        <label><name>left</name><color>#d12345</color><type>points</type><attributes></attributes><parent>tri</parent></label>
        <label><name>top</name><color>#350dea</color><type>points</type><attributes></attributes><parent>tri</parent></label>
        <label><name>right</name><color>#479ffe</color><type>points</type><attributes></attributes><parent>tri</parent></label>
      </labels>
    </task>
  </meta>
  <image id="0" name="a.jpg" width="100" height="80">
    <skeleton label="tri" source="manual" z_order="0">
      <points label="left" source="manual" outside="0" occluded="0" points="20.00,60.00"></points>
      <points label="top" source="manual" outside="0" occluded="1" points="35.50,10.25"></points>
      <points label="right" source="manual" outside="0" occluded="0" points="50.00,60.00"></points>
    </skeleton>
    <skeleton label="tri" source="manual" z_order="0">
      <points label="right" source="manual" outside="0" occluded="0" points="90.00,70.00"></points>
      <points label="top" source="manual" outside="1" occluded="0" points="10.00,10.00"></points>
      <points label="left" source="manual" outside="0" occluded="0" points="60.00,40.00"></points>
    </skeleton>
    <box label="car" source="manual" occluded="0" xtl="1" ytl="1" xbr="9" ybr="9" z_order="0"></box>
  </image>
  <image id="1" name="b.jpg" width="100" height="80">
    <skeleton label="tri" source="manual" z_order="0">
      <points label="left" source="manual" outside="0" occluded="0" points="120.00,60.00"></points>
      <points label="top" source="manual" outside="0" occluded="0" points="70.00,20.00"></points>
      <points label="right" source="manual" outside="0" occluded="0" points="90.00,60.00"></points>
    </skeleton>
  </image>
</annotations>
"""


def _skeleton_task(folder: Path) -> Path:
    (folder / "images").mkdir(parents=True)
    for index, name in enumerate(("a.jpg", "b.jpg")):
        (folder / "images" / name).write_bytes(jpeg(100, 80, seed=index))
    (folder / "annotations.xml").write_text(SKELETONS)
    return folder


def test_cvat_skeletons_import_as_pose_in_the_metas_point_order(ydc, tmp_path):
    report = imported(ydc, _skeleton_task(tmp_path / "poses"))
    dataset = report["dataset"]
    assert (dataset["task"], dataset["kpt_shape"], dataset["classes"]) == ("pose", [3, 3], ["car", "tri"])
    assert dataset["skeleton"] == [[1, 0], [1, 2]]  # the svg's edges: top-left, top-right
    assert dataset["num_images"] == {"train": 2, "val": 0, "test": 0}
    assert report["notes"] == ["1 box shape not imported (skeletons only)",
                               "1 object had keypoints off the image, stored as not labelled"]
    # keypoints in the meta's order (left, top, right); occluded 1, outside 0 (stored as 0 0 0)
    assert_close(stored_shapes(ydc, "poses"), {
        "a.jpg": sorted([("tri", (20, 60, 2, 35.5, 10.25, 1, 50, 60, 2)), ("tri", (60, 40, 2, 0, 0, 0, 90, 70, 2))]),
        "b.jpg": [("tri", (0, 0, 0, 70, 20, 2, 90, 60, 2))]}, 1e-4)
    shown = json.loads(ydc("--json", "images", "show", "poses", "train", "a.jpg").stdout)
    boxes = sorted((a["x"] * 100, a["y"] * 80, a["width"] * 100, a["height"] * 80) for a in shown["annotations"])
    assert np.allclose(boxes, [(35, 35.125, 30, 49.75), (75, 55, 30, 30)], atol=1e-4)  # the labelled points' extent


def test_a_mixed_file_is_its_most_common_kind_and_task_picks_another(ydc, tmp_path):
    shapes = {"a.jpg": [*POLYGONS["a.jpg"], ["rotated", "dog", [30, 20, 16, 8, 30]]], "b.jpg": POLYGONS["b.jpg"]}
    written = _datumaro_cvat(tmp_path, shapes, boxes={"c.jpg": [["cat", 1, 1, 10, 10]]})
    report = imported(ydc, written, "--name", "mixed")
    assert report["dataset"]["task"] == "segment"
    assert report["notes"] == ["1 box shape not imported (polygons only)", "1 rotated box not imported",
                               "1 image with only such shapes stored unlabelled, not as background"]
    assert (report["labeled"], report["backgrounds"]) == (2, 2)  # c.jpg unlabelled, d.jpg a background
    boxes = imported(ydc, written, "--name", "boxes", "--task", "detect")
    assert boxes["dataset"]["task"] == "detect" and boxes["labeled"] == 1
    assert boxes["notes"][:2] == ["3 polygon shapes not imported (boxes only)", "1 rotated box not imported"]
    # a plain box and a polygon of four corners are oriented boxes too
    oriented = imported(ydc, written, "--name", "oriented", "--task", "obb")
    assert (oriented["dataset"]["task"], oriented["labeled"]) == ("obb", 2)
    assert oriented["notes"][0] == "2 polygon shapes not imported (oriented boxes only)"
    assert [len(s[1]) for s in stored_shapes(ydc, "oriented")["a.jpg"]] == [8, 8]


@pytest.mark.parametrize("task", ["segment", "obb", "pose"])
def test_round_trip_through_cvat_keeps_every_shape(ydc, tmp_path, task):
    source = shapes_dataset(tmp_path / "shapes", task, train=5, val=2)
    first = imported(ydc, source, "--name", "src")
    assert first["dataset"]["task"] == task
    folder = Path(json.loads(ydc("--json", "datasets", "export", "src", "--format", "cvat", "--output",
                                 tmp_path / "out").stdout)["path"])
    back = imported(ydc, folder, "--name", "back")
    assert back["dataset"]["task"] == task and back["dataset"]["classes"] == first["dataset"]["classes"]
    assert back["dataset"].get("kpt_shape") == first["dataset"].get("kpt_shape")
    assert (back["images"], back["labeled"], back["notes"], back["skipped"]) == (7, 7, [], [])
    assert back["dataset"]["num_images"] == first["dataset"]["num_images"]
    assert_close(stored_shapes(ydc, "back"), stored_shapes(ydc, "src"), 1.0)
    assert_close(stored_shapes(ydc, "back"), stored_shapes(ydc, "src"), 1e-3)  # 6 decimals of a pixel
    if task != "pose":  # Datumaro reads ydc's polygons and rotated boxes (it has no skeletons)
        judged = datumaro_read_shapes("cvat", folder)
        found = {f"{item['id']}.jpg": sorted((c, tuple(p)) for _, c, p in item["shapes"]) for item in judged["items"]}
        assert_close(found, stored_shapes(ydc, "src"), 0.01)  # Datumaro rounds to 2 decimals


def test_an_oriented_box_that_is_no_rectangle_is_written_as_four_corners(ydc, tmp_path):
    source = tmp_path / "quad"
    (source / "images" / "train").mkdir(parents=True)
    (source / "labels" / "train").mkdir(parents=True)
    (source / "images" / "train" / "q.jpg").write_bytes(jpeg(100, 100))
    (source / "labels" / "train" / "q.txt").write_text("0 0.1 0.1 0.6 0.15 0.5 0.6 0.2 0.5\n"
                                                        "0 0.5 0.5 0.9 0.5 0.9 0.7 0.5 0.7\n")
    (source / "data.yaml").write_text("train: images/train\nnames: [plate]\n")
    assert imported(ydc, source)["dataset"]["task"] == "obb"
    folder = Path(json.loads(ydc("--json", "datasets", "export", "quad", "--format", "cvat", "--output",
                                 tmp_path / "out").stdout)["path"])
    text = (folder / "annotations.xml").read_text()
    assert text.count("<polygon") == 1 and text.count('rotation="') == 1
    back = imported(ydc, folder, "--name", "back")
    assert back["dataset"]["task"] == "obb"
    assert_close(stored_shapes(ydc, "back"), stored_shapes(ydc, "quad"), 1e-3)


@pytest.mark.parametrize("case", ["task-not-there", "truncated", "svg-only-meta"])
def test_bad_files_are_refused_with_one_error_line(ydc, tmp_path, case):
    written = _datumaro_cvat(tmp_path, POLYGONS)
    args = []
    if case == "task-not-there":
        args = ["--task", "pose"]
    elif case == "truncated":
        text = (written / "train.xml").read_text()
        (written / "train.xml").write_text(text[:text.index("<polygon") + 40])
    else:
        (written / "train.xml").write_text((written / "train.xml").read_text().replace(
            "<meta>", '<!DOCTYPE annotations [<!ENTITY e "x">]><meta>', 1))
    result = ydc("datasets", "import", written, *args)
    assert result.exit_code == 5, result.stderr
    assert len(result.stderr.splitlines()) == 1 and result.stderr.startswith("Error: "), result.stderr
    if case == "task-not-there":
        assert "are segment, not pose" in result.stderr
    else:
        assert str(written / "train.xml") in result.stderr
    assert json.loads(ydc("--json", "datasets", "list").stdout) == []
