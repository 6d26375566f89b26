"""Storage failures reported as ``StorageError``.

``storage_errors`` turns disk-full, quota, read-only, I/O and permission
errors into ``StorageError`` (exit 6) with one clear line naming what was being
written; any other ``OSError`` passes through unchanged.
"""

from __future__ import annotations

import contextlib
import errno
from collections.abc import Iterator
from pathlib import Path

from ydc_cli.domain.errors import StorageError

_STORAGE_ERRNOS = {
    errno.ENOSPC: "disk full",
    errno.EDQUOT: "disk quota exceeded",
    errno.EROFS: "read-only file system",
    errno.EIO: "I/O error",
    errno.EFBIG: "file too large for the storage",
    errno.EACCES: "permission denied",
    errno.EPERM: "operation not permitted",
}


@contextlib.contextmanager
def storage_errors(what: Path | str) -> Iterator[None]:
    """Re-raise storage-level OSErrors as StorageError naming ``what``."""
    try:
        yield
    except StorageError:
        raise
    except OSError as exc:
        reason = _STORAGE_ERRNOS.get(exc.errno or 0)
        if reason is None:
            raise
        raise StorageError(f"cannot write the store: {reason} ({what})") from exc
