"""Label Studio with polygons, rotated rectangles and keypoints (every backend, through the CLI).

Label Studio's converter is the judge where it reads these: its YOLO export reads
``polygonlabels`` and its YOLO OBB export turns rotated ``rectanglelabels`` into four corners
(``convert_annotation_to_yolo_obb``); ydc must find the same shapes in a file and write files it
reads the same way. Keypoints it does not read: those files are hand-written after Label Studio's
export (``keypointlabels`` regions with ``x``, ``y`` in percent, a ``width``, and ``hidden`` as the
converter's COCO import writes it).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from tests.formats.common import imported
from tests.formats.test_cvat_tasks import assert_close, stored_shapes
from tests.helpers import jpeg, shapes_dataset
from tests.oracles import labelstudio_read_shapes


def _region(kind: str, label: str, value: dict, width: int = 200, height: int = 100, name: str = "") -> dict:
    return {"id": f"{kind[:3]}{label}{json.dumps(value)[:24]}", "type": kind, "from_name": name or kind[:-6],
            "to_name": "image", "original_width": width, "original_height": height, "image_rotation": 0,
            "value": {**value, kind: [label]}}


def _export(folder: Path, results: dict[str, list[dict]], config: str, size=(200, 100)) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    tasks = []
    for index, (name, regions) in enumerate(results.items()):
        (folder / name).write_bytes(jpeg(*size, seed=index))
        tasks.append({"id": index + 1, "data": {"image": f"/data/upload/1/{name}"},
                      "annotations": [{"id": index + 1, "result": regions, "was_cancelled": False}]})
    (folder / "export.json").write_text(json.dumps(tasks))
    (folder / "label_config.xml").write_text(f'<View><Image name="image" value="$image"/>{config}</View>')
    return folder


def _labels(tag: str, name: str, values: list[str]) -> str:
    return f'<{tag} name="{name}" toName="image">' + "".join(f'<Label value="{v}"/>' for v in values) + f"</{tag}>"


def _converter_shapes(judged: dict, sizes: dict[str, tuple[int, int]]) -> dict[str, list[tuple]]:
    """The converter's label lines in pixels, as stored_shapes gives ydc's."""
    found = {}
    for stem, rows in judged.items():
        name = next(n for n in sizes if Path(n).stem == stem)
        width, height = sizes[name]
        found[name] = sorted((c, tuple(v * (width if i % 2 == 0 else height) for i, v in enumerate(values)))
                             for c, *values in rows)
    return found


def test_polygonlabels_import_as_segment_as_the_converter_reads_them(ydc, tmp_path):
    polygon = _region("polygonlabels", "road", {"points": [[10, 10], [60, 12.5], [55, 90], [20, 80.25], [5, 50]]})
    tri = _region("polygonlabels", "lake", {"points": [[70, 20], [95, 30], [80, 60]]})
    folder = _export(tmp_path / "ls", {"a.jpg": [polygon, tri], "b.jpg": []},
                     _labels("PolygonLabels", "polygon", ["lake", "road"]))
    report = imported(ydc, folder)
    assert (report["dataset"]["task"], report["dataset"]["classes"]) == ("segment", ["lake", "road"])
    assert (report["labeled"], report["backgrounds"], report["notes"]) == (1, 1, [])
    judged = labelstudio_read_shapes(folder / "label_config.xml", folder / "export.json")
    expected = _converter_shapes(judged, {"a.jpg": (200, 100), "b.jpg": (200, 100)})
    assert_close(stored_shapes(ydc, "ls"), expected, 1e-6 * 200)


def test_rotated_rectangles_import_as_obb_as_the_converter_turns_them(ydc, tmp_path):
    turned = _region("rectanglelabels", "ship", {"x": 20, "y": 10, "width": 30, "height": 20, "rotation": 30})
    back = _region("rectanglelabels", "ship", {"x": 80, "y": 70, "width": 10, "height": 15, "rotation": 200.5})
    plain = _region("rectanglelabels", "car", {"x": 5, "y": 50, "width": 10, "height": 20, "rotation": 0})
    folder = _export(tmp_path / "ls", {"a.jpg": [turned, back, plain]},
                     _labels("RectangleLabels", "rectangle", ["ship", "car"]))
    report = imported(ydc, folder)
    assert (report["dataset"]["task"], report["notes"]) == ("obb", [])
    judged = labelstudio_read_shapes(folder / "label_config.xml", folder / "export.json", obb=True)
    assert_close(stored_shapes(ydc, "ls"), _converter_shapes(judged, {"a.jpg": (200, 100)}), 1e-6 * 200)


KEYPOINTS = _labels("RectangleLabels", "label", ["cat", "dog"]) + _labels("KeyPointLabels", "kp",
                                                                          ["nose", "tail", "paw"])


def _point(label: str, x: float, y: float, **extra) -> dict:
    return _region("keypointlabels", label, {"x": x, "y": y, "width": 0.75, **extra})


def test_keypoints_are_grouped_into_the_smallest_rectangle_that_holds_them(ydc, tmp_path):
    big = _region("rectanglelabels", "cat", {"x": 10, "y": 10, "width": 80, "height": 80, "rotation": 0})
    small = _region("rectanglelabels", "dog", {"x": 50, "y": 50, "width": 20, "height": 20, "rotation": 0})
    results = [big, small, _point("nose", 20, 20), _point("tail", 60, 60), _point("paw", 30, 40, hidden=True),
               _point("nose", 70, 55), _point("nose", 95, 5), _point("nose", 25, 25)]
    folder = _export(tmp_path / "ls", {"a.jpg": results}, KEYPOINTS)
    report = imported(ydc, folder)
    dataset = report["dataset"]
    assert (dataset["task"], dataset["kpt_shape"], dataset["classes"]) == ("pose", [3, 3], ["cat", "dog"])
    assert report["notes"] == ["1 keypoint in no rectangle (or not of the KeyPointLabels) not imported",
                               "1 keypoint repeating a label in one rectangle not imported"]
    # nose, tail, paw in the config's order: the cat has nose and a hidden paw, the dog nose and tail
    assert_close(stored_shapes(ydc, "ls"), {"a.jpg": [("cat", (40, 20, 2, 0, 0, 0, 60, 40, 1)),
                                                      ("dog", (140, 55, 2, 120, 60, 2, 0, 0, 0))]}, 1e-4)
    shown = json.loads(ydc("--json", "images", "show", "ls", "train", "a.jpg").stdout)
    assert np.allclose(sorted((a["x"], a["y"], a["width"], a["height"]) for a in shown["annotations"]),
                       [(0.5, 0.5, 0.8, 0.8), (0.6, 0.6, 0.2, 0.2)])  # the rectangles are the boxes


def test_a_mixed_export_is_its_most_common_kind_and_task_picks_another(ydc, tmp_path):
    polygon = _region("polygonlabels", "road", {"points": [[10, 10], [60, 12.5], [55, 90], [20, 80.25], [5, 50]]})
    box = _region("rectanglelabels", "car", {"x": 5, "y": 50, "width": 10, "height": 20, "rotation": 0})
    folder = _export(tmp_path / "ls", {"a.jpg": [polygon, box], "b.jpg": [polygon]}, "")
    report = imported(ydc, folder, "--name", "mixed")
    assert report["dataset"]["task"] == "segment" and report["labeled"] == 2
    assert report["notes"] == ["1 rectanglelabels result not imported (polygonlabels only)"]
    boxes = imported(ydc, folder, "--name", "boxes", "--task", "detect")
    assert (boxes["dataset"]["task"], boxes["labeled"]) == ("detect", 1)
    assert boxes["notes"] == ["2 polygonlabels results not imported (rectanglelabels only)",
                              "1 image with only such regions stored unlabelled, not as background"]


@pytest.mark.parametrize("task", ["segment", "obb", "pose"])
def test_round_trip_through_label_studio_keeps_every_shape(ydc, tmp_path, task):
    source = shapes_dataset(tmp_path / "shapes", task, train=5, val=2)
    first = imported(ydc, source, "--name", "src")
    folder = Path(json.loads(ydc("--json", "datasets", "export", "src", "--format", "labelstudio", "--output",
                                 tmp_path / "out").stdout)["path"])
    back = imported(ydc, folder, "--name", "back")
    assert back["dataset"]["task"] == task and back["dataset"]["classes"] == first["dataset"]["classes"]
    assert back["dataset"].get("kpt_shape") == first["dataset"].get("kpt_shape")
    assert (back["images"], back["labeled"], back["notes"], back["skipped"]) == (7, 7, [], [])
    assert back["dataset"]["num_images"] == first["dataset"]["num_images"]
    assert_close(stored_shapes(ydc, "back"), stored_shapes(ydc, "src"), 1.0)
    assert_close(stored_shapes(ydc, "back"), stored_shapes(ydc, "src"), 1e-3)
    if task != "pose":  # the converter reads ydc's polygons and rotated rectangles (not keypoints)
        judged = labelstudio_read_shapes(folder / "label_config.xml", folder / "tasks.json", obb=task == "obb")
        sizes = {name: (96, 96) for name in stored_shapes(ydc, "src")}
        assert_close(_converter_shapes(judged, sizes), stored_shapes(ydc, "src"), 1e-3)


def test_an_oriented_box_that_is_no_rectangle_is_written_as_a_polygon(ydc, tmp_path):
    source = tmp_path / "quad"
    (source / "images" / "train").mkdir(parents=True)
    (source / "labels" / "train").mkdir(parents=True)
    (source / "images" / "train" / "q.jpg").write_bytes(jpeg(100, 50))
    (source / "labels" / "train" / "q.txt").write_text("0 0.1 0.1 0.6 0.15 0.5 0.6 0.2 0.5\n"
                                                        "0 0.5 0.5 0.9 0.5 0.9 0.7 0.5 0.7\n")
    (source / "data.yaml").write_text("train: images/train\nnames: [plate]\n")
    imported(ydc, source)
    folder = Path(json.loads(ydc("--json", "datasets", "export", "quad", "--format", "labelstudio", "--output",
                                 tmp_path / "out").stdout)["path"])
    (task,) = json.loads((folder / "tasks.json").read_text())
    assert sorted(r["type"] for r in task["annotations"][0]["result"]) == ["polygonlabels", "rectanglelabels"]
    back = imported(ydc, folder, "--name", "back")
    assert back["dataset"]["task"] == "obb"
    assert_close(stored_shapes(ydc, "back"), stored_shapes(ydc, "quad"), 1e-3)


@pytest.mark.parametrize("case", ["task-not-there", "truncated"])
def test_bad_exports_are_refused_with_one_error_line(ydc, tmp_path, case):
    polygon = _region("polygonlabels", "road", {"points": [[10, 10], [60, 12.5], [55, 90]]})
    folder = _export(tmp_path / "ls", {"a.jpg": [polygon]}, "")
    args = ["--task", "pose"] if case == "task-not-there" else []
    if case == "truncated":
        text = (folder / "export.json").read_text()
        (folder / "export.json").write_text(text[:text.index("points") + 12])
    result = ydc("datasets", "import", folder, *args)
    assert result.exit_code == 5, result.stderr
    assert len(result.stderr.splitlines()) == 1 and result.stderr.startswith("Error: "), result.stderr
    assert ("are segment, not pose" if case == "task-not-there" else str(folder / "export.json")) in result.stderr
    assert json.loads(ydc("--json", "datasets", "list").stdout) == []
