"""Crash-safe file primitives shared by the backends.

* ``atomic_write``: unique temp name, fsync, ``os.replace``, fsync of the folder.
* ``FileLock``: an exclusive ``flock`` on a separate ``.lock`` file (locking
  the file being replaced does not work: the replace swaps the inode).
* ``staging_dir``: a private, locked folder beside the target; a crashed
  writer's folder is recognised because its lock is free, and swept.
* ``storage_errors``: turns disk-full, read-only and I/O errors into
  ``StorageError`` (exit 6) with one clear line.
"""

from __future__ import annotations

import collections
import contextlib
import errno
import fcntl
import io
import os
import shutil
import time
from collections.abc import Iterator
from pathlib import Path

from ydc_cli.domain.errors import ConflictError, NotFoundError, StorageBusyError, StorageError
from ydc_cli.persistence import commits, faults

INTERNAL_PREFIX = ".ydc-"
TEMP_PREFIX = f"{INTERNAL_PREFIX}tmp-"
STAGING_PREFIX = f"{INTERNAL_PREFIX}staging-"
TRASH_PREFIX = f"{INTERNAL_PREFIX}trash-"
DEFAULT_LOCK_TIMEOUT = float(os.environ.get("YDC_LOCK_TIMEOUT", "30"))
# A staging folder younger than this is never swept, whatever its lock says:
# it may belong to a writer that created it and has not locked it yet.
_SWEEP_MIN_AGE = 5.0

_STORAGE_ERRNOS = {
    errno.ENOSPC: "disk full",
    errno.EDQUOT: "disk quota exceeded",
    errno.EROFS: "read-only file system",
    errno.EIO: "I/O error",
    errno.EFBIG: "file too large for the storage",
    errno.EACCES: "permission denied",
    errno.EPERM: "operation not permitted",
}


def _token() -> str:
    """16 random hex digits for a private name (``secrets`` would load ``hmac`` and ``hashlib`` at start-up)."""
    return os.urandom(8).hex()


def is_internal(name: str) -> bool:
    """True for ydc's own temp, staging, trash and lock entries."""
    return name.startswith((TEMP_PREFIX, STAGING_PREFIX, TRASH_PREFIX)) or name.endswith(".lock")


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


class BackgroundSync:
    """Write files and fsync them in worker threads while the writer goes on.

    ``wait`` returns once every file written or added so far is on disk (or
    raises the first error), the same guarantee as one fsync pass at the end;
    but the disk works while Python reads and checks the next file, and dirty
    data stays small, so creating files does not stall behind one huge journal
    commit. On this project's 2-core ext4 VMs a 2,000-file, 245 MB copy that
    synced as it went took about 0.55x the time of the same copy with one
    fsync pass at the end, and less than ``cp -r`` without any. A written
    file's descriptor goes to the worker, which fsyncs and closes it (no
    second open); at most ``MAX_PENDING`` wait, bounding descriptors, memory
    and dirty data.
    """

    BATCH = 8
    MAX_PENDING = 16  # batches: at most 128 descriptors wait

    def __init__(self, workers: int = 4) -> None:
        self._workers = workers
        self._pool = None
        self._batch: list[int] = []
        self._pending: collections.deque = collections.deque()

    def write(self, path: Path | str, data: bytes, *, exclusive: bool = False) -> None:
        """Create ``path`` (replace it, unless ``exclusive``) holding ``data``; flushed in the background.

        Raises:
            FileExistsError: with ``exclusive``, when ``path`` exists.
        """
        self._queue(_open_and_write(path, data, os.O_EXCL if exclusive else os.O_TRUNC))

    def add(self, path: Path | str) -> None:
        """Queue a finished file written by other means to be flushed."""
        self._queue(os.open(path, os.O_RDONLY))

    def _queue(self, fd: int) -> None:
        self._batch.append(fd)
        if len(self._batch) >= self.BATCH:
            self._submit()

    def _submit(self) -> None:
        batch, self._batch = self._batch, []
        if self._pool is None:
            from concurrent.futures import ThreadPoolExecutor

            self._pool = ThreadPoolExecutor(self._workers, thread_name_prefix="ydc-fsync")
        try:
            while len(self._pending) >= self.MAX_PENDING:
                self._pending[0][0].result()
                self._pending.popleft()
        except BaseException:
            _close_all(batch)
            raise
        self._pending.append((self._pool.submit(_fsync_and_close, batch), batch))

    def wait(self) -> None:
        """Return when every file so far is on disk."""
        if self._batch:
            self._submit()
        while self._pending:
            self._pending[0][0].result()
            self._pending.popleft()

    def close(self) -> None:
        """Stop the workers; descriptors still queued are closed unflushed."""
        _close_all(self._batch)
        self._batch = []
        for future, batch in self._pending:
            if future.cancel():
                _close_all(batch)
        self._pending.clear()
        if self._pool is not None:
            self._pool.shutdown(wait=True)
            self._pool = None

    def __enter__(self) -> BackgroundSync:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class StreamWriter(io.RawIOBase):
    """A new file written front to back, never seeked, and flushed to disk as it grows.

    ``zipfile`` given an unseekable file writes each member once (header, data,
    data descriptor) instead of going back to patch every header, and the
    writes are gathered into ``BUFFER``-sized system calls. Every ``SYNC_EVERY``
    bytes a worker thread starts ``fdatasync`` while writing goes on, so the
    final fsync finds little left to do. Use as a context manager; the file
    is complete and on disk when the block ends without error.
    """

    BUFFER = 1 << 20
    DIRECT = 64 << 10  # chunks this large go straight to the file, with what is buffered
    SYNC_EVERY = 32 << 20

    def __init__(self, path: Path | str) -> None:
        super().__init__()
        self._fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        self._buffer = bytearray()
        self._position = 0
        self._synced_at = 0
        self._pool = None
        self._sync = None

    def writable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return False

    def tell(self) -> int:
        return self._position

    def seek(self, *args: object) -> int:
        raise io.UnsupportedOperation("a StreamWriter is written front to back")

    def write(self, data) -> int:
        size = len(data)
        self._position += size
        if len(self._buffer) + size < self.BUFFER and size < self.DIRECT:
            self._buffer += data
            return size
        # What is buffered and the new chunk in one call, the chunk not copied into the buffer first.
        _write_fully(self._fd, self._buffer, data)
        self._buffer = bytearray()
        if self._position - self._synced_at >= self.SYNC_EVERY and (self._sync is None or self._sync.done()):
            if self._sync is not None:
                self._sync.result()
            if self._pool is None:
                from concurrent.futures import ThreadPoolExecutor

                self._pool = ThreadPoolExecutor(1, thread_name_prefix="ydc-fdatasync")
            self._synced_at = self._position
            self._sync = self._pool.submit(os.fdatasync, self._fd)
        return size

    def _drain(self) -> None:
        if self._buffer:
            _write_fully(self._fd, self._buffer)
            self._buffer = bytearray()

    def finish(self) -> None:
        """Write what is buffered and wait until the whole file is on disk."""
        self._drain()
        if self._sync is not None:
            self._sync.result()
        os.fsync(self._fd)

    def close(self) -> None:
        if self.closed:
            return
        try:
            if self._pool is not None:
                self._pool.shutdown(wait=True)
        finally:
            os.close(self._fd)
            super().close()

    def __exit__(self, exc_type, *rest: object) -> None:
        try:
            if exc_type is None:
                self.finish()
        finally:
            self.close()


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


def _fsync_and_close(fds: list[int]) -> None:
    """fsync each descriptor, then close them all; raises the first error."""
    try:
        for fd in fds:
            os.fsync(fd)
    finally:
        _close_all(fds)


def _close_all(fds: list[int]) -> None:
    for fd in fds:
        with contextlib.suppress(OSError):
            os.close(fd)


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


def remove_tree(path: Path) -> None:
    """Delete a folder so that it vanishes at once: rename to trash, then remove."""
    trash = path.parent / f"{TRASH_PREFIX}{_token()}"
    with storage_errors(path):
        with commits.point():
            os.rename(path, trash)
        faults.point("trashed")
        fsync_dir(path.parent)
    shutil.rmtree(trash, ignore_errors=True)
