"""Models that can be checked: `models val` and `models predict` with the session's tiny model, and a
checkpoint that cannot be loaded is one error line with exit 5 wherever it is used. Real CLI, every backend."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import cv2
import pytest

from tests import backends
from tests.training.conftest import make_shapes

pytest.importorskip("ultralytics", reason="the train extra is part of `make test`")
pytestmark = pytest.mark.slow


SCORES = ("precision", "recall", "map50", "map50_95")


def _store(ydc) -> tuple[dict[str, str], object]:
    """The store's files (the derived training cache and downloaded weights aside), database or bucket."""
    files, stored = backends.snapshot(ydc.backend, ydc.data_dir)
    derived = ("cache/", "work/cache/", "work/models/")
    return {k: v for k, v in files.items() if not k.startswith(derived)}, stored


def _broken_checkpoint(path: Path) -> Path:
    """Shaped like a torch.save zip (so the registry takes it), but its pickle is garbage."""
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("x/data.pkl", b"\x80\x02 this is no pickle at all")
        archive.writestr("x/version", b"3\n")
    return path


def _instances(source: Path, split: str) -> dict[int, int]:
    counts: dict[int, int] = {}
    for label in (source / "labels" / split).glob("*.txt"):
        for line in label.read_text().splitlines():
            counts[int(line.split()[0])] = counts.get(int(line.split()[0]), 0) + 1
    return counts


def test_val_prints_and_records_the_metrics(tiny, tiny_models, backend):
    source = tiny_models[backend].source
    shown = tiny("models", "val", "tiny", "--dataset", "shapes")
    assert shown.exit_code == 0, shown.stderr
    lines = [line.split("\t") for line in shown.stdout.splitlines()]
    assert lines[0] == ["class", "images", "instances", "precision", "recall", "mAP50", "mAP50-95"]
    assert [row[0] for row in lines[1:]] == ["all", "circle", "square"]
    instances = _instances(source, "val")
    assert [int(row[2]) for row in lines[1:]] == [sum(instances.values()), instances.get(0, 0), instances.get(1, 0)]
    assert int(lines[1][1]) == len(list((source / "images" / "val").iterdir()))
    result = json.loads(tiny("--json", "models", "val", "tiny", "--dataset", "shapes").stdout)
    assert lines[1][3:] == [f"{result[k]:.4f}" for k in SCORES]
    assert [row[3:] for row in lines[2:]] == [["-" if c[k] is None else f"{c[k]:.4f}" for k in SCORES]
                                              for c in result["classes"]]
    record = json.loads(tiny("--json", "models", "show", "tiny").stdout)
    validations = record["training"]["validations"]
    assert [(v["dataset"], v["split"]) for v in validations] == [("shapes", "val"), ("shapes", "val")]
    assert record["validation"] == validations[-1]
    assert {k: validations[-1][k] for k in ("map50", "map50_95", "precision", "recall", "instances")} == {
        k: result[k] for k in ("map50", "map50_95", "precision", "recall", "instances")}
    people = tiny("models", "show", "tiny")
    assert f"shapes/val: mAP50 {result['map50']:.4f}, mAP50-95 {result['map50_95']:.4f}" in people.stdout


def test_val_refuses_other_classes_and_empty_splits(tiny):
    empty = tiny("models", "val", "tiny", "--dataset", "shapes", "--split", "test")
    assert (empty.exit_code, empty.stderr) == (5, "Error: the test split of shapes is empty (shapes)\n")
    assert tiny("datasets", "classes", "shapes", "--rename", "circle=disc").exit_code == 0
    other = tiny("models", "val", "tiny", "--dataset", "shapes")
    assert other.exit_code == 5
    assert other.stderr == ("Error: model tiny knows the classes circle, square but dataset shapes has disc, square: "
                            "its metrics there would mean nothing (tiny)\n")
    missing = tiny("models", "val", "tiny", "--dataset", "nope")
    assert (missing.exit_code, missing.stderr) == (3, "Error: no such dataset (nope)\n")


def test_predict_draws_into_a_folder_and_leaves_the_store_alone(tiny, tmp_path):
    first = make_shapes(tmp_path / "a", train=2, seed=3, flat=True)
    second = make_shapes(tmp_path / "b", train=1, seed=3, flat=True)  # the same file names as in a/
    store = _store(tiny)
    out = tmp_path / "out"
    done = tiny("--json", "models", "predict", "tiny", first, f"{second}/*.jpg", "--output", out, "--conf", "0")
    assert done.exit_code == 0, done.stderr
    results = json.loads(done.stdout)
    inputs = sorted(first.glob("*.jpg")) + sorted(second.glob("*.jpg"))
    assert [r["image"] for r in results] == [str(p) for p in inputs]
    assert [Path(r["output"]).name for r in results] == ["new_3_0000.png", "new_3_0001.png", "new_3_0000-2.png"]
    assert sum(len(r["boxes"]) for r in results) > 0
    for r in results:
        assert cv2.imread(r["output"]).shape == cv2.imread(r["image"]).shape
        assert all(b["class_name"] in ("circle", "square") and 0 <= b["confidence"] <= 1 for b in r["boxes"])
    people = tiny("models", "predict", "tiny", first, "--output", out, "--conf", "0")
    assert people.stdout.splitlines()[1:] == [f"{r['image']}\t{len(r['boxes'])}\t{r['output']}" for r in results[:2]]
    assert _store(tiny) == store
    nothing = tiny("models", "predict", "tiny", tmp_path / "none*.jpg", "--output", out)
    assert (nothing.exit_code, nothing.stderr) == (3, f"Error: no images match ({tmp_path / 'none*.jpg'})\n")
    (tmp_path / "fake.jpg").write_bytes(b"not an image")
    fake = tiny("models", "predict", "tiny", tmp_path / "fake.jpg", "--output", out)
    assert fake.exit_code == 5 and fake.stderr.startswith("Error: ") and fake.stderr.count("\n") == 1


def test_models_add_needs_an_existing_dataset(tiny, tiny_models, backend):
    before = json.loads(tiny("--json", "models", "list").stdout)
    added = tiny("models", "add", "again", tiny_models[backend].outcome.model.path, "--dataset", "nope")
    assert (added.exit_code, added.stderr) == (3, "Error: no such dataset (nope)\n")
    assert json.loads(tiny("--json", "models", "list").stdout) == before


def test_a_checkpoint_that_cannot_be_loaded_is_one_error_line(tiny, tmp_path):
    broken = _broken_checkpoint(tmp_path / "broken.pt")
    assert tiny("models", "add", "broken", broken).exit_code == 0
    (tmp_path / "text.pt").write_text("not a checkpoint\n")
    images = make_shapes(tmp_path / "new", train=1, seed=4, flat=True)
    uses = {
        "labels auto": ("labels", "auto", "shapes", "--model", "broken", "--overwrite", "--yes"),
        "train run registered": ("train", "run", "shapes", "--model", "broken", "--epochs", "1", "--imgsz", "64"),
        "train run file": ("train", "run", "shapes", "--model", broken, "--epochs", "1", "--imgsz", "64"),
        "train run text": ("train", "run", "shapes", "--model", tmp_path / "text.pt", "--epochs", "1"),
        "models val": ("models", "val", "broken", "--dataset", "shapes"),
        "models predict": ("models", "predict", "broken", images, "--output", tmp_path / "out"),
    }
    store = _store(tiny)
    for use, args in uses.items():
        result = tiny(*args)
        assert result.exit_code == 5, (use, result.stderr, result.exception)
        assert result.stderr.startswith("Error: ") and result.stderr.count("\n") == 1, (use, result.stderr)
        assert "Traceback" not in result.stderr and result.stdout == ""
        if use == "train run text":
            assert result.stderr == (f"Error: not a PyTorch checkpoint: expected a torch.save zip or pickle "
                                     f"({tmp_path / 'text.pt'})\n")
        else:
            assert result.stderr.startswith("Error: cannot load the model: "), (use, result.stderr)
    assert _store(tiny) == store
    assert not (tmp_path / "out").exists()
    assert json.loads(tiny("--json", "train", "runs").stdout) == []
