"""Validation of the names users give to datasets, models, classes and files.

A name becomes a path component (filesystem backend) or a key (SQLite
backend); every backend refuses the same names so data moves freely between them.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence

from ydc_cli.domain.errors import InvalidNameError, NotFoundError

MAX_NAME_BYTES = 255
# Names Windows refuses as file names; refusing them keeps exported archives portable.
_RESERVED = {"con", "prn", "aux", "nul"} | {f"com{i}" for i in range(1, 10)} | {f"lpt{i}" for i in range(1, 10)}


def printable(text: str) -> str:
    """Return ``text`` safe to echo on a terminal: control characters escaped."""
    if text.isprintable():  # no control, format or separator characters but the space: nothing to escape
        return text
    return "".join(
        ch if unicodedata.category(ch)[0] != "C" else ch.encode("unicode_escape").decode("ascii")
        for ch in text
    )


def validate_name(name: object, kind: str = "name") -> str:
    """Return ``name`` when it is safe as one path component, else raise.

    Refused: non-strings, empty names, ``.`` and ``..``, path separators,
    control characters, names over 255 bytes in UTF-8, leading or trailing
    whitespace, and reserved device names.

    Raises:
        InvalidNameError: naming ``kind`` and the (escaped) name.
    """
    if not isinstance(name, str):
        raise InvalidNameError(f"{kind} must be a string ({name!r})")
    shown = printable(name)
    if not name:
        raise InvalidNameError(f"{kind} is empty")
    if name in {".", ".."}:
        raise InvalidNameError(f"{kind} cannot be '.' or '..' ({shown})")
    if "/" in name or "\\" in name:
        raise InvalidNameError(f"{kind} cannot contain a path separator ({shown})")
    if any(unicodedata.category(ch)[0] == "C" for ch in name):
        raise InvalidNameError(f"{kind} cannot contain control characters ({shown})")
    if len(name.encode("utf-8")) > MAX_NAME_BYTES:
        raise InvalidNameError(f"{kind} is longer than {MAX_NAME_BYTES} bytes ({shown[:40]}...)")
    if name != name.strip():
        raise InvalidNameError(f"{kind} cannot start or end with whitespace ({shown})")
    if name.split(".")[0].lower() in _RESERVED:
        raise InvalidNameError(f"{kind} is a reserved device name ({shown})")
    return name


def validate_dataset_name(name: object) -> str:
    """Validate a dataset name; a leading dot is refused (hidden, and ydc's own)."""
    validate_name(name, "dataset name")
    assert isinstance(name, str)
    if name.startswith("."):
        raise InvalidNameError(f"dataset name cannot start with '.' ({printable(name)})")
    return name


def validate_model_name(name: object) -> str:
    """Validate a model name; a leading dot is refused (hidden, and ydc's own)."""
    validate_name(name, "model name")
    assert isinstance(name, str)
    if name.startswith("."):
        raise InvalidNameError(f"model name cannot start with '.' ({printable(name)})")
    return name


def validate_filename(name: object) -> str:
    """Validate an image file name: one component with a stem and an extension."""
    validate_name(name, "file name")
    assert isinstance(name, str)
    if name.startswith("."):
        raise InvalidNameError(f"file name cannot start with '.' ({printable(name)})")
    return name


def validate_class_name(name: object) -> str:
    """Validate a class name: printable, non-empty, at most 255 bytes.

    Class names live inside data.yaml, not in paths, so separators are allowed.
    """
    if not isinstance(name, str):
        raise InvalidNameError(f"class name must be a string ({name!r})")
    if not name or name != name.strip():
        raise InvalidNameError(f"class name is empty or padded with whitespace ({printable(name)!r})")
    if any(unicodedata.category(ch)[0] == "C" for ch in name):
        raise InvalidNameError(f"class name cannot contain control characters ({printable(name)})")
    if len(name.encode("utf-8")) > MAX_NAME_BYTES:
        raise InvalidNameError(f"class name is longer than {MAX_NAME_BYTES} bytes ({printable(name)[:40]}...)")
    return name


def validate_classes(classes: list[str]) -> list[str]:
    """Validate a class list: each name valid, no duplicates. Returns a copy."""
    seen: set[str] = set()
    for name in classes:
        validate_class_name(name)
        if name in seen:
            raise InvalidNameError(f"class name appears twice ({printable(name)})")
        seen.add(name)
    return list(classes)


def class_id(classes: Sequence[str], item: str) -> int:
    """The id of one class typed by a user: a class name, or a class id (a name wins).

    Raises:
        NotFoundError: the dataset has no such class.
    """
    if item in classes:
        return classes.index(item)
    if item.strip().isdigit() and int(item) < len(classes):
        return int(item)
    raise NotFoundError(f"no such class ({printable(item)}): the classes are {', '.join(classes) or 'none'}")


def class_ids(classes: Sequence[str], wanted: Sequence[str]) -> set[int]:
    """The ids of ``wanted`` classes, each a class name or a class id (see :func:`class_id`)."""
    return {class_id(classes, item) for item in wanted}
