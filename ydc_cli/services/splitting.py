"""Seeded, deterministic splits: exact counts, optional stratification and grouping.

Counts come from the largest remainder method, so 0.8/0.2 of 101 images is
81/20 exactly. Units (one image, or every image of a ``--group-by`` group) are
dealt in a seeded order to the split furthest below its share, which keeps
every stratum (images grouped by their rarest class) spread in proportion.
Labels move with their images, in one all-or-nothing change.
"""

from __future__ import annotations

import random
import re
from collections import Counter
from dataclasses import dataclass, field

from ydc_cli.domain import datayaml
from ydc_cli.domain.errors import NotFoundError, UsageError
from ydc_cli.domain.names import printable
from ydc_cli.persistence import DatasetChanges, Stores


@dataclass
class SplitReport:
    """Image counts per split before and after, and how many images moved."""

    before: dict[str, int]
    after: dict[str, int]
    moved: int
    groups: int
    kept: list[str] = field(default_factory=list)


def check_shares(ratios: dict[str, float]) -> None:
    """Shares are fractions of the images being split: each in [0, 1], together exactly 1.

    Raises:
        UsageError: naming the shares and their sum (``--train 0.5 --val 0.6`` is 1.1, not a split).
    """
    if any(not 0.0 <= r <= 1.0 for r in ratios.values()) or abs(sum(ratios.values()) - 1.0) > 1e-6:
        shown = " + ".join(f"--{split} {share:g}" for split, share in ratios.items())
        raise UsageError(f"split shares must each be between 0 and 1 and sum to 1, got {shown} = "
                         f"{sum(ratios.values()):g}" + (" (shares of kept splits do not count)" if len(ratios) < 3
                                                        else ""))


def largest_remainder(total: int, ratios: dict[str, float]) -> dict[str, int]:
    """Whole counts summing to ``total`` in proportion to ``ratios`` (ties go to the earlier split)."""
    weight = sum(ratios.values())
    exact = {split: total * ratio / weight for split, ratio in ratios.items()}
    counts = {split: int(value) for split, value in exact.items()}
    order = sorted(ratios, key=lambda s: (-(exact[s] - counts[s]), list(ratios).index(s)))
    for split in order[: total - sum(counts.values())]:
        counts[split] += 1
    return counts


def deal(units: list[list[str]], targets: dict[str, int]) -> list[str]:
    """Assign each unit to a split: the one furthest below its share so far, never past its target
    when another split has room."""
    total = sum(targets.values())
    assigned = dict.fromkeys(targets, 0)
    choices = []
    done = 0
    for unit in units:
        size = len(unit)
        room = [s for s in targets if assigned[s] + size <= targets[s]]
        candidates = room or [max(targets, key=lambda s: (targets[s] - assigned[s], -list(targets).index(s)))]
        share = (done + size) / total if total else 1.0
        best = max(candidates, key=lambda s: (targets[s] * share - assigned[s], -list(targets).index(s)))
        choices.append(best)
        assigned[best] += size
        done += size
    return choices


async def split_dataset(
    stores: Stores,
    name: str,
    ratios: dict[str, float],
    seed: int = 0,
    stratify: bool = False,
    keep: list[str] | None = None,
    group_by: str | None = None,
) -> SplitReport:
    """Re-split a dataset's images (those not in ``keep``) by ``ratios``."""
    keep = [datayaml.check_split(k) for k in keep or []]
    ratios = {s: r for s, r in ratios.items() if s not in keep}
    check_shares(ratios)
    pattern = None
    if group_by is not None:
        try:
            pattern = re.compile(group_by)
        except re.error as exc:
            raise UsageError(f"--group-by is not a valid regular expression: {exc}") from None
    info = await stores.dataset.get(name)
    if info is None:
        raise NotFoundError(f"no such dataset ({name})")
    images = [i for i in await stores.image.list(name) if i.split not in keep]
    classes_of: dict[tuple[str, str], set[int]] = {}
    if stratify:
        async for label in stores.dataset.iter_labels(name):
            classes_of[(label.split, datayaml.stem_of(label.filename))] = {b.class_id for b in label.annotations}

    groups: dict[str, list[tuple[str, str]]] = {}
    matched = 0
    for image in sorted(images, key=lambda i: (i.filename, i.split)):
        key = datayaml.stem_of(image.filename)
        if pattern is not None and (found := pattern.search(image.filename)):
            key = "\0" + (found.group(1) if found.groups() else found.group(0))
            matched += 1
        groups.setdefault(key, []).append((image.split, image.filename))
    if pattern is not None and images and not matched:
        example = min(i.filename for i in images)
        raise UsageError(f"--group-by matches no file name (e.g. {printable(example)}) ({printable(group_by)})")
    rng = random.Random(seed)
    order = sorted(groups)
    rng.shuffle(order)
    if stratify:
        presence = Counter(c for members in groups.values() for split, f in members
                           for c in classes_of.get((split, datayaml.stem_of(f)), set()))

        def stratum(key: str) -> tuple[int, int]:
            present = {c for split, f in groups[key] for c in classes_of.get((split, datayaml.stem_of(f)), set())}
            if not present:
                return (1 << 30, -1)
            rarest = min(present, key=lambda c: (presence[c], c))
            return (presence[rarest], rarest)

        order.sort(key=stratum)
    if pattern is not None:
        order.sort(key=lambda key: -len(groups[key]))
    targets = largest_remainder(len(images), ratios)
    choices = deal([groups[key] for key in order], targets)
    moves = []
    for key, target in zip(order, choices, strict=True):
        for split, filename in groups[key]:
            if split != target:
                moves.append((filename, split, target))
    before = dict(info.num_images)
    await stores.dataset.apply_changes(name, DatasetChanges(moves=moves))
    after = await stores.image.count(name)
    return SplitReport(before, after, len(moves), len(groups), keep)
