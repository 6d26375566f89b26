"""Merging datasets: classes reconciled by name, file name collisions renamed deterministically."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from ydc_cli.domain import datayaml
from ydc_cli.domain.errors import ConflictError, InvalidInputError, NotFoundError
from ydc_cli.persistence import Annotation, DatasetInfo, Sample, Stores


@dataclass
class MergeReport:
    """The merged dataset, each source's class mapping, and every renamed file."""

    dataset: DatasetInfo
    mappings: dict[str, dict[str, int]] = field(default_factory=dict)
    renamed: list[tuple[str, str, str, str]] = field(default_factory=list)  # source, split, old, new


def _unique_name(filename: str, source: str, taken: set[str]) -> str:
    stem, dot, ext = filename.rpartition(".")
    candidate = f"{stem}__{source}{dot}{ext}"
    counter = 2
    while datayaml.stem_of(candidate) in taken:
        candidate = f"{stem}__{source}_{counter}{dot}{ext}"
        counter += 1
    return candidate


async def merge_datasets(
    stores: Stores, sources: list[str], into: str, on_sample: Callable[[int], None] | None = None
) -> MergeReport:
    """Create ``into`` holding every image of ``sources``, all or nothing.

    Classes are matched by name (the union, in order of first appearance);
    each source's boxes are renumbered to the merged ids. When two images would
    share a split and stem (and so a label), the later source's file is renamed
    ``<stem>__<source>.<ext>``. Prompts of a class are merged without repeats.
    """
    if len(set(sources)) != len(sources):
        raise InvalidInputError("a dataset is named twice in the merge")
    if await stores.dataset.get(into) is not None:
        raise ConflictError(f"dataset already exists ({into})")
    infos = []
    for source in sources:
        info = await stores.dataset.get(source)
        if info is None:
            raise NotFoundError(f"no such dataset ({source})")
        infos.append(info)
    task = infos[0].task_spec() if infos else None
    for info in infos[1:]:
        if info.task_spec() != task:
            raise InvalidInputError(f"cannot merge {infos[0].name} ({task.describe()}) with {info.name} "
                                    f"({info.task_spec().describe()}): the datasets hold different tasks; "
                                    "`ydc datasets convert` one of them first")
    classes: list[str] = []
    for info in infos:
        classes.extend(c for c in info.classes if c not in classes)
    prompts: dict[int, list[str]] = {}
    mappings: dict[str, dict[str, int]] = {}
    for info in infos:
        mappings[info.name] = {c: classes.index(c) for c in info.classes}
        for class_id, items in (await stores.dataset.get_prompts(info.name)).items():
            merged = prompts.setdefault(classes.index(info.classes[class_id]), [])
            merged.extend(p for p in items if p not in merged)
    report_renamed: list[tuple[str, str, str, str]] = []
    taken: dict[str, set[str]] = {split: set() for split in datayaml.SPLITS}

    async def stream():
        for info in infos:
            ids = [classes.index(c) for c in info.classes]
            async for sample in stores.dataset.iter_samples(info.name):
                filename = sample.filename
                if datayaml.stem_of(filename) in taken[sample.split]:
                    filename = _unique_name(filename, info.name, taken[sample.split])
                    report_renamed.append((info.name, sample.split, sample.filename, filename))
                taken[sample.split].add(datayaml.stem_of(filename))
                annotations = None if sample.annotations is None else [
                    Annotation(ids[a.class_id], a.x, a.y, a.width, a.height, a.points) for a in sample.annotations]
                if on_sample:
                    on_sample(1)
                yield Sample(filename, sample.split, sample.data, annotations)

    merged = await stores.dataset.create_with_samples(into, classes, stream(), dict(sorted(prompts.items())),
                                                      task=task)
    return MergeReport(merged, mappings, report_renamed)
