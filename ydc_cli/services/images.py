"""Adding images from files, folders and globs, with the YOLO labels found beside them."""

from __future__ import annotations

import glob
import hashlib
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from ydc_cli.domain import datayaml
from ydc_cli.domain.errors import InvalidLabelError, NotFoundError
from ydc_cli.domain.imageformat import read_header
from ydc_cli.domain.labels import parse_text
from ydc_cli.formats.yolo import label_path
from ydc_cli.persistence import Annotation, DatasetChanges, ImageInfo, Sample, Stores
from ydc_cli.persistence.samples import to_annotations


def collect_images(inputs: list[str]) -> list[Path]:
    """Expand files, folders (recursively) and glob patterns into image files, in a stable order.

    Raises:
        NotFoundError: an input matches nothing.
    """
    found: list[Path] = []
    for item in inputs:
        path = Path(item)
        if path.is_dir():
            for dirpath, dirnames, filenames in os.walk(path):
                dirnames.sort()
                found.extend(Path(dirpath) / f for f in sorted(filenames) if datayaml.is_image_name(f))
        elif path.is_file():
            found.append(path)
        elif glob.has_magic(item):
            matches = sorted(Path(m) for m in glob.glob(item, recursive=True))
            images = [m for m in matches if m.is_file() and datayaml.is_image_name(m.name)]
            if not images:
                raise NotFoundError(f"no images match ({item})")
            found.extend(images)
        else:
            raise NotFoundError(f"no such file or folder ({item})")
    return found


def find_label(image: Path, labels_dir: Path | None) -> Path | None:
    """The YOLO label of an image: in ``labels_dir``, beside it, or by ultralytics' images->labels rule."""
    candidates = []
    if labels_dir is not None:
        candidates.append(labels_dir / (image.stem + ".txt"))
    candidates += [image.with_suffix(".txt"), Path(label_path(str(image)))]
    return next((c for c in candidates if c.is_file()), None)


async def add_images(
    stores: Stores,
    dataset: str,
    inputs: list[str],
    split: str = "train",
    labels_dir: Path | None = None,
    on_sample: Callable[[int], None] | None = None,
) -> list[ImageInfo]:
    """Add the images (original bytes) with their labels in one all-or-nothing batch."""
    datayaml.check_split(split)
    if labels_dir is not None and not labels_dir.is_dir():
        raise NotFoundError(f"no such labels folder ({labels_dir})")
    info = await stores.dataset.get(dataset)
    if info is None:
        raise NotFoundError(f"no such dataset ({dataset})")
    nc, task = len(info.classes), info.task_spec()
    paths = collect_images(inputs)

    def samples() -> Iterator[Sample]:
        for path in paths:
            label = find_label(path, labels_dir)
            annotations = None
            if label is not None:
                try:
                    text = label.read_text(encoding="utf-8")
                except UnicodeDecodeError:
                    raise InvalidLabelError("label file is not UTF-8 text", source=str(label)) from None
                annotations = to_annotations(parse_text(text, nc=nc, source=str(label), task=task))
            if on_sample:
                on_sample(1)
            yield Sample(path.name, split, path.read_bytes(), annotations)

    return await stores.dataset.add_samples(dataset, samples())


@dataclass
class ImageDetails:
    """One image as `images show` reports it: header facts and its boxes."""

    image: ImageInfo
    format: str
    sha256: str
    annotations: list[Annotation]


async def show_image(stores: Stores, dataset: str, split: str, filename: str) -> ImageDetails:
    """Size and format from the header (nothing is decoded), checksum and labels."""
    data = await stores.image.load_bytes(dataset, split, filename)
    header = read_header(data)
    has_labels = await stores.label.exists(dataset, split, filename)
    annotations = await stores.label.load(dataset, split, filename) if has_labels else []
    listed = {i.filename: i for i in await stores.image.list(dataset, split)}
    path = listed[filename].path if filename in listed else Path(filename)
    info = ImageInfo(filename, split, path, header.width, header.height, len(data), has_labels)
    return ImageDetails(info, header.format, hashlib.sha256(data).hexdigest(), annotations)


async def require_images(stores: Stores, dataset: str, split: str, filenames: list[str]) -> None:
    """Raise NotFoundError unless the dataset and every named image exist."""
    if await stores.dataset.get(dataset) is None:
        raise NotFoundError(f"no such dataset ({dataset})")
    for filename in filenames:
        if not await stores.image.exists(dataset, split, filename):
            raise NotFoundError(f"no such image ({dataset}/{split}/{filename})")


async def remove_images(stores: Stores, dataset: str, split: str, filenames: list[str]) -> list[str]:
    """Remove images with their labels, all or nothing.

    A label shared with another image of the same stem (``a.jpg`` and ``a.png``)
    stays while that image does.
    """
    await stores.dataset.apply_changes(dataset, DatasetChanges(removals=[(split, f) for f in filenames]))
    return filenames


async def move_images(stores: Stores, dataset: str, filenames: list[str], from_split: str, to_split: str) -> int:
    """Move images with their labels between splits, all or nothing."""
    datayaml.check_split(to_split)
    await stores.dataset.apply_changes(dataset, DatasetChanges(moves=[(f, from_split, to_split) for f in filenames]))
    return 0 if from_split == to_split else len(filenames)
