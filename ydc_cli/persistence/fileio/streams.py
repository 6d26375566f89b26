"""Files written and flushed while the writer goes on.

* ``BackgroundSync``: writes many files; ``wait`` returns once every one is
  on disk (one ``syncfs``, or fsyncs in worker threads), as one fsync pass would.
* ``StreamWriter``: one new file written front to back (a zip, say),
  ``fdatasync``-ed in the background as it grows and fsynced at the end.

Both promise a complete file on disk only when ``wait`` or the ``with``
block returns without error.
"""

from __future__ import annotations

import collections
import contextlib
import functools
import io
import os
import sys
from pathlib import Path

from ydc_cli.persistence.fileio.durable import _open_and_write, _write_fully


class BackgroundSync:
    """Write many files; ``wait`` returns once every one written so far is on disk.

    On Linux 5.8 or later (where ``syncfs`` reports write-back errors) files are
    written plainly and flushed by ``syncfs`` of each filesystem written to: one
    on a worker thread each time ``SYNC_EVERY`` more bytes were written (one at
    a time, so the disk works while the writer goes on and dirty data stays
    small), and one in ``wait``. On this project's 2-core ext4 VMs, 2,000 files
    (245 MB) took 0.20-0.23 s that way, 0.25-1.1 s with a single ``syncfs`` at
    the end, and 0.60-0.66 s fsyncing each file on worker threads: an ``open``
    waits behind a concurrent ``fsync`` on ext4, and each fsync is its own
    journal commit. Elsewhere each written file's descriptor goes to a worker
    thread, which fsyncs and closes it while the writer goes on; at most
    ``MAX_PENDING`` batches wait, bounding descriptors, memory and dirty data.
    Either way the guarantee is the one a final fsync of every file gives.
    """

    BATCH = 8
    MAX_PENDING = 16  # batches: at most 128 descriptors wait
    SYNC_EVERY = 32 << 20  # bytes written between background syncfs calls

    def __init__(self, workers: int = 4, *, whole_filesystem: bool | None = None) -> None:
        """``whole_filesystem``: ``syncfs`` (True), a fsync per file (False), or the best this system has (None)."""
        self._syncfs = _syncfs() if whole_filesystem is not False else None
        if whole_filesystem and self._syncfs is None:
            raise OSError("syncfs with write-back errors needs Linux 5.8 or later")
        self._filesystems: dict[int, int] = {}  # st_dev -> one open descriptor on that filesystem
        self._unsynced = 0  # bytes written since the last background syncfs began
        self._flushing = None  # that syncfs, running on the pool
        self._workers = workers
        self._pool = None
        self._batch: list[int] = []
        self._pending: collections.deque = collections.deque()

    def write(self, path: Path | str, data: bytes, *, exclusive: bool = False) -> None:
        """Create ``path`` (replace it, unless ``exclusive``) holding ``data``; flushed by ``wait``.

        Raises:
            FileExistsError: with ``exclusive``, when ``path`` exists.
        """
        self._queue(_open_and_write(path, data, os.O_EXCL if exclusive else os.O_TRUNC))
        if self._syncfs is not None:
            self._unsynced += len(data)
            if self._unsynced >= self.SYNC_EVERY and (self._flushing is None or self._flushing.done()):
                self._flush_in_background()

    def _flush_in_background(self) -> None:
        if self._flushing is not None:
            self._flushing.result()  # a failed background syncfs is raised here, or by wait
        self._unsynced = 0
        self._flushing = self._executor().submit(self._sync_filesystems, list(self._filesystems.values()))

    def _sync_filesystems(self, fds: list[int]) -> None:
        for fd in fds:
            self._syncfs(fd)

    def _executor(self):
        if self._pool is None:
            from concurrent.futures import ThreadPoolExecutor

            self._pool = ThreadPoolExecutor(self._workers, thread_name_prefix="ydc-fsync")
        return self._pool

    def add(self, path: Path | str) -> None:
        """Queue a finished file written by other means to be flushed."""
        self._queue(os.open(path, os.O_RDONLY))

    def _queue(self, fd: int) -> None:
        if self._syncfs is not None:
            try:
                device = os.fstat(fd).st_dev
            except BaseException:
                os.close(fd)
                raise
            if device in self._filesystems:
                os.close(fd)
            else:
                self._filesystems[device] = fd
            return
        self._batch.append(fd)
        if len(self._batch) >= self.BATCH:
            self._submit()

    def _submit(self) -> None:
        batch, self._batch = self._batch, []
        self._executor()
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
        if self._flushing is not None:
            flushing, self._flushing = self._flushing, None
            flushing.result()
        if self._filesystems:
            self._sync_filesystems(list(self._filesystems.values()))
            self._unsynced = 0
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
            self._pool.shutdown(wait=True)  # a background syncfs finishes before its descriptors close
            self._pool = None
        self._flushing = None
        _close_all(list(self._filesystems.values()))
        self._filesystems = {}

    def __enter__(self) -> BackgroundSync:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


@functools.cache
def _syncfs():
    """``syncfs(fd)`` raising ``OSError``, where it reports write-back errors (Linux 5.8+); else None."""
    if sys.platform != "linux":
        return None
    try:
        version = tuple(int(part) for part in os.uname().release.split("-")[0].split(".")[:2])
    except ValueError:
        return None
    if version < (5, 8):
        return None
    import ctypes

    function = getattr(ctypes.CDLL(None, use_errno=True), "syncfs", None)
    if function is None:
        return None
    function.argtypes = [ctypes.c_int]

    def syncfs(fd: int) -> None:
        if function(fd) != 0:
            error = ctypes.get_errno()
            raise OSError(error, os.strerror(error))

    return syncfs


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
