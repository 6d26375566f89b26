"""Split planning: exact counts, determinism, stratification, groups, kept splits."""

from __future__ import annotations

import pytest

from tests.backends import BACKENDS
from tests.contract.conftest import make_stores
from tests.helpers import box, sample
from ydc_cli.domain.errors import UsageError
from ydc_cli.services.splitting import deal, largest_remainder, split_dataset


def test_largest_remainder_is_exact():
    assert largest_remainder(101, {"train": 0.8, "val": 0.2, "test": 0.0}) == {"train": 81, "val": 20, "test": 0}
    assert largest_remainder(10, {"train": 1, "val": 1, "test": 1}) == {"train": 4, "val": 3, "test": 3}
    assert largest_remainder(0, {"train": 0.8, "val": 0.2}) == {"train": 0, "val": 0}


def test_deal_meets_targets_exactly_for_single_units():
    targets = {"train": 7, "val": 2, "test": 1}
    choices = deal([[str(i)] for i in range(10)], targets)
    assert {s: choices.count(s) for s in targets} == targets


@pytest.fixture(params=BACKENDS)
async def stores(request, tmp_path):
    bundle = make_stores(request.param, tmp_path)
    await bundle.dataset.create("d", ["common", "rare"])
    items = []
    for i in range(30):
        boxes = [box(0)] + ([box(1)] if i % 10 == 0 else [])
        items.append(sample(f"video{i % 3}_frame{i:03d}.jpg", "train", i, boxes))
    items.append(sample("bg.jpg", "test", 99, None))
    await bundle.dataset.add_samples("d", items)
    yield bundle
    bundle.close()


async def _layout(stores):
    return sorted((i.split, i.filename) for i in await stores.image.list("d"))


async def test_split_is_exact_seeded_and_keeps_labels(stores):
    report = await split_dataset(stores, "d", {"train": 0.7, "val": 0.3, "test": 0.0}, seed=3)
    assert report.after == {"train": 22, "val": 9, "test": 0}
    first = await _layout(stores)
    for info in await stores.image.list("d"):
        if info.filename != "bg.jpg":
            assert info.has_labels
    await split_dataset(stores, "d", {"train": 1, "val": 0, "test": 0}, seed=3)
    await split_dataset(stores, "d", {"train": 0.7, "val": 0.3, "test": 0.0}, seed=3)
    assert await _layout(stores) == first
    await split_dataset(stores, "d", {"train": 0.7, "val": 0.3, "test": 0.0}, seed=4)
    assert await _layout(stores) != first


async def test_keep_leaves_a_split_frozen(stores):
    report = await split_dataset(stores, "d", {"train": 0.5, "val": 0.5, "test": 0.9}, keep=["test"])
    assert report.after == {"train": 15, "val": 15, "test": 1}
    assert ("test", "bg.jpg") in await _layout(stores)


async def test_stratify_spreads_the_rare_class(stores):
    await split_dataset(stores, "d", {"train": 0.5, "val": 0.5, "test": 0}, seed=1, stratify=True, keep=["test"])
    rare = [i.split for i in await stores.image.list("d") if i.filename.endswith(("000.jpg", "010.jpg", "020.jpg"))]
    assert sorted(rare).count("train") in (1, 2) and sorted(rare).count("val") in (1, 2)


async def test_group_by_keeps_videos_together(stores):
    report = await split_dataset(stores, "d", {"train": 0.67, "val": 0.33, "test": 0}, group_by=r"^(video\d+)_",
                                 keep=["test"])
    assert report.groups == 3
    by_video: dict[str, set[str]] = {}
    for info in await stores.image.list("d"):
        if info.filename.startswith("video"):
            by_video.setdefault(info.filename.split("_")[0], set()).add(info.split)
    assert all(len(splits) == 1 for splits in by_video.values())
    assert report.after["train"] == 20 and report.after["val"] == 10


async def test_bad_arguments(stores):
    before = await stores.image.count("d")
    with pytest.raises(UsageError, match="sum to 1"):
        await split_dataset(stores, "d", {"train": 0, "val": 0, "test": 0})
    with pytest.raises(UsageError, match=r"--train 0.5 \+ --val 0.6 \+ --test 0 = 1.1"):
        await split_dataset(stores, "d", {"train": 0.5, "val": 0.6, "test": 0})
    with pytest.raises(UsageError, match="kept splits do not count"):
        await split_dataset(stores, "d", {"train": 0.8, "val": 0.2, "test": 0}, keep=["val"])
    with pytest.raises(UsageError, match="between 0 and 1"):
        await split_dataset(stores, "d", {"train": 1.5, "val": -0.5, "test": 0})
    with pytest.raises(UsageError):
        await split_dataset(stores, "d", {"train": 1, "val": 0, "test": 0}, group_by="(")
    with pytest.raises(UsageError, match="matches no file name"):
        await split_dataset(stores, "d", {"train": 0.5, "val": 0.5, "test": 0}, group_by=r"^cam\d+_")
    assert await stores.image.count("d") == before
    with pytest.raises(FileNotFoundError):
        await split_dataset(stores, "nope", {"train": 1, "val": 0, "test": 0})
