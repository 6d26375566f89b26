"""YOLO folders as people have them: data.yaml that cannot mislead, read inside the folder given.

ultralytics' own ``check_det_dataset`` and ``YOLODataset`` are the judges of what a
moved export and a moved data folder still mean.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import yaml

from tests.helpers import jpeg


def _yolo(root: Path, splits: dict[str, int], names=("a", "b"), layout: str = "images/{split}") -> Path:
    for split, count in splits.items():
        images = root / layout.format(split=split)
        labels = Path(str(images).replace("images", "labels"))
        images.mkdir(parents=True, exist_ok=True)
        labels.mkdir(parents=True, exist_ok=True)
        for index in range(count):
            (images / f"{split}{index}.jpg").write_bytes(jpeg(seed=index + 10 * len(split)))
            (labels / f"{split}{index}.txt").write_text(f"{index % len(names)} 0.5 0.5 0.2 0.2\n")
    return root


def _write_yaml(root: Path, names=("a", "b"), **entries) -> None:
    (root / "data.yaml").write_text(yaml.safe_dump({**entries, "names": dict(enumerate(names))}))


def _imported(ydc, *args) -> dict:
    result = ydc("--json", "datasets", "import", *map(str, args))
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def _check_det_dataset(data_yaml: Path) -> dict:
    from ultralytics.data.utils import check_det_dataset

    return check_det_dataset(str(data_yaml), autodownload=False)


def _instances(data: dict, split: str) -> int:
    from ultralytics.data import YOLODataset

    dataset = YOLODataset(img_path=data[split], data=data, task="detect", augment=False, imgsz=64)
    return sum(len(label["cls"]) for label in dataset.labels)


def test_a_moved_export_still_trains(ydc, tmp_path):
    _write_yaml(_yolo(tmp_path / "src", {"train": 3, "val": 2}), train="images/train", val="images/val")
    _imported(ydc, tmp_path / "src", "--name", "d")
    exported = json.loads(ydc("--json", "datasets", "export", "d", "--format", "yolo", "--output",
                              tmp_path / "out").stdout)
    written = yaml.safe_load((Path(exported["path"]) / "data.yaml").read_text())
    assert "path" not in written
    moved = tmp_path / "moved" / "elsewhere"
    shutil.move(exported["path"], moved)
    data = _check_det_dataset(moved / "data.yaml")
    assert Path(data["val"]) == moved / "images" / "val"
    assert (_instances(data, "train"), _instances(data, "val")) == (3, 2)


def test_a_moved_data_folder_still_trains(tmp_path):
    """The filesystem store's own data.yaml (the only store that keeps one) names no absolute path either."""
    from typer.testing import CliRunner

    from ydc_cli.cli.app import app

    _write_yaml(_yolo(tmp_path / "src", {"train": 2, "val": 2}), train="images/train", val="images/val")
    env = {"YDC_BACKEND": "filesystem", "YDC_DATA_DIR": str(tmp_path / "data")}
    assert CliRunner().invoke(app, ["datasets", "import", str(tmp_path / "src"), "--name", "d"], env=env).exit_code == 0
    shutil.move(tmp_path / "data", tmp_path / "moved-data")
    data = _check_det_dataset(tmp_path / "moved-data" / "datasets" / "d" / "data.yaml")
    assert _instances(data, "val") == 2


def _copy_of_an_old_export(tmp_path: Path) -> tuple[Path, Path]:
    """An export whose data.yaml names its folder absolutely (as ydc wrote them before), and a copy
    of it whose labels and images were then edited."""
    original = _yolo(tmp_path / "original", {"train": 3, "val": 1})
    _write_yaml(original, path=str(original), train="images/train", val="images/val")
    copy = tmp_path / "copy"
    shutil.copytree(original, copy)
    (copy / "images" / "train" / "train2.jpg").unlink()
    (copy / "labels" / "train" / "train2.txt").unlink()
    (copy / "labels" / "train" / "train0.txt").write_text("1 0.25 0.25 0.1 0.1\n1 0.75 0.75 0.1 0.1\n")
    return original, copy


def test_a_copy_whose_data_yaml_names_the_original_is_refused(ydc, tmp_path):
    original, copy = _copy_of_an_old_export(tmp_path)
    refused = ydc("datasets", "import", copy)
    assert refused.exit_code == 5
    assert refused.stderr == (f"Error: data.yaml's path: leads outside the folder given, to {original}: ydc reads "
                              "the folder you name (--follow-path reads it as ultralytics does)\n")
    assert "copy" not in ydc("datasets", "list").stdout
    followed = _imported(ydc, copy, "--follow-path")  # ultralytics' reading: the original's files
    assert (followed["root"], followed["dataset"]["num_images"]["train"]) == (str(original), 3)


def test_a_copy_of_an_export_imports_the_copy(ydc, tmp_path):
    _, copy = _copy_of_an_old_export(tmp_path)
    _write_yaml(copy, train="images/train", val="images/val")  # as exports are written now
    report = _imported(ydc, copy)
    assert (report["format"], report["root"]) == ("yolo", str(copy))
    assert report["dataset"]["num_images"] == {"train": 2, "val": 1, "test": 0}
    boxes = json.loads(ydc("--json", "labels", "show", "copy", "train", "train0.jpg").stdout)
    assert [(b["class_id"], b["x"]) for b in boxes] == [(1, 0.25), (1, 0.75)]


def test_a_path_that_names_no_folder_here_is_passed_over(ydc, tmp_path):
    root = _yolo(tmp_path / "ds", {"train": 2})
    _write_yaml(root, path="../datasets/coco8", train="images/train")
    report = _imported(ydc, root)
    assert report["dataset"]["num_images"]["train"] == 2 and report["root"] == str(root)
    assert report["notes"] == [f"data.yaml's path: ../datasets/coco8 names no folder here: read {root}"]
    assert "note: data.yaml's path: ../datasets/coco8 names no folder here" in ydc(
        "datasets", "import", root, "--name", "again").stderr


def test_roboflow_parent_relative_splits_resolve_inside(ydc, tmp_path):
    """Roboflow writes ``train: ../train/images`` beside train/, valid/ and test/ folders."""
    root = _yolo(tmp_path / "rf", {"train": 3, "valid": 2, "test": 1}, layout="{split}/images")
    _write_yaml(root, train="../train/images", val="../valid/images", test="../test/images")
    _yolo(tmp_path, {"train": 5}, layout="{split}/images")  # a train/images beside the export: not read
    report = _imported(ydc, root)
    assert report["dataset"]["num_images"] == {"train": 3, "val": 2, "test": 1}
    assert report["root"] == str(root)


def test_a_split_entry_leading_outside_is_refused(ydc, tmp_path):
    root = _yolo(tmp_path / "ds", {"train": 2})
    _yolo(tmp_path / "other", {"val": 2})
    _write_yaml(root, train="images/train", val="../other/images/val")
    refused = ydc("datasets", "import", root)
    assert refused.exit_code == 5
    assert refused.stderr.startswith(f"Error: data.yaml's val: entry leads outside the folder given, to "
                                     f"{tmp_path / 'other' / 'images' / 'val'}: ")
    assert _imported(ydc, root, "--follow-path")["dataset"]["num_images"] == {"train": 2, "val": 2, "test": 0}


def test_a_list_valued_split_reads_each_folder_once(ydc, tmp_path):
    root = _yolo(tmp_path / "ds", {"train": 2, "test": 3, "val": 1})
    _write_yaml(root, train=["images/train", "images/test"], val="images/val")
    report = _imported(ydc, root)
    assert report["dataset"]["num_images"] == {"train": 5, "val": 1, "test": 0}
    listed = json.loads(ydc("--json", "images", "list", "ds").stdout)
    assert sorted(i["filename"] for i in listed if i["split"] == "train") == [
        "test0.jpg", "test1.jpg", "test2.jpg", "train0.jpg", "train1.jpg"]


def test_a_folder_named_for_two_splits_is_read_into_the_first(ydc, tmp_path):
    root = _yolo(tmp_path / "ds", {"train": 2, "val": 2})
    _write_yaml(root, train="images/train", val="images/val", test="images/val")
    report = _imported(ydc, root)
    assert report["dataset"]["num_images"] == {"train": 2, "val": 2, "test": 0}
    assert report["notes"] == ["images/val is named for val and test: read into val only"]


def test_image_lists_from_another_machine_are_found_by_name(ydc, tmp_path):
    root = _yolo(tmp_path / "ds", {"train": 3, "val": 1})
    (root / "train.txt").write_text("/content/datasets/ds/images/train/train0.jpg\n./images/train/train1.jpg\n"
                                    "images/train/train2.jpg\n/content/gone.jpg\n")
    _write_yaml(root, train="train.txt", val="images/val")
    report = _imported(ydc, root / "data.yaml")
    assert report["dataset"]["name"] == "ds"  # named after the folder, not "data"
    assert report["dataset"]["num_images"] == {"train": 3, "val": 1, "test": 0}
    assert report["skipped"] == [["/content/gone.jpg", "listed in train.txt but not an image file here"]]


def test_two_sources_holding_one_file_name_keep_both(ydc, tmp_path):
    root = _yolo(tmp_path / "ds", {"train": 2})
    extra = root / "extra" / "images"
    extra.mkdir(parents=True)
    (extra / "train0.jpg").write_bytes(jpeg(seed=99))
    _write_yaml(root, train=["images/train", "extra/images"])
    report = _imported(ydc, root)
    assert report["dataset"]["num_images"]["train"] == 3
    assert report["notes"] == ["extra/images/train0.jpg stored as train/train0__2.jpg (the split holds another "
                               "train0.jpg)"]
