"""Fixtures of the training tests: tiny generated data, and one tiny model trained per backend per session.

Training is the expensive part (seconds per epoch on a CPU), so each backend
trains once: 2 epochs at 64 px on 16 generated images. Tests that change a
store get a fresh data directory (``tiny``) built through the CLI: the same
generated dataset imported, and the trained weights registered and activated.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.backends import BACKENDS, cli_env, make_stores, work_dir
from ydc_cli.cli.app import app

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def make_shapes(folder: Path, train: int = 12, val: int = 4, seed: int = 0, flat: bool = False,
                task: str = "detect") -> Path:
    """examples/make_shapes.py at 64 px for ``task``; with ``flat``, ``train`` images without labels in one folder."""
    args = [sys.executable, EXAMPLES / "make_shapes.py", folder, "--train", str(train), "--val", str(val),
            "--size", "64", "--seed", str(seed), "--task", task]
    subprocess.run(args + (["--flat"] if flat else []), check=True, capture_output=True)
    if flat:
        for label in folder.glob("*.txt"):
            label.unlink()
    return folder


class Ydc:
    """The real CLI on one data directory and backend: in-process (CliRunner), or as a subprocess."""

    def __init__(self, backend: str, data_dir: Path) -> None:
        self.backend = backend
        self.data_dir = data_dir
        self.work_dir = work_dir(backend, data_dir)  # training runs and caches
        self.env = {**cli_env(backend, data_dir), "YDC_DEBUG": ""}

    def __call__(self, *args: object, input: str | None = None):
        return CliRunner().invoke(app, [str(a) for a in args], env=self.env, input=input)

    def process(self, *args: object, **env: str) -> subprocess.CompletedProcess:
        environment = {**os.environ, **self.env, **env}
        return subprocess.run([sys.executable, "-m", "ydc_cli", *map(str, args)], env=environment,
                              capture_output=True, text=True, timeout=300)


@dataclass
class TinyModel:
    """A model named ``tiny`` trained and activated on dataset ``shapes`` (from ``source``) in ``live``."""

    live: Path
    source: Path
    outcome: object
    epochs: list


@pytest.fixture(scope="session")
def tiny_models(tmp_path_factory) -> dict[str, TinyModel]:
    from ydc_cli.services.importing import import_path
    from ydc_cli.services.training import train_dataset
    from ydc_cli.training.ultralytics_adapter import UltralyticsTrainer

    root = tmp_path_factory.mktemp("tiny-models")
    source = make_shapes(root / "shapes")
    made = {}
    for backend in BACKENDS:
        live = root / backend
        stores = make_stores(backend, live)

        async def go(stores=stores, live=live, backend=backend):
            await import_path(stores, source, "shapes")
            epochs = []
            outcome = await train_dataset(stores, UltralyticsTrainer(), "shapes", "yolo11n.yaml", "tiny", epochs=2,
                                          imgsz=64, batch=8, activate=True, work_dir=live, on_epoch=epochs.append,
                                          backend=backend)
            return outcome, epochs

        try:
            outcome, epochs = asyncio.run(go())
        finally:
            stores.close()
        made[backend] = TinyModel(live, source, outcome, epochs)
    return made


@pytest.fixture(params=BACKENDS)
def backend(request) -> str:
    return request.param


@pytest.fixture
def tiny(tiny_models, backend, tmp_path) -> Ydc:
    """The CLI on a fresh data dir holding dataset shapes and the trained weights as the active model tiny."""
    made = tiny_models[backend]
    ydc = Ydc(backend, tmp_path / "data")
    for args in (("datasets", "import", made.source), ("models", "add", "tiny", made.outcome.model.path,
                                                        "--dataset", "shapes"), ("models", "activate", "tiny")):
        result = ydc(*args)
        assert result.exit_code == 0, result.stderr
    return ydc
