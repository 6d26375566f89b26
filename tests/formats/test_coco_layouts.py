"""COCO as people have it, judged by supervision, pycocotools and Datumaro.

Files written by those tools are imported box for box; ydc's COCO and YOLO exports are
read back by them with the same images, classes and boxes (to 1e-6 of the image size).
The COCO 2017 folder (instances, person_keypoints and captions side by side) and
Roboflow's per-split layout are built from files supervision writes.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from tests.formats.common import (
    CLASSES,
    ITEMS,
    assert_same,
    expected_boxes,
    imported,
    stored_boxes,
    write_images,
)
from tests.oracles import datumaro_read, datumaro_write


def _supervision_coco(folder: Path, items=ITEMS, split: str | None = None) -> Path:
    """supervision writes a COCO file for the items of ``split`` (all when None) into ``folder``."""
    import supervision as sv

    images = write_images(folder / "src", [i for i in items if split in (None, i[1])])
    annotations = {}
    for name, s, _, boxes in items:
        if split not in (None, s):
            continue
        xyxy = np.array([b[1:] for b in boxes], dtype=float).reshape(-1, 4)
        annotations[str(images[name])] = sv.Detections(
            xyxy=xyxy, class_id=np.array([CLASSES.index(b[0]) for b in boxes], dtype=int))
    dataset = sv.DetectionDataset(CLASSES, [str(p) for p in images.values()], annotations)
    dataset.as_coco(images_directory_path=str(folder / "images"), annotations_path=str(folder / "coco.json"))
    shutil.rmtree(folder / "src")
    return folder / "coco.json"


def test_a_coco_file_written_by_supervision_imports_box_for_box(ydc, tmp_path):
    path = _supervision_coco(tmp_path / "sv")
    report = imported(ydc, path, "--name", "sv")
    assert report["format"] == "coco" and report["dataset"]["classes"] == CLASSES
    assert report["dataset"]["num_images"]["train"] == 4  # one file: one split
    assert_same(stored_boxes(ydc, "sv"), expected_boxes())


def test_coco_2017_folder_takes_boxes_from_the_instances_files(ydc, tmp_path):
    root = tmp_path / "coco2017"
    for split in ("train", "val"):
        written = _supervision_coco(tmp_path / f"sv-{split}", split=split)
        (root / f"{split}2017").mkdir(parents=True)
        for image in (written.parent / "images").iterdir():
            shutil.move(image, root / f"{split}2017" / image.name)
        (root / "annotations").mkdir(exist_ok=True)
        instances = json.loads(written.read_text())
        (root / "annotations" / f"instances_{split}2017.json").write_text(json.dumps(instances))
        # the other files COCO 2017 ships list the same images: keypoints (with boxes) and captions
        keypoints = {**instances, "categories": [{"id": 1, "name": "person", "keypoints": ["nose"]}],
                     "annotations": [{**a, "category_id": 1, "keypoints": [1, 1, 2], "num_keypoints": 1}
                                     for a in instances["annotations"]]}
        (root / "annotations" / f"person_keypoints_{split}2017.json").write_text(json.dumps(keypoints))
        captions = {"images": instances["images"],
                    "annotations": [{"id": i["id"], "image_id": i["id"], "caption": "a thing"}
                                    for i in instances["images"]]}
        (root / "annotations" / f"captions_{split}2017.json").write_text(json.dumps(captions))
    report = imported(ydc, root)
    assert report["dataset"]["name"] == "coco2017" and report["dataset"]["classes"] == CLASSES
    assert report["dataset"]["num_images"] == {"train": 2, "val": 2, "test": 0}
    assert sorted(report["notes"]) == [
        f"annotations/{kind}_{split}2017.json skipped: {what}, boxes come from the instances files"
        for kind, what in (("captions", "captions"), ("person_keypoints", "keypoints")) for split in ("train", "val")]
    assert_same(stored_boxes(ydc, "coco2017"), expected_boxes())
    assert pycocotools_counts(root / "annotations" / "instances_val2017.json") == (2, 3)


def test_roboflow_coco_export_takes_splits_from_its_folders(ydc, tmp_path):
    """Roboflow's COCO export: train/, valid/, test/ each with _annotations.coco.json beside the images."""
    root = tmp_path / "roboflow"
    for split, folder in (("train", "train"), ("val", "valid")):
        written = _supervision_coco(tmp_path / f"sv-{split}", split=split)
        shutil.move(written.parent / "images", root / folder)
        shutil.move(written, root / folder / "_annotations.coco.json")
    (root / "README.roboflow.txt").write_text("exported from roboflow.com\n")
    result = ydc("datasets", "import", root)
    assert result.exit_code == 0, result.stderr
    assert result.stderr.startswith(f"Imported roboflow from COCO at {root}: 4 images, 3 labeled, 1 background")
    assert json.loads(ydc("--json", "datasets", "info", "roboflow").stdout)["num_images"] == {
        "train": 2, "val": 2, "test": 0}
    assert_same(stored_boxes(ydc, "roboflow"), expected_boxes())
    single = imported(ydc, root / "valid" / "_annotations.coco.json")
    assert single["dataset"]["name"] == "valid" and single["dataset"]["num_images"]["val"] == 2


def test_datumaro_coco_imports_box_for_box(ydc, tmp_path):
    images = write_images(tmp_path / "src")
    items = [{"id": Path(name).stem, "subset": split, "image": images[name],
              "boxes": [[c, x1, y1, x2 - x1, y2 - y1] for c, x1, y1, x2, y2 in boxes]}
             for name, split, _, boxes in ITEMS]
    written = datumaro_write("coco_instances", tmp_path / "dm", CLASSES, items)
    report = imported(ydc, written, "--name", "dm")
    assert report["dataset"]["num_images"] == {"train": 2, "val": 2, "test": 0}
    assert_same(stored_boxes(ydc, "dm"), expected_boxes())


def pycocotools_counts(path: Path) -> tuple[int, int]:
    from pycocotools.coco import COCO

    coco = COCO(str(path))
    return len(coco.getImgIds()), len(coco.getAnnIds())


@pytest.fixture
def stored(ydc, tmp_path):
    """A dataset of ITEMS in the store, imported from a COCO file supervision wrote."""
    imported(ydc, _supervision_coco(tmp_path / "sv"), "--name", "d")
    for name, split, _, _ in ITEMS:
        if split != "train":
            assert ydc("images", "move", "d", name, "--from", "train", "--to", split).exit_code == 0
    return "d"


def test_coco_export_is_read_back_by_pycocotools_supervision_and_datumaro(ydc, stored, tmp_path):
    import supervision as sv

    folder = Path(json.loads(ydc("--json", "datasets", "export", stored, "--format", "coco", "--output",
                                 tmp_path / "out").stdout)["path"])
    sizes = {name: size for name, _, size, _ in ITEMS}
    for split in ("train", "val"):
        annotations = folder / "annotations" / f"instances_{split}.json"
        expected = expected_boxes(split=split)
        assert pycocotools_counts(annotations) == (len(expected), sum(map(len, expected.values())))
        read = sv.DetectionDataset.from_coco(str(folder / "images" / split), str(annotations))
        assert read.classes == CLASSES
        found = {Path(path).name: sorted((CLASSES[c], *map(float, xyxy)) for xyxy, c in
                                         zip(detections.xyxy, detections.class_id, strict=True))
                 for path, _, detections in read}
        assert_same(found, expected, sizes)
    judged = datumaro_read("coco_instances", folder)
    assert judged["classes"] == CLASSES
    found = {f"{item['id']}.jpg": sorted((c, x, y, x + w, y + h) for c, x, y, w, h in item["boxes"])
             for item in judged["items"]}
    assert_same(found, expected_boxes(), sizes)


def test_yolo_export_is_read_back_by_supervision_and_datumaro(ydc, stored, tmp_path):
    import supervision as sv

    folder = Path(json.loads(ydc("--json", "datasets", "export", stored, "--format", "yolo", "--output",
                                 tmp_path / "out").stdout)["path"])
    sizes = {name: size for name, _, size, _ in ITEMS}
    for split in ("train", "val"):
        read = sv.DetectionDataset.from_yolo(str(folder / "images" / split), str(folder / "labels" / split),
                                             str(folder / "data.yaml"))
        assert read.classes == CLASSES
        found = {Path(path).name: sorted((CLASSES[c], *map(float, xyxy)) for xyxy, c in
                                         zip(detections.xyxy, detections.class_id, strict=True))
                 for path, _, detections in read}
        assert_same(found, expected_boxes(split=split), sizes)
    judged = datumaro_read("yolo", folder)  # Datumaro detects the ultralytics layout
    assert judged["classes"] == CLASSES
    found = {f"{item['id']}.jpg": sorted((c, x, y, x + w, y + h) for c, x, y, w, h in item["boxes"])
             for item in judged["items"]}
    assert_same(found, expected_boxes(), sizes)


def test_yolo_folders_written_by_supervision_and_datumaro_import_box_for_box(ydc, tmp_path):
    import supervision as sv

    images = write_images(tmp_path / "src")
    annotations = {str(images[name]): sv.Detections(
        xyxy=np.array([b[1:] for b in boxes], dtype=float).reshape(-1, 4),
        class_id=np.array([CLASSES.index(b[0]) for b in boxes], dtype=int)) for name, _, _, boxes in ITEMS}
    written = tmp_path / "sv-yolo"
    sv.DetectionDataset(CLASSES, [str(p) for p in images.values()], annotations).as_yolo(
        images_directory_path=str(written / "images" / "train"),
        annotations_directory_path=str(written / "labels" / "train"), data_yaml_path=str(written / "data.yaml"))
    report = imported(ydc, written)
    assert report["format"] == "yolo" and report["dataset"]["classes"] == CLASSES
    assert_same(stored_boxes(ydc, "sv-yolo"), expected_boxes(), precision=1e-5)  # supervision writes 5 decimals
    items = [{"id": Path(name).stem, "subset": split, "image": images[name],
              "boxes": [[c, x1, y1, x2 - x1, y2 - y1] for c, x1, y1, x2, y2 in boxes]}
             for name, split, _, boxes in ITEMS]
    written = datumaro_write("yolo_ultralytics", tmp_path / "dm-yolo", CLASSES, items)
    report = imported(ydc, written)
    assert report["dataset"]["num_images"] == {"train": 2, "val": 2, "test": 0}
    assert_same(stored_boxes(ydc, "dm-yolo"), expected_boxes())
