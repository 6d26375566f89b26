"""Darknet YOLO (obj.data, obj.names, image lists, labels beside the images), read on every backend.

The layouts are the one Datumaro's ``yolo`` exporter writes (the same as CVAT's "YOLO 1.1"
export: ``obj.data``, ``obj.names``, ``train.txt``, ``obj_<split>_data/``), that layout
moved where darknet expects it (``data/`` under the folder darknet runs from), and the
lists people write by hand for darknet (paths relative to darknet's folder, or absolute
from the machine that trained).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

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


def _datumaro_darknet(tmp_path: Path) -> Path:
    paths = write_images(tmp_path / "src")
    written = datumaro_write("yolo", tmp_path / "darknet", CLASSES, datumaro_items(paths))
    assert (written / "obj.data").is_file() and not (written / "data.yaml").exists()
    assert (written / "train.txt").read_text().splitlines()[0] == "data/obj_train_data/a.jpg"
    return written


def test_darknet_layout_written_by_datumaro_imports_box_for_box(ydc, tmp_path):
    written = _datumaro_darknet(tmp_path)
    assert_same(datumaro_boxes(datumaro_read("yolo", written)), expected_boxes(), sizes())  # Datumaro agrees
    result = ydc("datasets", "import", written)
    assert result.exit_code == 0, result.stderr
    assert result.stderr.startswith(f"Imported darknet from Darknet YOLO at {written}: 4 images, 3 labeled")
    report = json.loads(ydc("--json", "datasets", "info", "darknet").stdout)
    assert report["classes"] == CLASSES
    assert report["num_images"] == {"train": 2, "val": 2, "test": 0}
    assert_same(stored_boxes(ydc, "darknet"), expected_boxes())
    forced = imported(ydc, written, "--format", "darknet", "--name", "forced")
    assert (forced["format"], forced["images"], forced["backgrounds"]) == ("darknet", 4, 1)


@pytest.mark.parametrize("removed", [("obj.data",), ("obj.data", "train.txt", "val.txt")],
                         ids=["no-obj.data", "folders-only"])
def test_obj_names_with_lists_or_split_folders(ydc, tmp_path, removed):
    """CVAT's "YOLO 1.1" export, as people unpack and trim it: obj.names with train.txt/val.txt,
    or obj.names with obj_train_data/ and obj_val_data/ alone."""
    written = _datumaro_darknet(tmp_path)
    for name in removed:
        (written / name).unlink()
    report = imported(ydc, written)
    assert (report["format"], report["dataset"]["classes"]) == ("darknet", CLASSES)
    assert report["dataset"]["num_images"] == {"train": 2, "val": 2, "test": 0}
    assert_same(stored_boxes(ydc, "darknet"), expected_boxes())


def test_datumaro_layout_moved_into_data_where_darknet_runs(ydc, tmp_path):
    """Datumaro's lists say data/obj_train_data/...: darknet reads them from the folder above data/."""
    written = _datumaro_darknet(tmp_path)
    root = tmp_path / "yolov4"
    shutil.copytree(written, root / "data")
    report = imported(ydc, root, "--name", "from-root")
    assert report["dataset"]["num_images"] == {"train": 2, "val": 2, "test": 0}
    assert_same(stored_boxes(ydc, "from-root"), expected_boxes())
    inner = imported(ydc, root / "data", "--name", "from-data")
    assert inner["root"] == str(root / "data") and inner["skipped"] == []
    assert_same(stored_boxes(ydc, "from-data"), expected_boxes())
    single = imported(ydc, root / "data" / "obj.data", "--name", "from-file")
    assert single["format"] == "darknet" and single["images"] == 4


def _hand_made(root: Path) -> Path:
    (root / "data" / "obj").mkdir(parents=True)
    for index in range(4):
        (root / "data" / "obj" / f"{index}.jpg").write_bytes(jpeg(60 + index, 40, seed=index))
        (root / "data" / "obj" / f"{index}.txt").write_text(f"{index % 2} 0.5 0.5 0.25 0.25\n")
    (root / "data" / "obj.names").write_text("car\nbus\n")
    return root


def test_darknet_lists_from_another_machine(ydc, tmp_path):
    root = _hand_made(tmp_path / "yolov4")
    (root / "data" / "train.txt").write_text(
        "data/obj/0.jpg\n/content/darknet/data/obj/1.jpg\nC:\\Users\\me\\darknet\\data\\obj\\2.jpg\n"
        "data/obj/missing.jpg\n\n")
    (root / "data" / "valid.txt").write_text("/home/someone/elsewhere/3.jpg\n")
    (root / "obj.data").write_text("classes = 2\ntrain = data/train.txt\nvalid = data/valid.txt\n"
                                   "names = data/obj.names\nbackup = backup/\n")
    report = imported(ydc, root)
    assert report["format"] == "darknet" and report["dataset"]["classes"] == ["car", "bus"]
    assert report["dataset"]["num_images"] == {"train": 3, "val": 1, "test": 0}
    assert report["labeled"] == 4
    assert report["skipped"] == [["data/obj/missing.jpg", "listed in train.txt but not an image file here"]]
    boxes = json.loads(ydc("--json", "labels", "show", "yolov4", "val", "3.jpg").stdout)
    assert [(b["class_id"], b["x"], b["width"]) for b in boxes] == [(1, 0.5, 0.25)]


def test_one_list_for_train_and_valid_is_read_once(ydc, tmp_path):
    root = _hand_made(tmp_path / "yolov4")
    (root / "data" / "train.txt").write_text("".join(f"data/obj/{i}.jpg\n" for i in range(4)))
    (root / "obj.data").write_text("classes = 3\ntrain = data/train.txt\nvalid = data/train.txt\n"
                                   "names = data/obj.names\n")
    report = imported(ydc, root)
    assert report["dataset"]["num_images"] == {"train": 4, "val": 0, "test": 0}
    assert report["notes"] == ["obj.data says classes = 3, obj.names names 2; the names were used",
                               "obj.data's valid names the train list (data/train.txt): read once, as train"]


def test_lists_obj_data_names_but_are_missing_fall_back_to_the_folder(ydc, tmp_path):
    written = _datumaro_darknet(tmp_path)
    (written / "obj.data").write_text("classes = 3\ntrain = data/train_old.txt\nnames = data/obj.names\n")
    report = imported(ydc, written)
    assert report["skipped"] == [["data/train_old.txt", "obj.data's train list is not here"]]
    assert report["dataset"]["num_images"] == {"train": 2, "val": 2, "test": 0}  # train.txt and val.txt beside it
    assert_same(stored_boxes(ydc, "darknet"), expected_boxes())


def test_a_bad_label_line_is_refused_naming_it(ydc, tmp_path):
    written = _datumaro_darknet(tmp_path)
    (written / "obj_val_data" / "c.txt").write_text("0 0.5 0.5 0.2 0.2\n7 0.5 0.5 0.2 0.2\n")
    result = ydc("datasets", "import", written)
    assert result.exit_code == 5, result.stderr
    assert len(result.stderr.splitlines()) == 1 and result.stderr.startswith("Error: ")
    assert f"{written / 'obj_val_data' / 'c.txt'}:2" in result.stderr
    assert json.loads(ydc("--json", "datasets", "list").stdout) == []


def test_not_confused_with_ultralytics_yolo(ydc, tmp_path):
    """A data.yaml makes a folder ultralytics' YOLO even with an obj.names in it; Darknet's own
    folder is not taken for ultralytics' (or for anything else)."""
    paths = write_images(tmp_path / "src")
    yolo = datumaro_write("yolo_ultralytics", tmp_path / "ultra", CLASSES, datumaro_items(paths))
    (yolo / "obj.names").write_text("\n".join(CLASSES) + "\n")
    assert imported(ydc, yolo)["format"] == "yolo"
    written = _datumaro_darknet(tmp_path)
    assert imported(ydc, written)["format"] == "darknet"
