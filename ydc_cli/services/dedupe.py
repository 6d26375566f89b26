"""Finding duplicate images: exact (content hash) and near (perceptual difference hash).

Near duplicates use a 64-bit dHash. Candidate pairs come from banding: two
hashes within Hamming distance ``threshold`` <= 7 share at least one of their
8 bytes exactly (pigeonhole), so only images sharing a byte are compared.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field

from ydc_cli.domain import datayaml
from ydc_cli.domain.errors import InvalidInputError, NotFoundError
from ydc_cli.persistence import DatasetChanges, Stores
from ydc_cli.services.parallel import map_ordered

MAX_THRESHOLD = 7


@dataclass
class DuplicateGroup:
    """Images that are the same (or nearly): the first is kept, the rest are duplicates."""

    keep: tuple[str, str]
    duplicates: list[tuple[str, str]]
    kind: str  # "exact" or "near"


@dataclass
class DedupeReport:
    images: int
    groups: list[DuplicateGroup] = field(default_factory=list)
    removed: int = 0

    @property
    def duplicates(self) -> int:
        return sum(len(g.duplicates) for g in self.groups)


def dhash(data: bytes) -> int | None:
    """64-bit difference hash of the decoded image (None when it does not decode).

    The image is decoded to its BGR pixels, as every other command sees it, and
    only then turned grey, so the hash depends on the pixels alone: a PNG or
    BMP holding exactly a JPEG's decoded pixels hashes the same. (Decoding
    with ``IMREAD_GRAYSCALE`` does not: libjpeg then skips the colour
    conversion and its grey differs by a level here and there, enough to flip
    bits of the hash.)
    """
    import cv2
    import numpy as np

    image = cv2.imdecode(np.frombuffer(data, dtype=np.uint8), cv2.IMREAD_COLOR)
    if image is None:
        return None
    gray = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)
    small = cv2.resize(gray, (9, 8), interpolation=cv2.INTER_AREA)
    bits = (small[:, 1:] > small[:, :-1]).flatten()
    return int("".join("1" if b else "0" for b in bits), 2)


class _Groups:
    """Union-find over image keys."""

    def __init__(self) -> None:
        self.parent: dict[tuple[str, str], tuple[str, str]] = {}

    def find(self, key: tuple[str, str]) -> tuple[str, str]:
        self.parent.setdefault(key, key)
        while self.parent[key] != key:
            self.parent[key] = self.parent[self.parent[key]]
            key = self.parent[key]
        return key

    def union(self, a: tuple[str, str], b: tuple[str, str]) -> None:
        self.parent[self.find(a)] = self.find(b)


def _order(key: tuple[str, str]) -> tuple[int, str]:
    return datayaml.SPLITS.index(key[0]), key[1]


async def find_duplicates(
    stores: Stores, name: str, near: bool = False, threshold: int = 4, remove: bool = False,
    on_image: Callable[[int], None] | None = None,
) -> DedupeReport:
    """Group duplicate images; the copy kept is the first by split (train, val, test) then name."""
    if not 0 <= threshold <= MAX_THRESHOLD:
        raise InvalidInputError(f"--threshold must be between 0 and {MAX_THRESHOLD} bits")
    if await stores.dataset.get(name) is None:
        raise NotFoundError(f"no such dataset ({name})")
    exact: dict[str, list[tuple[str, str]]] = defaultdict(list)
    hashes: dict[tuple[str, str], int] = {}
    count = 0
    def fingerprint(sample) -> tuple[str, int | None]:  # runs in worker threads: both release the GIL
        return hashlib.sha256(sample.data).hexdigest(), dhash(sample.data) if near else None

    samples = stores.dataset.iter_samples(name, with_labels=False)
    async for sample, (digest, value) in map_ordered(samples, fingerprint):
        count += 1
        key = (sample.split, sample.filename)
        exact[digest].append(key)
        if value is not None:
            hashes[key] = value
        if on_image:
            on_image(1)
    groups = _Groups()
    for keys in exact.values():
        for other in keys[1:]:
            groups.union(other, keys[0])
    if near:
        bands: dict[tuple[int, int], list[tuple[str, str]]] = defaultdict(list)
        for key, value in hashes.items():
            for band in range(8):
                bands[(band, (value >> (8 * band)) & 0xFF)].append(key)
        compared = set()
        for members in bands.values():
            for i, a in enumerate(members):
                for b in members[i + 1:]:
                    pair = (a, b) if a < b else (b, a)
                    if pair in compared:
                        continue
                    compared.add(pair)
                    if groups.find(a) != groups.find(b) and bin(hashes[a] ^ hashes[b]).count("1") <= threshold:
                        groups.union(a, b)
    digest_of = {key: digest for digest, keys in exact.items() for key in keys}
    members_of: dict[tuple[str, str], list[tuple[str, str]]] = defaultdict(list)
    for key in groups.parent:
        members_of[groups.find(key)].append(key)
    report = DedupeReport(count)
    for members in members_of.values():
        if len(members) < 2:
            continue
        members.sort(key=_order)
        identical = len({digest_of[k] for k in members}) == 1
        report.groups.append(DuplicateGroup(members[0], members[1:], "exact" if identical else "near"))
    report.groups.sort(key=lambda g: _order(g.keep))
    if remove:
        await remove_duplicates(stores, name, report)
    return report


async def remove_duplicates(stores: Stores, name: str, report: DedupeReport) -> DedupeReport:
    """Remove the duplicates of ``report``'s groups (each group's first image stays), all or nothing.

    Removes exactly what the report lists, so what a person confirmed is what
    goes; sets and returns ``report.removed``.

    Raises:
        NotFoundError: an image of the report is gone (nothing is removed).
    """
    removals = [key for group in report.groups for key in group.duplicates]
    if removals:
        await stores.dataset.apply_changes(name, DatasetChanges(removals=removals))
    report.removed = len(removals)
    return report
