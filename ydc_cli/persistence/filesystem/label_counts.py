"""The class ids of every label file of a dataset folder, read once and then remembered.

``datasets info`` counts boxes and images per class. At 100,000 images that
is 100,000 label files to read, about 10 s on this project's VMs once the
page cache has let them go (their disks serve about 10,000 small reads a
second, and reading in parallel does not help), against about 1 s to
``stat`` them. So ``<dataset>/.ydc-counts.json`` keeps, per split and label
file, the file's signature (a hash of its inode, size, and modification and
change times in nanoseconds) with its count of unreadable lines and its box
lines' class ids; a file is read again only when its ``stat`` differs from what was
remembered, so an edit made by any tool (in place or by a rename) is seen. Each split
also keeps its totals with a signature of its images and labels folders (which change
when an entry is added, removed or renamed): while both hold and every file's
signature does, the totals are the answer, one ``stat`` per file and no other work
(0.55-0.7 s for ``datasets info`` at 100,000 images, warm).

A signature taken within ``RACY_NS`` of the count is not remembered: a file
rewritten twice within one tick of the file system's clock, at the same size,
would otherwise keep a signature of its older text (git's index has the
same rule for the same reason). The cache is never the only copy of
anything: a missing, unreadable or foreign file is ignored and rebuilt, and
a dataset folder that cannot be written (a read-only mount) is counted
without it.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
import time
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING

from ydc_cli.domain import datayaml
from ydc_cli.persistence import fileio
from ydc_cli.persistence.dataset_store import ClassCounts, raw_class_ids

if TYPE_CHECKING:
    from ydc_cli.domain.tasks import Task

CACHE_FILE = ".ydc-counts.json"
VERSION = 3
RACY_NS = 2_000_000_000


def count_classes(path: Path, task: Task) -> ClassCounts:
    """Boxes and images per class and split over the dataset folder ``path``."""
    key = _key(task)
    remembered = _load(path, key)
    try:
        counts, fresh = _count(path, task, remembered)
    except (TypeError, ValueError, KeyError, AttributeError):  # a damaged cache: count from the files alone
        remembered = {}
        counts, fresh = _count(path, task, remembered)
    if fresh != remembered:
        _save(path, key, fresh)
    return counts


def _count(path: Path, task: Task, remembered: dict[str, dict]) -> tuple[ClassCounts, dict[str, dict]]:
    counts = ClassCounts()
    fresh: dict[str, dict] = {}
    racy_after = time.time_ns() - RACY_NS
    for split in datayaml.SPLITS:
        known = remembered.get(split) or {}
        folders = _folder_signatures(path, split, racy_after)
        totals = known.get("totals") if folders is not None and known.get("folders") == folders else None
        if totals is not None and _all_hold(path, split, known["files"]):
            # Neither folder has gained, lost or renamed an entry, and no label file has changed.
            _add_totals(counts, split, totals)
            fresh[split] = known
            continue
        labels, entries, unreadable, complete = _split_entries(path, split, known.get("files") or {}, task,
                                                               racy_after)
        counts.add_class_ids(split, labels)
        counts.unreadable_lines += int(unreadable)
        complete = complete and folders is not None
        if entries or complete:
            fresh[split] = {"folders": folders, "totals": _totals(counts, split, int(unreadable)) if complete else None,
                            "files": entries}
    return counts, fresh


def _folder_signatures(path: Path, split: str, racy_after: int) -> list[int] | None:
    """A signature of the split's images and labels folders (which names they hold); None while
    either was changed within ``RACY_NS``."""
    signatures = []
    for kind in ("images", "labels"):
        try:
            stat = os.stat(f"{path}/{kind}/{split}")
        except (FileNotFoundError, NotADirectoryError):
            signatures.append(0)
            continue
        if stat.st_mtime_ns >= racy_after or stat.st_ctime_ns >= racy_after:
            return None
        signatures.append(hash((stat.st_ino, stat.st_mtime_ns, stat.st_ctime_ns)))
    return signatures


def _all_hold(path: Path, split: str, files: dict[str, list]) -> bool:
    """Whether every remembered label file of the split still has its signature: one stat each."""
    try:
        folder_fd = os.open(f"{path}/labels/{split}", os.O_RDONLY | os.O_DIRECTORY)
    except (FileNotFoundError, NotADirectoryError):
        return not files
    stat_at = os.stat
    try:
        for name, entry in files.items():
            stat = stat_at(name, dir_fd=folder_fd)
            if entry[0] != hash((stat.st_ino, stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns)):
                return False
    except OSError:
        return False
    finally:
        os.close(folder_fd)
    return True


def _totals(counts: ClassCounts, split: str, unreadable: int) -> dict:
    """What the split counted, to be remembered (``unreadable``: its unreadable lines)."""
    return {"boxes": {str(k): v for k, v in counts.boxes[split].items()},
            "images": {str(k): v for k, v in counts.images[split].items()},
            "labeled": counts.labeled[split], "unreadable": unreadable}


def _add_totals(counts: ClassCounts, split: str, totals: dict) -> None:
    boxes = Counter({int(k): int(v) for k, v in totals["boxes"].items()})
    images = Counter({int(k): int(v) for k, v in totals["images"].items()})
    labeled, unreadable = int(totals["labeled"]), int(totals["unreadable"])
    counts.boxes[split], counts.images[split] = boxes, images
    counts.labeled[split] = labeled
    counts.unreadable_lines += unreadable


def _split_entries(path: Path, split: str, known: dict[str, list], task: Task, racy_after: int
                   ) -> tuple[list[tuple[list, int]], dict[str, list], int, bool]:
    """The label files of ``split`` that images have, as ``add_class_ids`` takes them (class ids,
    how many images have the file); each one's entry ``[signature, unreadable lines, class id...]``
    (remembered while the signature holds, else read) unless it changed too recently to be
    remembered; their unreadable lines; and whether every one has an entry.

    Plain strings, one open folder and one loop: this runs once per label file.
    """
    labels: list[tuple[list, int]] = []
    entries: dict[str, list] = {}
    unreadable = 0
    try:
        with os.scandir(f"{path}/images/{split}") as listing:
            names = [e.name for e in listing if e.is_file()]
    except (FileNotFoundError, NotADirectoryError):
        return labels, entries, unreadable, True
    suffixes = datayaml.IMAGE_SUFFIXES
    internal = fileio.INTERNAL_PREFIX
    images = Counter([f"{n.rpartition('.')[0]}.txt" for n in names
                      if n.lower().endswith(suffixes) and not n.startswith(internal)])
    try:
        folder_fd = os.open(f"{path}/labels/{split}", os.O_RDONLY | os.O_DIRECTORY)
    except (FileNotFoundError, NotADirectoryError):
        return labels, entries, unreadable, True
    stat_at = os.stat
    complete = True
    try:
        present = set(os.listdir(folder_fd))
        for label_name, count in images.items():
            if label_name not in present:
                continue
            entry = known.get(label_name)
            if entry is not None:
                try:
                    stat = stat_at(label_name, dir_fd=folder_fd)
                except (FileNotFoundError, NotADirectoryError):
                    continue  # removed since the listing
                if entry[0] == hash((stat.st_ino, stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns)):
                    labels.append((entry[2:], count))
                    unreadable += entry[1]
                    entries[label_name] = entry
                    continue
            read = _read(folder_fd, label_name)
            if read is None:
                continue
            stat, data = read
            found, bad_lines = raw_class_ids(data, task)
            labels.append((found, count))
            unreadable += bad_lines
            if stat.st_mtime_ns < racy_after and stat.st_ctime_ns < racy_after:
                signature = hash((stat.st_ino, stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns))
                entries[label_name] = [signature, bad_lines, *map(int, found)]
            else:
                complete = False
    finally:
        os.close(folder_fd)
    return labels, entries, unreadable, complete


def _read(folder_fd: int, name: str) -> tuple[os.stat_result, bytes] | None:
    """The stat and bytes of a label file; None when it is gone or not a file."""
    try:
        file = os.open(name, os.O_RDONLY, dir_fd=folder_fd)
    except (FileNotFoundError, IsADirectoryError):
        return None  # removed since the listing
    try:
        stat = os.fstat(file)  # taken before the read: a change during it gives a newer signature
        chunks = [os.read(file, 65536)]
        while len(chunks[-1]) == 65536:
            chunks.append(os.read(file, 65536))
    except IsADirectoryError:
        return None
    finally:
        os.close(file)
    return stat, chunks[0] if len(chunks) == 1 else b"".join(chunks)


def _key(task: Task) -> str:
    """What an entry depends on: the task and pose's keypoint layout (parsing), and the Python
    version (a signature is ``hash()`` of four integers, and the algorithm may change between versions)."""
    return f"{task.name}:{task.kpt_shape}:py{sys.version_info[0]}.{sys.version_info[1]}"


def _load(path: Path, key: str) -> dict[str, dict]:
    """The remembered splits; empty when the cache is missing, damaged or of another key."""
    try:
        data = json.loads((path / CACHE_FILE).read_bytes())
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict) or data.get("version") != VERSION or data.get("key") != key:
        return {}
    splits = data.get("splits")
    if not isinstance(splits, dict):
        return {}
    for split, known in splits.items():
        if split not in datayaml.SPLITS or not isinstance(known, dict):
            return {}
        files = known.get("files")
        if not isinstance(files, dict) or not all(isinstance(e, list) and len(e) >= 2 for e in files.values()):
            return {}
        if not isinstance(known.get("totals"), dict | None):
            return {}
    return splits


def _save(path: Path, key: str, splits: dict) -> None:
    """Replace the cache (a temp file renamed over it: readers see the old one or the new one).

    Not fsynced: after a power cut the file may be empty, and is then rebuilt.
    """
    tmp = path / f"{fileio.TEMP_PREFIX}{os.urandom(8).hex()}"
    data = json.dumps({"version": VERSION, "key": key, "splits": splits}, separators=(",", ":")).encode()
    try:
        with open(tmp, "xb") as file:
            file.write(data)
        os.replace(tmp, path / CACHE_FILE)
    except OSError:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
