"""Work on many items at once: listings of 100,000 images, imports of thousands of files."""

from __future__ import annotations

import contextlib
import gc
import os
from collections.abc import Callable, Iterable, Iterator
from typing import TypeVar

T = TypeVar("T")
R = TypeVar("R")


def workers() -> int:
    """How many threads per-item work may use: ``YDC_WORKERS``, else the CPU count."""
    configured = os.environ.get("YDC_WORKERS", "")
    return max(1, int(configured)) if configured.strip().isdigit() else (os.cpu_count() or 1)


def read_ahead(items: Iterable[T], func: Callable[[T], R], depth: int = 32) -> Iterator[R]:
    """``func(item)`` for each item, in order, computed on a helper thread up to ``depth`` ahead.

    An import's source is a generator that reads files and parses labels: Python
    work that needs the GIL. The store's writes (``os.write``, ``fsync``,
    ``sqlite3`` steps) release it, so with the source on a second thread the two
    halves overlap on two cores. Results and the source's first error arrive in
    the source's order, so a failure surfaces at the same item as without the
    thread. Closing the iterator (an error or Ctrl-C in the consumer) stops the
    helper and waits for it. With one worker (``YDC_WORKERS=1``) it all runs inline.
    """
    if workers() == 1:
        yield from map(func, items)
        return
    import queue
    import threading

    results: queue.Queue = queue.Queue(depth)
    stop = threading.Event()

    def hand_over(entry: tuple[bool, object]) -> bool:
        while not stop.is_set():
            try:
                results.put(entry, timeout=0.05)
                return True
            except queue.Full:
                continue
        return False

    def produce() -> None:
        try:
            for item in items:
                if not hand_over((True, func(item))):
                    return
        except BaseException as exc:  # handed to the consumer, raised there
            hand_over((False, exc))
        else:
            hand_over((False, None))

    helper = threading.Thread(target=produce, name="ydc-read-ahead", daemon=True)
    helper.start()
    try:
        while True:
            ok, value = results.get()
            if ok:
                yield value
            elif value is None:
                return
            else:
                raise value
    finally:
        stop.set()
        helper.join()


@contextlib.contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while a block builds many tuples that hold no cycles.

    Every 700 new container objects start a collection, and the older generations'
    passes walk everything a CLI process has imported: building 100,000 rows took
    about 5x longer with the collector running. Reference counting still frees
    everything; the collector resumes (if it was on) when the block ends.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


@contextlib.contextmanager
def write_behind(func: Callable[[T], object], depth: int = 16) -> Iterator[Callable[[T], None]]:
    """Yield ``put``: each item put is handed to ``func`` on a helper thread, in order.

    The mirror of ``read_ahead`` for an export: the caller reads and formats the
    next members while the helper checksums and writes the previous ones (both
    release the GIL). The helper's first error is raised by the next ``put`` or
    when the block ends; items after it are dropped. When the block raises, the
    helper skips what is queued and stops. With one worker it all runs inline.
    """
    if workers() == 1:
        yield func
        return
    import queue
    import threading

    items: queue.Queue = queue.Queue(depth)
    done = object()
    failure: list[BaseException] = []
    abort = threading.Event()

    def consume() -> None:
        while (item := items.get()) is not done:
            if failure or abort.is_set():
                continue
            try:
                func(item)
            except BaseException as exc:  # raised in the caller
                failure.append(exc)

    def put(item: T) -> None:
        if failure:
            raise failure[0]
        items.put(item)

    helper = threading.Thread(target=consume, name="ydc-write-behind", daemon=True)
    helper.start()
    try:
        yield put
    except BaseException:
        abort.set()
        raise
    finally:
        items.put(done)
        helper.join()
    if failure:
        raise failure[0]
