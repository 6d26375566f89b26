"""CVAT for images 1.1, written and read by Datumaro (Pascal VOC: tests/formats/test_voc.py)."""

from __future__ import annotations

import json
from pathlib import Path

from tests.formats.common import (
    CLASSES,
    assert_same,
    datumaro_boxes,
    datumaro_items,
    expected_boxes,
    imported,
    sizes,
    stored_boxes,
    write_images,
)
from tests.helpers import jpeg
from tests.oracles import datumaro_read, datumaro_write


def _stored(ydc, tmp_path) -> str:
    paths = write_images(tmp_path / "src")
    written = datumaro_write("coco_instances", tmp_path / "seed", CLASSES, datumaro_items(paths))
    imported(ydc, written, "--name", "d")
    return "d"


def test_datumaro_cvat_imports_box_for_box(ydc, tmp_path):
    paths = write_images(tmp_path / "src")
    written = datumaro_write("cvat", tmp_path / "dm-cvat", CLASSES, datumaro_items(paths))
    report = imported(ydc, written)
    assert (report["format"], report["dataset"]["classes"]) == ("cvat", CLASSES)
    assert report["dataset"]["num_images"] == {"train": 2, "val": 2, "test": 0}
    assert_same(stored_boxes(ydc, "dm-cvat"), expected_boxes())


def test_cvat_export_is_read_back_by_datumaro_and_ydc(ydc, tmp_path):
    name = _stored(ydc, tmp_path)
    folder = Path(json.loads(ydc("--json", "datasets", "export", name, "--format", "cvat", "--output",
                                 tmp_path / "out").stdout)["path"])
    assert folder.name == "d-cvat" and (folder / "annotations.xml").is_file()
    judged = datumaro_read("cvat", folder)
    assert judged["classes"] == CLASSES
    assert_same(datumaro_boxes(judged), expected_boxes(), sizes())
    assert sorted((item["subset"], item["id"]) for item in judged["items"]) == [
        ("train", "a"), ("train", "b"), ("val", "c"), ("val", "d")]
    back = imported(ydc, folder, "--name", "back")
    assert back["dataset"]["num_images"] == {"train": 2, "val": 2, "test": 0}
    assert_same(stored_boxes(ydc, "back"), expected_boxes())


def test_cvat_polygons_are_counted_not_imported(ydc, tmp_path):
    (tmp_path / "task" / "images").mkdir(parents=True)
    (tmp_path / "task" / "images" / "a.jpg").write_bytes(jpeg(64, 48))
    (tmp_path / "task" / "annotations.xml").write_text(
        '<annotations><version>1.1</version><meta><task><labels><label><name>car</name></label></labels></task>'
        '</meta><image id="0" name="a.jpg" width="64" height="48">'
        '<box label="car" xtl="0" ytl="0" xbr="32" ybr="24"></box>'
        '<polygon label="car" points="1,1;10,1;10,10"></polygon></image></annotations>')
    result = ydc("datasets", "import", tmp_path / "task")
    assert result.exit_code == 0, result.stderr
    assert "note: 1 polygon shape not imported (boxes only)" in result.stderr
    boxes = json.loads(ydc("--json", "labels", "show", "task", "train", "a.jpg").stdout)
    assert [(b["x"], b["y"], b["width"], b["height"]) for b in boxes] == [(0.25, 0.25, 0.5, 0.5)]
