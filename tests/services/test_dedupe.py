"""Duplicates: exact by content, near by perceptual hash, removal keeps the first."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from tests.backends import BACKENDS
from tests.contract.conftest import make_stores
from tests.helpers import box, encode, jpeg, make_image
from ydc_cli.domain.errors import InvalidInputError
from ydc_cli.persistence import Sample
from ydc_cli.services.dedupe import dhash, find_duplicates, remove_duplicates


def test_dhash_is_stable_under_recompression_and_differs_for_other_images():
    image = make_image(120, 90, seed=1)
    a = dhash(encode(image, ".png"))
    b = dhash(encode(cv2.resize(image, (60, 45)), ".jpg"))
    other = dhash(encode(make_image(120, 90, seed=2), ".png"))
    assert bin(a ^ b).count("1") <= 4
    assert bin(a ^ other).count("1") > 10


@pytest.fixture(params=BACKENDS)
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


def _photo(seed: int) -> np.ndarray:
    """A photo-like picture: a shape over smooth, blurred noise (JPEG decodes of it are not flat)."""
    rng = np.random.default_rng(seed)
    noise = cv2.GaussianBlur(rng.integers(0, 255, (150, 200, 3), dtype=np.uint8), (0, 0), 6)
    return cv2.addWeighted(make_image(200, 150, seed), 0.5, noise, 0.5, 0)


def _copies(seed: int) -> dict[str, bytes]:
    """A JPEG, and PNG and BMP files holding exactly the pixels it decodes to."""
    original = encode(_photo(seed), ".jpg")
    pixels = cv2.imdecode(np.frombuffer(original, np.uint8), cv2.IMREAD_COLOR)
    return {"jpg": original, "png": encode(pixels, ".png"), "bmp": encode(pixels, ".bmp")}


def test_dhash_depends_only_on_the_decoded_pixels():
    copies = _copies(6)
    grey = {ext: cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_GRAYSCALE) for ext, data in copies.items()}
    assert (grey["jpg"] != grey["png"]).any()  # the trap: libjpeg's own grey is not the pixels' grey
    assert dhash(copies["jpg"]) == dhash(copies["png"]) == dhash(copies["bmp"])


@pytest.mark.parametrize("backend", BACKENDS)
async def test_the_same_picture_in_three_formats_is_one_group(tmp_path, backend):
    stores = make_stores(backend, tmp_path)
    await stores.dataset.create("d", ["a"])
    samples = [Sample(f"same.{ext}", "train", data, None) for ext, data in _copies(6).items()]
    samples += [Sample(f"other{seed}.jpg", "val", encode(_photo(seed), ".jpg"), None) for seed in (7, 8, 9)]
    smaller = cv2.resize(_photo(7), (100, 75), interpolation=cv2.INTER_AREA)
    samples.append(Sample("other7_small.png", "test", encode(smaller, ".png"), None))
    await stores.dataset.add_samples("d", samples)
    report = await find_duplicates(stores, "d", near=True)
    assert [(g.kind, g.keep, sorted(g.duplicates)) for g in report.groups] == [
        ("near", ("train", "same.bmp"), [("train", "same.jpg"), ("train", "same.png")]),
        ("near", ("val", "other7.jpg"), [("test", "other7_small.png")]),
    ]
    assert report.images == 7 and report.duplicates == 3
    await remove_duplicates(stores, "d", report)
    assert report.removed == 3
    assert sorted(i.filename for i in await stores.image.list("d")) == ["other7.jpg", "other8.jpg", "other9.jpg",
                                                                       "same.bmp"]
    stores.close()
