"""Exporting datasets in any registered format (``ydc_cli.formats``) that writes."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from ydc_cli import formats
from ydc_cli.formats.base import export_folder
from ydc_cli.persistence import Stores


async def export_dataset(
    stores: Stores, name: str, output_dir: Path, fmt: str = "zip", on_sample: Callable[[int], None] | None = None
) -> Path:
    """Export ``name`` into ``output_dir`` under the format's own name (``<name>.zip``, ``<name>/``,
    ``<name>-coco/``...), so one output folder can hold every format at once.

    Raises:
        UsageError: no such export format.
        NotFoundError: no such dataset.
        ConflictError: the target exists.
    """
    return await formats.get(fmt, writing=True).export(stores, name, output_dir, on_sample)


async def export_yolo_folder(
    stores: Stores, name: str, output_dir: Path, on_sample: Callable[[int], None] | None = None,
    *, commit: bool = False,
) -> Path:
    """Write ``<output_dir>/<name>/`` in the YOLO layout; it appears complete or not at all.

    With ``commit`` the final rename is the command's commit point (``export``); a
    training cache written before a long run is not one, so Ctrl-C still stops the run.
    """
    return await export_folder(formats.get("yolo", writing=True), stores, name, output_dir, on_sample,
                               commit=commit)
