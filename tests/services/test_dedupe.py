"""Duplicates: exact by content, near by perceptual hash, removal keeps the first."""

from __future__ import annotations

import cv2
import pytest

from tests.contract.conftest import make_stores
from tests.helpers import box, encode, jpeg, make_image
from ydc_cli.domain.errors import InvalidInputError
from ydc_cli.persistence import Sample
from ydc_cli.services.dedupe import dhash, find_duplicates


def test_dhash_is_stable_under_recompression_and_differs_for_other_images():
    image = make_image(120, 90, seed=1)
    a = dhash(encode(image, ".png"))
    b = dhash(encode(cv2.resize(image, (60, 45)), ".jpg"))
    other = dhash(encode(make_image(120, 90, seed=2), ".png"))
    assert bin(a ^ b).count("1") <= 4
    assert bin(a ^ other).count("1") > 10


@pytest.fixture(params=["filesystem", "sqlite"])
async def stores(request, tmp_path):
    bundle = make_stores(request.param, tmp_path)
    await bundle.dataset.create("d", ["a"])
    image = make_image(120, 90, seed=1)
    await bundle.dataset.add_samples("d", [
        Sample("a.jpg", "train", jpeg(120, 90, seed=1), [box()]),
        Sample("b.jpg", "val", jpeg(120, 90, seed=1), [box()]),
        Sample("c.png", "train", encode(cv2.resize(image, (60, 45)), ".png"), None),
        Sample("d.jpg", "train", jpeg(120, 90, seed=5), None),
    ])
    yield bundle
    bundle.close()


async def test_exact_duplicates(stores):
    report = await find_duplicates(stores, "d")
    assert [(g.kind, g.keep, g.duplicates) for g in report.groups] == [
        ("exact", ("train", "a.jpg"), [("val", "b.jpg")])]


async def test_near_duplicates_and_removal(stores):
    report = await find_duplicates(stores, "d", near=True, threshold=6)
    assert len(report.groups) == 1
    group = report.groups[0]
    assert group.kind == "near" and group.keep == ("train", "a.jpg")
    assert sorted(group.duplicates) == [("train", "c.png"), ("val", "b.jpg")]
    removed = await find_duplicates(stores, "d", near=True, threshold=6, remove=True)
    assert removed.removed == 2
    assert sorted(i.filename for i in await stores.image.list("d")) == ["a.jpg", "d.jpg"]
    assert await stores.label.exists("d", "val", "b.jpg") is False


async def test_bad_threshold(stores):
    with pytest.raises(InvalidInputError):
        await find_duplicates(stores, "d", near=True, threshold=20)
