"""Every command so far, on every backend: exact exit codes, messages and JSON."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tests.backends import cli_env
from tests.helpers import checkpoint, jpeg

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


@pytest.fixture
def shapes(tmp_path) -> Path:
    out = tmp_path / "shapes"
    subprocess.run([sys.executable, EXAMPLES / "make_shapes.py", out, "--train", "6", "--val", "2", "--size", "64"],
                   check=True, capture_output=True)
    return out


def test_version(ydc):
    result = ydc("--version")
    assert result.exit_code == 0 and result.stdout.startswith("ydc ")


def test_create_list_info_delete(ydc):
    assert ydc("datasets", "create", "pets", "--classes", "cat, dog").exit_code == 0
    result = ydc("--json", "datasets", "list")
    assert result.exit_code == 0
    [info] = json.loads(result.stdout)
    assert (info["name"], info["classes"], info["num_images"]) == ("pets", ["cat", "dog"], {"train": 0, "val": 0,
                                                                                            "test": 0})
    assert set(info) == {"name", "path", "classes", "num_images", "created_at", "modified_at", "task"}
    text = ydc("datasets", "info", "pets")
    assert text.exit_code == 0 and "0:cat, 1:dog" in text.stdout
    assert ydc("datasets", "delete", "pets", "--yes").exit_code == 0
    assert json.loads(ydc("--json", "datasets", "list").stdout) == []


def test_errors_have_exit_codes_and_one_line(ydc):
    missing = ydc("datasets", "info", "nope")
    assert missing.exit_code == 3
    assert missing.stderr == "Error: no such dataset (nope)\n" and missing.stdout == ""
    ydc("datasets", "create", "pets", "--classes", "cat")
    conflict = ydc("datasets", "create", "pets", "--classes", "cat")
    assert conflict.exit_code == 4 and conflict.stderr == "Error: dataset already exists (pets)\n"
    bad = ydc("datasets", "create", "../evil", "--classes", "cat")
    assert bad.exit_code == 5 and "path separator" in bad.stderr
    as_json = ydc("--json", "datasets", "info", "nope")
    assert json.loads(as_json.stderr) == {"error": {"code": "not_found", "message": "no such dataset (nope)"}}
    assert ydc("datasets", "frobnicate").exit_code == 2


def test_delete_refuses_without_terminal_or_yes(ydc):
    ydc("datasets", "create", "pets", "--classes", "cat")
    result = ydc("datasets", "delete", "pets")
    assert result.exit_code == 1 and "--yes" in result.stderr
    assert ydc("datasets", "info", "pets").exit_code == 0


def test_import_folder_and_zip_round_trip(ydc, shapes, tmp_path):
    result = ydc("--json", "datasets", "import", shapes)
    assert result.exit_code == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["dataset"]["num_images"] == {"train": 6, "val": 2, "test": 0}
    assert (report["images"], report["labeled"], report["backgrounds"]) == (8, 8, 0)
    out = tmp_path / "out"
    exported = ydc("datasets", "export", "shapes", "--output", out)
    assert exported.exit_code == 0 and exported.stdout.strip() == str(out / "shapes.zip")
    assert ydc("datasets", "import", out / "shapes.zip", "--name", "again").exit_code == 0
    again = json.loads(ydc("--json", "datasets", "info", "again").stdout)
    assert again["classes"] == ["circle", "square"] and again["num_images"]["train"] == 6
    assert ydc("datasets", "import", out / "shapes.zip", "--name", "again").exit_code == 4


def test_export_yolo_folder(ydc, shapes, tmp_path):
    ydc("datasets", "import", shapes)
    result = ydc("--json", "datasets", "export", "shapes", "--format", "yolo", "--output", tmp_path / "yolo")
    assert result.exit_code == 0, result.stderr
    folder = Path(json.loads(result.stdout)["path"])
    assert (folder / "data.yaml").is_file()
    assert sorted(p.name for p in (folder / "images" / "train").iterdir()) == sorted(
        p.name for p in (shapes / "images" / "train").iterdir())
    for image in (shapes / "images" / "train").iterdir():
        assert (folder / "images" / "train" / image.name).read_bytes() == image.read_bytes()
    assert ydc("datasets", "export", "shapes", "--format", "yolo", "--output", tmp_path / "yolo").exit_code == 4
    assert ydc("datasets", "export", "shapes", "--format", "tar").exit_code == 2


def test_import_hostile_zip_exit_5(ydc, tmp_path):
    path = tmp_path / "evil.zip"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("data.yaml", "names: [a]\n")
        zf.writestr("images/train/../../x.jpg", b"x")
    result = ydc("datasets", "import", path)
    assert result.exit_code == 5 and "escapes" in result.stderr
    assert ydc("--json", "datasets", "list").stdout.strip() == "[]"
    assert ydc("datasets", "import", tmp_path / "missing.zip").exit_code == 3


def test_images_add_keeps_bytes_and_pairs_labels(ydc, tmp_path):
    ydc("datasets", "create", "d", "--classes", "a,b")
    src = tmp_path / "src"
    src.mkdir()
    (src / "one.jpg").write_bytes(jpeg(seed=1))
    (src / "one.txt").write_text("1 0.5 0.5 0.2 0.2\n")
    (src / "two.jpg").write_bytes(jpeg(seed=2))
    result = ydc("--json", "images", "add", "d", src / "*.jpg", "--split", "val")
    assert result.exit_code == 0, result.stderr
    assert [(i["filename"], i["has_labels"]) for i in json.loads(result.stdout)] == [("one.jpg", True),
                                                                                    ("two.jpg", False)]
    listed = json.loads(ydc("--json", "images", "list", "d", "--unlabeled").stdout)
    assert [i["filename"] for i in listed] == ["two.jpg"]
    again = ydc("images", "add", "d", src / "one.jpg", "--split", "val")
    assert again.exit_code == 4 and "already exists" in again.stderr


def test_images_add_bad_label_changes_nothing(ydc, tmp_path):
    ydc("datasets", "create", "d", "--classes", "a")
    (tmp_path / "x.jpg").write_bytes(jpeg())
    (tmp_path / "x.txt").write_text("0 0.5 0.5 0.2 0.2\n3 0.5 0.5 0.2 0.2\n")
    result = ydc("images", "add", "d", tmp_path / "x.jpg")
    assert result.exit_code == 5
    assert result.stderr == f"Error: class id 3 is out of range for 1 classes (0..0) ({tmp_path / 'x.txt'}:2)\n"
    assert json.loads(ydc("--json", "images", "list", "d").stdout) == []


def test_classes_and_prompts(ydc):
    ydc("datasets", "create", "d", "--classes", "cat,dog")
    result = ydc("--json", "datasets", "classes", "d", "--add", "bird", "--rename", "dog=puppy")
    assert json.loads(result.stdout)["classes"] == ["cat", "puppy", "bird"]
    result = ydc("--json", "datasets", "prompts", "d", "--set", "puppy=a dog,a puppy", "--set", "0=kitten")
    assert json.loads(result.stdout)["prompts"] == {"0": ["kitten"], "1": ["a dog", "a puppy"]}
    assert ydc("datasets", "prompts", "d", "--set", "fish=x").exit_code == 5
    assert ydc("datasets", "classes", "d", "--rename", "fish=x").exit_code == 3


def test_models(ydc, tmp_path):
    weights = checkpoint(tmp_path / "w.pt")
    ydc("datasets", "create", "d", "--classes", "a")
    assert ydc("models", "add", "m", weights, "--dataset", "d").exit_code == 0
    assert ydc("models", "add", "m", weights).exit_code == 4
    assert ydc("models", "add", "x", tmp_path / "missing.pt").exit_code == 3
    assert ydc("models", "active").exit_code == 3
    assert ydc("models", "activate", "m").exit_code == 0
    assert json.loads(ydc("--json", "models", "active").stdout)["name"] == "m"
    exported = ydc("models", "export", "m", "--output", tmp_path / "out")
    assert exported.exit_code == 0
    assert ydc("models", "import", tmp_path / "out" / "m.zip", "--name", "m2").exit_code == 0
    assert [m["name"] for m in json.loads(ydc("--json", "models", "list").stdout)] == ["m", "m2"]
    assert ydc("models", "remove", "m2", "--yes").exit_code == 0
    assert ydc("models", "show", "m2").exit_code == 3


@pytest.fixture
def one_image(ydc, tmp_path):
    ydc("datasets", "create", "d", "--classes", "a,b")
    (tmp_path / "x.jpg").write_bytes(jpeg(seed=4))
    assert ydc("images", "add", "d", tmp_path / "x.jpg").exit_code == 0
    return tmp_path / "x.jpg"


def test_labels_set_show_clear(ydc, one_image):
    result = ydc("--json", "labels", "set", "d", "train", "x.jpg", "--box", "1 0.5 0.5 0.2 0.2",
                 "--box", "0 0.25 0.25 0.1 0.1")
    assert result.exit_code == 0, result.stderr
    boxes = json.loads(ydc("--json", "labels", "show", "d", "train", "x.jpg").stdout)
    assert boxes == [{"class_id": 1, "x": 0.5, "y": 0.5, "width": 0.2, "height": 0.2},
                     {"class_id": 0, "x": 0.25, "y": 0.25, "width": 0.1, "height": 0.1}]
    assert ydc("labels", "clear", "d", "train", "x.jpg").exit_code == 0
    assert json.loads(ydc("--json", "labels", "show", "d", "train", "x.jpg").stdout) == []
    assert json.loads(ydc("--json", "images", "list", "d").stdout)[0]["has_labels"] is True
    assert ydc("labels", "clear", "d", "train", "x.jpg", "--delete").exit_code == 0
    assert json.loads(ydc("--json", "images", "list", "d").stdout)[0]["has_labels"] is False


def test_labels_set_from_file(ydc, one_image, tmp_path):
    (tmp_path / "boxes.txt").write_text("0 0.5 0.5 0.1 0.1\n1 0.5 0.5 0.3 0.3\n")
    assert ydc("labels", "set", "d", "train", "x.jpg", "--file", tmp_path / "boxes.txt").exit_code == 0
    assert len(json.loads(ydc("--json", "labels", "show", "d", "train", "x.jpg").stdout)) == 2


@pytest.mark.parametrize("box, message", [
    ("2 0.5 0.5 0.2 0.2", "class id 2 is out of range for 2 classes (0..1) (--box 1)"),
    ("0 0.5 0.5 0.2", "expected 5 columns 'class x y w h', got 4 (--box 1)"),
    ("0 1.5 0.5 0.2 0.2", "coordinate 1.5 is outside [0, 1] (--box 1)"),
    ("0 0.5 0.5 0 0.2", "box has zero or negative size (w=0, h=0.2) (--box 1)"),
    ("0.5 0.5 0.5 0.2 0.2", "class id must be an integer, got 0.5 (--box 1)"),
])
def test_bad_boxes_exit_5_and_change_nothing(ydc, one_image, box, message):
    ydc("labels", "set", "d", "train", "x.jpg", "--box", "1 0.5 0.5 0.2 0.2")
    result = ydc("labels", "set", "d", "train", "x.jpg", "--box", box)
    assert result.exit_code == 5
    assert result.stderr == f"Error: {message}\n"
    assert json.loads(ydc("--json", "labels", "show", "d", "train", "x.jpg").stdout)[0]["class_id"] == 1


def test_labels_usage_and_missing(ydc, one_image):
    assert ydc("labels", "set", "d", "train", "x.jpg").exit_code == 2
    assert ydc("labels", "show", "d", "train", "nope.jpg").exit_code == 3
    assert ydc("labels", "set", "nope", "train", "x.jpg", "--box", "0 0.5 0.5 0.1 0.1").exit_code == 3


def test_images_show_get(ydc, one_image, tmp_path):
    details = json.loads(ydc("--json", "images", "show", "d", "train", "x.jpg").stdout)
    assert details["image"]["width"] == 64 and details["image"]["height"] == 48 and details["format"] == "jpeg"
    out = tmp_path / "out"
    out.mkdir()
    result = ydc("images", "get", "d", "train", "x.jpg", "--output", out)
    assert result.exit_code == 0 and (out / "x.jpg").read_bytes() == one_image.read_bytes()
    assert ydc("images", "get", "d", "train", "x.jpg", "--output", tmp_path / "no" / "f.jpg").exit_code == 3
    assert ydc("images", "show", "d", "val", "x.jpg").exit_code == 3


def test_images_move_with_labels(ydc, one_image):
    ydc("labels", "set", "d", "train", "x.jpg", "--box", "1 0.5 0.5 0.2 0.2")
    assert ydc("images", "move", "d", "x.jpg", "--from", "train", "--to", "val").exit_code == 0
    listed = json.loads(ydc("--json", "images", "list", "d").stdout)
    assert [(i["split"], i["has_labels"]) for i in listed] == [("val", True)]
    assert ydc("images", "move", "d", "x.jpg", "--from", "train", "--to", "val").exit_code == 3
    assert ydc("images", "move", "d", "x.jpg", "--from", "val", "--to", "nowhere").exit_code == 5


def test_images_move_conflict_moves_nothing(ydc, one_image, tmp_path):
    (tmp_path / "y.jpg").write_bytes(jpeg(seed=8))
    ydc("images", "add", "d", tmp_path / "y.jpg")
    ydc("images", "add", "d", one_image, "--split", "val")
    result = ydc("images", "move", "d", "y.jpg", "x.jpg", "--from", "train", "--to", "val")
    assert result.exit_code == 4 and "already exists" in result.stderr
    assert [i["filename"] for i in json.loads(ydc("--json", "images", "list", "d", "--split", "train").stdout)] == [
        "x.jpg", "y.jpg"]


def test_images_remove(ydc, one_image):
    ydc("labels", "set", "d", "train", "x.jpg", "--box", "1 0.5 0.5 0.2 0.2")
    assert ydc("images", "remove", "d", "train", "x.jpg").exit_code == 1  # no terminal, no --yes
    assert ydc("images", "remove", "d", "train", "x.jpg", "nope.jpg", "--yes").exit_code == 3
    assert len(json.loads(ydc("--json", "images", "list", "d").stdout)) == 1
    assert ydc("images", "remove", "d", "train", "x.jpg", "--yes").exit_code == 0
    assert json.loads(ydc("--json", "images", "list", "d").stdout) == []
    assert ydc("--json", "labels", "show", "d", "train", "x.jpg").exit_code == 3


def test_import_folder_reads_data_yaml_paths(ydc, tmp_path):
    root = tmp_path / "elsewhere"
    for split in ("train", "valid"):
        (root / split / "images").mkdir(parents=True)
        (root / split / "labels").mkdir(parents=True)
        (root / split / "images" / f"{split}.jpg").write_bytes(jpeg())
        (root / split / "labels" / f"{split}.txt").write_text("0 0.5 0.5 0.1 0.1\n")
        (root / split / "images" / "notes.md").write_text("not an image")
    config = tmp_path / "config"
    config.mkdir()
    (config / "data.yaml").write_text(f"path: {root}\ntrain: train/images\nval: valid/images\nnames: {{0: a}}\n")
    refused = ydc("datasets", "import", config, "--name", "rf")
    assert refused.exit_code == 5 and refused.stderr == (
        f"Error: data.yaml's path: leads outside the folder given, to {root}: ydc reads the folder you name "
        "(--follow-path reads it as ultralytics does)\n")
    result = ydc("--json", "datasets", "import", config, "--name", "rf", "--follow-path")
    assert result.exit_code == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["dataset"]["num_images"] == {"train": 1, "val": 1, "test": 0}
    assert (report["format"], report["root"]) == ("yolo", str(root))
    assert sorted(reason for _, reason in report["skipped"]) == ["not an image file type"] * 2


def test_debug_shows_the_traceback(backend, tmp_path):
    env = {**os.environ, **cli_env(backend, tmp_path / "data")}
    quiet = subprocess.run([sys.executable, "-m", "ydc_cli", "datasets", "info", "nope"],
                           capture_output=True, text=True, env={**env, "YDC_DEBUG": ""})
    assert quiet.returncode == 3 and "Traceback" not in quiet.stderr
    loud = subprocess.run([sys.executable, "-m", "ydc_cli", "datasets", "info", "nope"],
                          capture_output=True, text=True, env={**env, "YDC_DEBUG": "1"})
    assert loud.returncode != 0 and "Traceback" in loud.stderr and "NotFoundError" in loud.stderr


def test_classes_remove_remap_reorder_rewrite_labels(ydc, tmp_path):
    ydc("datasets", "create", "d", "--classes", "cat,dog,bird")
    ydc("datasets", "prompts", "d", "--set", "cat=kitten", "--set", "dog=puppy", "--set", "bird=sparrow")
    for i, line in enumerate(["0 0.5 0.5 0.1 0.1\n1 0.5 0.5 0.2 0.2\n2 0.5 0.5 0.3 0.3\n", "2 0.4 0.4 0.1 0.1\n"]):
        (tmp_path / f"i{i}.jpg").write_bytes(jpeg(seed=i))
        (tmp_path / f"i{i}.txt").write_text(line)
    ydc("images", "add", "d", tmp_path / "i0.jpg", tmp_path / "i1.jpg")

    result = json.loads(ydc("--json", "datasets", "classes", "d", "--remove", "dog", "--remap-to", "cat").stdout)
    assert result == {"dataset": "d", "classes": ["cat", "bird"], "remapped_boxes": 3, "dropped_boxes": 0,
                      "dropped_images": 0, "rewritten_labels": 2}
    assert [b["class_id"] for b in json.loads(ydc("--json", "labels", "show", "d", "train", "i0.jpg").stdout)] == [
        0, 0, 1]
    prompts = json.loads(ydc("--json", "datasets", "prompts", "d").stdout)["prompts"]
    assert prompts == {"0": ["kitten"], "1": ["sparrow"]}

    result = json.loads(ydc("--json", "datasets", "classes", "d", "--reorder", "bird,cat").stdout)
    assert result["classes"] == ["bird", "cat"]
    assert [b["class_id"] for b in json.loads(ydc("--json", "labels", "show", "d", "train", "i1.jpg").stdout)] == [0]
    assert json.loads(ydc("--json", "datasets", "prompts", "d").stdout)["prompts"] == {"0": ["sparrow"],
                                                                                       "1": ["kitten"]}

    asked = ydc("datasets", "classes", "d", "--remove", "bird")  # drops boxes: no terminal, no --yes
    assert asked.exit_code == 1 and asked.stderr == (
        "Error: Removing bird drops 2 boxes from 2 images of d. Go ahead? Refusing without a terminal: pass --yes\n")
    assert json.loads(ydc("--json", "datasets", "info", "d").stdout)["classes"] == ["bird", "cat"]
    result = json.loads(ydc("--json", "datasets", "classes", "d", "--remove", "bird", "--yes").stdout)
    assert result["dropped_boxes"] == 2 and result["dropped_images"] == 2 and result["classes"] == ["cat"]
    assert json.loads(ydc("--json", "labels", "show", "d", "train", "i1.jpg").stdout) == []


@pytest.mark.parametrize("args, code, message", [
    (["--remove", "fish"], 3, "no such class (fish)"),
    (["--remap-to", "cat"], 5, "--remap-to needs --remove"),
    (["--remove", "cat", "--remap-to", "cat"], 5, "cannot remap a removed class onto itself (cat)"),
    (["--reorder", "cat"], 5, "--reorder must list each class once: cat, dog"),
    (["--add", "dog"], 5, "class name appears twice (dog)"),
])
def test_classes_errors(ydc, args, code, message):
    ydc("datasets", "create", "d", "--classes", "cat,dog")
    result = ydc("datasets", "classes", "d", *args)
    assert result.exit_code == code and result.stderr == f"Error: {message}\n"


def test_split_command(ydc, shapes):
    ydc("datasets", "import", shapes)
    result = ydc("--json", "datasets", "split", "shapes", "--train", "0.5", "--val", "0.25", "--test", "0.25",
                 "--seed", "7", "--stratify")
    assert result.exit_code == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["before"] == {"train": 6, "val": 2, "test": 0}
    assert report["after"] == {"train": 4, "val": 2, "test": 2}
    listed = json.loads(ydc("--json", "images", "list", "shapes").stdout)
    assert all(i["has_labels"] for i in listed)
    bad = ydc("datasets", "split", "shapes", "--train", "0", "--val", "0")
    assert bad.exit_code == 2 and "sum to 1" in bad.stderr
    over = ydc("datasets", "split", "shapes", "--train", "0.5", "--val", "0.6")
    assert over.exit_code == 2 and over.stderr == (
        "Error: split shares must each be between 0 and 1 and sum to 1, got --train 0.5 + --val 0.6 + --test 0 = 1.1\n")
    ungrouped = ydc("datasets", "split", "shapes", "--group-by", "^cam(\\d+)_")
    assert ungrouped.exit_code == 2 and "--group-by matches no file name" in ungrouped.stderr
    assert json.loads(ydc("--json", "datasets", "info", "shapes").stdout)["num_images"] == report["after"]


def test_validate_command_exit_codes(ydc, shapes, tmp_path):
    ydc("datasets", "import", shapes)
    clean = ydc("--json", "datasets", "validate", "shapes")
    assert clean.exit_code == 0, clean.stdout
    report = json.loads(clean.stdout)
    assert (report["images"], report["errors"]) == (8, 0)
    tiny = tmp_path / "tiny.png"
    import cv2
    import numpy as np

    cv2.imwrite(str(tiny), np.zeros((6, 6, 3), np.uint8))
    ydc("images", "add", "shapes", tiny)
    bad = ydc("datasets", "validate", "shapes")
    assert bad.exit_code == 1
    assert "image_size" in bad.stdout and "1 error," in bad.stderr
    assert ydc("datasets", "validate", "nope").exit_code == 3


def test_copy_between_backends_is_exact(ydc, backend, shapes, tmp_path):
    ydc("datasets", "import", shapes)
    ydc("datasets", "prompts", "shapes", "--set", "circle=ball")
    other = "sqlite" if backend == "filesystem" else "filesystem"
    result = ydc("--json", "datasets", "copy", "shapes", "--to-backend", other, "--to-data-dir", tmp_path / "copy",
                 "--as", "moved")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["num_images"] == {"train": 6, "val": 2, "test": 0}
    assert ydc("datasets", "copy", "shapes", "--to-backend", backend).exit_code == 4
    assert ydc("datasets", "copy", "nope", "--to-backend", other, "--to-data-dir", tmp_path / "copy").exit_code == 3

    from tests.backends import make_stores

    async def contents(backend, root, name):
        stores = make_stores(backend, root)
        try:
            samples = [(s.split, s.filename, s.data, s.annotations)
                       async for s in stores.dataset.iter_samples(name)]
            return samples, (await stores.dataset.get(name)).classes, await stores.dataset.get_prompts(name)
        finally:
            stores.close()

    import asyncio

    here = asyncio.run(contents(backend, tmp_path / "data", "shapes"))
    there = asyncio.run(contents(other, tmp_path / "copy", "moved"))
    assert here == there and len(here[0]) == 8 and here[2] == {0: ["ball"]}


def test_labels_draw(ydc, one_image, tmp_path):
    import cv2

    ydc("labels", "set", "d", "train", "x.jpg", "--box", "1 0.5 0.5 0.5 0.5")
    result = ydc("labels", "draw", "d", "train", "x.jpg", "--output", tmp_path / "drawn.png")
    assert result.exit_code == 0, result.stderr
    drawn = cv2.imread(str(tmp_path / "drawn.png"))
    plain = cv2.imdecode(__import__("numpy").frombuffer(one_image.read_bytes(), "uint8"), cv2.IMREAD_COLOR)
    assert drawn.shape == plain.shape
    assert (drawn != plain).any(axis=2).sum() > 50  # the box and its caption were drawn
    assert ydc("labels", "draw", "d", "train", "nope.jpg", "--output", tmp_path / "x.png").exit_code == 3


def test_merge_command(ydc, shapes):
    ydc("datasets", "import", shapes, "--name", "one")
    ydc("datasets", "import", shapes, "--name", "two")
    result = ydc("--json", "datasets", "merge", "one", "two", "--into", "both")
    assert result.exit_code == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["dataset"]["num_images"] == {"train": 12, "val": 4, "test": 0}
    assert len(report["renamed"]) == 8
    assert ydc("datasets", "merge", "one", "two", "--into", "both").exit_code == 4


def test_dedupe_command(ydc, one_image, tmp_path):
    copy = tmp_path / "copy.jpg"
    copy.write_bytes(one_image.read_bytes())
    ydc("images", "add", "d", copy, "--split", "val")
    report = json.loads(ydc("--json", "datasets", "dedupe", "d").stdout)
    assert report["duplicates"] == 1 and report["removed"] == 0
    assert ydc("datasets", "dedupe", "d", "--remove").exit_code == 1  # no terminal, no --yes
    removed = json.loads(ydc("--json", "datasets", "dedupe", "d", "--remove", "--yes").stdout)
    assert removed["removed"] == 1
    assert [i["filename"] for i in json.loads(ydc("--json", "images", "list", "d").stdout)] == ["x.jpg"]


def test_coco_export_import_command(ydc, shapes, tmp_path):
    ydc("datasets", "import", shapes)
    exported = ydc("--json", "datasets", "export", "shapes", "--format", "coco", "--output", tmp_path / "coco")
    assert exported.exit_code == 0, exported.stderr
    folder = Path(json.loads(exported.stdout)["path"])
    assert sorted(p.name for p in (folder / "annotations").iterdir()) == ["instances_train.json",
                                                                         "instances_val.json"]
    result = ydc("--json", "datasets", "import", folder, "--name", "again")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["dataset"]["num_images"] == {"train": 6, "val": 2, "test": 0}
    original = json.loads(ydc("--json", "labels", "show", "shapes", "train", "train_0_0000.jpg").stdout)
    back = json.loads(ydc("--json", "labels", "show", "again", "train", "train_0_0000.jpg").stdout)
    assert [b["class_id"] for b in back] == [b["class_id"] for b in original]
    for a, b in zip(original, back, strict=True):
        assert all(abs(a[k] - b[k]) < 1e-3 for k in ("x", "y", "width", "height"))
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    assert ydc("datasets", "import", bad).exit_code == 5


def test_stats_command(ydc, shapes, tmp_path):
    ydc("datasets", "import", shapes)
    result = ydc("--json", "datasets", "stats", "shapes", "--plot", tmp_path / "s.png")
    assert result.exit_code == 0, result.stderr
    stats = json.loads(result.stdout)
    assert stats["images"] == {"train": 6, "val": 2, "test": 0}
    assert sum(stats["instances_per_class"].values()) == stats["instances"] > 0
    assert "sizes" not in stats and (tmp_path / "s.png").stat().st_size > 1000
    assert ydc("datasets", "stats", "nope").exit_code == 3


def test_names_that_look_like_markup_are_shown_as_they_are(ydc, tmp_path):
    ydc("datasets", "create", "d", "--classes", "[bold]x[/],[/]")
    (tmp_path / "[red]odd.jpg").write_bytes(jpeg())
    assert ydc("images", "add", "d", tmp_path / "[red]odd.jpg").exit_code == 0
    listed = ydc("images", "list", "d")
    assert listed.exit_code == 0 and "[red]odd.jpg" in listed.stdout
    classes = ydc("datasets", "classes", "d")
    assert classes.exit_code == 0 and "[bold]x[/]" in classes.stdout


def test_yaml_class_names_are_kept_as_written(ydc, tmp_path):
    folder = tmp_path / "words"
    (folder / "images" / "train").mkdir(parents=True)
    (folder / "images" / "val").mkdir(parents=True)
    (folder / "images" / "train" / "a.jpg").write_bytes(jpeg())
    (folder / "data.yaml").write_text("names: [yes, no, null, on, 'off', 3]\n")
    result = ydc("--json", "datasets", "import", folder)
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["dataset"]["classes"] == ["yes", "no", "null", "on", "off", "3"]
    assert json.loads(ydc("--json", "datasets", "info", "words").stdout)["classes"][:3] == ["yes", "no", "null"]


@pytest.mark.parametrize("text, message", [
    ("names: !!python/object/apply:os.system ['touch pwned']\n", "invalid YAML"),
    ("a: &a [x, x, x]\nb: &b [*a, *a, *a]\nnames: [*b, *b]\n", "class name must be text"),
    ("names: [a]\n" + "# padding\n" * 200_000, "larger than"),
])
def test_hostile_data_yaml_is_refused(ydc, tmp_path, text, message):
    folder = tmp_path / "evil"
    (folder / "images" / "train").mkdir(parents=True)
    (folder / "data.yaml").write_text(text)
    result = ydc("datasets", "import", folder)
    assert result.exit_code == 5 and message in result.stderr
    assert not (tmp_path / "pwned").exists() and not Path("pwned").exists()
    assert json.loads(ydc("--json", "datasets", "list").stdout) == []


def test_images_list_is_tab_separated_when_piped_and_long_adds_sizes(ydc, tmp_path):
    ydc("datasets", "create", "d", "--classes", "a")
    for name in ("b.jpg", "a b.jpg"):
        (tmp_path / name).write_bytes(jpeg())
        assert ydc("images", "add", "d", tmp_path / name).exit_code == 0
    ydc("labels", "set", "d", "train", "b.jpg", "--box", "0 0.5 0.5 0.2 0.2")
    assert ydc("images", "list", "d").stdout.splitlines() == [
        "split\tfilename\tlabels", "train\ta b.jpg\tnone", "train\tb.jpg\tboxes"]
    size = len(jpeg())
    assert ydc("images", "list", "d", "--long", "--unlabeled").stdout.splitlines() == [
        "split\tfilename\tbytes\tlabels", f"train\ta b.jpg\t{size}\tnone"]
    listed = json.loads(ydc("--json", "images", "list", "d", "-l").stdout)
    assert [(i["filename"], i["size_bytes"]) for i in listed] == [("a b.jpg", size), ("b.jpg", size)]
    assert "size_bytes" not in json.loads(ydc("--json", "images", "list", "d").stdout)[0]
