"""Inter-process locks on the store.

``FileLock`` takes an exclusive ``flock`` on a separate ``.lock`` file (locking
the file being replaced does not work: the replace swaps the inode), waiting
up to a timeout (``YDC_LOCK_TIMEOUT``, 30 s by default) before it gives up
with ``StorageBusyError``.
"""

from __future__ import annotations

import fcntl
import os
import time
from pathlib import Path

from ydc_cli.domain.errors import StorageBusyError
from ydc_cli.persistence.fileio.errors import storage_errors

DEFAULT_LOCK_TIMEOUT = float(os.environ.get("YDC_LOCK_TIMEOUT", "30"))


class FileLock:
    """An exclusive lock on ``<path>`` (a separate lock file), with a timeout.

    Re-entrant within one object, so a method holding it may call another that
    takes it too.
    """

    def __init__(self, path: Path, timeout: float = DEFAULT_LOCK_TIMEOUT) -> None:
        self.path = Path(path)
        self.timeout = timeout
        self._fd: int | None = None
        self._depth = 0

    def __enter__(self) -> FileLock:
        self.acquire(self.timeout)
        return self

    def try_acquire(self) -> bool:
        """Take the lock only if it is free now; ``True`` when taken."""
        try:
            self.acquire(0.0)
        except StorageBusyError:
            return False
        return True

    def acquire(self, timeout: float) -> None:
        """Take the lock, waiting up to ``timeout`` seconds.

        Raises:
            StorageBusyError: another process held it the whole time.
        """
        if self._depth:
            self._depth += 1
            return
        with storage_errors(self.path):
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        deadline = time.monotonic() + timeout
        delay = 0.005
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    os.close(fd)
                    raise StorageBusyError(
                        f"the store is busy: another ydc process held the lock for over {timeout:g} s"
                        f" ({self.path})"
                    ) from None
                time.sleep(delay)
                delay = min(delay * 2, 0.1)
        self._fd = fd
        self._depth = 1

    def __exit__(self, *exc: object) -> None:
        self.release()

    def release(self) -> None:
        """Release one level of the lock."""
        self._depth -= 1
        if self._depth == 0 and self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None
