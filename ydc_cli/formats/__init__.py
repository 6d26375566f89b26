"""Dataset formats, one module each, and the registry that finds them.

Every module of this package but ``base`` defines one :class:`~ydc_cli.formats.base.Format`
subclass; the registry imports them all (they import only the standard library at
the top) and orders them by ``priority`` for detection. ``--format``, detection, the
help text and the "cannot import this" line all read this registry, so a new format
is one new file.
"""

from __future__ import annotations

import functools
import importlib
import pkgutil
from pathlib import Path

from ydc_cli.formats.base import Format, Reading, ReadOptions

__all__ = ["Format", "ReadOptions", "Reading", "all_formats", "detect", "get", "readers", "writers"]


@functools.cache
def all_formats() -> tuple[Format, ...]:
    """One instance of every format, in detection order."""
    found = []
    for module in pkgutil.iter_modules(__path__):
        if module.name == "base" or module.name.startswith("_"):
            continue
        loaded = importlib.import_module(f"{__name__}.{module.name}")
        found += [value() for value in vars(loaded).values()
                  if isinstance(value, type) and issubclass(value, Format) and value is not Format
                  and value.__module__ == loaded.__name__]
    return tuple(sorted(found, key=lambda f: (f.priority, f.name)))


def readers() -> list[Format]:
    return [f for f in all_formats() if f.reads]


def writers() -> list[Format]:
    return [f for f in all_formats() if f.writes]


def get(name: str, *, writing: bool = False) -> Format:
    """The format called ``name``.

    Raises:
        UsageError: no such format (or it cannot be written, with ``writing``).
    """
    from ydc_cli.domain.errors import UsageError

    choices = writers() if writing else readers()
    for fmt in choices:
        if fmt.name == name.lower():
            return fmt
    raise UsageError(f"unknown {'export' if writing else 'import'} format {name!r}: use "
                     f"{', '.join(f.name for f in choices)}")


def detect(path: Path) -> Format:
    """The format of the file or folder at ``path``.

    Raises:
        NotFoundError: nothing at ``path``.
        InvalidDatasetError: no format recognises it (the message lists what is accepted).
    """
    from ydc_cli.domain.errors import InvalidDatasetError, NotFoundError

    if not path.exists():
        raise NotFoundError(f"no such file or folder ({path})")
    for fmt in readers():
        if fmt.detect(path):
            return fmt
    raise InvalidDatasetError(f"{_what_is_there(path)}; ydc imports {accepted()} ({path})")


def accepted() -> str:
    """Every importable layout, in one phrase."""
    return "; ".join(f"{f.title} ({f.layout})" for f in readers())


def _what_is_there(path: Path) -> str:
    from ydc_cli.domain import datayaml

    if not path.is_dir():
        return "not a dataset file this version reads"
    images = sum(1 for p in path.iterdir() if p.is_file() and datayaml.is_image_name(p.name))
    if images:
        files = f"{images} image file{'s' if images != 1 else ''}"
        return (f"no data.yaml or annotation files, but {files} at the top: for loose images (with YOLO .txt "
                f"labels beside them or not) run `ydc datasets create NAME --classes a,b` then "
                f"`ydc images add NAME {path}`")
    return "no data.yaml or annotation files in the folder"
