"""ImageStore contract, run on every backend."""

from __future__ import annotations

import numpy as np
import pytest

from tests.helpers import box, encode, jpeg, make_image, png
from ydc_cli.domain.errors import ConflictError, InvalidImageError, InvalidNameError
from ydc_cli.persistence import ImageInfo


@pytest.fixture
async def ds(stores):
    await stores.dataset.create("d", ["a", "b"])
    return "d"


async def test_save_returns_dimensions_and_size(stores, ds):
    info = await stores.image.save(ds, "train", "x.png", make_image(80, 60))
    assert isinstance(info, ImageInfo)
    assert (info.filename, info.split, info.width, info.height) == ("x.png", "train", 80, 60)
    assert info.size_bytes > 0


async def test_load_returns_bgr_hwc_array(stores, ds):
    image = make_image(80, 60, seed=3)
    await stores.image.save(ds, "train", "x.png", image)
    loaded = await stores.image.load(ds, "train", "x.png")
    assert loaded.shape == (60, 80, 3) and loaded.dtype == np.uint8
    assert np.array_equal(loaded, image)  # PNG is lossless


async def test_load_missing_raises_file_not_found(stores, ds):
    with pytest.raises(FileNotFoundError):
        await stores.image.load(ds, "train", "none.jpg")
    with pytest.raises(FileNotFoundError):
        await stores.image.load_bytes("no-dataset", "train", "none.jpg")


async def test_save_into_missing_dataset_raises(stores):
    with pytest.raises(FileNotFoundError):
        await stores.image.save_bytes("nope", "train", "a.jpg", jpeg())


async def test_save_bytes_is_lossless(stores, ds):
    data = jpeg(seed=7)
    info = await stores.image.save_bytes(ds, "val", "photo.jpg", data)
    assert (info.width, info.height, info.size_bytes) == (64, 48, len(data))
    assert await stores.image.load_bytes(ds, "val", "photo.jpg") == data


async def test_save_replaces_existing(stores, ds):
    await stores.image.save_bytes(ds, "train", "a.jpg", jpeg(seed=1))
    await stores.image.save_bytes(ds, "train", "a.jpg", jpeg(100, 50, seed=2))
    assert await stores.image.load_bytes(ds, "train", "a.jpg") == jpeg(100, 50, seed=2)
    assert len(await stores.image.list(ds)) == 1


@pytest.mark.parametrize("data, filename, message", [
    (b"", "a.jpg", "empty"),
    (b"hello, not an image", "a.jpg", "not a supported image"),
    (png(), "a.jpg", "PNG image but is named .jpg"),
])
async def test_save_bytes_refuses_bad_images(stores, ds, snapshot, data, filename, message):
    before = snapshot()
    with pytest.raises(InvalidImageError, match=message):
        await stores.image.save_bytes(ds, "train", filename, data)
    assert snapshot() == before


async def test_save_bytes_refuses_truncated_jpeg(stores, ds):
    data = jpeg()
    with pytest.raises(InvalidImageError, match="truncated JPEG file"):
        await stores.image.save_bytes(ds, "train", "t.jpg", data[: len(data) // 2])


async def test_unknown_split_is_refused(stores, ds):
    with pytest.raises(ValueError, match="unknown split"):
        await stores.image.save_bytes(ds, "training", "a.jpg", jpeg())


async def test_file_names_with_separators_are_refused(stores, ds):
    for name in ["../escape.jpg", "sub/dir.jpg", ".."]:
        with pytest.raises(InvalidNameError):
            await stores.image.save_bytes(ds, "train", name, jpeg())


async def test_delete(stores, ds):
    await stores.image.save_bytes(ds, "train", "a.jpg", jpeg())
    assert await stores.image.delete(ds, "train", "a.jpg") is True
    assert await stores.image.exists(ds, "train", "a.jpg") is False
    assert await stores.image.delete(ds, "train", "a.jpg") is False
    assert await stores.image.delete("missing", "train", "a.jpg") is False


async def test_move(stores, ds):
    data = jpeg()
    await stores.image.save_bytes(ds, "train", "a.jpg", data)
    await stores.image.move(ds, "a.jpg", "train", "val")
    assert await stores.image.exists(ds, "train", "a.jpg") is False
    assert await stores.image.load_bytes(ds, "val", "a.jpg") == data


async def test_move_missing_raises_file_not_found(stores, ds):
    with pytest.raises(FileNotFoundError):
        await stores.image.move(ds, "none.jpg", "train", "val")


async def test_move_to_same_split_keeps_the_image(stores, ds):
    data = jpeg()
    await stores.image.save_bytes(ds, "train", "a.jpg", data)
    await stores.image.move(ds, "a.jpg", "train", "train")
    assert await stores.image.load_bytes(ds, "train", "a.jpg") == data


async def test_move_onto_existing_image_is_a_conflict(stores, ds):
    await stores.image.save_bytes(ds, "train", "a.jpg", jpeg(seed=1))
    await stores.image.save_bytes(ds, "val", "a.jpg", jpeg(seed=2))
    with pytest.raises(ConflictError):
        await stores.image.move(ds, "a.jpg", "train", "val")
    assert await stores.image.load_bytes(ds, "val", "a.jpg") == jpeg(seed=2)


async def test_list_sorted_without_dimensions_with_has_labels(stores, ds):
    await stores.image.save_bytes(ds, "val", "b.jpg", jpeg(seed=1))
    await stores.image.save_bytes(ds, "train", "c.jpg", jpeg(seed=2))
    await stores.image.save_bytes(ds, "train", "a.jpg", jpeg(seed=3))
    await stores.label.save(ds, "train", "c.jpg", [box()])
    infos = await stores.image.list(ds)
    assert [(i.split, i.filename, i.has_labels) for i in infos] == [
        ("train", "a.jpg", False), ("train", "c.jpg", True), ("val", "b.jpg", False)]
    assert all(i.width == 0 and i.height == 0 and i.size_bytes > 0 for i in infos)
    assert [i.filename for i in await stores.image.list(ds, "val")] == ["b.jpg"]


async def test_list_rows_match_list(stores, ds):
    await stores.image.save_bytes(ds, "val", "b.jpg", jpeg(seed=1))
    await stores.image.save_bytes(ds, "train", "c d.jpg", jpeg(seed=2))
    await stores.image.save_bytes(ds, "train", "a.png", png())
    await stores.label.save(ds, "val", "b.jpg", [])
    infos = await stores.image.list(ds)
    rows = await stores.image.list_rows(ds)
    assert [tuple(r)[:5] for r in rows] == [(i.filename, i.split, str(i.path), i.size_bytes, i.has_labels)
                                            for i in infos]
    assert [r.labels for r in rows] == ["none", "none", "background"]
    assert [r.filename for r in await stores.image.list_rows(ds, "train")] == ["a.png", "c d.jpg"]
    assert rows[2].has_labels is True and rows[2].size_bytes == len(jpeg(seed=1))
    bare = await stores.image.list_rows(ds, sizes=False)
    assert [r._replace(size_bytes=0) for r in bare] == [r._replace(size_bytes=0) for r in rows]
    assert {r.size_bytes for r in bare} == {None}
    with pytest.raises(FileNotFoundError):
        await stores.image.list_rows("nope")


async def test_list_empty_dataset(stores, ds):
    assert await stores.image.list(ds) == []
    assert await stores.image.list(ds, "test") == []


async def test_list_missing_dataset_raises(stores):
    with pytest.raises(FileNotFoundError):
        await stores.image.list("nope")


async def test_exists(stores, ds):
    assert await stores.image.exists(ds, "train", "a.jpg") is False
    await stores.image.save_bytes(ds, "train", "a.jpg", jpeg())
    assert await stores.image.exists(ds, "train", "a.jpg") is True
    assert await stores.image.exists(ds, "val", "a.jpg") is False
    assert await stores.image.exists("missing", "train", "a.jpg") is False


@pytest.mark.parametrize("filename", ["été à l'ombre.jpg", "写真 1.jpg", "with space.png", "émoji 🚗.jpg"])
async def test_unicode_and_spaces_in_file_names(stores, ds, filename):
    data = png() if filename.endswith(".png") else jpeg()
    await stores.image.save_bytes(ds, "train", filename, data)
    await stores.label.save(ds, "train", filename, [box()])
    assert await stores.image.load_bytes(ds, "train", filename) == data
    assert await stores.label.load(ds, "train", filename) == [box()]
    [info] = await stores.image.list(ds)
    assert info.filename == filename and info.has_labels


async def test_same_stem_with_two_extensions_share_one_label(stores, ds):
    await stores.image.save_bytes(ds, "train", "frame.jpg", jpeg(seed=1))
    await stores.image.save_bytes(ds, "train", "frame.png", png(seed=2))
    await stores.label.save(ds, "train", "frame.jpg", [box(1)])
    infos = await stores.image.list(ds)
    assert [(i.filename, i.has_labels) for i in infos] == [("frame.jpg", True), ("frame.png", True)]
    assert await stores.label.load(ds, "train", "frame.png") == [box(1)]
    assert await stores.image.load_bytes(ds, "train", "frame.png") == png(seed=2)


async def test_image_formats_by_extension(stores, ds):
    image = make_image(40, 30)
    for ext in ("bmp", "webp", "tif"):
        info = await stores.image.save(ds, "train", f"x.{ext}", image)
        assert (info.width, info.height) == (40, 30)
        assert (await stores.image.load(ds, "train", f"x.{ext}")).shape == (30, 40, 3)
    assert await stores.image.load_bytes(ds, "train", "x.bmp") == encode(image, ".bmp")
