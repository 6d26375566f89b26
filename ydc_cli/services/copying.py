"""Copying a dataset to another backend or data folder: the same bytes, labels, classes and prompts."""

from __future__ import annotations

from collections.abc import Callable

from ydc_cli.domain.errors import NotFoundError
from ydc_cli.persistence import DatasetInfo, Stores


async def copy_dataset(
    source: Stores, target: Stores, name: str, new_name: str | None = None,
    on_sample: Callable[[int], None] | None = None,
) -> DatasetInfo:
    """Stream ``name`` from ``source`` into a new dataset in ``target``, all or nothing."""
    info = await source.dataset.get(name)
    if info is None:
        raise NotFoundError(f"no such dataset ({name})")
    prompts = await source.dataset.get_prompts(name)

    async def stream():
        async for sample in source.dataset.iter_samples(name):
            if on_sample:
                on_sample(1)
            yield sample

    return await target.dataset.create_with_samples(new_name or name, info.classes, stream(), prompts,
                                                    task=info.task_spec())
