"""DatasetStore.apply_changes and label streaming, run on every backend."""

from __future__ import annotations

import dataclasses

import pytest

from tests.helpers import box, jpeg, png, sample
from ydc_cli.domain.errors import ConflictError, InvalidLabelError
from ydc_cli.persistence import Annotation, DatasetChanges, LabelData


@pytest.fixture
async def ds(stores):
    await stores.dataset.create("d", ["a", "b", "c"])
    await stores.dataset.save_prompts("d", {0: ["an a"], 2: ["a c"]})
    await stores.dataset.add_samples("d", [
        sample("one.jpg", "train", 1, [box(0), box(2)]),
        sample("two.jpg", "train", 2, [box(1)]),
        sample("three.png", "val", 3, []),
        sample("four.jpg", "test", 4, None),
    ])
    return "d"


async def _state(stores, name="d"):
    return [(s.split, s.filename, s.annotations) async for s in stores.dataset.iter_samples(name)]


async def test_moves_carry_labels(stores, ds):
    await stores.dataset.apply_changes(ds, DatasetChanges(moves=[("one.jpg", "train", "val"),
                                                                 ("four.jpg", "test", "train")]))
    assert await _state(stores) == [
        ("train", "four.jpg", None), ("train", "two.jpg", [box(1)]),
        ("val", "one.jpg", [box(0), box(2)]), ("val", "three.png", [])]


async def test_swap_between_splits(stores, ds):
    await stores.image.save_bytes(ds, "val", "one.jpg", jpeg(seed=9))
    await stores.label.save(ds, "val", "one.jpg", [box(1, 0.1, 0.1, 0.1, 0.1)])
    await stores.dataset.apply_changes(ds, DatasetChanges(moves=[("one.jpg", "train", "val"),
                                                                 ("one.jpg", "val", "train")]))
    assert await stores.image.load_bytes(ds, "train", "one.jpg") == jpeg(seed=9)
    assert await stores.image.load_bytes(ds, "val", "one.jpg") == jpeg(seed=1)
    assert await stores.label.load(ds, "val", "one.jpg") == [box(0), box(2)]
    assert await stores.label.load(ds, "train", "one.jpg") == [box(1, 0.1, 0.1, 0.1, 0.1)]


async def test_removals_take_their_labels(stores, ds):
    await stores.dataset.apply_changes(ds, DatasetChanges(removals=[("train", "one.jpg"), ("val", "three.png")]))
    assert await _state(stores) == [("train", "two.jpg", [box(1)]), ("test", "four.jpg", None)]
    assert await stores.label.exists(ds, "train", "one.jpg") is False


async def test_removal_keeps_a_label_shared_by_the_same_stem(stores, ds):
    await stores.image.save_bytes(ds, "train", "one.png", png(seed=5))
    await stores.dataset.apply_changes(ds, DatasetChanges(removals=[("train", "one.jpg")]))
    assert await stores.label.load(ds, "train", "one.png") == [box(0), box(2)]


async def test_class_remap_rewrites_labels_classes_and_prompts_together(stores, ds):
    await stores.dataset.apply_changes(ds, DatasetChanges(
        labels={("train", "one.jpg"): [box(0), box(1)], ("train", "two.jpg"): None},
        classes=["a", "c"], prompts={0: ["an a"], 1: ["a c"]},
    ))
    info = await stores.dataset.get(ds)
    assert info.classes == ["a", "c"]
    assert await stores.dataset.get_prompts(ds) == {0: ["an a"], 1: ["a c"]}
    assert await stores.label.load(ds, "train", "one.jpg") == [box(0), box(1)]
    assert await stores.label.exists(ds, "train", "two.jpg") is False


async def test_move_then_label_in_the_new_split(stores, ds):
    await stores.dataset.apply_changes(ds, DatasetChanges(
        moves=[("two.jpg", "train", "test")], labels={("test", "two.jpg"): [box(2)]}))
    assert await stores.label.load(ds, "test", "two.jpg") == [box(2)]
    assert await stores.label.exists(ds, "train", "two.jpg") is False


async def test_move_then_delete_label(stores, ds):
    await stores.dataset.apply_changes(ds, DatasetChanges(
        moves=[("two.jpg", "train", "test")], labels={("test", "two.jpg"): None}))
    assert await _state(stores, ds) == [
        ("train", "one.jpg", [box(0), box(2)]), ("val", "three.png", []),
        ("test", "four.jpg", None), ("test", "two.jpg", None)]


@pytest.mark.parametrize("changes, error", [
    (DatasetChanges(removals=[("train", "nope.jpg")]), FileNotFoundError),
    (DatasetChanges(moves=[("nope.jpg", "train", "val")]), FileNotFoundError),
    (DatasetChanges(labels={("train", "one.jpg"): [box(5)]}), InvalidLabelError),
    (DatasetChanges(labels={("train", "one.jpg"): [box(2)]}, classes=["a", "b"]), InvalidLabelError),
])
async def test_a_refused_change_changes_nothing(stores, ds, snapshot, changes, error):
    changes = dataclasses.replace(changes, moves=[("two.jpg", "train", "val"), *changes.moves])
    before = snapshot()
    with pytest.raises(error):
        await stores.dataset.apply_changes(ds, changes)
    assert snapshot() == before


async def test_move_onto_existing_image_is_a_conflict(stores, ds, snapshot):
    await stores.image.save_bytes(ds, "val", "two.jpg", jpeg(seed=7))
    before = snapshot()
    with pytest.raises(ConflictError):
        await stores.dataset.apply_changes(ds, DatasetChanges(moves=[("one.jpg", "train", "test"),
                                                                     ("two.jpg", "train", "val")]))
    assert snapshot() == before


async def test_iter_label_texts_includes_labels_without_images(stores, ds):
    await stores.label.save(ds, "val", "ghost.jpg", [Annotation(1, 0.5, 0.5, 0.25, 0.25)])
    texts = [item async for item in stores.dataset.iter_label_texts(ds)]
    assert texts == [
        ("train", "one.txt", "0 0.500000 0.500000 0.250000 0.500000\n2 0.500000 0.500000 0.250000 0.500000\n"),
        ("train", "two.txt", "1 0.500000 0.500000 0.250000 0.500000\n"),
        ("val", "ghost.txt", "1 0.500000 0.500000 0.250000 0.250000\n"),
        ("val", "three.txt", ""),
    ]
    labels = [label async for label in stores.dataset.iter_labels(ds, "train")]
    assert labels == [LabelData("one.txt", "train", [box(0), box(2)]), LabelData("two.txt", "train", [box(1)])]
