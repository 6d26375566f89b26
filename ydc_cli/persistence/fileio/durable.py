"""Durable writes: a file is on disk, whole, when the call returns.

* ``write_new_file``: creates a file that must not exist and fsyncs it.
* ``atomic_write``: unique temp name, fsync, ``os.replace``, fsync of the
  folder, so readers see the old file or the new one, never a mix.
* ``replacing``: the same for a file the caller writes itself (a large zip,
  say), through a locked staging folder a crash leaves to be swept.
* ``fsync_dir``: flushes a folder's new and renamed entries.

``_open_and_write`` and ``_write_fully`` are the low-level writers the
streams share.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path

from ydc_cli.persistence import commits, faults
from ydc_cli.persistence.fileio.errors import storage_errors
from ydc_cli.persistence.fileio.internal import TEMP_PREFIX, _token
from ydc_cli.persistence.fileio.staging import staging_dir, sweep_leftovers


def fsync_dir(path: Path) -> None:
    """Flush a folder's entries (new and renamed names) to disk."""
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_new_file(path: Path, data: bytes) -> None:
    """Create ``path`` (it must not exist) holding ``data``, on disk when this returns."""
    fd = _open_and_write(path, data, os.O_EXCL)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_path(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _open_and_write(path: Path | str, data: bytes, mode: int) -> int:
    """Create ``path`` with ``os.O_EXCL`` or ``os.O_TRUNC`` as ``mode``; returns the open descriptor."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | mode, 0o644)
    try:
        _write_fully(fd, data)
    except BaseException:
        os.close(fd)
        with contextlib.suppress(OSError):
            os.unlink(path)
        raise
    return fd


def _write_fully(fd: int, data, more=b"") -> None:
    """Write ``data`` then ``more`` (one ``writev``), retrying until every byte is written."""
    if more:
        written = os.writev(fd, [data, more])
        if written == len(data) + len(more):
            return
        data = memoryview(bytes(data) + bytes(more))[written:]  # a short write: finish the rest plainly
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


@contextlib.contextmanager
def replacing(target: Path) -> Iterator[Path]:
    """Yield a temp path for ``target``; when the block succeeds, it becomes ``target``.

    The temp file lives in a locked staging folder beside ``target``, so a process
    killed while writing (a zip of gigabytes, say) leaves a folder the next call
    recognises as dead and sweeps. The file is fsynced, renamed over ``target``
    and the folder fsynced; when the block fails, ``target`` is untouched.
    """
    target = Path(target)
    sweep_leftovers(target.parent)
    with storage_errors(target), staging_dir(target.parent) as stage:
        tmp = stage / target.name
        yield tmp
        _fsync_path(tmp)
        faults.point("replace")
        with commits.point():
            os.replace(tmp, target)
        fsync_dir(target.parent)


def atomic_write(path: Path, data: bytes, *, commit: bool = False) -> None:
    """Replace ``path`` with ``data`` so readers see the old or the new file, never a mix.

    With ``commit``, the replace is the command's commit point (``commits.point``):
    stores pass it; a picture or a cache file written on the way does not.
    """
    path = Path(path)
    tmp = path.parent / f"{TEMP_PREFIX}{_token()}"
    with storage_errors(path):
        try:
            write_new_file(tmp, data)
            faults.point("replace")
            with commits.point() if commit else contextlib.nullcontext():
                os.replace(tmp, path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise
        fsync_dir(path.parent)
