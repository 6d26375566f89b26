"""Segment, obb and pose end to end: `train run` picks the task's model, records the task's metrics, and the
model then validates, auto-labels and predicts with the task's shapes; a model of another task is refused.

Real CLI, every backend, real ultralytics: each task is trained once per backend (1 epoch at 64 px on 6
generated images), so the scores are near zero: the tests check that they are there and named, not how
good they are.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from tests.training.conftest import BACKENDS, Ydc, make_shapes
from ydc_cli.domain.checkpoint import checkpoint_task

pytest.importorskip("ultralytics", reason="the train extra is part of `make test`")
pytestmark = pytest.mark.slow

TASKS = ("segment", "obb", "pose")
MODEL_YAML = {"segment": "yolo11n-seg.yaml", "obb": "yolo11n-obb.yaml", "pose": "yolo11n-pose.yaml"}
SCORES = {"segment": {"box_map50", "box_map50_95", "mask_map50", "mask_map50_95"},
          "obb": {"box_map50", "box_map50_95"},
          "pose": {"box_map50", "box_map50_95", "pose_map50", "pose_map50_95"}}
EPOCH_KEYS = {"segment": "metrics/mAP50(M)", "obb": "metrics/mAP50(B)", "pose": "metrics/mAP50(P)"}


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """``trained(backend, task)``: the CLI on the backend's data dir, where dataset TASK (6 train, 3 val
    images) was trained with `ydc train run TASK` into model TASK-model; and the command's JSON output.
    Each pair trains once, when a test first asks for it."""
    root = tmp_path_factory.mktemp("tasks")
    sources = {task: make_shapes(root / "data" / task, train=6, val=3, task=task) for task in TASKS}
    done: dict[tuple[str, str], tuple[Ydc, dict]] = {}

    def get(backend: str, task: str) -> tuple[Ydc, dict]:
        if (backend, task) not in done:
            ydc = Ydc(backend, root / backend)
            imported = ydc("datasets", "import", sources[task], "--name", task)
            assert imported.exit_code == 0, imported.stderr
            result = ydc("--json", "train", "run", task, "--epochs", 1, "--imgsz", 64, "--batch", 8,
                         "--device", "cpu", "--name", f"{task}-model")
            assert result.exit_code == 0, result.stderr
            done[(backend, task)] = ydc, json.loads(result.stdout)
        return done[(backend, task)]

    return get


def _error_line(result) -> str:
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.stderr
    return lines[0]


@pytest.mark.parametrize("task", TASKS)
@pytest.mark.parametrize("backend", BACKENDS)
def test_training_uses_the_task_model_and_records_its_metrics(trained, backend, task):
    ydc, model = trained(backend, task)
    assert (model["base_model"], model["dataset_name"], model["epochs_completed"]) == (MODEL_YAML[task], task, 1)
    assert model["best_map50"] is not None  # the headline stays the box mAP50

    shown = json.loads(ydc("--json", "models", "show", f"{task}-model").stdout)
    assert shown["task"] == task and shown["training"]["task"] == task
    assert set(shown["metrics"]) == SCORES[task]
    assert all(0.0 <= v <= 1.0 for v in shown["metrics"].values())
    assert EPOCH_KEYS[task] in shown["training"]["epochs"][0]
    print(f"\n{backend} {task}: {shown['metrics']}")
    text = ydc("models", "show", f"{task}-model").stdout
    assert f"task          {task}" in text and "metrics       box mAP50 " in text
    assert ("mask mAP50" in text, "pose mAP50" in text) == (task == "segment", task == "pose")

    runs = json.loads(ydc("--json", "train", "runs").stdout)
    run = next(r for r in runs if r["name"] == f"{task}-model")
    assert (run["task"], run["state"], set(run["metrics"])) == (task, "registered", SCORES[task])

    # the data.yaml ultralytics trained on (in place on the filesystem, materialised for SQLite) holds the task
    args = yaml.safe_load((ydc.work_dir / "runs" / f"{task}-model" / "args.yaml").read_text())
    data = yaml.safe_load(Path(args["data"]).read_text())
    assert data["task"] == task and (Path(args["data"]).parent.name == f"{task}-in-place") is (
        backend == "filesystem")
    if task == "pose":
        assert (data["kpt_shape"], data["flip_idx"]) == ([3, 3], [0, 2, 1])

    checked = ydc("--json", "models", "val", f"{task}-model", "--dataset", task, "--device", "cpu")
    assert checked.exit_code == 0, checked.stderr
    validation = json.loads(checked.stdout)
    assert validation["task"] == task and set(validation["scores"]) == {
        f"{kind}_{m}" for kind in {"segment": ["mask"], "pose": ["pose"]}.get(task, [])
        for m in ("precision", "recall", "map50", "map50_95")}
    assert all(set(c["scores"]) == set(validation["scores"]) for c in validation["classes"])
    latest = json.loads(ydc("--json", "models", "show", f"{task}-model").stdout)["validation"]
    assert latest["task"] == task and latest["scores"] == validation["scores"]


def _points_ok(task: str, points: list[float]) -> bool:
    coords = points if task != "pose" else [v for i, v in enumerate(points) if i % 3 != 2]
    if not all(0.0 <= v <= 1.0 for v in coords):
        return False
    if task == "segment":
        return len(points) >= 6 and len(points) % 2 == 0
    if task == "obb":
        return len(points) == 8
    return len(points) == 9 and set(points[2::3]) <= {0.0, 2.0}


@pytest.mark.parametrize("task", TASKS)
@pytest.mark.parametrize("backend", BACKENDS)
def test_labels_auto_writes_the_shapes_of_the_task(trained, backend, task, tmp_path):
    ydc, _ = trained(backend, task)
    new = make_shapes(tmp_path / "new", train=2, seed=9, flat=True, task=task)
    assert ydc("images", "add", task, new, "--split", "test").exit_code == 0
    done = ydc("--json", "labels", "auto", task, "--model", f"{task}-model", "--split", "test", "--conf", "0")
    assert done.exit_code == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["written"] and report["labeled"] == 2 and report["boxes"] > 0
    shapes = []
    for image in sorted(new.glob("*.jpg")):
        shown = ydc("--json", "labels", "show", task, "test", image.name)
        assert shown.exit_code == 0, shown.stderr
        shapes += json.loads(shown.stdout)
    assert len(shapes) == report["boxes"]
    assert all(s.get("points") and _points_ok(task, s["points"]) for s in shapes), shapes[:3]
    assert ydc("datasets", "validate", task).exit_code == 0


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_model_of_another_task_is_refused(trained, backend):
    ydc, _ = trained(backend, "segment")
    trained(backend, "pose")
    before = sorted(p.name for p in (ydc.work_dir / "runs").iterdir())
    architecture = ydc("train", "run", "segment", "--model", "yolo11n-pose.yaml", "--epochs", 1, "--imgsz", 64)
    assert architecture.exit_code == 5
    assert "pose model" in _error_line(architecture) and "segment dataset" in architecture.stderr
    detect = ydc("train", "run", "pose", "--model", "yolo11n.yaml", "--epochs", 1, "--imgsz", 64)
    assert detect.exit_code == 5
    assert "detect model" in _error_line(detect) and "pose dataset" in detect.stderr
    registered = ydc("train", "run", "pose", "--model", "segment-model", "--epochs", 1, "--imgsz", 64)
    assert registered.exit_code == 5
    assert "segment model" in _error_line(registered) and "pose dataset" in registered.stderr
    assert sorted(p.name for p in (ydc.work_dir / "runs").iterdir()) == before  # nothing started

    auto = ydc("labels", "auto", "segment", "--model", "pose-model", "--conf", "0")
    assert auto.exit_code == 5
    assert "pose model" in _error_line(auto) and "segment dataset" in auto.stderr
    measured = ydc("models", "val", "pose-model", "--dataset", "segment", "--device", "cpu")
    assert measured.exit_code == 5
    assert "pose model" in _error_line(measured) and "segment dataset" in measured.stderr


def test_the_task_of_added_weights_is_read_from_the_checkpoint(trained, tmp_path):
    import torch

    ydc, _ = trained("filesystem", "segment")
    weights = Path(json.loads(ydc("--json", "models", "show", "segment-model").stdout)["path"])
    assert ydc("models", "add", "copy", weights).exit_code == 0
    shown = json.loads(ydc("--json", "models", "show", "copy").stdout)
    assert shown["task"] == "segment" and shown["training"] is None
    checkpoint = torch.load(weights, weights_only=False)
    for name, options in (("protocol4.pt", {"pickle_protocol": 4}),
                          ("legacy.pt", {"_use_new_zipfile_serialization": False})):
        torch.save(checkpoint, tmp_path / name, **options)
        with open(tmp_path / name, "rb") as file:
            assert checkpoint_task(file, name) == "segment"
    torch.save({"weights": torch.zeros(2)}, tmp_path / "plain.pt")
    with open(tmp_path / "plain.pt", "rb") as file:
        assert checkpoint_task(file, "plain.pt") is None


@pytest.mark.parametrize("task", TASKS)
def test_models_predict_draws_the_task(trained, task, tmp_path):
    ydc, _ = trained("filesystem", task)
    images = make_shapes(tmp_path / "in", train=1, seed=3, flat=True, task=task)
    done = ydc("--json", "models", "predict", f"{task}-model", images, "--output", tmp_path / "out", "--conf", "0")
    assert done.exit_code == 0, done.stderr
    [result] = json.loads(done.stdout)
    assert result["task"] == task and Path(result["output"]).is_file()
    assert result["boxes"] and all(len(b["points"]) == {"obb": 8, "pose": 9}.get(task, len(b["points"]))
                                   for b in result["boxes"] if b.get("points"))
