"""Merging: classes by name, deterministic renames, prompts, all or nothing."""

from __future__ import annotations

import pytest

from tests.backends import BACKENDS
from tests.contract.conftest import make_stores
from tests.helpers import box, sample
from ydc_cli.domain.errors import ConflictError
from ydc_cli.services.merging import merge_datasets


@pytest.fixture(params=BACKENDS)
async def stores(request, tmp_path):
    bundle = make_stores(request.param, tmp_path)
    await bundle.dataset.create("a", ["cat", "dog"])
    await bundle.dataset.create("b", ["dog", "bird"])
    await bundle.dataset.save_prompts("a", {1: ["puppy"]})
    await bundle.dataset.save_prompts("b", {0: ["puppy", "hound"]})
    await bundle.dataset.add_samples("a", [sample("x.jpg", "train", 1, [box(0), box(1)]),
                                           sample("y.jpg", "val", 2, None)])
    await bundle.dataset.add_samples("b", [sample("x.png", "train", 3, [box(0), box(1)]),
                                           sample("z.jpg", "val", 4, [])])
    yield bundle
    bundle.close()


async def test_merge_reconciles_classes_by_name_and_renames(stores):
    report = await merge_datasets(stores, ["a", "b"], "ab")
    assert report.dataset.classes == ["cat", "dog", "bird"]
    assert report.mappings == {"a": {"cat": 0, "dog": 1}, "b": {"dog": 1, "bird": 2}}
    assert report.renamed == [("b", "train", "x.png", "x__b.png")]
    assert report.dataset.num_images == {"train": 2, "val": 2, "test": 0}
    assert await stores.label.load("ab", "train", "x.jpg") == [box(0), box(1)]
    assert await stores.label.load("ab", "train", "x__b.png") == [box(1), box(2)]
    assert await stores.label.exists("ab", "val", "y.jpg") is False
    assert await stores.label.exists("ab", "val", "z.jpg") is True
    assert await stores.dataset.get_prompts("ab") == {1: ["puppy", "hound"]}
    again = await merge_datasets(stores, ["a", "b"], "ab2")
    assert again.renamed == report.renamed


async def test_merge_refuses_existing_target_and_changes_nothing(stores):
    with pytest.raises(ConflictError):
        await merge_datasets(stores, ["a", "b"], "a")
    with pytest.raises(FileNotFoundError):
        await merge_datasets(stores, ["a", "nope"], "c")
    assert await stores.dataset.get("c") is None
