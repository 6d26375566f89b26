"""Real ultralytics training on tiny generated data, on every backend, and auto-labelling with the result."""

from __future__ import annotations

import asyncio
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.backends import BACKENDS, cli_env
from tests.contract.conftest import make_stores
from tests.helpers import jpeg
from tests.training.conftest import make_shapes
from ydc_cli.cli.app import app
from ydc_cli.domain.errors import InvalidCheckpointError
from ydc_cli.services.autolabel import auto_label, world_prompts
from ydc_cli.services.training import prepare_dataset, resolve_model

pytest.importorskip("ultralytics", reason="the train extra is part of `make test`")
pytestmark = pytest.mark.slow


def _shapes(folder: Path) -> Path:
    return make_shapes(folder)


@pytest.fixture(scope="module")
def trained(tiny_models):
    """The session's tiny training of each backend, with its stores opened again."""
    outcomes = {backend: (make_stores(backend, made.live), made.outcome, made.epochs, made.live)
                for backend, made in tiny_models.items()}
    yield outcomes
    for stores, *_ in outcomes.values():
        stores.close()


@pytest.mark.parametrize("backend", BACKENDS)
def test_training_registers_the_model(trained, backend):
    stores, outcome, epochs, root = trained[backend]
    info = outcome.model
    assert (info.name, info.dataset_name, info.base_model, info.epochs_completed) == (
        "tiny", "shapes", "yolo11n.yaml", 2)
    assert info.is_active and info.path.is_file() and info.best_map50 is not None
    assert [e.epoch for e in epochs] == [1, 2] and all("box" in "".join(e.losses) for e in epochs)
    record = asyncio.run(stores.model.get_training_record("tiny"))
    assert record["config"]["epochs"] == 2 and len(record["epochs"]) == 2
    assert "metrics/mAP50(B)" in record["epochs"][0]
    assert outcome.materialized is (backend != "filesystem")  # only folders train in place


def test_filesystem_trains_in_place_and_sqlite_cache_is_reused(trained):
    fs_stores, fs_outcome, _, fs_root = trained["filesystem"]
    data = fs_outcome.data_yaml.read_text()
    assert str(fs_root / "datasets" / "shapes") in data
    stores, outcome, _, root = trained["sqlite"]
    first = outcome.data_yaml
    stamp = first.stat().st_mtime_ns
    again, materialized = asyncio.run(prepare_dataset(stores, "shapes", root / "cache"))
    assert again == first and materialized and first.stat().st_mtime_ns == stamp
    asyncio.run(stores.label.save("shapes", "train", "train_0_0000.jpg", []))
    changed, _ = asyncio.run(prepare_dataset(stores, "shapes", root / "cache"))
    assert changed != first and not first.exists()


@pytest.mark.parametrize("backend", BACKENDS)
def test_auto_label_with_the_trained_model(trained, backend):
    from ydc_cli.training.ultralytics_adapter import UltralyticsPredictor

    stores, *_ = trained[backend]

    async def go():
        await stores.image.save_bytes("shapes", "test", "new.jpg", jpeg(64, 64, seed=42))
        dry = await auto_label(stores, "shapes", UltralyticsPredictor, split="test", conf=0.0, dry_run=True)
        assert dry.images == 1 and not dry.written
        assert not await stores.label.exists("shapes", "test", "new.jpg")
        report = await auto_label(stores, "shapes", UltralyticsPredictor, split="test", conf=0.0)
        assert report.model == "tiny" and report.written and report.boxes > 0
        boxes = await stores.label.load("shapes", "test", "new.jpg")
        assert len(boxes) == report.boxes and all(0 <= b.class_id < 2 for b in boxes)
        kept = await auto_label(stores, "shapes", UltralyticsPredictor, conf=0.0)
        assert kept.images == 0 and kept.kept_existing == 17 and not kept.written

    asyncio.run(go())


def test_world_prompts_map_back_to_classes():
    assert world_prompts(["car", "dog"], {1: ["puppy", "hound"]}) == (["car", "puppy", "hound"], [0, 1, 1])


def test_model_resolution(trained, tmp_path):
    stores, outcome, *_ = trained["filesystem"]
    assert asyncio.run(resolve_model(stores, "yolo11n.yaml")) == ("yolo11n.yaml", "yolo11n.yaml")
    assert asyncio.run(resolve_model(stores, "tiny")) == (str(outcome.model.path), "tiny")
    local = tmp_path / "local.pt"
    shutil.copyfile(outcome.model.path, local)
    assert asyncio.run(resolve_model(stores, str(local))) == (str(local), "local.pt")
    local.write_bytes(b"not a checkpoint")
    with pytest.raises(InvalidCheckpointError, match="not a PyTorch checkpoint"):
        asyncio.run(resolve_model(stores, str(local)))
    with pytest.raises(FileNotFoundError, match="cannot download"):
        asyncio.run(resolve_model(stores, "yolo11n.pt"))


@pytest.mark.parametrize("backend", BACKENDS)
def test_train_command_errors(backend, tmp_path):
    runner = CliRunner()
    env = {**cli_env(backend, tmp_path / "data")}

    def ydc(*args):
        return runner.invoke(app, [str(a) for a in args], env=env)

    assert ydc("train", "run", "nope").exit_code == 3
    ydc("datasets", "import", _shapes(tmp_path / "shapes"))
    download = ydc("train", "run", "shapes", "--model", "yolov8n.pt")
    assert download.exit_code == 3 and "cannot download" in download.stderr
    assert ydc("models", "list").stdout.strip() == ""
    listed = json.loads(ydc("--json", "images", "list", "shapes", "--split", "val").stdout)
    ydc("images", "move", "shapes", *[i["filename"] for i in listed], "--from", "val", "--to", "train")
    empty = ydc("train", "run", "shapes", "--epochs", "1")
    assert empty.exit_code == 5
    assert empty.stderr == ("Error: the val split of shapes is empty: run "
                            "`ydc datasets split shapes --train 0.8 --val 0.2`\n")


def test_train_command_end_to_end(tmp_path):
    runner = CliRunner()
    env = {"YDC_BACKEND": "sqlite", "YDC_DATA_DIR": str(tmp_path / "data")}
    runner.invoke(app, ["datasets", "import", str(_shapes(tmp_path / "shapes"))], env=env)
    result = runner.invoke(app, ["--json", "train", "run", "shapes", "--epochs", "1", "--imgsz", "64", "--batch",
                                 "8", "--name", "cli", "--activate"], env=env)
    assert result.exit_code == 0, result.stderr
    info = json.loads(result.stdout)
    assert (info["name"], info["epochs_completed"], info["is_active"]) == ("cli", 1, True)
    shown = runner.invoke(app, ["--json", "models", "show", "cli"], env=env)
    assert json.loads(shown.stdout)["dataset_name"] == "shapes"


def test_demo_runs(tmp_path):
    import os

    root = Path(__file__).resolve().parents[2]
    bin_dir = os.path.dirname(sys.executable)
    demo = tmp_path / "demo-out"
    env = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}", "PYTHON": sys.executable,
           "DEMO_DIR": str(demo)}
    done = subprocess.run(["bash", str(root / "examples" / "demo.sh"), "sqlite", "2"], capture_output=True,
                          text=True, env=env, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "demo finished on the sqlite backend" in done.stderr
    assert "Registered model shapes-demo" in done.stderr
    assert f"ydc --backend sqlite --data-dir {demo / 'data'} datasets list" in done.stderr
    listed = subprocess.run([sys.executable, "-m", "ydc_cli", "--backend", "sqlite", "--data-dir", demo / "data",
                             "--json", "models", "list"], capture_output=True, text=True, env=env)
    assert [m["name"] for m in json.loads(listed.stdout)] == ["shapes-demo"]


@pytest.mark.parametrize("signum, code, backend", [(2, 130, "filesystem"), (15, 143, "sqlite")])
def test_interrupted_training_leaves_the_registry_as_it_was(tmp_path, signum, code, backend):
    import os
    import signal

    env = {**os.environ, **cli_env(backend, tmp_path / "data")}
    ydc = [sys.executable, "-m", "ydc_cli"]
    subprocess.run([*ydc, "datasets", "import", _shapes(tmp_path / "shapes")], env=env, check=True,
                   capture_output=True)
    process = subprocess.Popen([*ydc, "train", "run", "shapes", "--epochs", "50", "--imgsz", "64", "--batch", "8",
                                "--name", "stopped"], env=env, stderr=subprocess.PIPE, text=True)
    for line in process.stderr:
        if line.startswith("epoch 1/50"):
            break
    process.send_signal(signal.Signals(signum))
    rest = process.stderr.read()
    assert process.wait(timeout=120) == code
    assert rest.strip().splitlines()[-1] == (f"Error: {'interrupted' if code == 130 else 'terminated'}, "
                                             f"nothing changed; a run that finished an epoch continues with "
                                             f"`ydc train run shapes --resume`")
    listed = subprocess.run([*ydc, "--json", "models", "list"], env=env, capture_output=True, text=True)
    assert json.loads(listed.stdout) == []
    runs = subprocess.run([*ydc, "--json", "train", "runs"], env=env, capture_output=True, text=True)
    assert [(r["name"], r["state"], r["resumable"]) for r in json.loads(runs.stdout)] == [
        ("stopped", "interrupted", True)]


def test_train_errors_without_ultralytics_and_with_bad_labels(tmp_path):
    import os

    blocker = tmp_path / "blocker" / "ultralytics"
    blocker.mkdir(parents=True)
    (blocker / "__init__.py").write_text("raise ImportError('blocked for this test')\n")
    env = {**os.environ, "YDC_DATA_DIR": str(tmp_path / "data"),
           "PYTHONPATH": f"{tmp_path / 'blocker'}{os.pathsep}{os.environ.get('PYTHONPATH', '')}"}
    ydc = [sys.executable, "-m", "ydc_cli"]
    subprocess.run([*ydc, "datasets", "import", _shapes(tmp_path / "shapes")], env=env, check=True,
                   capture_output=True)
    missing = subprocess.run([*ydc, "train", "run", "shapes", "--epochs", "1"], env=env, capture_output=True,
                             text=True)
    assert missing.returncode == 1
    assert missing.stderr == ("Error: ultralytics is not installed: install the train extra "
                              "(pip install 'ydc[train]')\n")
    label = next((tmp_path / "data" / "datasets" / "shapes" / "labels" / "train").glob("*.txt"))
    label.write_text("7 0.5 0.5 0.1 0.1\n")
    bad = subprocess.run([*ydc, "train", "run", "shapes", "--epochs", "1"], env=env, capture_output=True, text=True)
    assert bad.returncode == 5
    assert bad.stderr == f"Error: class id 7 is out of range for 2 classes (0..1) (train/{label.name}:1)\n"
