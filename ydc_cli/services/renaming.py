"""Renaming a dataset: its images, labels, classes and prompts keep their place, and its models follow."""

from __future__ import annotations

from dataclasses import dataclass, field

from ydc_cli.domain.errors import ConflictError, NotFoundError
from ydc_cli.domain.names import validate_dataset_name
from ydc_cli.persistence import DatasetInfo, Stores


@dataclass
class RenameReport:
    """The dataset under its new name, and the models whose ``dataset_name`` followed it."""

    dataset: DatasetInfo
    old_name: str
    models: list[str] = field(default_factory=list)


async def rename_dataset(stores: Stores, old: str, new: str) -> RenameReport:
    """Rename ``old`` to ``new``, then re-point the models registered on ``old``.

    The dataset is renamed in one atomic step on each backend and its models in a
    second one: a crash between the two leaves those models naming the old name
    (``models show`` tells). Every check runs before either step.

    Raises:
        NotFoundError: no dataset ``old``.
        ConflictError: a dataset ``new`` exists.
        InvalidNameError: ``new`` is not a valid dataset name.
    """
    validate_dataset_name(new)
    if await stores.dataset.get(old) is None:
        raise NotFoundError(f"no such dataset ({old})")
    if await stores.dataset.get(new) is not None:
        raise ConflictError(f"dataset already exists ({new})")
    info = await stores.dataset.rename(old, new)
    models = await stores.model.rename_dataset(old, new)
    return RenameReport(info, old, models)
