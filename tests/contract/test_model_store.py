"""ModelStore contract, run on every backend."""

from __future__ import annotations

import hashlib
import json
import zipfile
from pathlib import Path

import pytest

from tests.helpers import checkpoint
from ydc_cli.domain.errors import ConflictError
from ydc_cli.persistence import ModelInfo


@pytest.fixture
def weights(tmp_path):
    path = checkpoint(tmp_path / "trained.pt", b"not unpickled, only copied")
    return path


async def test_save_copies_weights_and_reads_metrics(stores, weights):
    info = await stores.model.save("m", weights, base_model="yolo11n.yaml", dataset_name="cars",
                                   epochs_completed=12, metrics={"best_map50": 0.75})
    assert isinstance(info, ModelInfo)
    assert (info.name, info.base_model, info.dataset_name, info.epochs_completed) == ("m", "yolo11n.yaml", "cars", 12)
    assert info.best_map50 == pytest.approx(0.75)
    assert info.is_active is False and info.created_at > 0
    assert info.path != weights and info.path.read_bytes() == weights.read_bytes()
    assert info.sha256 == hashlib.sha256(weights.read_bytes()).hexdigest()
    weights.unlink()
    assert (await stores.model.load("m")).read_bytes().startswith(b"PK")


async def test_save_without_metrics_has_no_map(stores, weights):
    assert (await stores.model.save("m", weights)).best_map50 is None


async def test_save_existing_name_raises_value_error(stores, weights):
    await stores.model.save("m", weights)
    with pytest.raises(ValueError, match="already exists"):
        await stores.model.save("m", weights)


async def test_save_missing_weights_raises_file_not_found(stores, tmp_path):
    with pytest.raises(FileNotFoundError):
        await stores.model.save("m", tmp_path / "missing.pt")
    assert await stores.model.list() == []


async def test_load_missing_raises_file_not_found(stores):
    with pytest.raises(FileNotFoundError):
        await stores.model.load("nope")


async def test_list_sorted_and_get(stores, weights):
    for name in ["b", "a", "c"]:
        await stores.model.save(name, weights)
    assert [m.name for m in await stores.model.list()] == ["a", "b", "c"]
    assert (await stores.model.get("b")).name == "b"
    assert await stores.model.get("zzz") is None


async def test_delete(stores, weights):
    info = await stores.model.save("m", weights)
    assert await stores.model.delete("m") is True
    assert not info.path.exists()
    assert await stores.model.get("m") is None
    assert await stores.model.delete("m") is False


async def test_at_most_one_active(stores, weights):
    assert await stores.model.get_active() is None
    await stores.model.save("a", weights)
    await stores.model.save("b", weights)
    await stores.model.set_active("a")
    assert (await stores.model.get_active()).name == "a"
    await stores.model.set_active("b")
    assert (await stores.model.get_active()).name == "b"
    assert [m.name for m in await stores.model.list() if m.is_active] == ["b"]


async def test_set_active_missing_raises_file_not_found(stores):
    with pytest.raises(FileNotFoundError):
        await stores.model.set_active("nope")


async def test_export_and_import_zip(stores, weights, tmp_path):
    await stores.model.save("m", weights, base_model="yolo11n.yaml", dataset_name="cars",
                            epochs_completed=3, metrics={"best_map50": 0.5})
    archive = await stores.model.export_zip("m", tmp_path / "out")
    assert archive == tmp_path / "out" / "m.zip"
    with zipfile.ZipFile(archive) as zf:
        assert sorted(zf.namelist()) == ["best.pt", "model_meta.json"]
        meta = json.loads(zf.read("model_meta.json"))
        assert meta["base_model"] == "yolo11n.yaml" and meta["best_map50"] == 0.5
    imported = await stores.model.import_zip(archive, name="copy")
    assert (imported.name, imported.dataset_name, imported.epochs_completed) == ("copy", "cars", 3)
    assert imported.best_map50 == pytest.approx(0.5)
    assert imported.path.read_bytes() == weights.read_bytes()
    assert await stores.model.get_training_record("copy") is None  # none was stored: none comes back


async def test_model_zip_keeps_the_training_record(stores, weights, tmp_path):
    record = {"epochs": [{"epoch": 1, "metrics/mAP50(B)": 0.25}, {"epoch": 2, "metrics/mAP50(B)": 0.5}],
              "config": {"imgsz": 160, "batch": 4}, "evaluations": [{"split": "val", "map50": 0.4}]}
    await stores.model.save("m", weights, dataset_name="cars", epochs_completed=2, metrics={"best_map50": 0.5})
    await stores.model.save_training_record("m", record)
    archive = await stores.model.export_zip("m", tmp_path / "out")
    with zipfile.ZipFile(archive) as zf:
        assert json.loads(zf.read("model_meta.json"))["training"] == record
    await stores.model.import_zip(archive, name="copy")
    assert await stores.model.get_training_record("copy") == record
    assert await stores.model.get_training_record("m") == record


async def test_import_zip_default_name_is_stem(stores, weights, tmp_path):
    await stores.model.save("m", weights)
    archive = await stores.model.export_zip("m", tmp_path)
    renamed = archive.rename(tmp_path / "other.zip")
    assert (await stores.model.import_zip(renamed)).name == "other"


async def test_import_zip_existing_name_raises_value_error(stores, weights, tmp_path):
    await stores.model.save("m", weights)
    archive = await stores.model.export_zip("m", tmp_path)
    with pytest.raises(ConflictError):
        await stores.model.import_zip(archive)


async def test_import_zip_missing_or_without_weights(stores, tmp_path):
    with pytest.raises(FileNotFoundError):
        await stores.model.import_zip(tmp_path / "missing.zip")
    empty = tmp_path / "empty.zip"
    with zipfile.ZipFile(empty, "w") as zf:
        zf.writestr("model_meta.json", "{}")
    with pytest.raises(FileNotFoundError, match="no weights"):
        await stores.model.import_zip(empty)


async def test_export_missing_raises_file_not_found(stores, tmp_path):
    with pytest.raises(FileNotFoundError):
        await stores.model.export_zip("nope", tmp_path)


def _append_to_record(backend: str, root: str, value: int) -> None:
    import asyncio

    from tests.contract.conftest import make_stores

    stores = make_stores(backend, Path(root))
    try:
        asyncio.run(stores.model.update_training_record("m", lambda r: {**r, "seen": [*r.get("seen", []), value]}))
    finally:
        stores.close()


async def test_concurrent_record_updates_lose_nothing(stores, backend, store_root, weights):
    import multiprocessing

    await stores.model.save("m", weights)
    await stores.model.save_training_record("m", {"config": {"epochs": 1}})
    with multiprocessing.get_context("fork").Pool(4) as pool:
        pool.starmap(_append_to_record, [(backend, str(store_root), i) for i in range(8)])
    record = await stores.model.get_training_record("m")
    assert record["config"] == {"epochs": 1} and sorted(record["seen"]) == list(range(8))
