"""LabelStore contract, run on every backend."""

from __future__ import annotations

import math

import pytest

from tests.helpers import box
from ydc_cli.domain.errors import InvalidLabelError
from ydc_cli.persistence import Annotation


@pytest.fixture
async def ds(stores):
    await stores.dataset.create("d", ["a", "b", "c"])
    return "d"


async def test_save_and_load_round_trip(stores, ds):
    annotations = [box(0), Annotation(2, 0.123456, 0.654321, 0.05, 0.9)]
    await stores.label.save(ds, "train", "img.jpg", annotations)
    assert await stores.label.load(ds, "train", "img.jpg") == annotations


async def test_values_keep_six_decimals(stores, ds):
    await stores.label.save(ds, "train", "img.jpg", [Annotation(1, 1 / 3, 2 / 3, 0.1234567, 0.5)])
    [loaded] = await stores.label.load(ds, "train", "img.jpg")
    assert (loaded.x, loaded.y, loaded.width) == pytest.approx((0.333333, 0.666667, 0.123457), abs=1e-6)


async def test_save_replaces(stores, ds):
    await stores.label.save(ds, "train", "img.jpg", [box(0), box(1)])
    await stores.label.save(ds, "train", "img.jpg", [box(2)])
    assert await stores.label.load(ds, "train", "img.jpg") == [box(2)]


async def test_load_missing_is_empty(stores, ds):
    assert await stores.label.load(ds, "train", "nothing.jpg") == []
    assert await stores.label.load("no-dataset", "train", "nothing.jpg") == []


async def test_empty_annotation_list_is_an_existing_empty_label(stores, ds):
    await stores.label.save(ds, "val", "bg.jpg", [])
    assert await stores.label.exists(ds, "val", "bg.jpg") is True
    assert await stores.label.load(ds, "val", "bg.jpg") == []


async def test_label_belongs_to_the_stem(stores, ds):
    await stores.label.save(ds, "train", "img.jpg", [box()])
    assert await stores.label.exists(ds, "train", "img.png") is True
    assert await stores.label.exists(ds, "val", "img.jpg") is False


@pytest.mark.parametrize("bad, message", [
    (Annotation(0, 1.5, 0.5, 0.1, 0.1), "outside"),
    (Annotation(0, 0.5, -0.1, 0.1, 0.1), "outside"),
    (Annotation(0, 0.5, 0.5, 0.0, 0.1), "zero or negative size"),
    (Annotation(-1, 0.5, 0.5, 0.1, 0.1), "negative"),
    (Annotation(1.5, 0.5, 0.5, 0.1, 0.1), "integer"),
    (Annotation(0, math.nan, 0.5, 0.1, 0.1), "finite"),
    (Annotation(0, 0.5, 0.5, math.inf, 0.1), "finite"),
])
async def test_invalid_annotations_are_refused_and_nothing_changes(stores, ds, bad, message):
    await stores.label.save(ds, "train", "img.jpg", [box()])
    with pytest.raises(InvalidLabelError, match=message):
        await stores.label.save(ds, "train", "img.jpg", [box(1), bad])
    assert await stores.label.load(ds, "train", "img.jpg") == [box()]


async def test_invalid_annotation_error_names_file_and_line(stores, ds):
    with pytest.raises(InvalidLabelError, match=r"train/img\.txt:2"):
        await stores.label.save(ds, "train", "img.jpg", [box(), Annotation(0, 2.0, 0.5, 0.1, 0.1)])


async def test_delete(stores, ds):
    await stores.label.save(ds, "train", "img.jpg", [box()])
    assert await stores.label.delete(ds, "train", "img.jpg") is True
    assert await stores.label.exists(ds, "train", "img.jpg") is False
    assert await stores.label.delete(ds, "train", "img.jpg") is False


async def test_move(stores, ds):
    await stores.label.save(ds, "train", "img.jpg", [box(1)])
    await stores.label.move(ds, "img.jpg", "train", "test")
    assert await stores.label.exists(ds, "train", "img.jpg") is False
    assert await stores.label.load(ds, "test", "img.jpg") == [box(1)]


async def test_move_missing_raises_file_not_found(stores, ds):
    with pytest.raises(FileNotFoundError):
        await stores.label.move(ds, "img.jpg", "train", "val")


async def test_move_to_same_split_keeps_the_label(stores, ds):
    await stores.label.save(ds, "train", "img.jpg", [box(1)])
    await stores.label.move(ds, "img.jpg", "train", "train")
    assert await stores.label.load(ds, "train", "img.jpg") == [box(1)]


async def test_save_into_missing_dataset_raises(stores):
    with pytest.raises(FileNotFoundError):
        await stores.label.save("nope", "train", "img.jpg", [box()])
