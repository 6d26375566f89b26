"""Pascal VOC and CVAT for images 1.1, written and read by supervision and Datumaro.

Datumaro and CVAT write 0-based continuous coordinates (``5.0``); the VOC devkit and
supervision write 1-based integer pixels. ydc reads each as written (see formats/voc.py),
so files from both import box for box; its own VOC export uses decimals, which Datumaro
reads exactly and supervision (a devkit reader) one pixel further left and up.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np

from tests.formats.common import (
    CLASSES,
    ITEMS,
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

# supervision rounds VOC boxes to whole pixels: its items use integer corners
WHOLE = [(name, split, size, [(c, *map(round, corners)) for c, *corners in boxes])
         for name, split, size, boxes in ITEMS]


def _supervision_voc(folder: Path, items=WHOLE) -> Path:
    import supervision as sv

    paths = write_images(folder / "src", items)
    annotations = {str(paths[name]): sv.Detections(
        xyxy=np.array([b[1:] for b in boxes], dtype=float).reshape(-1, 4),
        class_id=np.array([CLASSES.index(b[0]) for b in boxes], dtype=int)) for name, _, _, boxes in items}
    sv.DetectionDataset(CLASSES, [str(p) for p in paths.values()], annotations).as_pascal_voc(
        images_directory_path=str(folder / "voc" / "images"), annotations_directory_path=str(folder / "voc" / "xml"))
    shutil.rmtree(folder / "src")
    return folder / "voc"


def _stored(ydc, tmp_path) -> str:
    paths = write_images(tmp_path / "src")
    written = datumaro_write("coco_instances", tmp_path / "seed", CLASSES, datumaro_items(paths))
    imported(ydc, written, "--name", "d")
    return "d"


def test_datumaro_voc_imports_box_for_box(ydc, tmp_path):
    paths = write_images(tmp_path / "src")
    written = datumaro_write("voc_detection", tmp_path / "dm-voc", CLASSES, datumaro_items(paths))
    report = imported(ydc, written)
    assert (report["format"], report["dataset"]["classes"]) == ("voc", CLASSES)
    assert report["dataset"]["num_images"] == {"train": 2, "val": 2, "test": 0}
    assert_same(stored_boxes(ydc, "dm-voc"), expected_boxes())


def test_supervision_voc_imports_box_for_box(ydc, tmp_path):
    folder = _supervision_voc(tmp_path)
    result = ydc("datasets", "import", folder, "--name", "sv")
    assert result.exit_code == 0, result.stderr
    assert result.stderr.startswith(f"Imported sv from Pascal VOC at {folder}: 4 images, 3 labeled, 1 background")
    assert_same(stored_boxes(ydc, "sv", WHOLE), expected_boxes(WHOLE))


def test_voc_export_is_read_back_by_datumaro_and_supervision(ydc, tmp_path):
    import supervision as sv

    name = _stored(ydc, tmp_path)
    folder = Path(json.loads(ydc("--json", "datasets", "export", name, "--format", "voc", "--output",
                                 tmp_path / "out").stdout)["path"])
    assert folder.name == "d-voc" and sorted(p.name for p in (folder / "ImageSets" / "Main").iterdir()) == [
        "train.txt", "val.txt"]
    judged = datumaro_read("voc_detection", folder)
    assert judged["classes"] == CLASSES
    assert_same(datumaro_boxes(judged), expected_boxes(), sizes())
    read = sv.DetectionDataset.from_pascal_voc(str(folder / "JPEGImages"), str(folder / "Annotations"))
    found = {Path(path).name: sorted((read.classes[c], *map(float, xyxy)) for xyxy, c in
                                     zip(detections.xyxy, detections.class_id, strict=True))
             for path, _, detections in read}
    devkit = {name: [(c, x1 - 1, y1 - 1, x2, y2) for c, x1, y1, x2, y2 in boxes]  # the devkit's 1-based reading
              for name, boxes in expected_boxes().items()}
    assert_same(found, devkit, sizes())
    back = imported(ydc, folder, "--name", "back")
    assert back["dataset"]["num_images"] == {"train": 2, "val": 2, "test": 0}
    assert_same(stored_boxes(ydc, "back"), expected_boxes())


def test_voc_devkit_tree_difficult_and_trainval(ydc, tmp_path):
    root = tmp_path / "VOCdevkit" / "VOC2012"
    (root / "Annotations").mkdir(parents=True)
    (root / "JPEGImages").mkdir()
    (root / "ImageSets" / "Main").mkdir(parents=True)
    for index, stem in enumerate(("2008_000001", "2008_000002")):
        (root / "JPEGImages" / f"{stem}.jpg").write_bytes(jpeg(100, 50, seed=index))
        (root / "Annotations" / f"{stem}.xml").write_text(
            f"<annotation><filename>{stem}.jpg</filename><size><width>100</width><height>50</height></size>"
            "<object><name>person</name><difficult>1</difficult><bndbox><xmin>1</xmin><ymin>1</ymin>"
            "<xmax>50</xmax><ymax>25</ymax></bndbox></object></annotation>")
    (root / "ImageSets" / "Main" / "trainval.txt").write_text("2008_000001\n")
    (root / "ImageSets" / "Main" / "val.txt").write_text("2008_000002\n")
    report = imported(ydc, tmp_path / "VOCdevkit", "--name", "voc")
    assert report["dataset"]["num_images"] == {"train": 1, "val": 1, "test": 0}
    assert report["notes"] == ["2 boxes marked difficult, kept"]
    boxes = json.loads(ydc("--json", "labels", "show", "voc", "val", "2008_000002.jpg").stdout)
    assert [(b["x"], b["y"], b["width"], b["height"]) for b in boxes] == [(0.25, 0.25, 0.5, 0.5)]


def test_hostile_and_broken_xml_is_refused(ydc, tmp_path):
    for name, text in (("bomb", '<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "aaaa">]><annotation>&a;</annotation>'),
                       ("broken", "<annotation><object><name>x</name></annotation")):
        folder = tmp_path / name / "Annotations"
        folder.mkdir(parents=True)
        (folder / "a.xml").write_text(text)
        result = ydc("datasets", "import", tmp_path / name, "--format", "voc")
        assert result.exit_code == 5 and len(result.stderr.splitlines()) == 1, result.stderr
        assert str(folder / "a.xml") in result.stderr
    assert json.loads(ydc("--json", "datasets", "list").stdout) == []


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
