"""All-or-nothing changes to a dataset folder: stage, commit, roll forward.

A change is staged in ``<dataset>/.ydc-staging-*``: new file contents under
``files/`` and a ``manifest.json`` naming the renames and deletions. Once
every staged byte is on disk, a ``COMMITTED`` marker is written; from then on
the change is applied by renames, each step idempotent, so whoever finds a
committed staging folder (the writer itself, or the next command after a
crash) finishes it the same way. A folder without the marker is swept.

Deletions run first, then renames through the staging folder in two phases
(source -> staging -> target, so a change may swap two files' places), then
the new contents are renamed into place.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from ydc_cli.persistence import commits, faults, fileio

COMMIT_MARKER = "COMMITTED"
MANIFEST = "manifest.json"
FILES = "files"
MOVING = "moving"


@dataclass
class Journal:
    """A change being staged in ``stage`` for the dataset folder ``root``."""

    root: Path
    stage: Path
    moves: list[tuple[str, str]] = field(default_factory=list)
    deletes: list[str] = field(default_factory=list)
    syncer: fileio.BackgroundSync = field(default_factory=fileio.BackgroundSync)
    _made: set[str] = field(default_factory=set)

    def write(self, relative: str, data: bytes, *, exclusive: bool = False) -> None:
        """Stage ``data`` to replace (or create) ``root/relative``.

        Raises:
            FileExistsError: with ``exclusive``, when this change already stages that path.
        """
        # Plain strings: this runs once per staged file, and pathlib costs more than the write.
        target = f"{self.stage}/{FILES}/{relative}"
        parent = target.rpartition("/")[0]
        if parent not in self._made:
            os.makedirs(parent, exist_ok=True)
            self._made.add(parent)
        self.syncer.write(target, data, exclusive=exclusive)

    def close(self) -> None:
        """Stop the background flushing (a change that did not commit leaves nothing to flush)."""
        self.syncer.close()

    def move(self, source: str, target: str) -> None:
        """Rename ``root/source`` to ``root/target`` when the change is applied."""
        self.moves.append((source, target))

    def delete(self, relative: str) -> None:
        """Delete ``root/relative`` when the change is applied."""
        self.deletes.append(relative)

    def commit(self) -> None:
        """Make the staged change durable and mark it committed, then apply it."""
        self.syncer.wait()
        manifest = json.dumps({"moves": self.moves, "deletes": self.deletes}).encode()
        fileio.write_new_file(self.stage / MANIFEST, manifest)
        for folder in _folders(self.stage):
            fileio.fsync_dir(folder)
        faults.point("journal-staged")
        with commits.point():
            fileio.write_new_file(self.stage / COMMIT_MARKER, b"")
            fileio.fsync_dir(self.stage)
        faults.point("journal-committed")
        apply(self.stage, self.root)


@contextlib.contextmanager
def journal(root: Path) -> Iterator[Journal]:
    """Stage a change to ``root``; the caller holds the dataset lock and calls ``commit``.

    If the block raises before ``commit``, nothing in ``root`` has changed.
    """
    with fileio.storage_errors(root), fileio.staging_dir(root, keep_if=COMMIT_MARKER) as stage:
        with contextlib.closing(Journal(root, stage)) as change:
            yield change


def apply(stage: Path, root: Path) -> None:
    """Apply a committed change; safe to repeat after a crash at any point.

    Phases run in order (deletions, sources into staging, staging onto
    targets, new contents into place); a phase that finished leaves a marker
    so that a rerun never repeats it (a repeated deletion could otherwise hit
    a file a later phase put in place).
    """
    manifest = json.loads((stage / MANIFEST).read_text())
    moves = [tuple(m) for m in manifest["moves"]]
    moving = stage / MOVING
    touched: set[Path] = set()

    def phase(name: str, step) -> None:
        marker = stage / f"done-{name}"
        if marker.exists():
            return
        step()
        fileio.write_new_file(marker, b"")
        fileio.fsync_dir(stage)

    def delete() -> None:
        for relative in manifest["deletes"]:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(root / relative)
            touched.add((root / relative).parent)

    def hold() -> None:
        moving.mkdir(exist_ok=True)
        for index, (source, _) in enumerate(moves):
            held = moving / str(index)
            if (root / source).exists() and not held.exists():
                os.rename(root / source, held)
            touched.add((root / source).parent)
        fileio.fsync_dir(moving)

    def place() -> None:
        for index, (_, target) in enumerate(moves):
            held = moving / str(index)
            if held.exists():
                (root / target).parent.mkdir(parents=True, exist_ok=True)
                os.replace(held, root / target)
            touched.add((root / target).parent)

    def write() -> None:
        files = stage / FILES
        for dirpath, _, filenames in os.walk(files):
            for filename in filenames:
                source = Path(dirpath) / filename
                target = root / source.relative_to(files)
                target.parent.mkdir(parents=True, exist_ok=True)
                os.replace(source, target)
                touched.add(target.parent)

    phase("delete", delete)
    faults.point("journal-applying")
    phase("hold", hold)
    phase("place", place)
    write()
    for folder in touched:
        if folder.is_dir():
            fileio.fsync_dir(folder)


def _folders(root: Path) -> list[Path]:
    return [Path(dirpath) for dirpath, _, _ in os.walk(root)]
