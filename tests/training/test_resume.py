"""Training a user can come back to: a run killed after epoch 1 of 2 (SIGKILL at the epoch-end fault
point) is listed as interrupted, `train run --resume` finishes it and registers the model exactly as a
fresh run would, and `train runs --prune` removes only what nothing needs. Real subprocesses, every backend."""

from __future__ import annotations

import json
import signal

import pytest

from tests.backends import BACKENDS
from tests.training.conftest import Ydc, make_shapes

pytest.importorskip("ultralytics", reason="the train extra is part of `make test`")
pytestmark = pytest.mark.slow

TRAIN = ("train", "run", "shapes", "--epochs", "2", "--imgsz", "64", "--batch", "8")


def _runs(ydc: Ydc) -> dict[str, dict]:
    listed = ydc("--json", "train", "runs")
    assert listed.exit_code == 0, listed.stderr
    return {run["name"]: run for run in json.loads(listed.stdout)}


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_killed_run_resumes_and_registers_all_its_epochs(backend, tmp_path):
    import torch

    ydc = Ydc(backend, tmp_path / "data")
    assert ydc("datasets", "import", make_shapes(tmp_path / "shapes")).exit_code == 0
    killed = ydc.process(*TRAIN, "--name", "again", YDC_KILL_AT="epoch-end")
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    assert "epoch 1/2" in killed.stderr and "epoch 2/2" not in killed.stderr
    assert json.loads(ydc("--json", "models", "list").stdout) == []
    run = _runs(ydc)["again"]
    assert (run["dataset"], run["state"], run["resumable"], run["epochs_done"], run["epochs"], run["model"]) == (
        "shapes", "interrupted", True, 1, 2, None)

    fresh = ydc(*TRAIN, "--name", "again")
    assert fresh.exit_code == 4 and "--resume --name again" in fresh.stderr
    changed = ydc("train", "run", "shapes", "--resume", "--epochs", "5")
    assert (changed.exit_code, changed.stderr) == (
        2, "Error: --epochs cannot change when resuming: run again was started with 2 (again)\n")
    kept = ydc("train", "runs", "--prune", "--yes")
    assert kept.exit_code == 0 and kept.stderr == "Nothing to prune\n"

    resumed = ydc.process("train", "run", "shapes", "--resume")
    assert resumed.returncode == 0, resumed.stderr
    assert "epoch 2/2" in resumed.stderr and "epoch 1/2" not in resumed.stderr
    device = "0" if torch.cuda.is_available() else "cpu"
    shown = json.loads(ydc("--json", "models", "show", "again").stdout)
    assert resumed.stderr.splitlines()[-1] == (f"Registered model again: 2 epochs (resumed after 1 epoch), best "
                                               f"mAP50 {shown['best_map50']:.4f} on {device}")
    assert (shown["epochs_completed"], shown["dataset_name"], shown["base_model"]) == (2, "shapes", "yolo11n.yaml")
    training = shown["training"]
    assert [e["epoch"] for e in training["epochs"]] == [1, 2]
    assert all("train/box_loss" in e and "metrics/mAP50(B)" in e for e in training["epochs"])
    assert (training["config"]["epochs"], training["config"]["device"]) == (2, device)
    assert [r["epochs_done"] for r in training["run"]["resumes"]] == [1]
    assert shown["best_map50"] == max(e["metrics/mAP50(B)"] for e in training["epochs"])
    run = _runs(ydc)["again"]
    assert (run["state"], run["resumable"], run["epochs_done"], run["model"]) == ("registered", False, 2, "again")

    nothing = ydc("train", "run", "shapes", "--resume")
    assert (nothing.exit_code, nothing.stderr) == (
        3, "Error: no interrupted run of shapes to resume: see `ydc train runs` (shapes)\n")
    done = ydc("train", "run", "shapes", "--resume", "--name", "again")
    assert done.exit_code == 4 and "nothing to resume" in done.stderr

    foreign = ydc.work_dir / "runs" / "not-ours"
    foreign.mkdir()
    (foreign / "notes.txt").write_text("a folder ydc did not make\n")
    assert _runs(ydc)["not-ours"]["state"] == "unknown"
    refused = ydc("train", "runs", "--prune")
    assert refused.exit_code == 1 and "Refusing without a terminal: pass --yes" in refused.stderr
    assert (ydc.work_dir / "runs" / "again").is_dir()
    pruned = ydc("--json", "train", "runs", "--prune", "--yes")
    assert pruned.exit_code == 0, pruned.stderr
    assert json.loads(pruned.stdout)["removed"] == ["again"] and json.loads(pruned.stdout)["freed_bytes"] > 0
    assert not (ydc.work_dir / "runs" / "again").exists() and (foreign / "notes.txt").is_file()
    assert ydc("models", "show", "again").exit_code == 0  # the registry keeps its own copy
