"""Class list and prompt changes that keep labels and prompts consistent.

Class ids are positions in the class list, so removing or reordering a class
renumbers boxes: every label is rewritten together with the class list and
the prompts, in one ``apply_changes``, all or nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from ydc_cli.domain.errors import InvalidInputError, NotFoundError
from ydc_cli.domain.names import printable, validate_classes
from ydc_cli.persistence import Annotation, DatasetChanges, Stores
from ydc_cli.persistence.yamlio import parse_prompts, parse_yaml


@dataclass
class ClassChange:
    """What a class change did."""

    classes: list[str]
    remapped_boxes: int = 0
    dropped_boxes: int = 0
    dropped_images: int = 0
    rewritten_labels: int = 0
    mapping: dict[int, int | None] = field(default_factory=dict)


async def _classes_of(stores: Stores, name: str) -> list[str]:
    info = await stores.dataset.get(name)
    if info is None:
        raise NotFoundError(f"no such dataset ({name})")
    return info.classes


def _index(classes: list[str], name: str) -> int:
    if name in classes:
        return classes.index(name)
    raise NotFoundError(f"no such class ({printable(name)})")


def plan_classes(
    classes: list[str],
    add: list[str],
    renames: list[tuple[str, str]],
    remove: list[str],
    remap_to: str | None,
    reorder: list[str] | None,
) -> tuple[list[str], dict[int, int | None]]:
    """The new class list and the old-id -> new-id mapping (``None``: boxes dropped)."""
    names = classes_after_renames(classes, renames) + list(add)
    validate_classes(names)
    target: int | None = None
    if remap_to is not None:
        if not remove:
            raise InvalidInputError("--remap-to needs --remove")
        target = _index(names, remap_to)
        if remap_to in remove:
            raise InvalidInputError(f"cannot remap a removed class onto itself ({printable(remap_to)})")
    removed = {_index(names, name) for name in remove}
    kept = [i for i in range(len(names)) if i not in removed]
    if reorder is not None:
        wanted = [names[i] for i in kept]
        if sorted(reorder) != sorted(wanted):
            raise InvalidInputError(f"--reorder must list each class once: {', '.join(wanted)}")
        kept = [names.index(name) for name in reorder]
    position = {old: new for new, old in enumerate(kept)}
    mapping: dict[int, int | None] = {}
    for old in range(len(classes)):
        mapping[old] = position[target] if old in removed and target is not None else position.get(old)
    return [names[i] for i in kept], mapping


async def change_classes(
    stores: Stores,
    name: str,
    add: list[str] | None = None,
    renames: list[tuple[str, str]] | None = None,
    remove: list[str] | None = None,
    remap_to: str | None = None,
    reorder: list[str] | None = None,
    confirm_drop: Callable[[ClassChange], None] | None = None,
) -> ClassChange:
    """Change the class list; labels and prompts follow their class, all or nothing.

    When boxes would be dropped (``remove`` without ``remap_to``), ``confirm_drop``
    is called with the counts before anything is written; it raises to refuse.
    """
    classes = await _classes_of(stores, name)
    new_classes, mapping = plan_classes(classes, add or [], renames or [], remove or [], remap_to, reorder)
    result = ClassChange(new_classes, mapping=mapping)
    if new_classes == classes:
        return result
    if all(mapping[i] == i for i in mapping):
        await stores.dataset.update_classes(name, new_classes)
        return result
    labels: dict[tuple[str, str], list[Annotation] | None] = {}
    async for label in stores.dataset.iter_labels(name):
        rewritten = []
        dropped = result.dropped_boxes
        for box in label.annotations:
            new_id = mapping.get(box.class_id)
            if new_id is None:
                result.dropped_boxes += 1
                continue
            if new_id != box.class_id:
                result.remapped_boxes += 1
            rewritten.append(Annotation(new_id, box.x, box.y, box.width, box.height, box.points))
        if rewritten != label.annotations:
            labels[(label.split, label.filename)] = rewritten
        if result.dropped_boxes > dropped:
            result.dropped_images += 1
    prompts = await stores.dataset.get_prompts(name)
    names = classes_after_renames(classes, renames or []) + list(add or [])
    removed = {_index(names, r) for r in remove or []}
    moved_prompts = {mapping[old]: p for old, p in prompts.items()
                     if old not in removed and mapping.get(old) is not None}
    result.rewritten_labels = len(labels)
    if result.dropped_boxes and confirm_drop is not None:
        confirm_drop(result)
    await stores.dataset.apply_changes(name, DatasetChanges(labels=labels, classes=new_classes,
                                                            prompts=moved_prompts))
    return result


def classes_after_renames(classes: list[str], renames: list[tuple[str, str]]) -> list[str]:
    names = list(classes)
    for old, new in renames:
        names[_index(names, old)] = new
    return names


async def change_prompts(
    stores: Stores, name: str, pairs: list[tuple[str, list[str]]], file: Path | None
) -> tuple[dict[int, list[str]], list[str]]:
    """Set prompts from ``CLASS=...`` pairs (class by id or name) and/or a YAML file."""
    classes = await _classes_of(stores, name)
    prompts = dict(await stores.dataset.get_prompts(name))
    if file is not None:
        if not file.is_file():
            raise NotFoundError(f"no such file ({file})")
        prompts.update(parse_prompts(parse_yaml(file.read_bytes(), str(file)), str(file)))
    for key, values in pairs:
        class_id = int(key) if key.isdigit() else (classes.index(key) if key in classes else -1)
        if not 0 <= class_id < len(classes):
            raise InvalidInputError(f"no such class ({key})")
        prompts[class_id] = values
    for class_id in prompts:
        if not 0 <= class_id < len(classes):
            raise InvalidInputError(f"prompts name class id {class_id}, but the dataset has {len(classes)} classes")
    if file is not None or pairs:
        await stores.dataset.save_prompts(name, prompts)
    return dict(sorted(prompts.items())), classes
