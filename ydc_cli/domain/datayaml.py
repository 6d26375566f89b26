"""Rules of the YOLO ``data.yaml`` file and of dataset splits.

ydc writes ``path`` (absolute), ``train``/``val``/``test`` (``images/<split>``),
``nc`` and ``names`` as a ``{id: name}`` mapping, which is what
``yolo train data=...`` reads. Reading is lenient: ``names`` may be a list
or a mapping, ``nc`` may be missing, and a ``valid`` split is read as ``val``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ydc_cli.domain.errors import InvalidDatasetError
from ydc_cli.domain.names import validate_classes

if TYPE_CHECKING:
    from ydc_cli.domain.tasks import Task

SPLITS = ("train", "val", "test")
MAX_YAML_BYTES = 1 << 20
IMAGE_EXTENSIONS = frozenset({"bmp", "dng", "jpeg", "jpg", "mpo", "png", "tif", "tiff", "webp", "pfm"})
IMAGE_SUFFIXES = tuple(f".{extension}" for extension in sorted(IMAGE_EXTENSIONS))  # for str.endswith, lower-cased names
SPLIT_ALIASES = {"train": "train", "val": "val", "valid": "val", "validation": "val", "test": "test"}


def check_split(split: object) -> str:
    """Return ``split`` if it is train, val or test, else raise InvalidDatasetError."""
    if split not in SPLITS:
        raise InvalidDatasetError(f"unknown split {split!r}: use one of {', '.join(SPLITS)}")
    return split  # type: ignore[return-value]


def is_image_name(filename: str) -> bool:
    """True when the file name has an image extension ultralytics trains on."""
    return filename.rpartition(".")[2].lower() in IMAGE_EXTENSIONS and "." in filename


def label_name_for(filename: str) -> str:
    """The label file that belongs to an image: ``img.jpg`` -> ``img.txt``."""
    stem = filename.rsplit(".", 1)[0] if "." in filename else filename
    return stem + ".txt"


def stem_of(filename: str) -> str:
    """The image's stem, the key that pairs it with its label."""
    return filename.rsplit(".", 1)[0] if "." in filename else filename


def build(classes: list[str], task: Task | None = None) -> dict[str, Any]:
    """The data.yaml mapping ydc writes: split folders relative to the file (no ``path``, so the
    folder can be moved; ultralytics resolves the splits against the YAML's folder), and the
    task's keys (``task``, pose's ``kpt_shape`` and ``flip_idx``) for every task but detect."""
    return {
        "train": "images/train",
        "val": "images/val",
        "test": "images/test",
        "nc": len(classes),
        "names": dict(enumerate(classes)),
        **(task.yaml_keys() if task is not None else {}),
    }


def classes_from(data: object, source: str = "data.yaml") -> list[str]:
    """Read the class list from a parsed data.yaml mapping.

    ``names`` may be a list or a mapping with ids ``0..n-1``; names that YAML
    turned into other scalars (``yes``, ``null``, ``1``) are read back as the
    text the user wrote where that is unambiguous.

    Raises:
        InvalidDatasetError: when ``names`` is missing, has gaps, or disagrees with ``nc``.
    """
    if not isinstance(data, dict):
        raise InvalidDatasetError(f"data.yaml is not a mapping ({source})")
    names = data.get("names")
    if names is None:
        nc = data.get("nc")
        if isinstance(nc, int) and not isinstance(nc, bool) and 0 <= nc <= 100_000:
            return [f"class{i}" for i in range(nc)]
        raise InvalidDatasetError(f"data.yaml has no 'names' ({source})")
    if isinstance(names, list):
        classes = [_class_text(n) for n in names]
    elif isinstance(names, dict):
        try:
            ids = sorted(int(k) for k in names)
        except (TypeError, ValueError):
            raise InvalidDatasetError(f"data.yaml 'names' keys must be class ids ({source})") from None
        if ids != list(range(len(ids))):
            raise InvalidDatasetError(f"data.yaml 'names' ids must be 0..{len(ids) - 1} without gaps ({source})")
        by_id = {int(k): v for k, v in names.items()}
        classes = [_class_text(by_id[i]) for i in ids]
    else:
        raise InvalidDatasetError(f"data.yaml 'names' must be a list or a mapping ({source})")
    nc = data.get("nc")
    if nc is not None and nc != len(classes):
        raise InvalidDatasetError(f"data.yaml says nc={nc} but lists {len(classes)} names ({source})")
    return validate_classes(classes)


def _class_text(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, (int, float, str)):
        return str(value)
    raise InvalidDatasetError(f"class name must be text, got {type(value).__name__}")
