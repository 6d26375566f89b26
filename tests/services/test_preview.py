"""The preview mosaic: seeded picks, letterboxed tiles, boxes in class colours, read-only."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from tests.contract.conftest import BACKENDS, make_stores
from tests.helpers import box, db_snapshot, encode, make_image, tree_snapshot
from ydc_cli.domain.errors import InvalidInputError, NotFoundError
from ydc_cli.persistence import Annotation, Sample
from ydc_cli.services.drawing import class_colour, draw_boxes, text_colour_on
from ydc_cli.services.preview import GAP, PAD_GREY, preview_dataset, tile_size

CLASSES = ["cat", "dog", "bird"]
BIG_GREY = 100


def _solid(width: int, height: int, value: int) -> np.ndarray:
    return np.full((height, width, 3), value, np.uint8)


@pytest.fixture(params=BACKENDS)
async def stores(request, tmp_path):
    bundle = make_stores(request.param, tmp_path / "store")
    await bundle.dataset.create("d", CLASSES)
    samples = [Sample(f"img{i:02d}.jpg", "train", encode(make_image(120, 90, seed=i), ".jpg"), [box(i % 3)])
               for i in range(10)]
    samples += [
        Sample("bg.jpg", "train", encode(make_image(120, 90, seed=20), ".jpg"), []),
        Sample("nolabel.jpg", "train", encode(make_image(120, 90, seed=21), ".jpg"), None),
        Sample("big.jpg", "val", encode(_solid(3000, 2000, BIG_GREY), ".jpg"), [Annotation(1, 0.5, 0.5, 0.5, 0.5)]),
        Sample("tall.png", "test", encode(make_image(300, 900, seed=3), ".png"), [box(2, 0.5, 0.2, 0.4, 0.2)]),
    ]
    await bundle.dataset.add_samples("d", samples)
    yield bundle
    bundle.close()


def _tiles(picture: np.ndarray, count: int) -> list[np.ndarray]:
    size = tile_size(count)
    columns = (picture.shape[1] - GAP) // (size + GAP)
    return [picture[GAP + (i // columns) * (size + GAP):][:size, GAP + (i % columns) * (size + GAP):][:, :size]
            for i in range(count)]


async def test_the_same_seed_draws_the_same_bytes_and_another_seed_other_images(stores, tmp_path):
    first = await preview_dataset(stores, "d", tmp_path / "a.png", count=4, seed=1)
    again = await preview_dataset(stores, "d", tmp_path / "b.png", count=4, seed=1)
    other = await preview_dataset(stores, "d", tmp_path / "c.png", count=4, seed=2)
    assert first.images == again.images and len(first.images) == 4 and first.matched == 14
    assert (tmp_path / "a.png").read_bytes() == (tmp_path / "b.png").read_bytes()
    assert other.images != first.images
    assert (tmp_path / "c.png").read_bytes() != (tmp_path / "a.png").read_bytes()


async def test_every_image_gets_a_tile_in_a_square_grid_backgrounds_included(stores, tmp_path):
    result = await preview_dataset(stores, "d", tmp_path / "all.png", count=16)
    drawn = {(i.split, i.filename) for i in result.images}
    assert len(drawn) == 14 and {("train", "bg.jpg"), ("train", "nolabel.jpg")} <= drawn
    assert [i.boxes for i in result.images if i.filename in ("bg.jpg", "nolabel.jpg")] == [0, 0]
    picture = cv2.imread(str(result.path))
    size = tile_size(14)
    assert picture.shape == (4 * (size + GAP) + GAP, 4 * (size + GAP) + GAP, 3)
    tiles = _tiles(picture, 16)
    for tile in tiles[:14]:
        assert tile.std() > 5 and (tile != 255).any(axis=2).mean() > 0.9  # a picture, not the background
    assert (tiles[14] == 255).all() and (tiles[15] == 255).all()  # the cells past the last image stay empty
    assert len({tile.tobytes() for tile in tiles[:14]}) == 14


async def test_a_large_image_is_shrunk_before_its_box_is_drawn_in_its_class_colour(stores, tmp_path):
    result = await preview_dataset(stores, "d", tmp_path / "big.png", split="val", count=1)
    assert [(i.split, i.filename, i.boxes) for i in result.images] == [("val", "big.jpg", 1)]
    picture = cv2.imread(str(result.path))
    size = tile_size(1)
    tile = _tiles(picture, 1)[0]
    fitted_height = round(2000 * size / 3000)
    top = (size - fitted_height) // 2
    assert (np.abs(tile[top // 2].astype(int) - PAD_GREY) <= 1).all()  # letterboxed: padding above the image
    left_edge, top_edge = size // 4, top + round(fitted_height / 4)
    colour = np.array(class_colour(1))
    distance = np.abs(tile.astype(int) - colour).sum(axis=2)
    scan = distance[top_edge + 40, left_edge - 8:left_edge + 9]
    assert 1 <= (scan < 30).sum() <= 4  # a line a couple of pixels wide at the tile's scale, in the class colour
    caption = distance[max(0, top_edge - 40):top_edge, left_edge:left_edge + 80]
    assert (caption < 30).sum() > 200  # the class name's label sits on the box
    inside = tile[top + fitted_height // 2 - 20:top + fitted_height // 2 + 20, size // 2 - 20:size // 2 + 20]
    assert (np.abs(inside.astype(int) - BIG_GREY) <= 3).all()  # boxes are outlines


async def test_class_filter_by_name_or_id(stores, tmp_path):
    dogs = await preview_dataset(stores, "d", tmp_path / "dogs.png", classes=["dog"], count=50)
    birds = await preview_dataset(stores, "d", tmp_path / "birds.png", classes=["2"], count=50)
    for result, class_id in ((dogs, 1), (birds, 2)):
        assert result.images
        for image in result.images:
            assert class_id in {b.class_id for b in await stores.label.load("d", image.split, image.filename)}
    assert ("val", "big.jpg") in {(i.split, i.filename) for i in dogs.images}
    assert len(dogs.images) == dogs.matched == 1 + sum(1 for i in range(10) if i % 3 == 1)
    both = await preview_dataset(stores, "d", tmp_path / "both.png", classes=["dog", "bird"], count=50)
    assert both.matched == dogs.matched + birds.matched
    with pytest.raises(NotFoundError, match=r"no such class \(zebra\)"):
        await preview_dataset(stores, "d", tmp_path / "x.png", classes=["zebra"])
    with pytest.raises(NotFoundError, match=r"no such class \(3\)"):
        await preview_dataset(stores, "d", tmp_path / "x.png", classes=["3"])
    with pytest.raises(NotFoundError, match="no images with a box of class cat"):
        await preview_dataset(stores, "d", tmp_path / "x.png", split="test", classes=["cat"])
    assert not (tmp_path / "x.png").exists()


async def test_the_store_is_only_read_and_a_missing_folder_writes_nothing(stores, tmp_path):
    def snapshot():
        return tree_snapshot(tmp_path / "store"), db_snapshot(tmp_path / "store" / "ydc.db")

    before = snapshot()
    folder = tmp_path / "out"
    folder.mkdir()
    result = await preview_dataset(stores, "d", folder, count=3)
    assert result.path == folder / "d-preview.png" and sorted(p.name for p in folder.iterdir()) == ["d-preview.png"]
    with pytest.raises(NotFoundError, match="no such folder"):
        await preview_dataset(stores, "d", tmp_path / "missing" / "grid.png")
    with pytest.raises(NotFoundError, match="no such dataset"):
        await preview_dataset(stores, "nope", folder / "x.png")
    with pytest.raises(InvalidInputError, match="unknown split"):
        await preview_dataset(stores, "d", folder / "x.png", split="training")
    with pytest.raises(InvalidInputError, match="--count"):
        await preview_dataset(stores, "d", folder / "x.png", count=0)
    assert snapshot() == before and not (tmp_path / "missing").exists()
    assert sorted(p.name for p in folder.iterdir()) == ["d-preview.png"]


def test_draw_boxes_draws_outline_and_caption_and_picks_a_readable_text_colour():
    image = _solid(900, 600, 255)
    draw_boxes(image, [Annotation(0, 0.5, 0.5, 0.5, 0.5)], ["cat"])
    colour = np.array(class_colour(0))
    close = (np.abs(image.astype(int) - colour).sum(axis=2) < 30)
    assert close[300, 220:230].any() and close[300, 670:680].any()  # left and right edges at x 225 and 675
    assert not close[300, 235:665].any()
    assert close[120:150, 225:270].sum() > 300  # the caption's background above the box
    caption_pixels = image[120:150, 225:270].reshape(-1, 3)
    assert text_colour_on((0, 255, 255)) == (0, 0, 0) and text_colour_on((200, 40, 40)) == (255, 255, 255)
    assert (np.abs(caption_pixels.astype(int) - text_colour_on(class_colour(0))).sum(axis=1) < 60).any()
