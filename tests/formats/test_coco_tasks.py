"""COCO's polygons, masks and keypoints, in and out, judged by pycocotools and Datumaro.

Imports: files Datumaro writes (polygons, masks, keypoints) and COCO files whose RLE masks
pycocotools encoded; which task a file becomes, and what ``--task`` picks from it. Exports:
pycocotools rasterises ydc's polygons and counts its keypoints, Datumaro reads them back;
make_shapes datasets go out and come back with the same points (every backend). Malformed
and mixed files are refused with one error line, exit 5, and nothing stored.
"""

from __future__ import annotations

import json
import math
import shutil
from pathlib import Path

import cv2
import numpy as np
import pytest

from tests.formats.common import imported
from tests.helpers import jpeg, shapes_dataset
from tests.oracles import datumaro_read_shapes, datumaro_write, datumaro_write_keypoints
from ydc_cli.formats.coco import flip_from_names, join_parts, rle_counts

W, H = 80, 60


# -- helpers -------------------------------------------------------------------------

def stored(ydc, dataset: str) -> dict[str, list[tuple[int, tuple[float, ...]]]]:
    """Every stored shape by ``split/filename``: class id and points in pixels (pose: x, y, v)."""
    info = json.loads(ydc("--json", "datasets", "info", dataset).stdout)
    dim = (info.get("kpt_shape") or [0, 2])[1]
    found = {}
    for row in json.loads(ydc("--json", "images", "list", dataset).stdout):
        shown = json.loads(ydc("--json", "images", "show", dataset, row["split"], row["filename"]).stdout)
        scale = (shown["image"]["width"], shown["image"]["height"], 1)[:dim]
        found[f"{row['split']}/{row['filename']}"] = sorted(
            (s["class_id"], tuple(v * scale[i % dim] for i, v in enumerate(s.get("points") or ())))
            for s in shown["annotations"])
    return found


def assert_close(found: dict, expected: dict, tolerance: float = 1.0) -> None:
    assert sorted(found) == sorted(expected)
    for name, shapes in expected.items():
        assert len(found[name]) == len(shapes), name
        for (got_class, got), (want_class, want) in zip(found[name], shapes, strict=True):
            assert got_class == want_class and len(got) == len(want), (name, got, want)
            assert np.allclose(got, want, atol=tolerance, rtol=0), (name, got, want)


def refused(ydc, *args) -> str:
    """The one error line of an import refused as invalid input (exit 5), nothing stored."""
    result = ydc("datasets", "import", *map(str, args))
    assert result.exit_code == 5, (result.exit_code, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.stderr
    assert json.loads(ydc("--json", "datasets", "list").stdout) == []
    return lines[0]


def coco_file(folder: Path, annotations: list[dict], categories=None, images=None, name="coco.json") -> Path:
    """A COCO file beside one W x H image ``a.jpg`` (and any ``images`` given as (file, width, height))."""
    folder.mkdir(parents=True, exist_ok=True)
    entries = [("a.jpg", W, H), *(images or [])]
    for index, (file_name, width, height) in enumerate(entries):
        (folder / file_name).write_bytes(jpeg(width, height, seed=index))
    document = {"images": [{"id": i + 1, "file_name": f, "width": w, "height": h}
                           for i, (f, w, h) in enumerate(entries)],
                "categories": categories or [{"id": 1, "name": "blob"}, {"id": 2, "name": "bar"}],
                "annotations": [{"id": i + 1, "image_id": 1, "category_id": 1, "iscrowd": 0, **a}
                                for i, a in enumerate(annotations)]}
    path = folder / name
    path.write_text(json.dumps(document))
    return path


def polygon_mask(parts: list[list[float]], width: int = W, height: int = H) -> np.ndarray:
    """pycocotools rasterises pixel polygons (the union of the parts)."""
    from pycocotools import mask as mask_utils

    return mask_utils.decode(mask_utils.merge(mask_utils.frPyObjects(parts, height, width))).astype(bool)


def iou(a: np.ndarray, b: np.ndarray) -> float:
    return float((a & b).sum() / (a | b).sum())


def square(x: float, y: float, side: float) -> list[float]:
    return [x, y, x + side, y, x + side, y + side, x, y + side]


def exported(ydc, dataset: str, out: Path) -> Path:
    result = ydc("--json", "datasets", "export", dataset, "--format", "coco", "--output", out)
    assert result.exit_code == 0, result.stderr
    return Path(json.loads(result.stdout)["path"])


# -- the helpers of the format ---------------------------------------------------------

def test_rle_counts_decode_what_pycocotools_encodes():
    from pycocotools import mask as mask_utils

    rng = np.random.default_rng(0)
    for shape, density in (((48, 64), 0.5), ((300, 200), 0.02), ((7, 5), 0.9)):
        mask = np.asfortranarray((rng.random(shape) < density).astype(np.uint8))
        mask[:, : shape[1] // 3] = 0  # a long run, so later runs are stored as negative differences
        encoded = mask_utils.encode(mask)
        flat = mask.flatten(order="F")
        changes = np.flatnonzero(np.diff(flat)) + 1
        runs = np.diff(np.concatenate([[0], changes, [flat.size]])).tolist()
        expected = ([0] if flat[0] else []) + runs
        assert rle_counts(encoded["counts"].decode("ascii")) == expected


def test_flip_idx_from_left_and_right_names():
    assert flip_from_names(["nose", "left_eye", "right_eye"]) == [0, 2, 1]
    assert flip_from_names(["leftHand", "rightHand", "Head"]) == [1, 0, 2]
    assert flip_from_names(["eye left", "eye right"]) == [1, 0]
    assert flip_from_names(["kp1", "kp2"]) is None  # nothing sided: no flip known
    assert flip_from_names(["left_eye", "right_ear"]) is None  # sided without a partner


def test_joined_parts_keep_every_part_and_their_area():
    parts = [square(5, 5, 10), square(40, 30, 20)[::-1], square(60, 5, 8)]  # the second turned the other way
    joined = join_parts([[float(v) for v in p] for p in parts])
    xs, ys = np.array(joined[0::2]), np.array(joined[1::2])
    area = abs(np.dot(xs, np.roll(ys, -1)) - np.dot(np.roll(xs, -1), ys)) / 2
    assert area == pytest.approx(100 + 400 + 64)
    assert iou(polygon_mask([joined]), polygon_mask(parts)) > 0.97


# -- imports ---------------------------------------------------------------------------

def test_datumaro_polygons_import_as_segment_and_its_masks_as_crowd_regions(ydc, tmp_path):
    (tmp_path / "a.jpg").write_bytes(jpeg(W, H, seed=1))
    triangle, quad = [10.0, 10.0, 40.0, 12.0, 20.0, 40.0], [50.0, 5.0, 75.0, 5.0, 75.0, 30.0, 50.0, 30.0]
    items = [{"id": "a", "subset": "train", "image": tmp_path / "a.jpg", "boxes": [],
              "shapes": [["polygon", "blob", triangle], ["polygon", "bar", quad], ["mask", "bar", [5, 45, 30, 58]]]}]
    written = datumaro_write("coco_instances", tmp_path / "dm", ["blob", "bar"], items)
    report = imported(ydc, written, "--name", "dm")
    assert report["dataset"]["task"] == "segment" and report["dataset"]["classes"] == ["blob", "bar"]
    assert [reason for _, reason in report["skipped"]] == ["crowd region (iscrowd)"]  # Datumaro's mask
    assert_close(stored(ydc, "dm"), {"train/a.jpg": [(0, tuple(triangle)), (1, tuple(quad))]}, tolerance=1e-3)


def test_rle_masks_compressed_and_uncompressed_are_traced_into_polygons(ydc, tmp_path):
    from pycocotools import mask as mask_utils

    disk = np.zeros((H, W), dtype=np.uint8)
    cv2.circle(disk, (25, 30), 14, 1, -1)
    ell = np.zeros((H, W), dtype=np.uint8)
    ell[5:50, 50:58] = 1
    ell[42:50, 58:75] = 1
    compressed = mask_utils.encode(np.asfortranarray(disk))
    flat = ell.flatten(order="F")
    changes = np.flatnonzero(np.diff(flat)) + 1
    uncompressed = {"size": [H, W], "counts": np.diff(np.concatenate([[0], changes, [flat.size]])).tolist()}
    assert (mask_utils.decode(mask_utils.frPyObjects(uncompressed, H, W)) == ell).all()  # what COCO means by it
    path = coco_file(tmp_path / "rle", [
        {"segmentation": {"size": [H, W], "counts": compressed["counts"].decode("ascii")},
         "bbox": mask_utils.toBbox(compressed).tolist()},
        {"category_id": 2, "segmentation": uncompressed, "bbox": [50, 5, 25, 45]}])
    report = imported(ydc, path, "--name", "rle")
    assert report["dataset"]["task"] == "segment"
    assert report["notes"] == ["2 RLE masks were traced into polygons"]
    (disk_polygon,), (ell_polygon,) = ([p for c, p in stored(ydc, "rle")["train/a.jpg"] if c == k] for k in (0, 1))
    for polygon, mask in ((disk_polygon, disk), (ell_polygon, ell)):
        # the outline runs through the centres of the mask's edge pixels: half a pixel inside its edges
        x, y, w, h = mask_utils.toBbox(mask_utils.encode(np.asfortranarray(mask)))
        xs, ys = polygon[0::2], polygon[1::2]
        assert (min(xs), min(ys), max(xs), max(ys)) == pytest.approx((x + 0.5, y + 0.5, x + w - 0.5, y + h - 0.5),
                                                                     abs=1e-4)
        assert iou(polygon_mask([list(polygon)]), mask.astype(bool)) > 0.85
    assert len(ell_polygon) == 14  # the L's six corners and the inner corner's diagonal step, nothing more


def test_parts_are_joined_and_shapes_past_the_edge_clipped(ydc, tmp_path):
    parts = [square(5, 5, 10), square(30, 20, 12)]
    path = coco_file(tmp_path / "parts", [
        {"segmentation": parts, "bbox": [5, 5, 37, 27]},
        {"segmentation": [square(70, 40, 20)], "bbox": [70, 40, 20, 20]},  # reaches past the right and bottom
        {"segmentation": [square(90, 10, 5)], "bbox": [90, 10, 5, 5]}])  # wholly outside
    report = imported(ydc, path, "--name", "parts")
    assert sorted(report["notes"]) == [
        "1 polygon reached past the image edge and was clipped to it",
        "1 segmentation of several parts was joined into one polygon each (at the parts' nearest points, as "
        "ultralytics' merge_multi_segment)"]
    assert [reason for _, reason in report["skipped"]] == ["polygon has no area inside the image"]
    joined, clipped = sorted((p for _, p in stored(ydc, "parts")["train/a.jpg"]), key=len, reverse=True)
    assert iou(polygon_mask([list(joined)]), polygon_mask(parts)) > 0.97
    assert polygon_mask([list(clipped)]).sum() == pytest.approx(10 * 20, abs=12)


def test_which_task_a_file_becomes_and_what_task_picks(ydc, tmp_path):
    polygons = [{"segmentation": [square(5, 5, 20)], "bbox": [5, 5, 20, 20]},
                {"category_id": 2, "segmentation": [square(40, 10, 30)], "bbox": [40, 10, 30, 30]}]
    path = coco_file(tmp_path / "partly", [*polygons, {"bbox": [10, 35, 20, 20], "segmentation": []}])
    report = imported(ydc, path, "--name", "partly")
    assert report["dataset"]["task"] == "detect"
    assert report["notes"] == ["2 of 3 annotations have a segmentation; all are read as boxes "
                               "(--task segment reads the polygons and leaves the others out)"]
    report = imported(ydc, path, "--name", "partly-seg", "--task", "segment")
    assert report["dataset"]["task"] == "segment" and report["labeled"] == 1
    assert report["notes"] == ["1 annotation without a segmentation was left out (a segment dataset holds polygons)"]
    assert len(stored(ydc, "partly-seg")["train/a.jpg"]) == 2
    full = coco_file(tmp_path / "full", polygons)
    assert imported(ydc, full, "--name", "full")["dataset"]["task"] == "segment"
    boxes = imported(ydc, full, "--name", "boxes", "--task", "detect")
    assert boxes["dataset"]["task"] == "detect" and boxes["notes"] == []
    shown = json.loads(ydc("--json", "labels", "show", "boxes", "train", "a.jpg").stdout)
    centres = [v for s in shown for v in (s["x"] * W, s["y"] * H, s["width"] * W)]
    assert centres == pytest.approx([15, 15, 20, 55, 25, 30])
    assert "not pose" in ydc("datasets", "import", full, "--name", "p", "--task", "pose").stderr
    obb = imported(ydc, full, "--name", "obb", "--task", "obb")  # four-corner polygons are oriented boxes
    assert obb["dataset"]["task"] == "obb" and len(stored(ydc, "obb")["train/a.jpg"]) == 2


def test_datumaro_keypoints_import_as_pose(ydc, tmp_path):
    (tmp_path / "a.jpg").write_bytes(jpeg(W, H, seed=1))
    keypoints = {"labels": ["nose", "left_eye", "right_eye", "tail"], "joints": [[1, 2], [1, 3], [1, 4]]}
    items = [{"id": "a", "subset": "val", "image": tmp_path / "a.jpg",
              "boxes": [["cat", 10, 10, 40, 30, {"group": 1}], ["cat", 50, 5, 20, 20, {"group": 2}]],
              "shapes": [["points", "cat", [30, 20, 20, 15, 40, 15, 30, 38], {"group": 1, "visibility": [2, 2, 1, 2]}],
                         ["points", "cat", [60, 10, 0, 0, 0, 0, 90, 10], {"group": 2, "visibility": [2, 0, 0, 2]}]]}]
    written = datumaro_write_keypoints("coco_person_keypoints", tmp_path / "dm", ["cat"], keypoints, items)
    report = imported(ydc, written, "--name", "kp")
    info = report["dataset"]
    assert (info["task"], info["kpt_shape"], info["flip_idx"]) == ("pose", [4, 3], [0, 2, 1, 3])
    assert info["skeleton"] == [[0, 1], [0, 2], [0, 3]]
    assert report["notes"] == ["1 keypoint outside the image was marked not labelled"]  # x = 90 of 80
    assert_close(stored(ydc, "kp"), {"val/a.jpg": [
        (0, (30, 20, 2, 20, 15, 2, 40, 15, 1, 30, 38, 2)), (0, (60, 10, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0))]},
        tolerance=1e-3)


def test_coco_2017_folder_with_task_pose_reads_the_keypoints_files(ydc, tmp_path):
    root = tmp_path / "coco2017"
    (root / "val2017").mkdir(parents=True)
    (root / "val2017" / "a.jpg").write_bytes(jpeg(W, H, seed=1))
    image = [{"id": 1, "file_name": "a.jpg", "width": W, "height": H}]
    box = {"id": 1, "image_id": 1, "category_id": 1, "bbox": [10, 10, 30, 30], "iscrowd": 0,
           "segmentation": [square(10, 10, 30)]}
    (root / "annotations").mkdir()
    (root / "annotations" / "instances_val2017.json").write_text(json.dumps(
        {"images": image, "categories": [{"id": 1, "name": "person"}], "annotations": [box]}))
    (root / "annotations" / "person_keypoints_val2017.json").write_text(json.dumps(
        {"images": image, "categories": [{"id": 1, "name": "person", "keypoints": ["left_hand", "right_hand"],
                                          "skeleton": [[1, 2]]}],
         "annotations": [{**box, "keypoints": [12, 20, 2, 38, 20, 2], "num_keypoints": 2}]}))
    report = imported(ydc, root, "--name", "poses", "--task", "pose")
    assert report["dataset"]["kpt_shape"] == [2, 3] and report["dataset"]["flip_idx"] == [1, 0]
    assert report["notes"] == ["annotations/instances_val2017.json skipped: instances, keypoints come from the "
                               "keypoints files"]
    report = imported(ydc, root, "--name", "shapes")
    assert report["dataset"]["task"] == "segment"
    assert report["notes"] == ["annotations/person_keypoints_val2017.json skipped: keypoints, polygons come from "
                               "the instances files"]


BAD = {
    "an odd polygon": ({"segmentation": [[1, 2, 3, 4, 5, 6, 7]]}, None, "an odd count"),
    "a segmentation that is text": ({"segmentation": "blob"}, None, "segmentation must be a list"),
    "RLE runs that miss pixels": ({"segmentation": {"size": [H, W], "counts": [10, 20]}}, None,
                                  "the RLE runs cover 30 pixels, the mask has 4800"),
    "an RLE of another size": ({"segmentation": {"size": [10, 10], "counts": [100]}}, None,
                               "is 10x10, its image 80x60"),
    "an RLE string out of code": ({"segmentation": {"size": [H, W], "counts": "ab\x7f"}}, None, "not a compressed RLE"),
    "keypoints of the wrong count": ({"keypoints": [1, 2, 2]}, [{"id": 1, "name": "blob", "keypoints": ["a", "b"]}],
                                     "keypoints must be 2 keypoints of x, y, v (6 numbers), got 3 values"),
    "a visibility of 3": ({"keypoints": [1, 2, 3]}, [{"id": 1, "name": "blob", "keypoints": ["a"]}],
                          "keypoint 1 visibility must be 0, 1 or 2, got 3"),
    "categories of different keypoints": ({}, [{"id": 1, "name": "blob", "keypoints": ["a"]},
                                               {"id": 2, "name": "bar", "keypoints": ["a", "b"]}],
                                          "categories name different numbers of keypoints: blob 1, bar 2"),
    "a skeleton past the keypoints": ({}, [{"id": 1, "name": "blob", "keypoints": ["a", "b"], "skeleton": [[1, 3]]}],
                                      "skeleton pair [1, 3] is not two of its keypoints 1..2"),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_malformed_files_are_refused_naming_the_file(ydc, tmp_path, case):
    fields, categories, message = BAD[case]
    good = [{"bbox": [5, 5, 10, 10], "segmentation": [square(5, 5, 10)]}] if "segmentation" in fields else []
    path = coco_file(tmp_path / "bad", [*good, {"bbox": [10, 10, 20, 20], **fields}], categories)
    line = refused(ydc, path, "--task", "segment") if good else refused(ydc, path)
    assert message in line and line.endswith(f"({path})"), line


def test_a_folder_of_pose_and_other_files_is_refused(ydc, tmp_path):
    root = tmp_path / "roboflow"
    coco_file(root / "train", [{"bbox": [10, 10, 20, 20], "keypoints": [15, 15, 2]}],
              [{"id": 1, "name": "blob", "keypoints": ["a"]}], name="_annotations.coco.json")
    coco_file(root / "valid", [{"bbox": [10, 10, 20, 20]}], [{"id": 1, "name": "blob"}], name="_annotations.coco.json")
    line = refused(ydc, root)
    assert "the COCO files mix pose and other labels" in line
    assert imported(ydc, root, "--task", "detect")["dataset"]["num_images"] == {"train": 1, "val": 1, "test": 0}


# -- exports and round trips -------------------------------------------------------------

def test_segment_export_is_rasterised_by_pycocotools_read_by_datumaro_and_comes_back(ydc, tmp_path):
    from pycocotools.coco import COCO

    source = shapes_dataset(tmp_path / "seg", "segment", train=4, val=2)
    imported(ydc, source, "--name", "seg")
    original = stored(ydc, "seg")
    folder = exported(ydc, "seg", tmp_path / "out")
    for split in ("train", "val"):
        coco = COCO(str(folder / "annotations" / f"instances_{split}.json"))
        annotations = coco.loadAnns(coco.getAnnIds())
        assert len(coco.getImgIds()) == len([k for k in original if k.startswith(split)])
        assert len(annotations) == sum(len(v) for k, v in original.items() if k.startswith(split))
        for ann in annotations:
            points = np.array(ann["segmentation"][0]).reshape(-1, 2)
            perimeter = float(np.linalg.norm(points - np.roll(points, 1, axis=0), axis=1).sum())
            assert abs(coco.annToMask(ann).sum() - ann["area"]) <= perimeter / 2, ann["id"]
            x, y, w, h = ann["bbox"]
            assert (x, y, x + w, y + h) == pytest.approx((*points.min(0), *points.max(0)), abs=1e-2)
    judged = datumaro_read_shapes("coco_instances", folder)
    assert judged["classes"] == ["circle", "square"]
    found = {f"{item['subset']}/{item['id']}.jpg": sorted((judged["classes"].index(c), tuple(p))
                                                         for kind, c, p in item["shapes"] if kind == "polygon")
             for item in judged["items"]}
    assert_close(found, original, tolerance=1e-2)
    imported(ydc, folder, "--name", "back")
    assert json.loads(ydc("--json", "datasets", "info", "back").stdout)["task"] == "segment"
    assert_close(stored(ydc, "back"), original)


def test_pose_export_is_counted_by_pycocotools_read_by_datumaro_and_comes_back(ydc, tmp_path):
    from pycocotools.coco import COCO

    source = shapes_dataset(tmp_path / "pose", "pose", train=4, val=2)
    imported(ydc, source, "--name", "pose")
    original = stored(ydc, "pose")
    folder = exported(ydc, "pose", tmp_path / "out")
    coco = COCO(str(folder / "annotations" / "person_keypoints_train.json"))
    (category,) = coco.loadCats(coco.getCatIds())
    assert category["keypoints"] == ["kp1", "kp2", "kp3"] and category["flip_idx"] == [0, 2, 1]
    annotations = coco.loadAnns(coco.getAnnIds())
    assert len(annotations) == sum(len(v) for k, v in original.items() if k.startswith("train"))
    assert all(ann["num_keypoints"] == 3 == sum(v > 0 for v in ann["keypoints"][2::3]) for ann in annotations)
    judged = datumaro_read_shapes("coco_person_keypoints", folder)
    points = sorted(tuple(p) for item in judged["items"] for kind, _, p in item["shapes"] if kind == "points")
    assert_close({"all": [(0, p) for p in points]},
                 {"all": sorted((0, tuple(v for i, v in enumerate(p) if i % 3 != 2))
                                for shapes in original.values() for _, p in shapes)}, tolerance=1e-2)
    report = imported(ydc, folder, "--name", "back")
    info = report["dataset"]
    assert (info["task"], info["kpt_shape"], info["flip_idx"]) == ("pose", [3, 3], [0, 2, 1])
    assert_close(stored(ydc, "back"), original)


def test_obb_export_writes_corners_and_extent_and_comes_back(ydc, tmp_path):
    source = shapes_dataset(tmp_path / "obb", "obb", train=3, val=1)
    imported(ydc, source, "--name", "obb")
    original = stored(ydc, "obb")
    folder = exported(ydc, "obb", tmp_path / "out")
    document = json.loads((folder / "annotations" / "instances_train.json").read_text())
    assert document["info"]["ydc_task"] == "obb"
    for ann in document["annotations"]:
        (corners,) = ann["segmentation"]
        xs, ys = corners[0::2], corners[1::2]
        assert len(corners) == 8
        assert ann["bbox"] == pytest.approx([min(xs), min(ys), max(xs) - min(xs), max(ys) - min(ys)], abs=1e-2)
        assert ann["area"] == pytest.approx(polygon_mask([corners], 96, 96).sum(), rel=0.2)
    report = imported(ydc, folder, "--name", "back")
    assert report["dataset"]["task"] == "obb"
    assert_close(stored(ydc, "back"), original)
    as_polygons = imported(ydc, folder, "--name", "quads", "--task", "segment")
    assert as_polygons["dataset"]["task"] == "segment" and math.isclose(
        sum(map(len, stored(ydc, "quads").values())), sum(map(len, original.values())))


def test_a_copied_export_keeps_its_images_found(ydc, tmp_path):
    """The export's images/<split>/ layout is what the reader finds again after the folder moves."""
    imported(ydc, shapes_dataset(tmp_path / "seg", "segment", train=2, val=1), "--name", "seg")
    folder = exported(ydc, "seg", tmp_path / "out")
    moved = shutil.move(folder, tmp_path / "elsewhere")
    assert imported(ydc, moved, "--name", "moved")["images"] == 3
