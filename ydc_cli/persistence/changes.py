"""The change plan behind ``DatasetStore.apply_changes``, worked out once for every backend.

A backend lists what it stores of the stems a change touches (``involved``), and
``plan_changes`` checks every name, validates every new label against the
resulting class list, trims prompts past it, and returns the plan as operations
on stored names: removals, then moves, then label writes, then classes and
prompts. The backend carries the plan out in one all-or-nothing step of its own
(a journal, a transaction); it decides nothing::

    needed = involved(changes)
    plan = plan_changes(name, changes, images=..., labels=..., classes=..., task=...,
                        stored_prompts=... if needs_stored_prompts(changes) else None)
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ydc_cli.domain import datayaml
from ydc_cli.domain.errors import ConflictError, NotFoundError
from ydc_cli.domain.names import validate_classes
from ydc_cli.persistence.samples import check_annotations
from ydc_cli.persistence.yamlio import parse_prompts

if TYPE_CHECKING:
    from ydc_cli.domain.labels import Box
    from ydc_cli.domain.tasks import Task
    from ydc_cli.persistence.models import DatasetChanges


@dataclass
class ChangePlan:
    """What ``apply_changes`` does, in this order, in the names stored before it began.

    ``label_writes`` are at the splits after the moves; every other entry names
    an image or label as it is stored now. A move's source and target differ.
    """

    image_removals: list[tuple[str, str]] = field(default_factory=list)  # (split, filename)
    label_removals: list[tuple[str, str]] = field(default_factory=list)  # (split, stem)
    image_moves: list[tuple[str, str, str]] = field(default_factory=list)  # (filename, source, target)
    label_moves: list[tuple[str, str, str]] = field(default_factory=list)  # (stem, source, target)
    label_writes: dict[tuple[str, str], list[Box]] = field(default_factory=dict)  # (split, stem) -> boxes
    classes: list[str] | None = None  # the new class list, or None: unchanged
    prompts: dict[int, list[str]] | None = None  # the prompts to store, or None: unchanged

    @property
    def empty(self) -> bool:
        return not (self.image_removals or self.label_removals or self.image_moves or self.label_moves
                    or self.label_writes or self.classes is not None or self.prompts is not None)


def trim_prompts(prompts: Mapping[int, list[str]], nc: int) -> dict[int, list[str]]:
    """The prompts of class ids a list of ``nc`` classes still has."""
    return {class_id: items for class_id, items in prompts.items() if class_id < nc}


def involved(changes: DatasetChanges) -> dict[str, set[str]]:
    """Split -> the stems whose images and labels the plan must know of.

    Raises:
        InvalidInputError: a split is not train, val or test.
    """
    stems: dict[str, set[str]] = {split: set() for split in datayaml.SPLITS}
    for split, filename in changes.removals:
        stems[datayaml.check_split(split)].add(datayaml.stem_of(filename))
    for filename, source, target in changes.moves:
        stem = datayaml.stem_of(filename)
        stems[datayaml.check_split(source)].add(stem)
        stems[datayaml.check_split(target)].add(stem)
    for split, filename in changes.labels:
        stems[datayaml.check_split(split)].add(datayaml.stem_of(filename))
    return stems


def needs_stored_prompts(changes: DatasetChanges) -> bool:
    """Whether the plan trims the stored prompts (the classes change and the prompts are not given)."""
    return changes.classes is not None and changes.prompts is None


def plan_changes(
    dataset: str,
    changes: DatasetChanges,
    *,
    images: Mapping[str, set[str]],
    labels: Mapping[str, set[str]],
    classes: list[str],
    task: Task | None = None,
    stored_prompts: Mapping[int, list[str]] | None = None,
) -> ChangePlan:
    """Check ``changes`` against what is stored and say what to do.

    ``images`` holds, per split, the stored file names of at least every stem
    ``involved`` names, and ``labels`` the stored label stems among them;
    ``classes`` is the stored class list, and ``stored_prompts`` the stored
    prompts when ``needs_stored_prompts``.

    Raises:
        NotFoundError: an image to remove or move is missing.
        ConflictError: a move would land on an existing image or label.
        InvalidInputError: a new class list, prompt or annotation is invalid.
    """
    images = {split: set(images.get(split, ())) for split in datayaml.SPLITS}
    labels = {split: set(labels.get(split, ())) for split in datayaml.SPLITS}
    plan = ChangePlan()
    if changes.classes is not None:
        plan.classes = validate_classes(changes.classes)
    nc = len(plan.classes if plan.classes is not None else classes)

    for split, filename in changes.removals:
        if filename not in images[split]:
            raise NotFoundError(f"no such image ({dataset}/{split}/{filename})")
        images[split].discard(filename)
        plan.image_removals.append((split, filename))
    for split, filename in changes.removals:
        stem = datayaml.stem_of(filename)
        if stem in labels[split] and not any(datayaml.stem_of(f) == stem for f in images[split]):
            labels[split].discard(stem)
            plan.label_removals.append((split, stem))

    moving = []
    for filename, source, target in changes.moves:
        if filename not in images[source]:
            raise NotFoundError(f"no such image ({dataset}/{source}/{filename})")
        if source != target:
            moving.append((filename, source, target))
    carried = set()  # (source split, stem) of labels travelling with their image
    for filename, source, _ in moving:  # vacate every source first, so that moves may swap places
        images[source].discard(filename)
        stem = datayaml.stem_of(filename)
        if stem in labels[source]:
            labels[source].discard(stem)
            carried.add((source, stem))
    moved_from: dict[tuple[str, str], str] = {}  # (target, stem) -> source of a carried label
    for filename, source, target in moving:
        if filename in images[target]:
            raise ConflictError(f"image already exists ({dataset}/{target}/{filename})")
        images[target].add(filename)
        plan.image_moves.append((filename, source, target))
        stem = datayaml.stem_of(filename)
        if (source, stem) in carried:
            if stem in labels[target]:
                raise ConflictError(f"labels already exist ({dataset}/{target}/{stem}.txt)")
            labels[target].add(stem)
            moved_from[target, stem] = source

    for (split, filename), given in changes.labels.items():
        stem = datayaml.stem_of(filename)
        if given is None:
            plan.label_writes.pop((split, stem), None)
            if stem not in labels[split]:
                continue
            labels[split].discard(stem)
            source = moved_from.pop((split, stem), None)
            plan.label_removals.append((split, stem) if source is None else (source, stem))
            continue
        plan.label_writes[split, stem] = check_annotations(given, nc=nc, source=f"{split}/{stem}.txt",
                                                           task=task)
        labels[split].add(stem)
    plan.label_moves = [(stem, source, target) for (target, stem), source in moved_from.items()]

    if changes.prompts is not None:
        plan.prompts = trim_prompts(parse_prompts(changes.prompts, "prompts"), nc)
    elif plan.classes is not None and stored_prompts is not None:
        trimmed = trim_prompts(stored_prompts, nc)
        plan.prompts = trimmed if trimmed != dict(stored_prompts) else None
    return plan
