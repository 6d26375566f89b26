"""Renaming a dataset (DatasetStore.rename, and the ABC's copying default) and re-pointing its models."""

from __future__ import annotations

import pytest

from tests.helpers import box, checkpoint, sample
from ydc_cli.domain.errors import ConflictError, InvalidNameError, NotFoundError
from ydc_cli.persistence import DatasetStore


async def _seed(stores) -> None:
    await stores.dataset.create_with_samples("pets", ["cat", "dog"], [
        sample("a.jpg", "train", 1, [box(1)]),
        sample("b.png", "val", 2, []),
        sample("c.jpg", "test", 3, None),
    ], prompts={0: ["kitten"]})


async def _contents(stores, name: str):
    samples = [(s.split, s.filename, s.data, s.annotations) async for s in stores.dataset.iter_samples(name)]
    info = await stores.dataset.get(name)
    return info.classes, info.num_images, await stores.dataset.get_prompts(name), samples


@pytest.mark.parametrize("how", ["backend", "abc default"])
async def test_rename_keeps_everything(stores, how):
    await _seed(stores)
    before = await _contents(stores, "pets")
    rename = stores.dataset.rename if how == "backend" else (
        lambda old, new: DatasetStore.rename(stores.dataset, old, new))
    info = await rename("pets", "animals")
    assert info.name == "animals"
    assert await stores.dataset.get("pets") is None
    assert [d.name for d in await stores.dataset.list()] == ["animals"]
    assert await _contents(stores, "animals") == before
    assert await stores.label.load("animals", "train", "a.jpg") == [box(1)]


async def test_rename_refuses_and_changes_nothing(stores, snapshot):
    await _seed(stores)
    await stores.dataset.create("other", ["x"])
    before = snapshot()
    with pytest.raises(ConflictError):
        await stores.dataset.rename("pets", "other")
    with pytest.raises(ConflictError):
        await stores.dataset.rename("pets", "pets")
    with pytest.raises(NotFoundError):
        await stores.dataset.rename("nope", "new")
    with pytest.raises(InvalidNameError):
        await stores.dataset.rename("pets", "../escape")
    assert snapshot() == before


async def test_models_follow_a_renamed_dataset(stores, tmp_path):
    weights = checkpoint(tmp_path / "w.pt")
    assert await stores.model.rename_dataset("pets", "animals") == []  # a store that never held a model
    for name, dataset in (("m1", "pets"), ("m2", "other"), ("m0", "pets")):
        await stores.model.save(name, weights, dataset_name=dataset)
    assert await stores.model.rename_dataset("pets", "animals") == ["m0", "m1"]
    assert {m.name: m.dataset_name for m in await stores.model.list()} == {
        "m0": "animals", "m1": "animals", "m2": "other"}
    assert await stores.model.rename_dataset("pets", "x") == []


async def test_a_fresh_store_answers_for_missing_models(stores):
    assert await stores.model.delete("nope") is False
    with pytest.raises(NotFoundError, match="no such model"):
        await stores.model.set_active("nope")
    assert await stores.model.get_active() is None
