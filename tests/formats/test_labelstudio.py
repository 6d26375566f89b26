"""Label Studio's JSON export, judged by Label Studio's converter (every backend, through the CLI).

label-studio-converter is the library Label Studio itself exports with: its
``convert_yolo_to_ls`` writes tasks (``/data/local-files/?d=`` or upload paths, annotations or
predictions) that ydc imports box for box; its ``Converter`` reads ydc's export back (to YOLO)
and writes it as the JSON-MIN export, which ydc imports again. What only the Label Studio
server writes (cancelled and repeated annotations, rotated and polygon regions, a ``Rectangle``
paired with ``Labels``, cloud storage URLs) is hand-written after its export format, and says so.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.formats.common import (
    CLASSES,
    ITEMS,
    assert_same,
    datumaro_items,
    expected_boxes,
    imported,
    sizes,
    stored_boxes,
    write_images,
)
from tests.helpers import jpeg
from tests.oracles import datumaro_write, labelstudio_min, labelstudio_read, labelstudio_write

PREFIXED = [(f"{index:x}f2a9c1e-{name}", split, size, boxes) for index, (name, split, size, boxes) in
            enumerate(ITEMS, start=1)]


def _flat_yolo(folder: Path, items=ITEMS) -> dict[str, Path]:
    """``items`` as the flat YOLO folder Label Studio's converter reads (images/, labels/, classes.txt)."""
    paths = write_images(folder / "images", items)
    (folder / "labels").mkdir()
    (folder / "classes.txt").write_text("\n".join(CLASSES) + "\n")
    for name, _, (width, height), boxes in items:
        lines = [f"{CLASSES.index(c)} {(x1 + x2) / 2 / width:.6f} {(y1 + y2) / 2 / height:.6f} "
                 f"{(x2 - x1) / width:.6f} {(y2 - y1) / height:.6f}" for c, x1, y1, x2, y2 in boxes]
        (folder / "labels" / f"{Path(name).stem}.txt").write_text("".join(line + "\n" for line in lines))
    return paths


def _boxes(ydc, dataset: str, split: str, filename: str) -> list[tuple]:
    return [(b["class_id"], b["x"], b["y"], b["width"], b["height"]) for b in
            json.loads(ydc("--json", "labels", "show", dataset, split, filename).stdout)]


def test_tasks_written_by_the_converter_import_box_for_box(ydc, tmp_path):
    _flat_yolo(tmp_path / "project")
    tasks = labelstudio_write(tmp_path / "project", tmp_path / "project" / "tasks.json")
    assert json.loads(tasks.read_text())[0]["data"]["image"].startswith("/data/local-files/?d=images/")
    result = ydc("datasets", "import", tasks, "--name", "ls")
    assert result.exit_code == 0, result.stderr
    assert result.stderr.startswith(f"Imported ls from Label Studio at {tasks.parent}: 4 images, 3 labeled, "
                                    "1 background"), result.stderr
    report = imported(ydc, tmp_path / "project", "--name", "folder")  # the folder holding the export
    assert report["format"] == "labelstudio" and report["dataset"]["classes"] == CLASSES
    assert report["dataset"]["num_images"] == {"train": 4, "val": 0, "test": 0}
    assert (report["notes"], report["skipped"]) == ([], [])
    assert_same(stored_boxes(ydc, "ls"), expected_boxes())


def test_upload_paths_find_the_files_without_their_prefix(ydc, tmp_path):
    """The converter writes tasks for uploads (/data/upload/1/<8 hex>-<name>, as Label Studio names
    them); the folder holds the original files."""
    _flat_yolo(tmp_path / "project", PREFIXED)
    tasks = labelstudio_write(tmp_path / "project", tmp_path / "export" / "export.json", "/data/upload/1")
    assert json.loads(tasks.read_text())[0]["data"]["image"].startswith("/data/upload/1/")
    write_images(tmp_path / "export" / "media")
    report = imported(ydc, tmp_path / "export")
    assert (report["images"], report["skipped"]) == (4, [])
    assert_same(stored_boxes(ydc, "export"), expected_boxes())


def test_predictions_are_not_labels(ydc, tmp_path):
    _flat_yolo(tmp_path / "project")
    tasks = labelstudio_write(tmp_path / "project", tmp_path / "project" / "tasks.json", out_type="predictions")
    report = imported(ydc, tasks)
    assert (report["images"], report["labeled"]) == (4, 0)
    assert report["notes"] == ["4 tasks with predictions but no annotation stored unlabelled (predictions are not "
                               "labels)"]
    listed = {row["labels"] for row in json.loads(ydc("--json", "images", "list", "tasks").stdout)}
    assert listed == {"none"}


def test_the_export_is_read_back_by_the_converter_and_its_json_min_by_ydc(ydc, tmp_path):
    paths = write_images(tmp_path / "src")
    imported(ydc, datumaro_write("coco_instances", tmp_path / "seed", CLASSES, datumaro_items(paths)), "--name", "d")
    folder = Path(json.loads(ydc("--json", "datasets", "export", "d", "--format", "labelstudio", "--output",
                                 tmp_path / "out").stdout)["path"])
    assert folder.name == "d-labelstudio"
    assert sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file()) == [
        "images/train/a.jpg", "images/train/b.jpg", "images/val/c.jpg", "images/val/d.jpg", "label_config.xml",
        "tasks.json"]
    tasks = json.loads((folder / "tasks.json").read_text())
    assert [(t["data"]["image"], t["data"]["split"], len(t["annotations"][0]["result"])) for t in tasks] == [
        (f"/data/local-files/?d=images/{split}/{name}", split, len(boxes)) for name, split, _, boxes in ITEMS]
    judged = labelstudio_read(folder / "label_config.xml", folder / "tasks.json")
    found = {}
    for stem, rows in judged.items():
        width, height = sizes()[f"{stem}.jpg"]
        found[f"{stem}.jpg"] = sorted((c, (x - w / 2) * width, (y - h / 2) * height, (x + w / 2) * width,
                                       (y + h / 2) * height) for c, x, y, w, h in rows)
    assert_same(found, expected_boxes(), sizes())
    back = imported(ydc, folder, "--name", "back")
    assert back["dataset"]["num_images"] == {"train": 2, "val": 2, "test": 0}
    assert (back["labeled"], back["backgrounds"], back["dataset"]["classes"]) == (3, 1, CLASSES)
    assert_same(stored_boxes(ydc, "back"), expected_boxes())
    # the converter's JSON-MIN export of the same tasks: one row per annotation, regions under "label"
    json_min = labelstudio_min(folder / "label_config.xml", folder / "tasks.json", folder / "min.json")
    rows = json.loads(json_min.read_text())
    assert "data" not in rows[0] and "annotations" not in rows[0] and "annotation_id" in rows[0]
    shutil.move(folder / "tasks.json", tmp_path / "tasks.json")
    again = imported(ydc, folder, "--name", "min")
    assert again["format"] == "labelstudio"
    assert again["dataset"]["num_images"] == {"train": 2, "val": 2, "test": 0}
    assert (again["labeled"], again["backgrounds"]) == (3, 1)
    assert_same(stored_boxes(ydc, "min"), expected_boxes())


def _server_export(folder: Path, tasks: list[dict]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "project-1-at-2024-05-01-10-00-3f2a9c1e.json").write_text(json.dumps(tasks))
    return folder


BOX = {"id": "k1", "type": "rectanglelabels", "from_name": "label", "to_name": "image", "original_width": 100,
       "original_height": 50, "image_rotation": 0,
       "value": {"x": 10, "y": 20, "width": 50, "height": 40, "rotation": 0, "rectanglelabels": ["cat"]}}


def test_the_latest_annotation_not_cancelled_counts(ydc, tmp_path):
    """Hand-written after Label Studio's export: three annotations of one task, the latest cancelled."""
    dog = {**BOX, "value": {**BOX["value"], "rectanglelabels": ["dog"]}}
    task = {"id": 1, "data": {"image": "s3://bucket/photos/cat.jpg?X-Amz-Signature=1"}, "annotations": [
        {"id": 3, "created_at": "2024-05-01T10:00:02.000000Z", "result": [dog]},
        {"id": 2, "created_at": "2024-05-01T10:00:01.000000Z", "result": [BOX, BOX]},
        {"id": 4, "created_at": "2024-05-01T10:00:03.000000Z", "result": [], "was_cancelled": True}]}
    folder = _server_export(tmp_path / "ls", [task, {"id": 2, "data": {"image": "/data/upload/1/0badcafe-dog.jpg"},
                                                     "annotations": []}])
    (folder / "cat.jpg").write_bytes(jpeg(100, 50))
    (folder / "0badcafe-dog.jpg").write_bytes(jpeg(100, 50, seed=1))  # the prefixed name is there: kept
    report = imported(ydc, folder)
    assert report["dataset"]["classes"] == ["dog"]  # the older annotation's cat is not a class
    assert _boxes(ydc, "ls", "train", "cat.jpg") == [(0, 0.35, 0.4, 0.5, 0.4)]
    listed = {row["filename"]: row["labels"] for row in json.loads(ydc("--json", "images", "list", "ls").stdout)}
    assert listed == {"cat.jpg": "boxes", "0badcafe-dog.jpg": "none"}  # a task never annotated has no labels


def test_rotated_boxes_and_other_regions_are_counted(ydc, tmp_path):
    """Hand-written after Label Studio's export: a rotated box, a polygon-only task, a Rectangle drawn with a
    Labels control (two results of one id), a choice, and the image under another data key."""
    turned = {**BOX, "id": "k2", "value": {**BOX["value"], "rotation": 30}}
    polygon = {"id": "k3", "type": "polygonlabels", "value": {"points": [[1, 1], [50, 1], [50, 50]],
                                                              "polygonlabels": ["dog"]}}
    drawn = {"id": "k4", "type": "rectangle", "value": {"x": 0, "y": 0, "width": 100, "height": 100, "rotation": 0}}
    named = {**drawn, "type": "labels", "value": {**drawn["value"], "labels": ["bird"]}}
    choice = {"id": "k5", "type": "choices", "value": {"choices": ["day"]}}
    folder = _server_export(tmp_path / "ls", [
        {"id": 1, "data": {"photo": "/data/local-files/?d=shots/val/a.jpg"},
         "annotations": [{"id": 1, "result": [BOX, turned, drawn, named, choice]}]},
        {"id": 2, "data": {"image": "/data/local-files/?d=shots/val/b.jpg"},
         "annotations": [{"id": 2, "result": [polygon]}]}])
    for name in ("a.jpg", "b.jpg"):
        (folder / "shots" / "val").mkdir(parents=True, exist_ok=True)
        (folder / "shots" / "val" / name).write_bytes(jpeg(100, 50))
    report = imported(ydc, folder)
    assert report["dataset"]["num_images"] == {"train": 0, "val": 2, "test": 0}  # from the folder on the way
    assert report["notes"] == ["1 choices result not imported (rectanglelabels only)",
                               "1 polygonlabels result not imported (rectanglelabels only)",
                               "1 rotated box not imported",
                               "1 image with only such regions stored unlabelled, not as background"]
    assert report["dataset"]["classes"] == ["cat", "bird"]
    assert sorted(_boxes(ydc, "ls", "val", "a.jpg")) == [(0, 0.35, 0.4, 0.5, 0.4), (1, 0.5, 0.5, 1.0, 1.0)]
    listed = {row["filename"]: row["labels"] for row in json.loads(ydc("--json", "images", "list", "ls").stdout)}
    assert listed == {"a.jpg": "boxes", "b.jpg": "none"}


def test_classes_follow_the_label_config(ydc, tmp_path):
    folder = _server_export(tmp_path / "ls", [{"id": 1, "data": {"image": "/data/upload/1/cat.jpg"},
                                               "annotations": [{"id": 1, "result": [BOX]}]}])
    (folder / "cat.jpg").write_bytes(jpeg(100, 50))
    (folder / "label_config.xml").write_text(
        '<View><Image name="image" value="$image"/><Choices name="c" toName="image"><Choice value="day"/></Choices>'
        '<RectangleLabels name="label" toName="image"><Label value="dog"/><Label value="cat"/></RectangleLabels>'
        '<PolygonLabels name="p" toName="image"><Label value="road"/></PolygonLabels></View>')
    assert imported(ydc, folder)["dataset"]["classes"] == ["dog", "cat"]
    assert _boxes(ydc, "ls", "train", "cat.jpg") == [(1, 0.35, 0.4, 0.5, 0.4)]


@pytest.mark.parametrize("text", ['[{"id": 1, "data": {"image": "/data/upload/1/cat.jpg"}, "annotations": [{"res',
                                  '[{"id": 1, "data": {"image": "x.jpg"}}, 7]'], ids=["truncated", "not-tasks"])
@pytest.mark.parametrize("forced", [True, False])
def test_a_broken_export_is_refused_naming_it(ydc, tmp_path, text, forced):
    folder = tmp_path / "broken"
    folder.mkdir()
    (folder / "cat.jpg").write_bytes(jpeg())
    (folder / "export.json").write_text(text)
    result = ydc("datasets", "import", folder, *(["--format", "labelstudio"] if forced else []))
    assert result.exit_code == 5, result.stderr
    assert len(result.stderr.splitlines()) == 1 and result.stderr.startswith("Error: "), result.stderr
    assert str(folder / "export.json") in result.stderr
    assert json.loads(ydc("--json", "datasets", "list").stdout) == []


def test_missing_images_are_named(ydc, tmp_path):
    folder = _server_export(tmp_path / "ls", [{"id": 1, "data": {"image": "http://example.com/a/gone.jpg"},
                                               "annotations": [{"id": 1, "result": [BOX]}]},
                                              {"id": 2, "data": {"text": "no image"}}])
    report = imported(ydc, folder)
    assert report["images"] == 0
    assert report["skipped"] == [["/a/gone.jpg", "image file not found"], ["task 2", "image file not found"]]
