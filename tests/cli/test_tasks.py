"""Every YOLO task through the CLI, on every backend: create, import (detected, mixed kinds refused),
labels show/set, validate and --fix, convert, and the everyday commands keeping shapes."""

from __future__ import annotations

import json
import shutil
import zipfile

import pytest

from tests.helpers import label_lines, shapes_dataset

TASKS = ("segment", "obb", "pose")


def _json(result):
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def _labels(ydc, dataset: str) -> dict[str, list[list[float]]]:
    """Every stored label of a dataset as rows of floats, read back through a YOLO export."""
    import tempfile
    from pathlib import Path

    out = Path(tempfile.mkdtemp())
    path = _json(ydc("--json", "datasets", "export", dataset, "--format", "yolo", "--output", out))["path"]
    rows = label_lines(Path(path))
    shutil.rmtree(out)
    return rows


def _close(a: dict, b: dict, tolerance: float = 1e-6) -> bool:
    def rows_close(x: list[float], y: list[float]) -> bool:
        return len(x) == len(y) and all(abs(p - q) <= tolerance for p, q in zip(x, y, strict=True))

    return a.keys() == b.keys() and all(
        len(a[k]) == len(b[k]) and all(rows_close(x, y) for x, y in zip(a[k], b[k], strict=True)) for k in a)


@pytest.mark.parametrize("task", TASKS)
def test_import_detects_the_task_and_keeps_every_point(ydc, tmp_path, task):
    source = shapes_dataset(tmp_path / task, task)
    report = _json(ydc("--json", "datasets", "import", source))
    assert report["dataset"]["task"] == task and report["images"] == 8 and report["labeled"] == 8
    if task == "pose":
        assert (report["dataset"]["kpt_shape"], report["dataset"]["flip_idx"]) == ([3, 3], [0, 2, 1])
    assert _close(_labels(ydc, task), label_lines(source))
    text = ydc("datasets", "info", task).stdout
    assert f"task     {task}" in text
    # the zip export round trip keeps the task and every point
    out = _json(ydc("--json", "datasets", "export", task, "--format", "zip", "--output", tmp_path / "zips"))["path"]
    with zipfile.ZipFile(out) as archive:
        yaml_text = archive.read(f"{task}/data.yaml").decode()
    assert f"task: {task}" in yaml_text
    again = _json(ydc("--json", "datasets", "import", out, "--name", "again"))
    assert again["dataset"]["task"] == task
    assert _close(_labels(ydc, "again"), label_lines(source))


def test_create_with_a_task_and_set_each_kind(ydc, tmp_path):
    from tests.helpers import jpeg

    (tmp_path / "x.jpg").write_bytes(jpeg())
    cases = [
        (("--task", "segment"), "--polygon", "a 0.1 0.1 0.5 0.1 0.3 0.6", [0.1, 0.1, 0.5, 0.1, 0.3, 0.6]),
        (("--task", "obb"), "--obb", "0 0.2 0.2 0.6 0.2 0.6 0.4 0.2 0.4", [0.2, 0.2, 0.6, 0.2, 0.6, 0.4, 0.2, 0.4]),
        (("--kpt-shape", "2,3"), "--keypoints", "a 0.5 0.5 0.4 0.4 0.4 0.4 2 0.6 0.6 0", [0.4, 0.4, 2, 0.6, 0.6, 0]),
    ]
    for index, (task_options, option, line, points) in enumerate(cases):
        name = f"d{index}"
        assert ydc("datasets", "create", name, "--classes", "a,b", *task_options).exit_code == 0
        assert ydc("images", "add", name, tmp_path / "x.jpg").exit_code == 0
        refused = ydc("labels", "set", name, "train", "x.jpg", "--box", "0 0.5 0.5 0.1 0.1")
        assert refused.exit_code == 2 and f"give them with {option}" in refused.stderr, refused.stderr
        stored = _json(ydc("--json", "labels", "set", name, "train", "x.jpg", option, line))
        assert stored[0]["points"] == pytest.approx(points)
        shown = _json(ydc("--json", "labels", "show", name, "train", "x.jpg"))
        assert shown == stored
        assert "points" in ydc("labels", "show", name, "train", "x.jpg").stdout
    bad = [
        ("d0", "--polygon", "0 0.1 0.1 0.5 0.1", "polygons of at least 3 points (--polygon 1)"),
        ("d0", "--polygon", "0 0.1 0.1 0.5 0.1 0.3", "an odd count"),
        ("d0", "--polygon", "0 0.1 0.1 0.5 0.1 0.3 1.5", "coordinate 1.5 is outside [0, 1]"),
        ("d1", "--obb", "0 0.2 0.2 0.6 0.2 0.6 0.4 0.2", "expected 9 columns"),
        ("d2", "--keypoints", "0 0.5 0.5 0.4 0.4 0.4 0.4 2", "expected 11 columns"),
        ("d2", "--keypoints", "0 0.5 0.5 0.4 0.4 0.4 0.4 2 0.6 0.6 0.5", "visibility must be 0, 1 or 2, got 0.5"),
    ]
    for name, option, line, message in bad:
        refused = ydc("labels", "set", name, "train", "x.jpg", option, line)
        assert refused.exit_code == 5 and message in refused.stderr and refused.stderr.count("\n") == 1, (
            line, refused.stderr)
    unknown = ydc("datasets", "create", "e", "--classes", "a", "--task", "classify")
    assert unknown.exit_code == 2 and "unknown task 'classify'" in unknown.stderr
    posed = ydc("datasets", "create", "e", "--classes", "a", "--task", "pose")
    assert posed.exit_code == 2 and "kpt_shape" in posed.stderr


def test_a_folder_mixing_kinds_is_refused_naming_file_and_line(ydc, tmp_path):
    source = shapes_dataset(tmp_path / "mixed", "segment")
    victim = sorted((source / "labels" / "val").glob("*.txt"))[-1]
    victim.write_text(victim.read_text() + "0 0.5 0.5 0.1 0.1\n")
    refused = ydc("datasets", "import", source)
    assert refused.exit_code == 5, refused.stderr
    assert "the labels mix kinds" in refused.stderr and f"{victim.name}:2)" in refused.stderr
    assert refused.stderr.count("\n") == 1
    assert _json(ydc("--json", "datasets", "list")) == []
    # a box file and a polygon file: kinds mixed across files
    other = shapes_dataset(tmp_path / "two", "segment")
    first = sorted((other / "labels" / "train").glob("*.txt"))[0]
    first.write_text("0 0.5 0.5 0.1 0.1\n")
    refused = ydc("datasets", "import", other)
    assert refused.exit_code == 5 and "the labels mix kinds" in refused.stderr, refused.stderr


def test_nine_columns_are_oriented_boxes_unless_asked_as_polygons(ydc, tmp_path):
    source = shapes_dataset(tmp_path / "quads", "obb")
    assert _json(ydc("--json", "datasets", "import", source))["dataset"]["task"] == "obb"
    asked = _json(ydc("--json", "datasets", "import", source, "--name", "quads-seg", "--task", "segment"))
    assert asked["dataset"]["task"] == "segment"
    assert _close(_labels(ydc, "quads-seg"), label_lines(source))
    refused = ydc("datasets", "import", source, "--name", "as-pose", "--task", "pose")
    assert refused.exit_code == 5 and "kpt_shape" in refused.stderr


def test_validate_checks_each_task_and_fix_repairs_what_it_safely_can(ydc, backend, tmp_path):
    source = shapes_dataset(tmp_path / "seg", "segment", train=3, val=1)
    labels = sorted((source / "labels" / "train").glob("*.txt"))
    # legal but doubtful shapes: they import, validate warns, --fix drops the zero-area one
    labels[0].write_text("0 0.1 0.1 0.4 0.4 0.1 0.4 0.4 0.1\n"  # a bow tie: crosses itself
                         "1 0.2 0.2 0.3 0.3 0.4 0.4\n"  # collinear: no area
                         "1 0.2 0.2 0.6 0.2 0.6 0.6\n1 0.2 0.2 0.6 0.2 0.6 0.6\n")  # a duplicate
    assert ydc("datasets", "import", source).exit_code == 0
    report = _json(ydc("--json", "datasets", "validate", "seg"))
    codes = {(f["line"], f["code"], f["severity"]) for f in report["findings"]}
    assert {(1, "self_intersection", "warning"), (2, "zero_area", "warning"),
            (4, "duplicate_row", "warning")} <= codes, codes
    fixed = ydc("--json", "datasets", "validate", "seg", "--fix")
    after = json.loads(fixed.stdout)
    assert after["fixed_labels"] == 1
    rows = _labels(ydc, "seg")[f"train/{labels[0].stem}"]
    assert [r[0] for r in rows] == [0, 1] and len(rows[1]) == 7  # zero-area and duplicate rows dropped
    if backend != "filesystem":
        return
    # errors a hand edit leaves in the folder, found with their file and line
    store_labels = tmp_path / "data" / "datasets" / "seg" / "labels" / "train"
    target = store_labels / labels[1].name
    target.write_text("0 0.1 0.1 0.2 0.2\n0 0.1 0.1 0.5 0.1 0.3\n0 0.1 0.1 0.2 0.2 0.3 1.3\n"
                      "5 0.1 0.1 0.2 0.1 0.3 0.3\n0 0.1 0.1 0.2 0.1 0.3 1.005\n")
    report = _json_any(ydc("--json", "datasets", "validate", "seg"))
    found = {(f["file"], f["line"], f["code"]) for f in report["findings"] if f["file"] == target.name}
    assert found == {(target.name, 1, "mixed_kinds"), (target.name, 2, "odd_coordinates"),
                     (target.name, 3, "coordinate_range"), (target.name, 4, "class_range"),
                     (target.name, 5, "coordinate_tolerance")}, found


def _json_any(result):
    assert result.exit_code in (0, 1), result.stderr
    return json.loads(result.stdout)


def test_pose_and_obb_validation(ydc, backend, tmp_path):
    pose = shapes_dataset(tmp_path / "pose", "pose", train=2, val=1)
    label = sorted((pose / "labels" / "train").glob("*.txt"))[0]
    label.write_text("0 0.5 0.5 0.2 0.2 0.5 0.45 2 0.45 0.55 1 0.9 0.9 2\n")  # keypoint 3 outside the box
    assert ydc("datasets", "import", pose).exit_code == 0
    findings = _json(ydc("--json", "datasets", "validate", "pose"))["findings"]
    assert [(f["code"], f["message"]) for f in findings] == [("keypoint_outside", "keypoint 3 outside the box")]
    if backend == "filesystem":
        stored = tmp_path / "data" / "datasets" / "pose" / "labels" / "train" / label.name
        stored.write_text("0 0.5 0.5 0.2 0.2 0.5 0.45 2 0.45 0.55 3 0.5 0.5 2\n0 0.5 0.5 0.2 0.2 0.5 0.45\n")
        codes = [f["code"] for f in _json_any(ydc("--json", "datasets", "validate", "pose"))["findings"]]
        assert codes == ["visibility", "keypoint_count"], codes
    obb = shapes_dataset(tmp_path / "obb", "obb", train=2, val=1)
    label = sorted((obb / "labels" / "train").glob("*.txt"))[0]
    label.write_text("0 0.2 0.2 0.6 0.6 0.6 0.2 0.2 0.6\n")  # corners out of order
    assert ydc("datasets", "import", obb).exit_code == 0
    findings = _json(ydc("--json", "datasets", "validate", "obb"))["findings"]
    assert [f["code"] for f in findings] == ["self_intersection"]


def test_convert_between_tasks_all_or_nothing(ydc, tmp_path):
    source = shapes_dataset(tmp_path / "seg", "segment")
    assert ydc("datasets", "import", source).exit_code == 0
    seg = label_lines(source)
    boxes = _json(ydc("--json", "datasets", "convert", "seg", "--to-task", "detect", "--into", "boxes"))
    assert boxes["dataset"]["task"] == "detect" and boxes["shapes"] == sum(len(v) for v in seg.values())
    for key, rows in _labels(ydc, "boxes").items():
        for row, polygon in zip(rows, seg[key], strict=True):
            xs, ys = polygon[1::2], polygon[2::2]
            want = [polygon[0], (min(xs) + max(xs)) / 2, (min(ys) + max(ys)) / 2, max(xs) - min(xs), max(ys) - min(ys)]
            assert row == pytest.approx(want, abs=2e-6)
    rotated = _json(ydc("--json", "datasets", "convert", "seg", "--to-task", "obb", "--into", "rects"))
    assert rotated["dataset"]["task"] == "obb"
    assert _json(ydc("--json", "datasets", "validate", "rects"))["errors"] == 0
    for key, rows in _labels(ydc, "rects").items():
        for row, polygon in zip(rows, seg[key], strict=True):  # the rectangle holds the polygon
            xs, ys = row[1::2], row[2::2]
            assert min(xs) <= min(polygon[1::2]) + 1e-3 and max(xs) >= max(polygon[1::2]) - 1e-3
            assert min(ys) <= min(polygon[2::2]) + 1e-3 and max(ys) >= max(polygon[2::2]) - 1e-3
    back = _json(ydc("--json", "datasets", "convert", "rects", "--to-task", "segment", "--into", "quads"))
    assert back["dataset"]["task"] == "segment" and _close(_labels(ydc, "quads"), _labels(ydc, "rects"))
    refused = ydc("datasets", "convert", "boxes", "--to-task", "segment", "--into", "x")
    assert refused.exit_code == 2 and "converts to no other task" in refused.stderr
    clash = ydc("datasets", "convert", "seg", "--to-task", "detect", "--into", "boxes")
    assert clash.exit_code == 4
    names = [d["name"] for d in _json(ydc("--json", "datasets", "list"))]
    assert names == ["boxes", "quads", "rects", "seg"]


def test_everyday_commands_keep_shapes(ydc, tmp_path, backend):
    source = shapes_dataset(tmp_path / "pose", "pose", train=6, val=2)
    assert ydc("datasets", "import", source).exit_code == 0
    original = label_lines(source)
    assert ydc("datasets", "split", "pose", "--train", "0.5", "--val", "0.5", "--seed", "1").exit_code == 0
    moved = _labels(ydc, "pose")
    by_stem = {k.split("/")[1]: v for k, v in original.items()}
    assert {k.split("/")[1]: v for k, v in moved.items()}.keys() == by_stem.keys()
    assert all(_close({"x": v}, {"x": by_stem[k.split("/")[1]]}) for k, v in moved.items())
    assert ydc("datasets", "subset", "pose", "--into", "some", "--sample", "3").exit_code == 0
    assert _json(ydc("--json", "datasets", "info", "some"))["kpt_shape"] == [3, 3]
    assert ydc("datasets", "classes", "pose", "--rename", "triangle=tri", "--add", "other").exit_code == 0
    assert ydc("datasets", "classes", "pose", "--reorder", "other,tri").exit_code == 0
    remapped = _labels(ydc, "pose")
    assert {r[0] for rows in remapped.values() for r in rows} == {1.0}
    assert all(len(r) == 14 for rows in remapped.values() for r in rows)
    other = "sqlite" if backend == "filesystem" else "filesystem"
    copied = ydc("datasets", "copy", "pose", "--to-backend", other, "--to-data-dir", tmp_path / "other")
    assert copied.exit_code == 0, copied.stderr
    assert ydc("datasets", "merge", "pose", "some", "--into", "both").exit_code == 0
    seg = shapes_dataset(tmp_path / "seg", "segment", train=2, val=1)
    assert ydc("datasets", "import", seg).exit_code == 0
    refused = ydc("datasets", "merge", "pose", "seg", "--into", "x")
    assert refused.exit_code == 5 and "different tasks" in refused.stderr
    dupes = ydc("datasets", "dedupe", "both")
    assert dupes.exit_code == 0, dupes.stderr
