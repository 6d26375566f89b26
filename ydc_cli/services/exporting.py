"""Exporting datasets: a zip, or a YOLO folder that ``yolo train`` reads."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable
from pathlib import Path

from ydc_cli.domain import datayaml
from ydc_cli.domain.errors import ConflictError, NotFoundError
from ydc_cli.domain.labels import format_text
from ydc_cli.persistence import DatasetInfo, Stores, commits, fileio
from ydc_cli.persistence.yamlio import dump_yaml


async def export_dataset(
    stores: Stores, name: str, output_dir: Path, fmt: str = "zip", on_sample: Callable[[int], None] | None = None
) -> Path:
    """Export ``name`` into ``output_dir`` as ``<name>.zip``, a ``<name>/`` YOLO folder or a ``<name>-coco/``
    COCO folder (so one output folder can hold every format at once)."""
    if fmt == "zip":
        return await stores.dataset.export_zip(name, output_dir)
    if fmt == "coco":
        from ydc_cli.services.coco import export_coco

        return await export_coco(stores, name, output_dir, on_sample)
    return await export_yolo_folder(stores, name, output_dir, on_sample, commit=True)


async def export_target(stores: Stores, name: str, output_dir: Path, folder: str | None = None
                        ) -> tuple[DatasetInfo, Path]:
    """The dataset and the new folder ``<output_dir>/<folder>`` (default: the dataset's name) an export
    will write (``output_dir`` made).

    Raises:
        NotFoundError: no such dataset.
        ConflictError: the target folder exists.
    """
    info = await stores.dataset.get(name)
    if info is None:
        raise NotFoundError(f"no such dataset ({name})")
    output_dir = Path(output_dir).absolute()
    target = output_dir / (folder or name)
    if target.exists():
        raise ConflictError(f"the export folder already exists ({target})")
    with fileio.storage_errors(output_dir):
        output_dir.mkdir(parents=True, exist_ok=True)
    return info, target


async def export_yolo_folder(
    stores: Stores, name: str, output_dir: Path, on_sample: Callable[[int], None] | None = None,
    *, commit: bool = False,
) -> Path:
    """Write ``<output_dir>/<name>/`` in the YOLO layout; it appears complete or not at all.

    With ``commit`` the final rename is the command's commit point (``export``); a
    training cache written before a long run is not one, so Ctrl-C still stops the run.

    Raises:
        NotFoundError: no such dataset.
        ConflictError: the target folder exists.
    """
    info, target = await export_target(stores, name, output_dir)
    output_dir = target.parent
    prompts = await stores.dataset.get_prompts(name)
    with (fileio.staging_dir(output_dir) as stage, fileio.storage_errors(target),
          fileio.BackgroundSync() as syncer):
        for kind in ("images", "labels"):
            for split in datayaml.SPLITS:
                (stage / kind / split).mkdir(parents=True)
        async for sample in stores.dataset.iter_samples(name):
            image = stage / "images" / sample.split / sample.filename
            syncer.write(image, sample.data, exclusive=True)
            if sample.annotations is not None:
                text = format_text((a.class_id, a.x, a.y, a.width, a.height) for a in sample.annotations)
                label = stage / "labels" / sample.split / datayaml.label_name_for(sample.filename)
                syncer.write(label, text.encode("utf-8"), exclusive=True)
            if on_sample:
                on_sample(1)
        fileio.write_new_file(stage / "data.yaml", dump_yaml(datayaml.build(str(target), info.classes)))
        if prompts:
            fileio.write_new_file(stage / "prompts.yaml", dump_yaml(prompts))
        syncer.wait()
        for folder in [stage, *(stage / k / s for k in ("images", "labels") for s in datayaml.SPLITS)]:
            fileio.fsync_dir(folder)
        with commits.point() if commit else contextlib.nullcontext():
            os.rename(stage, target)
        fileio.fsync_dir(output_dir)
    return target
