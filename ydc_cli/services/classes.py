"""Class list and prompt changes that keep labels and prompts consistent."""

from __future__ import annotations

from pathlib import Path

from ydc_cli.domain.errors import InvalidInputError, NotFoundError
from ydc_cli.persistence import Stores
from ydc_cli.persistence.yamlio import parse_prompts, parse_yaml


async def _classes_of(stores: Stores, name: str) -> list[str]:
    info = await stores.dataset.get(name)
    if info is None:
        raise NotFoundError(f"no such dataset ({name})")
    return info.classes


async def change_classes(stores: Stores, name: str, add: list[str], renames: list[tuple[str, str]]) -> list[str]:
    """Append and rename classes (ids of existing classes stay); returns the new list."""
    classes = list(await _classes_of(stores, name))
    for old, new in renames:
        if old not in classes:
            raise NotFoundError(f"no such class ({old})")
        classes[classes.index(old)] = new
    classes.extend(add)
    if add or renames:
        await stores.dataset.update_classes(name, classes)
    return classes


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
