"""A cv2-made YOLO folder imports into every backend alike; ydc's YOLO export trains in ultralytics."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.backends import BACKENDS, cli_env, make_stores
from tests.compat.test_yolo_layout import _write_foreign_yolo_folder
from ydc_cli.cli.app import app


def _ydc(tmp_path: Path, backend: str, *args):
    env = {**cli_env(backend, tmp_path / f"data-{backend}")}
    result = CliRunner().invoke(app, [str(a) for a in args], env=env)
    assert result.exit_code == 0, result.stderr
    return result


async def _contents(stores, name):
    return [(s.split, s.filename, s.data, s.annotations) async for s in stores.dataset.iter_samples(name)]


def test_cv2_folder_imports_into_every_backend_with_equal_content(tmp_path):
    folder = _write_foreign_yolo_folder(tmp_path / "src")
    originals = {p.name: p.read_bytes() for p in folder.glob("images/*/*.jpg")}
    contents = {}
    for backend in BACKENDS:
        report = json.loads(_ydc(tmp_path, backend, "--json", "datasets", "import", folder).stdout)
        assert (report["images"], report["labeled"], report["backgrounds"]) == (5, 3, 2)
        stores = make_stores(backend, tmp_path / f"data-{backend}")
        try:
            contents[backend] = asyncio.run(_contents(stores, "shapes"))
        finally:
            stores.close()
        assert {name: data for _, name, data, _ in contents[backend]} == originals, backend
    assert all(found == contents[BACKENDS[0]] for found in contents.values())


@pytest.mark.slow
@pytest.mark.parametrize("backend", BACKENDS)
def test_yolo_export_is_read_by_ultralytics_with_the_same_boxes(tmp_path, backend):
    pytest.importorskip("ultralytics", reason="the train extra is part of `make test`")
    from ultralytics.data import YOLODataset
    from ultralytics.data.utils import check_det_dataset

    folder = _write_foreign_yolo_folder(tmp_path / "src")
    _ydc(tmp_path, backend, "datasets", "import", folder)
    exported = Path(_ydc(tmp_path, backend, "datasets", "export", "shapes", "--format", "yolo",
                         "--output", tmp_path / "out").stdout.strip())
    data = check_det_dataset(str(exported / "data.yaml"))
    assert data["names"] == {0: "circle", 1: "square"}
    boxes = 0
    for split in ("train", "val"):
        dataset = YOLODataset(img_path=data[split], data=data, task="detect", imgsz=64, augment=False)
        boxes += sum(len(label["cls"]) for label in dataset.labels)
    source_boxes = sum(len(p.read_text().splitlines()) for p in folder.glob("labels/*/*.txt"))
    assert boxes == source_boxes == 3
