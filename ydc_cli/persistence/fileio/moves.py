"""Durable moves and removals of store entries.

Each rename or unlink is the command's commit point (``commits.point``) and
the folders it touches are fsynced before the call returns. ``remove_tree``
renames a folder to trash first, so it vanishes at once; a crash leaves only
trash, which ``sweep_leftovers`` removes.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from ydc_cli.domain.errors import ConflictError, NotFoundError
from ydc_cli.persistence import commits, faults
from ydc_cli.persistence.fileio.durable import fsync_dir
from ydc_cli.persistence.fileio.errors import storage_errors
from ydc_cli.persistence.fileio.internal import TRASH_PREFIX, _token


def remove_file(path: Path) -> bool:
    """Delete a file durably; ``False`` when it was not there."""
    with storage_errors(path):
        try:
            with commits.point():
                os.unlink(path)
        except FileNotFoundError:
            return False
        fsync_dir(path.parent)
    return True


def move_file(source: Path, target: Path, *, missing: str, exists: str) -> None:
    """Rename ``source`` to ``target`` (a no-op when they are the same), never over an existing file.

    Raises:
        NotFoundError: ``source`` is missing (message ``missing``).
        ConflictError: ``target`` exists (message ``exists``).
    """
    if not source.is_file():
        raise NotFoundError(missing)
    if source == target:
        return
    if target.exists():
        raise ConflictError(exists)
    with storage_errors(target):
        target.parent.mkdir(parents=True, exist_ok=True)
        with commits.point():
            os.rename(source, target)
        fsync_dir(target.parent)
        fsync_dir(source.parent)


def remove_tree(path: Path) -> None:
    """Delete a folder so that it vanishes at once: rename to trash, then remove."""
    trash = path.parent / f"{TRASH_PREFIX}{_token()}"
    with storage_errors(path):
        with commits.point():
            os.rename(path, trash)
        faults.point("trashed")
        fsync_dir(path.parent)
    shutil.rmtree(trash, ignore_errors=True)
