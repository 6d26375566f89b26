"""Boxes and images per class and split: the table ``datasets info`` shows after its fields.

The counting is the store's (``DatasetStore.class_counts``: one GROUP BY on
SQLite, a read of every label file on the filesystem); this module names the
classes and adds the totals.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ydc_cli.domain import datayaml
from ydc_cli.domain.errors import NotFoundError
from ydc_cli.persistence import DatasetInfo, Stores

TOTAL = "total"


@dataclass
class ClassTable:
    """Per class name: per split and ``total``, ``{"boxes": n, "images": n}``.

    An image counts for a class when it holds at least one box of it, so the
    images of a row do not add up across classes; ``all_classes`` gives the
    boxes of every class and the images holding any box. Class ids past the
    class list (a label ``validate`` reports) get rows named ``#<id> (unknown)``.
    """

    per_class: dict[str, dict[str, dict[str, int]]] = field(default_factory=dict)
    all_classes: dict[str, dict[str, int]] = field(default_factory=dict)
    unreadable_lines: int = 0


@dataclass
class DatasetOverview:
    """``datasets info``: the dataset's fields and its class table."""

    info: DatasetInfo
    classes: ClassTable


async def dataset_overview(stores: Stores, name: str) -> DatasetOverview:
    """The dataset and its boxes and images per class and split.

    Raises:
        NotFoundError: no such dataset.
    """
    info = await stores.dataset.get(name)
    if info is None:
        raise NotFoundError(f"no such dataset ({name})")
    counts = await stores.dataset.class_counts(name)
    ids = sorted(set(range(len(info.classes))).union(*(counts.boxes[s].keys() for s in datayaml.SPLITS)))
    table = ClassTable(unreadable_lines=counts.unreadable_lines)
    for class_id in ids:
        label = info.classes[class_id] if class_id < len(info.classes) else f"#{class_id} (unknown)"
        row = {split: {"boxes": counts.boxes[split][class_id], "images": counts.images[split][class_id]}
               for split in datayaml.SPLITS}
        row[TOTAL] = _sum(row.values())
        table.per_class[label] = row
    every = {split: {"boxes": sum(counts.boxes[split].values()), "images": counts.labeled[split]}
             for split in datayaml.SPLITS}
    every[TOTAL] = _sum(every.values())
    table.all_classes = every
    return DatasetOverview(info, table)


def _sum(cells) -> dict[str, int]:
    cells = list(cells)
    return {"boxes": sum(c["boxes"] for c in cells), "images": sum(c["images"] for c in cells)}
