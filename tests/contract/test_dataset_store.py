"""DatasetStore contract, run on every backend."""

from __future__ import annotations

import pytest

from tests.helpers import box, sample
from ydc_cli.domain.errors import ConflictError, InvalidLabelError, InvalidNameError
from ydc_cli.persistence import DatasetInfo


async def test_create_returns_zero_counts(stores):
    info = await stores.dataset.create("cars", ["car", "truck"])
    assert isinstance(info, DatasetInfo)
    assert info.name == "cars"
    assert info.classes == ["car", "truck"]
    assert info.num_images == {"train": 0, "val": 0, "test": 0}
    assert info.created_at > 0 and info.modified_at > 0


async def test_create_existing_name_raises_value_error(stores):
    await stores.dataset.create("cars", ["car"])
    with pytest.raises(ValueError, match="already exists"):
        await stores.dataset.create("cars", ["other"])
    assert (await stores.dataset.get("cars")).classes == ["car"]


@pytest.mark.parametrize("name", ["", ".", "..", "a/b", "a\\b", "tab\there", "x" * 256, ".hidden", " padded"])
async def test_create_refuses_unsafe_names(stores, name):
    with pytest.raises(InvalidNameError):
        await stores.dataset.create(name, ["a"])
    assert await stores.dataset.list() == []


async def test_create_refuses_duplicate_classes(stores):
    with pytest.raises(ValueError, match="twice"):
        await stores.dataset.create("d", ["a", "a"])


async def test_list_is_sorted_by_name(stores):
    for name in ["zebra", "apple", "Mango", "été"]:
        await stores.dataset.create(name, ["x"])
    names = [d.name for d in await stores.dataset.list()]
    assert names == sorted(names)
    assert set(names) == {"zebra", "apple", "Mango", "été"}


async def test_list_empty_store(stores):
    assert await stores.dataset.list() == []


async def test_get_missing_is_none(stores):
    assert await stores.dataset.get("nope") is None


async def test_get_counts_images_per_split(stores):
    await stores.dataset.create("d", ["a"])
    await stores.dataset.add_samples("d", [
        sample("a.jpg", "train", 1), sample("b.jpg", "train", 2), sample("c.jpg", "val", 3),
    ])
    info = await stores.dataset.get("d")
    assert info.num_images == {"train": 2, "val": 1, "test": 0}
    assert await stores.image.count("d") == {"train": 2, "val": 1, "test": 0}


async def test_delete(stores):
    await stores.dataset.create("d", ["a"])
    await stores.dataset.add_samples("d", [sample("a.jpg", annotations=[box()])])
    assert await stores.dataset.delete("d") is True
    assert await stores.dataset.get("d") is None
    assert await stores.dataset.delete("d") is False
    await stores.dataset.create("d", ["b"])
    assert await stores.image.list("d") == []
    assert await stores.label.exists("d", "train", "a.jpg") is False


async def test_update_classes(stores):
    await stores.dataset.create("d", ["a", "b"])
    await stores.dataset.update_classes("d", ["a", "b", "c"])
    assert (await stores.dataset.get("d")).classes == ["a", "b", "c"]


async def test_update_classes_missing_raises_file_not_found(stores):
    with pytest.raises(FileNotFoundError):
        await stores.dataset.update_classes("nope", ["a"])


async def test_prompts_default_empty(stores):
    await stores.dataset.create("d", ["a"])
    assert await stores.dataset.get_prompts("d") == {}
    assert await stores.dataset.get_prompts("missing") == {}


async def test_prompts_round_trip(stores):
    await stores.dataset.create("d", ["cat", "dog"])
    prompts = {0: ["a cat", "kitten"], 1: ["a dog"]}
    await stores.dataset.save_prompts("d", prompts)
    assert await stores.dataset.get_prompts("d") == prompts
    await stores.dataset.save_prompts("d", {1: ["puppy"]})
    assert await stores.dataset.get_prompts("d") == {1: ["puppy"]}
    await stores.dataset.save_prompts("d", {})
    assert await stores.dataset.get_prompts("d") == {}


async def test_save_prompts_missing_raises_file_not_found(stores):
    with pytest.raises(FileNotFoundError):
        await stores.dataset.save_prompts("nope", {0: ["x"]})


async def test_prompts_of_a_removed_class_are_dropped(stores):
    await stores.dataset.create("d", ["cat", "dog", "bird"])
    await stores.dataset.save_prompts("d", {0: ["a cat"], 2: ["a bird"]})
    await stores.dataset.update_classes("d", ["cat", "dog"])
    assert await stores.dataset.get_prompts("d") == {0: ["a cat"]}


async def test_create_with_samples_is_all_or_nothing(stores, snapshot):
    before = snapshot()
    bad = [sample("a.jpg", annotations=[box()]), sample("b.jpg", annotations=[box(class_id=5)])]
    with pytest.raises(InvalidLabelError, match="out of range"):
        await stores.dataset.create_with_samples("d", ["only"], bad)
    assert await stores.dataset.get("d") is None
    assert snapshot() == before


async def test_add_samples_batch_with_labels(stores):
    await stores.dataset.create("d", ["a", "b"])
    infos = await stores.dataset.add_samples("d", [
        sample("one.jpg", "train", 1, [box(0), box(1, 0.2, 0.3, 0.1, 0.1)]),
        sample("two.png", "val", 2, []),
        sample("three.jpg", "test", 3, None),
    ])
    assert [(i.filename, i.split, i.has_labels) for i in infos] == [
        ("one.jpg", "train", True), ("two.png", "val", True), ("three.jpg", "test", False)]
    assert all(i.width == 64 and i.height == 48 and i.size_bytes > 0 for i in infos)
    assert await stores.label.load("d", "train", "one.jpg") == [box(0), box(1, 0.2, 0.3, 0.1, 0.1)]
    assert await stores.label.exists("d", "val", "two.png") is True
    assert await stores.label.load("d", "val", "two.png") == []
    assert await stores.label.exists("d", "test", "three.jpg") is False


async def test_add_samples_conflict_leaves_store_unchanged(stores, snapshot):
    await stores.dataset.create("d", ["a"])
    await stores.dataset.add_samples("d", [sample("a.jpg", seed=1)])
    before = snapshot()
    with pytest.raises(ConflictError, match="already exists"):
        await stores.dataset.add_samples("d", [sample("new.jpg", seed=2), sample("a.jpg", seed=3)])
    assert snapshot() == before
    assert [i.filename for i in await stores.image.list("d")] == ["a.jpg"]


async def test_add_samples_duplicate_in_batch_is_a_conflict(stores):
    await stores.dataset.create("d", ["a"])
    with pytest.raises(ConflictError):
        await stores.dataset.add_samples("d", [sample("a.jpg", seed=1), sample("a.jpg", seed=2)])
    assert await stores.image.list("d") == []


async def test_add_samples_same_name_in_two_splits_is_allowed(stores):
    await stores.dataset.create("d", ["a"])
    await stores.dataset.add_samples("d", [sample("a.jpg", "train", 1), sample("a.jpg", "val", 2)])
    assert (await stores.dataset.get("d")).num_images == {"train": 1, "val": 1, "test": 0}


async def test_add_samples_missing_dataset(stores):
    with pytest.raises(FileNotFoundError):
        await stores.dataset.add_samples("nope", [sample("a.jpg")])


async def test_iter_samples_streams_in_order_with_labels(stores):
    await stores.dataset.create("d", ["a"])
    given = [
        sample("b.jpg", "val", 1, [box()]),
        sample("a.jpg", "val", 2, None),
        sample("z.png", "train", 3, []),
        sample("c.jpg", "test", 4, [box(0, 0.1, 0.1, 0.1, 0.1)]),
    ]
    await stores.dataset.add_samples("d", given)
    got = [s async for s in stores.dataset.iter_samples("d")]
    assert [(s.split, s.filename) for s in got] == [
        ("train", "z.png"), ("val", "a.jpg"), ("val", "b.jpg"), ("test", "c.jpg")]
    by_name = {s.filename: s for s in given}
    for s in got:
        assert s.data == by_name[s.filename].data
        assert s.annotations == by_name[s.filename].annotations
    only_val = [s.filename async for s in stores.dataset.iter_samples("d", "val")]
    assert only_val == ["a.jpg", "b.jpg"]


async def test_iter_samples_pages_through_many_images(stores):
    await stores.dataset.create("d", ["a"])
    await stores.dataset.add_samples("d", [sample(f"{i:04d}.jpg", seed=i, annotations=[box()]) for i in range(600)])
    names = [s.filename async for s in stores.dataset.iter_samples("d")]
    assert names == [f"{i:04d}.jpg" for i in range(600)]


async def test_iter_samples_missing_dataset(stores):
    with pytest.raises(FileNotFoundError):
        [s async for s in stores.dataset.iter_samples("nope")]
