"""Choosing images by split, label state and class: ``images list`` and ``datasets subset``.

An image is in one of three label states (``ImageRow.labels``): ``boxes``,
``background`` (an empty label file: a confirmed background) or ``none`` (no
label file). The state comes with the listing; choosing by class needs the
boxes themselves, so the labels are then read once, through
``DatasetStore.iter_label_texts``, and lines that do not parse are left out
(``datasets validate`` reports them).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from ydc_cli.domain import datayaml
from ydc_cli.domain.errors import ConflictError, NotFoundError, UsageError
from ydc_cli.domain.names import class_ids
from ydc_cli.persistence import DatasetInfo, Stores
from ydc_cli.persistence.dataset_store import readable_class_ids
from ydc_cli.persistence.models import BACKGROUND, BOXES, NO_LABEL, ImageRow


@dataclass(frozen=True)
class Selection:
    """Which images to take.

    ``split`` narrows the choice to one split. ``unlabeled`` (no label file),
    ``background`` (an empty label file) and ``classes`` (names or ids: at
    least one box of one of them) each admit images, and an image is taken
    when any of them admits it; with none of them every image is taken.
    """

    split: str | None = None
    unlabeled: bool = False
    background: bool = False
    classes: tuple[str, ...] = ()

    @property
    def filtered(self) -> bool:
        return self.unlabeled or self.background or bool(self.classes)



async def select_images(stores: Stores, dataset: str, selection: Selection, *, sizes: bool = False
                        ) -> list[ImageRow]:
    """The dataset's images that ``selection`` takes, as listing rows in listing order.

    Every row's ``labels`` is filled in. Without ``classes`` this is one
    ``list_rows`` call, which every backend answers without reading a label;
    ``classes`` adds one read of every label of the split.

    Raises:
        NotFoundError: no such dataset or class.
    """
    rows = await stores.image.list_rows(dataset, selection.split, sizes=sizes)
    wanted: set[int] = set()
    if selection.classes:
        wanted = class_ids((await _info(stores, dataset)).classes, selection.classes)
    holding: set[tuple[str, str]] = set()
    unknown = any(row.labels is None for row in rows)  # a backend whose listing tells has_labels only
    if wanted or unknown:
        holding, states = await _read_labels(stores, dataset, selection.split, wanted)
        if unknown:
            rows = [row if row.labels is not None else row._replace(labels=states.get(_label_key(row), NO_LABEL))
                    for row in rows]
    if not selection.filtered:
        return rows
    taken = {BACKGROUND} if selection.background else set()
    if selection.unlabeled:
        taken.add(NO_LABEL)
    return [row for row in rows if row.labels in taken or (row.labels == BOXES and _label_key(row) in holding)]


@dataclass
class SubsetPlan:
    """What ``datasets subset`` will copy: the images chosen, before anything is written."""

    source: DatasetInfo
    into: str
    split: str | None
    selected: int  # how many images the split and classes chose
    sample: int | None  # how many were asked for with --sample
    chosen: list[tuple[str, str]] = field(default_factory=list)  # (split, filename), in listing order


@dataclass
class SubsetReport:
    """The new dataset, and how many images were selected, asked for and taken."""

    dataset: DatasetInfo
    source: str
    selected: int
    sample: int | None
    taken: int


async def plan_subset(
    stores: Stores, name: str, into: str, *, split: str | None = None, classes: Sequence[str] = (),
    sample: int | None = None, seed: int = 0,
) -> SubsetPlan:
    """Choose the images of ``name`` for a new dataset ``into``; nothing is written.

    ``split`` and ``classes`` select as ``select_images`` does; ``sample``
    then draws that many of them with ``random.Random(seed)`` (the same seed,
    the same subset). When fewer are selected, all of them are taken: the
    plan's ``selected`` says how many there were.

    Raises:
        ConflictError: ``into`` exists.
        NotFoundError: no such dataset or class, or no image is selected.
        UsageError: ``sample`` is below 1.
    """
    if sample is not None and sample < 1:
        raise UsageError(f"--sample must be at least 1 ({sample})")
    if await stores.dataset.get(into) is not None:
        raise ConflictError(f"dataset already exists ({into})")
    info = await _info(stores, name)
    rows = await select_images(stores, name, Selection(split=split, classes=tuple(classes)))
    if not rows:
        where = f"{name}/{split}" if split else name
        detail = f" with a box of class {', '.join(classes)}" if classes else ""
        raise NotFoundError(f"no images{detail} to take ({where})")
    chosen = [(row.split, row.filename) for row in rows]
    if sample is not None and sample < len(chosen):
        import random

        chosen = [chosen[i] for i in sorted(random.Random(seed).sample(range(len(chosen)), sample))]
    return SubsetPlan(info, into, split, len(rows), sample, chosen)


async def make_subset(stores: Stores, plan: SubsetPlan, on_sample: Callable[[int], None] | None = None
                      ) -> SubsetReport:
    """Create the planned dataset, all or nothing: the chosen images with their label files as they are
    (all the boxes; an empty label stays empty, no label stays none), the same classes and prompts.

    Raises:
        ConflictError: the new name was taken meanwhile; nothing is written.
    """
    name = plan.source.name
    wanted = set(plan.chosen)
    splits = [s for s in datayaml.SPLITS if any(split == s for split, _ in plan.chosen)]

    async def stream():
        left = len(wanted)
        for current in splits:
            async for sample in stores.dataset.iter_samples(name, current):
                if (sample.split, sample.filename) in wanted:
                    if on_sample:
                        on_sample(1)
                    yield sample
                    left -= 1
                    if not left:
                        return

    prompts = await stores.dataset.get_prompts(name)
    created = await stores.dataset.create_with_samples(plan.into, plan.source.classes, stream(), prompts,
                                                       task=plan.source.task_spec())
    return SubsetReport(created, name, plan.selected, plan.sample, len(plan.chosen))


async def _info(stores: Stores, name: str) -> DatasetInfo:
    info = await stores.dataset.get(name)
    if info is None:
        raise NotFoundError(f"no such dataset ({name})")
    return info


def _label_key(row: ImageRow) -> tuple[str, str]:
    return row.split, datayaml.label_name_for(row.filename)


async def _read_labels(stores: Stores, dataset: str, split: str | None, wanted: set[int]
                       ) -> tuple[set[tuple[str, str]], dict[tuple[str, str], str]]:
    """One read of every label: those holding a box of a ``wanted`` class, and each one's state."""
    holding, states = set(), {}
    task = (await _info(stores, dataset)).task_spec()
    async for label_split, label_name, text in stores.dataset.iter_label_texts(dataset, split):
        ids, unreadable = readable_class_ids(text, task)
        states[label_split, label_name] = BOXES if ids or unreadable else BACKGROUND
        if not wanted.isdisjoint(ids):
            holding.add((label_split, label_name))
    return holding, states
