"""Setting labels by hand: shapes from the command line or a YOLO label file, of the dataset's task."""

from __future__ import annotations

from pathlib import Path

from ydc_cli.domain.errors import InvalidLabelError, NotFoundError, UsageError
from ydc_cli.domain.labels import parse_line, parse_text
from ydc_cli.domain.names import class_id
from ydc_cli.persistence import Annotation, DatasetInfo, Stores
from ydc_cli.persistence.samples import to_annotations


async def _dataset(stores: Stores, dataset: str, split: str, filename: str) -> DatasetInfo:
    info = await stores.dataset.get(dataset)
    if info is None:
        raise NotFoundError(f"no such dataset ({dataset})")
    if not await stores.image.exists(dataset, split, filename):
        raise NotFoundError(f"no such image ({dataset}/{split}/{filename})")
    return info


async def _classes(stores: Stores, dataset: str, split: str, filename: str) -> list[str]:
    return (await _dataset(stores, dataset, split, filename)).classes


async def show_labels(stores: Stores, dataset: str, split: str, filename: str) -> tuple[list[Annotation], list[str]]:
    """The image's labels and the dataset's class names."""
    classes = await _classes(stores, dataset, split, filename)
    return await stores.label.load(dataset, split, filename), classes


# the ``labels set`` option of each task's shapes, and what one holds
OPTIONS = {"detect": ("--box", "CLASS X Y W H"), "segment": ("--polygon", "CLASS X1 Y1 X2 Y2 X3 Y3 ..."),
           "obb": ("--obb", "CLASS X1 Y1 X2 Y2 X3 Y3 X4 Y4"), "pose": ("--keypoints", "CLASS X Y W H PX1 PY1 [V1] ...")}


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
    tokens = text.split()
    numbers = 0
    for token in reversed(tokens):  # the class is everything before the trailing numbers
        try:
            float(token)
        except ValueError:
            break
        numbers += 1
    if numbers == 0 or numbers == len(tokens):
        return text
    return " ".join([str(class_id(classes, " ".join(tokens[:-numbers]))), *tokens[-numbers:]])


async def set_labels(
    stores: Stores, dataset: str, split: str, filename: str, boxes: list[str], file: Path | None,
    shapes: dict[str, list[str]] | None = None,
) -> list[Annotation]:
    """Replace the image's labels with shapes from the command line or a label file, validated against the
    classes and the dataset's task.

    ``boxes`` are ``--box`` lines; ``shapes`` maps the other tasks' options (``--polygon``, ``--obb``,
    ``--keypoints``) to their lines. Only the option of the dataset's task is accepted.

    Raises:
        UsageError: lines of another task's option.
        InvalidLabelError: naming the option and its number (1-based) or the file line; nothing is written.
    """
    info = await _dataset(stores, dataset, split, filename)
    classes, task = info.classes, info.task_spec()
    nc = len(classes)
    given = {"--box": boxes, **(shapes or {})}
    own, form = OPTIONS[task.name]
    for option, lines in given.items():
        if lines and option != own:
            raise UsageError(f"dataset {dataset} holds {task.shape.kind}s ({task.describe()}): give them with "
                             f"{own} \"{form}\", not {option}")
    parsed = []
    for number, text in enumerate(given.get(own) or [], start=1):
        parsed.append(parse_line(with_class_id(text, classes), nc=nc, source=f"{own} {number}", task=task))
    if file is not None:
        if not file.is_file():
            raise NotFoundError(f"no such file ({file})")
        try:
            text = file.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            raise InvalidLabelError("label file is not UTF-8 text", source=str(file)) from None
        parsed.extend(parse_text(text, nc=nc, source=str(file), task=task))
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
