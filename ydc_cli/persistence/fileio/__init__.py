"""Crash-safe file primitives shared by the backends, one module per concern.

* ``internal``: the names of ydc's own temp, staging and trash entries.
* ``errors``: ``storage_errors``, disk-full, read-only and I/O errors as ``StorageError``.
* ``durable``: ``atomic_write``, ``replacing``, ``write_new_file``, ``fsync_dir``.
* ``streams``: ``BackgroundSync`` and ``StreamWriter``, flushed while writing goes on.
* ``moves``: ``move_file``, ``remove_file``, ``remove_tree``, durable commit points.
* ``locks``: ``FileLock``, an exclusive ``flock`` on a separate ``.lock`` file.
* ``staging``: ``staging_dir`` and ``sweep_leftovers`` for what crashed writers left.

Every name is re-exported here: callers use ``fileio.X``. A test that patches a
name one of these modules looks up patches that module, not this package.
"""

from __future__ import annotations

from ydc_cli.persistence.fileio.durable import atomic_write, fsync_dir, replacing, write_new_file
from ydc_cli.persistence.fileio.errors import storage_errors
from ydc_cli.persistence.fileio.internal import (
    INTERNAL_PREFIX,
    STAGING_PREFIX,
    TEMP_PREFIX,
    TRASH_PREFIX,
    is_internal,
)
from ydc_cli.persistence.fileio.locks import DEFAULT_LOCK_TIMEOUT, FileLock
from ydc_cli.persistence.fileio.moves import move_file, remove_file, remove_tree
from ydc_cli.persistence.fileio.staging import owner_is_gone, staging_dir, sweep_leftovers
from ydc_cli.persistence.fileio.streams import BackgroundSync, StreamWriter

__all__ = [
    "DEFAULT_LOCK_TIMEOUT", "INTERNAL_PREFIX", "STAGING_PREFIX", "TEMP_PREFIX", "TRASH_PREFIX",
    "BackgroundSync", "FileLock", "StreamWriter",
    "atomic_write", "fsync_dir", "is_internal", "move_file", "owner_is_gone", "remove_file", "remove_tree",
    "replacing", "staging_dir", "storage_errors", "sweep_leftovers", "write_new_file",
]
