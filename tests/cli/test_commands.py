"""Every command so far, on both backends: exact exit codes, messages and JSON."""

from __future__ import annotations

import json
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tests.helpers import jpeg

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
    assert set(info) == {"name", "path", "classes", "num_images", "created_at", "modified_at"}
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
    weights = tmp_path / "w.pt"
    weights.write_bytes(b"weights")
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
