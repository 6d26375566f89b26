"""Setting labels by hand: boxes from the command line or a YOLO label file."""

from __future__ import annotations

from pathlib import Path

from ydc_cli.domain.errors import InvalidLabelError, NotFoundError
from ydc_cli.domain.labels import parse_line, parse_text
from ydc_cli.domain.names import class_id
from ydc_cli.persistence import Annotation, Stores
from ydc_cli.persistence.samples import to_annotations


async def _classes(stores: Stores, dataset: str, split: str, filename: str) -> list[str]:
    info = await stores.dataset.get(dataset)
    if info is None:
        raise NotFoundError(f"no such dataset ({dataset})")
    if not await stores.image.exists(dataset, split, filename):
        raise NotFoundError(f"no such image ({dataset}/{split}/{filename})")
    return info.classes


async def show_labels(stores: Stores, dataset: str, split: str, filename: str) -> tuple[list[Annotation], list[str]]:
    """The image's boxes and the dataset's class names."""
    classes = await _classes(stores, dataset, split, filename)
    return await stores.label.load(dataset, split, filename), classes


def with_class_id(text: str, classes: list[str]) -> str:
    """A ``--box`` line with its class given by name (``"traffic light 0.5 0.5 0.2 0.2"``) turned into its id.

    The class is everything before the last four fields, so names with spaces work; a line
    whose class is already a number is returned as it is.
    """
    first = text.split(None, 1)[0] if text.strip() else ""
    try:
        float(first)
        return text  # numeric (or nan/inf): the label rules judge it
    except ValueError:
        pass
    parts = text.strip().rsplit(None, 4)
    if len(parts) != 5:
        return text
    return " ".join([str(class_id(classes, parts[0])), *parts[1:]])


async def set_labels(
    stores: Stores, dataset: str, split: str, filename: str, boxes: list[str], file: Path | None
) -> list[Annotation]:
    """Replace the image's labels with ``--box`` lines or a label file, validated against the classes.

    Raises:
        InvalidLabelError: naming the ``--box`` (1-based) or the file line; nothing is written.
    """
    classes = await _classes(stores, dataset, split, filename)
    nc = len(classes)
    parsed = []
    for number, text in enumerate(boxes, start=1):
        parsed.append(parse_line(with_class_id(text, classes), nc=nc, source=f"--box {number}"))
    if file is not None:
        if not file.is_file():
            raise NotFoundError(f"no such file ({file})")
        try:
            text = file.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            raise InvalidLabelError("label file is not UTF-8 text", source=str(file)) from None
        parsed.extend(parse_text(text, nc=nc, source=str(file)))
    annotations = to_annotations(parsed)
    await stores.label.save(dataset, split, filename, annotations)
    return annotations


async def clear_labels(stores: Stores, dataset: str, split: str, filename: str, delete: bool) -> bool:
    """Empty the image's label (a confirmed background), or delete it (unlabeled again)."""
    await _classes(stores, dataset, split, filename)
    if delete:
        return await stores.label.delete(dataset, split, filename)
    await stores.label.save(dataset, split, filename, [])
    return True
