"""A dataset at a glance: a mosaic of images with their labels and class names.

Laid out like ultralytics' batch mosaics (``plot_images``): a near-square grid
of letterboxed tiles, each label drawn as its task's shape (box, polygon,
oriented box, keypoints) in per-class colours with the class name, the
file name on each tile. Each image is shrunk to its tile before the boxes are
drawn, so captions read at the size they are seen; large JPEGs are decoded
at a reduced size to begin with.

The images are a seeded sample: the same dataset, options and seed give the
same PNG byte for byte.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from ydc_cli.domain import datayaml
from ydc_cli.domain.errors import InvalidImageError, InvalidInputError, InvalidLabelError, NotFoundError
from ydc_cli.domain.labels import parse_line
from ydc_cli.domain.names import class_ids
from ydc_cli.persistence import Annotation, Stores

if TYPE_CHECKING:
    import numpy as np

    from ydc_cli.domain.tasks import Task

MAX_TILES = 256
MOSAIC_WIDTH = 1920  # what the tiles of one row share, within the tile limits below
MIN_TILE, MAX_TILE = 256, 640
GAP = 3
PAD_GREY = 114  # ultralytics' letterbox colour
CAPTION_BACKGROUND = (40, 40, 40)


@dataclass
class PreviewImage:
    """One tile of the mosaic."""

    split: str
    filename: str
    boxes: int


@dataclass
class Preview:
    """The mosaic written: its path, the images drawn (in tile order), how many images qualified."""

    path: Path
    images: list[PreviewImage] = field(default_factory=list)
    matched: int = 0



def tile_size(count: int) -> int:
    """The side of each square tile for a mosaic of ``count`` images."""
    columns = _columns(count)
    return max(MIN_TILE, min(MAX_TILE, MOSAIC_WIDTH // columns))


async def preview_dataset(
    stores: Stores, name: str, output: Path, *, split: str | None = None, classes: Sequence[str] = (),
    count: int = 16, seed: int = 0,
) -> Preview:
    """Write a PNG mosaic of ``count`` images picked by ``seed``; the store is only read.

    ``classes`` (names or ids) keeps images holding a box of any of them;
    without it, backgrounds may be drawn too. ``output`` is a PNG file or a
    folder (``<name>-preview.png`` in it).

    Raises:
        NotFoundError: no such dataset, class or output folder, or no image qualifies.
        InvalidInputError: a bad split or count.
    """
    info = await stores.dataset.get(name)
    if info is None:
        raise NotFoundError(f"no such dataset ({name})")
    if split is not None:
        datayaml.check_split(split)
    if not 1 <= count <= MAX_TILES:
        raise InvalidInputError(f"--count must be between 1 and {MAX_TILES} ({count})")
    wanted = class_ids(info.classes, classes)
    output = Path(output)
    target = output / f"{name}-preview.png" if output.is_dir() else output
    if not target.parent.is_dir():
        raise NotFoundError(f"no such folder ({target.parent})")

    task = info.task_spec()
    texts = {(s, label): text async for s, label, text in stores.dataset.iter_label_texts(name, split)}
    images = sorted(await stores.image.list(name, split), key=lambda i: (datayaml.SPLITS.index(i.split), i.filename))
    candidates: list[tuple[str, str, list[Annotation]]] = []
    for image in images:
        boxes = _readable_boxes(texts.get((image.split, datayaml.label_name_for(image.filename)), ""), task)
        if wanted and not any(b.class_id in wanted for b in boxes):
            continue
        candidates.append((image.split, image.filename, boxes))
    if not candidates:
        where = f"{name}/{split}" if split else name
        detail = f" with a box of class {', '.join(classes)}" if classes else ""
        raise NotFoundError(f"no images{detail} to preview ({where})")
    chosen = random.Random(seed).sample(range(len(candidates)), min(count, len(candidates)))
    picked = [candidates[i] for i in sorted(chosen)]
    mosaic = await _draw_mosaic(stores, name, picked, info.classes, task)

    from ydc_cli.persistence.fileio import atomic_write
    from ydc_cli.persistence.image_store import encode_image

    atomic_write(target, encode_image(mosaic, target.name if target.suffix else target.name + ".png"))
    return Preview(target, [PreviewImage(s, f, len(b)) for s, f, b in picked], len(candidates))


def _readable_boxes(text: str, task: Task) -> list[Annotation]:
    """The label's shapes, read as ``task``'s lines; lines that do not parse are left out (``validate``
    reports them)."""
    boxes = []
    for line in text.splitlines():
        if line.strip():
            try:
                boxes.append(Annotation(*parse_line(line, task=task)))
            except InvalidLabelError:
                continue
    return boxes


def _columns(count: int) -> int:
    columns = 1
    while columns * columns < count:
        columns += 1
    return columns


async def _draw_mosaic(stores: Stores, name: str, picked: list[tuple[str, str, list[Annotation]]],
                       classes: list[str], task: Task) -> np.ndarray:
    import numpy as np

    from ydc_cli.services.parallel import map_ordered

    size = tile_size(len(picked))
    columns = _columns(len(picked))
    rows = -(-len(picked) // columns)
    mosaic = np.full((rows * (size + GAP) + GAP, columns * (size + GAP) + GAP, 3), 255, np.uint8)

    async def encoded():
        for split, filename, boxes in picked:
            yield split, filename, boxes, await stores.image.load_bytes(name, split, filename)

    def draw(item) -> np.ndarray:  # runs in worker threads: decoding and resizing release the GIL
        split, filename, boxes, data = item
        return _tile(data, boxes, classes, task, size, f"{split}/{filename}")

    index = 0
    async for _, tile in map_ordered(encoded(), draw):
        row, column = divmod(index, columns)
        top, left = GAP + row * (size + GAP), GAP + column * (size + GAP)
        mosaic[top:top + size, left:left + size] = tile
        index += 1
    return mosaic


def _decode_for(data: bytes, size: int) -> np.ndarray | None:
    """Decode ``data`` to BGR, a JPEG at 1/2, 1/4 or 1/8 scale when that still covers ``size``."""
    import cv2
    import numpy as np

    from ydc_cli.domain.imageformat import read_header

    flags = cv2.IMREAD_COLOR
    try:
        header = read_header(data)
    except InvalidImageError:
        return None
    if header.format == "jpeg":
        for factor, reduced in ((8, cv2.IMREAD_REDUCED_COLOR_8), (4, cv2.IMREAD_REDUCED_COLOR_4),
                                (2, cv2.IMREAD_REDUCED_COLOR_2)):
            if max(header.width, header.height) >= size * factor:
                flags = reduced
                break
    return cv2.imdecode(np.frombuffer(data, np.uint8), flags)


def _tile(data: bytes, boxes: list[Annotation], classes: list[str], task: Task, size: int, caption: str
          ) -> np.ndarray:
    """One letterboxed tile: the image fitted into ``size`` x ``size``, its shapes, its name at the bottom."""
    import cv2
    import numpy as np

    from ydc_cli.services.drawing import draw_boxes

    tile = np.full((size, size, 3), PAD_GREY, np.uint8)
    font = cv2.FONT_HERSHEY_SIMPLEX
    font_scale = max(0.4, size / 900)
    thickness = 1 if size < 400 else 2
    image = _decode_for(data, size)
    if image is None:
        cv2.putText(tile, "cannot decode", (10, size // 2), font, font_scale * 1.2, (0, 0, 200), thickness,
                    cv2.LINE_AA)
    else:
        height, width = image.shape[:2]
        ratio = size / max(height, width)
        fitted = (max(1, round(width * ratio)), max(1, round(height * ratio)))
        image = cv2.resize(image, fitted, interpolation=cv2.INTER_AREA if ratio < 1 else cv2.INTER_LINEAR)
        draw_boxes(image, boxes, classes, task=task, font_scale=font_scale, thickness=thickness)
        top, left = (size - fitted[1]) // 2, (size - fitted[0]) // 2
        tile[top:top + fitted[1], left:left + fitted[0]] = image
    _caption(tile, caption, font_scale)
    return tile


def _caption(tile: np.ndarray, text: str, font_scale: float) -> None:
    """The file name on a dark band across the tile's bottom, shortened in the middle when too long."""
    import cv2

    font = cv2.FONT_HERSHEY_SIMPLEX
    size = tile.shape[1]
    short, keep = text, len(text)
    while keep > 8 and cv2.getTextSize(short, font, font_scale, 1)[0][0] > size - 12:
        keep -= 1
        short = text[:keep // 2] + "..." + text[len(text) - (keep - keep // 2):]
    (_, text_h), base = cv2.getTextSize(short, font, font_scale, 1)
    band = text_h + base + 8
    bottom = tile[size - band:]
    bottom[:] = (bottom * 0.35 + [c * 0.65 for c in CAPTION_BACKGROUND]).astype(tile.dtype)
    cv2.putText(tile, short, (6, size - base - 4), font, font_scale, (235, 235, 235), 1, cv2.LINE_AA)
