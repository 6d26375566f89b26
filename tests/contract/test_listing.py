"""Listing rows with label states, and boxes per class and split: every backend, through ``stores``."""

from __future__ import annotations

from collections import Counter

import pytest

from tests.helpers import box, sample
from ydc_cli.persistence import DatasetStore, ImageStore
from ydc_cli.persistence.models import ImageRow

# split, file name, boxes (class ids) or None for no label file; [] is an empty label.
IMAGES = [
    ("train", "a.jpg", [0, 0, 1]),
    ("train", "b.jpg", []),
    ("train", "c.jpg", None),
    ("train", "d.png", [2]),
    ("val", "e.jpg", [1, 1]),
    ("val", "f.jpg", []),
    ("test", "g.jpg", [0, 2, 2, 2]),
]


def expected_state(boxes: list[int] | None) -> str:
    return "none" if boxes is None else "boxes" if boxes else "background"


@pytest.fixture
async def ds(stores):
    await stores.dataset.create("d", ["cat", "dog", "bird"])
    await stores.dataset.add_samples("d", [
        sample(name, split, seed, None if ids is None else [box(i) for i in ids])
        for seed, (split, name, ids) in enumerate(IMAGES)])
    return "d"


async def test_list_rows_tell_boxes_background_and_none(stores, ds):
    rows = await stores.image.list_rows(ds)
    assert [(r.split, r.filename, r.labels) for r in rows] == [
        (split, name, expected_state(ids)) for split, name, ids in IMAGES]
    assert [r.has_labels for r in rows] == [ids is not None for _, _, ids in IMAGES]
    assert [r.labels for r in await stores.image.list_rows(ds, "val", sizes=False)] == ["boxes", "background"]


async def test_label_states_follow_label_changes(stores, ds):
    await stores.label.save(ds, "train", "a.jpg", [])
    await stores.label.save(ds, "train", "c.jpg", [box(1)])
    await stores.label.delete(ds, "val", "f.jpg")
    states = {(r.split, r.filename): r.labels for r in await stores.image.list_rows(ds)}
    assert (states["train", "a.jpg"], states["train", "c.jpg"], states["val", "f.jpg"]) == (
        "background", "boxes", "none")


def test_image_row_keeps_positional_use_with_five_fields():
    row = ImageRow("a.jpg", "train", "/x/a.jpg", None, True)
    assert row.labels is None and row[4] is True and len(row) == 6


async def test_the_abc_default_listing_leaves_labelled_rows_unknown(stores, ds):
    rows = await ImageStore.list_rows(stores.image, ds)
    assert [r.labels for r in rows] == [None if ids is not None else "none" for _, _, ids in IMAGES]
    assert [r._replace(labels=None) for r in rows] == [
        r._replace(labels=None) for r in await stores.image.list_rows(ds)]


def expected_counts(images) -> tuple[dict, dict, dict]:
    boxes = {split: Counter() for split in ("train", "val", "test")}
    holding = {split: Counter() for split in ("train", "val", "test")}
    labeled = {split: 0 for split in ("train", "val", "test")}
    for split, _, ids in images:
        boxes[split].update(ids or [])
        holding[split].update(set(ids or []))
        labeled[split] += bool(ids)
    return boxes, holding, labeled


async def test_class_counts_per_split(stores, ds):
    counts = await stores.dataset.class_counts(ds)
    boxes, holding, labeled = expected_counts(IMAGES)
    assert (counts.boxes, counts.images, counts.labeled) == (boxes, holding, labeled)
    assert counts.unreadable_lines == 0


async def test_class_counts_count_images_not_label_files(stores, ds):
    # A label without an image counts nothing; two images sharing a stem both count its label.
    await stores.label.save(ds, "val", "orphan.jpg", [box(0)])
    await stores.dataset.add_samples(ds, [sample("a.png", "train", 9, None)])
    counts = await stores.dataset.class_counts(ds)
    boxes, holding, labeled = expected_counts([*IMAGES, ("train", "a.png", [0, 0, 1])])
    assert (counts.boxes, counts.images, counts.labeled) == (boxes, holding, labeled)


async def test_class_counts_default_agrees_with_the_backend(stores, ds):
    await stores.label.save(ds, "val", "orphan.jpg", [box(2)])
    await stores.dataset.add_samples(ds, [sample("e.png", "val", 9, None)])
    assert await DatasetStore.class_counts(stores.dataset, ds) == await stores.dataset.class_counts(ds)


async def test_class_counts_of_an_empty_and_a_missing_dataset(stores):
    await stores.dataset.create("empty", ["cat"])
    counts = await stores.dataset.class_counts("empty")
    assert counts.labeled == {"train": 0, "val": 0, "test": 0} and not any(counts.boxes.values())
    with pytest.raises(FileNotFoundError):
        await stores.dataset.class_counts("nope")
