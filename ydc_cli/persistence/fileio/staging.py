"""Staging folders, and sweeping what crashed writers left behind.

``staging_dir`` makes a private folder beside the target and holds a
``flock`` on it while the writer lives; a crashed writer's folder is
recognised because its lock is free (``owner_is_gone``), and
``sweep_leftovers`` removes it with stale temp files and trash. Nothing
younger than ``_SWEEP_MIN_AGE`` seconds is swept.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import time
from collections.abc import Iterator
from pathlib import Path

from ydc_cli.persistence.fileio.errors import storage_errors
from ydc_cli.persistence.fileio.internal import STAGING_PREFIX, TEMP_PREFIX, TRASH_PREFIX, _token

# A staging folder younger than this is never swept, whatever its lock says:
# it may belong to a writer that created it and has not locked it yet.
_SWEEP_MIN_AGE = 5.0


@contextlib.contextmanager
def staging_dir(parent: Path, keep_if: str | None = None) -> Iterator[Path]:
    """A fresh folder inside ``parent``, locked while the writer lives.

    The caller renames what it needs out of it; whatever is left is removed on
    exit, except when the block fails after creating the marker ``keep_if``
    (a committed change interrupted while it was applied): that folder stays
    for the next command to finish. If the process dies, the folder is swept
    or finished later.
    """
    path = parent / f"{STAGING_PREFIX}{_token()}"
    with storage_errors(parent):
        path.mkdir()
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    keep = False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield path
    except BaseException:
        keep = keep_if is not None and (path / keep_if).exists()
        raise
    finally:
        if not keep:
            shutil.rmtree(path, ignore_errors=True)
        os.close(fd)


def owner_is_gone(path: Path, min_age: float = _SWEEP_MIN_AGE) -> bool:
    """True when a staging folder's writer has died (its lock is free and it is not brand new)."""
    try:
        if min_age and time.time() - path.stat().st_mtime < min_age:
            return False
        fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    except OSError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    finally:
        os.close(fd)
    return True


def sweep_leftovers(parent: Path) -> None:
    """Remove temp files, trash and dead writers' staging folders left in ``parent``."""
    try:
        entries = list(os.scandir(parent))
    except OSError:
        return
    for entry in entries:
        name = entry.name
        path = Path(entry.path)
        if name.startswith(TRASH_PREFIX):
            shutil.rmtree(path, ignore_errors=True)
        elif name.startswith(STAGING_PREFIX) and owner_is_gone(path):
            shutil.rmtree(path, ignore_errors=True)
        elif name.startswith(TEMP_PREFIX):
            with contextlib.suppress(OSError):
                if time.time() - entry.stat().st_mtime >= _SWEEP_MIN_AGE:
                    os.unlink(path)
